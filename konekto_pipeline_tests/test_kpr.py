"""The KPR reader against real year folders in KPR's (guessed) layout, written by the KPR writer.

KPR keeps a folder per fiscal year, so a range of months across a new year must read two
folders, and a year whose folder is missing must cost only its own months. Taxes come only
from ImportDoKPR's export: a missing export, or a month booked in the ledger but absent from
the export, must be said per year or per company and month, never sent as zero.

The files are what DOS-era programs leave: Mazovia text with a zero language-driver byte (read
as CP852 it would give valid but wrong letters, so the detection is checked), one year in CP852
with driver 0x64, a deleted ledger line, a memo in a .DBT file, an amount padded with NULs and
one that overflowed to `**`. Settings use the Windows pattern `C:\\KPR_{year}`, mapped to the
test folder the way a Linux workstation maps its drives.
"""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceProblem
from konekto_pipeline.sources.files.paths import FolderUnavailable, PathMap, UnmappedPath
from konekto_pipeline.sources.kpr.program import KprProgram
from konekto_pipeline.sources.kpr.reader import DATA_TYPES, KprReader
from konekto_pipeline.sources.kpr.writer import (
    ExportLine,
    KprCompany,
    KprYear,
    LedgerLine,
    overwrite_field,
    write_kpr,
    write_kpr_year,
)

ZOLW = "5260250274"  # also in the Optima, Płatnik, Raks and Fakt fixtures
LODZ = "5213017228"  # ryczałt, quarterly VAT
DZWIG = "9542583988"  # no export line for February
CMA = "7740001454"  # inactive
STRANGER = "6462933516"  # in the export, on no company list

ZOLW_NAME = "Przedsiębiorstwo Handlowe Żółw"
LODZ_NAME = "Łódzka Spółdzielnia Ślusarzy"
DZWIG_NAME = "Dźwig Gęsiński"
MEMO = "Faktura korygująca - zwrot żółwia"

Q1 = ["2026-01", "2026-02", "2026-03"]
WINTER = ["2025-11", "2025-12", "2026-01", "2026-02"]
NUL_PADDED = b"     60.00\x00\x00"
OVERFLOW = b"*" * 12


def _year_2026() -> KprYear:
    return KprYear(
        2026,
        companies=[
            KprCompany("ZOLW", ZOLW_NAME, "526-025-02-74", regon="123456785"),
            KprCompany("LODZ", LODZ_NAME, LODZ, ryczalt=True, vat="K"),
            KprCompany("DZWIG", DZWIG_NAME, DZWIG, vat="N"),
            KprCompany("CMA", "Ćma Józef", CMA, active=False),
        ],
        ledger=[
            LedgerLine("ZOLW", 1, date(2026, 1, 5), "Sprzedaż towarów", revenue=100_050),
            LedgerLine("ZOLW", 2, date(2026, 1, 12), "Zakup materiałów", costs=20_025, memo=MEMO),
            LedgerLine("ZOLW", 3, date(2026, 1, 20), "Błędny wpis", revenue=99_999, deleted=True),
            LedgerLine("ZOLW", 3, date(2026, 2, 3), "Sprzedaż usług", revenue=50_000),
            LedgerLine("ZOLW", 4, date(2026, 2, 10), "Paliwo"),  # costs: NUL-padded 60.00
            LedgerLine("ZOLW", 5, date(2026, 2, 15), "Przelew"),  # revenue: ** overflow
            LedgerLine("ZOLW", 6, date(2026, 3, 2), "Sprzedaż", revenue=10_000),
            LedgerLine("LODZ", 1, date(2026, 1, 15), "Usługi ślusarskie", revenue=200_000),
            LedgerLine("LODZ", 2, date(2026, 3, 10), "Usługi", revenue=30_000),
            LedgerLine("DZWIG", 1, date(2026, 1, 8), "Wynajem dźwigu", 15_000, 5_000),
            LedgerLine("DZWIG", 2, date(2026, 2, 8), "Wynajem", revenue=8_000),
            LedgerLine("DZWIG", 3, date(2025, 12, 31), "Zeszłoroczny", revenue=1_000),
            LedgerLine("CMA", 1, date(2026, 1, 3), "Sprzedaż", revenue=5_000),
        ],
        export=[
            ExportLine(ZOLW, 2026, 1, "VAT7", 130_050, correction=True),
            ExportLine(ZOLW, 2026, 1, "VAT7", 123_449),  # later, but the correction wins
            ExportLine(ZOLW, 2026, 1, "PIT5", 32_150),
            ExportLine(ZOLW, 2026, 2, "VAT7", 0, carried_forward=15_000),
            ExportLine(ZOLW, 2026, 2, "PIT5", 4_500),
            ExportLine(ZOLW, 2026, 3, "VAT7", 1_000),
            ExportLine(LODZ, 2026, 1, "PIT28", 4_444),
            ExportLine(LODZ, 2026, 3, "VAT7K", 77_777),
            ExportLine(LODZ, 2026, 3, "PIT28", 3_000),
            ExportLine(DZWIG, 2026, 1, "PIT5", 1_200),
            ExportLine(CMA, 2026, 1, "VAT7", 5_000),
            ExportLine(STRANGER, 2026, 1, "VAT7", 10_000),
            ExportLine(ZOLW, 2026, 1, "ZUS", 180_000),
        ],
    )


