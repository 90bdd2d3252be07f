"""The Buchalter reader against a data folder in Buchalter's layout, written by the Buchalter writer
(the `dbf` package, not the reader's dbfread).

Buchalter keeps one subfolder per company with per-year dBASE tables, and the employees' ZUS only
in an export the accountant confirms: every way a month can lack a part of its data must be said
for that company and month, and nothing partial sent. The folder holds a CP1250 company with
Polish names and a partners' ZUS correction that employs staff and lacks one month's export; a
company whose files are CP852 with a zero language-driver byte and upper-case names, with a `**`
overflow in an amount; a company without its 2026 declarations file; `.mdx` indexes beside the
tables; deleted records; a memo; months on both sides of a new year, in exact grosze.
"""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.buchalter.program import BuchalterProgram
from konekto_pipeline.sources.buchalter.reader import DATA_TYPES, BuchalterReader
from konekto_pipeline.sources.buchalter.writer import (
    BuchalterCompany,
    Declaration,
    EmployeesZus,
    LedgerLine,
    Partner,
    PartnerZus,
    write_buchalter,
)
from konekto_pipeline.sources.files.paths import FolderUnavailable, PathMap, UnmappedPath

PERIODS = ["2025-11", "2025-12", "2026-01", "2026-02"]
PARTNERSHIP = "5260250274"  # CP1250, employs, partners' correction, no export for 2026-02
BEEKEEPER = "5213017228"  # CP852, zero language driver, upper-case names, "**" overflows
LIMITED = "9542583988"  # legal person, full books, no b5dekl26.dbf

_P1_2025 = (148_591, 41_456, 12_185)
_P2_2025 = (40_123, 41_456, 0)
_P1_2026 = (163_398, 43_246, 13_421)


def _partner_zus(year: int, month: int, partner: int, parts: tuple[int, int, int], **extra):
    return PartnerZus(year, month, partner, *parts, **extra)


def _partnership() -> BuchalterCompany:
    ledger = [LedgerLine(date(2025, month, 10), 100_000, 40_000) for month in range(1, 11)]
    return BuchalterCompany(
        folder="ZIELINSKI",
        name="Żuraw s.c. Łukasz Zieliński, Świętosław Ćwik",
        nip="526-025-02-74",
        regon="012345675",
        email="biuro@żuraw.pl",
        phone="58 123 45 67",
        city="Gdańsk",
        legal_form="C",
        employs=True,
        partners=[Partner(1, "Zieliński", "Łukasz"), Partner(2, "Ćwik", "Świętosław")],
        partners_zus=[
            _partner_zus(2025, 11, 1, (999_999, 0, 0), deleted=True),
            _partner_zus(2025, 11, 1, _P1_2025),
            _partner_zus(2025, 11, 2, _P2_2025),
            _partner_zus(2025, 12, 1, _P1_2025),
            _partner_zus(2025, 12, 2, _P2_2025),
            _partner_zus(2026, 1, 1, _P1_2026),
            _partner_zus(2026, 1, 2, (40_123, 43_246, 0)),
            _partner_zus(2026, 1, 2, (45_000, 43_246, 0), correction=True),
            _partner_zus(2026, 2, 1, _P1_2026),
            _partner_zus(2026, 2, 2, (45_000, 43_246, 0)),
        ],
        employees_zus=[
            EmployeesZus(2025, 11, 50_000, 20_000, 4_900, exported=date(2025, 12, 5)),
            EmployeesZus(2025, 12, 50_000, 20_000, 4_900),
            EmployeesZus(2025, 12, 30_001, 10_002, 2_003, fep=1_004),
            EmployeesZus(2026, 1, 52_000, 21_000, 5_100),
        ],
        declarations=[
            Declaration(2025, 10, "VAT-7", 99_900),
            Declaration(2025, 11, "VAT-7", 123_449),
            Declaration(2025, 11, "PIT-5L", 56_750),
            Declaration(2025, 12, "VAT-7", 200_000),
            Declaration(2025, 12, "VAT-7", 210_050, correction=True),
            Declaration(2025, 12, "PIT-4", 70_000, deleted=True),
            Declaration(2025, 12, "PIT-11", 0),
            Declaration(2025, 12, "XYZ-9", 1_000),
            Declaration(
                2026, 1, "VAT-7", 0, refund=45_600, notes="Zwrot w terminie 60 dni — wniosek"
            ),
            Declaration(2026, 1, "PIT-5L", 61_249),
        ],
        ledger=[
            *ledger,
            LedgerLine(date(2025, 11, 3), 250_000, 100_000, "Sprzedaż usług — Gdańsk"),
            LedgerLine(date(2025, 11, 4), 999_999, 0, "Storno", deleted=True),
            LedgerLine(date(2025, 11, 28), 12_345, 0, "Odsetki"),
            LedgerLine(date(2025, 12, 15), 300_000, 150_099, "Usługa żurawia"),
            LedgerLine(date(2026, 1, 12), 80_000, 20_000),
            LedgerLine(date(2026, 2, 9), 90_000, 95_000),
        ],
    )


