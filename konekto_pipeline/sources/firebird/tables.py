"""Tolerant reads from Firebird databases: a table map's `TableSpec`s bound to what is there.

One catalogue query per database lists the columns of every table a reader needs; a SELECT then
names only the columns that exist. A missing optional column reads as None, a missing table or
required column raises `SchemaMismatch` naming the program, the table and the column (the same
contract as `konekto_pipeline.sources.sql.tables`, without SQLAlchemy: Firebird is reached
through fdb directly).

Text is checked for the two signs of a wrong charset: U+FFFD (fdb replaced bytes it could not
decode) and UTF-8 read as a single-byte code page ("ZaĹĽĂłĹ‚Ä‡" for "Zażółć").
"""

import re
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from konekto_pipeline.domain.money import check_amount
from konekto_pipeline.sources.firebird.connection import FirebirdDatabase
from konekto_pipeline.sources.sql.tables import SchemaMismatch, TableSpec, grosze_from_db

_PLAIN_NAME = re.compile(r"^[A-Z][A-Z0-9_$]*$")

_CATALOGUE = (
    "SELECT TRIM(rf.RDB$RELATION_NAME), TRIM(rf.RDB$FIELD_NAME) "
    "FROM RDB$RELATION_FIELDS rf "
    "WHERE rf.RDB$RELATION_NAME IN ({marks})"
)


def quote(name: str) -> str:
    """A Firebird identifier: bare when plain upper case, else in double quotes (dialect 3)."""
    if _PLAIN_NAME.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


class FirebirdTables:
    """The columns one database has for a set of table specs, read with one catalogue query."""

    def __init__(
        self, database: FirebirdDatabase, program: str, specs: Iterable[TableSpec]
    ) -> None:
        self.database = database
        self.program = program
        self._names: dict[str, str] = {}
        self._present = self._catalogue([spec.name for spec in specs])

    def has_table(self, spec: TableSpec) -> bool:
        return spec.name.upper() in self._present

    def present(self, spec: TableSpec) -> dict[str, str]:
        """Map name -> real column name of the spec's columns that exist (required checked)."""
        columns = self._present.get(spec.name.upper())
        if columns is None:
            raise SchemaMismatch(self.program, spec.name, "table is missing")
        missing = [name for name in spec.required if name.casefold() not in columns]
        if missing:
            raise SchemaMismatch(
                self.program, spec.name, f"required column {', '.join(missing)} is missing"
            )
        wanted = (*spec.required, *spec.optional)
        return {name: columns[name.casefold()] for name in wanted if name.casefold() in columns}

    def missing_optional(self, spec: TableSpec) -> list[str]:
        present = self.present(spec)
        return [name for name in spec.optional if name not in present]

    def all_columns(self, spec: TableSpec) -> list[str]:
        """Every column the table has (for a probe listing what is there)."""
        return sorted(self._present.get(spec.name.upper(), {}).values())

    def column(self, spec: TableSpec, name: str) -> str:
        """The quoted column for a SELECT, or NULL when an optional column is missing."""
        present = self.present(spec)
        if name in present:
            return quote(present[name])
        if name not in spec.optional:
            raise SchemaMismatch(self.program, spec.name, f"column {name} is not in the map")
        return "NULL"

    def table(self, spec: TableSpec) -> str:
        self.present(spec)
        return quote(self._real_table_name(spec))

    def select(
        self,
        spec: TableSpec,
        columns: Sequence[str],
        where: str = "",
        params: Sequence[Any] = (),
    ) -> list[dict[str, Any]]:
        """Rows of `columns` (map names) from the table; absent optional columns are None.

        `where` is SQL text written with `column()` names and ? parameters.
        """
        return [
            dict(zip(columns, row, strict=True))
            for row in self.select_rows(spec, columns, where, params)
        ]

    def select_rows(
        self,
        spec: TableSpec,
        columns: Sequence[str],
        where: str = "",
        params: Sequence[Any] = (),
    ) -> list[tuple[Any, ...]]:
        """As `select`, rows as tuples in the order of `columns` (for reads of many rows)."""
        select_list = ", ".join(self.column(spec, name) for name in columns)
        sql = f"SELECT {select_list} FROM {self.table(spec)}"
        if where:
            sql += f" WHERE {where}"
        return self.database.query(sql, params)

    def _real_table_name(self, spec: TableSpec) -> str:
        return self._names[spec.name.upper()]

    def _catalogue(self, tables: Collection[str]) -> dict[str, dict[str, str]]:
        """Per upper-case table name, its columns keyed by casefolded name."""
        if not tables:
            return {}
        marks = ", ".join("?" for _ in tables)
        wanted = [name.upper() for name in tables]
        rows = self.database.query(_CATALOGUE.format(marks=marks), wanted)
        present: dict[str, dict[str, str]] = {}
        for table, column in rows:
            present.setdefault(table.upper(), {})[column.casefold()] = column
            self._names[table.upper()] = table
        return present


