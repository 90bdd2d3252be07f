"""The Fakt reader against a real Firebird database in Fakt's shape, written by the Fakt writer.

Only what the office saved in Fakt's "taxes to pay" report counts, and VAT also needs its
declaration generated: every way a month can lack one of them must be said for that company
and month, and nothing sent as zero. The database holds Polish names written by a WIN1250
client, a company that saved its report twice, a correction, a quarterly VAT payer, an inactive
company, an invalid NIP, a NIP shared with other programs (5260250274), a report with a single
ZUS total. Old and odd installs: a dialect 1 database, a database created with charset NONE,
missing columns and tables, the database found in the install folder.

Needs Firebird on 127.0.0.1:3050 (.ci/firebird.sh); the tests skip with the reason otherwise.
"""

import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.fakt.reader import DATA_TYPES, FaktReader, find_database
from konekto_pipeline.sources.fakt.writer import (
    FaktCompany,
    FaktData,
    FaktDeclaration,
    ReportLine,
    write_fakt_database,
)
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdServer,
    FirebirdTarget,
)
from konekto_pipeline.sources.firebird.local import (
    local_target,
    read_write,
    remove_folder,
    server_folder,
    server_problem,
)
from konekto_pipeline.sources.firebird.program import FaktProgram
from konekto_pipeline.sources.sql.tables import SchemaMismatch
from konekto_pipeline_tests.test_firebird import messages as _messages
from konekto_pipeline_tests.test_firebird import row as _row

Q1 = ["2026-01", "2026-02", "2026-03"]
SHARED_NIP = "5260250274"  # also in the Optima, Płatnik and Raks fixtures
QUARTERLY = "5213017228"
NO_VAT_LINE = "9542583988"


def _companies() -> list[FaktCompany]:
    return [
        FaktCompany(
            1,
            "Śląska Stal",
            "PL 526-025-02-74",
            name="Śląska Stal Sp. z o.o.",
            email="księgowość@slaskastal.pl",
            legal_form="P",
        ),
        FaktCompany(2, "Żółw", QUARTERLY, name="Jan Żółwiński „Żółw”", vat_period="K"),
        FaktCompany(3, "Ćma", "7740001454", active=False),
        FaktCompany(4, "Ósemka", "1234567890", vat_period=None),
        FaktCompany(5, "Dźwig", NO_VAT_LINE, name="Dźwig Sp. z o.o.", legal_form="P"),
    ]


def _zus(company: int, month: int, social: int, health: int, fund: int, old: bool = False):
    symbols = ("ZUS-51", "ZUS-52", "ZUS-53") if old else ("ZUS-SPOL", "ZUS-ZDROW", "ZUS-FP")
    return [
        ReportLine(company, 2026, month, symbol, amount)
        for symbol, amount in zip(symbols, (social, health, fund), strict=True)
    ]


def _report() -> list[ReportLine]:
    first_save = datetime(2026, 2, 5, 8, 0)
    return [
        ReportLine(1, 2026, 1, "VAT-7", 88_800, saved_at=first_save),
        ReportLine(1, 2026, 1, "PIT-4", 11_100, saved_at=first_save),
        *_zus(1, 1, 150_000, 70_000, 12_345),
        ReportLine(1, 2026, 1, "VAT-7", 99_949),
        ReportLine(1, 2026, 1, "PIT-4", 30_050),
        *_zus(1, 2, 150_000, 70_000, 12_345),
        ReportLine(1, 2026, 2, "VAT-7", 5_000),
        ReportLine(1, 2026, 2, "PIT-4", 20_000),
        *_zus(2, 1, 90_000, 41_000, 0, old=True),
        ReportLine(2, 2026, 1, "PIT-28", 4_444),
        *_zus(2, 2, 90_000, 41_000, 0, old=True),
        *_zus(2, 3, 90_000, 41_000, 0, old=True),
        ReportLine(2, 2026, 3, "VAT-7K", 7_777),
        ReportLine(2, 2026, 3, "PIT-28", 4_450),
        ReportLine(3, 2026, 1, "VAT-7", 50_000),
        ReportLine(4, 2026, 1, "PIT-5", 10_000),
        ReportLine(4, 2026, 1, "ZUS", 180_000),
        *_zus(5, 1, 10_000, 5_000, 1_000),
        ReportLine(5, 2026, 2, "PIT-4", 2_000),
        ReportLine(5, 2026, 3, "PIT-4", 2_000),
        ReportLine(5, 2026, 3, "VAT-7", 3_000),
    ]