def _beekeeper() -> BuchalterCompany:
    return BuchalterCompany(
        folder="kowalczyk",
        name="Pasieka Łąka Bożena Kowalczyk-Źródło",
        nip="5213017228",
        vat_period="K",
        partners=[Partner(1, "Kowalczyk-Źródło", "Bożena")],
        partners_zus=[
            _partner_zus(2025, 11, 1, (160_000, 40_000, 12_000)),
            _partner_zus(2025, 12, 1, (160_000, 40_000, 12_000)),
            _partner_zus(2026, 1, 1, (170_000, 42_000, 13_000)),
        ],
        declarations=[
            Declaration(2025, 10, "VAT-7K", 77_777, notes="Zapłacono z opóźnieniem - łączna"),
            Declaration(2025, 12, "PIT-5", 33_300),
            Declaration(2026, 1, "PIT-5", 44_400, overflow="KWOTA"),
        ],
        ledger=[
            LedgerLine(date(2025, 11, 5), 400_000, 120_000, "Miód wielokwiatowy"),
            LedgerLine(date(2025, 12, 5), 500_000, 100_000, "Miód gryczany"),
            LedgerLine(date(2025, 12, 20), 20_000, 5_000, "Wosk pszczeli", overflow="KOSZTY"),
            LedgerLine(date(2026, 1, 7), 150_000, 50_000, "Pyłek"),
        ],
        encoding="cp852",
        language_driver=0,
        upper_case=True,
    )


def _limited() -> BuchalterCompany:
    return BuchalterCompany(
        folder="NOWAK",
        name="Nowak i Wspólnicy Sp. z o.o.",
        nip="9542583988",
        legal_form="P",
        tax_form="P",
        employs=True,
        years=(2025, 2026),
        employees_zus=[
            EmployeesZus(year, month, 100_000, 30_000, 8_000)
            for year, month in ((2025, 11), (2025, 12), (2026, 1), (2026, 2))
        ],
        declarations=[Declaration(2025, 11, "VAT-7", 500_000)],
        omit=frozenset({"b5dekl26"}),
    )


