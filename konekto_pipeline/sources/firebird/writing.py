"""Pieces the Firebird program writers (Raks, Fakt) share: creating a database, a table with
some columns or the whole table left out, and money and moments as the programs store them."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from konekto_pipeline.sources.firebird.connection import FirebirdTarget
from konekto_pipeline.sources.firebird.local import create_database


class Shape(Protocol):
    """Columns ({"TABLE": {"COLUMN"}}) and tables left out of one database."""

    @property
    def omit(self) -> Mapping[str, set[str]]: ...

    @property
    def omit_tables(self) -> set[str]: ...


class Settings(Protocol):
    """How a database is created: its default charset and SQL dialect."""

    @property
    def database_charset(self) -> str: ...

    @property
    def dialect(self) -> int: ...


def create(target: FirebirdTarget, path: str, settings: Settings) -> Any:
    """A connection to a new database at `path` with the charset and dialect of `settings`."""
    return create_database(
        target, path, database_charset=settings.database_charset, dialect=settings.dialect
    )


def write_table(
    connection: Any,
    name: str,
    columns: Sequence[tuple[str, str]],
    shape: Shape,
    rows: Iterable[Mapping[str, Any]],
) -> None:
    """CREATE TABLE without the omitted columns, then one executemany INSERT of the rows."""
    if name in shape.omit_tables:
        return
    omitted = shape.omit.get(name, set())
    kept = [(column, kind) for column, kind in columns if column not in omitted]
    ddl = ", ".join(f"{column} {kind}" for column, kind in kept)
    cursor = connection.cursor()
    cursor.execute(f"CREATE TABLE {name} ({ddl})")
    connection.commit()
    rows = list(rows)
    if rows:
        names = [column for column, _ in kept]
        marks = ", ".join("?" for _ in names)
        cursor.executemany(
            f"INSERT INTO {name} ({', '.join(names)}) VALUES ({marks})",
            [[row.get(column) for column in names] for row in rows],
        )
    cursor.close()


def money(grosze: int | None) -> Decimal | None:
    """Grosze as a DECIMAL(15,2) value (None stays None)."""
    return None if grosze is None else Decimal(grosze).scaleb(-2)


def month_after(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment on `day` of the month after the period."""
    return datetime(year + month // 12, month % 12 + 1, day, hour, minute)
