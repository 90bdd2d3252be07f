"""Folders named in an office's settings, found on Windows and on Linux workstations.

Offices write folders the Windows way (`C:\\BUCH`, `\\\\SERWER\\dane\\MK`); on Linux the same
settings work through `paths` in konekto.yaml, which maps drive letters and UNC shares to mount
points. Windows programs also write file names in any case (`B5WSPL24.DBF`), which a
case-sensitive Linux mount does not forgive, so names are looked up case-insensitively.
"""

import fnmatch
import functools
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

ON_WINDOWS = os.name == "nt"

# `C:\BUCH`, `C:/BUCH`, `C:` and drive-relative `C:BUCH`; UNC `\\host\share` (either slash after
# the leading backslashes). `//host/share` stays a POSIX path: Linux allows such names.
_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:|\\\\[^\\/]+[\\/]+[^\\/]+)")
_FRESH_NS = 2_000_000_000
_VARIABLE = re.compile(r"%([^%\\/]+)%")


class UnmappedPath(ValueError):
    """A Windows path that has no local folder mapped to its drive or share."""


class AmbiguousName(ValueError):
    """Two entries of a folder whose names differ only by case, neither the one asked for."""


class FolderUnavailable(Exception):
    """A folder from the settings that does not exist or cannot be listed."""


def is_windows_path(text: str) -> bool:
    """Whether the text is an absolute Windows path: a drive (`C:\\...`) or a UNC share."""
    return _WINDOWS_PATH.match(text) is not None


class PathMap:
    """Translates Windows folders from the settings into local ones.

    Keys are drive letters (`"C:"`) or UNC prefixes (`"\\\\SERWER\\dane"`), in any case and with
    either slash; values are local folders. The longest matching prefix wins.
    """

    def __init__(self, mapping: Mapping[str, str | Path] | None = None) -> None:
        self._folders: dict[tuple[str, ...], Path] = {}
        for prefix, folder in (mapping or {}).items():
            if not is_windows_path(prefix):
                raise ValueError(
                    f"paths: {prefix} is neither a drive letter (C:) nor a UNC share "
                    r"(\\host\share)"
                )
            key = tuple(part.casefold() for part in _windows_parts(prefix))
            self._folders[key] = Path(folder).expanduser()

    def to_local(self, path: str | Path, base_dir: Path) -> Path:
        """The local folder or file for a path from the settings.

        Relative paths (either slash) are relative to base_dir; `%VAR%` is taken from the
        environment and `~` is the user's home. Off Windows, a Windows path with no mapping
        (or an unset variable) raises UnmappedPath, since no local folder can be guessed.
        """
        text = _expand_variables(str(path).strip())
        if is_windows_path(text):
            return self._translate(text)
        if text.startswith("~"):
            return Path(text).expanduser()
        if text.startswith("\\") and not ON_WINDOWS:
            raise UnmappedPath(
                f"{text} names no drive: write the drive letter or the UNC share it is on"
            )
        if text.startswith(("/", "\\")):
            return Path(text)
        return base_dir.joinpath(*_split(text))

    def _translate(self, text: str) -> Path:
        parts = _windows_parts(text)
        folded = [part.casefold() for part in parts]
        for size in range(len(parts), 0, -1):
            folder = self._folders.get(tuple(folded[:size]))
            if folder is not None:
                return folder.joinpath(*parts[size:])

        if ON_WINDOWS:
            return Path(text)
        raise UnmappedPath(
            f"no local folder is mapped for {text}: add the mapping of its drive or share under "
            f"the setting key `paths` in konekto.yaml, e.g. {_example(parts)}"
        )


def _windows_parts(text: str) -> list[str]:
    """The drive (`C:`) or UNC host (`\\\\SERWER`) followed by the names below it."""
    text = text.replace("/", "\\")
    if text.startswith("\\\\"):
        host, *names = _split(text[2:])
        return ["\\\\" + host, *names]

    # A drive-relative `C:BUCH` is read from the drive's root: a mapped drive has no current
    # folder.
    return [text[:2], *_split(text[2:])]


