"""Płatnik reader: payers and ZUS DRA amounts from Płatnik's database, on every backend.

The same office (written by `platnik.writer`, independently of the reader) is read through each
backend the reader has:
- SQLite files and PostgreSQL databases stand for SQL Server, which cannot run here: the same
  SQLAlchemy code runs on both, with the tables under `dbo`, and every SELECT it sends is
  compiled for the mssql dialect.
- Access: a Płatnik-shaped .mdb cannot be made on Linux (MDB Tools only reads, and no Jackcess
  is installed), so the Access backend is given `WrittenAccessFile`, an `AccessDatabase` whose
  file reading is replaced by reading the writer's SQLite copy of the same rows, typed as the
  MDB Tools driver types them (Decimal money with Access Currency's four decimals, nullable
  integers, datetimes). This is the one stand-in of the suite; the real driver path is proved
  by test_access.py on real .mdb bytes, and here by pointing the reader at a real .mdb that is
  not Płatnik's.

Behaviour checked: corrections beside first filings, a DRA that does not add up, a payer with
a PESEL and no REGON, an inactive payer, a payer also in the KEDU and JPK fixtures (NIP
5260250274), an invalid NIP passing through, the MMYYYY period filter, missing optional and
required columns and tables, check() and probe(), and exact amounts and due dates.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from konekto_pipeline.schemas import validate
from konekto_pipeline.settings import PlatnikProgram
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.platnik.reader import DATA_TYPES, SQLITE_SCHEMAS, PlatnikReader
from konekto_pipeline.sources.platnik.writer import Dra, Payer, write_platnik_database
from konekto_pipeline.sources.sql.access import (
    ACCESS_DRIVERS,
    AccessDatabase,
    _series,  # the driver's own typing of a column, so the stand-in types values as it does
)
from konekto_pipeline.sources.sql.connection import (
    SqlConnectionError,
    SqlServer,
    SqlServerTarget,
    installed_odbc_drivers,
)
from konekto_pipeline.sources.sql.tables import SchemaMismatch

DATABASE = "Płatnik"
PERIODS = ["2025-02", "2025-03"]
AMOUNT_FIELDS = ("social", "health", "labour_fund", "fep", "deductions", "total", "refund")

# The same client as in the KEDU and JPK fixtures: present in three programs.
ZOLW = Payer(
    1,
    "ŻÓŁW SP. Z O.O.",
    nip="5260250274",
    regon="146513120",
    full_name="Żółw Usługi Księgowe sp. z o.o.",
    valid_from=date(2021, 1, 1),
    earlier_full_names=((date(2015, 6, 1), "Żółw Biuro Rachunkowe s.c."),),
)
# A sole trader: PESEL, no REGON, no short name.
GESLA = Payer(
    2, None, nip="7251801126", pesel="80010112340", first_name="Józef", last_name="Gęślą-Źdźbło"
)
# Stopped employing in 2023: a company, but no DRA in 2025.
LAKOWA = Payer(3, "ŁĄKOWA ZAGRODA", nip="9542751368", regon="73250811100019", activity_status="N")
ZREBIE = Payer(4, "ŹREBIĘ SP.J.", nip="1234567890", regon="365021189")  # fails the checksum
MLYNSKA = Payer(5, "MŁYŃSKA ŚCIEŻKA", nip="8992689516", regon="472839576")
ZWROT = Payer(6, "CHOĆ ŻÓŁĆ", nip="6462933516")
PAYERS = [ZOLW, GESLA, LAKOWA, ZREBIE, MLYNSKA, ZWROT]

ZOLW_MONTH = {"social": 147632, "health": 41827, "labour_fund": 6140, "fgsp": 250}
DRAS = [
    Dra(1, ZOLW, "2025-02", **ZOLW_MONTH),
    Dra(2, ZOLW, "2025-03", **ZOLW_MONTH),
    Dra(
        3,
        ZOLW,
        "2025-03",
        declaration_no=2,
        **{**ZOLW_MONTH, "social": 152000},
        fep=1500,
        deductions=12000,
    ),  # fmt: skip
    Dra(4, GESLA, "2025-03", social=152480, health=38148),
    Dra(5, LAKOWA, "2023-11", social=98765, health=31234),
    Dra(6, ZREBIE, "2025-03", social=50000, health=20000, labour_fund=3000),
    Dra(
        7,
        MLYNSKA,
        "2025-02",
        social=120000,
        health=30000,
        labour_fund=5000,
        fgsp=200,
        write_labour_total=False,
    ),  # fmt: skip
    Dra(8, MLYNSKA, "2025-03", social=120000, health=30000, labour_fund=5000, total=150000),
    Dra(9, ZWROT, "2025-03", social=147632, health=41827, deductions=250000, status_pt=None),
]


# --- the backends ---------------------------------------------------------------------------


class WrittenAccessFile(AccessDatabase):
    """An `AccessDatabase` serving the writer's SQLite copy instead of an .mdb file.

    Only the file reading is replaced (`tables`, `columns`, `_frame`): picking required and
    optional columns and its errors are AccessDatabase's own. Values are typed as MDB Tools
    types them: money as Decimal with Access Currency's four decimals (as Northwind's
    Freight, "12.7500"), whole numbers as nullable integers, dates as datetimes.
    """

    def __init__(self, sqlite_file: Path) -> None:
        super().__init__(sqlite_file)
        self._engine = sa.create_engine(f"sqlite:///{sqlite_file}")

    def close(self) -> None:
        self._engine.dispose()

    def tables(self) -> list[str]:
        return sa.inspect(self._engine).get_table_names()

    def columns(self, table: str) -> list[str]:
        columns = sa.inspect(self._engine).get_columns(self._table_name(table))
        return [column["name"] for column in columns]

    def _frame(self, table: str) -> pd.DataFrame:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=self._engine)
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(reflected)).fetchall()
        names = list(reflected.c.keys())
        values = {
            name: [_as_access(row[index]) for row in rows] for index, name in enumerate(names)
        }
        frame = pd.DataFrame({name: _series(values[name]) for name in names}, columns=names)
        frame.attrs["unreadable_dates"] = {}
        return frame


def _as_access(value: Any) -> Any:
    return value.quantize(Decimal("0.0001")) if isinstance(value, Decimal) else value


@dataclass
class Office:
    """One written Płatnik database and a reader on it."""

    backend: str
    reader: PlatnikReader
    place: str
    server: SqlServer | None = None


OfficeFactory = Callable[..., Office]


def sqlite_office(tmp_path: Path, payers: list[Payer], dras: list[Dra], omit: tuple) -> Office:
    template = f"sqlite:///{tmp_path}/{{database}}.sqlite"
    write_platnik_database(template.format(database=DATABASE), payers, dras, omit=omit)
    server = SqlServer(
        SqlServerTarget(url_template=template), sqlite_schemas=SQLITE_SCHEMAS, program="platnik"
    )
    settings = PlatnikProgram(url=template, database=DATABASE)
    return Office("sqlite", PlatnikReader(settings, server=server), server.where(DATABASE), server)


@pytest.fixture(params=["sqlite", "postgresql", "access"])
def make_office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfficeFactory]:
    """Writes an office's Płatnik database on the parametrised backend and opens a reader."""
    cleanups: list[Callable[[], None]] = []

    def make(
        payers: list[Payer] = PAYERS, dras: list[Dra] = DRAS, omit: tuple[str, ...] = ()
    ) -> Office:
        folder = tmp_path / uuid.uuid4().hex[:8]
        folder.mkdir()
        if request.param == "postgresql":
            return _postgresql_office(payers, dras, omit)
        office = sqlite_office(folder, payers, dras, omit)
        cleanups.append(office.server.dispose)
        if request.param == "sqlite":
            return office
        access = WrittenAccessFile(folder / f"{DATABASE}.sqlite")
        cleanups.append(access.close)
        settings = PlatnikProgram(access_file=access.path)
        return Office("access", PlatnikReader(settings, access=access), str(access.path))

    def _postgresql_office(payers: list[Payer], dras: list[Dra], omit: tuple[str, ...]) -> Office:
        template = request.getfixturevalue("pg_template")
        database = request.getfixturevalue("pg_database")()
        write_platnik_database(template.format(database=database), payers, dras, omit=omit)
        server = SqlServer(SqlServerTarget(url_template=template), program="platnik")
        cleanups.insert(0, server.dispose)
        settings = PlatnikProgram(url=template, database=database)
        reader = PlatnikReader(settings, server=server)
        return Office("postgresql", reader, server.where(database), server)

    yield make
    for cleanup in cleanups:
        cleanup()


