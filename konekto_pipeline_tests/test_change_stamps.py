"""The change sensor notices changes inside the database programs' databases, and cheaply.

Each database program's reader gives a change stamp: a digest of, per table its read uses, the
row count and the highest key (on Firebird 3 and later the newest record version), one aggregate
per table and no data row read. The sensor keeps each program's stamp in its cursor beside the
files' fingerprint. These tests build real databases with the programs' own writers (Optima on
SQLite files and on PostgreSQL, Fakt and Raks on the local Firebird server) and evaluate the
sensor tick after tick as Dagster would, changing one row in between. What the stamps notice:

- a row added or deleted, everywhere: exactly one run starts, and the next tick skips;
- an amount corrected in place: on Firebird 3 and later (the record's version moves), but not on
  the SQL Server programs, whose count and highest key stay the same (the scheduled update reads
  such corrections), nor on Firebird 2.5;
- a company activated or renamed in Optima's company list, which is read whole.

A database that cannot be reached gives a warning naming the program and no run, spares the
other programs, and its recovery with the same data starts no run either. The stamp statements
are compiled for SQL Server too, since the programs' real server cannot run here.
"""

import dataclasses
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from konekto_pipeline.defs.automation import automation
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.settings import SqlProgram, load_settings
from konekto_pipeline.sources.fakt.writer import (
    FaktCompany,
    FaktData,
    FaktDeclaration,
    ReportLine,
    write_fakt_database,
)
from konekto_pipeline.sources.files.paths import PathMap
from konekto_pipeline.sources.firebird.connection import FirebirdTarget
from konekto_pipeline.sources.firebird.local import (
    PASSWORD_ENV,
    local_target,
    read_write,
    remove_folder,
    server_folder,
    server_problem,
)
from konekto_pipeline.sources.optima.reader import OptimaReader
from konekto_pipeline.sources.optima.writer import (
    PIT_5,
    VAT_7,
    KpirEntry,
    OptimaCompany,
    OptimaDeclaration,
    OptimaOffice,
    generated_office,
    write_optima_company,
    write_optima_configuration,
    write_optima_sqlite_office,
)
from konekto_pipeline.sources.raks.writer import KpirEntry as RaksKpirEntry
from konekto_pipeline.sources.raks.writer import RaksCompany, RaksData, write_raks_data_folder
from konekto_pipeline.sources.registry import PROGRAMS_BY_KEY
from konekto_pipeline.sources.sql.connection import SqlServer, SqlServerTarget
from konekto_pipeline.sources.symfonia.program import SymfoniaProgram
from konekto_pipeline.sources.symfonia.reader import SymfoniaReader
from konekto_pipeline.sources.symfonia.writer import (
    MkCompany,
    MkDeclaration,
    MkMonth,
    write_company_sqlite,
    write_mkp_ini,
)

_, (SENSOR,) = automation(None)
WARNING = "cannot stamp its database"


def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    """One evaluation of the change sensor, with the cursor the last run request left."""
    return SENSOR(dg.build_sensor_context(cursor=cursor))


def started(result: dg.SensorResult | dg.SkipReason) -> dg.RunRequest:
    """The one run the tick requested (failing when it skipped or requested several)."""
    assert isinstance(result, dg.SensorResult), f"the tick skipped: {result}"
    assert len(result.run_requests) == 1
    return result.run_requests[0]


def write_settings(folder: Path, programs: dict[str, Any]) -> Path:
    path = folder / "konekto.yaml"
    settings = {"programs": programs, "panel": {"database": "panel.sqlite"}}
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def office_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """`office_settings(**programs)` writes konekto.yaml and points the sensor at it."""

    def write(**programs: Any) -> Path:
        path = write_settings(tmp_path, programs)
        monkeypatch.setenv("KONEKTO_SETTINGS", str(path))
        return path

    return write


# --- Optima on SQLite and PostgreSQL -----------------------------------------------------------

CONFIGURATION = "CDN_KNF_Konfiguracja"


