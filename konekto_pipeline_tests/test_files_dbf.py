"""Reading DBF tables (`sources.files.dbf` and `sources.files.tables`) from what programs leave.

Every public issue collected in research/firebird_dbf_programs.md §9 (D1-D23) gets a small real
file of that kind, written with the `dbf` package and damaged byte by byte where needed. The
answer must be the right value or a clear error naming the file, the record and the field: a
wrong language-driver byte, a NUL among the digits or a file the program is still writing must
never become a silently wrong amount, nor a crash that loses the other records.
"""

import datetime as dt
import errno
import os
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from dbfread import memo as dbfread_memo

from konekto_pipeline.sources.base import SourceProblem
from konekto_pipeline.sources.files.dbf import DbfError, DbfTable, RecordProblem, Retry, read_dbf
from konekto_pipeline.sources.files.program import FileProgram
from konekto_pipeline.sources.files.tables import (
    RECORD,
    DbfSpec,
    Encoding,
    Table,
    TableProblem,
    read_table,
)
from konekto_pipeline_tests.dbf_fixtures import (
    DBASE_IV_WITH_MEMO,
    cut,
    patch_field,
    read_header,
    set_field_descriptor,
    set_flag,
    set_language_driver,
    set_record_length,
    set_version,
    write_dbf,
)

PANGRAM = "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ"
WORDS = ["ZAŁOŻENIE", "spółka", "Źródło", "Gżegżółka", "Łódź"]
FIRMS = ["Gżegżółka Sp. z o.o.", "Łódź Śródmieście S.A.", "Źródło spółka jawna"]
QUICK = Retry(attempts=2, pause=0.01)


def read(
    path: Path,
    program: str = "cp1250",
    *,
    encoding: str | None = None,
    fields: list[str] | None = None,
) -> DbfTable:
    """Read with short retries, so that refusals come quickly."""
    return read_dbf(path, program_encoding=program, encoding=encoding, fields=fields, retry=QUICK)


def firms_file(folder: Path, codepage: str = "cp1250", name: str = "FIRMY.DBF") -> Path:
    """Three firms with an amount and a date each, all readable."""
    return write_dbf(
        folder / name,
        "NAZWA C(40); KWOTA N(12,2); DATA D",
        [
            (FIRMS[0], Decimal("1234567.89"), None),
            (FIRMS[1], Decimal("0.10"), None),
            (FIRMS[2], Decimal("-0.30"), None),
        ],
        codepage=codepage,
    )


def names(table: DbfTable) -> list[str]:
    return [row["NAZWA"] for row in table.rows]


# --- code pages: D1, D2, D3, D5, D15, D18, D19, D23 -------------------------------------------


@pytest.mark.parametrize("codepage", ["cp852", "cp1250", "mazovia"])
@pytest.mark.parametrize("language_driver", [0x00, 0x7F])
def test_polish_text_without_a_known_language_driver_reads_in_the_programs_code_page(
    tmp_path: Path, codepage: str, language_driver: int
) -> None:
    path = write_dbf(
        tmp_path / "FIRMY.DBF", "NAZWA C(40)", [(PANGRAM,), ("ZAŁOŻENIE",)], codepage=codepage
    )
    set_language_driver(path, language_driver)

    table = read(path, codepage)

    assert names(table) == [PANGRAM, "ZAŁOŻENIE"]
    assert table.encoding.encoding == codepage
    assert f"0x{language_driver:02X} not trusted" in table.encoding.reason
    assert table.problems == []


@pytest.mark.parametrize("codepage", ["cp1250", "cp852"])
@pytest.mark.parametrize("language_driver", [0x03, 0x57])
def test_western_language_driver_over_polish_text_is_not_trusted(
    tmp_path: Path, codepage: str, language_driver: int
) -> None:
    # "Źródło" is 0x8F... in CP1250, a byte CP1252 cannot decode at all (dbfread#61, dbf#26).
    path = write_dbf(
        tmp_path / "FIRMY.DBF", "NAZWA C(40)", [(word,) for word in WORDS], codepage=codepage
    )
    set_language_driver(path, language_driver)

    table = read(path, codepage)

    assert names(table) == WORDS
    assert table.encoding.encoding == codepage


