"""A Firebird server on this machine, for the tests, the demo office and the benchmarks.

Finds out whether the local server can be used (and says why not), makes folders the server's
own account can write database files into, and creates databases over a read-write connection
(the readers' connections are read-only). Nothing here is used when reading an office's data.
"""

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdTarget,
    error_kind,
    explain,
)

PASSWORD_ENV = "KONEKTO_FB_PASSWORD"
DEFAULT_PASSWORD = "masterkey"
SERVER_ACCOUNT = "firebird"
SETUP_HINT = "run .ci/firebird.sh as root to install and start Firebird 3 on 127.0.0.1:3050"


def local_target(**overrides: Any) -> FirebirdTarget:
    """The local test server: 127.0.0.1:3050, SYSDBA, password from KONEKTO_FB_PASSWORD."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 3050,
        "user": "SYSDBA",
        "password": os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD),
        "login_timeout": 5,
    }
    settings.update(overrides)
    return FirebirdTarget(**settings)


def server_problem(target: FirebirdTarget) -> str | None:
    """Why the server cannot be used here (not listening, login refused), or None."""
    try:
        with socket.create_connection((target.host, target.port), timeout=2):
            pass
    except OSError as error:
        return f"no Firebird server listens on {target.host}:{target.port} ({error}): {SETUP_HINT}"
    try:
        import fdb.services
    except ImportError:
        return "the Python package fdb is not installed: pip install fdb"
    try:
        service = fdb.services.connect(
            host=f"{target.host}/{target.port}", user=target.user, password=target.password
        )
        service.close()
    except Exception as error:  # a refused login or a missing client library
        if error_kind(error) == "login":
            return (
                f"the Firebird server on {target.host}:{target.port} refuses {target.user} with "
                f"the password in {PASSWORD_ENV} (default {DEFAULT_PASSWORD!r}): {SETUP_HINT}"
            )
        return explain(error, target, "service_mgr")
    return None


def server_folder(prefix: str = "konekto-fb-", parent: str | Path | None = None) -> Path:
    """A new folder the local server's account can create database files in.

    Run as root, the folder is given to the `firebird` user; otherwise it is opened to all
    (the server runs as another user and must write there).
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    give_to_server(folder)
    return folder


def give_to_server(folder: Path) -> None:
    """Let the server's account write in `folder` (a folder made by the tests)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and _has_user(SERVER_ACCOUNT):
        shutil.chown(folder, SERVER_ACCOUNT, SERVER_ACCOUNT)
        folder.chmod(0o770)
    else:
        folder.chmod(0o777)


def _has_user(name: str) -> bool:
    try:
        import pwd  # Unix only; on Windows the server's account needs no folder of its own

        pwd.getpwnam(name)
    except (ImportError, KeyError):
        return False
    return True


def remove_folder(folder: Path) -> None:
    """Delete a folder made by `server_folder`, with the server's database files in it."""
    shutil.rmtree(folder, ignore_errors=True)


def create_database(
    target: FirebirdTarget,
    path: str,
    *,
    database_charset: str = "WIN1250",
    dialect: int = 3,
    page_size: int = 4096,
) -> Any:
    """Create a database and return a read-write fdb connection to it.

    The connection uses `target.charset`, so the bytes stored are what a client with that
    charset sends: create with the program's charset (WIN1250), never without one.
    """
    import fdb

    password = (target.password or "").replace("'", "''")
    user = target.user.replace("'", "''")
    quoted_path = path.replace("'", "''")
    sql = (
        f"CREATE DATABASE '{target.host}/{target.port}:{quoted_path}' "
        f"USER '{user}' PASSWORD '{password}' PAGE_SIZE {page_size} "
        f"DEFAULT CHARACTER SET {database_charset}"
    )
    try:
        return fdb.create_database(
            sql=sql,
            sql_dialect=dialect,
            charset=target.charset.upper(),
            fb_library_name=target.client_library,
        )
    except Exception as error:
        raise FirebirdConnectionError(
            explain(error, target, path), where=target.dsn(path), kind=error_kind(error)
        ) from None


@contextmanager
def read_write(target: FirebirdTarget, path: str) -> Iterator[Any]:
    """A read-write fdb connection to an existing database (the writers' and tests' own)."""
    import fdb

    connection = fdb.connect(
        host=target.host,
        port=target.port,
        database=path,
        user=target.user,
        password=target.password,
        charset=target.charset.upper(),
        fb_library_name=target.client_library,
        utf8params=True,
    )
    try:
        yield connection
        connection.commit()
    finally:
        connection.close()