def optima_office() -> OptimaOffice:
    kpir = OptimaCompany(
        database="CDN_Kowalski",
        name="Usługi Ślusarskie Józef Kowalski",
        nip="5260250274",
        tax_form="KPiR",
        vat_period="miesięcznie",
        declarations=(
            OptimaDeclaration(VAT_7, "2026-01", 123449, declaration_id=1),
            OptimaDeclaration(PIT_5, "2026-01", 51250, declaration_id=2),
        ),
        kpir=(KpirEntry("2026-01", sales=1000000, goods=400000),),
    )
    archived = OptimaCompany(database="CDN_Nowak", name="Ewa Nowak", nip="1830166138", active=False)
    return OptimaOffice([kpir, archived], configuration=CONFIGURATION)


@dataclass
class Optima:
    """An Optima office written to one engine: its URL template and how to change its rows."""

    template: str
    names: dict[str, str]
    schema: str | None

    def settings(self) -> dict[str, Any]:
        return {"optima": {"url": self.template, "database": self.names[CONFIGURATION]}}

    def execute(self, database: str, table: str, statement: str) -> None:
        """Run `statement` on one table of a database, as the program would; {table} in the
        statement stands for the table."""
        engine = sa.create_engine(self.template.format(database=self.names[database]))
        qualified = f'"{self.schema}"."{table}"' if self.schema else f'"{table}"'
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(statement.format(table=qualified))
        finally:
            engine.dispose()

    def files(self) -> dict[Path, int]:
        """Each SQLite file's modification time (none on PostgreSQL)."""
        url = sa.make_url(self.template)
        if url.get_backend_name() != "sqlite":
            return {}
        folder = Path(url.database or "").parent
        return {path: path.stat().st_mtime_ns for path in folder.glob("*.sqlite")}


def sqlite_optima(folder: Path) -> Optima:
    office = optima_office()
    template = write_optima_sqlite_office(folder / "optima", office)
    names = {name: name for name in (CONFIGURATION, *(c.database for c in office.companies))}
    return Optima(template, names, schema=None)


@pytest.fixture(params=["sqlite", "postgresql"])
def optima(request: pytest.FixtureRequest, tmp_path: Path) -> Optima:
    """The office on SQLite files, or on PostgreSQL databases made (and dropped) for the test."""
    if request.param == "sqlite":
        return sqlite_optima(tmp_path)
    create = request.getfixturevalue("pg_database")
    template = request.getfixturevalue("pg_template")
    office = optima_office()
    names = {name: create() for name in (CONFIGURATION, *(c.database for c in office.companies))}
    renamed = [
        dataclasses.replace(company, database=names[company.database])
        for company in office.companies
    ]
    write_optima_configuration(template.format(database=names[CONFIGURATION]), renamed)
    for company in renamed:
        write_optima_company(template.format(database=company.database), company)
    return Optima(template, names, schema="CDN")


ADD_DECLARATION = (
    'INSERT INTO {table} ("DkN_DkNID", "DkN_TypDeklar", "DkN_RokMiesiac", "DkN_Kwota", '
    '"DkN_Finalna") VALUES (3, 1, 202602, 1000.00, 1)'
)
DELETE_DECLARATION = 'DELETE FROM {table} WHERE "DkN_DkNID" = 3'
CORRECT_AMOUNT = 'UPDATE {table} SET "DkN_Kwota" = 999.99 WHERE "DkN_DkNID" = 1'


def test_an_optima_row_added_or_deleted_starts_one_run_and_an_idle_office_none(
    optima: Optima, office_settings: Callable[..., Path]
) -> None:
    office_settings(**optima.settings())
    first = tick(None)
    started(first)
    assert isinstance(tick(first.cursor), dg.SkipReason)

    optima.execute("CDN_Kowalski", "DeklNag", ADD_DECLARATION)
    added = tick(first.cursor)
    assert started(added).run_key == started(tick(first.cursor)).run_key  # one change, one key
    assert isinstance(tick(added.cursor), dg.SkipReason)

    optima.execute("CDN_Kowalski", "DeklNag", DELETE_DECLARATION)
    deleted = tick(added.cursor)
    keys = {started(result).run_key for result in (first, added, deleted)}
    assert len(keys) == 3  # back as at first, yet a change of its own: a run of its own
    assert isinstance(tick(deleted.cursor), dg.SkipReason)


