"""SQL Server connections: URLs, driver choice, reading companies one by one, failure messages.

MS SQL Server cannot run here, so the URLs are checked as the mssql+pyodbc dialect turns them
into ODBC connection strings, statements are compiled for the mssql dialect, and `SqlServer`
reads real SQLite files (with `CDN` attached as a schema) and real PostgreSQL databases. The
failure messages come from failures caused for real (a closed port, a missing database, an
unknown role, a missing driver) and, for texts only a real SQL Server produces, from a table of
those texts. No password may appear in any message.
"""

import socket
import sqlite3
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.mssql.pyodbc import MSDialect_pyodbc

from konekto_pipeline.sources.sql.connection import (
    SqlConnectionError,
    SqlServer,
    SqlServerTarget,
    choose_driver,
    database_url,
    explain,
    installed_odbc_drivers,
    safe_url,
    split_server,
    sqlserver_url,
)

PASSWORD = "Tajne;Haslo-42"
MS18 = "ODBC Driver 18 for SQL Server"
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_TEMPLATE = f"postgresql+psycopg://root@{PG_HOST}:{PG_PORT}/{{database}}"

FIRMA = sa.Table(
    "Firma",
    sa.MetaData(),
    sa.Column("Fir_FirID", sa.Integer, primary_key=True),
    sa.Column("Fir_Numer", sa.Integer),
    sa.Column("Fir_Wartosc", sa.String(1024)),
    sa.Column("Fir_Opis", sa.String(255)),
    schema="CDN",
)
COMPANIES = {
    "CDN_Zolw": "Biuro Rachunkowe Żółw sp. z o.o.",
    "CDN_Kowalski": "Jan Kowalski Usługi Księgowe",
}


def connection_string(url: sa.URL) -> str:
    """The ODBC connection string pyodbc would receive for `url`."""
    args, _ = MSDialect_pyodbc().create_connect_args(url)
    return args[0]


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def company_name(connection: sa.Connection) -> str:
    return connection.execute(
        sa.select(FIRMA.c.Fir_Wartosc).where(FIRMA.c.Fir_Numer == 1119)
    ).scalar_one()


def assert_no_password(error: BaseException, password: str = PASSWORD) -> None:
    """Neither the error nor anything chained to it shows the password."""
    shown = "".join(traceback.format_exception(error))
    assert password not in shown
    assert password not in repr(error)


# --- URLs ------------------------------------------------------------------------------------


def test_named_instance_stays_in_the_host_and_asks_for_encryption() -> None:
    target = SqlServerTarget(
        server="biuro-srv\\OPTIMA",
        user="etl_ro",
        password=PASSWORD,
        driver=MS18,
        encrypt=True,
        trust_server_certificate=True,
    )

    url = sqlserver_url(target, "CDN_KNF_Konfiguracja")

    assert (url.host, url.port) == ("biuro-srv\\OPTIMA", None)
    odbc = connection_string(url)
    assert odbc.startswith(f"DRIVER={{{MS18}}};Server=biuro-srv\\OPTIMA;")
    assert "Database=CDN_KNF_Konfiguracja;UID=etl_ro;PWD={Tajne;Haslo-42};" in odbc
    assert "Encrypt=yes" in odbc
    assert "TrustServerCertificate=yes" in odbc


def test_host_comma_port_becomes_host_and_port() -> None:
    target = SqlServerTarget(server="192.168.1.10,49967", user="etl_ro", driver=MS18)

    url = sqlserver_url(target, "CDN_Zolw")

    assert (url.host, url.port) == ("192.168.1.10", 49967)
    assert ";Server=192.168.1.10,49967;" in connection_string(url)


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("BIURO", ("BIURO", None)),
        ("BIURO\\INSERTGT", ("BIURO\\INSERTGT", None)),
        ("biuro.local,1433", ("biuro.local", 1433)),
        ("tcp:biuro.local, 49967 ", ("biuro.local", 49967)),
        ("BIURO\\OPTIMA,50123", ("BIURO\\OPTIMA", 50123)),
    ],
)
def test_server_text_splits_into_host_and_port(server: str, expected: tuple) -> None:
    assert split_server(server) == expected