def _year_2025() -> KprYear:
    return KprYear(
        2025,
        companies=[
            KprCompany("HANDEL", ZOLW_NAME, ZOLW),
            KprCompany("LODZ", LODZ_NAME, LODZ, ryczalt=True, vat="K"),
        ],
        ledger=[
            LedgerLine("HANDEL", 1, date(2025, 1, 10), "Sprzedaż", 1_000_000, 400_000),
            LedgerLine("HANDEL", 2, date(2025, 11, 5), "Sprzedaż", 250_000, 100_000),
            LedgerLine("HANDEL", 3, date(2025, 12, 12), "Sprzedaż", 300_000, 50_000),
            LedgerLine("LODZ", 1, date(2025, 12, 1), "Usługi ślusarskie", revenue=40_000),
        ],
        export=[
            ExportLine(ZOLW, 2025, 11, "VAT7", 50_000),
            ExportLine(ZOLW, 2025, 11, "PIT5", 10_049),
            ExportLine(ZOLW, 2025, 12, "VAT7", 60_000),
            ExportLine(ZOLW, 2025, 12, "PIT5", 20_000),
            ExportLine(LODZ, 2025, 12, "VAT7K", 9_050),
            ExportLine(LODZ, 2025, 12, "PIT28", 1_200),
        ],
        codepage="cp852",
        language_driver=0x64,
    )


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """The C: drive of an office with KPR_2025 (CP852) and KPR_2026 (Mazovia, driver 0)."""
    drive = tmp_path / "c"
    folders = write_kpr(drive, [_year_2025(), _year_2026()])
    ledger = folders[2026] / "ZOLW" / "KSIEGA.DBF"
    overwrite_field(ledger, 5, "KOSZTY", NUL_PADDED)
    overwrite_field(ledger, 6, "PRZYCHOD", OVERFLOW)
    return drive


def _reader(drive: Path, today: date = date(2026, 3, 10), **settings: object) -> KprReader:
    program = KprProgram(**settings)  # type: ignore[arg-type]
    paths = PathMap({"C:": drive, "D:": drive.parent / "d"})
    return KprReader(program, paths, drive.parent, today=lambda: today)


def _messages(problems: list[SourceProblem]) -> list[str]:
    return [str(problem) for problem in problems]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    return sorted(tuple(row) for row in rows.itertuples(index=False))


def _tax(nip: str, period: str, tax: str, kind: str, amount: int, due: str, **extra: object):
    return (nip, period, tax, kind, amount, extra.get("refund"), extra.get("carried"), due)


TAX_COLUMNS = ["nip", "period", "tax", "kind", "amount", "refund", "carried_forward", "due_date"]
SUMMARY_COLUMNS = ["nip", "period", "revenue", "costs", "income", "revenue_ytd", "costs_ytd"]


def _taxes(frame: pd.DataFrame) -> list[tuple]:
    frame = frame.assign(due_date=frame["due_date"].dt.strftime("%Y-%m-%d"))
    return _rows(frame, TAX_COLUMNS)


