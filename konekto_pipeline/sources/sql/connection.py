"""Connections to the MS SQL Server databases of Optima, Płatnik, Rachmistrz and Reset2.

Every SQL reader opens its databases through `SqlServer`, so that one office server is reached
one way: one connection pool per server, one company database at a time, nothing written, and
a failure turned into a sentence the office can act on (`SqlConnectionError.reason`).

Surprising parts:
- MS SQL Server cannot run on the pipeline's Linux test machines. A target with `url_template`
  runs the same reader code on SQLite files or PostgreSQL databases instead; `sqlite_schemas`
  attaches each SQLite file under schema names such as `CDN` so that `CDN.Firma` means the same
  table there as on SQL Server.
- The login timeout is not in the URL: the ODBC keyword differs between drivers, so `SqlServer`
  passes it to pyodbc, which sets SQL_ATTR_LOGIN_TIMEOUT for any driver.
- Windows authentication from Linux needs a Kerberos ticket for the worker's account; SQL
  authentication with a read-only login is simpler there.
- Passwords are only ever shown through `safe_url`; `explain` scrubs them from driver messages.
"""

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import URL, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.util import LRUCache

logger = logging.getLogger(__name__)

FREETDS_TDS_VERSION = "7.4"
SQLSERVER_INSTALL_HINT = (
    "install Microsoft ODBC Driver 18 for SQL Server, or on Debian/Ubuntu "
    "`apt-get install unixodbc tdsodbc` (FreeTDS)"
)
DATABASE_PLACEHOLDER = "{database}"

_SERVER_DATABASE = "master"
_MAX_NAME_LENGTH = 128
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MS_DRIVER = re.compile(r"^ODBC Driver (\d+) for SQL Server$")
_NATIVE_CLIENT = re.compile(r"^SQL Server Native Client (\d+)(?:\.(\d+))?$")


class SqlConnectionError(Exception):
    """A server, database or file that could not be opened; `reason` says what to do about it.

    `program` is the accounting program's key (e.g. `optima`) and `where` the server and
    database or file, when the raiser knows them.
    """

    def __init__(self, reason: str, program: str | None = None, where: str | None = None) -> None:
        self.reason = reason
        self.program = program
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = ": ".join(part for part in (self.program, self.where) if part)
        return f"{prefix}: {self.reason}" if prefix else self.reason


@dataclass(frozen=True)
class SqlServerTarget:
    """How to reach one database server, as the office configured it.

    `server` is "HOST\\INSTANCE", "HOST" or "host,port". `password` is already resolved from its
    environment variable and never shown (not even in `repr`). `url_template` replaces SQL
    Server by any SQLAlchemy URL, with `{database}` standing for the database name (tests and the
    demo office: "sqlite:////data/{database}.sqlite", "postgresql+psycopg://root@host/{database}").
    """

    server: str = ""
    auth: Literal["sql", "windows"] = "sql"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    driver: str | None = None
    encrypt: bool | None = None
    trust_server_certificate: bool = False
    login_timeout: int = 15
    url_template: str | None = None

    def __post_init__(self) -> None:
        if self.auth not in ("sql", "windows"):
            raise SqlConnectionError(f"auth must be 'sql' or 'windows', not {self.auth!r}")
        if not self.server.strip() and not self.url_template:
            raise SqlConnectionError("no server given (HOST\\INSTANCE, HOST or host,port)")
        if self.login_timeout <= 0:
            raise SqlConnectionError("login_timeout must be a positive number of seconds")


def installed_odbc_drivers() -> list[str]:
    """ODBC drivers registered on this machine; empty when pyodbc or unixODBC is missing."""
    try:
        import pyodbc
    except ImportError:
        return []
    try:
        return list(pyodbc.drivers())
    except pyodbc.Error:
        return []


