"""Tolerant reads: each program's table map names the tables and columns it needs, and a read
selects only the columns the database really has.

Program versions differ (Płatnik converts its database on every upgrade, Optima adds columns), so a
missing *optional* column reads as NULL, while a missing *required* one is an error naming the
program, the table and the column, so an office can tell us what its version calls it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.money import check_amount


class SchemaMismatch(Exception):
    """A table or a required column the table map expects is not in the database."""

    def __init__(self, program: str, table: str, message: str) -> None:
        self.program = program
        self.table = table
        super().__init__(f"{program}: table {table}: {message}")


@dataclass(frozen=True)
class TableSpec:
    """One table of a program as its table map describes it.

    `required` columns must exist; `optional` ones may be missing in some program versions.
    Names are as the program spells them; `schema` is the owner (e.g. "CDN", "dbo").
    """

    name: str
    schema: str | None = None
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = field(default_factory=tuple)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


class TableReader:
    """Binds table specs to one open database: which of their columns it has, once per table."""

    def __init__(self, connection: Connection, program: str) -> None:
        self.connection = connection
        self.program = program
        self._tables: dict[str, sa.Table] = {}

    def table(self, spec: TableSpec) -> sa.Table:
        """A Core `Table` with the spec's columns that exist (optional ones may be absent)."""
        if spec.qualified not in self._tables:
            self._tables[spec.qualified] = self._bind(spec)
        return self._tables[spec.qualified]

    def has_table(self, spec: TableSpec) -> bool:
        return sa.inspect(self.connection).has_table(spec.name, schema=spec.schema)

    def column(self, spec: TableSpec, name: str) -> sa.ColumnElement:
        """A column of the table, or a typed NULL literal when an optional column is missing."""
        table = self.table(spec)
        if name in table.c:
            return table.c[name]
        if name not in spec.optional:
            raise SchemaMismatch(self.program, spec.qualified, f"column {name} is not in the map")
        return sa.null().label(name)

    def _bind(self, spec: TableSpec) -> sa.Table:
        present = self._present_columns(spec)
        missing = [name for name in spec.required if name.casefold() not in present]
        if missing:
            raise SchemaMismatch(
                self.program, spec.qualified, f"required column {', '.join(missing)} is missing"
            )
        wanted: Sequence[str] = (*spec.required, *spec.optional)
        columns = [
            sa.Column(present[name.casefold()][0], present[name.casefold()][1], key=name)
            for name in wanted
            if name.casefold() in present
        ]
        return sa.Table(spec.name, sa.MetaData(), *columns, schema=spec.schema)

    def _present_columns(self, spec: TableSpec) -> dict[str, tuple[str, sa.types.TypeEngine]]:
        inspector = sa.inspect(self.connection)
        try:
            columns = inspector.get_columns(spec.name, schema=spec.schema)
        except sa.exc.NoSuchTableError:
            raise SchemaMismatch(self.program, spec.qualified, "table is missing") from None
        except sa.exc.DBAPIError as error:  # e.g. SQLite: the schema is not there at all
            reason = str(error.orig).splitlines()[0]
            raise SchemaMismatch(
                self.program, spec.qualified, f"table is missing or unreadable ({reason})"
            ) from None
        if not columns:  # some dialects answer an empty list for a missing table
            raise SchemaMismatch(self.program, spec.qualified, "table is missing")
        return {column["name"].casefold(): (column["name"], column["type"]) for column in columns}


def grosze_from_db(value: object, where: str) -> int:
    """Integer grosze from a money value as a database driver returns it (see `_grosze`)."""
    grosze = _grosze(value, where)
    try:
        return check_amount(grosze)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _grosze(value: object, where: str) -> int:
    """Integer grosze from a money value as a database driver returns it.

    DECIMAL/NUMERIC columns arrive as `Decimal` (exact). A float arrives where the database keeps
    money as a double (SQLite's REAL, Firebird dialect 1): it is accepted only when it is within
    a millionth of a whole grosz, so a value that is not a money amount is refused, naming
    `where`, instead of being rounded silently. NULL is 0.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not an amount")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        grosze = round(value * 100)
        if abs(value * 100 - grosze) > 1e-6 * max(1.0, abs(value)):
            raise ValueError(f"{where}: {value!r} is not a whole number of grosze")
        return grosze
    if type(value) is Decimal:
        exact = value  # DBF numbers and DECIMAL columns: no detour through text
    else:
        try:
            exact = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{where}: {value!r} is not an amount") from None
    grosze_exact = exact * 100
    if grosze_exact != grosze_exact.to_integral_value():
        raise ValueError(f"{where}: {value!r} has fractions of a grosz")
    return int(grosze_exact)