def _declarations() -> list[FaktDeclaration]:
    return [
        FaktDeclaration(1, 2026, 1, "VAT-7", generated_at=datetime(2026, 2, 4)),
        FaktDeclaration(1, 2026, 1, "VAT-7", correction=True, generated_at=datetime(2026, 2, 5)),
        FaktDeclaration(1, 2026, 3, "VAT-7"),
        FaktDeclaration(2, 2026, 1, "VAT-7K"),
        FaktDeclaration(5, 2026, 1, "JPK_V7M"),
        FaktDeclaration(5, 2026, 3, "VAT-7"),
    ]


@pytest.fixture(scope="module")
def target() -> FirebirdTarget:
    found = local_target()
    problem = server_problem(found)
    if problem:
        pytest.skip(f"Firebird is not usable here: {problem}")
    return found


@pytest.fixture(scope="module")
def folders(target: FirebirdTarget) -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for folder in made:
        remove_folder(folder)


def _write(target: FirebirdTarget, folders: list[Path], data: FaktData, name="FAKT.FDB") -> str:
    folder = server_folder()
    folders.append(folder)
    path = str(folder / name)
    write_fakt_database(target, path, data)
    return path


@pytest.fixture(scope="module")
def office(target: FirebirdTarget, folders: list[Path]) -> str:
    return _write(target, folders, FaktData(_companies(), _report(), _declarations()))


def _reader(path: str, target: FirebirdTarget | None = None, **settings) -> FaktReader:
    server = FirebirdServer(target or local_target(), program="fakt")
    return FaktReader(server, FaktProgram(host="127.0.0.1", database=path, **settings))


@pytest.fixture(scope="module")
def quarter(office: str):
    return _reader(office).read(Q1)


# --- companies ------------------------------------------------------------------------------------


def test_companies_keep_their_polish_names_and_active_ones_only(quarter):
    first = _row(quarter.companies, nip=SHARED_NIP)
    assert first["name"] == "Śląska Stal Sp. z o.o."
    assert first["email"] == "księgowość@slaskastal.pl"
    assert (first["source"], first["source_company_id"], first["legal_form"]) == (
        "fakt",
        "1",
        "legal_person",
    )
    assert _row(quarter.companies, nip=QUARTERLY)["name"] == "Jan Żółwiński „Żółw”"
    assert "7740001454" not in set(quarter.companies["nip"])
    assert "7740001454" not in set(quarter.taxes["nip"])


def test_an_invalid_nip_passes_through_without_a_tax_account(quarter):
    row = _row(quarter.taxes, nip="1234567890")
    assert (row["tax"], row["amount"], row["account"]) == ("PIT-5", 10_000, None)


# --- ZUS ----------------------------------------------------------------------------------------


def test_zus_is_built_from_the_reports_parts(quarter):
    row = _row(quarter.zus, nip=SHARED_NIP, period="2026-01")
    amounts = {key: row[key] for key in ("social", "health", "labour_fund", "fep", "deductions")}
    assert amounts == {
        "social": 150_000,
        "health": 70_000,
        "labour_fund": 12_345,
        "fep": 0,
        "deductions": 0,
    }
    assert (row["total"], row["refund"], row["declaration_no"], row["kind"]) == (
        232_345,
        0,
        1,
        "D",
    )
    assert row["due_date"] == pd.Timestamp("2026-02-16")  # legal person: 15th, a Sunday
    assert row["account"] is None


def test_zus_under_the_old_transfer_numbers_is_read_too(quarter):
    row = _row(quarter.zus, nip=QUARTERLY, period="2026-02")
    assert (row["social"], row["health"], row["total"]) == (90_000, 41_000, 131_000)
    assert row["due_date"] == pd.Timestamp("2026-03-20")