# --- reading a year ---------------------------------------------------------------------------


def test_data_types_are_taxes_and_summaries() -> None:
    assert DATA_TYPES == ("taxes", "summaries")


def test_companies_of_the_year_with_polish_names_from_mazovia_files(office: Path) -> None:
    data = _reader(office).read(Q1)

    assert _rows(
        data.companies, ["nip", "source_company_id", "name", "tax_form", "vat_period"]
    ) == [
        (LODZ, "LODZ", LODZ_NAME, "ryczalt", "Q"),
        (ZOLW, "ZOLW", ZOLW_NAME, "kpir", "M"),
        (DZWIG, "DZWIG", DZWIG_NAME, "kpir", None),
    ]
    assert data.companies.set_index("nip").loc[ZOLW, "regon"] == "123456785"
    assert set(data.companies["source"]) == {"kpr"}


def test_taxes_come_from_the_export_in_whole_zloty_with_due_dates(office: Path) -> None:
    data = _reader(office).read(Q1)

    assert _taxes(data.taxes) == [
        _tax(LODZ, "2026-01", "PIT-28", "D", 4_400, "2026-02-20"),
        _tax(LODZ, "2026-03", "PIT-28", "D", 3_000, "2026-04-20"),
        _tax(LODZ, "2026-03", "VAT-7K", "D", 77_800, "2026-04-27"),
        _tax(ZOLW, "2026-01", "PIT-5", "D", 32_200, "2026-02-20"),
        _tax(ZOLW, "2026-01", "VAT-7", "K", 130_100, "2026-02-25"),
        _tax(ZOLW, "2026-02", "PIT-5", "D", 4_500, "2026-03-20"),
        _tax(ZOLW, "2026-02", "VAT-7", "D", 0, "2026-03-25", carried=15_000),
        _tax(ZOLW, "2026-03", "VAT-7", "D", 1_000, "2026-04-27"),
        _tax(DZWIG, "2026-01", "PIT-5", "D", 1_200, "2026-02-20"),
    ]
    accounts = dict(zip(data.taxes["nip"], data.taxes["account"], strict=True))
    assert accounts[ZOLW] == micro_account(ZOLW)


def test_a_quarterly_vat_line_is_read_only_with_the_quarters_last_month(office: Path) -> None:
    february = _reader(office).read(["2026-02"])
    march = _reader(office).read(["2026-03"])

    assert "VAT-7K" not in set(february.taxes["tax"])
    assert _taxes(march.taxes[march.taxes["tax"] == "VAT-7K"]) == [
        _tax(LODZ, "2026-03", "VAT-7K", "D", 77_800, "2026-04-27")
    ]


def test_summaries_sum_the_months_ledger_lines_with_year_to_date(office: Path) -> None:
    data = _reader(office).read(Q1)

    assert _rows(data.summaries, SUMMARY_COLUMNS) == [
        (LODZ, "2026-01", 200_000, 0, 200_000, 200_000, 0),
        (LODZ, "2026-03", 30_000, 0, 30_000, 230_000, 0),
        (ZOLW, "2026-01", 100_050, 20_025, 80_025, 100_050, 20_025),
        (ZOLW, "2026-02", 50_000, 6_000, 44_000, 150_050, 26_025),
        (ZOLW, "2026-03", 10_000, 0, 10_000, 160_050, 26_025),
        (DZWIG, "2026-01", 15_000, 5_000, 10_000, 15_000, 5_000),
        (DZWIG, "2026-02", 8_000, 0, 8_000, 23_000, 5_000),
    ]


def test_year_to_date_counts_months_not_asked_for(office: Path) -> None:
    data = _reader(office).read(["2026-03"])

    assert _rows(data.summaries[data.summaries["nip"] == ZOLW], SUMMARY_COLUMNS) == [
        (ZOLW, "2026-03", 10_000, 0, 10_000, 160_050, 26_025)
    ]