@pytest.fixture
def office(make_office: OfficeFactory) -> Office:
    return make_office()


# --- helpers --------------------------------------------------------------------------------


def read(office: Office, periods: list[str] | None = PERIODS) -> SourceData:
    """Read, and check that every frame fits the schema structurally."""
    data = office.reader.read(periods)
    for kind in ("companies", "zus", "taxes", "summaries"):
        assert validate(kind, data.frame(kind)).structural == [], kind
    return data


def zus_of(data: SourceData, payer: Payer) -> list[tuple[Any, ...]]:
    rows = data.zus.loc[data.zus["source_company_id"] == str(payer.payer_id)]
    return [
        (
            row.nip,
            row.period,
            row.declaration_no,
            row.kind,
            *(int(getattr(row, name)) for name in AMOUNT_FIELDS),
            row.due_date.date().isoformat(),
        )
        for row in rows.itertuples()
    ]


def company_of(data: SourceData, payer: Payer) -> pd.Series:
    rows = data.companies.loc[data.companies["source_company_id"] == str(payer.payer_id)]
    assert len(rows) == 1, data.companies
    return rows.iloc[0]


def messages(data: SourceData) -> list[str]:
    return [problem.message for problem in data.problems]


# --- amounts, corrections and payers --------------------------------------------------------