@pytest.mark.parametrize("server", ["biuro,port", "biuro,70000", "\\OPTIMA", "BIURO\\", ","])
def test_server_text_that_is_no_address_is_refused(server: str) -> None:
    with pytest.raises(SqlConnectionError, match="server"):
        split_server(server)


def test_windows_authentication_sends_no_user_and_asks_for_a_trusted_connection() -> None:
    target = SqlServerTarget(server="BIURO\\OPTIMA", auth="windows", user="ignored", driver=MS18)

    odbc = connection_string(sqlserver_url(target, "CDN_Zolw"))

    assert "Trusted_Connection=Yes" in odbc
    assert "UID=" not in odbc


def test_freetds_gets_a_tds_version_utf8_and_its_own_encryption_keyword() -> None:
    target = SqlServerTarget(
        server="BIURO\\OPTIMA",
        user="etl_ro",
        password=PASSWORD,
        driver="FreeTDS",
        encrypt=True,
        trust_server_certificate=True,
    )

    odbc = connection_string(sqlserver_url(target, "CDN_Zolw"))

    assert "DRIVER={FreeTDS};Server=BIURO\\OPTIMA;" in odbc
    assert "TDS_Version=7.4" in odbc
    assert "ClientCharset=UTF-8" in odbc
    assert "Encryption=require" in odbc
    assert "Encrypt=" not in odbc
    assert "TrustServerCertificate" not in odbc


def test_freetds_with_a_port_connects_to_the_host_without_the_instance_name() -> None:
    target = SqlServerTarget(server="BIURO\\OPTIMA,50123", user="etl_ro", driver="FreeTDS")

    odbc = connection_string(sqlserver_url(target, "CDN_Zolw"))

    assert "Server=BIURO,50123;" in odbc


@pytest.mark.parametrize(("encrypt", "expected"), [(False, "Encrypt=no"), (None, None)])
def test_encrypt_off_says_no_and_unset_leaves_the_driver_default(
    encrypt: bool | None, expected: str | None
) -> None:
    target = SqlServerTarget(server="BIURO", user="etl_ro", driver=MS18, encrypt=encrypt)

    odbc = connection_string(sqlserver_url(target, "CDN_Zolw"))

    if expected:
        assert expected in odbc
    else:
        assert "Encrypt" not in odbc


def test_sql_authentication_without_a_user_is_refused() -> None:
    with pytest.raises(SqlConnectionError, match="needs a user name"):
        sqlserver_url(SqlServerTarget(server="BIURO", driver=MS18), "CDN_Zolw")


@pytest.mark.parametrize(
    ("installed", "preferred", "chosen"),
    [
        (["FreeTDS", "ODBC Driver 17 for SQL Server", MS18], None, MS18),
        (["FreeTDS", "ODBC Driver 17 for SQL Server"], None, "ODBC Driver 17 for SQL Server"),
        (
            ["ODBC Driver 13 for SQL Server", "ODBC Driver 11 for SQL Server"],
            None,
            "ODBC Driver 13 for SQL Server",
        ),
        (
            ["ODBC Driver 19 for SQL Server", "ODBC Driver 17 for SQL Server"],
            None,
            "ODBC Driver 17 for SQL Server",
        ),
        (["FreeTDS", "SQL Server Native Client 11.0"], None, "SQL Server Native Client 11.0"),
        (["MDBTools", "FreeTDS"], None, "FreeTDS"),
        (["MDBTools", "FreeTDS ODBC 1.3"], None, "FreeTDS ODBC 1.3"),
        (["MDBTools", "TDS"], None, "TDS"),
        (["FreeTDS", MS18], "FreeTDS", "FreeTDS"),
        (["FreeTDS", MS18], "ODBC Driver 17 for SQL Server", MS18),
    ],
)
def test_driver_choice_prefers_microsofts_newest_then_native_client_then_freetds(
    installed: list[str], preferred: str | None, chosen: str
) -> None:
    assert choose_driver(installed, preferred) == chosen


@pytest.mark.parametrize("installed", [[], ["MDBTools", "PostgreSQL Unicode"]])
def test_no_sql_server_driver_says_what_is_installed_and_what_to_install(
    installed: list[str],
) -> None:
    with pytest.raises(SqlConnectionError) as raised:
        choose_driver(installed)

    reason = raised.value.reason
    assert f"(installed drivers: {', '.join(installed) or 'none'})" in reason
    assert "ODBC Driver 18" in reason
    assert "tdsodbc" in reason


