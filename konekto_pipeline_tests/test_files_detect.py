"""Finding the file-based programs in their standard places, as `konekto detect` prints them.

An office (or `konekto init`) should not have to know where Buchalter, KPR, Mała Księgowość and
Symfonia keep their data: what exists in the standard locations, reached through the `paths`
mapping on Linux, becomes the settings that enable each program.
"""

from datetime import date
from pathlib import Path

import yaml

from konekto_pipeline.cli import main
from konekto_pipeline.sources.files.detect import detect_file_programs
from konekto_pipeline.sources.files.paths import PathMap


def _drive_c(root: Path) -> Path:
    (root / "BUCH" / "FIRMA1").mkdir(parents=True)
    (root / "KPR_2026").mkdir()
    (root / "MK").mkdir()
    (root / "MK" / "MK.INI").write_text("[Dane]\r\nKatalogDanych=C:\\MK\\Biuro\r\n", "cp1250")
    return root


def test_programs_in_their_standard_places_are_found_through_the_mapping(
    tmp_path: Path, monkeypatch
) -> None:
    drive = _drive_c(tmp_path / "c")
    config = tmp_path / "profile" / "Sage" / "Config"
    config.mkdir(parents=True)
    (config / "MKP.INI").write_text("[Firmy]\r\n", "cp1250")
    monkeypatch.setenv("APPDATA", "C:\\Users\\biuro\\AppData\\Roaming")
    paths = PathMap({"C:": drive, "C:\\Users\\biuro\\AppData\\Roaming": tmp_path / "profile"})

    found = detect_file_programs(paths, tmp_path, today=date(2026, 12, 4))

    assert found == {
        "buchalter": {"folder": "C:\\BUCH"},
        "kpr": {"folder": "C:\\KPR_{year}"},
        "mala_ksiegowosc": {"options_file": "C:\\MK\\MK.INI"},
        "symfonia": {"ini_file": "%APPDATA%\\Sage\\Config\\MKP.INI"},
    }


def test_nothing_is_found_on_drives_without_a_mapping(tmp_path: Path) -> None:
    _drive_c(tmp_path / "c")

    assert detect_file_programs(PathMap(), tmp_path, today=date(2026, 12, 4)) == {}


def test_detect_prints_settings_to_paste_into_konekto_yaml(tmp_path: Path, capsys) -> None:
    drive = _drive_c(tmp_path / "c")

    assert main(["detect", "--path", f"C:={drive}"]) == 0

    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["programs"]["buchalter"] == {"folder": "C:\\BUCH"}
    assert printed["programs"]["mala_ksiegowosc"] == {"options_file": "C:\\MK\\MK.INI"}


def test_detect_refuses_a_mapping_written_wrong(capsys) -> None:
    assert main(["detect", "--path", "C:/mnt/c"]) == 2
    assert "C:=/mnt/c" in capsys.readouterr().err