def test_each_dra_is_one_zus_row_with_exact_amounts_and_due_dates(office: Office) -> None:
    data = read(office)

    zolw_month = (147632, 41827, 6140, 0, 0, 195599, 0)
    assert zus_of(data, ZOLW)[:2] == [
        ("5260250274", "2025-02", 1, "D", *zolw_month, "2025-03-20"),
        # 20 April 2025 is Easter Sunday and the 21st Easter Monday.
        ("5260250274", "2025-03", 1, "D", *zolw_month, "2025-04-22"),
    ]
    assert set(data.zus["source"]) == {"platnik"}
    assert data.zus["account"].isna().all()
    assert DATA_TYPES == ("zus",)


def test_a_correction_is_kept_beside_the_first_declaration_as_kind_k(office: Office) -> None:
    data = read(office, ["2025-03"])

    rows = zus_of(data, ZOLW)
    assert [row[1:4] for row in rows] == [("2025-03", 1, "D"), ("2025-03", 2, "K")]
    assert rows[1][4:11] == (152000, 41827, 6140, 1500, 12000, 189467, 0)


def test_a_dra_that_does_not_add_up_is_reported_and_not_loaded(office: Office) -> None:
    data = read(office)

    assert [row[1] for row in zus_of(data, MLYNSKA)] == ["2025-02"]
    [problem] = data.problems
    assert problem.nip == "8992689516"
    assert problem.program == "platnik"
    assert problem.where == office.place
    assert "ZUSDRA" in problem.message
    assert "DRA 8 for 2025-03 (declaration 01) does not add up" in problem.message
    assert "150000" not in str(problem) and "1500.00" not in str(problem)  # no client amounts


def test_the_labour_fund_is_summed_from_its_parts_when_the_total_is_empty(office: Office) -> None:
    data = read(office, ["2025-02"])

    assert zus_of(data, MLYNSKA) == [
        ("8992689516", "2025-02", 1, "D", 120000, 30000, 5000, 0, 0, 155000, 0, "2025-03-20")
    ]


def test_benefits_larger_than_the_contributions_are_a_refund(office: Office) -> None:
    data = read(office)

    assert zus_of(data, ZWROT) == [
        ("6462933516", "2025-03", 1, "D", 147632, 41827, 0, 0, 250000, 0, 60541, "2025-04-22")
    ]


def test_a_payer_with_a_pesel_and_no_regon_is_named_by_first_and_last_name(
    office: Office,
) -> None:
    data = read(office)

    company = company_of(data, GESLA)
    assert company["name"] == "Józef Gęślą-Źdźbło"
    assert company["regon"] is None
    assert company["legal_form"] == "other"
    assert zus_of(data, GESLA) == [
        ("7251801126", "2025-03", 1, "D", 152480, 38148, 0, 0, 0, 190628, 0, "2025-04-22")
    ]