def test_safe_url_hides_the_password() -> None:
    mssql_url = sqlserver_url(
        SqlServerTarget(server="BIURO\\OPTIMA", user="etl_ro", password=PASSWORD, driver=MS18),
        "CDN_Zolw",
    )
    pg_url = sa.make_url("postgresql+psycopg://etl:Tajne-Haslo-42@127.0.0.1/biuro")

    assert PASSWORD not in safe_url(mssql_url)
    assert "Tajne-Haslo-42" not in safe_url(pg_url)
    assert safe_url(pg_url) == "postgresql+psycopg://etl:***@127.0.0.1/biuro"
    assert "***" in safe_url(mssql_url)


def test_target_repr_does_not_show_the_password() -> None:
    target = SqlServerTarget(server="BIURO", user="etl_ro", password=PASSWORD)

    assert PASSWORD not in repr(target)


def test_url_template_takes_the_database_name_in_its_database_part() -> None:
    sqlite = SqlServerTarget(url_template="sqlite:////data/demo office/{database}.sqlite")
    pg = SqlServerTarget(url_template=PG_TEMPLATE, user="other", password=PASSWORD)

    assert database_url(sqlite, "CDN_Zolw ąę").database == "/data/demo office/CDN_Zolw ąę.sqlite"
    assert database_url(pg, "CDN_Zolw").database == "CDN_Zolw"
    assert database_url(pg, "CDN_Zolw").username == "root"


def test_url_template_gets_the_targets_user_when_it_names_none() -> None:
    target = SqlServerTarget(
        url_template=f"postgresql+psycopg://{PG_HOST}/{{database}}", user="etl", password="pw"
    )

    url = database_url(target, "CDN_Zolw")

    assert (url.username, url.password) == ("etl", "pw")


def test_url_template_placeholder_outside_the_database_part_is_refused() -> None:
    target = SqlServerTarget(url_template="postgresql+psycopg://{database}@127.0.0.1/x")

    with pytest.raises(SqlConnectionError, match="only stand in the database part"):
        database_url(target, "CDN_Zolw")


@pytest.mark.parametrize("database", ["CDN]; DROP TABLE x", "CDN\nZolw", "CDN\x00", "", "  "])
def test_database_names_that_cannot_be_bracketed_safely_are_refused(database: str) -> None:
    target = SqlServerTarget(server="BIURO", user="etl_ro", driver=MS18)

    with pytest.raises(SqlConnectionError):
        database_url(target, database)


@pytest.mark.parametrize("database", ["../etc/passwd", "sub/CDN", "sub\\CDN", ".hidden"])
def test_sqlite_template_refuses_names_that_would_leave_its_folder(database: str) -> None:
    target = SqlServerTarget(url_template="sqlite:////data/{database}.sqlite")

    with pytest.raises(SqlConnectionError, match="file name"):
        database_url(target, database)


def test_a_cdn_statement_compiles_for_sql_server(mssql_text: Callable[..., str]) -> None:
    statement = (
        sa.select(FIRMA.c.Fir_Numer, FIRMA.c.Fir_Wartosc)
        .where(FIRMA.c.Fir_Numer.in_([1119, 3145]))
        .order_by(FIRMA.c.Fir_Numer)
        .limit(10)
    )

    sql = mssql_text(statement, literal_binds=True)

    assert sql.startswith("SELECT TOP 10 [CDN].[Firma].[Fir_Numer], [CDN].[Firma].[Fir_Wartosc]")
    assert "FROM [CDN].[Firma]" in sql
    assert "IN (1119, 3145)" in sql


# --- SqlServer over SQLite files -----------------------------------------------------------


def write_company(path: Path, name: str) -> None:
    """A company file whose CDN.Firma holds the company's name, written through CDN itself."""
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def attach(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("ATTACH DATABASE ? AS CDN", (str(path),))

    FIRMA.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            FIRMA.insert(),
            [
                {"Fir_FirID": 1, "Fir_Numer": 1119, "Fir_Wartosc": name, "Fir_Opis": "Nazwa"},
                {"Fir_FirID": 2, "Fir_Numer": 169, "Fir_Wartosc": "5260250274", "Fir_Opis": "NIP"},
            ],
        )
    engine.dispose()


