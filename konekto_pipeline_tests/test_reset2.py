"""Reset2 (R2księga / R2firma) reader: one database of the office's companies, read in few queries.

Nothing public describes RESET2's tables, so the reader follows a guessed, correctable map;
these tests hold the behaviour that must survive any correction of it. The same reader code
reads a database that `reset2.writer` (written apart from the reader) creates as a SQLite file,
attached as `dbo`, and as a PostgreSQL database with a real `dbo` schema; both must give
identical frames, and every SELECT must compile for SQL Server. The centre of it is the
declaration setting: VAT amounts are loaded only for months where the company's VAT-7 / VAT-7K
setting is valid and matches the amounts stored, and every other month is a problem for that
company and month, while its other taxes and the other companies load.
"""

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from konekto_pipeline.schemas import validate
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.reset2.reader import DATA_TYPES, Reset2Reader, make_server
from konekto_pipeline.sources.reset2.writer import (
    PIT_4,
    PIT_5,
    PIT_28,
    RYCZALT,
    VAT_7,
    VAT_7K,
    VAT_UE,
    BookMonth,
    DeclarationSetting,
    Reset2Company,
    TaxAdvance,
    VatFigures,
    write_reset2_database,
    write_reset2_sqlite,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError
from konekto_pipeline.sources.sql.tables import SchemaMismatch

PERIODS = ["2026-01", "2026-02", "2026-03"]

SHARED_NIP = "5260250274"  # also a client in the KEDU and JPK fixtures
RYCZALT_NIP = "6462933516"
MISMATCH_NIP = "8992689516"
ARCHIVED_NIP = "9542583988"
QUARTERLY_NIP = "5250007313"

ZRODLO = Reset2Company(
    company_id=1,
    nip="PL 526-025-02-74",
    name="Przedsiębiorstwo Handlowe „Źródło” Ścibor Łęcki",
    short_name="Źródło",
    regon="012100784",
    email="biuro@zrodlo.pl",
    phone="+48 12 345 67 89",
    settings=(
        DeclarationSetting(VAT_7, date(2025, 1, 1), date(2026, 1, 31)),
        DeclarationSetting(VAT_7K, date(2026, 4, 1)),
    ),
    vat=(
        VatFigures(2026, 1, VAT_7, 123449, output_vat=480000, input_vat=356551),
        VatFigures(2026, 1, VAT_7, 150050, correction_no=1, output_vat=500000, input_vat=349950),
        VatFigures(2026, 2, VAT_7, 80000),
    ),
    taxes=(
        TaxAdvance(2026, 1, PIT_5, 43250),
        TaxAdvance(2026, 2, PIT_5, 61000),
        TaxAdvance(2026, 2, PIT_4, 18049),
    ),
    books=(
        BookMonth(2026, 1, 1050000, 500000, 1050000, 500000),
        BookMonth(2026, 2, 800000, 123456, 1850000, 623456),
    ),
)
CWIK = Reset2Company(
    company_id=2,
    nip=RYCZALT_NIP,
    name="Żaneta Ćwik Pracownia Złotnicza",
    tax_form=RYCZALT,
    settings=(
        DeclarationSetting(VAT_7K, date(2025, 1, 1)),
        DeclarationSetting(VAT_UE, date(2025, 1, 1)),
    ),
    vat=(VatFigures(2026, 3, VAT_7K, 210000, carried_forward=5000),),
    taxes=(TaxAdvance(2026, 1, PIT_28, 35000), TaxAdvance(2026, 2, PIT_28, 42000)),
    books=(BookMonth(2026, 1, 500000, 0), BookMonth(2026, 2, 600000, 0)),
)
GASIOREK = Reset2Company(
    company_id=3,
    nip=MISMATCH_NIP,
    name="Usługi Remontowe Bożydar Gąsiorek",
    settings=(DeclarationSetting(VAT_7K, date(2025, 1, 1)),),
    vat=(VatFigures(2026, 1, VAT_7, 99900),),
    books=(BookMonth(2026, 1, 300000, 100000),),
)
ARCHIVED = Reset2Company(
    company_id=4,
    nip=ARCHIVED_NIP,
    name="Zlikwidowana Spółka Jęczmień",
    active=False,
    settings=(DeclarationSetting(VAT_7, date(2020, 1, 1)),),
    vat=(VatFigures(2026, 1, VAT_7, 5000),),
)
BAD_NIP = Reset2Company(
    company_id=5,
    nip="123-456-78-90",
    name="Firma z błędnym NIP-em",
    vat=(VatFigures(2026, 1, VAT_7, 10000),),
    taxes=(TaxAdvance(2026, 1, PIT_5, 5000),),
)
SLUSARZ = Reset2Company(
    company_id=6,
    nip=QUARTERLY_NIP,
    name="Kwartalny Ślusarz Józef Żuk",
    settings=(DeclarationSetting(VAT_7, date(2025, 1, 1), date(2025, 12, 31)),),
    vat=(VatFigures(2026, 1, VAT_7, 77700),),
    taxes=(TaxAdvance(2026, 2, PIT_5, 90000, quarterly=True),),
)
OFFICE = (ZRODLO, CWIK, GASIOREK, ARCHIVED, BAD_NIP, SLUSARZ)


# --- building databases on SQLite and PostgreSQL ---------------------------------------------


@dataclass
class Office:
    program: SqlProgram
    databases: list[str]

    def reader(self, edition: str = "ksiega") -> Reset2Reader:
        server = make_server(self.program, edition)  # type: ignore[arg-type]
        return Reset2Reader(server, self.program, edition)  # type: ignore[arg-type]


Builder = Callable[..., Office]


def sqlite_office(
    folder: Path,
    databases: dict[str, Iterable[Reset2Company]],
    leave_out: dict[str, list[str]] | None = None,
) -> Office:
    for name, companies in databases.items():
        write_reset2_sqlite(
            folder / f"{name}.sqlite", companies, leave_out=(leave_out or {}).get(name, [])
        )
    names = list(databases)
    program = SqlProgram(
        url=f"sqlite:///{folder}/{{database}}.sqlite", database=names[0], databases=names[1:]
    )
    return Office(program, names)


@pytest.fixture
def pg_builder(pg_database: Callable[..., str], pg_template: str) -> Builder:
    def build(
        databases: dict[str, Iterable[Reset2Company]],
        leave_out: dict[str, list[str]] | None = None,
    ) -> Office:
        for name, companies in databases.items():
            url = pg_template.format(database=pg_database(name))
            write_reset2_database(url, companies, leave_out=(leave_out or {}).get(name, []))
        names = list(databases)
        program = SqlProgram(url=pg_template, database=names[0], databases=names[1:])
        return Office(program, names)

    return build


@pytest.fixture(params=["sqlite", "postgresql"])
def build(request: pytest.FixtureRequest, tmp_path: Path) -> Builder:
    """Writes Reset2 databases on the engine of the test's parameter."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_builder")
    return lambda databases, leave_out=None: sqlite_office(tmp_path, databases, leave_out)


def unique(prefix: str = "r2_biuro") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def read(
    office: Office, periods: list[str] | None = PERIODS, edition: str = "ksiega"
) -> SourceData:
    """Read the office and check that every frame fits the schema structurally."""
    data = office.reader(edition).read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows as tuples, NA as None, in a stable order."""
    rows = [
        tuple(None if pd.isna(getattr(row, name)) else getattr(row, name) for name in columns)
        for row in frame.itertuples(index=False)
    ]
    return sorted(rows, key=str)


def vat_problems(data: SourceData) -> list[tuple[str | None, str]]:
    return sorted((problem.nip, problem.message) for problem in data.problems)


TAX_COLUMNS = ["nip", "period", "tax", "kind", "amount", "refund", "carried_forward", "due_date"]


# --- reading ----------------------------------------------------------------------------------


def test_active_companies_are_read_with_their_declaration_type(build: Builder) -> None:
    office = build({unique(): OFFICE})

    data = read(office)

    assert records(
        data.companies,
        ["source_company_id", "nip", "name", "regon", "email", "phone", "tax_form", "vat_period"],
    ) == sorted(
        [
            (
                "1",
                SHARED_NIP,
                "Przedsiębiorstwo Handlowe „Źródło” Ścibor Łęcki",
                "012100784",
                "biuro@zrodlo.pl",
                "+48 12 345 67 89",
                "kpir",
                "Q",  # the newest setting: VAT-7K from April 2026
            ),
            ("2", RYCZALT_NIP, "Żaneta Ćwik Pracownia Złotnicza", None, None, None, "ryczalt", "Q"),
            ("3", MISMATCH_NIP, "Usługi Remontowe Bożydar Gąsiorek", None, None, None, "kpir", "Q"),
            ("5", "1234567890", "Firma z błędnym NIP-em", None, None, None, "kpir", None),
            ("6", QUARTERLY_NIP, "Kwartalny Ślusarz Józef Żuk", None, None, None, "kpir", "M"),
        ],
        key=str,
    )
    assert set(data.companies["source"]) == {"reset2_ksiega"}


def test_taxes_follow_the_declaration_setting_newest_filing_and_due_dates(build: Builder) -> None:
    office = build({unique(): OFFICE})

    data = read(office)

    assert records(data.taxes, TAX_COLUMNS) == sorted(
        [
            # VAT-7 for January: the correction (1500.50 zł) over the first filing, half-up
            (SHARED_NIP, "2026-01", "VAT-7", "K", 150100, None, None, pd.Timestamp("2026-02-25")),
            (SHARED_NIP, "2026-01", "PIT-5", "D", 43300, None, None, pd.Timestamp("2026-02-20")),
            (SHARED_NIP, "2026-02", "PIT-5", "D", 61000, None, None, pd.Timestamp("2026-03-20")),
            (SHARED_NIP, "2026-02", "PIT-4", "D", 18000, None, None, pd.Timestamp("2026-03-20")),
            (RYCZALT_NIP, "2026-01", "PIT-28", "D", 35000, None, None, pd.Timestamp("2026-02-20")),
            (RYCZALT_NIP, "2026-02", "PIT-28", "D", 42000, None, None, pd.Timestamp("2026-03-20")),
            # VAT-7K for Q1 carries March, due 25 April 2026, a Saturday, so on the 27th
            (RYCZALT_NIP, "2026-03", "VAT-7K", "D", 210000, None, 5000, pd.Timestamp("2026-04-27")),
            ("1234567890", "2026-01", "PIT-5", "D", 5000, None, None, pd.Timestamp("2026-02-20")),
            # a quarterly PIT-5 advance entered in February belongs to Q1
            (QUARTERLY_NIP, "2026-03", "PIT-5", "D", 90000, None, None, pd.Timestamp("2026-04-20")),
        ],
        key=str,
    )
    accounts = dict(zip(data.taxes["nip"], data.taxes["account"], strict=True))
    assert accounts[SHARED_NIP] == "49101000712222526025027400"
    assert accounts["1234567890"] is None


def test_vat_months_the_setting_does_not_cover_or_match_are_problems_per_company(
    build: Builder,
) -> None:
    office = build({unique(): OFFICE})

    data = read(office)

    assert vat_problems(data) == sorted(
        [
            (
                SHARED_NIP,
                "declaration type VAT-7K valid from 2026-04 does not cover 2026-02; set it in "
                "Reset2 (no VAT item for 2026-02)",
            ),
            (
                MISMATCH_NIP,
                "declaration type VAT-7K valid from 2025-01 covers 2026-01, but the VAT amounts "
                "stored for it were computed for VAT-7; recompute the declaration or correct the "
                "setting in Reset2 (no VAT item for 2026-01)",
            ),
            (
                "1234567890",
                "no VAT declaration type (VAT-7 or VAT-7K) is set for 2026-01; set it in Reset2 "
                "(no VAT item for 2026-01)",
            ),
            (
                QUARTERLY_NIP,
                "declaration type VAT-7 valid from 2025-01 to 2025-12 does not cover 2026-01; "
                "set it in Reset2 (no VAT item for 2026-01)",
            ),
        ]
    )
    problem = next(problem for problem in data.problems if problem.nip == SHARED_NIP)
    assert problem.program == "reset2_ksiega"
    assert problem.where == f"{office.databases[0]}, company 1"
    assert str(problem).startswith(f"reset2_ksiega: {office.databases[0]}, company 1 (NIP ")


def test_a_month_inside_a_vat_7k_quarter_has_no_vat_item_and_no_problem(build: Builder) -> None:
    office = build({unique(): [CWIK]})

    data = read(office, ["2026-02"])

    assert list(data.taxes["tax"]) == ["PIT-28"]
    assert data.problems == []


def test_summaries_carry_book_totals_and_the_loaded_months_vat(build: Builder) -> None:
    office = build({unique(): OFFICE})

    data = read(office)

    columns = ["nip", "period", "revenue", "costs", "income", "vat_output", "vat_input"]
    columns += ["revenue_ytd", "costs_ytd"]
    assert records(data.summaries, columns) == sorted(
        [
            (SHARED_NIP, "2026-01", 1050000, 500000, 550000, 500000, 349950, 1050000, 500000),
            (SHARED_NIP, "2026-02", 800000, 123456, 676544, None, None, 1850000, 623456),
            (RYCZALT_NIP, "2026-01", 500000, 0, 500000, None, None, None, None),
            (RYCZALT_NIP, "2026-02", 600000, 0, 600000, None, None, None, None),
            # the VAT of a month with a problem is not shown either
            (MISMATCH_NIP, "2026-01", 300000, 100000, 200000, None, None, None, None),
        ],
        key=str,
    )


def test_all_months_are_read_when_no_periods_are_given(build: Builder) -> None:
    office = build({unique(): [ZRODLO, CWIK]})

    data = read(office, None)

    assert sorted(set(zip(data.taxes["nip"], data.taxes["period"], strict=True))) == [
        (SHARED_NIP, "2026-01"),
        (SHARED_NIP, "2026-02"),
        (RYCZALT_NIP, "2026-01"),
        (RYCZALT_NIP, "2026-02"),
        (RYCZALT_NIP, "2026-03"),
    ]
    assert [problem.nip for problem in data.problems] == [SHARED_NIP]


def test_r2firma_is_read_by_the_same_reader_under_its_own_key(build: Builder) -> None:
    office = build({unique("r2_firma"): [ZRODLO]})

    data = read(office, edition="firma")

    assert set(data.companies["source"]) == {"reset2_firma"}
    assert set(data.taxes["source"]) == {"reset2_firma"}
    assert [problem.program for problem in data.problems] == ["reset2_firma"]
    with pytest.raises(ValueError, match="edition"):
        server = make_server(office.program, "firma")
        Reset2Reader(server, office.program, "fk")  # type: ignore[arg-type]


def test_sqlite_and_postgresql_give_identical_frames(tmp_path: Path, pg_builder: Builder) -> None:
    name = unique()
    on_sqlite = read(sqlite_office(tmp_path, {name: OFFICE}))
    on_postgresql = read(pg_builder({name: OFFICE}))

    for kind in ("companies", "zus", "taxes", "summaries"):
        pd.testing.assert_frame_equal(
            on_sqlite.frame(kind).reset_index(drop=True),
            on_postgresql.frame(kind).reset_index(drop=True),
        )
    assert on_sqlite.problems == on_postgresql.problems


# --- program versions and broken databases ----------------------------------------------------


def test_missing_optional_columns_are_tolerated(build: Builder) -> None:
    name = unique()
    leave_out = [
        "Firmy.Aktywna",
        "Firmy.Email",
        "RozliczeniaVAT.NrKorekty",
        "RozliczeniaVAT.VatNalezny",
        "UstawieniaDeklaracji.DataDo",
        "PodsumowaniaKsiegi.PrzychodNarastajaco",
    ]
    office = build({name: [ZRODLO, ARCHIVED]}, leave_out={name: leave_out})

    data = read(office, ["2026-01", "2026-02"])

    # Without Aktywna nothing is archived; without DataDo the VAT-7 setting never ends.
    assert sorted(data.companies["nip"]) == [SHARED_NIP, ARCHIVED_NIP]
    assert data.problems == []
    vat = data.taxes[(data.taxes["nip"] == SHARED_NIP) & (data.taxes["tax"] == "VAT-7")]
    # Without NrKorekty every filing counts as a first one; the one entered last wins.
    assert records(vat, ["period", "kind", "amount"]) == [
        ("2026-01", "D", 150100),
        ("2026-02", "D", 80000),
    ]
    summary = data.summaries.set_index(["nip", "period"]).loc[(SHARED_NIP, "2026-01")]
    assert pd.isna(summary["vat_output"]) and summary["vat_input"] == 349950
    assert pd.isna(summary["revenue_ytd"]) and summary["costs_ytd"] == 500000


def test_a_missing_required_column_names_database_table_and_column_and_other_databases_load(
    build: Builder,
) -> None:
    broken, good = unique(), unique()
    office = build(
        {broken: [ZRODLO], good: [CWIK]}, leave_out={broken: ["UstawieniaDeklaracji.DataOd"]}
    )

    data = read(office)

    assert list(data.companies["source_company_id"]) == [f"{good}/2"]
    [problem] = data.problems
    assert (problem.program, problem.where, problem.nip) == ("reset2_ksiega", broken, None)
    assert problem.message == (
        "table dbo.UstawieniaDeklaracji: required column DataOd is missing "
        f"(database {broken}); no company of it is read"
    )


def test_a_missing_table_is_named(build: Builder) -> None:
    name = unique()
    office = build({name: [ZRODLO]}, leave_out={name: ["Zaliczki"]})

    data = read(office)

    assert data.companies.empty
    [problem] = data.problems
    assert problem.message.startswith("table dbo.Zaliczki: table is missing")


def test_a_bad_value_skips_only_that_company(tmp_path: Path) -> None:
    broken = Reset2Company(
        company_id=9,
        nip="9542583988",
        name="Zepsuty Miesiąc",
        taxes=(TaxAdvance(2026, 13, PIT_5, 100),),
    )
    office = sqlite_office(tmp_path, {unique(): [broken, CWIK]})

    data = read(office, None)

    assert list(data.companies["nip"]) == [RYCZALT_NIP]
    [problem] = data.problems
    assert problem.nip == "9542583988"
    assert "2026-13 is not a month" in problem.message.replace("'", "")


def test_no_database_or_no_server_makes_the_program_unavailable(tmp_path: Path) -> None:
    program = SqlProgram(url=f"sqlite:///{tmp_path}/{{database}}.sqlite")
    with pytest.raises(SqlConnectionError, match="programs.reset2_ksiega.database"):
        Reset2Reader(make_server(program, "ksiega"), program, "ksiega").read(PERIODS)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = SqlProgram(
        url=f"postgresql+psycopg://root@127.0.0.1:{port}/{{database}}", database="r2"
    )
    with pytest.raises(SqlConnectionError, match="cannot reach"):
        Reset2Reader(make_server(unreachable, "ksiega"), unreachable, "ksiega").read(PERIODS)


# --- SQL Server, statements, check and probe --------------------------------------------------


def test_every_select_the_reader_sends_compiles_for_sql_server(
    tmp_path: Path, record_statements: Callable[[], list[object]], mssql_text: Callable[..., str]
) -> None:
    office = sqlite_office(tmp_path, {unique(): OFFICE})
    sent = record_statements()
    reader = office.reader()
    reader.read(PERIODS)
    reader.check()
    reader.probe()

    compiled = [mssql_text(statement, render_postcompile=True) for statement in sent]
    assert len(compiled) == 5 + 1 + 10  # read, check (companies), probe (counts and codes)
    text = "\n".join(compiled)
    for name in ("Firmy", "UstawieniaDeklaracji", "RozliczeniaVAT", "Zaliczki"):
        assert f"FROM dbo.[{name}]" in text
    assert "FROM dbo.[PodsumowaniaKsiegi] \nWHERE dbo.[PodsumowaniaKsiegi].[Rok] IN (" in text


def test_statements_per_database_do_not_grow_with_the_companies(tmp_path: Path) -> None:
    many = [
        Reset2Company(
            company_id=100 + index,
            nip=SHARED_NIP,
            name=f"Spółka nr {index} „Łączność”",
            settings=ZRODLO.settings,
            vat=ZRODLO.vat,
            taxes=ZRODLO.taxes,
            books=ZRODLO.books,
        )
        for index in range(300)
    ]
    office = sqlite_office(tmp_path, {"r2_maly": [CWIK], "r2_duzy": many})
    server = make_server(office.program, "ksiega")

    started = time.perf_counter()
    data = Reset2Reader(server, office.program, "ksiega").read(PERIODS)

    assert time.perf_counter() - started < 10
    assert len(data.companies) == 301
    assert server.statements_by_database == {"r2_maly": 10, "r2_duzy": 10}


def test_a_database_of_many_companies_is_written_quickly(tmp_path: Path) -> None:
    companies = [
        Reset2Company(company_id=index, nip=SHARED_NIP, name="Ćma", books=ZRODLO.books)
        for index in range(2000)
    ]
    started = time.perf_counter()

    write_reset2_sqlite(tmp_path / "r2_duzy.sqlite", companies)

    assert time.perf_counter() - started < 10


def test_check_counts_companies_and_archived_ones(build: Builder) -> None:
    office = build({unique(): OFFICE})

    answer = office.reader().check()

    assert answer == f"works: 5 companies (1 archived) in database {office.databases[0]}"


def test_check_names_the_missing_column(build: Builder) -> None:
    name = unique()
    office = build({name: OFFICE}, leave_out={name: ["RozliczeniaVAT.DoZaplaty"]})

    with pytest.raises(SchemaMismatch) as raised:
        office.reader().check()

    assert str(raised.value) == (
        "reset2_ksiega: table dbo.RozliczeniaVAT: required column DoZaplaty is missing "
        f"(database {name})"
    )


def test_probe_lists_every_table_and_column_and_how_the_map_fits(build: Builder) -> None:
    name = unique()
    office = build(
        {name: OFFICE}, leave_out={name: ["Zaliczki", "Firmy.Telefon", "RozliczeniaVAT.Rok"]}
    )

    found = office.reader().probe()

    json.dumps(found)
    [database] = found["databases"]
    assert database["database"] == name
    assert sorted(database["tables"]) == [
        "Firmy",
        "PodsumowaniaKsiegi",
        "RozliczeniaVAT",
        "UstawieniaDeklaracji",
    ]
    assert database["tables"]["Firmy"]["rows"] == 6
    assert "Telefon" not in database["tables"]["Firmy"]["columns"]
    assert "IdUstawienia" in database["tables"]["UstawieniaDeklaracji"]["columns"]
    assert database["map"]["dbo.Zaliczki"] == {"present": False}
    assert database["map"]["dbo.Firmy"]["missing_optional"] == ["Telefon"]
    assert database["map"]["dbo.RozliczeniaVAT"]["missing_required"] == ["Rok"]
    codes = database["codes"]
    assert codes["vat_declaration_types"][str(VAT_UE)] == {"rows": 1, "mapped_to": None}
    assert codes["vat_declaration_types"][str(VAT_7K)]["mapped_to"] == "VAT-7K"
    assert codes["tax_codes"] == {}
    assert codes["tax_forms"][str(RYCZALT)] == {"rows": 1, "mapped_to": "ryczalt"}


def test_the_reader_supplies_taxes_and_summaries() -> None:
    assert DATA_TYPES == ("taxes", "summaries")