def test_the_full_firm_name_comes_from_the_latest_platn_ident_row(office: Office) -> None:
    company = company_of(read(office), ZOLW)

    assert company["name"] == "Żółw Usługi Księgowe sp. z o.o."
    assert (company["nip"], company["regon"], company["legal_form"]) == (
        "5260250274",
        "146513120",
        None,
    )


def test_payers_without_a_full_name_keep_their_short_name(office: Office) -> None:
    data = read(office)

    assert company_of(data, MLYNSKA)["name"] == "MŁYŃSKA ŚCIEŻKA"
    assert company_of(data, ZREBIE)["name"] == "ŹREBIĘ SP.J."


def test_an_inactive_payer_is_a_company_without_zus_rows_in_recent_months(office: Office) -> None:
    data = read(office)

    assert company_of(data, LAKOWA)["name"] == "ŁĄKOWA ZAGRODA"
    assert zus_of(data, LAKOWA) == []
    assert [row[1] for row in zus_of(read(office, None), LAKOWA)] == ["2023-11"]


def test_an_invalid_nip_passes_through_and_validation_rejects_it(office: Office) -> None:
    data = read(office)

    assert company_of(data, ZREBIE)["nip"] == "1234567890"
    assert [row[:2] for row in zus_of(data, ZREBIE)] == [("1234567890", "2025-03")]
    assert validate("zus", data.zus).rejected_nips == ["1234567890"]
    assert validate("companies", data.companies).rejected_nips == ["1234567890"]
    assert data.problems[0].nip == "8992689516"  # the reader itself does not complain


def test_every_valid_row_passes_the_schemas(office: Office) -> None:
    data = read(office)

    zus = validate("zus", data.zus)
    companies = validate("companies", data.companies)
    assert len(zus.valid) == len(data.zus) - 1 == 6
    assert len(companies.valid) == len(data.companies) - 1 == 5
    assert str(data.zus["due_date"].dtype) == "datetime64[ns]"
    assert str(data.zus["total"].dtype) == "int64"


def test_only_the_wanted_months_are_read(office: Office) -> None:
    data = read(office, ["2025-02"])

    assert set(data.zus["period"]) == {"2025-02"}
    assert sorted(data.zus["source_company_id"]) == ["1", "5"]
    assert len(data.companies) == len(PAYERS)  # payers come from every DRA
    assert data.problems == []  # the DRA that does not add up is in March


def test_no_months_reads_no_dras_but_every_payer(office: Office) -> None:
    data = read(office, [])

    assert data.zus.empty
    assert len(data.companies) == len(PAYERS)


def test_a_payer_with_no_nip_on_any_dra_is_reported_once_and_skipped(
    make_office: OfficeFactory,
) -> None:
    no_nip = Payer(7, "BEZ NIP-U", nip=None, regon="146513120")
    dras = [Dra(10, no_nip, "2025-02", social=100), Dra(11, no_nip, "2025-03", social=100)]

    data = read(make_office(payers=[*PAYERS, no_nip], dras=[*DRAS, *dras]))

    assert "7" not in set(data.zus["source_company_id"])
    assert "7" not in set(data.companies["source_company_id"])
    reported = [m for m in messages(data) if "BEZ NIP-U" in m]
    assert len(reported) == 1
    assert reported[0].endswith(
        "ZUSDRA: payer 7 (BEZ NIP-U) has no NIP (II_1_NIP) on any DRA; its DRAs are not loaded"
    )


def test_a_period_that_is_not_mmyyyy_is_reported_and_not_loaded(
    make_office: OfficeFactory,
) -> None:
    broken = Dra(12, GESLA, "2025-04", social=100, stored_period="2025-4")

    data = read(make_office(dras=[*DRAS, broken]), None)

    assert "2025-04" not in set(data.zus["period"])
    assert any(
        "DRA 12: period I_2_2OKRESDEKLAR '2025-4' is not MMYYYY; not loaded" in m
        for m in messages(data)
    )


