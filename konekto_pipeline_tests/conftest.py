"""Shared fixtures: the public sample files (MF and ZUS schemas, sample JPK and KEDU files), and
for the SQL programs' tests a PostgreSQL server to create databases on and statements recorded
and compiled for SQL Server."""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
MACHINE_SAMPLES = Path("/work/shared/samples")


def _samples_dir() -> Path:
    """KONEKTO_SAMPLES_DIR, else ../shared/samples beside the checkout, else the machine's."""
    if os.environ.get("KONEKTO_SAMPLES_DIR"):
        return Path(os.environ["KONEKTO_SAMPLES_DIR"])
    return REPO_SAMPLES if REPO_SAMPLES.is_dir() else MACHINE_SAMPLES


SAMPLES_DIR = _samples_dir()


@pytest.fixture
def samples_dir() -> Path:
    """The samples folder, read in place; tests needing it skip when it is not there."""
    if not SAMPLES_DIR.is_dir():
        pytest.skip(
            f"public samples folder {SAMPLES_DIR} is absent "
            "(set KONEKTO_SAMPLES_DIR to a copy of it to run these tests)"
        )
    return SAMPLES_DIR


# --- PostgreSQL and SQL Server statements (the SQL programs' tests) ---------------------------

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_TEMPLATE = f"postgresql+psycopg://root@{PG_HOST}:{PG_PORT}/{{database}}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[sa.Engine]:
    """The machine's own PostgreSQL test server, for creating and dropping test databases.

    Tests needing it skip when it is not reachable.
    """
    engine = sa.create_engine(
        PG_TEMPLATE.format(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        first_line = str(error.orig).strip().splitlines()[0]
        pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT} (user root) is not reachable: {first_line}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template(postgres: sa.Engine) -> str:
    """The URL template ("{database}" in it) of the test server's databases."""
    return PG_TEMPLATE


@pytest.fixture
def pg_database(postgres: sa.Engine) -> Iterator[Callable[..., str]]:
    """Creates databases on the test server, all dropped after the test.

    `pg_database(name=None, schema=None)` creates `name` (else a unique konekto_test_ name),
    with the empty `schema` in it when given, and returns the database's name.
    """
    created: list[str] = []

    def create(name: str | None = None, schema: str | None = None) -> str:
        database = name or f"konekto_test_{uuid.uuid4().hex[:10]}"
        with postgres.connect() as admin:
            admin.exec_driver_sql(f'CREATE DATABASE "{database}"')
        created.append(database)
        if schema is not None:
            engine = sa.create_engine(PG_TEMPLATE.format(database=database))
            try:
                with engine.begin() as connection:
                    connection.execute(sa.schema.CreateSchema(schema))
            finally:
                engine.dispose()
        return database

    yield create
    with postgres.connect() as admin:
        for database in created:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def record_statements(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[Any]]:
    """`record_statements()` starts recording every statement a SQLAlchemy Connection executes
    in this test and returns the list they are appended to."""

    def start() -> list[Any]:
        sent: list[Any] = []
        execute = sa.engine.Connection.execute

        def recording(self: sa.engine.Connection, statement: Any, *args: Any, **kw: Any) -> Any:
            sent.append(statement)
            return execute(self, statement, *args, **kw)

        monkeypatch.setattr(sa.engine.Connection, "execute", recording)
        return sent

    return start


@pytest.fixture
def mssql_text() -> Callable[..., str]:
    """`mssql_text(statement, **compile_kwargs)`: the statement compiled for SQL Server."""
    dialect = mssql.dialect()

    def compiled(statement: Any, **compile_kwargs: Any) -> str:
        return str(statement.compile(dialect=dialect, compile_kwargs=compile_kwargs))

    return compiled