def test_unknown_field_type_does_not_block_the_file_and_reads_as_bytes(tmp_path: Path) -> None:
    path = write_dbf(
        tmp_path / "KSIEGA.DBF",
        "NAZWA C(30); ZNAK C(4); KWOTA N(12,2)",
        [("Źródło", "AB12", Decimal("10.50"))],
    )
    set_field_descriptor(path, "ZNAK", field_type="7")

    table = read(path)

    assert table.rows == [{"NAZWA": "Źródło", "ZNAK": b"AB12", "KWOTA": Decimal("10.50")}]


@pytest.mark.parametrize("word", WORDS)
def test_mazovia_file_marked_cp852_is_detected_as_mazovia(tmp_path: Path, word: str) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [(word,)], codepage="mazovia")
    set_language_driver(path, 0x64)

    table = read(path, "cp852")

    assert names(table) == [word]
    assert table.encoding.encoding == "mazovia"
    assert "mazovia" in table.encoding.reason
    assert "0x64" in table.encoding.reason


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize(
    ("language_driver", "program"), [(0x64, "cp852"), (0x00, "cp852"), (0x00, "mazovia")]
)
def test_cp852_file_is_not_mistaken_for_mazovia(
    tmp_path: Path, word: str, language_driver: int, program: str
) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [(word,)], codepage="cp852")
    set_language_driver(path, language_driver)

    table = read(path, program)

    assert names(table) == [word]
    assert table.encoding.encoding == "cp852"


def test_code_page_from_the_settings_wins_over_header_and_program(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [("Gżegżółka",)], codepage="mazovia")
    set_language_driver(path, 0xC8)

    table = read(path, "cp1250", encoding="CP620")

    assert names(table) == ["Gżegżółka"]
    assert table.encoding.encoding == "mazovia"
    assert table.encoding.reason == "set in the settings"


@pytest.mark.parametrize(("program", "setting"), [("WIN1250", None), ("cp852", "Windows-1250")])
def test_code_page_names_are_taken_as_the_settings_accept_them(
    tmp_path: Path, program: str, setting: str | None
) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [("Źródło",)], codepage="cp1250")

    table = read(path, program, encoding=setting)

    assert names(table) == ["Źródło"]
    assert table.encoding.encoding == "cp1250"


def test_text_that_is_not_in_the_set_code_page_is_an_error_of_that_record(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [("Łódź",), ("Kraków",)])
    patch_field(path, 1, "NAZWA", b"Ko\x81o".ljust(20))

    table = read(path, "cp1250", encoding="cp1250")

    assert names(table) == ["Kraków"]
    assert table.problems == [
        RecordProblem(1, "NAZWA", "byte 0x81 is not a character in cp1250 (wrong code page?)")
    ]


def test_mazovia_variant_from_the_settings_decodes_its_own_byte(tmp_path: Path) -> None:
    # A variant that put "ś" at 0x9B; the program key has an underscore, as reset2_ksiega does.
    program = FileProgram(encoding_overrides={"0x9B": "ś"})
    variant = program.configured_encoding("reset2_ksiega")
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(20)", [("Łódź",)], codepage="mazovia")
    patch_field(path, 1, "NAZWA", b"\x9bwi\x91to".ljust(20))
    set_language_driver(path, 0)

    standard = read(path, "mazovia")
    table = read(path, "mazovia", encoding=variant)

    assert names(standard) == ["¢wi" + "ęto"]
    assert names(table) == ["święto"]


# --- memo fields: D4, D20 ---------------------------------------------------------------------

MEMO = "Zaświadczenie z Urzędu Skarbowego Łódź-Śródmieście, ŹRÓDŁO: spółka"


@pytest.mark.parametrize("codepage", ["cp852", "mazovia", "cp1250"])
def test_memo_text_is_decoded_in_the_tables_code_page(tmp_path: Path, codepage: str) -> None:
    path = write_dbf(
        tmp_path / "UWAGI.DBF",
        "NAZWA C(30); UWAGI M",
        [("Gżegżółka", MEMO), ("Bez uwag", "")],
        codepage=codepage,
    )
    set_language_driver(path, 0)

    table = read(path, codepage)

    assert [row["UWAGI"] for row in table.rows] == [MEMO, ""]
    assert table.file_problems == []


