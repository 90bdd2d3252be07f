"""Finding an office's folders and files from Windows-written settings, on Linux too.

Offices set folders as `C:\\BUCH` or `\\\\SERWER\\dane`; on a Linux workstation those reach the
files only through the drive and share mapping, and a path with no mapping must fail with advice
rather than be read as a relative name. Windows programs write file names in any case, which a
Linux mount keeps, so lookups must ignore case. Everything runs against real temporary folders.
"""

import os
import time
from pathlib import Path

import pytest

from konekto_pipeline.sources.files import paths
from konekto_pipeline.sources.files.paths import (
    AmbiguousName,
    FolderUnavailable,
    PathMap,
    UnmappedPath,
    check_folder,
    find_entry,
    is_windows_path,
    list_entries,
)

BASE = Path("/srv/konekto")
OFFICE_MAP = PathMap(
    {
        "C:": "/mnt/c",
        "d:\\": "/mnt/d",
        "\\\\SERWER\\dane": "/mnt/dane",
        "\\\\serwer\\DANE\\MK": "/mnt/mk",
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C:\\BUCH", True),
        ("c:/BUCH", True),
        ("C:", True),
        ("\\\\SERWER\\dane\\MK", True),
        ("\\\\SERWER/dane", True),
        ("/mnt/c/BUCH", False),
        ("//SERWER/dane", False),
        ("dane\\2024", False),
        ("\\\\SERWER", False),
        ("~/biuro", False),
    ],
)
def test_is_windows_path(text: str, expected: bool) -> None:
    assert is_windows_path(text) is expected


@pytest.mark.parametrize(
    ("setting", "local"),
    [
        ("C:\\BUCH", "/mnt/c/BUCH"),
        ("c:\\buch\\", "/mnt/c/buch"),
        ("C:/BUCH/2024", "/mnt/c/BUCH/2024"),
        ("C:", "/mnt/c"),
        ("D:\\KPR_2024", "/mnt/d/KPR_2024"),
        ("\\\\SERWER\\dane\\Fakt", "/mnt/dane/Fakt"),
        ("\\\\Serwer\\Dane\\mk\\Biuro", "/mnt/mk/Biuro"),
        ("\\\\SERWER\\dane\\MK", "/mnt/mk"),
        ("\\\\SERWER/dane/MKS", "/mnt/dane/MKS"),
    ],
)
def test_windows_paths_are_translated_through_the_longest_mapped_prefix(
    setting: str, local: str
) -> None:
    assert OFFICE_MAP.to_local(setting, BASE) == Path(local)


@pytest.mark.parametrize(
    ("setting", "local"),
    [
        ("/var/lib/biuro", "/var/lib/biuro"),
        ("/var/lib/biuro/", "/var/lib/biuro"),
        ("dane", "/srv/konekto/dane"),
        ("dane\\2024\\", "/srv/konekto/dane/2024"),
        ("dane/2024", "/srv/konekto/dane/2024"),
    ],
)
def test_posix_paths_are_kept_and_relative_ones_start_at_base_dir(setting: str, local: str) -> None:
    assert OFFICE_MAP.to_local(setting, BASE) == Path(local)


def test_path_objects_are_accepted() -> None:
    assert OFFICE_MAP.to_local(Path("dane/2024"), BASE) == BASE / "dane" / "2024"


def test_tilde_is_the_home_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ksiegowa")

    assert OFFICE_MAP.to_local("~/biuro", BASE) == Path("/home/ksiegowa/biuro")


def test_windows_variables_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", "C:\\Users\\ksiegowa\\AppData\\Roaming")
    monkeypatch.setenv("KONEKTO_DANE", "/srv/dane")

    assert OFFICE_MAP.to_local("%APPDATA%\\Symfonia", BASE) == Path(
        "/mnt/c/Users/ksiegowa/AppData/Roaming/Symfonia"
    )
    assert OFFICE_MAP.to_local("%KONEKTO_DANE%/MKP.INI", BASE) == Path("/srv/dane/MKP.INI")


def test_unset_variable_raises_unmapped_path_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KONEKTO_BRAK", raising=False)

    with pytest.raises(UnmappedPath, match="%KONEKTO_BRAK%"):
        OFFICE_MAP.to_local("%KONEKTO_BRAK%\\BUCH", BASE)


def test_unmapped_drive_on_posix_raises_with_the_mapping_to_add(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paths, "ON_WINDOWS", False)

    with pytest.raises(UnmappedPath) as raised:
        OFFICE_MAP.to_local("E:\\KPR", BASE)

    message = str(raised.value)
    assert "E:\\KPR" in message
    assert "`paths` in konekto.yaml" in message
    assert 'paths: {"E:": /mnt/e}' in message


def test_unmapped_share_on_posix_raises_with_the_share_to_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paths, "ON_WINDOWS", False)

    with pytest.raises(UnmappedPath, match=r"'\\\\INNY\\biuro': /mnt/biuro"):
        OFFICE_MAP.to_local("\\\\INNY\\biuro\\BUCH", BASE)