def test_the_same_dra_twice_keeps_the_latest_document_and_reports_differing_amounts(
    make_office: OfficeFactory,
) -> None:
    again = Dra(20, GESLA, "2025-03", social=152480, health=38149)

    data = read(make_office(dras=[*DRAS, again]))

    assert [row[5] for row in zus_of(data, GESLA)] == [38149]
    assert any(
        "DRA 20 for 2025-03 (declaration 01) is in the database 2 times with different amounts" in m
        for m in messages(data)
    )


# --- tolerated and missing columns and tables -----------------------------------------------


def test_missing_optional_columns_and_full_names_are_tolerated(make_office: OfficeFactory) -> None:
    omit = ("ZUSDRA.STATUSPT", "ZUSDRA.II_2_REGON", "PLATN_IDENT.NAZWAFIRMA")

    data = read(make_office(omit=omit))

    assert company_of(data, ZOLW)["name"] == "ŻÓŁW SP. Z O.O."
    assert company_of(data, ZOLW)["regon"] is None
    assert len(data.zus) == 7
    assert len(data.problems) == 1


def test_a_missing_platn_ident_table_leaves_the_short_names(make_office: OfficeFactory) -> None:
    data = read(make_office(omit=("PLATN_IDENT",)))

    assert company_of(data, ZOLW)["name"] == "ŻÓŁW SP. Z O.O."
    assert len(data.problems) == 1


def test_a_missing_required_column_is_a_problem_naming_database_table_and_column(
    make_office: OfficeFactory,
) -> None:
    office = make_office(omit=("ZUSDRA.IX_2_KWDOZAPLATY",))

    data = read(office)

    [problem] = data.problems
    assert problem.program == "platnik"
    assert problem.where == office.place
    assert problem.message.endswith("ZUSDRA: required column IX_2_KWDOZAPLATY is missing")
    assert data.zus.empty and data.companies.empty


def test_a_missing_zusdra_table_is_a_problem_naming_it(make_office: OfficeFactory) -> None:
    office = make_office(omit=("ZUSDRA",))

    [problem] = read(office).problems

    assert problem.where == office.place
    assert problem.message.endswith("ZUSDRA: table is missing")


def test_a_platn_ident_without_its_payer_key_is_reported_and_short_names_are_used(
    make_office: OfficeFactory,
) -> None:
    data = read(make_office(omit=("PLATN_IDENT.ID_PLATNIK",)))

    assert company_of(data, ZOLW)["name"] == "ŻÓŁW SP. Z O.O."
    assert any(
        "PLATN_IDENT: required column ID_PLATNIK is missing; full firm names are not read" in m
        for m in messages(data)
    )


# --- check() and probe() --------------------------------------------------------------------


def test_check_on_a_good_database_says_what_it_found(office: Office) -> None:
    answer = office.reader.check()

    assert answer.startswith("works: Płatnik ")
    assert office.place in answer
    assert answer.endswith(": 9 DRA documents of 6 payers, periods 2023-11 to 2025-03")


def test_check_on_a_database_without_a_required_column_names_it(
    make_office: OfficeFactory,
) -> None:
    office = make_office(omit=("ZUSDRA.II_1_NIP",))

    with pytest.raises(SchemaMismatch) as raised:
        office.reader.check()

    assert str(raised.value).startswith("platnik: table ")
    assert str(raised.value).endswith("ZUSDRA: required column II_1_NIP is missing")


def test_check_on_a_database_without_zusdra_asks_whether_it_is_platnik(
    make_office: OfficeFactory,
) -> None:
    office = make_office(omit=("ZUSDRA",))

    with pytest.raises(SchemaMismatch, match="table is missing in .*is this Płatnik's database"):
        office.reader.check()