def _driver_rank(name: str) -> tuple[int, int, int] | None:
    """Sort key of a SQL Server ODBC driver, best first; None for drivers of other databases."""
    ms_driver = _MS_DRIVER.match(name)
    if ms_driver:
        version = int(ms_driver.group(1))
        if version in (18, 17):
            return (0, 18 - version, 0)
        return (1, -version, 0)
    native_client = _NATIVE_CLIENT.match(name)
    if native_client:
        return (2, -int(native_client.group(1)), -int(native_client.group(2) or 0))
    if name == "FreeTDS":
        return (3, 0, 0)
    if "freetds" in name.lower() or "tds" in name.lower():
        return (3, 1, 0)
    return None


def choose_driver(installed: list[str], preferred: str | None = None) -> str:
    """The ODBC driver to reach SQL Server with: `preferred` when installed, else the best one.

    Order: ODBC Driver 18, 17, any other "ODBC Driver NN for SQL Server" (newest first),
    SQL Server Native Client, FreeTDS (or another driver named after TDS).
    """
    if preferred and preferred in installed:
        return preferred
    ranked = sorted((rank, name) for name in installed if (rank := _driver_rank(name)) is not None)
    if ranked:
        return ranked[0][1]
    found = ", ".join(installed) if installed else "none"
    raise SqlConnectionError(
        f"no ODBC driver for SQL Server is installed (installed drivers: {found}): "
        f"{SQLSERVER_INSTALL_HINT}"
    )


def is_freetds(driver: str) -> bool:
    """Whether the driver is FreeTDS, whose connection keywords differ from Microsoft's."""
    return "tds" in driver.lower()


def split_server(server: str) -> tuple[str, int | None]:
    """The URL host ("HOST" or "HOST\\INSTANCE") and port of "HOST\\INSTANCE", "HOST", "host,port".

    A "tcp:" prefix, as SQL Server tools accept it, is dropped. With a port, the instance name
    is kept but the drivers connect to the port directly.
    """
    text = server.strip()
    if text.lower().startswith("tcp:"):
        text = text[4:]
    host, _, port_text = text.partition(",")
    host = host.strip()
    if not host or host.startswith("\\") or host.endswith("\\"):
        raise SqlConnectionError(
            f"server {server!r} is not of the form HOST\\INSTANCE, HOST or host,port"
        )
    if not port_text:
        return host, None
    port_text = port_text.strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SqlConnectionError(f"server {server!r}: the port {port_text!r} is not a TCP port")
    return host, int(port_text)


def check_database_name(database: str) -> str:
    """The name unchanged, or a clear error when it could not be quoted safely as [name]."""
    if not database or not database.strip():
        raise SqlConnectionError("the database name is empty")
    if "]" in database or _CONTROL_CHARS.search(database):
        raise SqlConnectionError(
            f"database name {database!r} contains ']' or a control character; "
            "such names are refused rather than quoted"
        )
    if len(database) > _MAX_NAME_LENGTH:
        raise SqlConnectionError(f"database name {database!r} is longer than 128 characters")
    return database


def quote_sqlserver_name(name: str) -> str:
    """`name` as a bracketed SQL Server identifier, e.g. [CDN_Firma Kowalski]."""
    return f"[{check_database_name(name)}]"


