"""The Mała Księgowość „Rzeczpospolitej” reader against real DBF files written by the MK writer.

MK RP's storage is not public: the table map is a guess, so what these tests pin is how the
reader behaves on files in that shape. Polish names in CP1250 must survive; amounts must be
exact (taxes in whole złoty rounded half-up, summaries in grosze); a correction, a quarterly
VAT-7K, a ryczałt company (no costs), a removed company, a company with a bad identifier, a
deleted record, a notes memo and a `**` amount each have a rule. One company's missing folder,
file or field must not stop the others; a data folder that cannot be used must say which setting
pointed there: the folder itself, the program's options file (a CP1250 INI naming a UNC share)
or the default.
"""

from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.files.paths import FolderUnavailable, PathMap, UnmappedPath
from konekto_pipeline.sources.mala_ksiegowosc.program import MalaKsiegowoscProgram
from konekto_pipeline.sources.mala_ksiegowosc.reader import DATA_TYPES, MalaKsiegowoscReader
from konekto_pipeline.sources.mala_ksiegowosc.writer import (
    MkCompany,
    MkMonth,
    MkTax,
    write_mala_ksiegowosc,
    write_options_file,
)

SZEWC = "5260250274"
KWIAT = "5213017228"
REMOVED = "7740001454"
BAD_ID = "9542583988"
NO_FOLDER = "1132853869"
NO_TAXES = "6750001923"
OVERFLOW = b"777.77"  # written as a VAT-7 amount, then overwritten with the `**` of a full field


def _companies() -> list[MkCompany]:
    return [
        MkCompany(
            "SZEWC",
            "Zakład Szewski Źdźbło",
            "526-025-02-74",
            regon="012345675",
            email="źdźbło@szewc.pl",
            phone="22 123 45 67",
            taxes=(
                MkTax(2026, 1, "PIT5", 123_450),
                MkTax(2026, 1, "VAT7", 50_000, note="Zapłacono przelewem — Źdźbło, łąka"),
                MkTax(2026, 1, "VAT7", 45_049, correction=True, note="Korekta po zwrocie"),
                MkTax(2026, 1, "PIT4", 30_049),
                MkTax(2026, 2, "PIT4", 99_900, deleted=True),
                MkTax(2026, 2, "VAT7", 77_777),
                MkTax(2026, 3, "VAT-7", 0, refund=150_040, carried_forward=20_050),
            ),
            months=(
                MkMonth(2026, 1, 1_000_000, 400_050, 1_000_000, 400_050),
                MkMonth(2026, 2, 1, 1, deleted=True),
                MkMonth(2026, 2, 1_200_000, 500_000, 2_200_000, 900_050),
            ),
        ),
        MkCompany(
            "Kwiat_2",
            "Kwiaciarnia Różana s.c.",
            KWIAT,
            legal_form="F",
            tax_form="R",
            vat="K",
            taxes=(
                MkTax(2026, 1, "PIT28", 44_449),
                MkTax(2026, 2, "PIT28", 44_450),
                MkTax(2026, 2, "VAT7K", 777_700),
            ),
            months=(
                MkMonth(2026, 1, 500_000, None, 500_000),
                MkMonth(2026, 2, 600_000, 1_000, 1_100_000),
            ),
        ),
        MkCompany("STARA", "Stara Firma Ślusarska", REMOVED, removed=True),
        MkCompany("ZŁY-1", "Ćma Usługi", BAD_ID, taxes=(MkTax(2026, 1, "PIT5", 100),)),
        MkCompany("BRAK", "Brak Katalogu Sp. z o.o.", NO_FOLDER, legal_form="P", vat="N"),
        MkCompany(
            "BEZPOD",
            "Bez Podatków",
            NO_TAXES,
            legal_form="B",
            months=(MkMonth(2026, 1, 10_000, 2_500),),
        ),
    ]


def _write_office(folder: Path) -> Path:
    """The office of `_companies`, with the damage a real office shows: an amount that did not
    fit its field, a company folder gone, a company's taxes file gone."""
    write_mala_ksiegowosc(folder, _companies())
    taxes = folder / "SZEWC" / "PODATKI.DBF"
    data = taxes.read_bytes()
    assert data.count(OVERFLOW) == 1
    taxes.write_bytes(data.replace(OVERFLOW, b"*" * len(OVERFLOW)))
    for path in (folder / "BRAK").iterdir():
        path.unlink()
    (folder / "BRAK").rmdir()
    (folder / "BEZPOD" / "PODATKI.DBF").unlink()
    return folder