def test_mazovia_memo_follows_the_code_page_detected_from_the_text_fields(tmp_path: Path) -> None:
    path = write_dbf(
        tmp_path / "UWAGI.DBF", "NAZWA C(30); UWAGI M", [("Gżegżółka", MEMO)], codepage="mazovia"
    )
    set_language_driver(path, 0x64)

    table = read(path, "cp852")

    assert table.rows == [{"NAZWA": "Gżegżółka", "UWAGI": MEMO}]


def test_dbase_iv_table_without_its_memo_file_reads_memos_as_none_and_says_so_once(
    tmp_path: Path,
) -> None:
    path = write_dbf(
        tmp_path / "UWAGI.DBF",
        "NAZWA C(30); UWAGI M",
        [("Gżegżółka", MEMO), ("Łódź", "krótka")],
        codepage="cp852",
    )
    set_version(path, DBASE_IV_WITH_MEMO)
    path.with_suffix(".DBT").unlink()

    table = read(path, "cp852")

    assert table.rows == [{"NAZWA": "Gżegżółka", "UWAGI": None}, {"NAZWA": "Łódź", "UWAGI": None}]
    assert len(table.file_problems) == 1
    assert "memo file" in table.file_problems[0]
    assert "missing" in table.file_problems[0]


def test_memo_file_cut_short_reads_the_lost_memos_as_empty_and_says_which_records(
    tmp_path: Path,
) -> None:
    path = write_dbf(
        tmp_path / "UWAGI.DBF",
        "NAZWA C(30); UWAGI M",
        [("Gżegżółka", MEMO), ("Łódź", "krótka")],
        codepage="cp1250",
    )
    memo = path.with_suffix(".DBT")
    memo.write_bytes(memo.read_bytes()[:1024])  # the header block and the first memo only

    table = read(path, "cp1250")

    assert table.rows == [{"NAZWA": "Gżegżółka", "UWAGI": MEMO}, {"NAZWA": "Łódź", "UWAGI": None}]
    assert table.problems == []
    assert table.file_problems == [
        "its memo file UWAGI.DBT is cut short: the memos of records 2 are read as empty"
    ]


@pytest.mark.parametrize(
    ("content", "said"), [(b"", "empty (0 bytes)"), (b"\x03abc", "4 bytes, less than a DBF header")]
)
def test_a_file_too_small_for_a_header_is_refused_saying_so(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "FIRMY.DBF"
    path.write_bytes(content)

    with pytest.raises(DbfError, match=re.escape(said)):
        read(path)


def test_memo_file_that_cannot_be_opened_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "UWAGI.DBF", "NAZWA C(30); UWAGI M", [("Łódź", MEMO)])
    memo = path.with_suffix(".DBT")
    memo.unlink()
    memo.mkdir()

    with pytest.raises(DbfError) as raised:
        read(path)

    assert str(raised.value).startswith(f"{path}: ")
    assert str(memo) in str(raised.value)


def test_memo_file_locked_by_the_program_is_retried_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_dbf(tmp_path / "UWAGI.DBF", "NAZWA C(30); UWAGI M", [("Łódź", MEMO)])
    memo = str(path.with_suffix(".DBT"))
    attempts: list[str] = []

    def locked_once(name: str, *args: object, **kwargs: object) -> object:
        if name == memo and not attempts:
            attempts.append(name)
            raise PermissionError(errno.EACCES, "Permission denied", name)
        return open(name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(dbfread_memo, "open", locked_once, raising=False)

    table = read(path)

    assert attempts == [memo]
    assert table.rows == [{"NAZWA": "Łódź", "UWAGI": MEMO}]


# --- numbers: D8, D9, D10, D11, D13, D17 --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"60.00\x00\x00".rjust(12), Decimal("60.00")),  # D10: trailing NULs
        (b".".rjust(12), None),  # D13: a lone point
        (b" " * 12, None),
        (b"1234567.89".rjust(12), Decimal("1234567.89")),
        (b"-0.01".rjust(12), Decimal("-0.01")),
        (b"12,50".rjust(12), Decimal("12.50")),
    ],
)
def test_numeric_field_is_an_exact_decimal_or_empty(
    tmp_path: Path, raw: bytes, expected: Decimal | None
) -> None:
    path = firms_file(tmp_path)
    patch_field(path, 2, "KWOTA", raw)

    table = read(path)

    value = table.rows[1]["KWOTA"]
    assert value == expected
    assert type(value) is type(expected)
    assert table.problems == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"12\x0034.00".rjust(12), "NUL"),  # D8: a NUL among the digits
        (b"\x00" * 12, "never written"),  # D9: nothing but NULs is no value, never zero
        (b"*" * 12, "overflow"),  # D11: the value did not fit
        (b"**".rjust(12), "overflow"),
        (b"inf".rjust(12), "not a number"),
        (b"-nan".rjust(12), "not a number"),
        (b"12.3.4".rjust(12), "not a number"),
    ],
)
def test_unreadable_amount_is_an_error_of_that_record_and_the_others_are_read(
    tmp_path: Path, raw: bytes, reason: str
) -> None:
    path = firms_file(tmp_path)
    patch_field(path, 2, "KWOTA", raw)

    table = read(path)

    assert names(table) == [FIRMS[0], FIRMS[2]]
    assert table.record_numbers == [1, 3]
    [problem] = table.problems
    assert (problem.record, problem.field) == (2, "KWOTA")
    assert reason in problem.message
    assert str(problem).startswith("record 2, field KWOTA: ")