def sqlserver_url(target: SqlServerTarget, database: str) -> URL:
    """The mssql+pyodbc URL of one database on `target`'s server.

    FreeTDS gets TDS_Version 7.4 (SQL Server 2012 and later; older servers answer with their
    own version) and UTF-8 as client charset; it resolves a named instance through the SQL
    Server Browser itself, but reads "HOST\\INSTANCE,port" as an instance named "INSTANCE,port",
    so with a port it gets the host alone. FreeTDS 1.3 encrypts on request ("Encryption") and
    checks no certificate unless freetds.conf names a CA file, so `trust_server_certificate`
    changes nothing there. Windows authentication leaves out the user, and SQLAlchemy then
    asks for Trusted_Connection=Yes.
    """
    check_database_name(database)
    host, port = split_server(target.server)
    driver = target.driver or choose_driver(installed_odbc_drivers())
    query: dict[str, str] = {"driver": driver}
    if is_freetds(driver):
        if port is not None:
            host = host.partition("\\")[0]
        query["TDS_Version"] = FREETDS_TDS_VERSION
        query["ClientCharset"] = "UTF-8"
        if target.encrypt is not None:
            query["Encryption"] = "require" if target.encrypt else "off"
    else:
        if target.encrypt is not None:
            query["Encrypt"] = "yes" if target.encrypt else "no"
        if target.trust_server_certificate:
            query["TrustServerCertificate"] = "yes"

    if target.auth == "windows":
        return URL.create("mssql+pyodbc", host=host, port=port, database=database, query=query)
    if not target.user:
        raise SqlConnectionError(f"SQL authentication to {target.server} needs a user name")
    return URL.create(
        "mssql+pyodbc",
        username=target.user,
        password=target.password or None,
        host=host,
        port=port,
        database=database,
        query=query,
    )


def _template_url(target: SqlServerTarget, database: str) -> URL:
    """`target.url_template` with the database filled in, at the URL's database part only."""
    template = target.url_template or ""
    url = make_url(template)
    outside = (url.username, url.password, url.host, *url.query.values())
    if any(DATABASE_PLACEHOLDER in str(part) for part in outside if part is not None):
        raise SqlConnectionError(
            f"url_template: {DATABASE_PLACEHOLDER} may only stand in the database part of "
            f"{safe_url(url)}"
        )
    if url.get_backend_name() == "sqlite":
        _check_file_name(database)
    elif url.username is None and target.user:
        url = url.set(username=target.user, password=target.password or None)
    if url.database and DATABASE_PLACEHOLDER in url.database:
        url = url.set(database=url.database.replace(DATABASE_PLACEHOLDER, database))
    return url


def _check_file_name(database: str) -> None:
    """Refuse database names that would leave the SQLite template's folder."""
    if "/" in database or "\\" in database or database.startswith("."):
        raise SqlConnectionError(
            f"database name {database!r} cannot be used in a file name "
            "(it contains a path separator or starts with a dot)"
        )


def database_url(target: SqlServerTarget, database: str) -> URL:
    """The URL of one database: the filled `url_template`, or SQL Server's mssql+pyodbc URL."""
    check_database_name(database)
    if target.url_template:
        return _template_url(target, database)
    return sqlserver_url(target, database)


def safe_url(url: URL | str) -> str:
    """The URL as text with the password hidden: the only way a URL is logged or shown."""
    return make_url(url).render_as_string(hide_password=True)


def sqlserver_connect_args(target: SqlServerTarget) -> dict[str, Any]:
    """pyodbc arguments that are not connection-string keywords: the login timeout."""
    return {"timeout": target.login_timeout}