def _reader(base: Path, paths: PathMap | None = None, **settings: str) -> MalaKsiegowoscReader:
    program = MalaKsiegowoscProgram.model_validate(settings)
    return MalaKsiegowoscReader(program, paths or PathMap(), base)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    return _write_office(tmp_path / "Biuro")


@pytest.fixture
def data(office: Path) -> SourceData:
    return _reader(office.parent, folder=str(office)).read()


def _messages(data: SourceData) -> list[str]:
    return [str(problem) for problem in data.problems]


def _problems_of(data: SourceData, nip: str | None) -> list[str]:
    return [str(problem) for problem in data.problems if problem.nip == nip]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[object, ...]]:
    """The frame's rows as plain tuples, sorted; missing values as None, dates as ISO text."""
    plain = frame[columns].astype(object).where(frame[columns].notna(), None)
    rows = [
        tuple(
            value.date().isoformat() if isinstance(value, pd.Timestamp) else value for value in row
        )
        for row in plain.itertuples(index=False)
    ]
    return sorted(rows, key=str)


def _taxes(data: SourceData) -> list[tuple[object, ...]]:
    columns = ["nip", "period", "tax", "kind", "amount", "refund", "carried_forward", "due_date"]
    return _rows(data.taxes, columns)


# --- companies ------------------------------------------------------------------------------------


def test_companies_keep_polish_names_and_map_the_programs_codes(data: SourceData) -> None:
    companies = data.companies.set_index("source_company_id")
    assert sorted(companies.index) == ["BEZPOD", "BRAK", "Kwiat_2", "SZEWC"]
    szewc = companies.loc["SZEWC"]
    assert (szewc["nip"], szewc["name"], szewc["email"]) == (
        SZEWC,
        "Zakład Szewski Źdźbło",
        "źdźbło@szewc.pl",
    )
    assert (szewc["regon"], szewc["phone"]) == ("012345675", "22 123 45 67")
    forms = companies[["legal_form", "tax_form", "vat_period"]].astype(object)
    assert forms.where(forms.notna(), None).to_dict("index") == {
        "SZEWC": {"legal_form": "other", "tax_form": "kpir", "vat_period": "M"},
        "Kwiat_2": {"legal_form": "other", "tax_form": "ryczalt", "vat_period": "Q"},
        "BRAK": {"legal_form": "legal_person", "tax_form": "kpir", "vat_period": None},
        "BEZPOD": {"legal_form": "budget_unit", "tax_form": "kpir", "vat_period": "M"},
    }
    assert companies.loc["Kwiat_2", "name"] == "Kwiaciarnia Różana s.c."
    assert set(data.companies["source"]) == {"mala_ksiegowosc"}


def test_a_removed_company_is_left_out_without_a_problem(data: SourceData) -> None:
    assert REMOVED not in set(data.companies["nip"])
    assert _problems_of(data, REMOVED) == []
    assert not any("STARA" in message for message in _messages(data))


def test_a_company_with_a_bad_identifier_is_reported_and_skipped(data: SourceData) -> None:
    assert BAD_ID not in set(data.companies["nip"])
    assert BAD_ID not in set(data.taxes["nip"])
    [problem] = _problems_of(data, BAD_ID)
    assert "FIRMY.DBF" in problem
    assert (
        "'ZŁY-1'" in problem and "(ID)" in problem and "letters, digits and underscore" in problem
    )
    assert "Ćma Usługi" in problem and "skipped" in problem


def test_two_companies_with_one_identifier_in_any_case_keep_the_first(tmp_path: Path) -> None:
    write_mala_ksiegowosc(
        tmp_path,
        [MkCompany("ABC", "Pierwsza", SZEWC), MkCompany("abc", "Druga", KWIAT)],
    )

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert list(data.companies["name"]) == ["Pierwsza"]
    [problem] = _problems_of(data, KWIAT)
    assert "record 2" in problem and "already used by record 1" in problem