def test_probe_counts_periods_declaration_numbers_and_statuses(office: Office) -> None:
    probe = office.reader.probe()

    json.dumps(probe)  # serialisable as it is
    assert (probe["program"], probe["place"]) == ("platnik", office.place)
    zusdra = probe["tables"]["ZUSDRA"]
    assert zusdra["rows"] == 9
    assert zusdra["payers"] == 6
    assert zusdra["periods"] == {"2023-11": 1, "2025-02": 2, "2025-03": 6}
    assert zusdra["declaration_numbers"] == {"01": 8, "02": 1}
    assert zusdra["statuses"]["STATUSPT"] == {"NULL": 1, "Z": 8}
    assert zusdra["statuses"]["STATUS_KONTROLI"] == {"NULL": 9}
    assert zusdra["missing_optional_columns"] == []
    assert probe["tables"]["PLATN_IDENT"]["rows"] == 7
    platnik = probe["tables"]["PLATNIK"]
    assert platnik["statuses"]["STATUS_AKTYWNOSCI"] == {"A": 5, "N": 1}


def test_probe_of_a_broken_table_lists_the_columns_it_has(make_office: OfficeFactory) -> None:
    probe = make_office(omit=("ZUSDRA.I_2_2OKRESDEKLAR", "PLATNIK")).reader.probe()

    zusdra = probe["tables"]["ZUSDRA"]
    assert zusdra["error"].endswith("ZUSDRA: required column I_2_2OKRESDEKLAR is missing")
    assert "II_1_NIP" in zusdra["columns"]
    assert "I_2_2OKRESDEKLAR" not in zusdra["columns"]
    assert probe["tables"]["PLATNIK"] == {"present": False}


def test_probe_lists_missing_optional_columns(make_office: OfficeFactory) -> None:
    probe = make_office(omit=("ZUSDRA.STATUSPT", "ZUSDRA.ZN_KOR")).reader.probe()

    zusdra = probe["tables"]["ZUSDRA"]
    assert zusdra["missing_optional_columns"] == ["STATUSPT", "ZN_KOR"]
    assert "STATUSPT" not in zusdra["statuses"]


# --- the backends agree, and SQL stays SQL Server's ------------------------------------------


def test_every_backend_gives_the_frames_of_the_sqlite_copy(office: Office, tmp_path: Path) -> None:
    (tmp_path / "reference").mkdir()
    reference = sqlite_office(tmp_path / "reference", PAYERS, DRAS, ())
    expected = read(reference)
    reference.server.dispose()

    data = read(office)

    pd.testing.assert_frame_equal(data.companies, expected.companies)
    pd.testing.assert_frame_equal(data.zus, expected.zus)
    assert [m.replace("dbo.", "") for m in messages(data)] == [
        m.replace("dbo.", "") for m in messages(expected)
    ]


@pytest.fixture
def sqlite_only(tmp_path: Path) -> Iterator[Callable[..., Office]]:
    offices: list[Office] = []

    def make(payers: list[Payer] = PAYERS, dras: list[Dra] = DRAS) -> Office:
        folder = tmp_path / uuid.uuid4().hex[:8]
        folder.mkdir()
        offices.append(sqlite_office(folder, payers, dras, ()))
        return offices[-1]

    yield make
    for office in offices:
        office.server.dispose()


def test_every_select_compiles_for_sql_server_with_dbo_tables(
    sqlite_only: Callable[..., Office],
    record_statements: Callable[[], list[Any]],
    mssql_text: Callable[..., str],
) -> None:
    office = sqlite_only()
    statements = record_statements()
    office.reader.read(PERIODS)
    office.reader.check()
    office.reader.probe()

    selects = [statement for statement in statements if isinstance(statement, sa.Select)]
    assert len(selects) == len(statements) >= 3
    compiled = [mssql_text(select, literal_binds=True) for select in selects]
    assert all("FROM dbo.[" in text for text in compiled)
    assert any("FROM dbo.[ZUSDRA]" in text for text in compiled)
    assert any("FROM dbo.[PLATN_IDENT]" in text for text in compiled)
    assert any("FROM dbo.[PLATNIK]" in text for text in compiled)
    assert any("dbo.[ZUSDRA].[I_2_2OKRESDEKLAR] IN ('022025', '032025')" in t for t in compiled)
    assert not any("*" in text for text in compiled)  # only named columns


