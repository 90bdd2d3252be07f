"""The Raks reader against real Firebird databases in Raks's shape, written by the Raks writer.

A data folder with the global `Raks3000.fdb` (companies, declarations) and one `F000nn.FDB` per
company is created on the local Firebird server through a WIN1250 connection, then read back:
Polish names, a correction, an inactive company, an invalid NIP, a NIP shared with other
programs (5260250274), a company whose database file is missing, one whose ledger lacks a
required column, one lacking an optional table. A month without the VAT declaration its VAT
period calls for must be said for that company ("no VAT-7 declaration added for 2026-02") and
never sent as zero. Old installs are covered too: a dialect 1 folder (money as doubles), a
database created with charset NONE holding WIN1250 bytes, a folder with Polish letters, file
names in another case. Amounts and due dates are checked exactly, the frames against the schemas.

Needs Firebird on 127.0.0.1:3050 (.ci/firebird.sh); the tests skip with the reason otherwise.
"""

import json
import os
import shutil
import socket
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdDatabase,
    FirebirdServer,
    FirebirdTarget,
)
from konekto_pipeline.sources.firebird.local import (
    local_target,
    remove_folder,
    server_folder,
    server_problem,
)
from konekto_pipeline.sources.firebird.program import RaksProgram
from konekto_pipeline.sources.raks.reader import DATA_TYPES, RaksReader, detect_data_folder
from konekto_pipeline.sources.raks.writer import (
    KpirEntry,
    RaksCompany,
    RaksData,
    RaksDeclaration,
    VatEntry,
    write_raks_data_folder,
)
from konekto_pipeline.sources.sql.tables import SchemaMismatch
from konekto_pipeline_tests.test_firebird import messages as _messages
from konekto_pipeline_tests.test_firebird import row as _row

JAN_FEB = ["2026-01", "2026-02"]
SHARED_NIP = "5260250274"  # also in the Optima, Płatnik and Fakt fixtures


def _companies() -> list[RaksCompany]:
    return [
        RaksCompany(
            1,
            "Zażółć sp.j.",
            "526-025-02-74",
            full_name="Przedsiębiorstwo Handlowe „Zażółć” Gęślą i Jaźń sp.j.",
            regon="012345675",
            email="biuro@zazolc.pl",
            phone="+48 58 123 45 67",
            legal_form="S",
            kpir=[
                KpirEntry(date(2026, 1, 5), sales=1_000_000, purchases=300_000),
                KpirEntry(date(2026, 1, 20), other_revenue=5_050, side_costs=1_000),
                KpirEntry(date(2026, 1, 31), salaries=200_000, other_costs=49),
                KpirEntry(date(2026, 2, 14), sales=250_000, description="Usługa „Łódź”"),
                KpirEntry(date(2025, 12, 30), sales=999_999),
            ],
            vat=[
                VatEntry(2026, 1, "S", 230_000, net=1_000_000),
                VatEntry(2026, 1, "Z", 69_000),
                VatEntry(2026, 1, "Z", 1),
                VatEntry(2026, 2, "S", 57_500),
            ],
        ),
        RaksCompany(
            2,
            "Żędzian Ślusarstwo",
            "5213017228",
            full_name="Łukasz Żędzian Usługi Ślusarskie",
            vat_period="K",
            tax_form="RYCZALT",
        ),
        RaksCompany(3, "Archiwum Ćmielów", "7740001454", active=False),
        RaksCompany(4, "Ósemka Błędny NIP", "1234567890", vat_period=None),
        RaksCompany(5, "Świętokrzyska Piekarnia", "9542583988", database=False),
        RaksCompany(
            6,
            "Gęś Sp. z o.o.",
            "5272525995",
            legal_form="P",
            tax_form="KH",
            kpir=[KpirEntry(date(2026, 1, 2), sales=100)],
            omit={"FK_KPIR": {"SALES_VALUE"}},
        ),
        RaksCompany(
            7,
            "Źródło Żywności",
            "1132853869",
            vat_period="N",
            kpir=[KpirEntry(date(2026, 1, 9), sales=100_000, other_costs=2_500)],
            omit={"FK_KPIR": {"SALARIES"}},
            omit_tables={"FK_VAT_REGISTER"},
        ),
        RaksCompany(8, "Bez NIP", ""),
    ]