def test_an_unknown_code_is_left_empty_and_said(tmp_path: Path) -> None:
    write_mala_ksiegowosc(tmp_path, [MkCompany("A", "Jedna", SZEWC, legal_form="X", vat="k")])

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    company = data.companies.iloc[0]
    assert (company["legal_form"], company["vat_period"]) == (None, "Q")
    [problem] = _problems_of(data, SZEWC)
    assert "record 1 (Jedna): FORMA 'X' is not a known code (F, P, B); it is left empty" in problem


# --- taxes ----------------------------------------------------------------------------------------


def test_taxes_are_whole_zloty_rounded_half_up_with_due_dates(data: SourceData) -> None:
    assert _taxes(data) == [
        (KWIAT, "2026-01", "PIT-28", "D", 44_400, None, None, "2026-02-20"),
        (KWIAT, "2026-02", "PIT-28", "D", 44_500, None, None, "2026-03-20"),
        (KWIAT, "2026-03", "VAT-7K", "D", 777_700, None, None, "2026-04-27"),
        (SZEWC, "2026-01", "PIT-4", "D", 30_000, None, None, "2026-02-20"),
        (SZEWC, "2026-01", "PIT-5", "D", 123_500, None, None, "2026-02-20"),
        (SZEWC, "2026-01", "VAT-7", "K", 45_000, None, None, "2026-02-25"),
        (SZEWC, "2026-03", "VAT-7", "D", 0, 150_000, 20_100, "2026-04-27"),
    ]
    accounts = data.taxes.set_index("nip")["account"].to_dict()
    assert accounts == {SZEWC: micro_account(SZEWC), KWIAT: micro_account(KWIAT)}


def test_a_correction_replaces_the_declaration_of_its_month(data: SourceData) -> None:
    vat = data.taxes[(data.taxes["nip"] == SZEWC) & (data.taxes["period"] == "2026-01")]
    vat = vat[vat["tax"] == "VAT-7"]
    assert (list(vat["kind"]), list(vat["amount"])) == (["K"], [45_000])


def test_a_correction_wins_even_over_a_later_declaration(tmp_path: Path) -> None:
    taxes = (MkTax(2026, 5, "VAT7", 30_000, correction=True), MkTax(2026, 5, "VAT7", 10_000))
    write_mala_ksiegowosc(tmp_path, [MkCompany("A", "Jedna", SZEWC, taxes=taxes)])

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert _taxes(data) == [(SZEWC, "2026-05", "VAT-7", "K", 30_000, None, None, "2026-06-25")]
    assert data.problems == []


def test_two_declarations_of_one_month_are_said_and_the_later_used(tmp_path: Path) -> None:
    taxes = (MkTax(2026, 4, "PIT5", 10_000), MkTax(2026, 4, "PIT-5", 20_000))
    write_mala_ksiegowosc(tmp_path, [MkCompany("A", "Jedna", SZEWC, taxes=taxes)])

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert list(data.taxes["amount"]) == [20_000]
    assert any("records 1 and 2 both declare PIT-5 for 2026-04" in m for m in _messages(data))


def test_vat_7k_carries_the_quarters_last_month(data: SourceData) -> None:
    vat = data.taxes[data.taxes["tax"] == "VAT-7K"]
    assert list(vat["period"]) == ["2026-03"]


def test_a_deleted_tax_record_is_not_read(data: SourceData) -> None:
    szewc = data.taxes[data.taxes["nip"] == SZEWC]
    assert "2026-02" not in set(szewc["period"])
    assert 99_900 not in set(data.taxes["amount"])


def test_an_overflowing_amount_is_that_records_problem_and_the_rest_is_read(
    data: SourceData,
) -> None:
    [problem] = [message for message in _problems_of(data, SZEWC) if "overflow" in message]
    assert "SZEWC/PODATKI.DBF" in problem
    assert "record 6, field DOZAPLATY" in problem and "(record skipped)" in problem
    assert len(data.taxes[data.taxes["nip"] == SZEWC]) == 4


def test_an_unknown_tax_code_and_a_negative_amount_are_their_records_problems(
    tmp_path: Path,
) -> None:
    taxes = (
        MkTax(2026, 1, "CIT8", 10_000),
        MkTax(2026, 1, "PIT4", -5_000),
        MkTax(2026, 13, "PIT4", 100),
        MkTax(2026, 1, "PIT5L", 7_000),
    )
    write_mala_ksiegowosc(tmp_path, [MkCompany("A", "Jedna", SZEWC, taxes=taxes)])

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert list(data.taxes["tax"]) == ["PIT-5L"]
    messages = _problems_of(data, SZEWC)
    assert any("record 1: PODATEK 'CIT8' is not a known tax code" in m for m in messages)
    assert any("record 2 (PIT-4 2026-01), field DOZAPLATY" in m for m in messages)
    assert any("record 3: ROK 2026 and MIESIAC 13 are not a month" in m for m in messages)