def test_the_stamp_is_stable_leaves_no_connection_open_and_writes_nothing(
    optima: Optima,
    office_settings: Callable[..., Path],
    request: pytest.FixtureRequest,
) -> None:
    settings = load_settings(office_settings(**optima.settings()))
    files = optima.files()

    stamp = PROGRAMS_BY_KEY["optima"].change_stamp(settings)

    assert stamp == PROGRAMS_BY_KEY["optima"].change_stamp(settings)
    assert optima.files() == files
    if optima.schema is not None:  # PostgreSQL shows who is connected
        admin = request.getfixturevalue("postgres")
        with admin.connect() as connection:
            open_connections = connection.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(:names)"),
                {"names": list(optima.names.values())},
            ).scalar_one()
        assert open_connections == 0


def test_an_amount_corrected_in_place_is_not_seen_on_sql_server_programs(
    tmp_path: Path, office_settings: Callable[..., Path]
) -> None:
    optima = sqlite_optima(tmp_path)
    office_settings(**optima.settings())
    first = tick(None)

    optima.execute("CDN_Kowalski", "DeklNag", CORRECT_AMOUNT)

    assert isinstance(tick(first.cursor), dg.SkipReason)


def test_a_company_activated_in_optimas_company_list_is_seen(
    tmp_path: Path, office_settings: Callable[..., Path]
) -> None:
    optima = sqlite_optima(tmp_path)
    office_settings(**optima.settings())
    first = tick(None)

    optima.execute(CONFIGURATION, "Bazy", 'UPDATE {table} SET "Baz_Nieaktywna" = 0')

    started(tick(first.cursor))


def test_the_stamp_sends_one_aggregate_per_table_whatever_the_rows(tmp_path: Path) -> None:
    small = generated_office(2, ["2026-01"], seed=1)
    large = generated_office(2, [f"2026-{month:02d}" for month in range(1, 13)], seed=1)
    counts = []
    for name, office in (("small", small), ("large", large)):
        template = write_optima_sqlite_office(tmp_path / name, office)
        with SqlServer(SqlServerTarget(url_template=template), sqlite_schemas=("CDN",)) as server:
            OptimaReader(server, SqlProgram(url=template, database=CONFIGURATION)).change_stamp()
            counts.append(server.statements_by_database)

    assert counts[0] == counts[1]
    assert {counts[0][company.database] for company in small.companies} == {7}