@pytest.fixture
def sqlite_office(tmp_path: Path) -> SqlServerTarget:
    for database, name in COMPANIES.items():
        write_company(tmp_path / f"{database}.sqlite", name)
    return SqlServerTarget(url_template=f"sqlite:///{tmp_path}/{{database}}.sqlite")


def test_sqlite_companies_are_read_one_after_another_under_the_cdn_schema(
    sqlite_office: SqlServerTarget,
) -> None:
    names = {}
    with SqlServer(sqlite_office, sqlite_schemas=("CDN", "dbo")) as server:
        for database in COMPANIES:
            with server.connect(database) as connection:
                names[database] = company_name(connection)

    assert names == COMPANIES


def test_statements_are_counted_per_company_database(sqlite_office: SqlServerTarget) -> None:
    with SqlServer(sqlite_office, sqlite_schemas=("CDN",)) as server:
        with server.connect("CDN_Zolw") as connection:
            company_name(connection)
            connection.execute(sa.select(sa.func.count()).select_from(FIRMA)).scalar_one()
        with server.connect("CDN_Kowalski") as connection:
            company_name(connection)

    assert server.statements == 3
    assert server.statements_by_database == {"CDN_Zolw": 2, "CDN_Kowalski": 1}


def test_readers_cannot_write_to_a_sqlite_company(sqlite_office: SqlServerTarget) -> None:
    with SqlServer(sqlite_office, sqlite_schemas=("CDN",)) as server:
        with server.connect("CDN_Zolw") as connection, pytest.raises(sa.exc.OperationalError):
            connection.execute(FIRMA.delete())


def test_missing_sqlite_file_is_refused_and_not_created(
    sqlite_office: SqlServerTarget, tmp_path: Path
) -> None:
    server = SqlServer(sqlite_office, program="optima")

    with pytest.raises(SqlConnectionError) as raised, server.connect("CDN_Nowak"):
        pass

    assert raised.value.reason == f"database file {tmp_path / 'CDN_Nowak.sqlite'} does not exist"
    assert raised.value.program == "optima"
    assert not (tmp_path / "CDN_Nowak.sqlite").exists()


def test_opening_a_second_database_from_the_reading_thread_is_an_error(
    sqlite_office: SqlServerTarget,
) -> None:
    with SqlServer(sqlite_office) as server, server.connect("CDN_Zolw"):
        with pytest.raises(RuntimeError, match="still open"), server.connect("CDN_Kowalski"):
            pass


def test_another_thread_waits_until_the_first_database_is_closed(
    sqlite_office: SqlServerTarget,
) -> None:
    events: list[str] = []
    first_open = threading.Event()
    release_first = threading.Event()
    server = SqlServer(sqlite_office, sqlite_schemas=("CDN",))

    def read(database: str, hold: bool) -> None:
        with server.connect(database) as connection:
            events.append(f"open {database}")
            company_name(connection)
            if hold:
                first_open.set()
                release_first.wait(5)
            events.append(f"close {database}")

    first = threading.Thread(target=read, args=("CDN_Zolw", True))
    second = threading.Thread(target=read, args=("CDN_Kowalski", False))
    first.start()
    first_open.wait(5)
    second.start()
    second.join(0.3)
    events.append("released")
    release_first.set()
    first.join(5)
    second.join(5)
    server.dispose()

    assert events == [
        "open CDN_Zolw",
        "released",
        "close CDN_Zolw",
        "open CDN_Kowalski",
        "close CDN_Kowalski",
    ]


# --- SqlServer over PostgreSQL -------------------------------------------------------------