# --- summaries ------------------------------------------------------------------------------------


def test_monthly_totals_are_exact_grosze_with_year_to_date(data: SourceData) -> None:
    columns = ["nip", "period", "revenue", "costs", "income", "revenue_ytd", "costs_ytd"]
    assert _rows(data.summaries, columns) == [
        (KWIAT, "2026-01", 500_000, 0, 500_000, 500_000, 0),
        (KWIAT, "2026-02", 600_000, 0, 600_000, 1_100_000, 0),
        (SZEWC, "2026-01", 1_000_000, 400_050, 599_950, 1_000_000, 400_050),
        (SZEWC, "2026-02", 1_200_000, 500_000, 700_000, 2_200_000, 900_050),
        (NO_TAXES, "2026-01", 10_000, 2_500, 7_500, None, None),
    ]
    assert data.summaries[["vat_output", "vat_input"]].isna().all().all()


def test_a_ryczalt_companys_costs_are_sent_as_zero_and_said(data: SourceData) -> None:
    [problem] = [message for message in _problems_of(data, KWIAT) if "ryczałt" in message]
    assert "EWIDENCJA.DBF" in problem and "KOSZTY" in problem and "2026-02" in problem
    assert "2026-01" not in problem


def test_months_asked_for_are_filtered_and_missing_ones_said(office: Path) -> None:
    data = _reader(office.parent, folder=str(office)).read(["2026-02", "2026-03"])

    assert sorted(set(data.summaries["period"])) == ["2026-02"]
    assert sorted(set(data.taxes["period"])) == ["2026-02", "2026-03"]
    [missing] = [m for m in _problems_of(data, NO_TAXES) if "no totals" in m]
    assert "2026-02, 2026-03" in missing
    assert any("no totals for 2026-03" in m for m in _problems_of(data, SZEWC))
    assert len(data.companies) == 4


def test_a_month_asked_for_must_be_a_month(office: Path) -> None:
    with pytest.raises(ValueError, match="2026-13"):
        _reader(office.parent, folder=str(office)).read(["2026-13"])


# --- missing folders, files and fields ------------------------------------------------------------


def test_a_missing_company_folder_is_its_problem_and_the_others_carry_on(
    data: SourceData, office: Path
) -> None:
    [problem] = _problems_of(data, NO_FOLDER)
    assert f"{office / 'BRAK'}" in problem and "company folder not found" in problem
    assert NO_FOLDER in set(data.companies["nip"])
    assert {SZEWC, KWIAT} <= set(data.taxes["nip"])


def test_a_missing_file_is_a_problem_naming_it(data: SourceData, office: Path) -> None:
    [problem] = _problems_of(data, NO_TAXES)
    assert str(office / "BEZPOD" / "PODATKI.DBF") in problem
    assert "taxes to pay: file not found; its taxes are not read" in problem
    assert NO_TAXES in set(data.summaries["nip"])


def test_a_missing_required_field_names_program_file_and_field(tmp_path: Path) -> None:
    write_mala_ksiegowosc(tmp_path, _companies()[:2], omit={"PODATKI": {"DOZAPLATY"}})

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert data.taxes.empty
    problem = next(p for p in data.problems if p.nip == SZEWC and "DOZAPLATY" in p.message)
    assert problem.program == "mala_ksiegowosc"
    assert problem.where == str(tmp_path / "SZEWC" / "PODATKI.DBF")
    assert "field(s) DOZAPLATY missing" in problem.message
    assert len(data.summaries) == 4


def test_a_kpir_ledger_without_costs_is_a_problem_a_ryczalt_one_is_not(tmp_path: Path) -> None:
    write_mala_ksiegowosc(tmp_path, _companies()[:2], omit={"EWIDENCJA": {"KOSZTY"}})

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert list(data.summaries["nip"].unique()) == [KWIAT]
    [problem] = [m for m in _problems_of(data, SZEWC) if "KOSZTY" in m]
    assert "EWIDENCJA.DBF" in problem and "monthly totals are not read" in problem


