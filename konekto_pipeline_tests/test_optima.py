"""Comarch ERP Optima reader: companies, taxes and summaries from Optima-shaped databases.

MS SQL Server cannot run here, so the writer builds a configuration database and company
databases with Optima's schema, table and column names on SQLite files (CDN attached as a
schema) and on PostgreSQL (a real CDN schema), and the same reader code reads both; the
statements it sends are also compiled for the mssql dialect. The fixture office holds a KPiR
company whose NIP Płatnik's fixtures use too, a quarterly VAT company with a correction, a
ryczałt company and an inactive one; further tests break one database at a time (a missing
table, a missing column) and check that the others still load.
"""

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.schemas import validate
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.optima.reader import DATA_TYPES, OptimaReader
from konekto_pipeline.sources.optima.writer import (
    PIT_4R,
    PIT_5,
    PIT_5L,
    PIT_28,
    PIT_36_ANNUAL,
    VAT_7,
    KpirEntry,
    OptimaCompany,
    OptimaDeclaration,
    OptimaOffice,
    OptimaPayment,
    RyczaltEntry,
    VatEntry,
    generated_office,
    write_optima_company,
    write_optima_configuration,
    write_optima_sqlite_office,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer, SqlServerTarget
from konekto_pipeline.sources.sql.tables import SchemaMismatch

CONFIGURATION = "CDN_KNF_Konfiguracja"

KOWALSKI_NIP = "5260250274"  # also a payer in the Płatnik/KEDU fixtures
ZOLW_NIP = "6260181591"
NOWAK_NIP = "1830166138"
LAS_NIP = "7030824620"
PERIODS = ["2026-01", "2026-02", "2026-03"]


def kowalski() -> OptimaCompany:
    """KPiR, monthly VAT; declarations of every mapped kind, a draft and an annual return."""
    return OptimaCompany(
        database="CDN_Kowalski",
        name="Usługi Ślusarskie Józef Kowalski",
        nip="526-025-02-74",
        regon="123456785",
        email="jozef.kowalski@example.pl",
        phone="+48 601 234 567",
        tax_form="KPiR",
        vat_period="miesięcznie",
        declarations=(
            OptimaDeclaration(VAT_7, "2026-01", 123449, declaration_id=1),
            OptimaDeclaration(PIT_5, "2026-01", 51250, declaration_id=2),
            OptimaDeclaration(PIT_4R, "2026-01", 30000, declaration_id=3),
            OptimaDeclaration(VAT_7, "2026-02", 100000, declaration_id=4),
            OptimaDeclaration(VAT_7, "2026-02", 120000, declaration_id=5, corrects=4),
            OptimaDeclaration(PIT_5, "2026-02", 99999, declaration_id=6, final=False),
            OptimaDeclaration(PIT_36_ANNUAL, "2025-12", 700000, declaration_id=7),
            OptimaDeclaration(VAT_7, "2026-03", -25000, declaration_id=8),
        ),
        payments=(
            # A declaration exists for VAT-7 01/2026: it wins over the schedule.
            OptimaPayment(date(2026, 2, 25), 999900, "VAT-7 za 01/2026"),
            # No PIT-4 declaration for 02/2026: the schedule supplies an advance.
            OptimaPayment(date(2026, 3, 20), 45040, "PIT-4R za 02/2026"),
            OptimaPayment(date(2026, 3, 20), 181234, "ZUS za 02/2026"),
            OptimaPayment(date(2026, 3, 20), 77700, "PIT-4R zwrot", outgoing=False),
            OptimaPayment(date(2026, 3, 20), 88800, "PIT-4R kontrahent", to_office=False),
        ),
        kpir=(
            KpirEntry("2026-01", sales=1000000, other_revenue=5000, goods=400000, wages=250000),
            KpirEntry("2026-01", sales=200000, incidental=10000, advertising=5000, other_costs=1),
            KpirEntry("2026-01", sales=999999, in_buffer=True),
            KpirEntry("2026-01", goods=888888, struck_out=True),
            KpirEntry("2026-02", sales=500050, goods=100000, research=70000),
            KpirEntry("2026-03", sales=100, goods=300),
        ),
        vat=(
            VatEntry("2026-01", sales=True, net=1200000, vat=276000),
            VatEntry("2026-01", sales=False, net=400000, vat=92000),
            VatEntry("2026-01", sales=False, net=50000, vat=11500, return_period="2026-02"),
            VatEntry("2026-01", sales=True, net=10000, vat=2300, in_vat_return=False),
        ),
    )


def zolw() -> OptimaCompany:
    """A company settling VAT quarterly (JPK_V7K) and PIT-36L advances of two partners."""
    return OptimaCompany(
        database="CDN_Zolw",
        name="Żółw Gęślą Jaźń sp. z o.o.",
        nip=ZOLW_NIP,
        email="biuro@zolw.example.pl",
        tax_form="KPiR",
        vat_period="kwartalnie",
        declarations=(
            OptimaDeclaration(VAT_7, "2026-01", 0, declaration_id=1),
            OptimaDeclaration(VAT_7, "2026-03", 345678, declaration_id=2),
            OptimaDeclaration(PIT_5L, "2026-02", 40000, declaration_id=3, taxpayer_id=1),
            OptimaDeclaration(PIT_5L, "2026-02", 25049, declaration_id=4, taxpayer_id=2),
        ),
        kpir=(KpirEntry("2026-02", sales=300000, goods=120000),),
    )


def nowak() -> OptimaCompany:
    """Inactive in Optima: never read, whatever its database holds."""
    return OptimaCompany(
        database="CDN_Nowak_Archiwum",
        name="Ewa Nowak (archiwum)",
        nip=NOWAK_NIP,
        active=False,
        declarations=(OptimaDeclaration(VAT_7, "2026-01", 50000),),
    )


def las() -> OptimaCompany:
    """Ryczałt: revenue from the ryczałt register, PIT-28 advances."""
    return OptimaCompany(
        database="CDN_Las",
        name="Leśniczówka Łąka Źródło Maćka",
        nip=LAS_NIP,
        tax_form="ryczałt",
        declarations=(OptimaDeclaration(PIT_28, "2026-01", 12345, declaration_id=1),),
        ryczalt=(
            RyczaltEntry("2026-01", (0, 0, 100000, 250000)),
            RyczaltEntry("2026-01", (10000,), struck_out=True),
            RyczaltEntry("2026-02", (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
        ),
    )


def office(*companies: OptimaCompany) -> OptimaOffice:
    return OptimaOffice(companies or (kowalski(), zolw(), nowak(), las()))


# --- deploying an office on SQLite or PostgreSQL -------------------------------------------


@dataclass
class Deployed:
    """An office written to one engine, and how to read it; `name` maps fixture names."""

    template: str
    configuration: str
    names: dict[str, str]
    servers: list[SqlServer] = field(default_factory=list)

    def name(self, database: str) -> str:
        return self.names[database]

    def reader(self, **settings: Any) -> OptimaReader:
        server = SqlServer(
            SqlServerTarget(url_template=self.template), sqlite_schemas=("CDN",), program="optima"
        )
        self.servers.append(server)
        program = SqlProgram(url=self.template, **{"database": self.configuration, **settings})
        return OptimaReader(server, program)

    def close(self) -> None:
        for server in self.servers:
            server.dispose()


def renamed(optima: OptimaOffice, suffix: str) -> OptimaOffice:
    companies = [
        dataclasses.replace(company, database=f"{company.database}_{suffix}")
        for company in optima.companies
    ]
    return OptimaOffice(companies, configuration=f"{optima.configuration}_{suffix}")


def names_of(original: OptimaOffice, written: OptimaOffice) -> dict[str, str]:
    names = {original.configuration: written.configuration}
    for before, after in zip(original.companies, written.companies, strict=True):
        names[before.database] = after.database
    return names


def deploy_sqlite(optima: OptimaOffice, folder: Path, suffix: str | None = None) -> Deployed:
    written = renamed(optima, suffix) if suffix else optima
    template = write_optima_sqlite_office(folder, written)
    return Deployed(template, written.configuration, names_of(optima, written))


def deploy_postgres(
    optima: OptimaOffice, create: Callable[..., str], template: str, suffix: str
) -> Deployed:
    """Writes the office on PostgreSQL: `create` (the pg_database fixture) makes its databases."""
    written = renamed(optima, suffix)
    for database in [written.configuration, *(c.database for c in written.companies)]:
        create(database)
    write_optima_configuration(template.format(database=written.configuration), written.companies)
    for company in written.companies:
        write_optima_company(template.format(database=company.database), company)
    return Deployed(template, written.configuration, names_of(optima, written))


@pytest.fixture(params=["sqlite", "postgresql"])
def deploy(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[OptimaOffice], Deployed]]:
    """Writes an office on the engine of the parameter; the same reader then reads it."""
    deployed: list[Deployed] = []

    def write(optima: OptimaOffice) -> Deployed:
        if request.param == "sqlite":
            result = deploy_sqlite(optima, tmp_path / f"office{len(deployed)}")
        else:
            create = request.getfixturevalue("pg_database")
            template = request.getfixturevalue("pg_template")
            result = deploy_postgres(optima, create, template, uuid.uuid4().hex[:10])
        deployed.append(result)
        return result

    yield write
    for result in deployed:
        result.close()


def records(frame: pd.DataFrame, *columns: str) -> list[dict[str, Any]]:
    return (
        frame[list(columns)]
        .astype(object)
        .where(frame[list(columns)].notna(), None)
        .to_dict("records")
    )


# --- companies -------------------------------------------------------------------------------


def test_companies_come_from_the_active_company_databases(deploy: Callable) -> None:
    deployed = deploy(office())

    companies = deployed.reader().read(PERIODS).companies

    assert records(companies, *companies.columns) == [
        {
            "source": "optima",
            "source_company_id": deployed.name("CDN_Kowalski"),
            "nip": KOWALSKI_NIP,
            "name": "Usługi Ślusarskie Józef Kowalski",
            "regon": "123456785",
            "email": "jozef.kowalski@example.pl",
            "phone": "+48 601 234 567",
            "legal_form": None,
            "tax_form": "kpir",
            "vat_period": "M",
        },
        {
            "source": "optima",
            "source_company_id": deployed.name("CDN_Las"),
            "nip": LAS_NIP,
            "name": "Leśniczówka Łąka Źródło Maćka",
            "regon": None,
            "email": None,
            "phone": None,
            "legal_form": None,
            "tax_form": "ryczalt",
            "vat_period": None,
        },
        {
            "source": "optima",
            "source_company_id": deployed.name("CDN_Zolw"),
            "nip": ZOLW_NIP,
            "name": "Żółw Gęślą Jaźń sp. z o.o.",
            "regon": None,
            "email": "biuro@zolw.example.pl",
            "phone": None,
            "legal_form": None,
            "tax_form": "kpir",
            "vat_period": "Q",
        },
    ]


def test_inactive_company_database_is_skipped_but_listed_by_probe(deploy: Callable) -> None:
    deployed = deploy(office())
    reader = deployed.reader()

    data = reader.read(PERIODS)
    probe = reader.probe()

    assert NOWAK_NIP not in set(data.companies["nip"]) | set(data.taxes["nip"])
    assert data.problems == []
    listing = {entry["database"]: entry["active"] for entry in probe["company_databases"]}
    assert listing[deployed.name("CDN_Nowak_Archiwum")] is False
    assert deployed.name("CDN_Nowak_Archiwum") not in probe["databases"]


def test_databases_setting_restricts_the_read_and_names_what_it_cannot_read(
    deploy: Callable,
) -> None:
    deployed = deploy(office())
    wanted = [deployed.name("CDN_Las"), deployed.name("CDN_Nowak_Archiwum"), "CDN_Nieznana"]

    data = deployed.reader(databases=wanted).read(PERIODS)

    assert list(data.companies["nip"]) == [LAS_NIP]
    messages = sorted(str(problem) for problem in data.problems)
    assert messages == [
        "optima: CDN_Nieznana: named in programs.optima.databases but not listed in CDN.Bazy "
        f"of {deployed.configuration}; not read",
        f"optima: {deployed.name('CDN_Nowak_Archiwum')}: marked inactive in Optima "
        "(CDN.Bazy.Baz_Nieaktywna); not read",
    ]


def test_invalid_nip_passes_through_for_validation_to_report(deploy: Callable) -> None:
    broken = dataclasses.replace(kowalski(), nip="PL 123-456-78-90", nip_in_bazy=False)
    deployed = deploy(office(broken))

    data = deployed.reader().read(PERIODS)

    assert list(data.companies["nip"]) == ["1234567890"]
    assert set(data.taxes["nip"]) == {"1234567890"}
    assert data.taxes["account"].isna().all()
    assert data.problems == []
    checked = validate("taxes", data.taxes)
    assert checked.structural == []
    assert checked.rejected_nips == ["1234567890"]


def test_company_without_any_nip_is_a_problem_and_the_others_load(deploy: Callable) -> None:
    nameless = dataclasses.replace(las(), nip=None)
    deployed = deploy(office(kowalski(), nameless))

    data = deployed.reader().read(PERIODS)

    assert list(data.companies["nip"]) == [KOWALSKI_NIP]
    assert [str(problem) for problem in data.problems] == [
        f"optima: {deployed.name('CDN_Las')}: no NIP: no CDN.Firma row labelled nip and no "
        "CDN.Bazy.Baz_Nip; the company is not read"
    ]


# --- taxes -----------------------------------------------------------------------------------


def test_taxes_come_from_final_declarations_rounded_to_whole_zloty(deploy: Callable) -> None:
    deployed = deploy(office(kowalski()))

    taxes = deployed.reader().read(["2026-01"]).taxes

    assert records(taxes, "source_company_id", "period", "tax", "kind", "amount") == [
        {
            "source_company_id": deployed.name("CDN_Kowalski"),
            "period": "2026-01",
            "tax": tax,
            "kind": "D",
            "amount": amount,
        }
        for tax, amount in [("PIT-4", 30000), ("PIT-5", 51300), ("VAT-7", 123400)]
    ]
    assert list(taxes["due_date"]) == [
        pd.Timestamp("2026-02-20"),
        pd.Timestamp("2026-02-20"),
        pd.Timestamp("2026-02-25"),
    ]
    assert set(taxes["account"]) == {micro_account(KOWALSKI_NIP)}
    assert taxes["refund"].isna().all() and taxes["carried_forward"].isna().all()


def test_a_correction_supersedes_the_declaration_it_corrects(deploy: Callable) -> None:
    deployed = deploy(office(kowalski()))

    taxes = deployed.reader().read(["2026-02"]).taxes

    vat = taxes[taxes["tax"] == "VAT-7"]
    assert records(vat, "period", "kind", "amount") == [
        {"period": "2026-02", "kind": "K", "amount": 120000}
    ]
    assert list(vat["due_date"]) == [pd.Timestamp("2026-03-25")]


def test_drafts_and_annual_returns_are_not_taxes_to_pay(deploy: Callable) -> None:
    deployed = deploy(office(kowalski()))

    taxes = deployed.reader().read(["2025-12", "2026-02"]).taxes

    assert not ((taxes["tax"] == "PIT-5") & (taxes["period"] == "2026-02")).any()
    assert (taxes["period"] != "2025-12").all()


def test_an_excess_is_nothing_to_pay(deploy: Callable) -> None:
    deployed = deploy(office(kowalski()))

    taxes = deployed.reader().read(["2026-03"]).taxes

    assert records(taxes, "tax", "kind", "amount", "refund") == [
        {"tax": "VAT-7", "kind": "D", "amount": 0, "refund": None}
    ]


def test_vat7k_is_the_quarter_declared_in_its_last_month(deploy: Callable) -> None:
    deployed = deploy(office(zolw()))
    reader = deployed.reader()

    quarter = reader.read(PERIODS).taxes
    first_month_only = reader.read(["2026-01"]).taxes

    vat = quarter[quarter["tax"].str.startswith("VAT")]
    assert records(vat, "period", "tax", "kind", "amount") == [
        {"period": "2026-03", "tax": "VAT-7K", "kind": "D", "amount": 345700}
    ]
    assert list(vat["due_date"]) == [pd.Timestamp("2026-04-27")]  # 25 April 2026 is a Saturday
    assert first_month_only.empty


def test_pit_advances_of_two_partners_are_added_up(deploy: Callable) -> None:
    deployed = deploy(office(zolw()))

    taxes = deployed.reader().read(["2026-02"]).taxes

    assert records(taxes, "period", "tax", "kind", "amount") == [
        {"period": "2026-02", "tax": "PIT-5L", "kind": "D", "amount": 65000}
    ]
    assert list(taxes["due_date"]) == [pd.Timestamp("2026-03-20")]


def test_payment_schedule_supplies_an_advance_only_where_no_declaration_exists(
    deploy: Callable,
) -> None:
    deployed = deploy(office(kowalski()))

    taxes = deployed.reader().read(["2026-01", "2026-02"]).taxes

    assert records(taxes, "period", "tax", "kind", "amount") == [
        {"period": "2026-01", "tax": "PIT-4", "kind": "D", "amount": 30000},
        {"period": "2026-01", "tax": "PIT-5", "kind": "D", "amount": 51300},
        {"period": "2026-01", "tax": "VAT-7", "kind": "D", "amount": 123400},
        {"period": "2026-02", "tax": "PIT-4", "kind": "Z", "amount": 45000},
        {"period": "2026-02", "tax": "VAT-7", "kind": "K", "amount": 120000},
    ]
    advance = taxes[taxes["kind"] == "Z"]
    assert list(advance["due_date"]) == [pd.Timestamp("2026-03-20")]


def test_ryczalt_advances_are_pit_28(deploy: Callable) -> None:
    deployed = deploy(office(las()))

    taxes = deployed.reader().read(["2026-01"]).taxes

    assert records(taxes, "period", "tax", "kind", "amount") == [
        {"period": "2026-01", "tax": "PIT-28", "kind": "D", "amount": 12300}
    ]
    assert list(taxes["due_date"]) == [pd.Timestamp("2026-02-20")]


# --- summaries -------------------------------------------------------------------------------


def test_kpir_summary_counts_booked_entries_and_vat_of_the_return_period(
    deploy: Callable,
) -> None:
    deployed = deploy(office(kowalski()))

    summaries = deployed.reader().read(["2026-01", "2026-02"]).summaries

    columns = ("period", "revenue", "costs", "income", "vat_output", "vat_input")
    assert records(summaries, *columns, "revenue_ytd", "costs_ytd") == [
        {
            "period": "2026-01",
            "revenue": 1205000,
            "costs": 665001,
            "income": 539999,
            "vat_output": 276000,
            "vat_input": 92000,
            "revenue_ytd": 1205000,
            "costs_ytd": 665001,
        },
        {
            "period": "2026-02",
            "revenue": 500050,
            "costs": 100000,
            "income": 400050,
            "vat_output": 0,
            "vat_input": 11500,
            "revenue_ytd": 1705050,
            "costs_ytd": 765001,
        },
    ]


def test_year_to_date_counts_months_before_those_asked_for(deploy: Callable) -> None:
    deployed = deploy(office(kowalski()))

    summaries = deployed.reader().read(["2026-03"]).summaries

    assert records(summaries, "period", "revenue", "costs", "revenue_ytd", "costs_ytd") == [
        {
            "period": "2026-03",
            "revenue": 100,
            "costs": 300,
            "revenue_ytd": 1705150,
            "costs_ytd": 765301,
        }
    ]


def test_ryczalt_summary_is_the_registers_revenue(deploy: Callable) -> None:
    deployed = deploy(office(las()))

    summaries = deployed.reader().read(PERIODS).summaries

    assert records(summaries, "period", "revenue", "costs", "income", "vat_output") == [
        {"period": "2026-01", "revenue": 350000, "costs": 0, "income": 350000, "vat_output": None},
        {"period": "2026-02", "revenue": 1, "costs": 0, "income": 1, "vat_output": None},
    ]


# --- broken databases ------------------------------------------------------------------------


def test_a_missing_table_is_a_problem_of_that_company_while_others_load(
    deploy: Callable,
) -> None:
    broken = dataclasses.replace(kowalski(), omit_tables=frozenset({"VatTab"}))
    deployed = deploy(office(broken, zolw()))

    data = deployed.reader().read(PERIODS)

    assert [str(problem) for problem in data.problems] == [
        f"optima: {deployed.name('CDN_Kowalski')}: CDN.VatTab (NIP {KOWALSKI_NIP}): table is "
        "missing; its summaries were not loaded"
    ]
    assert set(data.summaries["nip"]) == {ZOLW_NIP}
    assert set(data.taxes["nip"]) == {KOWALSKI_NIP, ZOLW_NIP}
    assert set(data.companies["nip"]) == {KOWALSKI_NIP, ZOLW_NIP}


def test_a_missing_required_column_is_named_with_its_table_and_database(
    deploy: Callable,
) -> None:
    broken = dataclasses.replace(zolw(), omit_columns={"DeklNag": frozenset({"DkN_Kwota"})})
    deployed = deploy(office(kowalski(), broken))

    data = deployed.reader().read(PERIODS)

    assert [str(problem) for problem in data.problems] == [
        f"optima: {deployed.name('CDN_Zolw')}: CDN.DeklNag (NIP {ZOLW_NIP}): required column "
        "DkN_Kwota is missing; its taxes were not loaded"
    ]
    assert set(data.taxes["nip"]) == {KOWALSKI_NIP}
    assert set(data.summaries["nip"]) == {KOWALSKI_NIP, ZOLW_NIP}


def test_missing_optional_columns_are_tolerated(deploy: Callable) -> None:
    older = dataclasses.replace(
        kowalski(),
        omit_columns={
            "DeklNag": frozenset({"DkN_ParentId", "DkN_PraID", "DkN_Wersja"}),
            "ZapisyKPR": frozenset({"KPR_Reklama"}),
            "BnkZdarzenia": frozenset({"BZd_DokumentTyp"}),
        },
    )
    deployed = deploy(office(older))

    data = deployed.reader().read(["2026-01", "2026-02"])

    assert data.problems == []
    vat = data.taxes[data.taxes["tax"] == "VAT-7"]
    # Without DkN_ParentId, a second final declaration of the month still marks a correction.
    assert records(vat, "period", "kind", "amount") == [
        {"period": "2026-01", "kind": "D", "amount": 123400},
        {"period": "2026-02", "kind": "K", "amount": 120000},
    ]
    assert list(data.summaries["costs"]) == [660001, 100000]  # no advertising column


def test_without_cdn_firma_the_name_and_nip_come_from_cdn_bazy(deploy: Callable) -> None:
    broken = dataclasses.replace(zolw(), omit_tables=frozenset({"Firma"}))
    deployed = deploy(office(broken))

    data = deployed.reader().read(["2026-02"])

    assert records(data.companies, "nip", "name", "vat_period") == [
        {"nip": ZOLW_NIP, "name": "Żółw Gęślą Jaźń sp. z o.o.", "vat_period": None}
    ]
    assert [str(problem) for problem in data.problems] == [
        f"optima: {deployed.name('CDN_Zolw')}: CDN.Firma (NIP {ZOLW_NIP}): table is missing; "
        "its name and NIP were taken from CDN.Bazy"
    ]
    assert list(data.taxes["amount"]) == [65000]


def test_an_invalid_regon_is_left_out_with_a_problem(deploy: Callable) -> None:
    deployed = deploy(office(dataclasses.replace(las(), regon="123456789")))

    data = deployed.reader().read(["2026-01"])

    assert data.companies["regon"].isna().all()
    assert [str(problem) for problem in data.problems] == [
        f"optima: {deployed.name('CDN_Las')}: CDN.Firma (NIP {LAS_NIP}): REGON '123456789' is "
        "not a valid REGON; left out"
    ]


def test_a_company_database_that_cannot_be_opened_is_a_problem(tmp_path: Path) -> None:
    deployed = deploy_sqlite(office(kowalski(), las()), tmp_path)
    (tmp_path / "CDN_Las.sqlite").unlink()

    data = deployed.reader().read(PERIODS)

    assert list(data.companies["nip"]) == [KOWALSKI_NIP]
    [problem] = data.problems
    assert problem.where == "CDN_Las"
    assert problem.nip == LAS_NIP
    assert problem.message == (
        "the company database could not be opened: database file "
        f"{tmp_path / 'CDN_Las.sqlite'} does not exist"
    )


def test_an_older_configuration_database_without_baz_nip_still_lists_companies(
    tmp_path: Path,
) -> None:
    optima = office(kowalski())
    template = write_optima_sqlite_office(tmp_path, optima)
    (tmp_path / f"{CONFIGURATION}.sqlite").unlink()
    write_optima_configuration(
        f"sqlite:///{tmp_path}/{CONFIGURATION}.sqlite",
        optima.companies,
        omit_columns=frozenset({"Baz_Nip", "Baz_NazwaSerwera", "Baz_Nieaktywna"}),
    )
    deployed = Deployed(template, CONFIGURATION, {})

    data = deployed.reader().read(PERIODS)

    assert list(data.companies["nip"]) == [KOWALSKI_NIP]
    assert data.problems == []


# --- check, probe ----------------------------------------------------------------------------


def test_check_counts_the_company_databases(deploy: Callable) -> None:
    deployed = deploy(office())

    answer = deployed.reader().check()

    assert answer == (
        f"works: 3 company databases to read in {deployed.configuration} (4 listed, 1 inactive)"
    )


def test_check_of_a_database_without_cdn_bazy_says_it_is_no_configuration_database(
    deploy: Callable,
) -> None:
    deployed = deploy(office(kowalski()))
    reader = deployed.reader(database=deployed.name("CDN_Kowalski"))

    with pytest.raises(SchemaMismatch) as raised:
        reader.check()

    assert raised.value.table == "CDN.Bazy"
    assert "not an Optima configuration database" in str(raised.value)
    assert deployed.name("CDN_Kowalski") in str(raised.value)
    with pytest.raises(SchemaMismatch, match="not an Optima configuration database"):
        reader.read(PERIODS)


def test_a_configuration_database_that_is_not_there_makes_the_program_unavailable(
    tmp_path: Path,
) -> None:
    deployed = deploy_sqlite(office(kowalski()), tmp_path)
    reader = deployed.reader(database="CDN_KNF_Inna")

    with pytest.raises(SqlConnectionError, match="does not exist"):
        reader.read(PERIODS)
    with pytest.raises(SqlConnectionError, match="does not exist"):
        reader.check()


def test_probe_lists_databases_tables_codes_and_labels(deploy: Callable) -> None:
    broken = dataclasses.replace(las(), omit_tables=frozenset({"VatNag"}))
    deployed = deploy(office(kowalski(), broken, nowak()))

    probe = deployed.reader().probe()

    kowalski_probe = probe["databases"][deployed.name("CDN_Kowalski")]
    assert kowalski_probe["version"] == "2025.5.1"
    assert kowalski_probe["tables"]["CDN.DeklNag"] == 8
    assert {
        "type": 15,
        "version": 21,
        "final": 1,
        "count": 1,
        "first": 202512,
        "last": 202512,
        "read_as": None,
    } in kowalski_probe["declaration_types"]
    assert {
        "type": 1,
        "version": 21,
        "final": 1,
        "count": 4,
        "first": 202601,
        "last": 202603,
        "read_as": "VAT-7",
    } in kowalski_probe["declaration_types"]
    assert kowalski_probe["office_payments"]["by_tax"] == {
        "PIT-4": 1,
        "VAT-7": 1,
        "ZUS (not read)": 1,
    }
    assert kowalski_probe["firma"]["mapped"]["nip"] == "nip"
    assert "miasto" in kowalski_probe["firma"]["labels"]
    assert kowalski_probe["vat_register_types"] == {"1": 2, "2": 2}
    las_probe = probe["databases"][deployed.name("CDN_Las")]
    assert las_probe["tables"]["CDN.VatNag"] == "missing"
    assert "CDN.VatNag" in las_probe["vat_register_types"]["error"]
    assert len(probe["company_databases"]) == 3
    assert json.loads(json.dumps(probe)) == probe


# --- engines and statements ------------------------------------------------------------------


def test_postgresql_and_sqlite_give_identical_frames(
    pg_database: Callable[..., str], pg_template: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:10]
    on_sqlite = deploy_sqlite(office(), tmp_path, suffix)
    on_postgres = deploy_postgres(office(), pg_database, pg_template, suffix)

    try:
        from_sqlite = on_sqlite.reader().read(PERIODS)
        from_postgres = on_postgres.reader().read(PERIODS)
    finally:
        on_sqlite.close()
        on_postgres.close()

    for kind in ("companies", "taxes", "summaries"):
        pd.testing.assert_frame_equal(from_sqlite.frame(kind), from_postgres.frame(kind))
    assert from_sqlite.problems == from_postgres.problems == []


def test_frames_pass_the_schemas(deploy: Callable) -> None:
    deployed = deploy(office())

    data = deployed.reader().read(PERIODS)

    for kind in ("companies", "taxes", "summaries"):
        checked = validate(kind, data.frame(kind))
        assert checked.structural == []
        assert checked.row_failures.empty
    assert data.zus.empty and "zus" not in DATA_TYPES


def test_every_select_compiles_for_sql_server(
    tmp_path: Path, record_statements: Callable[[], list[Any]], mssql_text: Callable[..., str]
) -> None:
    deployed = deploy_sqlite(office(), tmp_path)
    statements = record_statements()
    reader = deployed.reader()
    reader.read(PERIODS)
    reader.probe()

    compiled = [mssql_text(statement) for statement in statements]
    assert all(isinstance(statement, sa.Select) for statement in statements)
    text = "\n".join(compiled)
    for table in ("Bazy", "Firma", "DeklNag", "BnkZdarzenia", "ZapisyKPR", "Ryczalt", "VatNag"):
        assert f"FROM [CDN].[{table}]" in text
    assert "JOIN [CDN].[VatTab]" in text
    assert "[CDN].[DeklNag].[DkN_RokMiesiac] BETWEEN" in text


def test_statements_per_company_database_do_not_grow_with_periods_or_rows(
    tmp_path: Path,
) -> None:
    periods = [f"2026-{month:02d}" for month in range(1, 13)]
    deployed = deploy_sqlite(generated_office(4, periods, seed=3), tmp_path)

    one_month = deployed.reader()
    one_month.read(["2026-06"])
    whole_year = deployed.reader()
    whole_year.read(periods)

    by_month = one_month.server.statements_by_database
    by_year = whole_year.server.statements_by_database
    assert by_month == by_year
    company_counts = {count for name, count in by_year.items() if name != CONFIGURATION}
    assert company_counts == {13}  # 7 column lookups and 6 SELECTs on SQLite


def test_a_generated_office_reads_clean(tmp_path: Path) -> None:
    periods = [f"2026-{month:02d}" for month in range(1, 13)]
    shared = {1: KOWALSKI_NIP}
    deployed = deploy_sqlite(generated_office(8, periods, seed=5, nip=shared.get), tmp_path)

    data = deployed.reader().read(periods)

    assert data.problems == []
    assert len(data.companies) == 8 and KOWALSKI_NIP in set(data.companies["nip"])
    assert set(data.taxes["tax"]) == {"VAT-7", "VAT-7K", "PIT-5", "PIT-28"}
    assert len(data.summaries) == 8 * 12
    for kind in ("companies", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).row_failures.empty