def test_decimal_point_in_a_field_declared_without_decimals_is_read_exactly(
    tmp_path: Path,
) -> None:
    path = write_dbf(tmp_path / "ZUS.DBF", "ILE N(10,0)", [(5,), (6,), (7,)])
    patch_field(path, 1, "ILE", b"0.0".rjust(10))
    patch_field(path, 2, "ILE", b"1234.56".rjust(10))

    table = read(path)

    assert [row["ILE"] for row in table.rows] == [Decimal("0.0"), Decimal("1234.56"), Decimal(7)]
    assert all(type(row["ILE"]) is Decimal for row in table.rows)


def test_amounts_are_exact_decimals_never_floats(tmp_path: Path) -> None:
    amounts = [Decimal("1234567.89"), Decimal("0.10"), Decimal("0.20"), Decimal("-0.30")]
    path = write_dbf(
        tmp_path / "KSIEGA.DBF",
        "KWOTA N(12,2); KURS F(12,4)",
        [(amount, amount) for amount in amounts],
    )

    table = read(path)

    values = [row[name] for row in table.rows for name in ("KWOTA", "KURS")]
    assert all(type(value) is Decimal for value in values)
    assert [row["KWOTA"] for row in table.rows] == amounts
    assert sum(row["KURS"] for row in table.rows[1:]) == 0
    assert str(table.rows[0]["KWOTA"] + table.rows[1]["KWOTA"]) == "1234567.99"


def test_visual_foxpro_currency_and_double_fields_are_decimals(tmp_path: Path) -> None:
    path = write_dbf(
        tmp_path / "PLACE.DBF",
        "NAZWA C(20); PENSJA Y; STAWKA B",
        [("Łódź", Decimal("4242.5678"), 0.1), ("Gżegżółka", Decimal("-0.01"), 1234567.89)],
        kind="vfp",
    )

    table = read(path)

    assert table.rows == [
        {"NAZWA": "Łódź", "PENSJA": Decimal("4242.5678"), "STAWKA": Decimal("0.1")},
        {"NAZWA": "Gżegżółka", "PENSJA": Decimal("-0.0100"), "STAWKA": Decimal("1234567.89")},
    ]
    assert all(type(row[name]) is Decimal for row in table.rows for name in ("PENSJA", "STAWKA"))
    assert table.problems == []
    assert table.file_problems == []