class SqlServer:
    """One database server, whose databases are read one after another through one pool.

    SQL Server: one Engine for the server (one pooled connection, pre-pinged), switched to each
    company with `USE [name]`. `url_template`: one Engine per database, made when that database
    is opened and disposed when the next one is; SQLite files are opened read-only, and each
    is also attached under every name in `sqlite_schemas`, so "CDN.Bazy" or "dbo.ZUSDRA" read
    the file itself. PostgreSQL has real schemas and runs every transaction read-only.

    `statements` counts the SQL statements sent (not the USE switches or the dialect's own
    start-up queries); `statements_by_database` splits it per database, for benchmarks.
    """

    def __init__(
        self,
        target: SqlServerTarget,
        *,
        sqlite_schemas: tuple[str, ...] = (),
        program: str | None = None,
    ) -> None:
        for schema in sqlite_schemas:
            if not _SCHEMA_NAME.match(schema):
                raise SqlConnectionError(f"sqlite_schemas: {schema!r} is not a plain name")
        self.target = target
        self.sqlite_schemas = tuple(sqlite_schemas)
        self.program = program
        self.statements = 0
        self.statements_by_database: dict[str, int] = {}
        self._lock = threading.Lock()
        self._reader: int | None = None
        self._database: str | None = None
        self._engine: Engine | None = None
        self._engine_database: str | None = None
        self._compiled_cache: LRUCache = LRUCache(1000)

    def __enter__(self) -> "SqlServer":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.dispose()

    def where(self, database: str) -> str:
        """The server and database as shown in messages, e.g. "biuro\\OPTIMA / CDN_Firma"."""
        if not self.target.url_template:
            return f"{self.target.server} / {database}"
        try:
            return safe_url(database_url(self.target, database))
        except SqlConnectionError:
            return f"{_safe_template(self.target)} / {database}"

    @contextmanager
    def connect(self, database: str) -> Iterator[Connection]:
        """A connection to `database`, for reading only; closed (rolled back) on leaving.

        Other threads wait while a database is being read; opening a second database from the
        thread that is still reading one is a programming error and raises RuntimeError.
        """
        try:
            check_database_name(database)
        except SqlConnectionError as error:
            raise self._located(error, database) from None
        if self._reader == threading.get_ident():
            raise RuntimeError(
                f"database {self._database!r} is still open on this SqlServer; "
                f"close it before opening {database!r}"
            )
        with self._lock:
            self._reader = threading.get_ident()
            self._database = database
            try:
                connection = self._open(database)
                # Closing rolls back whatever transaction the reader began: nothing stays open
                # between two companies, and nothing a reader did could be committed.
                with connection:
                    yield connection
            finally:
                self._reader = None
                self._database = None

    def dispose(self) -> None:
        """Close every pooled connection; the next `connect` starts afresh."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._engine_database = None

    def _open(self, database: str) -> Connection:
        logger.debug("opening database %s", self.where(database))
        try:
            if self.target.url_template:
                connection = self._template_engine(database).connect()
            else:
                connection = self._open_sqlserver(database)
            # Every company database runs the same statements: compile them once per server,
            # not once per database (an engine per SQLite file would start with an empty cache).
            return connection.execution_options(compiled_cache=self._compiled_cache)
        except SqlConnectionError as error:
            self._located(error, database)
            raise
        except (sa.exc.SQLAlchemyError, ImportError, OSError) as error:
            raise SqlConnectionError(
                explain(error, self.target, database), self.program, self.where(database)
            ) from error

    def _located(self, error: SqlConnectionError, database: str) -> SqlConnectionError:
        """The error with this server's program and place filled in where they were missing."""
        error.program = error.program or self.program
        error.where = error.where or self.where(database)
        return error

    def _open_sqlserver(self, database: str) -> Connection:
        if self._engine is None:
            self._engine = self._watch(
                sa.create_engine(
                    sqlserver_url(self.target, _SERVER_DATABASE),
                    pool_size=1,
                    max_overflow=0,
                    pool_pre_ping=True,
                    isolation_level="READ COMMITTED",
                    connect_args=sqlserver_connect_args(self.target),
                )
            )
        connection = self._engine.connect()
        try:
            # Through the driver's own cursor, so that the switch is not counted as a query.
            cursor = connection.connection.cursor()
            cursor.execute(f"USE {quote_sqlserver_name(database)}")
            cursor.close()
        except BaseException:
            connection.close()
            raise
        return connection

    def _template_engine(self, database: str) -> Engine:
        if self._engine is not None and self._engine_database == database:
            return self._engine
        self.dispose()
        url = database_url(self.target, database)
        if url.get_backend_name() == "sqlite":
            engine = self._sqlite_engine(url)
        else:
            options: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_pre_ping": True}
            if url.get_backend_name() == "postgresql":
                options["execution_options"] = {"postgresql_readonly": True}
                options["isolation_level"] = "READ COMMITTED"
            engine = sa.create_engine(url, **options)
        self._engine = self._watch(engine)
        self._engine_database = database
        return engine

    def _sqlite_engine(self, url: URL) -> Engine:
        """A read-only engine on the SQLite file, attached again under each schema name.

        SQLite would create a missing file, so a missing file is refused here first.
        """
        if not url.database or url.database == ":memory:":
            return sa.create_engine(url)
        path = Path(url.database).resolve()
        if not path.is_file():
            raise SqlConnectionError(f"database file {path} does not exist")
        read_only = "file:" + quote(str(path))
        engine = sa.create_engine(
            url.set(database=read_only, query={**url.query, "mode": "ro", "uri": "true"})
        )
        schemas = self.sqlite_schemas

        def attach_schemas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for schema in schemas:
                cursor.execute(f'ATTACH DATABASE ? AS "{schema}"', (f"{read_only}?mode=ro",))
            cursor.close()

        if schemas:
            sa.event.listen(engine, "connect", attach_schemas)
        return engine

    def _watch(self, engine: Engine) -> Engine:
        sa.event.listen(engine, "before_cursor_execute", self._count_statement)
        return engine

    def _count_statement(self, *_args: Any) -> None:
        self.statements += 1
        if self._database is not None:
            count = self.statements_by_database.get(self._database, 0)
            self.statements_by_database[self._database] = count + 1


