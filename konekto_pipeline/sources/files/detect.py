"""Which file-based programs this machine has, found in their standard locations.

Each program's `settings.py` names where an installation keeps its data by default (`C:\\BUCH`,
`C:\\KPR_<year>`, `C:\\MK\\MK.INI` or `C:\\MK\\Biuro`, `%APPDATA%\\Sage\\Config\\MKP.INI`). What
exists here, through the office's `paths` mapping on Linux, becomes the settings that enable the
program; a location on a drive with no mapping is simply not there.
"""

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from konekto_pipeline.sources.buchalter import settings as buchalter
from konekto_pipeline.sources.files.paths import PathMap, UnmappedPath
from konekto_pipeline.sources.kpr import settings as kpr
from konekto_pipeline.sources.mala_ksiegowosc import settings as mala_ksiegowosc
from konekto_pipeline.sources.symfonia import settings as symfonia


def detect_file_programs(
    paths: PathMap, base_dir: Path, today: date | None = None
) -> dict[str, dict[str, str]]:
    """The settings (`programs.<key>`) of every file-based program found in its standard place."""
    today = today or date.today()
    found: dict[str, dict[str, str]] = {}
    if folder := _first(paths, base_dir, buchalter.default_folders(), want_dir=True):
        found["buchalter"] = {"folder": folder}
    years = [today.year, today.year - 1]
    if _first(paths, base_dir, kpr.default_folders(years), want_dir=True):
        found["kpr"] = {"folder": kpr.FOLDER_PATTERN}
    options = (mala_ksiegowosc.DEFAULT_OPTIONS_FILE,)
    if options_file := _first(paths, base_dir, options, want_dir=False):
        found["mala_ksiegowosc"] = {"options_file": options_file}
    elif folder := _first(paths, base_dir, mala_ksiegowosc.default_folders(), want_dir=True):
        found["mala_ksiegowosc"] = {"folder": folder}
    if ini_file := _first(paths, base_dir, symfonia.default_ini_files(), want_dir=False):
        found["symfonia"] = {"ini_file": ini_file}
    return found


def _first(
    paths: PathMap, base_dir: Path, candidates: Iterable[str], *, want_dir: bool
) -> str | None:
    """The first candidate (as written for the settings) that exists here."""
    for candidate in candidates:
        try:
            local = paths.to_local(candidate, base_dir)
        except UnmappedPath:
            continue
        if local.is_dir() if want_dir else local.is_file():
            return candidate
    return None
