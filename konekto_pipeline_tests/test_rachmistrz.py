"""InsERT GT Rachmistrz reader: companies, declarations and KPiR / ryczałt totals per database.

MS SQL Server cannot run here, so the same reader code reads company databases that
`rachmistrz.writer` (written apart from the reader) creates as SQLite files, attached as `dbo`,
and as PostgreSQL databases with a real `dbo` schema; both must give identical frames, and
every SELECT the reader sends must compile for SQL Server. Much of the table map is guessed,
so the tests pin what must hold around it: exact grosze and due dates, corrections, quarterly
items, year-to-date totals, one bad database never stopping the others, messages naming the
database, table and column, and check()/probe() answers an office can act on.
"""

import json
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.schemas import validate
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.rachmistrz.reader import (
    DATA_TYPES,
    RachmistrzReader,
    discovery_statement,
    make_server,
    with_default_instance,
)
from konekto_pipeline.sources.rachmistrz.writer import (
    PIT_4,
    PIT_5,
    PIT_11,
    PIT_28,
    RYCZALT,
    VAT_7,
    VAT_7K,
    GtCompany,
    GtDeclaration,
    KpirEntry,
    RyczaltEntry,
    write_rachmistrz_database,
    write_rachmistrz_sqlite,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError
from konekto_pipeline.sources.sql.tables import SchemaMismatch

PERIODS = ["2026-01", "2026-02", "2026-03"]

SHARED_NIP = "5260250274"  # also a client in the KEDU and JPK fixtures
RYCZALT_NIP = "6462933516"
DORMANT_NIP = "8992689516"

KOWALSKI = GtCompany(
    nip="526-025-02-74",
    name="Łukasz Żółć-Kowalski Usługi Leśne „Źdźbło”",
    short_name="Źdźbło",
    regon="012100784",
    email="biuro@zdzblo.pl",
    declarations=(
        GtDeclaration(VAT_7, 2025, 12, 90000),
        GtDeclaration(VAT_7, 2026, 1, 123449),
        GtDeclaration(VAT_7, 2026, 1, 150050, correction=True),
        GtDeclaration(VAT_7, 2026, 2, 0, carried_forward=30000),
        GtDeclaration(PIT_5, 2026, 1, 43250),
        GtDeclaration(PIT_5, 2026, 2, 61000),
        GtDeclaration(PIT_4, 2026, 2, 18049),
        GtDeclaration(PIT_11, 2026, 1, 0),
    ),
    kpir=(
        KpirEntry(date(2025, 12, 10), sales=500000),
        KpirEntry(date(2026, 1, 5), sales=1000000, goods=200000),
        KpirEntry(date(2026, 1, 20), other_revenue=50000, wages=300000),
        KpirEntry(date(2026, 2, 3), sales=800000, other_costs=123456),
    ),
)
NOWAK = GtCompany(
    nip=RYCZALT_NIP,
    name="Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma”",
    accounting_type=RYCZALT,
    declarations=(
        GtDeclaration(VAT_7K, 2026, 3, 210000),
        GtDeclaration(PIT_28, 2026, 1, 35000),
        GtDeclaration(PIT_28, 2026, 2, 42000),
    ),
    ryczalt=(
        RyczaltEntry(date(2026, 1, 15), 400000),
        RyczaltEntry(date(2026, 1, 30), 100000),
        RyczaltEntry(date(2026, 2, 11), 600000),
    ),
)
DORMANT = GtCompany(
    nip=DORMANT_NIP,
    name="Zawieszona Działalność Jędrzej Ęś",
    declarations=(GtDeclaration(VAT_7, 2024, 5, 10000),),
    kpir=(KpirEntry(date(2024, 5, 2), sales=100000),),
)
BAD_NIP = GtCompany(
    nip="123-456-78-90",
    name="Firma z błędnym NIP-em",
    declarations=(GtDeclaration(VAT_7, 2026, 1, 10000),),
)
OFFICE = {"kowalski": KOWALSKI, "nowak": NOWAK, "dormant": DORMANT, "bad_nip": BAD_NIP}


# --- building offices on SQLite and PostgreSQL ------------------------------------------------


@dataclass
class Office:
    """Company databases written for a test; `names` maps a short key to the database name."""

    program: SqlProgram
    names: dict[str, str]

    def reader(self) -> RachmistrzReader:
        return RachmistrzReader(make_server(self.program), self.program)

    def key(self, database: str) -> str:
        return {name: key for key, name in self.names.items()}[database]


Builder = Callable[..., Office]


def database_names(companies: Mapping[str, GtCompany], suffix: str) -> dict[str, str]:
    return {key: f"gt_{key}_{suffix}" for key in companies}


def sqlite_office(
    folder: Path,
    companies: Mapping[str, GtCompany],
    suffix: str,
    leave_out: Mapping[str, list[str]] | None = None,
) -> Office:
    names = database_names(companies, suffix)
    for key, company in companies.items():
        write_rachmistrz_sqlite(
            folder, names[key], company, leave_out=(leave_out or {}).get(key, [])
        )
    program = SqlProgram(
        url=f"sqlite:///{folder}/{{database}}.sqlite", databases=list(names.values())
    )
    return Office(program, names)


def postgres_office(
    create: Callable[..., str],
    template: str,
    companies: Mapping[str, GtCompany],
    suffix: str,
    leave_out: Mapping[str, list[str]] | None = None,
) -> Office:
    """Company databases written on PostgreSQL; `create` is the pg_database fixture."""
    names = database_names(companies, suffix)
    for key, company in companies.items():
        url = template.format(database=create(names[key]))
        write_rachmistrz_database(url, company, leave_out=(leave_out or {}).get(key, []))
    return Office(SqlProgram(url=template, databases=list(names.values())), names)


@pytest.fixture
def pg_builder(pg_database: Callable[..., str], pg_template: str) -> Builder:
    def build(companies: Mapping[str, GtCompany], suffix: str, **kwargs: object) -> Office:
        options: dict = dict(kwargs)
        return postgres_office(pg_database, pg_template, companies, suffix, **options)

    return build


@pytest.fixture(params=["sqlite", "postgresql"])
def build(request: pytest.FixtureRequest, tmp_path: Path) -> Builder:
    """Writes company databases on the engine of the test's parameter and describes them."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_builder")

    def build_sqlite(companies: Mapping[str, GtCompany], suffix: str, **kwargs: object) -> Office:
        return sqlite_office(tmp_path, companies, suffix, **kwargs)  # type: ignore[arg-type]

    return build_sqlite


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def read(office: Office, periods: list[str] | None = PERIODS) -> SourceData:
    """Read the office and check that every frame fits the schema structurally."""
    data = office.reader().read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def records(office: Office, frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows as tuples (database key first), NA as None, in a stable order."""
    rows = []
    for row in frame.itertuples(index=False):
        values = [None if pd.isna(getattr(row, name)) else getattr(row, name) for name in columns]
        rows.append((office.key(row.source_company_id), *values))
    return sorted(rows, key=str)


TAX_COLUMNS = ["period", "tax", "kind", "amount", "refund", "carried_forward", "due_date"]
SUMMARY_COLUMNS = ["period", "revenue", "costs", "income", "revenue_ytd", "costs_ytd"]


# --- reading ----------------------------------------------------------------------------------


def test_companies_are_read_from_their_own_address_row_not_the_licence_holder(
    build: Builder,
) -> None:
    office = build(OFFICE, suffix())

    data = read(office)

    assert data.problems == []
    companies = data.companies.set_index("nip")
    assert sorted(companies.index) == sorted([SHARED_NIP, RYCZALT_NIP, DORMANT_NIP, "1234567890"])
    kowalski = companies.loc[SHARED_NIP]
    assert kowalski["name"] == "Łukasz Żółć-Kowalski Usługi Leśne „Źdźbło”"
    assert kowalski["source"] == "rachmistrz"
    assert kowalski["source_company_id"] == office.names["kowalski"]
    assert (kowalski["regon"], kowalski["email"]) == ("012100784", "biuro@zdzblo.pl")
    assert (kowalski["tax_form"], kowalski["vat_period"]) == ("kpir", "M")
    nowak = companies.loc[RYCZALT_NIP]
    assert nowak["name"] == "Grażyna Nowak-Śliwińska Pracownia Ceramiki „Ćma”"
    assert (nowak["tax_form"], nowak["vat_period"]) == ("ryczalt", "Q")


def test_taxes_are_whole_zloty_half_up_with_due_dates_and_the_newest_filing(
    build: Builder,
) -> None:
    office = build(OFFICE, suffix())

    data = read(office)

    assert records(office, data.taxes, TAX_COLUMNS) == sorted(
        [
            ("bad_nip", "2026-01", "VAT-7", "D", 10000, None, None, pd.Timestamp("2026-02-25")),
            # the correction (1500.50 zł) supersedes the first filing (1234.49 zł)
            ("kowalski", "2026-01", "VAT-7", "K", 150100, None, None, pd.Timestamp("2026-02-25")),
            ("kowalski", "2026-01", "PIT-5", "D", 43300, None, None, pd.Timestamp("2026-02-20")),
            ("kowalski", "2026-02", "VAT-7", "D", 0, None, 30000, pd.Timestamp("2026-03-25")),
            ("kowalski", "2026-02", "PIT-5", "D", 61000, None, None, pd.Timestamp("2026-03-20")),
            ("kowalski", "2026-02", "PIT-4", "D", 18000, None, None, pd.Timestamp("2026-03-20")),
            ("nowak", "2026-01", "PIT-28", "D", 35000, None, None, pd.Timestamp("2026-02-20")),
            ("nowak", "2026-02", "PIT-28", "D", 42000, None, None, pd.Timestamp("2026-03-20")),
            # quarterly VAT: the quarter's last month, due on the 25th after the quarter
            # (25 April 2026 is a Saturday)
            ("nowak", "2026-03", "VAT-7K", "D", 210000, None, None, pd.Timestamp("2026-04-27")),
        ],
        key=str,
    )
    accounts = data.taxes.set_index("nip")["account"]
    assert set(accounts.loc[SHARED_NIP]) == {"49101000712222526025027400"}


def test_kpir_and_ryczalt_totals_with_year_to_date_from_january(build: Builder) -> None:
    office = build(OFFICE, suffix())

    data = read(office, ["2026-02"])

    assert records(office, data.summaries, SUMMARY_COLUMNS) == [
        # January: revenue 10 000 + 500, costs 2 000 + 3 000; February: 8 000 and 1 234.56
        ("kowalski", "2026-02", 800000, 123456, 676544, 1850000, 623456),
        ("nowak", "2026-02", 600000, 0, 600000, 1100000, 0),
    ]
    assert data.summaries["vat_output"].isna().all()


def test_a_dormant_company_is_listed_without_taxes_or_summaries(build: Builder) -> None:
    office = build(OFFICE, suffix())

    data = read(office)

    assert DORMANT_NIP in set(data.companies["nip"])
    assert DORMANT_NIP not in set(data.taxes["nip"])
    assert DORMANT_NIP not in set(data.summaries["nip"])


def test_all_periods_are_read_when_none_are_given(build: Builder) -> None:
    office = build({"kowalski": KOWALSKI, "dormant": DORMANT}, suffix())

    data = read(office, None)

    months = set(zip(data.taxes["nip"], data.taxes["period"], data.taxes["tax"], strict=True))
    assert (SHARED_NIP, "2025-12", "VAT-7") in months
    assert (DORMANT_NIP, "2024-05", "VAT-7") in months
    summaries = data.summaries.set_index(["nip", "period"])
    assert summaries.loc[(SHARED_NIP, "2025-12"), "revenue_ytd"] == 500000
    assert summaries.loc[(SHARED_NIP, "2026-01"), "revenue_ytd"] == 1050000


def test_an_invalid_nip_passes_through_without_a_tax_account(build: Builder) -> None:
    office = build({"bad_nip": BAD_NIP}, suffix())

    data = read(office)

    assert list(data.companies["nip"]) == ["1234567890"]
    assert list(data.taxes["account"]) == [None]
    assert data.problems == []


def test_sqlite_and_postgresql_give_identical_frames(tmp_path: Path, pg_builder: Builder) -> None:
    shared_suffix = suffix()
    on_sqlite = read(sqlite_office(tmp_path, OFFICE, shared_suffix))
    on_postgresql = read(pg_builder(OFFICE, shared_suffix))

    for kind in ("companies", "zus", "taxes", "summaries"):
        pd.testing.assert_frame_equal(
            on_sqlite.frame(kind).reset_index(drop=True),
            on_postgresql.frame(kind).reset_index(drop=True),
        )


# --- program versions and broken databases ----------------------------------------------------


def test_missing_optional_columns_are_tolerated(build: Builder) -> None:
    leave_out = {
        "kowalski": [
            "dekl__Ewid.dekl_Korekta",
            "dekl__Ewid.dekl_DoPrzeniesienia",
            "kpr__Ksiega.kpr_Wynagrodzenia",
            "adr__Ewid.adr_Email",
            "pd__Podmiot.pd_TypKsiegowosci",
        ]
    }
    office = build({"kowalski": KOWALSKI}, suffix(), leave_out=leave_out)

    data = read(office, ["2026-01", "2026-02"])

    assert data.problems == []
    company = data.companies.iloc[0]
    assert company["email"] is None and company["tax_form"] is None
    taxes = data.taxes.set_index(["period", "tax"])
    # Without dekl_Korekta every filing is a first filing; the newest one still wins.
    assert (taxes.loc[("2026-01", "VAT-7"), "kind"], taxes.loc[("2026-01", "VAT-7"), "amount"]) == (
        "D",
        150100,
    )
    assert pd.isna(taxes.loc[("2026-02", "VAT-7"), "carried_forward"])
    # The unknown tax form is read as KPiR; the wages column is simply not there.
    summaries = data.summaries.set_index("period")
    assert summaries.loc["2026-01", "costs"] == 200000


def test_a_missing_required_column_is_a_problem_naming_it_and_the_others_load(
    build: Builder,
) -> None:
    office = build(
        {"kowalski": KOWALSKI, "nowak": NOWAK},
        suffix(),
        leave_out={"kowalski": ["dekl__Ewid.dekl_DoZaplaty"]},
    )

    data = read(office)

    assert list(data.companies["nip"]) == [RYCZALT_NIP]
    assert set(data.taxes["nip"]) == {RYCZALT_NIP}
    [problem] = data.problems
    assert problem.program == "rachmistrz"
    assert problem.where == office.names["kowalski"]
    assert "table dbo.dekl__Ewid" in problem.message
    assert "required column dekl_DoZaplaty is missing" in problem.message
    assert office.names["kowalski"] in problem.message
    assert "the company is skipped" in problem.message


def test_a_missing_ledger_table_is_a_problem_for_that_company(build: Builder) -> None:
    office = build(
        {"kowalski": KOWALSKI, "nowak": NOWAK}, suffix(), leave_out={"kowalski": ["kpr__Ksiega"]}
    )

    data = read(office)

    [problem] = data.problems
    assert problem.nip == SHARED_NIP
    assert "table dbo.kpr__Ksiega: table is missing" in problem.message
    assert SHARED_NIP not in set(data.taxes["nip"])
    assert RYCZALT_NIP in set(data.summaries["nip"])


def test_a_listed_database_that_does_not_exist_is_a_problem_and_the_others_load(
    tmp_path: Path,
) -> None:
    office = sqlite_office(tmp_path, {"nowak": NOWAK}, suffix())
    program = office.program.model_copy(update={"databases": ["gt_brak", *office.names.values()]})

    data = RachmistrzReader(make_server(program), program).read(PERIODS)

    assert list(data.companies["nip"]) == [RYCZALT_NIP]
    [problem] = data.problems
    assert problem.where == "gt_brak"
    assert "does not exist" in problem.message


def test_a_server_that_cannot_be_reached_makes_the_program_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = SqlProgram(
        url=f"postgresql+psycopg://root@127.0.0.1:{port}/{{database}}", databases=["gt_a", "gt_b"]
    )

    with pytest.raises(
        SqlConnectionError, match=f"cannot reach postgresql server 127.0.0.1:{port}"
    ):
        RachmistrzReader(make_server(program), program).read(PERIODS)


def test_without_sql_server_the_company_databases_must_be_listed(tmp_path: Path) -> None:
    program = SqlProgram(url=f"sqlite:///{tmp_path}/{{database}}.sqlite")
    reader = RachmistrzReader(make_server(program), program)

    for attempt in (reader.read, reader.check, reader.probe):
        with pytest.raises(SqlConnectionError, match="programs.rachmistrz.databases"):
            attempt()


# --- SQL Server -------------------------------------------------------------------------------


def test_every_select_the_reader_sends_compiles_for_sql_server(
    tmp_path: Path, record_statements: Callable[[], list[object]], mssql_text: Callable[..., str]
) -> None:
    office = sqlite_office(tmp_path, {"kowalski": KOWALSKI, "nowak": NOWAK}, suffix())
    sent = record_statements()
    reader = office.reader()
    reader.read(PERIODS)
    reader.probe()

    compiled = [mssql_text(statement, render_postcompile=True) for statement in sent]
    assert len(compiled) == 2 * 3 + 2 * 7  # read: 3 per database; probe: 7 per database
    text = "\n".join(compiled)
    for name in ("dbo.[adr__Ewid]", "dbo.[pd__Podmiot]", "dbo.[dekl__Ewid]", "dbo.[kpr__Ksiega]"):
        assert name in text
    assert "dbo.[prz__Przychod]" in text
    assert "SELECT TOP 1 dbo.[dekl__Ewid].[dekl_Typ]" in text
    assert "DATEPART(year, dbo.[kpr__Ksiega].[kpr_DataZdarzenia])" in text


def test_the_discovery_query_on_master_compiles_for_sql_server(
    mssql_text: Callable[..., str],
) -> None:
    sql = mssql_text(discovery_statement())

    assert "FROM sys.databases" in sql
    assert "OBJECT_ID(QUOTENAME(name) + :marker, 'U')" in sql
    assert "HAS_DBACCESS(name) = 1" in sql


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BIURO", "BIURO\\INSERTGT"),
        ("192.168.1.10", "192.168.1.10\\INSERTGT"),
        ("BIURO\\GT2019", "BIURO\\GT2019"),
        ("192.168.1.10,49967", "192.168.1.10,49967"),
    ],
)
def test_a_host_alone_means_the_insertgt_instance(given: str, expected: str) -> None:
    assert with_default_instance(given) == expected