def test_rooted_path_without_drive_on_posix_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "ON_WINDOWS", False)

    with pytest.raises(UnmappedPath, match="names no drive"):
        OFFICE_MAP.to_local("\\BUCH", BASE)


def test_unmapped_windows_path_on_windows_is_used_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paths, "ON_WINDOWS", True)

    assert str(OFFICE_MAP.to_local("E:\\KPR", BASE)) == "E:\\KPR"
    assert OFFICE_MAP.to_local("C:\\BUCH", BASE) == Path("/mnt/c/BUCH")


def test_mapping_keys_must_be_drives_or_shares() -> None:
    with pytest.raises(ValueError, match="SERWER"):
        PathMap({"\\\\SERWER": "/mnt/serwer"})


@pytest.fixture
def program_folder(tmp_path: Path) -> Path:
    """A program's data folder as a Windows program leaves it: upper-case names."""
    (tmp_path / "B5WSPL24.DBF").write_bytes(b"")
    (tmp_path / "B5WSPL23.DBF").write_bytes(b"")
    (tmp_path / "MKP.INI").write_bytes(b"")
    (tmp_path / "ARCHIWUM").mkdir()
    return tmp_path


def test_find_entry_ignores_case(program_folder: Path) -> None:
    assert find_entry(program_folder, "b5wspl24.dbf") == program_folder / "B5WSPL24.DBF"
    assert find_entry(program_folder, "B5WSPL24.DBF") == program_folder / "B5WSPL24.DBF"
    assert find_entry(program_folder, "brak.dbf") is None


def test_find_entry_can_ask_for_a_folder_or_a_file(program_folder: Path) -> None:
    assert find_entry(program_folder, "archiwum", want_dir=True) == program_folder / "ARCHIWUM"
    assert find_entry(program_folder, "archiwum", want_dir=False) is None
    assert find_entry(program_folder, "mkp.ini", want_dir=True) is None
    assert find_entry(program_folder, "mkp.ini", want_dir=False) == program_folder / "MKP.INI"


def test_find_entry_refuses_case_twins_even_when_one_is_named_exactly(
    program_folder: Path,
) -> None:
    (program_folder / "mkp.ini").write_bytes(b"")

    for asked in ("mkp.ini", "MKP.INI"):
        with pytest.raises(AmbiguousName, match=r"MKP\.INI, mkp\.ini"):
            find_entry(program_folder, asked)


def test_find_entry_raises_on_case_twins_neither_asked_for(program_folder: Path) -> None:
    (program_folder / "mkp.ini").write_bytes(b"")

    with pytest.raises(AmbiguousName, match=r"MKP\.INI, mkp\.ini"):
        find_entry(program_folder, "Mkp.Ini")


def test_list_entries_matches_in_any_case_sorted_by_name(program_folder: Path) -> None:
    (program_folder / "b5wspl22.dbf").write_bytes(b"")

    found = list_entries(program_folder, "b5wspl*.dbf")

    assert [entry.name for entry in found] == ["b5wspl22.dbf", "B5WSPL23.DBF", "B5WSPL24.DBF"]
    assert list_entries(program_folder, "*.xml") == []


def test_check_folder_accepts_a_readable_folder(program_folder: Path) -> None:
    check_folder(program_folder, "buchalter: data folder (programs.buchalter.folder)")


def test_check_folder_names_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "BUCH"

    with pytest.raises(FolderUnavailable) as raised:
        check_folder(missing, "buchalter: data folder (programs.buchalter.folder)")

    message = str(raised.value)
    assert "programs.buchalter.folder" in message
    assert str(missing) in message
    assert "does not exist" in message


def test_check_folder_names_a_file_that_is_not_a_folder(program_folder: Path) -> None:
    with pytest.raises(FolderUnavailable, match=r"MKP\.INI is not a folder"):
        check_folder(program_folder / "MKP.INI", "symfonia: settings folder")


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root reads folders whatever their permissions, so chmod 000 denies nothing",
)
def test_check_folder_names_a_folder_it_may_not_list(tmp_path: Path) -> None:
    locked = tmp_path / "BUCH"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(FolderUnavailable, match="BUCH cannot be listed: permission denied"):
            check_folder(locked, "buchalter: data folder (programs.buchalter.folder)")
    finally:
        locked.chmod(0o700)


def test_find_entry_lists_a_settled_folder_once_and_sees_entries_added_later(
    tmp_path: Path,
) -> None:
    from konekto_pipeline.sources.files import paths

    (tmp_path / "FIRMA1").mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(tmp_path, (an_hour_ago, an_hour_ago))
    before = paths._listing.cache_info()

    for _ in range(3):
        assert find_entry(tmp_path, "firma1", want_dir=True) == tmp_path / "FIRMA1"

    after = paths._listing.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)

    (tmp_path / "FIRMA2").mkdir()  # the folder's time moves on: listed afresh
    assert find_entry(tmp_path, "Firma2", want_dir=True) == tmp_path / "FIRMA2"