def test_a_single_zus_total_is_said_and_not_loaded(quarter):
    assert "1234567890" not in set(quarter.zus["nip"])
    assert (
        "the 'taxes to pay' report for 2026-01 has a single ZUS total, not its parts (social, "
        "health, Labour Fund): ZUS is not sent" in _messages(quarter, "1234567890")
    )


# --- taxes --------------------------------------------------------------------------------------


def test_the_latest_save_counts_and_vat_follows_its_correction(quarter):
    vat = _row(quarter.taxes, nip=SHARED_NIP, tax="VAT-7", period="2026-01")
    assert (vat["amount"], vat["kind"]) == (99_900, "K")  # 999,49 zł -> 999 zł
    assert vat["due_date"] == pd.Timestamp("2026-02-25")
    assert vat["account"] == micro_account(SHARED_NIP)
    pit = _row(quarter.taxes, nip=SHARED_NIP, tax="PIT-4", period="2026-01")
    assert (pit["amount"], pit["kind"]) == (30_100, "D")  # 300,50 zł -> 301 zł


def test_vat_in_the_report_without_its_declaration_is_said_and_not_sent(quarter):
    assert (
        "the 'taxes to pay' report for 2026-02 has VAT-7 but no VAT-7 declaration was generated: "
        "generate it in Fakt; VAT-7 is not sent" in _messages(quarter, SHARED_NIP)
    )
    vat = quarter.taxes.loc[
        (quarter.taxes["nip"] == SHARED_NIP) & (quarter.taxes["tax"] == "VAT-7")
    ]
    assert list(vat["period"]) == ["2026-01"]
    assert _row(quarter.taxes, nip=SHARED_NIP, tax="PIT-4", period="2026-02")["amount"] == 20_000


def test_a_month_without_a_saved_report_is_said(quarter):
    assert (
        "no 'taxes to pay' report saved for 2026-03 (a VAT-7 declaration was generated): save it "
        "in Fakt; nothing is sent for that month" in _messages(quarter, SHARED_NIP)
    )
    assert "2026-03" not in set(quarter.taxes.loc[quarter.taxes["nip"] == SHARED_NIP, "period"])


def test_a_declaration_without_a_vat_line_in_the_report_is_said(quarter):
    assert (
        "a VAT-7 declaration for 2026-01 was generated but the saved 'taxes to pay' report has "
        "no VAT-7: save the report again; VAT-7 is not sent" in _messages(quarter, NO_VAT_LINE)
    )


def test_a_vat_payer_with_neither_report_line_nor_declaration_is_said(quarter):
    assert (
        "no VAT-7 in the 'taxes to pay' report for 2026-02 and no VAT-7 declaration generated: "
        "VAT is not sent" in _messages(quarter, NO_VAT_LINE)
    )
    march = _row(quarter.taxes, nip=NO_VAT_LINE, tax="VAT-7")
    assert (march["period"], march["amount"]) == ("2026-03", 3_000)


def test_quarterly_vat_counts_for_the_quarters_last_month_and_is_not_missed_before(quarter):
    vat = _row(quarter.taxes, nip=QUARTERLY, tax="VAT-7K")
    assert (vat["period"], vat["amount"], vat["kind"]) == ("2026-03", 7_800, "D")
    assert vat["due_date"] == pd.Timestamp("2026-04-27")
    assert _messages(quarter, QUARTERLY) == []
    pits = quarter.taxes.loc[
        (quarter.taxes["nip"] == QUARTERLY) & (quarter.taxes["tax"] == "PIT-28")
    ]
    assert list(pits["amount"]) == [4_400, 4_500]


def test_every_month_read_says_nothing_about_months_without_reports(office):
    data = _reader(office).read(None)
    assert not [m for m in _messages(data) if "no 'taxes to pay' report saved" in m]
    assert set(data.taxes["period"]) == set(Q1)


def test_frames_pass_the_schemas(quarter):
    assert DATA_TYPES == ("zus", "taxes")
    for kind in ("companies", "zus", "taxes"):
        assert validate(kind, quarter.frame(kind)).structural == [], kind
    assert validate("companies", quarter.companies).rejected_nips == ["1234567890"]
    assert quarter.summaries.empty