def test_a_missing_data_folder_says_which_setting_pointed_there(tmp_path: Path) -> None:
    with pytest.raises(FolderUnavailable) as raised:
        _reader(tmp_path, folder=str(tmp_path / "nie_ma")).read()

    message = str(raised.value)
    assert "programs.mala_ksiegowosc.folder" in message and "does not exist" in message


def test_a_folder_without_the_company_list_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(FolderUnavailable, match=r"FIRMY\.DBF: company list: file not found"):
        _reader(tmp_path, folder=str(tmp_path)).check()


# --- where the data folder is ---------------------------------------------------------------------


def test_a_windows_folder_from_the_settings_is_read_through_the_path_map(tmp_path: Path) -> None:
    _write_office(tmp_path / "d" / "Księgowość" / "Biuro")
    paths = PathMap({"D:": tmp_path / "d"})

    reader = _reader(tmp_path, paths, folder="D:\\Księgowość\\Biuro")

    assert sorted(reader.read().companies["nip"]) == sorted([SZEWC, KWIAT, NO_FOLDER, NO_TAXES])
    assert reader.data_folder().path == tmp_path / "d" / "Księgowość" / "Biuro"


def test_the_options_file_names_a_unc_data_folder(tmp_path: Path) -> None:
    write_options_file(tmp_path / "c" / "MK" / "MK.INI", "\\\\SERWER\\mk\\Biuro")
    _write_office(tmp_path / "share" / "Biuro")
    paths = PathMap({"C:": tmp_path / "c", "\\\\SERWER\\mk": tmp_path / "share"})
    reader = _reader(tmp_path, paths)

    data = reader.read()

    assert len(data.companies) == 4
    assert (tmp_path / "c" / "MK" / "MK.INI").read_bytes().count("Ż".encode("cp1250")) == 1
    folder = reader.data_folder()
    assert folder.path == tmp_path / "share" / "Biuro"
    assert folder.written == "\\\\SERWER\\mk\\Biuro"
    assert "named by [Dane] KatalogDanych in options file C:\\MK\\MK.INI" in folder.origin
    assert "named by [Dane] KatalogDanych" in reader.check()


def test_an_options_file_set_in_the_settings_may_name_a_relative_folder(tmp_path: Path) -> None:
    write_options_file(tmp_path / "mk" / "opcje.ini", "Dane\\Biuro")
    _write_office(tmp_path / "mk" / "Dane" / "Biuro")

    reader = _reader(tmp_path, options_file="mk/opcje.ini")

    assert reader.data_folder().path == tmp_path / "mk" / "Dane" / "Biuro"
    assert "programs.mala_ksiegowosc.options_file" in reader.data_folder().origin
    assert len(reader.read().companies) == 4


def test_without_the_options_file_the_default_folder_is_used(tmp_path: Path) -> None:
    _write_office(tmp_path / "c" / "MK" / "Biuro")
    reader = _reader(tmp_path, PathMap({"C:": tmp_path / "c"}))

    folder = reader.data_folder()

    assert folder.path == tmp_path / "c" / "MK" / "Biuro"
    assert folder.written == "C:\\MK\\Biuro"
    assert folder.origin.startswith("the default, as options file C:\\MK\\MK.INI")
    assert "does not exist" in folder.origin
    assert len(reader.read().companies) == 4


def test_a_missing_default_folder_says_the_options_file_named_none(tmp_path: Path) -> None:
    write_options_file(tmp_path / "c" / "MK" / "MK.INI", "")

    with pytest.raises(FolderUnavailable) as raised:
        _reader(tmp_path, PathMap({"C:": tmp_path / "c"})).read()

    message = str(raised.value)
    assert "data folder C:\\MK\\Biuro (the default" in message
    assert "has no [Dane] KatalogDanych" in message


def test_a_data_folder_on_an_unmapped_share_names_where_it_came_from(tmp_path: Path) -> None:
    write_options_file(tmp_path / "c" / "MK" / "MK.INI", "\\\\SERWER\\mk\\Biuro")

    with pytest.raises(UnmappedPath) as raised:
        _reader(tmp_path, PathMap({"C:": tmp_path / "c"})).read()

    message = str(raised.value)
    assert message.startswith("mala_ksiegowosc: data folder named by [Dane] KatalogDanych")
    assert "\\\\SERWER\\mk" in message