@pytest.fixture
def pg_office(pg_database: Callable[..., str]) -> dict[str, str]:
    """Two company databases with a CDN schema, named uniquely and dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    databases = {
        f"konekto_test_{suffix}_{key}": name for key, name in enumerate(COMPANIES.values())
    }
    for database, name in databases.items():
        engine = sa.create_engine(PG_TEMPLATE.format(database=pg_database(database, "CDN")))
        with engine.begin() as connection:
            FIRMA.metadata.create_all(connection)
            connection.execute(
                FIRMA.insert(), {"Fir_FirID": 1, "Fir_Numer": 1119, "Fir_Wartosc": name}
            )
        engine.dispose()
    return databases


def test_postgresql_companies_are_read_one_after_another_with_real_schemas(
    pg_office: dict[str, str],
) -> None:
    names = {}
    with SqlServer(SqlServerTarget(url_template=PG_TEMPLATE)) as server:
        for database in pg_office:
            with server.connect(database) as connection:
                names[database] = company_name(connection)

    assert names == pg_office
    assert server.statements_by_database == dict.fromkeys(pg_office, 1)


def test_postgresql_reading_is_read_only(pg_office: dict[str, str]) -> None:
    database = next(iter(pg_office))

    with SqlServer(SqlServerTarget(url_template=PG_TEMPLATE)) as server:
        with server.connect(database) as connection, pytest.raises(sa.exc.InternalError):
            connection.execute(FIRMA.delete())


# --- explain(): failures caused for real ---------------------------------------------------


def open_failure(target: SqlServerTarget, database: str) -> SqlConnectionError:
    with pytest.raises(SqlConnectionError) as raised:
        with SqlServer(target, program="optima") as server, server.connect(database):
            pass
    assert_no_password(raised.value)
    return raised.value


def test_postgresql_missing_database_is_named(postgres: sa.Engine) -> None:
    missing = f"konekto_missing_{uuid.uuid4().hex[:10]}"

    error = open_failure(SqlServerTarget(url_template=PG_TEMPLATE), missing)

    assert error.reason.startswith(f"database {missing!r} does not exist on postgresql server")
    assert error.program == "optima"
    assert missing in str(error.where)


def test_postgresql_unknown_role_is_a_failed_login_without_the_password(
    postgres: sa.Engine,
) -> None:
    role = f"konekto_nobody_{uuid.uuid4().hex[:8]}"
    target = SqlServerTarget(
        url_template=f"postgresql+psycopg://{PG_HOST}:{PG_PORT}/{{database}}",
        user=role,
        password=PASSWORD,
    )

    error = open_failure(target, "postgres")

    assert error.reason.startswith(f"login failed for user {role!r}")


def test_closed_port_is_reported_as_unreachable() -> None:
    port = closed_port()
    target = SqlServerTarget(
        url_template=f"postgresql+psycopg://root:{PASSWORD}@127.0.0.1:{port}/{{database}}"
    )

    error = open_failure(target, "CDN_Zolw")

    assert error.reason.startswith(f"cannot reach postgresql server 127.0.0.1:{port}")


def freetds_installed() -> bool:
    return "FreeTDS" in installed_odbc_drivers()


@pytest.mark.skipif(
    not freetds_installed(), reason="FreeTDS ODBC driver not installed (apt-get install tdsodbc)"
)
def test_freetds_to_a_closed_port_is_reported_as_unreachable() -> None:
    port = closed_port()
    target = SqlServerTarget(
        server=f"127.0.0.1,{port}", user="sa", password=PASSWORD, driver="FreeTDS", login_timeout=3
    )

    error = open_failure(target, "CDN_Zolw")

    assert error.reason.startswith(f"cannot reach SQL Server 127.0.0.1,{port}")
    assert error.where == f"127.0.0.1,{port} / CDN_Zolw"


@pytest.mark.skipif(
    not installed_odbc_drivers() or MS18 in installed_odbc_drivers(),
    reason=f"needs pyodbc and unixODBC with some driver, but not {MS18}",
)
def test_missing_odbc_driver_says_what_to_install() -> None:
    target = SqlServerTarget(server="127.0.0.1,1", user="sa", password=PASSWORD, driver=MS18)

    error = open_failure(target, "CDN_Zolw")

    assert error.reason.startswith(f"the ODBC driver {MS18} is not installed")
    assert "tdsodbc" in error.reason


@pytest.fixture
def fake_browser_on_1434() -> Iterator[list[bytes]]:
    """A SQL Server Browser on 127.0.0.1:1434 naming instance OPTIMA on a closed TCP port."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", 1434))
    except OSError as error:
        udp.close()
        pytest.skip(f"cannot listen on 127.0.0.1:1434 (UDP) for a fake Browser: {error.strerror}")
    udp.settimeout(5)
    requests: list[bytes] = []
    body = (
        "ServerName;BIURO;InstanceName;OPTIMA;IsClustered;No;Version;15.0.2000.5;"
        f"tcp;{closed_port()};;"
    )

    def answer() -> None:
        try:
            request, sender = udp.recvfrom(1024)
        except TimeoutError:
            return
        requests.append(request)
        udp.sendto(b"\x05" + len(body).to_bytes(2, "little") + body.encode(), sender)

    thread = threading.Thread(target=answer)
    thread.start()
    yield requests
    thread.join(6)
    udp.close()