def test_make_server_adds_the_instance_and_takes_the_password_from_the_environment() -> None:
    program = SqlProgram(server="BIURO", user="konekto_ro", password_env="GT_HASLO")

    server = make_server(program, environ={"GT_HASLO": "Tajne-Hasło-1"})

    assert server.target.server == "BIURO\\INSERTGT"
    assert server.target.password == "Tajne-Hasło-1"
    assert server.sqlite_schemas == ("dbo",)
    with pytest.raises(SqlConnectionError, match="GT_HASLO"):
        make_server(program, environ={})


# --- statements, check and probe --------------------------------------------------------------


def test_statements_per_company_database_do_not_grow_with_the_rows(tmp_path: Path) -> None:
    busy = GtCompany(
        nip="9542583988",
        name="Hurtownia Żelaza „Łom”",
        declarations=tuple(GtDeclaration(VAT_7, 2026, 1 + i % 12, 1000 * i) for i in range(300)),
        kpir=tuple(
            KpirEntry(date(2026, 1 + i % 12, 1 + i % 28), sales=100 * i) for i in range(600)
        ),
    )
    office = sqlite_office(tmp_path, {"kowalski": KOWALSKI, "busy": busy}, suffix())
    server = make_server(office.program)

    RachmistrzReader(server, office.program).read(PERIODS)

    counts = server.statements_by_database
    assert counts[office.names["busy"]] == counts[office.names["kowalski"]] == 7