def test_sql_statements_per_read_do_not_grow_with_payers_or_months(
    sqlite_only: Callable[..., Office],
) -> None:
    small = sqlite_only()
    payers = [replace(ZOLW, payer_id=100 + n) for n in range(40)]
    months = [f"2024-{month:02d}" for month in range(1, 13)]
    dras = [
        Dra(1000 + index, payer, month, **ZOLW_MONTH)
        for index, (payer, month) in enumerate((p, m) for p in payers for m in months)
    ]
    large = sqlite_only(payers, dras)

    small.reader.read(PERIODS)
    assert len(large.reader.read(months).zus) == 480

    assert (
        small.server.statements_by_database
        == large.server.statements_by_database
        == {DATABASE: small.server.statements_by_database[DATABASE]}
    )
    assert small.server.statements_by_database[DATABASE] == 7  # as the reader's docstring says


# --- connections and settings ---------------------------------------------------------------


def test_a_database_that_cannot_be_opened_raises_a_connection_error(tmp_path: Path) -> None:
    template = f"sqlite:///{tmp_path}/{{database}}.sqlite"
    server = SqlServer(SqlServerTarget(url_template=template), program="platnik")
    reader = PlatnikReader(PlatnikProgram(url=template, database="Brak"), server=server)

    with pytest.raises(SqlConnectionError, match="Brak.sqlite does not exist"):
        reader.read(PERIODS)
    with pytest.raises(SqlConnectionError, match="does not exist"):
        reader.check()


def test_an_unreachable_postgresql_server_raises_a_connection_error() -> None:
    template = "postgresql+psycopg://root@127.0.0.1:1/{database}"
    server = SqlServer(SqlServerTarget(url_template=template), program="platnik")
    reader = PlatnikReader(PlatnikProgram(url=template, database="platnik"), server=server)

    with pytest.raises(SqlConnectionError) as raised:
        reader.read(PERIODS)

    assert raised.value.reason.startswith("cannot reach postgresql server 127.0.0.1:1")


def test_sql_settings_without_a_database_name_are_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="give 'database'"):
        PlatnikProgram(url="sqlite:///{database}.sqlite")


def test_the_reader_needs_exactly_one_backend(tmp_path: Path) -> None:
    settings = PlatnikProgram(url="sqlite:///{database}.sqlite", database=DATABASE)
    server = SqlServer(SqlServerTarget(url_template="sqlite:///{database}.sqlite"))

    with pytest.raises(ValueError, match="exactly one"):
        PlatnikReader(settings)
    with pytest.raises(ValueError, match="exactly one"):
        PlatnikReader(settings, server=server, access=WrittenAccessFile(tmp_path / "x.sqlite"))


def test_a_real_access_file_that_is_not_platnik_is_named_through_the_real_driver(
    samples_dir: Path,
) -> None:
    if not any(driver in installed_odbc_drivers() for driver in ACCESS_DRIVERS):
        pytest.skip("no ODBC driver for Access files is installed (apt-get install odbc-mdbtools)")
    path = samples_dir / "access" / "nwind.mdb"

    with AccessDatabase(path) as access:
        reader = PlatnikReader(PlatnikProgram(access_file=path), access=access)
        data = reader.read(PERIODS)
        with pytest.raises(SchemaMismatch, match="is this Płatnik's database"):
            reader.check()
        probe = reader.probe()

    [problem] = data.problems
    assert (problem.where, problem.message) == (str(path), "table ZUSDRA: table is missing")
    assert probe["tables"] == {
        "ZUSDRA": {"present": False},
        "PLATN_IDENT": {"present": False},
        "PLATNIK": {"present": False},
    }


def test_the_writer_stores_periods_as_mmyyyy_and_money_as_decimals(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    write_platnik_database(f"sqlite:///{path}", [ZOLW], DRAS[:1])
    engine = sa.create_engine(f"sqlite:///{path}")
    zusdra = sa.Table("ZUSDRA", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        row = connection.execute(sa.select(zusdra)).mappings().one()
    engine.dispose()

    assert (row["I_2_2OKRESDEKLAR"], row["I_2_1IDDEKLS"]) == ("022025", "01")
    assert row["IV_32_KWSKSPOL"] == Decimal("1476.32")
    assert row["IX_2_KWDOZAPLATY"] == Decimal("1955.99")
    money, period = zusdra.c["IX_2_KWDOZAPLATY"].type, zusdra.c["I_2_2OKRESDEKLAR"].type
    assert (money.precision, money.scale, period.length) == (13, 2, 6)