def _safe_template(target: SqlServerTarget) -> str:
    try:
        return safe_url(target.url_template or "")
    except sa.exc.ArgumentError:
        return "(url_template that is not a URL)"


# What a driver or server says, mapped to what went wrong; the first match wins, so the
# order matters ("Cannot open database ... The login failed" is a missing database).
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pyodbc", ("no module named 'pyodbc'",)),
    ("unixodbc", ("libodbc",)),
    (
        "driver",
        (
            "data source name not found",
            "can't open lib",
            "no default driver specified",
            "im002",
        ),
    ),
    ("tls", ("certificate verify failed", "ssl provider", "self-signed certificate")),
    ("instance", ("error locating server/instance specified", "sql server browser")),
    (
        "database",
        (
            "cannot open database",
            "(4060)",
            "failed to open the explicitly specified database",
            "not able to access the database",
            "unable to open database file",
            "does not exist. make sure that the name is entered correctly",
        ),
    ),
    (
        "login",
        (
            "login failed",
            "18456",
            "password authentication failed",
            "no password supplied",
            "authentication failed",
        ),
    ),
    (
        "unreachable",
        (
            "tcp provider",
            "timeout expired",
            "timed out",
            "connection refused",
            "could not translate host name",
            "name or service not known",
            "temporary failure in name resolution",
            "no route to host",
            "network is unreachable",
            "adaptive server is unavailable",
            "unable to connect to data source",
            "server is not found or not accessible",
            "could not connect to server",
        ),
    ),
)
_MISSING_LIB = re.compile(r"Can't open lib '([^']*)'")
_PG_MISSING_ROLE = re.compile(r'role ".*" does not exist')
_PG_MISSING_DATABASE = re.compile(r'database ".*" does not exist')
_SECRET_KEYWORDS = re.compile(r"\b(PWD|Password)=(\{(?:[^}]|\}\})*\}|[^;]*)", re.IGNORECASE)


def _error_text(error: BaseException) -> str:
    original = getattr(error, "orig", None)
    text = str(original) if original is not None else str(error)
    return f"{type(error).__name__}: {text}" if isinstance(error, ImportError) else text


def _kind(text: str) -> str | None:
    lowered = text.lower()
    if _PG_MISSING_DATABASE.search(text):
        return "database"
    if _PG_MISSING_ROLE.search(text):
        return "login"
    for kind, needles in _KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return None