def test_many_databases_are_written_and_read_quickly(tmp_path: Path) -> None:
    companies = {f"c{index:03d}": KOWALSKI for index in range(40)}
    started = time.perf_counter()
    office = sqlite_office(tmp_path, companies, "bench")
    written = time.perf_counter()
    data = office.reader().read(PERIODS)
    finished = time.perf_counter()

    assert len(data.companies) == 40 and len(data.taxes) == 40 * 5
    assert written - started < 20 and finished - written < 20


def test_check_answers_works_with_the_number_of_company_databases(build: Builder) -> None:
    office = build({"kowalski": KOWALSKI, "nowak": NOWAK}, suffix())

    answer = office.reader().check()

    assert answer.startswith("works: 2 company databases (")
    assert office.names["nowak"] in answer


def test_check_names_the_database_table_and_missing_column(build: Builder) -> None:
    office = build(
        {"kowalski": KOWALSKI, "nowak": NOWAK},
        suffix(),
        leave_out={"nowak": ["prz__Przychod.prz_Kwota"]},
    )

    with pytest.raises(SchemaMismatch) as raised:
        office.reader().check()

    message = str(raised.value)
    assert message.startswith("rachmistrz: table dbo.prz__Przychod: required column prz_Kwota")
    assert office.names["nowak"] in message