def test_an_unreachable_database_warns_spares_the_others_and_its_recovery_starts_no_run(
    tmp_path: Path, office_settings: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    optima = sqlite_optima(tmp_path)
    kedu = tmp_path / "kedu"
    kedu.mkdir()
    office_settings(**optima.settings(), kedu={"folder": str(kedu)})
    first = tick(None)
    configuration = tmp_path / "optima" / f"{CONFIGURATION}.sqlite"
    away = configuration.rename(tmp_path / "elsewhere.sqlite")

    down = tick(first.cursor)
    assert isinstance(down, dg.SkipReason)
    assert f"WARNING - optima: {WARNING}" in capsys.readouterr().err

    (kedu / "nowy.xml").write_text("<KEDU/>", encoding="utf-8")
    other_changed = tick(first.cursor)
    started(other_changed)
    assert f"WARNING - optima: {WARNING}" in capsys.readouterr().err
    kept = [json.loads(result.cursor)["databases"]["optima"] for result in (first, other_changed)]
    assert kept[0] == kept[1]
    away.rename(configuration)
    assert isinstance(tick(other_changed.cursor), dg.SkipReason)
    assert WARNING not in capsys.readouterr().err


# --- SQL Server -------------------------------------------------------------------------------


def test_every_stamp_statement_compiles_for_sql_server_without_waiting_for_locks(
    tmp_path: Path, record_statements: Callable[[], list[Any]], mssql_text: Callable[..., str]
) -> None:
    office = create_demo_office(tmp_path / "demo", companies=2, last_period="2026-06")
    settings = load_settings(office.settings_path)
    symfonia = symfonia_on_sql(tmp_path / "symfonia")
    sent = record_statements()

    for key in ("optima", "platnik", "rachmistrz", "reset2_ksiega"):
        assert PROGRAMS_BY_KEY[key].change_stamp(settings) is not None
    assert symfonia.change_stamp() is not None

    compiled = [mssql_text(statement, render_postcompile=True) for statement in sent]
    aggregates = [text for text in compiled if text.startswith("SELECT count(*)")]
    assert all(text.endswith(" WITH (NOLOCK)") for text in aggregates)
    text = "\n".join(compiled)
    for expected in (
        "max([CDN].[DeklNag].[DkN_DkNID]) AS max_1 \nFROM [CDN].[DeklNag] WITH (NOLOCK)",
        "SELECT count(*) AS count_1 \nFROM [CDN].[ZapisyKPR] WITH (NOLOCK)",
        "max(dbo.[ZUSDRA].[ID_DOKUMENT]) AS max_1 \nFROM dbo.[ZUSDRA] WITH (NOLOCK)",
        "max(dbo.[dekl__Ewid].[dekl_Id]) AS max_1 \nFROM dbo.[dekl__Ewid] WITH (NOLOCK)",
        "max(dbo.[Firmy].[IdFirmy]) AS max_1 \nFROM dbo.[Firmy] WITH (NOLOCK)",
        "max([FK].dekl.id) AS max_1 \nFROM [FK].dekl WITH (NOLOCK)",
        "SELECT count(*) AS count_1 \nFROM [FK].[KPIRMIES] WITH (NOLOCK)",
    ):
        assert expected in text


def symfonia_on_sql(folder: Path) -> SymfoniaReader:
    company = MkCompany(
        key="FIRMA1",
        name="Kowalski",
        nip="5260250274",
        declarations=(MkDeclaration("VAT-7", 2026, 1, 10000),),
        ledger=(MkMonth(2026, 1, 500000, 200000),),
    )
    write_company_sqlite(folder, company)
    ini = write_mkp_ini(folder / "MKP.INI", [(company.name, company.key)], storage="MSSQL")
    program = SymfoniaProgram(ini_file=str(ini), url=f"sqlite:///{folder}/{{database}}.sqlite")
    return SymfoniaReader(program, PathMap(), folder)


# --- Firebird: Fakt and Raks ----------------------------------------------------------------


@pytest.fixture(scope="module")
def target() -> FirebirdTarget:
    found = local_target()
    problem = server_problem(found)
    if problem:
        pytest.skip(f"Firebird is not usable here: {problem}")
    return found


@pytest.fixture
def server_folder_for_test(target: FirebirdTarget) -> Iterator[Path]:
    """A folder the local Firebird server may create this test's databases in."""
    folder = server_folder()
    yield folder
    remove_folder(folder)


def fakt_data() -> FaktData:
    return FaktData(
        companies=[
            FaktCompany(1, "Śląska Stal", "5260250274"),
            FaktCompany(2, "Żółw", "5213017228"),
        ],
        report=[
            ReportLine(1, 2026, 1, "VAT-7", 88_800),
            ReportLine(1, 2026, 1, "PIT-4", 30_050),
            ReportLine(2, 2026, 1, "PIT-28", 4_444),
        ],
        declarations=[FaktDeclaration(1, 2026, 1, "VAT-7")],
    )


def fakt_settings(path: str, target: FirebirdTarget, port: int | None = None) -> dict[str, Any]:
    return {
        "fakt": {
            "host": target.host,
            "port": port or target.port,
            "user": target.user,
            "password_env": PASSWORD_ENV,
            "database": path,
            "login_timeout": 3,
        }
    }


@pytest.fixture
def fakt(
    target: FirebirdTarget, server_folder_for_test: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Fakt's database on the local server; its password in the variable the settings name."""
    path = str(server_folder_for_test / "FAKT.FDB")
    write_fakt_database(target, path, fakt_data())
    monkeypatch.setenv(PASSWORD_ENV, target.password or "")
    return path


def change_fakt(target: FirebirdTarget, path: str, statement: str) -> None:
    with read_write(target, path) as connection:
        connection.cursor().execute(statement)


def test_fakt_rows_added_changed_in_place_or_deleted_each_start_one_run(
    target: FirebirdTarget, fakt: str, office_settings: Callable[..., Path]
) -> None:
    office_settings(**fakt_settings(fakt, target))
    first = tick(None)
    started(first)
    assert isinstance(tick(first.cursor), dg.SkipReason)

    change_fakt(target, fakt, "UPDATE PODATKI_DO_ZAPLATY SET KWOTA = 1000.00 WHERE ID = 2")
    corrected = tick(first.cursor)
    started(corrected)
    assert isinstance(tick(corrected.cursor), dg.SkipReason)

    change_fakt(
        target,
        fakt,
        "INSERT INTO PODATKI_DO_ZAPLATY (ID, FIRMA_ID, ROK, MIESIAC, SYMBOL, KWOTA) "
        "VALUES (99, 2, 2026, 2, 'PIT-28', 45.00)",
    )
    added = tick(corrected.cursor)
    started(added)
    assert isinstance(tick(added.cursor), dg.SkipReason)

    change_fakt(target, fakt, "DELETE FROM DEKLARACJE WHERE ID = 1")
    started(tick(added.cursor))

    with read_write(target, fakt) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT COUNT(*) FROM MON$ATTACHMENTS "
            "WHERE MON$ATTACHMENT_ID <> CURRENT_CONNECTION AND MON$SYSTEM_FLAG = 0"
        )
        assert cursor.fetchone()[0] == 0  # every attachment of the stamps is closed


def test_an_unreachable_firebird_server_warns_and_neither_outage_nor_recovery_starts_a_run(
    target: FirebirdTarget,
    fakt: str,
    office_settings: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    office_settings(**fakt_settings(fakt, target))
    first = tick(None)

    office_settings(**fakt_settings(fakt, target, port=closed_port()))
    assert isinstance(tick(first.cursor), dg.SkipReason)
    assert f"WARNING - fakt: {WARNING}" in capsys.readouterr().err

    office_settings(**fakt_settings(fakt, target))
    assert isinstance(tick(first.cursor), dg.SkipReason)


def closed_port() -> int:
    """A local TCP port nothing listens on (one the system just handed out and took back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_entry_in_a_raks_company_database_is_seen(
    target: FirebirdTarget,
    server_folder_for_test: Path,
    office_settings: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    companies = [
        RaksCompany(1, "Śląska Stal", "5260250274", kpir=[RaksKpirEntry(date(2026, 1, 5), 10000)]),
        RaksCompany(2, "Żółw", "5213017228"),
    ]
    write_raks_data_folder(target, str(server_folder_for_test), RaksData(companies))
    monkeypatch.setenv(PASSWORD_ENV, target.password or "")
    raks = {
        "host": target.host,
        "port": target.port,
        "password_env": PASSWORD_ENV,
        "data_folder": str(server_folder_for_test),
    }
    office_settings(raks=raks)
    first = tick(None)
    started(first)
    assert isinstance(tick(first.cursor), dg.SkipReason)

    company = str(server_folder_for_test / "F00002.FDB")
    with read_write(target, company) as connection:
        connection.cursor().execute(
            "INSERT INTO FK_KPIR (ID, ENTRY_DATE, SALES_VALUE) VALUES (1, '2026-02-03', 250.00)"
        )

    started(tick(first.cursor))


def test_a_cursor_of_the_files_fingerprint_alone_is_read_as_such(
    tmp_path: Path, office_settings: Callable[..., Path]
) -> None:
    """Cursors written before databases were stamped hold the files' fingerprint alone."""
    kedu = tmp_path / "kedu"
    kedu.mkdir()
    (kedu / "dra.xml").write_text("<KEDU/>", encoding="utf-8")
    office_settings(kedu={"folder": str(kedu)})
    first = tick(None)
    started(first)

    assert isinstance(tick(json.loads(first.cursor)["files"]), dg.SkipReason)
