"""Connections to the Firebird servers of Raks and Fakt, through `fdb` and the Firebird client.

Every Firebird reader opens its databases through `FirebirdServer`: one database at a time
per server, each query in its own read-only transaction, the connection charset always set, and
a failure turned into a sentence the office can act on (`FirebirdConnectionError.reason`).

Surprising parts:
- `fdb` decodes text with the connection charset's Python codec, but with charset NONE it uses
  this machine's locale, and it replaces undecodable bytes with U+FFFD silently. A database
  created with charset NONE by a Windows program holds WIN1250 bytes: with `charset="NONE"` the
  bytes are decoded with `text_encoding` (cp1250 by default) instead.
- fdb has no argument for a login timeout, the client's authentication plugins or wire
  encryption; they go into the attachment's parameter block (isc_dpb_connect_timeout and the
  per-connection configuration isc_dpb_config) through fdb's attach hook.
- Firebird 4 (Raks after its migration) returns INT128 and DECFLOAT for some expressions (SUM
  over DECIMAL), which fdb cannot read. The attachment asks for the Firebird 3 types instead
  (isc_dpb_set_bind, "SET BIND ... TO LEGACY"); Firebird 3 ignores the request.
- Database paths are handed over as UTF-8 (isc_dpb_utf8_filename); the client library turns
  them into this machine's character set, so a data folder with Polish letters opens under a
  UTF-8 locale or on Polish Windows, and under LANG=C the reason says to change the locale.
- Failures are recognised by Firebird's error code first and by text only as a fallback: the
  server's messages may come in its own code page (fdb then shows "?" for the letters).
- Every query runs in a read-only READ COMMITTED transaction, committed as soon as its rows are
  fetched. Firebird treats such transactions as committed from the start, so a read never holds
  back garbage collection or blocks the program's own users.
"""

import contextvars
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from konekto_pipeline.sources.sql.connection import SqlConnectionError

logger = logging.getLogger(__name__)

DEFAULT_PORT = 3050
DEFAULT_CHARSET = "WIN1250"
NONE_CHARSET = "NONE"
DEFAULT_TEXT_ENCODING = "cp1250"
CLIENT_INSTALL_HINT = (
    "install the Firebird client library (Debian/Ubuntu: apt-get install libfbclient2; Windows: "
    "fbclient.dll from the Firebird installer, of the same bitness as Python) or set "
    "client_library to its path"
)

# Parameter-block items fdb has no argument for (Firebird's ibase.h).
_DPB_CONNECT_TIMEOUT = 57
_DPB_CONFIG = 87
_DPB_SET_BIND = 93  # Firebird 4; earlier servers skip it
_LEGACY_BIND = "int128 to legacy;decfloat to legacy;time zone to legacy"

# Charsets the pipeline accepts for a connection: the Windows and DOS code pages Polish programs
# use, UTF8, and NONE (bytes decoded with `text_encoding`).
CHARSETS = ("WIN1250", "NONE", "UTF8", "ISO8859_2", "DOS852", "WIN1252")
WireCrypt = Literal["enabled", "required", "disabled"]

ErrorKind = Literal[
    "client",
    "unreachable",
    "not_firebird",
    "login",
    "auth_plugin",
    "wire_crypt",
    "path",
    "path_encoding",
    "not_database",
    "newer_ods",
    "shutdown",
    "charset",
    "permission",
    "query",
]

# Failures that make every database of the server unreadable; the others concern one database.
SERVER_KINDS = frozenset(
    {
        "client",
        "unreachable",
        "not_firebird",
        "login",
        "auth_plugin",
        "wire_crypt",
        "charset",
        "path_encoding",
    }
)