def test_the_nul_padded_amount_is_read_exactly(office: Path) -> None:
    ledger = office / "KPR_2026" / "ZOLW" / "KSIEGA.DBF"
    assert b"60.00\x00\x00" in ledger.read_bytes()

    data = _reader(office).read(["2026-02"])

    february = data.summaries.set_index("nip").loc[ZOLW]
    assert february["costs"] == 6_000


def test_a_deleted_ledger_line_is_not_counted(office: Path) -> None:
    ledger = office / "KPR_2026" / "ZOLW" / "KSIEGA.DBF"
    assert "Błędny wpis".encode("mazovia") in ledger.read_bytes()

    data = _reader(office).read(["2026-01"])

    assert data.summaries.set_index("nip").loc[ZOLW, "revenue"] == 100_050


def test_problems_of_the_year_name_file_record_company_and_what_to_do(office: Path) -> None:
    data = _reader(office).read(Q1)

    folder = office / "KPR_2026"
    export = folder / "EKSPORT" / "KPREXP.DBF"
    assert _messages(data.problems) == [
        f"kpr: {folder / 'ZOLW' / 'KSIEGA.DBF'} (NIP {ZOLW}): ledger (KPiR): record 6, field "
        "PRZYCHOD: overflow mark '************': the value did not fit (record skipped)",
        f"kpr: {folder / 'DZWIG' / 'KSIEGA.DBF'} (NIP {DZWIG}): ledger (KPiR): 1 line(s) dated "
        "outside 2026 are not counted (the year's folder should hold its own year)",
        f"kpr: {export} (NIP {STRANGER}): ImportDoKPR export: 1 line(s) for NIP {STRANGER}, "
        "which is on no company list (FIRMY.DBF) of the year; they are skipped: add the company "
        "in KPR or correct the NIP",
        f"kpr: {export}: ImportDoKPR export: 1 line(s) with tax code 'ZUS' (PODATEK), which the "
        "table map does not know; they are skipped: add the code to TAX_CODES in "
        "konekto_pipeline/sources/kpr/settings.py",
        f"kpr: {export} (NIP {DZWIG}): no taxes in the ImportDoKPR export for 2026-02, though "
        "the ledger has entries for it: run the export in KPR for the month",
    ]


def test_frames_pass_the_schemas(office: Path) -> None:
    data = _reader(office).read(WINTER)

    for kind in ("companies", "taxes", "summaries"):
        checked = validate(kind, data.frame(kind))
        assert checked.structural == []
        assert checked.row_failures.empty
        assert len(checked.valid) == len(data.frame(kind)) > 0


# --- two years ----------------------------------------------------------------------------------


def test_a_range_across_the_new_year_reads_both_year_folders(office: Path) -> None:
    data = _reader(office).read(WINTER)

    assert _rows(data.summaries, SUMMARY_COLUMNS) == [
        (LODZ, "2025-12", 40_000, 0, 40_000, 40_000, 0),
        (LODZ, "2026-01", 200_000, 0, 200_000, 200_000, 0),
        (ZOLW, "2025-11", 250_000, 100_000, 150_000, 1_250_000, 500_000),
        (ZOLW, "2025-12", 300_000, 50_000, 250_000, 1_550_000, 550_000),
        (ZOLW, "2026-01", 100_050, 20_025, 80_025, 100_050, 20_025),
        (ZOLW, "2026-02", 50_000, 6_000, 44_000, 150_050, 26_025),
        (DZWIG, "2026-01", 15_000, 5_000, 10_000, 15_000, 5_000),
        (DZWIG, "2026-02", 8_000, 0, 8_000, 23_000, 5_000),
    ]
    assert _taxes(data.taxes[data.taxes["period"] < "2026-01"]) == [
        _tax(LODZ, "2025-12", "PIT-28", "D", 1_200, "2026-01-20"),
        _tax(LODZ, "2025-12", "VAT-7K", "D", 9_100, "2026-01-26"),
        _tax(ZOLW, "2025-11", "PIT-5", "D", 10_000, "2025-12-22"),
        _tax(ZOLW, "2025-11", "VAT-7", "D", 50_000, "2025-12-29"),
        _tax(ZOLW, "2025-12", "PIT-5", "D", 20_000, "2026-01-20"),
        _tax(ZOLW, "2025-12", "VAT-7", "D", 60_000, "2026-01-26"),
    ]
    assert len(data.taxes[data.taxes["period"] >= "2026-01"]) == 6