def _companies() -> list[BuchalterCompany]:
    return [_partnership(), _beekeeper(), _limited()]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the three companies and a subfolder that is not a company."""
    folder = tmp_path_factory.mktemp("office") / "BUCH"
    write_buchalter(folder, _companies())
    (folder / "ARCHIWUM").mkdir()
    (folder / "ARCHIWUM" / "czytaj.txt").write_text("stare lata")
    return folder


def _reader(folder: Path, **settings) -> BuchalterReader:
    return BuchalterReader(BuchalterProgram(folder=str(folder), **settings), PathMap(), folder)


@pytest.fixture(scope="module")
def data(office: Path) -> SourceData:
    return _reader(office).read(PERIODS)


def _rows(frame: pd.DataFrame, nip: str) -> dict[str, dict]:
    rows = frame[frame["nip"] == nip]
    return {row["period"]: row for row in rows.to_dict("records")}


def _messages(data: SourceData, nip: str | None) -> list[str]:
    return [f"{p.where}: {p.message}" for p in data.problems if p.nip == nip]


def _one(messages: list[str], *parts: str) -> str:
    found = [message for message in messages if all(part in message for part in parts)]
    assert len(found) == 1, (parts, messages)
    return found[0]


# --- companies -------------------------------------------------------------------------------


def test_data_types_are_zus_taxes_and_summaries() -> None:
    assert DATA_TYPES == ("zus", "taxes", "summaries")


def test_companies_keep_polish_names_in_each_files_code_page(data: SourceData) -> None:
    companies = data.companies.set_index("nip")
    assert sorted(companies.index) == sorted([PARTNERSHIP, BEEKEEPER, LIMITED])
    assert companies.loc[PARTNERSHIP, "name"] == "Żuraw s.c. Łukasz Zieliński, Świętosław Ćwik"
    assert companies.loc[BEEKEEPER, "name"] == "Pasieka Łąka Bożena Kowalczyk-Źródło"
    assert companies.loc[PARTNERSHIP, "email"] == "biuro@żuraw.pl"
    assert companies.loc[PARTNERSHIP, "regon"] == "012345675"
    assert companies.loc[BEEKEEPER, "source_company_id"] == "kowalczyk"
    assert set(companies["source"]) == {"buchalter"}


def test_company_codes_map_to_legal_form_tax_form_and_vat_period(data: SourceData) -> None:
    companies = data.companies.set_index("nip")
    assert companies.loc[PARTNERSHIP, ["legal_form", "tax_form", "vat_period"]].tolist() == [
        "other",
        "kpir",
        "M",
    ]
    assert companies.loc[BEEKEEPER, "vat_period"] == "Q"
    assert companies.loc[LIMITED, ["legal_form", "tax_form"]].tolist() == [
        "legal_person",
        "full_books",
    ]


def test_every_frame_passes_its_schema(data: SourceData) -> None:
    for kind in ("companies", "zus", "taxes", "summaries"):
        result = validate(kind, data.frame(kind))
        assert result.structural == [] and result.row_failures.empty, kind


# --- ZUS -------------------------------------------------------------------------------------


def test_zus_adds_partners_latest_lines_and_employees_export(data: SourceData) -> None:
    zus = _rows(data.zus, PARTNERSHIP)
    november = zus["2025-11"]  # the deleted register line is not counted
    assert (november["social"], november["health"], november["labour_fund"]) == (
        148_591 + 40_123 + 50_000,
        41_456 * 2 + 20_000,
        12_185 + 4_900,
    )
    assert november["total"] == 238_714 + 102_912 + 17_085
    assert november["kind"] == "D"
    assert november["due_date"] == pd.Timestamp("2025-12-22")  # 20th is a Saturday
    december = zus["2025-12"]  # two employees' lines in the export, one with FEP
    assert december["social"] == 148_591 + 40_123 + 50_000 + 30_001
    assert december["fep"] == 1_004
    assert december["total"] == 268_715 + 112_914 + 19_088 + 1_004
    assert (december["declaration_no"], december["deductions"], december["refund"]) == (1, 0, 0)
    assert december["account"] is None


def test_partners_correction_replaces_the_line_it_corrects_and_makes_the_row_k(
    data: SourceData,
) -> None:
    january = _rows(data.zus, PARTNERSHIP)["2026-01"]
    assert january["kind"] == "K"
    assert january["social"] == 163_398 + 45_000 + 52_000
    assert january["total"] == 260_398 + (43_246 * 2 + 21_000) + (13_421 + 5_100)
    assert january["due_date"] == pd.Timestamp("2026-02-20")


def test_employing_company_without_the_months_export_sends_no_zus_for_it(
    data: SourceData,
) -> None:
    assert "2026-02" not in _rows(data.zus, PARTNERSHIP)
    message = _one(_messages(data, PARTNERSHIP), "2026-02", "employees' ZUS export")
    assert "zusp202602.dbf" in message
    assert "generate the ZUS declaration report in Buchalter and confirm the export" in message
    assert str(Path("ZIELINSKI") / "zusp202602.dbf") in message


def test_company_without_staff_and_without_partner_lines_gets_no_zus_for_the_month(
    data: SourceData,
) -> None:
    zus = _rows(data.zus, BEEKEEPER)
    assert sorted(zus) == ["2025-11", "2025-12", "2026-01"]
    assert zus["2026-01"]["total"] == 170_000 + 42_000 + 13_000
    _one(_messages(data, BEEKEEPER), "no partners' ZUS lines for 2026-02")


def test_company_without_partners_pays_its_employees_zus_by_the_15th(data: SourceData) -> None:
    zus = _rows(data.zus, LIMITED)
    assert sorted(zus) == PERIODS
    assert {row["total"] for row in zus.values()} == {138_000}
    assert zus["2026-01"]["due_date"] == pd.Timestamp("2026-02-16")  # 15th is a Sunday


# --- taxes -----------------------------------------------------------------------------------


def test_taxes_are_the_latest_declaration_in_whole_zloty_with_due_dates(data: SourceData) -> None:
    taxes = data.taxes[data.taxes["nip"] == PARTNERSHIP]
    found = {
        (row["period"], row["tax"]): (row["kind"], row["amount"], row["due_date"])
        for row in taxes.to_dict("records")
    }
    assert found == {
        ("2025-11", "VAT-7"): ("D", 123_400, pd.Timestamp("2025-12-29")),
        ("2025-11", "PIT-5L"): ("D", 56_800, pd.Timestamp("2025-12-22")),
        ("2025-12", "VAT-7"): ("K", 210_100, pd.Timestamp("2026-01-26")),
        ("2026-01", "VAT-7"): ("D", 0, pd.Timestamp("2026-02-25")),
        ("2026-01", "PIT-5L"): ("D", 61_200, pd.Timestamp("2026-02-20")),
    }
    assert set(taxes["account"]) == {micro_account(PARTNERSHIP)}
    refund = taxes[(taxes["period"] == "2026-01") & (taxes["tax"] == "VAT-7")]["refund"]
    assert refund.tolist() == [45_600]


def test_unmapped_declaration_code_is_reported_and_annual_ones_are_not(data: SourceData) -> None:
    messages = _messages(data, PARTNERSHIP)
    _one(messages, "'XYZ-9'", "DECLARATION_CODES")
    assert not [message for message in messages if "PIT-11" in message]


def test_quarterly_vat_carries_the_quarters_last_month(data: SourceData) -> None:
    taxes = _rows(data.taxes[data.taxes["tax"] == "VAT-7K"], BEEKEEPER)
    assert list(taxes) == ["2025-12"]
    assert taxes["2025-12"]["amount"] == 77_800
    assert taxes["2025-12"]["due_date"] == pd.Timestamp("2026-01-26")


def test_overflowed_declaration_amount_withholds_that_tax_and_month_only(
    data: SourceData,
) -> None:
    taxes = data.taxes[data.taxes["nip"] == BEEKEEPER]
    assert sorted(zip(taxes["period"], taxes["tax"], strict=True)) == [
        ("2025-12", "PIT-5"),
        ("2025-12", "VAT-7K"),
    ]
    messages = _messages(data, BEEKEEPER)
    record = _one(messages, "B5DEKL26.DBF", "KWOTA", "overflow")
    assert "record 1" in record
    _one(messages, "PIT-5 for 2026-01 is not sent")


def test_missing_declarations_file_is_a_problem_of_that_company_and_months(
    data: SourceData,
) -> None:
    message = _one(_messages(data, LIMITED), "b5dekl26.dbf")
    assert "file not found" in message
    assert "taxes for 2026-01, 2026-02 are not read" in message
    assert _rows(data.taxes, LIMITED)["2025-11"]["amount"] == 500_000
    assert len(_rows(data.zus, LIMITED)) == 4


# --- summaries -------------------------------------------------------------------------------


def test_summaries_add_kpir_lines_per_month_with_year_to_date_across_new_year(
    data: SourceData,
) -> None:
    summaries = _rows(data.summaries, PARTNERSHIP)
    columns = ["revenue", "costs", "income", "revenue_ytd", "costs_ytd"]
    got = {month: [row[column] for column in columns] for month, row in summaries.items()}
    assert got == {
        "2025-11": [262_345, 100_000, 162_345, 1_000_000 + 262_345, 400_000 + 100_000],
        "2025-12": [300_000, 150_099, 149_901, 1_562_345, 650_099],
        "2026-01": [80_000, 20_000, 60_000, 80_000, 20_000],
        "2026-02": [90_000, 95_000, -5_000, 170_000, 115_000],
    }


def test_overflowed_ledger_amount_withholds_the_months_summary_and_later_ytd(
    data: SourceData,
) -> None:
    summaries = _rows(data.summaries, BEEKEEPER)
    assert sorted(summaries) == ["2025-11", "2026-01"]
    assert summaries["2025-11"]["revenue"] == 400_000
    assert summaries["2026-01"]["revenue_ytd"] == 150_000
    messages = _messages(data, BEEKEEPER)
    _one(messages, "B5KPIR25.DBF", "record 3, field KOSZTY", "overflow")
    _one(messages, "the summary for 2025-12 is not sent")
    _one(messages, "no KPiR entries for 2026-02")


def test_full_books_company_has_no_kpir_summaries_and_no_problem_for_it(
    data: SourceData,
) -> None:
    assert _rows(data.summaries, LIMITED) == {}
    assert not [m for m in _messages(data, LIMITED) if "KPiR" in m or "b5kpir" in m]


# --- files and code pages --------------------------------------------------------------------


def test_dos_code_page_company_is_read_without_problems_in_its_text(data: SourceData) -> None:
    messages = _messages(data, BEEKEEPER)
    assert not [m for m in messages if "code page" in m or "is not a character" in m]


def test_mdx_indexes_stay_beside_tables_and_upper_case_names_are_found(office: Path) -> None:
    names = sorted(path.name for path in (office / "kowalczyk").iterdir())
    assert "B5FIRMA.DBF" in names and "B5FIRMA.MDX" in names and "B5DEKL25.DBT" in names
    probe = _reader(office).probe()
    files = probe["companies"]["kowalczyk"]["files"]
    assert "B5FIRMA.DBF" in files
    assert not [name for name in files if name.upper().endswith((".MDX", ".DBT"))]


def test_periods_none_reads_every_month_found(office: Path) -> None:
    data = _reader(office).read(None)
    assert sorted(_rows(data.zus, PARTNERSHIP)) == ["2025-11", "2025-12", "2026-01"]
    assert "2026-02" in _rows(data.zus, LIMITED)
    taxes = data.taxes[data.taxes["nip"] == PARTNERSHIP]
    assert ("2025-10", "VAT-7") in set(zip(taxes["period"], taxes["tax"], strict=True))
    summaries = _rows(data.summaries, PARTNERSHIP)
    assert sorted(summaries)[0] == "2025-01" and sorted(summaries)[-1] == "2026-02"
    assert not [m for m in _messages(data, LIMITED) if "b5dekl26" in m]


def test_a_month_asked_for_in_a_year_with_no_files_is_a_problem_per_table(office: Path) -> None:
    data = _reader(office).read(["2024-12"])
    assert data.zus.empty and data.taxes.empty and data.summaries.empty
    message = _one(_messages(data, PARTNERSHIP), "b5zusw24.dbf")
    assert "ZUS for 2024-12 is not sent" in message


def test_overflowed_partner_amount_withholds_that_months_zus_only(tmp_path: Path) -> None:
    company = _beekeeper()
    lines = list(company.partners_zus)
    lines[1] = replace(lines[1], overflow="ZDROWOTNE")
    write_buchalter(tmp_path, [replace(company, partners_zus=lines)])
    data = _reader(tmp_path).read(PERIODS)
    assert sorted(_rows(data.zus, BEEKEEPER)) == ["2025-11", "2026-01"]
    messages = _messages(data, BEEKEEPER)
    _one(messages, "B5ZUSW25.DBF", "record 2, field ZDROWOTNE", "overflow")
    _one(messages, "ZUS for 2025-12 is not sent", "partners' ZUS register")


def test_register_line_of_unknown_month_withholds_the_years_zus(tmp_path: Path) -> None:
    company = _beekeeper()
    lines = [*company.partners_zus, PartnerZus(2025, 12, 1, 1, 1, overflow="MIESIAC")]
    write_buchalter(tmp_path, [replace(company, partners_zus=lines)])
    data = _reader(tmp_path).read(PERIODS)
    assert sorted(_rows(data.zus, BEEKEEPER)) == ["2026-01"]
    messages = _messages(data, BEEKEEPER)
    for month in ("2025-11", "2025-12"):
        _one(messages, f"ZUS for {month} is not sent", "month cannot be told")


def test_unreadable_employees_export_withholds_that_months_zus(tmp_path: Path) -> None:
    company = _limited()
    exports = list(company.employees_zus)
    exports[1] = replace(exports[1], overflow="SPOLECZNE")
    write_buchalter(tmp_path, [replace(company, employees_zus=exports)])
    data = _reader(tmp_path).read(PERIODS)
    assert sorted(_rows(data.zus, LIMITED)) == ["2025-11", "2026-01", "2026-02"]
    message = _one(_messages(data, LIMITED), "not every line can be read")
    assert "zusp202512.dbf" in message and "ZUS for 2025-12 is not sent" in message


def test_missing_required_field_names_program_file_and_field(tmp_path: Path) -> None:
    company = replace(_beekeeper(), omit_fields={"b5zusw": {"ZDROWOTNE"}}, upper_case=False)
    write_buchalter(tmp_path, [company])
    data = _reader(tmp_path).read(["2026-01"])
    problem = [p for p in data.problems if "ZDROWOTNE" in p.message]
    assert len(problem) == 1
    assert problem[0].program == "buchalter"
    assert problem[0].where.endswith("b5zusw26.dbf")
    assert problem[0].nip == BEEKEEPER
    assert "ZUS for 2026-01 is not sent" in problem[0].message
    assert data.zus.empty and len(data.summaries) == 1


def test_missing_memo_file_is_said_and_the_declarations_are_still_read(tmp_path: Path) -> None:
    write_buchalter(tmp_path, [_partnership()])
    (tmp_path / "ZIELINSKI" / "b5dekl26.dbt").unlink()
    data = _reader(tmp_path).read(["2026-01"])
    _one(_messages(data, PARTNERSHIP), "b5dekl26.dbf", "memo file")
    assert sorted(data.taxes["tax"]) == ["PIT-5L", "VAT-7"]


def test_company_without_nip_is_skipped_and_unknown_codes_are_said(tmp_path: Path) -> None:
    no_nip = replace(_limited(), folder="BEZNIPU", nip="", name="Bez NIP-u")
    odd = replace(_limited(), legal_form="X")
    write_buchalter(tmp_path, [no_nip, odd])
    data = _reader(tmp_path).read(["2025-11"])
    assert data.companies["nip"].tolist() == [LIMITED]
    assert data.companies["legal_form"].tolist() == [None]
    _one(_messages(data, None), "BEZNIPU", "has no NIP")
    _one(_messages(data, LIMITED), "FORMA code 'X'", "LEGAL_FORMS")


# --- settings and paths ----------------------------------------------------------------------


def test_windows_folders_are_mapped_through_the_path_map(tmp_path: Path) -> None:
    write_buchalter(tmp_path / "c" / "BUCH", [_limited()])
    exports = tmp_path / "serwer" / "eksport"
    program = BuchalterProgram(folder="C:\\BUCH", zus_export_folder="\\\\SERWER\\dane\\eksport")
    paths = PathMap({"C:": tmp_path / "c", "\\\\SERWER\\dane": tmp_path / "serwer"})
    data = BuchalterReader(program, paths, tmp_path).read(["2025-11"])
    assert data.companies["nip"].tolist() == [LIMITED]
    assert _rows(data.zus, LIMITED) == {}  # exports are looked for in the export folder only
    _one(_messages(data, LIMITED), str(exports / "NOWAK" / "zusp202511.dbf"))
    with pytest.raises(UnmappedPath, match="C:"):
        BuchalterReader(program, PathMap(), tmp_path).read(["2025-11"])


def test_employees_exports_are_read_from_the_export_folder_when_set(tmp_path: Path) -> None:
    exports = tmp_path / "eksport"
    write_buchalter(tmp_path / "BUCH", [_limited()], zus_export_folder=exports)
    data = _reader(tmp_path / "BUCH", zus_export_folder=str(exports)).read(["2025-12"])
    assert _rows(data.zus, LIMITED)["2025-12"]["total"] == 138_000


def test_companies_setting_limits_the_read_and_names_missing_folders(office: Path) -> None:
    data = _reader(office, companies=["nowak", "BRAK", "ARCHIWUM"]).read(["2025-11"])
    assert data.companies["nip"].tolist() == [LIMITED]
    messages = _messages(data, None)
    _one(messages, "BRAK", "programs.buchalter.companies", "not found")
    _one(messages, "ARCHIWUM", "b5firma.dbf")


def test_missing_data_folder_raises_folder_unavailable(tmp_path: Path) -> None:
    reader = _reader(tmp_path / "BUCH")
    for call in (lambda: reader.read(PERIODS), reader.check, reader.probe):
        with pytest.raises(FolderUnavailable, match="programs.buchalter.folder"):
            call()


# --- check and probe -------------------------------------------------------------------------


def test_check_counts_companies_and_years(office: Path) -> None:
    assert _reader(office).check() == (
        f"works: 3 companies in {office} ({office}), years 2025-2026"
    )


def test_check_refuses_a_folder_without_company_subfolders(tmp_path: Path) -> None:
    (tmp_path / "Program").mkdir()
    with pytest.raises(FolderUnavailable, match="holds no company subfolder"):
        _reader(tmp_path).check()


def test_probe_lists_files_code_pages_fields_and_declaration_codes(office: Path) -> None:
    probe = _reader(office).probe()
    assert list(probe["companies"]) == ["kowalczyk", "NOWAK", "ZIELINSKI"]
    assert probe["other_subfolders"] == ["ARCHIWUM"]
    partnership = probe["companies"]["ZIELINSKI"]
    assert partnership["nip"] == PARTNERSHIP
    assert partnership["years"] == [2025, 2026]
    assert partnership["employees_zus_exports"] == ["2025-11", "2025-12", "2026-01"]
    zusw = partnership["files"]["b5zusw25.dbf"]
    assert (zusw["records"], zusw["deleted"]) == (4, 1)
    assert "SPOLECZNE" in zusw["fields"]
    assert partnership["files"]["b5firma.dbf"]["why"] == "language driver 0xC8"
    assert partnership["declaration_codes"]["VAT-7"] == {"declarations": 5, "tax": "VAT-7"}
    assert partnership["declaration_codes"]["PIT-11"]["tax"] == "ignored"
    assert partnership["declaration_codes"]["XYZ-9"]["tax"] is None
    assert partnership["declaration_notes"] == 1
    beekeeper = probe["companies"]["kowalczyk"]
    company_file = beekeeper["files"]["B5FIRMA.DBF"]
    assert (company_file["encoding"], company_file["language_driver"]) == ("cp852", "0x00")
    assert "Polish only in cp852" in company_file["why"]
    assert beekeeper["code_page"] == "cp852"
    assert beekeeper["declaration_notes"] == 1
    assert beekeeper["files"]["B5KPIR25.DBF"]["unreadable_records"]
    assert probe["table_map"]["partners' ZUS register"]["file"] == "b5zusw{yy}.dbf"