class FirebirdConnectionError(SqlConnectionError):
    """A Firebird server or database that could not be opened or read.

    `reason` says what to do about it; `kind` names the way it failed (one of `ErrorKind`), so a
    reader can tell a missing company database (a problem for one company) from a server that
    is down (the whole program is unavailable).
    """

    def __init__(
        self,
        reason: str,
        program: str | None = None,
        where: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(reason, program, where)
        self.kind = kind

    @property
    def affects_server(self) -> bool:
        """True when no database of the server can be read (server, client, login, charset);
        False for one database that cannot be opened or read (its file, its data)."""
        return self.kind in SERVER_KINDS


@dataclass(frozen=True)
class FirebirdTarget:
    """How to reach one Firebird server, as the office configured it.

    `password` is already resolved from its environment variable and never shown (not even in
    `repr`). `charset` is the connection charset; with "NONE" the text is decoded with
    `text_encoding`. `auth_plugins` ("Srp256, Srp, Legacy_Auth") and `wire_crypt` override the
    client's defaults; None keeps them. `client_library` is the fbclient file to load.
    """

    host: str = "localhost"
    port: int = DEFAULT_PORT
    user: str = "SYSDBA"
    password: str | None = field(default=None, repr=False)
    charset: str = DEFAULT_CHARSET
    text_encoding: str | None = None
    login_timeout: int = 10
    auth_plugins: str | None = None
    wire_crypt: WireCrypt | None = None
    client_library: str | None = None

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise FirebirdConnectionError("no Firebird server address given (host)")
        if not 0 < self.port < 65536:
            raise FirebirdConnectionError(f"port {self.port} is not a TCP port")
        if self.login_timeout <= 0:
            raise FirebirdConnectionError("login_timeout must be a positive number of seconds")
        if self.charset.upper() not in CHARSETS:
            raise FirebirdConnectionError(
                f"charset {self.charset!r} is not one of {', '.join(CHARSETS)} (Raks and Fakt "
                "use WIN1250; old databases created with NONE: charset NONE, text_encoding cp1250)",
                kind="charset",
            )
        if self.text_encoding is not None:
            _check_codec(self.text_encoding)
        if self.wire_crypt not in (None, "enabled", "required", "disabled"):
            raise FirebirdConnectionError(
                f"wire_crypt must be enabled, required or disabled, not {self.wire_crypt!r}"
            )

    @property
    def python_encoding(self) -> str:
        """The Python codec text is decoded with (for NONE: `text_encoding`, default cp1250)."""
        if self.charset.upper() == NONE_CHARSET:
            return self.text_encoding or DEFAULT_TEXT_ENCODING
        import fdb

        return fdb.ibase.charset_map[self.charset.upper()]

    @property
    def server(self) -> str:
        return f"{self.host}/{self.port}"

    def dsn(self, path: str) -> str:
        return f"{self.host}/{self.port}:{path}"

    def client_config(self) -> str:
        """Lines of per-connection client configuration (isc_dpb_config), empty for defaults."""
        lines = []
        if self.auth_plugins:
            lines.append(f"AuthClient = {self.auth_plugins}")
        if self.wire_crypt:
            lines.append(f"WireCrypt = {self.wire_crypt.capitalize()}")
        return "\n".join(lines)


def _check_codec(encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FirebirdConnectionError(
            f"text_encoding {encoding!r} is not a known code page (e.g. cp1250, cp852)",
            kind="charset",
        ) from None


# --- the attachment's extra parameters ------------------------------------------------------------

_EXTRA_DPB: contextvars.ContextVar["FirebirdTarget | None"] = contextvars.ContextVar(
    "konekto_firebird_dpb", default=None
)
_HOOK_LOCK = threading.Lock()
_hook_installed = False


def _add_parameters(_dsn: bytes, dpb: Any) -> None:
    """fdb's attach hook: the target's timeout, client configuration and type binding."""
    target = _EXTRA_DPB.get()
    if target is None:
        return None
    dpb.add_integer_parameter(_DPB_CONNECT_TIMEOUT, target.login_timeout)
    config = target.client_config()
    if config:
        dpb.add_string_parameter(_DPB_CONFIG, config)
    dpb.add_string_parameter(_DPB_SET_BIND, _LEGACY_BIND)
    return None


def _install_hook() -> None:
    global _hook_installed
    import fdb

    with _HOOK_LOCK:
        if not _hook_installed:
            fdb.add_hook(fdb.HOOK_DATABASE_ATTACH_REQUEST, _add_parameters)
            _hook_installed = True


def attach(target: FirebirdTarget, path: str) -> Any:
    """An fdb connection to `path` on the target's server (default transaction: read-only).

    Raises FirebirdConnectionError (never with the password in it).
    """
    try:
        import fdb
    except ImportError:
        raise FirebirdConnectionError(
            "the Python package fdb is not installed: pip install fdb", kind="client"
        ) from None
    _install_hook()
    token = _EXTRA_DPB.set(target)
    try:
        connection = fdb.connect(
            host=target.host,
            port=target.port,
            database=path,
            user=target.user,
            password=target.password or None,
            charset=target.charset.upper(),
            sql_dialect=3,
            isolation_level=fdb.ISOLATION_LEVEL_READ_COMMITED_RO,
            fb_library_name=target.client_library,
            utf8params=True,
        )
    except Exception as error:  # fdb raises plain Exception for a missing client library
        raise FirebirdConnectionError(
            explain(error, target, path), where=_where(target, path), kind=error_kind(error)
        ) from None
    finally:
        _EXTRA_DPB.reset(token)
    if target.charset.upper() == NONE_CHARSET:
        # fdb would decode NONE with this machine's locale; cursors copy the codec when made.
        connection._python_charset = target.python_encoding
    return connection


# --- one open database ----------------------------------------------------------------------------


class FirebirdDatabase:
    """One open database: queries in short read-only transactions, counted by the server."""

    def __init__(self, server: "FirebirdServer", path: str, connection: Any) -> None:
        self.server = server
        self.path = path
        self._connection = connection

    @property
    def where(self) -> str:
        return self.server.where(self.path)

    @property
    def dialect(self) -> int:
        """The database's SQL dialect (1 in very old databases: money then is a double)."""
        return int(self._connection.database_sql_dialect)

    @property
    def server_version(self) -> str:
        """E.g. "LI-V3.0.11.33637 Firebird 3.0"."""
        return str(self._connection.server_version)

    @property
    def engine_version(self) -> str:
        """The Firebird release, e.g. "3.0" or "4.0"."""
        return str(self._connection.engine_version)

    @property
    def ods(self) -> float:
        """On-disk structure: 11.2 = Firebird 2.5, 12.0 = 3.0, 13.0 = 4.0, 13.1 = 5.0."""
        return float(self._connection.ods)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of one SELECT, read in its own read-only transaction."""
        self.server.count_statement(self.path)
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
            self._connection.commit()
            return rows
        except Exception as error:
            self._rollback()
            raise FirebirdConnectionError(
                explain(error, self.server.target, self.path),
                self.server.program,
                self.where,
                kind=_query_kind(error),
            ) from None
        finally:
            cursor.close()

    def _rollback(self) -> None:
        try:
            self._connection.rollback()
        except Exception:  # the link may be gone; closing will tell
            logger.debug("rollback after a failed query on %s failed too", self.where)


def _query_kind(error: BaseException) -> ErrorKind:
    """A failed query concerns its database only, unless the link to the server is gone."""
    kind = error_kind(error)
    return kind if kind in ("unreachable", "permission") else "query"


# --- the server -----------------------------------------------------------------------------------


class FirebirdServer:
    """One Firebird server, whose databases are opened one after another.

    Firebird has one attachment per database, so there is no pool: `connect(path)` attaches,
    and detaches on leaving. Other threads wait while a database is open; opening a second one
    from the thread that holds the first is a programming error (RuntimeError).

    `statements` counts the queries sent (not the attachments); `statements_by_database` splits
    it per database path, for tests and benchmarks.
    """

    def __init__(self, target: FirebirdTarget, *, program: str | None = None) -> None:
        self.target = target
        self.program = program
        self.statements = 0
        self.statements_by_database: dict[str, int] = {}
        self.attachments = 0
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._path: str | None = None

    def __enter__(self) -> "FirebirdServer":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def where(self, path: str) -> str:
        """The server and database as shown in messages, e.g. "srv/3050:D:\\Raks\\F00001.FDB"."""
        return _where(self.target, path)

    @contextmanager
    def connect(self, path: str) -> Iterator[FirebirdDatabase]:
        """The database at `path` (as the server sees it), for reading only; detached on leaving."""
        if not path or not path.strip():
            raise FirebirdConnectionError("the database path is empty", self.program, kind="path")
        if self._holder == threading.get_ident():
            raise RuntimeError(
                f"database {self._path!r} is still open on this FirebirdServer; "
                f"close it before opening {path!r}"
            )
        with self._lock:
            self._holder = threading.get_ident()
            self._path = path
            try:
                connection = self._attach(path)
                try:
                    yield FirebirdDatabase(self, path, connection)
                finally:
                    _close(connection)
            finally:
                self._holder = None
                self._path = None

    def count_statement(self, path: str) -> None:
        self.statements += 1
        self.statements_by_database[path] = self.statements_by_database.get(path, 0) + 1

    def _attach(self, path: str) -> Any:
        try:
            connection = attach(self.target, path)
        except FirebirdConnectionError as error:
            raise FirebirdConnectionError(
                error.reason, self.program, error.where, kind=error.kind
            ) from None
        self.attachments += 1
        return connection


def _close(connection: Any) -> None:
    try:
        connection.rollback()
        connection.close()
    except Exception:  # a broken link cannot be closed cleanly; nothing was written anyway
        logger.debug("closing a Firebird connection failed", exc_info=True)


def _where(target: FirebirdTarget, path: str) -> str:
    return target.dsn(path)


# --- what went wrong ------------------------------------------------------------------------------

# Firebird status codes (the first code of the status vector) and what they mean here.
_CODES: dict[int, ErrorKind] = {
    335544472: "login",  # isc_login: "Your user name and password are not defined"
    335545106: "auth_plugin",  # isc_login_error: "Error occurred during login ..."
    335545064: "wire_crypt",  # isc_wirecrypt_incompatible
    335544721: "unreachable",  # isc_network_error: "Unable to complete network request"
    335544421: "not_firebird",  # isc_connect_reject: "connection rejected by remote interface"
    335544344: "path",  # isc_io_error: "I/O error during "open" operation for file"
    335544323: "not_database",  # isc_bad_db_format: "file ... is not a valid database"
    335544379: "newer_ods",  # isc_wrong_ods: "unsupported on-disk structure"
    335544528: "shutdown",  # isc_shutdown: "database ... shutdown"
    335544565: "charset",  # isc_transliterate_failed: "Cannot transliterate character"
    335544352: "permission",  # isc_no_priv: "no permission for ... access to ..."
    335544972: "path",  # isc_bad_conn_str: "Invalid connection string"
    335544726: "unreachable",  # isc_net_read_err: "Error reading data from the connection"
    335544727: "unreachable",  # isc_net_write_err
}

_TEXTS: tuple[tuple[ErrorKind, tuple[str, ...]], ...] = (
    ("client", ("client library", "fbclient", "could not be determined")),
    ("path_encoding", ("invalid connection string",)),
    ("charset", ("character set", "transliterate", "unknown encoding")),
    ("wire_crypt", ("wire encryption",)),
    ("auth_plugin", ("error occurred during login",)),
    ("login", ("user name and password are not defined",)),
    ("newer_ods", ("on-disk structure",)),
    ("not_database", ("is not a valid database", "file size is less than expected")),
    ("path", ("operation for file", "no such file")),
    ("shutdown", ("shutdown",)),
    ("not_firebird", ("connection rejected by remote interface",)),
    (
        "unreachable",
        (
            "unable to complete network request",
            "failed to establish a connection",
            "connection refused",
            "connection shutdown",
            "error reading data from the connection",
            "error writing data to the connection",
        ),
    ),
    ("permission", ("no permission for",)),
)

_ODS_FOUND = re.compile(r"found (\d+)\.(\d+), support (\d+)\.(\d+)")
_ODS_RELEASE = {10: "1.x", 11: "2.x", 12: "3.0", 13: "4.0 or 5.0"}


def error_code(error: BaseException) -> int | None:
    """The first Firebird status code of an fdb error, when it carries one."""
    args = getattr(error, "args", ())
    if len(args) >= 3 and isinstance(args[2], int):
        return args[2]
    return None


def error_kind(error: BaseException) -> ErrorKind | None:
    """Which way a connection or query failed, from the status code, else from the text."""
    text = str(error.args[0] if getattr(error, "args", None) else error).lower()
    if isinstance(error, LookupError):
        return "charset"
    code = error_code(error)
    if code in _CODES:
        kind = _CODES[code]
        if kind == "path" and '"read" operation' in text and "less than expected" in text:
            return "not_database"
        if kind == "path" and "invalid connection string" in text and "transliterate" in text:
            return "path_encoding"
        return kind
    for kind, needles in _TEXTS:
        if any(needle in text for needle in needles):
            return kind
    return None


_NOISE = ("sqlcode", "dynamic sql error", "sql error code")


def _server_lines(error: BaseException) -> list[str]:
    """The server's message lines, without fdb's preamble ("Error while ...:") and codes."""
    text = str(error.args[0]) if getattr(error, "args", None) else str(error)
    lines = [line.strip().lstrip("- ").strip() for line in text.splitlines()]
    return [
        line
        for line in lines
        if line and not line.endswith(":") and not line.lower().startswith(_NOISE)
    ]


def _reason(kind: ErrorKind | None, error: BaseException, target: FirebirdTarget, path: str) -> str:
    server = f"the Firebird server {target.host}:{target.port}"
    lines = _server_lines(error)
    said = "; ".join(lines[:3]) or type(error).__name__
    if kind == "client":
        return f"the Firebird client library could not be loaded ({said}): {CLIENT_INSTALL_HINT}"
    if kind == "unreachable":
        return (
            f"cannot reach {server}: the server is not running, the address or port is wrong, "
            f"or a firewall blocks port {target.port} ({said})"
        )
    if kind == "not_firebird":
        return (
            f"{server} did not answer as a Firebird server within {target.login_timeout} s: "
            "another program may use that port, or the server is overloaded"
        )
    if kind == "login":
        return (
            f"login refused for user {target.user!r} on {server}: check the user name and the "
            "password (its environment variable); a user created for Firebird 2.5 "
            "(Legacy_UserManager) may have another password than the same user for Srp"
        )
    if kind == "auth_plugin":
        plugins = target.auth_plugins or "the client's default (Srp256, Srp, Legacy_Auth)"
        return (
            f"{server} and this client share no authentication method ({plugins}); on a "
            "Firebird 3/4 server add the plugin its users were made with to AuthServer in "
            "firebird.conf (e.g. Srp, Legacy_Auth), or set auth_plugins to what it accepts"
        )
    if kind == "wire_crypt":
        setting = target.wire_crypt or "the client's default (enabled)"
        return (
            f"{server} and this client disagree on wire encryption (client: {setting}): Firebird "
            "3/4 servers require it by default; set wire_crypt to enabled, or WireCrypt = "
            "Enabled in the server's firebird.conf"
        )
    if kind == "path":
        return (
            f"cannot open the database file {path!r} on {server}: it does not exist at that path "
            "as the server sees it, or the server's account may not read it "
            f"(the server said: {said})"
        )
    if kind == "path_encoding":
        return (
            f"the Firebird client cannot convert the path {path!r} to this machine's character "
            "set: run the pipeline under a UTF-8 locale (e.g. LANG=C.UTF-8; on Windows the "
            "ANSI code page must hold the path's letters) or use a folder name without them"
        )
    if kind == "not_database":
        return f"{path!r} on {server} is not a Firebird database ({said})"
    if kind == "newer_ods":
        return _newer_ods_reason(said, path, server)
    if kind == "shutdown":
        return (
            f"database {path!r} is shut down on {server} (a backup, restore or migration may "
            "be running); try again when the program's own users can work"
        )
    if kind == "charset":
        return (
            f"the connection charset {target.charset} does not fit the text in {path!r} ({said}): "
            "Raks and Fakt use WIN1250; a database created with charset NONE by an old version "
            "needs charset NONE with text_encoding cp1250"
        )
    if kind == "permission":
        return f"user {target.user!r} may not read everything needed in {path!r} ({said})"
    return f"could not read {path!r} on {server}: {said}"


def _newer_ods_reason(said: str, path: str, server: str) -> str:
    found = _ODS_FOUND.search(said)
    release = ""
    if found:
        made_by = _ODS_RELEASE.get(int(found.group(1)), f"ODS {found.group(1)}")
        runs = _ODS_RELEASE.get(int(found.group(3)), f"ODS {found.group(3)}")
        release = f" (the file is for Firebird {made_by}, the server is Firebird {runs})"
    return (
        f"{path!r} was made by another Firebird version than {server} runs{release}: after "
        'Raks\'s migration to Firebird 4 its databases are in the folder with "4" appended and '
        "are served by the Firebird 4 server; point host, port and data folder there"
    )


def explain(error: BaseException, target: FirebirdTarget, path: str) -> str:
    """What went wrong with `path` on the target's server, as a sentence the office can act on.

    No password ever appears in the result.
    """
    return scrub(_reason(error_kind(error), error, target, path), target)


def scrub(text: str, target: FirebirdTarget) -> str:
    """`text` with the target's password replaced by ***."""
    if target.password:
        text = text.replace(target.password, "***")
    return text