def _split(text: str) -> list[str]:
    """Names in a path written with either slash, without empty ones (trailing separators)."""
    return [name for name in re.split(r"[\\/]", text) if name]


def _example(parts: list[str]) -> str:
    """A `paths` entry for the drive or share of an unmapped path, to paste into konekto.yaml."""
    if parts[0].startswith("\\\\"):
        share = "\\".join(parts[:2])
        return f"paths: {{'{share}': /mnt/{parts[1].lower()}}}"
    return f'paths: {{"{parts[0].upper()}": /mnt/{parts[0][0].lower()}}}'


def _expand_variables(text: str) -> str:
    """Replace Windows-style `%VAR%` with the environment's value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise UnmappedPath(f"{text} uses %{name}%, which is not set in the environment")
        return os.environ[name]

    return _VARIABLE.sub(value, text)


def find_entry(folder: Path, name: str, *, want_dir: bool | None = None) -> Path | None:
    """The entry of an existing folder named `name` in any case, or None.

    want_dir True finds only folders, False only files, None either. Two entries that differ
    only by case raise AmbiguousName, the exact name among them too: on a case-sensitive share
    nothing tells which of `FIRMY.DBF` and `firmy.dbf` the program writes.
    """
    matches = [
        entry
        for entry in (folder / found for found in _names_by_case(folder).get(name.casefold(), ()))
        if _is_wanted(entry, want_dir)
    ]
    if len(matches) > 1:
        names = ", ".join(sorted(entry.name for entry in matches))
        raise AmbiguousName(f"{folder} holds {names}, which differ only by case; asked for {name}")
    return matches[0] if matches else None


def _names_by_case(folder: Path) -> dict[str, tuple[str, ...]]:
    """A folder's entry names by their case-folded form, listed again once the folder changed.

    A reader looks up a thousand company folders in one data folder; listing it for each would
    cost the square of the office's size. A folder changed in the last seconds is listed
    afresh: file systems stamp times coarsely, and two changes may share one stamp.
    """
    stat = folder.stat()
    if time.time_ns() - stat.st_mtime_ns < _FRESH_NS:
        return _listing.__wrapped__(str(folder), stat.st_mtime_ns, stat.st_ino)
    return _listing(str(folder), stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=4096)
def _listing(folder: str, mtime_ns: int, inode: int) -> dict[str, tuple[str, ...]]:
    names: dict[str, list[str]] = {}
    for name in os.listdir(folder):
        names.setdefault(name.casefold(), []).append(name)
    return {key: tuple(found) for key, found in names.items()}


def _is_wanted(entry: Path, want_dir: bool | None) -> bool:
    if want_dir is None:
        return entry.exists()
    return entry.is_dir() if want_dir else entry.is_file()


def list_entries(folder: Path, pattern: str) -> list[Path]:
    """The entries of a folder whose names match a glob pattern (`*.dbf`) in any case."""
    wanted = pattern.casefold()
    found = [
        entry for entry in folder.iterdir() if fnmatch.fnmatchcase(entry.name.casefold(), wanted)
    ]
    return sorted(found, key=lambda entry: (entry.name.casefold(), entry.name))


def check_folder(folder: Path, what: str) -> None:
    """Raise FolderUnavailable, saying what the folder is for, unless it can be listed.

    Args:
        folder: The folder to check.
        what: What the folder holds and where it is set, e.g.
            "buchalter: data folder (programs.buchalter.folder)".
    """
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except FileNotFoundError:
        reason = "does not exist"
    except NotADirectoryError:
        reason = "is not a folder"
    except PermissionError:
        reason = "cannot be listed: permission denied for the account the pipeline runs as"
    except OSError as error:
        reason = f"cannot be listed: {error.strerror or error}"
    else:
        return
    raise FolderUnavailable(f"{what}: {folder} {reason}")