def _place(target: SqlServerTarget, database: str) -> str:
    """The server as a person would name it in a message."""
    if not target.url_template:
        return f"SQL Server {target.server}"
    try:
        url = database_url(target, database)
    except SqlConnectionError:
        return _safe_template(target)
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()} server {url.host}{port}"


def _user(target: SqlServerTarget) -> str | None:
    if target.url_template:
        try:
            return make_url(target.url_template).username or target.user
        except sa.exc.ArgumentError:
            return target.user
    return target.user


def _secrets(target: SqlServerTarget) -> list[str]:
    secrets = [target.password] if target.password else []
    if target.url_template:
        try:
            password = make_url(target.url_template).password
        except sa.exc.ArgumentError:
            password = None
        if password:
            secrets.append(str(password))
    return secrets


def scrub(text: str, target: SqlServerTarget) -> str:
    """`text` with the target's passwords and any PWD=... keyword replaced by ***."""
    for secret in _secrets(target):
        text = text.replace(secret, "***")
    return _SECRET_KEYWORDS.sub(lambda match: f"{match.group(1)}=***", text)


_REASONS = {
    "pyodbc": "the Python package pyodbc is not installed: pip install pyodbc",
    "unixodbc": "the unixODBC library is missing: apt-get install unixodbc",
    "driver": (
        "the ODBC driver {driver} is not installed on this machine "
        "(installed drivers: {installed}): " + SQLSERVER_INSTALL_HINT
    ),
    "tls": (
        "the TLS certificate of {place} is not trusted (SQL Server installs a self-signed "
        "one): set trust_server_certificate, or give the server a certificate this machine "
        "trusts"
    ),
    "instance": (
        "the instance in {server!r} was not found: check the instance name (Optima usually "
        "OPTIMA, InsERT GT usually INSERTGT), that the SQL Server Browser service runs and UDP "
        "port 1434 is open, or give the port as host,port"
    ),
    "database": (
        "database {database!r} does not exist on {place}, or the login {user!r} may not open "
        "it: check the database name and the login's access"
    ),
    "windows_login": (
        "Windows login to {place} failed: the worker's Windows (Kerberos) account has no "
        "access there; use a SQL login or grant the account access"
    ),
    "login": ("login failed for user {user!r} on {place}: check the user name and password{mixed}"),
    "unreachable": (
        "cannot reach {place}: the machine is off, the name or port is wrong, or a firewall "
        "blocks the connection{browser}"
    ),
    None: "could not open database {database!r} on {place}: {first_line}",
}
_MIXED_MODE_HINT = " (SQL logins also need SQL Server's mixed authentication mode)"
_BROWSER_HINT = (
    " (a named instance is found through the SQL Server Browser on UDP 1434: check it runs, "
    "or give the port as host,port)"
)


def _reason(kind: str | None, text: str, target: SqlServerTarget, database: str) -> str:
    named_instance = not target.url_template and "\\" in target.server.partition(",")[0]
    if kind == "login" and target.auth == "windows" and not target.url_template:
        kind = "windows_login"
    missing_lib = _MISSING_LIB.search(text)
    lines = text.strip().splitlines()
    return _REASONS[kind].format(
        place=_place(target, database),
        server=target.server,
        database=database,
        user=_user(target) or "(Windows account)",
        driver=missing_lib.group(1) if missing_lib else target.driver or "for SQL Server",
        installed=", ".join(installed_odbc_drivers()) or "none",
        browser=_BROWSER_HINT if named_instance else "",
        mixed="" if target.url_template else _MIXED_MODE_HINT,
        first_line=lines[0] if lines else "no message from the driver",
    )


def explain(error: BaseException, target: SqlServerTarget, database: str) -> str:
    """What went wrong when opening `database`, as a sentence the office can act on.

    Driver and server texts are matched, not error classes, because pyodbc reports nearly
    everything as OperationalError or InterfaceError. No password ever appears in the result.
    """
    text = _error_text(error)
    return scrub(_reason(_kind(text), scrub(text, target), target, database), target)