def test_four_statements_whatever_the_number_of_months(office):
    one = _reader(office)
    one.read(["2026-01"])
    all_months = _reader(office)
    all_months.read([f"2025-{month:02d}" for month in range(1, 13)] + Q1)
    assert one.server.statements == all_months.server.statements == 4
    assert one.server.attachments == 1


# --- missing columns and tables ----------------------------------------------------------------


def test_missing_optional_columns_are_tolerated(target, folders):
    data = FaktData(
        _companies()[:1],
        _report(),
        _declarations(),
        omit={"FIRMY": {"EMAIL", "FORMA_PRAWNA"}, "PODATKI_DO_ZAPLATY": {"DATA_ZAPISU"}},
    )
    read = _reader(_write(target, folders, data)).read(Q1)
    company = _row(read.companies, nip=SHARED_NIP)
    assert company["email"] is None and company["legal_form"] is None
    # Without the save time the latest line per item counts.
    assert _row(read.taxes, tax="VAT-7", period="2026-01")["amount"] == 99_900


def test_a_missing_required_column_names_program_database_table_and_column(target, folders):
    data = FaktData(
        _companies(), _report(), _declarations(), omit={"PODATKI_DO_ZAPLATY": {"KWOTA"}}
    )
    path = _write(target, folders, data)
    read = _reader(path).read(Q1)
    problem = read.problems[0]
    assert problem.program == "fakt" and problem.where == f"127.0.0.1/3050:{path}"
    assert problem.message == (
        "table PODATKI_DO_ZAPLATY: required column KWOTA is missing; no ZUS or taxes are read"
    )
    assert len(read.companies) == 4 and read.taxes.empty


def test_without_the_declarations_table_vat_is_not_sent_but_the_rest_is(target, folders):
    data = FaktData(_companies(), _report(), _declarations(), omit_tables={"DEKLARACJE"})
    read = _reader(_write(target, folders, data)).read(Q1)
    assert (
        "table DEKLARACJE: table is missing; VAT cannot be checked against declarations "
        "and is not sent" in _messages(read)
    )
    assert not read.taxes["tax"].str.startswith("VAT").any()
    assert _row(read.taxes, nip=SHARED_NIP, tax="PIT-4", period="2026-01")["amount"] == 30_100


# --- check and probe ----------------------------------------------------------------------------


def test_check_says_what_works(office):
    message = _reader(office).check()
    assert message == (
        f"works: Fakt database {office} on 127.0.0.1/3050 (Firebird 3.0, ODS 12.0, dialect 3): "
        "4 active companies (1 inactive), reports saved for 2026-01 to 2026-03"
    )


def test_check_on_a_database_without_the_company_list_asks_if_it_is_fakts(target, folders):
    path = _write(target, folders, FaktData(_companies(), omit_tables={"FIRMY"}))
    with pytest.raises(SchemaMismatch, match="table FIRMY: table is missing in .*is this Fakt's"):
        _reader(path).check()
    with pytest.raises(SchemaMismatch, match="FIRMY"):
        _reader(path).read(Q1)


def test_check_on_a_wrong_path_names_it(office):
    missing = office.replace("FAKT.FDB", "BRAK.FDB")
    with pytest.raises(FirebirdConnectionError) as caught:
        _reader(missing).check()
    assert caught.value.kind == "path" and missing in caught.value.reason


def test_probe_lists_tables_and_codes(office):
    found = _reader(office).probe()
    json.dumps(found)
    assert found["tables"] == ["DEKLARACJE", "FIRMY", "PODATKI_DO_ZAPLATY"]
    assert found["charset"] == "WIN1250" and found["dialect"] == 3
    assert found["report"]["symbols"]["ZUS-51"] == 3
    assert found["report"]["unmapped_symbols"] == []
    assert found["declarations"]["symbols"] == {"JPK_V7M": 1, "VAT-7": 4, "VAT-7K": 1}
    assert found["declarations"]["corrections"] == {"0": 5, "1": 1}
    assert found["companies"]["inactive"] == ["3"]