def test_probe_lists_tables_columns_and_declaration_codes(build: Builder) -> None:
    office = build(
        {"kowalski": KOWALSKI, "nowak": NOWAK},
        suffix(),
        leave_out={"nowak": ["dekl__Ewid.dekl_DoZwrotu", "kpr__Ksiega"]},
    )

    found = office.reader().probe()

    json.dumps(found)
    kowalski, nowak = found["company_databases"]
    assert kowalski["database"] == office.names["kowalski"]
    assert kowalski["tables"]["dbo.dekl__Ewid"] == {
        "present": True,
        "rows": 8,
        "missing_required": [],
        "missing_optional": [],
    }
    assert kowalski["declaration_types"]["40"] == {"rows": 1, "mapped_to": None}
    assert kowalski["declaration_types"]["1"] == {"rows": 4, "mapped_to": "VAT-7"}
    assert kowalski["accounting_types"] == {"1": {"rows": 1, "mapped_to": "kpir"}}
    assert "pd_LicNIP" in kowalski["related_tables"]["pd__Podmiot"]
    assert nowak["tables"]["dbo.kpr__Ksiega"] == {"present": False}
    assert nowak["tables"]["dbo.dekl__Ewid"]["missing_optional"] == ["dekl_DoZwrotu"]
    assert nowak["declaration_types"]["2"] == {"rows": 1, "mapped_to": "VAT-7K quarterly"}


def test_the_reader_supplies_taxes_and_summaries() -> None:
    assert DATA_TYPES == ("taxes", "summaries")