def money_sum(database: FirebirdDatabase, expression: str) -> str:
    """SUM of a money column as NUMERIC(18,2) in dialect 3 (Firebird 4 would give INT128).

    A dialect 1 database has no 64-bit numerics (DECIMAL(15,2) is a double there and a cast
    to NUMERIC(18,2) is refused), so its sum stays a double, for `grosze_from_db` to check.
    """
    total = f"SUM(COALESCE({expression}, 0))"
    return f"CAST({total} AS NUMERIC(18,2))" if database.dialect >= 3 else total


def user_tables(database: FirebirdDatabase) -> list[str]:
    """Every user table of the database (system tables left out), sorted: for probes."""
    rows = database.query(
        "SELECT TRIM(RDB$RELATION_NAME) FROM RDB$RELATIONS "
        "WHERE COALESCE(RDB$SYSTEM_FLAG, 0) = 0 AND RDB$VIEW_BLR IS NULL"
    )
    return sorted(row[0] for row in rows)


def database_charset(database: FirebirdDatabase) -> str | None:
    """The database's default character set (NONE for old installs), None when not set."""
    rows = database.query("SELECT TRIM(RDB$CHARACTER_SET_NAME) FROM RDB$DATABASE")
    return rows[0][0] if rows and rows[0][0] else None


def text(value: object) -> str | None:
    """Stripped text (CHAR columns are padded), None when NULL or blank."""
    if value is None:
        return None
    return str(value).strip() or None


def grosze(value: object, where: str) -> int:
    """`grosze_from_db`, with a fast path for an exact DECIMAL (what dialect 3 returns).

    Anything else (a dialect 1 double, a fraction of a grosz, NULL) takes the shared path and
    its checks; an amount beyond any real figure is refused naming `where`.
    """
    if type(value) is Decimal and value.is_finite():
        scaled = value.scaleb(2)
        if scaled == scaled.to_integral_value():
            try:
                return check_amount(int(scaled))
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
    return grosze_from_db(value, where)


def as_int(value: object, what: str) -> int:
    """An integer column value; dialect 1 may hand a whole number as a float."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} {value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text_value = str(value).strip()
    if text_value.isascii() and text_value.lstrip("-").isdigit():
        return int(text_value)
    raise ValueError(f"{what} {value!r} is not a whole number")


def suspicious_text(value: str | None, encoding: str) -> str | None:
    """Why `value` looks decoded with the wrong charset, or None when it looks right.

    Polish text in a single-byte code page is almost never valid multi-byte UTF-8, so text whose
    bytes in `encoding` decode as UTF-8 to something else was UTF-8 read as `encoding`.
    """
    if not value or value.isascii():
        return None
    if "\ufffd" in value:
        return "has bytes the connection charset cannot decode"
    try:
        as_utf8 = value.encode(encoding).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError, LookupError):
        return None
    if as_utf8 != value:
        return f"looks like UTF-8 read as {encoding} ({as_utf8!r} was meant)"
    return None
