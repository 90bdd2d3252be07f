"""Reading Windows INI files the way Polish accounting programs write them.

Symfonia's MKP.INI and Mała Księgowość's options hold the folders and company names the readers
need. They come in CP1250, UTF-16 or UTF-8 with a byte order mark, with CRLF line ends, Windows
paths full of backslashes and repeated keys, so each of those is written here as a real file.
"""

import codecs
from pathlib import Path

import pytest

from konekto_pipeline.sources.files.ini import IniError, read_ini

OFFICE = "Biuro Rachunkowe Żółć Sp. z o.o."


def write(path: Path, text: str, encoding: str, bom: bytes = b"") -> Path:
    """An INI file with CRLF line ends, as Windows programs write them."""
    path.write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    return path


def test_cp1250_file_reads_polish_letters(tmp_path: Path) -> None:
    path = write(tmp_path / "MKP.INI", f"[Firma]\nNazwa={OFFICE}\n", "cp1250")

    ini = read_ini(path)

    assert ini.encoding == "cp1250"
    assert ini.get("Firma", "Nazwa") == OFFICE
    assert ini.path == path


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    ],
)
def test_byte_order_mark_decides_encoding_and_is_not_part_of_the_text(
    tmp_path: Path, bom: bytes, codec: str, encoding: str
) -> None:
    path = write(tmp_path / "opcje.ini", f"Wersja=2024.1\n[Firma]\nNazwa={OFFICE}\n", codec, bom)

    ini = read_ini(path)

    assert ini.encoding == encoding
    assert ini.items("") == [("Wersja", "2024.1")]
    assert ini.get("Firma", "Nazwa") == OFFICE


def test_utf8_without_bom_is_recognised_by_its_multibyte_letters(tmp_path: Path) -> None:
    path = write(tmp_path / "opcje.ini", f"[Firma]\nNazwa={OFFICE}\n", "utf-8")

    ini = read_ini(path)

    assert ini.encoding == "utf-8"
    assert ini.get("Firma", "Nazwa") == OFFICE


def test_plain_ascii_is_read_as_cp1250(tmp_path: Path) -> None:
    ini = read_ini(write(tmp_path / "a.ini", "[A]\nx=1\n", "ascii"))

    assert ini.encoding == "cp1250"


def test_crlf_and_lf_line_ends_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_bytes(b"[A]\r\nx=1\r\ny=2\n[B]\r\nz=3")

    ini = read_ini(path)

    assert ini.items("A") == [("x", "1"), ("y", "2")]
    assert ini.items("B") == [("z", "3")]


def test_windows_paths_keep_their_backslashes(tmp_path: Path) -> None:
    text = "[Katalogi]\nDane=C:\\Symfonia\\Dane\\\nSiec=\\\\SERWER\\dane\\nowy\n"

    ini = read_ini(write(tmp_path / "MKP.INI", text, "cp1250"))

    assert ini.get("Katalogi", "Dane") == "C:\\Symfonia\\Dane\\"
    assert ini.get("Katalogi", "Siec") == "\\\\SERWER\\dane\\nowy"


def test_no_interpolation_and_no_inline_comments(tmp_path: Path) -> None:
    text = "[A]\nwzor=%(nazwa)s 100%\nhaslo=abc;def # ghi\n"

    ini = read_ini(write(tmp_path / "a.ini", text, "cp1250"))

    assert ini.get("A", "wzor") == "%(nazwa)s 100%"
    assert ini.get("A", "haslo") == "abc;def # ghi"


def test_duplicate_keys_keep_every_value_and_get_returns_the_last(tmp_path: Path) -> None:
    text = "[Firmy]\nFirma=Alfa\nFirma=Beta\nInna=1\nfirma=Gamma\n"

    ini = read_ini(write(tmp_path / "a.ini", text, "cp1250"))

    assert ini.get_all("Firmy", "FIRMA") == ["Alfa", "Beta", "Gamma"]
    assert ini.get("firmy", "Firma") == "Gamma"
    assert ini.items("Firmy") == [
        ("Firma", "Alfa"),
        ("Firma", "Beta"),
        ("Inna", "1"),
        ("firma", "Gamma"),
    ]


def test_repeated_sections_merge_under_the_first_spelling(tmp_path: Path) -> None:
    text = "[Firma]\nNIP=5260250274\n[Okres]\nRok=2024\n[FIRMA]\nREGON=012345678\n"

    ini = read_ini(write(tmp_path / "a.ini", text, "cp1250"))

    assert ini.sections() == ["Firma", "Okres"]
    assert ini.items("firma") == [("NIP", "5260250274"), ("REGON", "012345678")]


def test_keys_before_any_section_belong_to_the_empty_section(tmp_path: Path) -> None:
    ini = read_ini(write(tmp_path / "a.ini", "Wersja=3\n[A]\nx=1\n", "cp1250"))

    assert ini.sections() == ["", "A"]
    assert ini.get("", "Wersja") == "3"


def test_comments_blanks_whitespace_and_quotes(tmp_path: Path) -> None:
    text = (
        '; komentarz\n# też komentarz\n\n  [ Firma ]  \n  Nazwa  =  " Żółć "  \n'
        'Puste=\nCudzyslow="\n'
    )

    ini = read_ini(write(tmp_path / "a.ini", text, "cp1250"))

    assert ini.sections() == ["Firma"]
    assert ini.items("Firma") == [("Nazwa", " Żółć "), ("Puste", ""), ("Cudzyslow", '"')]
    assert ini.skipped_lines == []


def test_lines_that_are_not_settings_are_skipped_and_recorded(tmp_path: Path) -> None:
    text = "[A]\nx=1\nto nie jest klucz\n=bez klucza\n[niedomknieta\ny=2\n"

    ini = read_ini(write(tmp_path / "a.ini", text, "cp1250"))

    assert ini.skipped_lines == [3, 4, 5]
    assert ini.items("A") == [("x", "1"), ("y", "2")]


def test_missing_section_or_key_reads_as_nothing(tmp_path: Path) -> None:
    ini = read_ini(write(tmp_path / "a.ini", "[A]\nx=1\n", "cp1250"))

    assert ini.get("A", "y") is None
    assert ini.get("B", "x") is None
    assert ini.get_all("B", "x") == []
    assert ini.items("B") == []


def test_missing_file_raises_ini_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "BRAK.INI"

    with pytest.raises(IniError, match="BRAK.INI"):
        read_ini(path)


def test_utf16_without_bom_raises_ini_error_instead_of_reading_garbage(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ini", "[A]\nx=1\n", "utf-16-le")

    with pytest.raises(IniError, match="a.ini.*byte order mark"):
        read_ini(path)


def test_bytes_undefined_in_cp1250_raise_ini_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.ini"
    path.write_bytes(b"[A]\nx=\x81\n")

    with pytest.raises(IniError, match="a.ini.*cp1250"):
        read_ini(path)