@pytest.mark.skipif(
    not freetds_installed(), reason="FreeTDS ODBC driver not installed (apt-get install tdsodbc)"
)
def test_freetds_finds_a_named_instance_through_the_browser(
    fake_browser_on_1434: list[bytes],
) -> None:
    target = SqlServerTarget(
        server="127.0.0.1\\OPTIMA", user="sa", password=PASSWORD, driver="FreeTDS", login_timeout=3
    )

    error = open_failure(target, "CDN_Zolw")

    assert fake_browser_on_1434 == [b"\x04OPTIMA\x00"]
    assert error.reason.startswith("cannot reach SQL Server 127.0.0.1\\OPTIMA")
    assert "SQL Server Browser on UDP 1434" in error.reason


# --- explain(): texts only a real SQL Server or Microsoft driver produces ------------------


@pytest.mark.parametrize(
    ("message", "reason_start"),
    [
        (
            "[08001] [Microsoft][ODBC Driver 18 for SQL Server]TCP Provider: Error code 0x2749 "
            "(10057) (SQLDriverConnect)",
            "cannot reach SQL Server BIURO\\OPTIMA",
        ),
        (
            "[HYT00] [Microsoft][ODBC Driver 17 for SQL Server]Login timeout expired (0) "
            "(SQLDriverConnect)",
            "cannot reach SQL Server BIURO\\OPTIMA",
        ),
        (
            "[08001] [Microsoft][ODBC Driver 17 for SQL Server]SQL Server Network Interfaces: "
            "Error Locating Server/Instance Specified [xFFFFFFFF]. (-1) (SQLDriverConnect)",
            "the instance in 'BIURO\\\\OPTIMA' was not found",
        ),
        (
            "[28000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Login failed for user "
            "'etl_ro'. (18456) (SQLDriverConnect)",
            "login failed for user 'etl_ro' on SQL Server BIURO\\OPTIMA",
        ),
        (
            "[42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Cannot open database "
            '"CDN_Zolw" requested by the login. The login failed. (4060) (SQLDriverConnect)',
            "database 'CDN_Zolw' does not exist on SQL Server BIURO\\OPTIMA",
        ),
        (
            "[08004] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Database 'CDN_Zolw' "
            "does not exist. Make sure that the name is entered correctly. (911)",
            "database 'CDN_Zolw' does not exist",
        ),
        (
            "[08001] [Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: [error:0A000086:SSL "
            "routines::certificate verify failed:self-signed certificate] (-1)",
            "the TLS certificate of SQL Server BIURO\\OPTIMA is not trusted",
        ),
        (
            "[IM002] [unixODBC][Driver Manager]Data source name not found and no default driver "
            "specified (0) (SQLDriverConnect)",
            f"the ODBC driver {MS18} is not installed",
        ),
        (
            f"[42000] Something unusual with PWD={PASSWORD} happened\nsecond line",
            "could not open database 'CDN_Zolw' on SQL Server BIURO\\OPTIMA: [42000] Something",
        ),
    ],
)
def test_sql_server_texts_become_reasons_without_the_password(
    message: str, reason_start: str
) -> None:
    target = SqlServerTarget(server="BIURO\\OPTIMA", user="etl_ro", password=PASSWORD, driver=MS18)

    reason = explain(Exception(message), target, "CDN_Zolw")

    assert reason.startswith(reason_start)
    assert PASSWORD not in reason
    assert "Tajne" not in reason


def test_failed_windows_login_suggests_a_sql_login() -> None:
    target = SqlServerTarget(server="BIURO\\OPTIMA", auth="windows", driver=MS18)
    message = "[28000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Login failed (18456)"

    reason = explain(Exception(message), target, "CDN_Zolw")

    assert reason.startswith("Windows login to SQL Server BIURO\\OPTIMA failed")