def test_a_company_on_both_years_lists_is_one_company_with_the_newest_code(office: Path) -> None:
    data = _reader(office).read(WINTER)

    assert sorted(data.companies["nip"]) == [LODZ, ZOLW, DZWIG]
    zolw_rows = pd.concat([data.taxes, data.summaries])
    assert set(zolw_rows[zolw_rows["nip"] == ZOLW]["source_company_id"]) == {"ZOLW"}


def test_a_cp852_year_folder_with_driver_0x64_is_read_as_cp852(office: Path) -> None:
    firms = (office / "KPR_2025" / "FIRMY.DBF").read_bytes()
    assert firms[29] == 0x64
    assert ZOLW_NAME.encode("cp852") in firms

    data = _reader(office).read(["2025-12"])

    assert set(data.companies["name"]) == {LODZ_NAME, ZOLW_NAME}


def test_mazovia_read_as_cp852_would_give_wrong_letters(office: Path) -> None:
    firms = (office / "KPR_2026" / "FIRMY.DBF").read_bytes()
    raw_name = ZOLW_NAME.encode("mazovia")
    assert firms[29] == 0x00
    assert raw_name in firms
    assert raw_name.decode("cp852") != ZOLW_NAME

    detected = _reader(office).read(["2026-01"])
    forced = _reader(office, encoding="cp852").read(["2026-01"])

    assert ZOLW_NAME in set(detected.companies["name"])
    assert raw_name.decode("cp852") in set(forced.companies["name"])


def test_a_missing_year_folder_is_a_problem_for_its_months_only(office: Path) -> None:
    data = _reader(office).read(["2024-12", "2025-01"])

    assert _messages(data.problems)[0] == (
        f"kpr: C:\\KPR_2024: data folder for 2024 (programs.kpr.folder: C:\\KPR_2024): "
        f"{office / 'KPR_2024'} does not exist; 2024-12 not read"
    )
    assert _rows(data.summaries, SUMMARY_COLUMNS) == [
        (ZOLW, "2025-01", 1_000_000, 400_000, 600_000, 1_000_000, 400_000)
    ]


def test_a_booked_month_without_export_lines_is_a_problem_for_that_company(office: Path) -> None:
    data = _reader(office).read(["2025-01"])

    export = office / "KPR_2025" / "EKSPORT" / "KPREXP.DBF"
    assert _messages(data.problems) == [
        f"kpr: {export} (NIP {ZOLW}): no taxes in the ImportDoKPR export for 2025-01, though "
        "the ledger has entries for it: run the export in KPR for the month"
    ]
    assert data.taxes.empty


def test_no_folder_of_the_wanted_years_raises_folder_unavailable(office: Path) -> None:
    with pytest.raises(FolderUnavailable, match=r"programs\.kpr\.folder: C:\\KPR_2023"):
        _reader(office).read(["2023-05"])