def test_integer_field_reads_as_int(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(10); NUMER C(4)", [("Łódź", "    ")])
    set_field_descriptor(path, "NUMER", field_type="I")
    patch_field(path, 1, "NUMER", (-7).to_bytes(4, "little", signed=True))

    table = read(path)

    assert table.rows == [{"NAZWA": "Łódź", "NUMER": -7}]


# --- dates and logicals ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b" " * 8, b"0" * 8, b"\x00" * 8])
def test_blank_zero_or_nul_date_is_none(tmp_path: Path, raw: bytes) -> None:
    path = firms_file(tmp_path)
    patch_field(path, 1, "DATA", b"20240131")
    patch_field(path, 2, "DATA", raw)

    table = read(path)

    assert [row["DATA"] for row in table.rows][:2] == [dt.date(2024, 1, 31), None]
    assert table.problems == []


def test_impossible_date_is_an_error_of_that_record_naming_the_field(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    patch_field(path, 1, "DATA", b"20240231")
    patch_field(path, 3, "DATA", b"20240229")

    table = read(path)

    assert names(table) == [FIRMS[1], FIRMS[2]]
    [problem] = table.problems
    assert (problem.record, problem.field) == (1, "DATA")
    assert "20240231" in problem.message


def test_logical_field_reads_true_false_and_unknown(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "VAT L", [(True,), (False,), (None,), (True,)])
    patch_field(path, 4, "VAT", b"x")

    table = read(path)

    assert [row["VAT"] for row in table.rows] == [True, False, None]
    assert [(problem.record, problem.field) for problem in table.problems] == [(4, "VAT")]


# --- headers and records: D14, D16, D22 -------------------------------------------------------


def test_integer_field_of_length_zero_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(10); NUMER C(4)", [("Łódź", "1")])
    set_field_descriptor(path, "NUMER", field_type="I", length=0)

    with pytest.raises(DbfError) as raised:
        read(path)

    assert str(raised.value).startswith(f"{path}: ")
    assert "type I must have length 4 (was 0)" in str(raised.value)


def test_header_whose_fields_overrun_the_record_is_refused_not_read_askew(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    set_record_length(path, read_header(path).record_length - 8)

    with pytest.raises(DbfError) as raised:
        read(path)

    assert str(raised.value).startswith(f"{path}: ")
    assert "record" in str(raised.value)


def test_file_that_is_not_a_dbf_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "FIRMY.DBF"
    path.write_text("To nie jest tabela, tylko notatka biura.\r\n", encoding="cp1250")

    with pytest.raises(DbfError) as raised:
        read(path)

    assert str(raised.value).startswith(f"{path}: not a")


def test_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DbfError, match="file not found"):
        read(tmp_path / "BRAK.DBF")


def test_deleted_records_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write_dbf(
        tmp_path / "FIRMY.DBF",
        "NAZWA C(40)",
        [(name,) for name in [*FIRMS, "Łódź"]],
        deleted=[2],
    )
    set_flag(path, 4, 0x2A)

    table = read(path)

    assert names(table) == [FIRMS[0], FIRMS[2]]
    assert table.record_numbers == [1, 3]
    assert table.deleted == 2


def test_end_of_file_mark_before_the_header_count_keeps_the_records_before_it(
    tmp_path: Path,
) -> None:
    path = write_dbf(tmp_path / "FIRMY.DBF", "NAZWA C(40)", [(name,) for name in [*FIRMS, "X"]])
    set_flag(path, 3, 0x1A)

    table = read(path)

    assert names(table) == FIRMS[:2]
    assert table.file_problems == ["end-of-file mark after 2 of 4 records"]


def test_record_with_an_unknown_flag_is_an_error_of_that_record(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    set_flag(path, 2, 0x00)

    table = read(path)

    assert names(table) == [FIRMS[0], FIRMS[2]]
    assert [(problem.record, problem.field) for problem in table.problems] == [(2, "(flag)")]


def test_only_the_fields_asked_for_are_read(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    patch_field(path, 1, "DATA", b"20240231")

    table = read(path, fields=["nazwa", "KWOTA"])

    assert table.rows[0] == {"NAZWA": FIRMS[0], "KWOTA": Decimal("1234567.89")}
    assert table.problems == []
    assert table.field_names == ("NAZWA", "KWOTA", "DATA")


# --- a file the program is writing: truncated, changing, locked --------------------------------


def test_file_cut_mid_record_is_refused_as_truncated_with_the_counts(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    cut(path, read_header(path).record_offset(2) + 5)

    with pytest.raises(DbfError) as raised:
        read(path)

    message = str(raised.value)
    assert message.startswith(f"{path}: truncated")
    assert "header counts 3 records, the file holds 1" in message
    assert "tried 2 times" in message


def test_file_that_grows_back_to_full_size_between_retries_is_read(tmp_path: Path) -> None:
    path = firms_file(tmp_path)
    size = read_header(path).record_offset(2) + 5
    whole = cut(path, size)

    def finish_writing() -> None:
        with path.open("ab") as file:
            file.write(whole[size:])

    writer = threading.Timer(0.3, finish_writing)
    writer.start()
    try:
        table = read_dbf(path, program_encoding="cp1250", retry=Retry(attempts=5, pause=0.2))
    finally:
        writer.join()

    assert names(table) == FIRMS


def _changing(
    monkeypatch: pytest.MonkeyPatch, path: Path, change: Callable[[Path], object], times: int
) -> list[int]:
    """Let the program `change` the file just after each of our first `times` reads of it."""
    real = Path.read_bytes
    reads: list[int] = []

    def read_bytes(self: Path) -> bytes:
        data = real(self)
        if self == path:
            reads.append(len(data))
            if len(reads) <= times:
                change(self)
        return data

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


def test_file_that_changes_while_it_is_read_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = firms_file(tmp_path)
    header = read_header(path)
    offset = header.record_offset(2) + header.fields["KWOTA"].start
    updated = bytearray(path.read_bytes())
    updated[offset : offset + 12] = b"99.99".rjust(12)

    def program_writes(target: Path) -> None:
        stat = target.stat()
        target.write_bytes(bytes(updated))
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    reads = _changing(monkeypatch, path, program_writes, times=1)

    table = read(path)

    assert len(reads) == 2
    assert table.rows[1]["KWOTA"] == Decimal("99.99")


def test_file_rewritten_from_scratch_while_it_is_read_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The program empties the file just after our read and writes it whole before the retry.
    path = firms_file(tmp_path)
    whole = path.read_bytes()
    states = iter([b"", whole])
    reads = _changing(monkeypatch, path, lambda target: target.write_bytes(next(states)), times=2)

    table = read_dbf(path, program_encoding="cp1250", retry=Retry(attempts=3, pause=0.01))

    assert reads == [len(whole), 0, len(whole)]
    assert names(table) == FIRMS


def test_file_that_keeps_changing_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = firms_file(tmp_path)

    def touch(target: Path) -> None:
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    _changing(monkeypatch, path, touch, times=99)

    with pytest.raises(DbfError) as raised:
        read(path)

    assert str(raised.value).startswith(f"{path}: the file changed while it was read")


def _locked(monkeypatch: pytest.MonkeyPatch, path: Path, times: int) -> list[int]:
    """Make reading `path` fail as a Windows sharing violation does, `times` times."""
    real = Path.read_bytes
    attempts: list[int] = []

    def read_bytes(self: Path) -> bytes:
        if self == path:
            attempts.append(1)
            if len(attempts) <= times:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return attempts


def test_locked_file_is_retried_then_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = firms_file(tmp_path)
    attempts = _locked(monkeypatch, path, times=2)

    table = read_dbf(path, program_encoding="cp1250", retry=Retry(attempts=3, pause=0.01))

    assert len(attempts) == 3
    assert names(table) == FIRMS


def test_file_that_stays_locked_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = firms_file(tmp_path)
    attempts = _locked(monkeypatch, path, times=99)

    with pytest.raises(DbfError) as raised:
        read_dbf(path, program_encoding="cp1250", retry=Retry(attempts=3, pause=0.01))

    assert len(attempts) == 3
    assert str(raised.value).startswith(f"{path}: locked")
    assert "tried 3 times" in str(raised.value)


# --- tables by meaning (`tables.read_table`) --------------------------------------------------

SPEC = DbfSpec(
    title="Firmy",
    file="firmy{yy}.dbf",
    fields={"name": "NAZWA", "amount": "KWOTA", "date": "DATA", "note": "UWAGI"},
    optional=frozenset({"note"}),
)
CP1250 = Encoding(program="cp1250")


def read_firms(folder: Path, problems: list[SourceProblem], spec: DbfSpec = SPEC) -> Table:
    return read_table("buchalter", folder, spec, CP1250, problems, year=2024, nip="5260250274")


def test_table_rows_are_keyed_by_meaning_with_the_record_number(tmp_path: Path) -> None:
    firms_file(tmp_path, name="FIRMY24.DBF")
    problems: list[SourceProblem] = []

    table = read_firms(tmp_path, problems)

    assert table.path == tmp_path / "FIRMY24.DBF"
    assert table.encoding == "cp1250"
    assert [(row[RECORD], row["name"], row["amount"]) for row in table.rows] == [
        (1, FIRMS[0], Decimal("1234567.89")),
        (2, FIRMS[1], Decimal("0.10")),
        (3, FIRMS[2], Decimal("-0.30")),
    ]
    assert all("note" not in row for row in table.rows)
    assert problems == []


def test_table_of_a_missing_file_is_a_problem_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(TableProblem) as raised:
        read_firms(tmp_path, [])

    problem = raised.value.problem("5260250274")
    assert problem.program == "buchalter"
    assert problem.where == str(tmp_path / "firmy24.dbf")
    assert "file not found" in problem.message
    assert problem.nip == "5260250274"


def test_a_folder_where_the_table_should_be_is_said_to_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "FIRMY24.DBF").mkdir()

    with pytest.raises(TableProblem) as raised:
        read_firms(tmp_path, [])

    assert raised.value.where == str(tmp_path / "FIRMY24.DBF")
    assert "a folder, not a file" in raised.value.message


def test_table_in_a_missing_company_folder_is_a_problem_naming_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "FIRMA07"

    with pytest.raises(TableProblem) as raised:
        read_firms(folder, [])

    assert str(folder) in str(raised.value)


def test_table_name_matching_two_files_by_case_is_a_problem_naming_both(tmp_path: Path) -> None:
    firms_file(tmp_path, name="FIRMY24.DBF")
    firms_file(tmp_path, name="Firmy24.dbf")

    with pytest.raises(TableProblem) as raised:
        read_firms(tmp_path, [])

    assert raised.value.where == str(tmp_path)
    assert "FIRMY24.DBF, Firmy24.dbf" in raised.value.message


def test_table_missing_a_required_field_names_program_file_field_and_the_fields_present(
    tmp_path: Path,
) -> None:
    path = write_dbf(tmp_path / "FIRMY24.DBF", "NAZWA C(40); DATA D", [("Łódź", None)])

    with pytest.raises(TableProblem) as raised:
        read_firms(tmp_path, [])

    message = str(raised.value)
    assert message.startswith(f"buchalter: {path}: Firmy: ")
    assert "KWOTA missing" in message
    assert "the file has NAZWA, DATA" in message


def test_unreadable_table_is_a_problem_naming_file_and_reason(tmp_path: Path) -> None:
    path = firms_file(tmp_path, name="FIRMY24.DBF")
    cut(path, read_header(path).record_offset(3) + 2)

    with pytest.raises(TableProblem) as raised:
        read_table("buchalter", tmp_path, SPEC, CP1250, [], year=2024, retry=QUICK)

    assert raised.value.where == str(path)
    assert raised.value.message.startswith("Firmy: truncated")


def test_bad_records_and_file_problems_become_source_problems_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = write_dbf(
        tmp_path / "FIRMY24.DBF",
        "NAZWA C(40); KWOTA N(12,2); DATA D; UWAGI M",
        [(name, Decimal("1.00"), None, "uwaga") for name in FIRMS],
        codepage="cp852",
    )
    set_version(path, DBASE_IV_WITH_MEMO)
    path.with_suffix(".DBT").unlink()
    patch_field(path, 2, "KWOTA", b"*" * 12)
    problems: list[SourceProblem] = []

    table = read_table(
        "buchalter", tmp_path, SPEC, Encoding("cp852"), problems, year=2024, nip="5260250274"
    )

    assert [row["name"] for row in table.rows] == [FIRMS[0], FIRMS[2]]
    assert [row["note"] for row in table.rows] == [None, None]
    assert {problem.where for problem in problems} == {str(path)}
    assert {problem.nip for problem in problems} == {"5260250274"}
    memo, record = (problem.message for problem in problems)
    assert memo.startswith("Firmy: ") and "memo file" in memo
    assert record.startswith("Firmy: record 2, field KWOTA: overflow")
    assert record.endswith("(record skipped)")


def test_table_encoding_setting_wins_over_the_programs(tmp_path: Path) -> None:
    write_dbf(
        tmp_path / "FIRMY24.DBF",
        "NAZWA C(40); KWOTA N(12,2); DATA D",
        [(FIRMS[0], Decimal("1.00"), None)],
        codepage="mazovia",
    )

    table = read_table(
        "buchalter", tmp_path, SPEC, Encoding("cp1250", configured="cp991"), [], year=2024
    )

    assert table.encoding == "mazovia"
    assert table.rows[0]["name"] == FIRMS[0]