def test_probe_of_a_broken_database_lists_what_is_there(target, folders):
    path = _write(target, folders, FaktData(_companies(), omit={"FIRMY": {"NIP"}}))
    found = _reader(path).probe()
    json.dumps(found)
    assert found["map"]["FIRMY"]["error"] == "table FIRMY: required column NIP is missing"
    assert "NAZWA_SKROCONA" in found["map"]["FIRMY"]["columns"]
    assert found["companies"] == {"error": "table FIRMY: required column NIP is missing"}


# --- old installs and the install folder ----------------------------------------------------------


def test_a_dialect_1_database_gives_exact_grosze(target, folders):
    report = [*_zus(1, 1, 10, 20, 123_456_789), ReportLine(1, 2026, 1, "PIT-4", 29)]
    path = _write(target, folders, FaktData(_companies()[:1], report, dialect=1))
    read = _reader(path).read(["2026-01"])
    row = _row(read.zus, nip=SHARED_NIP)
    assert (row["social"], row["health"], row["labour_fund"], row["total"]) == (
        10,
        20,
        123_456_789,
        123_456_819,
    )
    assert _row(read.taxes, tax="PIT-4")["amount"] == 0


def test_a_bad_line_is_said_and_the_others_load(target, folders):
    report = [
        *_zus(1, 1, 10, 20, 30),
        ReportLine(1, 2026, 1, "PIT-4", 12_345),
        ReportLine(1, 2026, 13, "PIT-4", 100),
    ]
    path = _write(target, folders, FaktData(_companies()[:1], report, dialect=1))
    with read_write(local_target(), path) as connection:
        connection.cursor().execute("UPDATE PODATKI_DO_ZAPLATY SET KWOTA = 123.455 WHERE ID = 4")
    read = _reader(path).read(None)
    assert _row(read.zus, nip=SHARED_NIP)["total"] == 60
    assert read.taxes.empty
    messages = _messages(read)
    assert any(
        m.startswith("report line 4 (PIT-4): KWOTA 123.455 is not a whole number of grosze")
        for m in messages
    ), messages
    assert "report line 5: the period 2026/13 is not a month" in messages


def test_a_none_charset_database_holding_win1250_bytes_reads_right_when_said(target, folders):
    path = _write(target, folders, FaktData(_companies(), _report(), database_charset="NONE"))
    none_mode = local_target(charset="NONE", text_encoding="cp1250")
    read = _reader(path, none_mode, charset="NONE", text_encoding="cp1250").read(Q1)
    assert "Jan Żółwiński „Żółw”" in set(read.companies["name"])
    wrong = local_target(charset="UTF8")
    with pytest.raises(FirebirdConnectionError, match="connection charset UTF8 does not fit"):
        _reader(path, wrong, charset="UTF8").check()


def test_the_database_is_found_in_the_install_folder(target, folders):
    install = server_folder()
    folders.append(install)
    data_folder = install / "Dane"
    data_folder.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data_folder, "firebird", "firebird")
    write_fakt_database(target, str(data_folder / "FAKT.FDB"), FaktData(_companies()[:1]))
    reader = FaktReader(
        FirebirdServer(local_target(), program="fakt"),
        FaktProgram(install_folder=str(install), host="127.0.0.1"),
    )
    assert reader.database_path() == str(data_folder / "FAKT.FDB")
    assert reader.check().startswith(f"works: Fakt database {data_folder / 'FAKT.FDB'}")


def test_several_databases_in_the_install_folder_ask_for_the_setting(tmp_path):
    (tmp_path / "Dane").mkdir()
    (tmp_path / "Dane" / "FIRMA1.FDB").write_bytes(b"")
    (tmp_path / "Dane" / "FIRMA2.FDB").write_bytes(b"")
    assert find_database(tmp_path) == [
        str(tmp_path / "Dane" / "FIRMA1.FDB"),
        str(tmp_path / "Dane" / "FIRMA2.FDB"),
    ]
    reader = FaktReader(FirebirdServer(local_target()), FaktProgram(install_folder=str(tmp_path)))
    with pytest.raises(FirebirdConnectionError, match="set programs.fakt.database"):
        reader.read(Q1)