def test_without_periods_this_year_and_last_are_read(office: Path) -> None:
    data = _reader(office, today=date(2026, 3, 10)).read()

    assert sorted(set(data.summaries["period"])) == [
        "2025-01", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    assert not any("data folder" in message for message in _messages(data.problems))


def test_without_periods_the_latest_year_folders_are_read_when_this_years_is_missing(
    office: Path,
) -> None:
    data = _reader(office, today=date(2027, 1, 5)).read()

    assert not any("KPR_2027" in message for message in _messages(data.problems))
    assert sorted(set(data.summaries["period"]))[-1] == "2026-03"
    assert len(data.companies) > 0


def test_an_office_with_only_old_year_folders_still_lists_its_companies(office: Path) -> None:
    data = _reader(office, today=date(2030, 6, 1)).read()

    assert {period[:4] for period in data.summaries["period"]} == {"2025", "2026"}
    assert len(data.companies) > 0


def test_without_periods_a_missing_previous_year_is_no_problem(office: Path) -> None:
    data = _reader(office, today=date(2025, 6, 1)).read()

    assert not any("KPR_2024" in message for message in _messages(data.problems))
    assert sorted(set(data.summaries["period"])) == ["2025-01", "2025-11", "2025-12"]


def test_an_unmapped_windows_folder_raises_unmapped_path(office: Path) -> None:
    reader = KprReader(KprProgram(), PathMap({}), office, today=lambda: date(2026, 1, 1))

    with pytest.raises(UnmappedPath, match=r"C:\\KPR_2026"):
        reader.read(["2026-01"])


def test_a_folder_without_year_is_read_for_every_year(office: Path) -> None:
    data = _reader(office, folder="C:\\KPR_2026").read(["2026-01"])

    assert set(data.summaries["period"]) == {"2026-01"}
    assert len(data.taxes) == 4


# --- the export -------------------------------------------------------------------------------


def test_a_missing_export_is_one_problem_and_summaries_are_still_read(office: Path) -> None:
    export = office / "KPR_2026" / "EKSPORT" / "KPREXP.DBF"
    export.unlink()

    data = _reader(office).read(Q1)

    assert data.taxes.empty
    assert len(data.summaries) == 7
    assert _messages([p for p in data.problems if p.where == str(export)]) == [
        f"kpr: {export}: ImportDoKPR export not found at {export}: run the export in KPR (or set "
        "programs.kpr.export_file); no taxes of 2026 are read"
    ]


def test_the_export_file_setting_with_a_year_is_read(office: Path, tmp_path: Path) -> None:
    year = _year_2026()
    year.export_file = tmp_path / "d" / "Eksporty" / "KPR2026.DBF"
    write_kpr_year(office / "KPR_2026", year)
    (office / "KPR_2026" / "EKSPORT" / "KPREXP.DBF").unlink()

    data = _reader(office, export_file="D:\\Eksporty\\KPR{year}.DBF").read(["2026-01"])

    assert len(data.taxes) == 4
    assert not [p for p in data.problems if "not found" in p.message]


def test_a_missing_required_export_field_names_program_file_and_field(office: Path) -> None:
    year = _year_2026()
    year.omit = {"KPREXP.DBF": {"DOZAPLATY"}}
    write_kpr_year(office / "KPR_2026", year)

    data = _reader(office).read(["2026-01"])

    export = office / "KPR_2026" / "EKSPORT" / "KPREXP.DBF"
    assert data.taxes.empty
    assert len(data.summaries) == 3
    assert _messages([p for p in data.problems if p.where == str(export)]) == [
        f"kpr: {export}: ImportDoKPR export: field(s) DOZAPLATY missing; the file has NIP, ROK, "
        "MIESIAC, PODATEK, KOREKTA, ZWROT, NADWYZKA; no taxes of 2026 are read"
    ]


# --- company list and ledgers -------------------------------------------------------------------


def test_a_company_list_without_nip_is_a_problem_naming_the_field(office: Path) -> None:
    year = _year_2026()
    year.omit = {"FIRMY.DBF": {"NIP"}}
    write_kpr_year(office / "KPR_2026", year)

    data = _reader(office).read(["2026-01"])

    assert data.companies.empty
    assert _messages(data.problems) == [
        f"kpr: {office / 'KPR_2026' / 'FIRMY.DBF'}: company list: field(s) NIP missing; the file "
        "has KOD, NAZWA, REGON, RYCZALT, VAT, AKTYWNA; no companies, taxes or summaries of 2026 "
        "are read"
    ]


def test_a_missing_ledger_is_that_companys_problem_and_the_others_read(office: Path) -> None:
    ledger = office / "KPR_2026" / "DZWIG" / "KSIEGA.DBF"
    ledger.unlink()

    data = _reader(office).read(["2026-01"])

    assert set(data.summaries["nip"]) == {ZOLW, LODZ}
    assert _messages([p for p in data.problems if p.nip == DZWIG]) == [
        f"kpr: {ledger} (NIP {DZWIG}): ledger (KPiR): file not found; no summaries of 2026 "
        f"for {DZWIG_NAME}"
    ]


def test_a_missing_memo_file_is_reported_and_amounts_still_read(office: Path) -> None:
    memo = office / "KPR_2026" / "ZOLW" / "KSIEGA.DBT"
    assert MEMO.encode("mazovia") in memo.read_bytes()
    memo.unlink()

    data = _reader(office).read(["2026-01"])

    assert data.summaries.set_index("nip").loc[ZOLW, "costs"] == 20_025
    ledger = office / "KPR_2026" / "ZOLW" / "KSIEGA.DBF"
    assert (
        f"kpr: {ledger} (NIP {ZOLW}): ledger (KPiR): its memo file (.dbt/.fpt) is missing: "
        "memo fields are read as empty"
    ) in _messages(data.problems)


# --- check and probe ----------------------------------------------------------------------------


def test_check_lists_year_folders_companies_and_exports(office: Path) -> None:
    (office / "KPR_2025" / "EKSPORT" / "KPREXP.DBF").unlink()
    (office / "NOTATKI").mkdir()

    said = _reader(office).check()

    missing = office / "KPR_2025" / "EKSPORT" / "KPREXP.DBF"
    assert said == (
        "works: KPR 2025 (C:\\KPR_2025): 2 active companies (0 inactive), no ImportDoKPR export "
        f"for 2025 at {missing} | 2026 (C:\\KPR_2026): 3 active companies (1 inactive), "
        "ImportDoKPR export for 2026 found (13 lines)"
    )


def test_check_finds_the_year_folders_of_a_posix_pattern(office: Path) -> None:
    reader = _reader(office, folder=f"{office}/kpr_{{year}}")

    assert reader.found_years() == (2025, 2026)
    assert reader.check().startswith(f"works: KPR 2025 ({office}/kpr_2025): 2 active companies")


def test_check_raises_when_no_year_folder_exists(tmp_path: Path) -> None:
    (tmp_path / "c" / "KPR").mkdir(parents=True)

    with pytest.raises(FolderUnavailable, match=r"no year folder like C:\\KPR_\{year\}"):
        _reader(tmp_path / "c").check()


def test_probe_lists_files_encodings_fields_companies_and_tax_codes(office: Path) -> None:
    probe = _reader(office).probe()

    years = probe["years"]
    assert list(years) == ["2025", "2026"]
    firms_2026 = years["2026"]["company_list"]
    assert firms_2026["records"] == 4
    assert firms_2026["language_driver"] == "0x00"
    assert firms_2026["encoding"] == "mazovia"
    assert "language driver 0x00 not trusted" in firms_2026["encoding_reason"]
    assert firms_2026["missing_fields"] == []
    assert years["2025"]["company_list"]["encoding"] == "cp852"
    assert years["2025"]["company_list"]["encoding_reason"] == "language driver 0x64"
    assert [firm["name"] for firm in years["2026"]["companies"]] == [
        ZOLW_NAME, LODZ_NAME, DZWIG_NAME, "Ćma Józef",
    ]  # fmt: skip

    ledger = years["2026"]["ledgers"]["ZOLW"]
    assert (ledger["records"], ledger["deleted"], ledger["unreadable_records"]) == (6, 1, 1)
    assert ledger["fields"] == ["LP", "DATA", "OPIS", "PRZYCHOD", "KOSZTY", "UWAGI"]
    assert ledger["lines_by_month"] == {"2026-01": 2, "2026-02": 2, "2026-03": 1}
    assert ledger["lines_with_memo"] == 1

    export = years["2026"]["exports"]["2026"]
    assert export["tax_codes"] == {"PIT28": 2, "PIT5": 3, "VAT7": 6, "VAT7K": 1, "ZUS": 1}
    assert export["mapped_to"]["ZUS"] is None
    assert export["mapped_to"]["VAT7K"] == "VAT-7K"
    assert export["periods"] == ["2026-01", "2026-03"]


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_the_year_folders_on_c() -> None:
    program = KprProgram()

    assert program.folder == "C:\\KPR_{year}"
    assert program.export_file is None


@pytest.mark.parametrize("folder", ["C:\\KPR_{rok}", "C:\\KPR_{YEAR}", "  "])
def test_settings_refuse_other_placeholders_and_empty_folders(folder: str) -> None:
    with pytest.raises(ValueError, match="folder"):
        KprProgram(folder=folder)