def _declarations() -> list[RaksDeclaration]:
    added = datetime(2026, 2, 18, 9, 0)
    corrected = datetime(2026, 3, 2, 14, 30)
    return [
        RaksDeclaration(1, "VAT-7", 2026, 1, 1_234_549, created_at=added),
        RaksDeclaration(1, "VAT-7", 2026, 1, 1_234_550, correction=True, created_at=corrected),
        RaksDeclaration(1, "PIT-5L", 2026, 1, 50_050),
        RaksDeclaration(1, "VAT-7", 2026, 3, -12_000, refund=12_000),
        RaksDeclaration(2, "VAT-7K", 2026, 2, 777_777),
        RaksDeclaration(2, "PIT-28", 2026, 1, 12_345),
        RaksDeclaration(2, "PIT-28", 2026, 2, 12_350),
        RaksDeclaration(3, "VAT-7", 2026, 1, 99_900),
        RaksDeclaration(4, "PIT-5", 2026, 1, 10_000),
        RaksDeclaration(4, "PIT-11", 2026, 1, 10_000),
        RaksDeclaration(5, "VAT-7", 2026, 1, 500),
        RaksDeclaration(5, "VAT-7", 2026, 2, 600),
        RaksDeclaration(6, "VAT-7", 2026, 1, 0),
        RaksDeclaration(6, "VAT-7", 2026, 2, 100),
        RaksDeclaration(6, "CIT-8", 2026, 1, 4_200),
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


def _folder(folders: list[Path], name: str | None = None) -> Path:
    folder = server_folder()
    folders.append(folder)
    if name is None:
        return folder
    inner = folder / name
    inner.mkdir()
    if os.geteuid() == 0:
        shutil.chown(inner, "firebird", "firebird")
    return inner


@pytest.fixture(scope="module")
def office(target: FirebirdTarget, folders: list[Path]) -> Path:
    folder = _folder(folders)
    write_raks_data_folder(target, str(folder), RaksData(_companies(), _declarations()))
    return folder


def _reader(folder: Path, target: FirebirdTarget | None = None, **settings) -> RaksReader:
    server = FirebirdServer(target or local_target(), program="raks")
    return RaksReader(server, RaksProgram(host="127.0.0.1", data_folder=str(folder), **settings))


@pytest.fixture(scope="module")
def jan_feb(office: Path):
    return _reader(office).read(JAN_FEB)


# --- companies ------------------------------------------------------------------------------------


def test_companies_come_from_the_global_database_with_polish_names(jan_feb):
    first = _row(jan_feb.companies, source_company_id="F00001")
    assert first == {
        "source": "raks",
        "source_company_id": "F00001",
        "nip": SHARED_NIP,
        "name": "Przedsiębiorstwo Handlowe „Zażółć” Gęślą i Jaźń sp.j.",
        "regon": "012345675",
        "email": "biuro@zazolc.pl",
        "phone": "+48 58 123 45 67",
        "legal_form": "other",
        "tax_form": "kpir",
        "vat_period": "M",
    }
    second = _row(jan_feb.companies, source_company_id="F00002")
    assert second["name"] == "Łukasz Żędzian Usługi Ślusarskie"
    assert (second["vat_period"], second["tax_form"]) == ("Q", "ryczalt")
    assert _row(jan_feb.companies, nip="5272525995")["legal_form"] == "legal_person"


def test_an_inactive_company_is_not_read(jan_feb):
    assert "7740001454" not in set(jan_feb.companies["nip"])
    assert "7740001454" not in set(jan_feb.taxes["nip"])


def test_a_company_without_a_nip_is_skipped_and_said(jan_feb):
    assert "company 8 (Bez NIP) has no NIP (TAXID); it is skipped" in _messages(jan_feb)
    assert "F00008" not in set(jan_feb.companies["source_company_id"])


def test_an_invalid_nip_passes_through_without_a_tax_account(jan_feb):
    row = _row(jan_feb.taxes, nip="1234567890")
    assert (row["tax"], row["amount"], row["account"]) == ("PIT-5", 10_000, None)
    assert _messages(jan_feb, "1234567890") == []


# --- taxes --------------------------------------------------------------------------------------


def test_the_correction_wins_and_taxes_are_whole_zloty_half_up(jan_feb):
    vat = _row(jan_feb.taxes, nip=SHARED_NIP, tax="VAT-7", period="2026-01")
    assert (vat["kind"], vat["amount"]) == ("K", 1_234_600)  # 12 345,50 zł -> 12 346 zł
    assert vat["due_date"] == pd.Timestamp("2026-02-25")
    assert vat["account"] == micro_account(SHARED_NIP)
    pit = _row(jan_feb.taxes, nip=SHARED_NIP, tax="PIT-5L")
    assert (pit["kind"], pit["amount"], pit["due_date"]) == (
        "D",
        50_100,
        pd.Timestamp("2026-02-20"),
    )


def test_a_quarterly_vat_declaration_counts_for_the_quarters_last_month(office):
    data = _reader(office).read(["2026-01", "2026-02", "2026-03"])
    vat = _row(data.taxes, nip="5213017228", tax="VAT-7K")
    assert (vat["period"], vat["amount"]) == ("2026-03", 777_800)
    assert vat["due_date"] == pd.Timestamp("2026-04-27")  # 25 April 2026 is a Saturday
    assert not [m for m in _messages(data, "5213017228") if "VAT" in m]


def test_an_excess_is_zero_to_pay_with_its_refund(office):
    data = _reader(office).read(["2026-03"])
    vat = _row(data.taxes, nip=SHARED_NIP, tax="VAT-7", period="2026-03")
    assert (vat["amount"], vat["refund"]) == (0, 12_000)
    assert pd.isna(vat["carried_forward"])


def test_a_month_without_a_vat_declaration_is_said_and_not_sent_as_zero(jan_feb):
    assert (
        "no VAT-7 declaration added for 2026-02: add it in Raks; no VAT amount is sent for that "
        "month" in _messages(jan_feb, SHARED_NIP)
    )
    sent = jan_feb.taxes.loc[
        (jan_feb.taxes["nip"] == SHARED_NIP) & (jan_feb.taxes["tax"] == "VAT-7")
    ]
    assert list(sent["period"]) == ["2026-01"]
    problem = next(p for p in jan_feb.problems if "2026-02" in p.message and p.nip == SHARED_NIP)
    assert problem.program == "raks" and problem.where.endswith(
        "Raks3000.fdb table R3_DECLARATIONS"
    )


def test_companies_with_every_vat_declaration_get_no_message(jan_feb):
    for nip in ("5213017228", "5272525995", "9542583988", "1132853869"):
        assert not [m for m in _messages(jan_feb, nip) if "declaration added" in m], nip


def test_reading_every_month_says_nothing_about_missing_declarations(office):
    data = _reader(office).read(None)
    assert not [m for m in _messages(data) if "declaration added" in m]
    assert set(data.taxes["period"]) == {"2026-01", "2026-02", "2026-03"}


def test_taxes_of_companies_whose_database_is_broken_still_load(jan_feb):
    assert len(jan_feb.taxes.loc[jan_feb.taxes["nip"] == "9542583988"]) == 2
    assert _row(jan_feb.taxes, nip="5272525995", tax="CIT")["amount"] == 4_200


def test_unmapped_declaration_symbols_are_skipped(jan_feb):
    assert set(jan_feb.taxes["tax"]) <= {"VAT-7", "VAT-7K", "PIT-5", "PIT-5L", "PIT-28", "CIT"}


# --- summaries ----------------------------------------------------------------------------------


def test_summaries_come_from_the_company_kpir_and_vat_register(jan_feb):
    january = _row(jan_feb.summaries, nip=SHARED_NIP, period="2026-01")
    assert (january["revenue"], january["costs"]) == (1_005_050, 501_049)
    assert january["income"] == 504_001
    assert (january["vat_output"], january["vat_input"]) == (230_000, 69_001)
    february = _row(jan_feb.summaries, nip=SHARED_NIP, period="2026-02")
    assert (february["revenue"], february["costs"], february["vat_input"]) == (250_000, 0, 0)
    assert "2025-12" not in set(jan_feb.summaries["period"])


def test_a_missing_optional_column_and_table_are_tolerated(jan_feb):
    row = _row(jan_feb.summaries, nip="1132853869")
    assert (row["revenue"], row["costs"]) == (100_000, 2_500)
    assert pd.isna(row["vat_output"]) and pd.isna(row["vat_input"])


def test_a_missing_company_database_is_a_problem_for_that_company_only(jan_feb, office):
    messages = _messages(jan_feb, "9542583988")
    assert len(messages) == 1
    assert "cannot open the database file" in messages[0]
    assert f"{office}/F00005.FDB" in messages[0]
    assert "also tried" in messages[0] and messages[0].endswith("; no summaries")
    assert "F00005" in set(jan_feb.companies["source_company_id"])


def test_a_missing_required_column_names_program_database_table_and_column(jan_feb, office):
    problem = next(p for p in jan_feb.problems if p.nip == "5272525995")
    assert problem.program == "raks"
    assert problem.where == f"127.0.0.1/3050:{office}/F00006.FDB"
    assert problem.message == "table FK_KPIR: required column SALES_VALUE is missing; no summaries"
    assert "5272525995" not in set(jan_feb.summaries["nip"])


def test_frames_pass_the_schemas(jan_feb):
    assert DATA_TYPES == ("taxes", "summaries")
    for kind in ("companies", "taxes", "summaries"):
        checked = validate(kind, jan_feb.frame(kind))
        assert checked.structural == [], kind
    rejected = validate("companies", jan_feb.companies).rejected_nips
    assert rejected == ["1234567890"]  # the invalid NIP, reported by validation, not the reader
    assert jan_feb.zus.empty


# --- statements ---------------------------------------------------------------------------------


def test_statements_per_database_are_few_and_do_not_grow_with_months(office):
    one = _reader(office)
    one.read(["2026-01"])
    twelve = _reader(office)
    twelve.read([f"2025-{month:02d}" for month in range(3, 13)] + JAN_FEB)
    counts = one.server.statements_by_database
    assert counts == twelve.server.statements_by_database
    assert counts[f"{office}/Raks3000.fdb"] == 3
    assert counts[f"{office}/F00001.FDB"] == 3
    assert counts[f"{office}/F00007.FDB"] == 2  # no VAT register table
    assert counts[f"{office}/F00006.FDB"] == 1  # the catalogue told the column is missing
    assert max(counts.values()) <= 3


def test_every_statement_is_a_select_and_every_sum_is_cast_for_firebird_4(office, monkeypatch):
    sent: list[str] = []
    original = FirebirdDatabase.query

    def capture(self, sql, params=()):
        sent.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(FirebirdDatabase, "query", capture)
    _reader(office).read(JAN_FEB)
    assert all(sql.startswith("SELECT ") for sql in sent)
    sums = [part for sql in sent for part in sql.split("CAST(SUM(")[1:]]
    assert sums and all(" AS NUMERIC(18,2))" in part for part in sums)
    assert sum(sql.count("SUM(") for sql in sent) == sum(sql.count("CAST(SUM(") for sql in sent)


# --- check and probe ----------------------------------------------------------------------------


def test_check_says_what_works(office):
    message = _reader(office).check()
    assert message.startswith("works: Raks on 127.0.0.1/3050 (Firebird 3.0, ODS 12.0, dialect 3)")
    assert "6 active companies (1 inactive)" in message
    assert message.endswith(f"company database {office}/F00001.FDB opens")


def test_check_on_a_folder_without_raks_names_the_file(target, folders):
    empty = _folder(folders)
    with pytest.raises(FirebirdConnectionError) as caught:
        _reader(empty).check()
    assert f"{empty}/Raks3000.fdb" in caught.value.reason
    assert "also tried" in caught.value.reason and "RAKS3000.FDB" in caught.value.reason


def test_check_on_a_global_database_without_the_company_list_says_which_table(target, folders):
    folder = _folder(folders)
    data = RaksData(_companies()[:1], omit_tables={"R3_FIRMS"})
    write_raks_data_folder(target, str(folder), data)
    with pytest.raises(SchemaMismatch, match="table R3_FIRMS: table is missing in .*Raks3000.fdb"):
        _reader(folder).check()
    with pytest.raises(SchemaMismatch, match="R3_FIRMS"):
        _reader(folder).read(JAN_FEB)


def test_probe_lists_tables_codes_and_broken_company_databases(office):
    found = _reader(office).probe()
    json.dumps(found)
    assert found["global_database"]["tables"] == ["R3_DECLARATIONS", "R3_FIRMS"]
    declarations = found["global_database"]["declarations"]
    assert declarations["symbols"]["VAT-7"] == 8
    assert declarations["unmapped_symbols"] == ["PIT-11"]
    assert declarations["corrections"] == {"0": 14, "1": 1}
    assert found["global_database"]["companies"]["inactive"] == ["F00003"]
    by_company = {entry["company"]: entry for entry in found["company_databases"]}
    assert "FK_KPIR" in by_company["F00001"]["tables"]
    assert "cannot open the database file" in by_company["F00005"]["error"]
    kpir = by_company["F00006"]["map"]["FK_KPIR"]
    assert kpir["error"] == "table FK_KPIR: required column SALES_VALUE is missing"
    assert "PURCHASES" in kpir["columns"]
    assert by_company["F00007"]["map"]["FK_VAT_REGISTER"] == {"present": False}


def test_probe_of_a_broken_global_database_lists_what_is_there(target, folders):
    folder = _folder(folders)
    write_raks_data_folder(
        target, str(folder), RaksData(_companies()[:1], omit={"R3_FIRMS": {"TAXID"}})
    )
    found = _reader(folder).probe()
    json.dumps(found)
    firms = found["global_database"]["map"]["R3_FIRMS"]
    assert firms["error"] == "table R3_FIRMS: required column TAXID is missing"
    assert found["global_database"]["companies"] == {"error": firms["error"]}


# --- old installs and odd setups ------------------------------------------------------------------


def test_a_dialect_1_folder_gives_exact_grosze(target, folders):
    folder = _folder(folders)
    companies = [
        RaksCompany(
            1,
            "Stara Baza",
            SHARED_NIP,
            kpir=[
                KpirEntry(date(2026, 1, 3), sales=10, purchases=1),
                KpirEntry(date(2026, 1, 4), sales=20, purchases=2),
                KpirEntry(date(2026, 1, 5), sales=123_456_789, other_costs=99_999_999_99),
            ],
        )
    ]
    declarations = [RaksDeclaration(1, "VAT-7", 2026, 1, 30)]
    write_raks_data_folder(target, str(folder), RaksData(companies, declarations, dialect=1))
    data = _reader(folder).read(["2026-01"])
    summary = _row(data.summaries, nip=SHARED_NIP)
    assert (summary["revenue"], summary["costs"]) == (123_456_819, 99_999_999_99 + 3)
    assert _row(data.taxes, nip=SHARED_NIP)["amount"] == 0  # 0,30 zł rounds to 0 zł
    assert data.problems == []


def test_a_none_charset_folder_holding_win1250_bytes_reads_right_when_said(target, folders):
    folder = _folder(folders)
    write_raks_data_folder(target, str(folder), RaksData(_companies()[:2], database_charset="NONE"))
    none_mode = local_target(charset="NONE", text_encoding="cp1250")
    data = _reader(folder, none_mode, charset="NONE", text_encoding="cp1250").read(JAN_FEB)
    names = set(data.companies["name"])
    assert "Łukasz Żędzian Usługi Ślusarskie" in names
    assert not [m for m in _messages(data) if "charset" in m]
    wrong = local_target(charset="UTF8")
    misread = _reader(folder, wrong, charset="UTF8").read(JAN_FEB)
    assert any("check programs.raks.charset" in m for m in _messages(misread, "5213017228"))
    with pytest.raises(FirebirdConnectionError, match="connection charset UTF8 does not fit"):
        _reader(folder, wrong, charset="UTF8").check()


def test_a_data_folder_with_polish_letters_is_read(target, folders):
    folder = _folder(folders, "Dane Raks Księgowość Łódź")
    write_raks_data_folder(target, str(folder), RaksData(_companies()[:1], _declarations()[:2]))
    data = _reader(folder).read(["2026-01"])
    assert _row(data.taxes, nip=SHARED_NIP)["amount"] == 1_234_600
    assert len(data.summaries) == 1


def test_file_names_in_another_case_are_found(target, folders):
    folder = _folder(folders)
    write_raks_data_folder(target, str(folder), RaksData(_companies()[:1], _declarations()[:2]))
    (folder / "Raks3000.fdb").rename(folder / "RAKS3000.FDB")
    (folder / "F00001.FDB").rename(folder / "F00001.fdb")
    data = _reader(folder).read(["2026-01"])
    assert data.problems == []
    assert len(data.summaries) == 1


def test_a_file_name_stored_in_the_company_list_is_used(target, folders):
    folder = _folder(folders)
    company = _companies()[0]
    company.file_name = "FIRMA_ZAZOLC.FDB"
    declarations = _declarations()[:2]
    write_raks_data_folder(
        target, str(folder), RaksData([company], declarations, store_file_names=True)
    )
    data = _reader(folder).read(["2026-01"])
    assert data.problems == [] and len(data.summaries) == 1


def test_the_company_list_can_be_limited_in_the_settings(office):
    data = _reader(office, companies=[2]).read(JAN_FEB)
    assert list(data.companies["source_company_id"]) == ["F00002"]


def test_an_unreachable_server_makes_the_whole_program_unavailable(office):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(FirebirdConnectionError) as caught:
        _reader(office, local_target(port=closed)).read(JAN_FEB)
    assert caught.value.kind == "unreachable" and caught.value.program == "raks"


def test_the_standard_data_folder_is_found_and_the_migrated_one_preferred():
    folders = ("C:\\Program Files\\Raks\\Data", "/usr/raks/Data")
    assert detect_data_folder(folders, {"/usr/raks/Data"}.__contains__) == "/usr/raks/Data"
    both = {"C:\\Program Files\\Raks\\Data", "C:\\Program Files\\Raks\\Data4"}
    assert detect_data_folder(folders, both.__contains__) == "C:\\Program Files\\Raks\\Data4"
    assert detect_data_folder(folders, set().__contains__) is None


def test_without_a_data_folder_on_a_remote_server_the_setting_is_asked_for():
    reader = RaksReader(FirebirdServer(local_target()), RaksProgram(host="raks-serwer"))
    with pytest.raises(FirebirdConnectionError, match="set programs.raks.data_folder"):
        reader.read(JAN_FEB)