# --- code pages and memo --------------------------------------------------------------------------


def test_files_with_a_zero_language_driver_are_read_as_cp1250(tmp_path: Path) -> None:
    write_mala_ksiegowosc(tmp_path, _companies()[:2], language_driver=0)

    data = _reader(tmp_path, folder=str(tmp_path)).read()

    assert sorted(data.companies["name"]) == ["Kwiaciarnia Różana s.c.", "Zakład Szewski Źdźbło"]


def test_a_lost_memo_file_does_not_trouble_a_read_and_probe_tells(office: Path) -> None:
    [memo] = [path for path in (office / "SZEWC").iterdir() if path.suffix.upper() == ".DBT"]
    memo.unlink()
    reader = _reader(office.parent, folder=str(office))

    data = reader.read()

    assert not any("memo" in problem.message for problem in data.problems)
    assert len(data.taxes[data.taxes["nip"] == SZEWC]) == 4
    companies = reader.probe()["companies"]
    szewc = next(company for company in companies if company["id"] == "SZEWC")
    assert "memo file" in szewc["files"]["PODATKI.DBF"]["file_problems"][0]


# --- check, probe, schema -------------------------------------------------------------------------


def test_check_says_what_it_found(office: Path) -> None:
    message = _reader(office.parent, folder=str(office)).check()

    assert message.startswith(f"works: data folder {office} (set in programs.mala_ksiegowosc")
    assert "4 companies (1 removed)" in message
    assert "taxes to pay for 2026-01 to 2026-03" in message
    assert "monthly totals for 2026-01 to 2026-02" in message
    assert "problem(s), the first:" in message


def test_probe_lists_files_encodings_codes_and_notes(office: Path) -> None:
    listing = _reader(office.parent, folder=str(office), encoding="cp1250").probe()

    assert listing["folder"] == str(office)
    assert listing["folder_from"] == "set in programs.mala_ksiegowosc.folder"
    firms = listing["company_list"]
    assert (firms["records"], firms["deleted"], firms["encoding"]) == (6, 0, "cp1250")
    assert firms["encoding_reason"] == "set in the settings"
    assert "MIASTO" in firms["fields"] and firms["missing_fields"] == []
    assert firms["codes"]["OPODAT"] == {"K": 5, "R": 1}
    assert firms["codes"]["USUNIETA"] == {"False": 5, "True": 1}
    assert listing["removed_companies"] == 1

    szewc = next(c for c in listing["companies"] if c["id"] == "SZEWC")
    taxes = szewc["files"]["PODATKI.DBF"]
    assert (taxes["records"], taxes["deleted"]) == (7, 1)
    assert taxes["codes"]["PODATEK"]["VAT-7"] == {"records": 1, "mapped_to": "VAT-7"}
    assert taxes["codes"]["PODATEK"]["VAT7"] == {"records": 2, "mapped_to": "VAT-7"}
    assert taxes["periods"] == "for 2026-01 to 2026-03"
    assert len(taxes["unreadable_records"]) == 1
    assert taxes["notes"] == [
        {"record": 2, "note": "Zapłacono przelewem — Źdźbło, łąka"},
        {"record": 3, "note": "Korekta po zwrocie"},
    ]
    brak = next(c for c in listing["companies"] if c["id"] == "BRAK")
    assert "company folder not found" in brak["problems"][0]
    bezpod = next(c for c in listing["companies"] if c["id"] == "BEZPOD")
    assert bezpod["files"]["PODATKI.DBF"]["found"] is False
    assert bezpod["files"]["EWIDENCJA.DBF"]["records"] == 1


def test_the_frames_pass_the_schemas(data: SourceData) -> None:
    assert DATA_TYPES == ("taxes", "summaries")
    for kind in ("companies", "taxes", "summaries"):
        validation = validate(kind, data.frame(kind))
        assert validation.structural == [] and validation.row_failures.empty, kind
    assert data.zus.empty
    assert isinstance(data.taxes["due_date"].iloc[0], pd.Timestamp)


def test_an_options_file_the_office_named_that_cannot_be_read_stops_the_read(
    office: Path,
) -> None:
    reader = _reader(office, options_file=str(office / "nowhere" / "MK.INI"))

    with pytest.raises(FolderUnavailable, match="options_file"):
        reader.read()
