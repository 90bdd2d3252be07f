"""Pieces the Firebird program readers (Raks, Fakt) share: the months asked for, opening the
first of several file names, frames in schema shape, probe listings and change stamps."""

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import pandas as pd

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import is_valid_nip, normalize_regon
from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.domain.periods import parse_period, period
from konekto_pipeline.schemas import empty_frame
from konekto_pipeline.sources.base import SourceProblem
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdDatabase,
    FirebirdServer,
)
from konekto_pipeline.sources.firebird.tables import (
    FirebirdTables,
    as_int,
    database_charset,
    quote,
    suspicious_text,
    text,
    user_tables,
)
from konekto_pipeline.sources.sql.frames import UNREADABLE, StampedTable
from konekto_pipeline.sources.sql.tables import SchemaMismatch, TableSpec

Row = dict[str, Any]
_DRIVE = re.compile(r"^[A-Za-z]:")
# The on-disk structure of Firebird 3.0, the first with the RDB$RECORD_VERSION pseudo-column.
_RECORD_VERSION_ODS = 12.0


@dataclass(frozen=True)
class Window:
    """The months a read asks for (None: every month)."""

    months: frozenset[str] | None

    @classmethod
    def of(cls, periods: Collection[str] | None) -> "Window":
        if periods is None:
            return cls(None)
        for month in periods:
            parse_period(month)
        return cls(frozenset(periods))

    def wants(self, month: str) -> bool:
        return self.months is None or month in self.months

    def bounds(self) -> tuple[int, int] | None:
        """YYYYMM of the first month's quarter start and of the last month, for SQL filters.

        The quarter start lets a quarterly item stored under any month of its quarter in."""
        if not self.months:
            return None
        first_year, first_month = parse_period(min(self.months))
        last_year, last_month = parse_period(max(self.months))
        quarter_start = first_month - (first_month - 1) % 3
        return first_year * 100 + quarter_start, last_year * 100 + last_month


_MONTHS: dict[tuple[object, object], str] = {}


def month_of(year: object, month: object) -> str:
    """The "YYYY-MM" period of a year and a month column (ValueError for an impossible one).

    Dialect 1 may hand the numbers as floats. Remembered per pair: reads ask for the same few
    months tens of thousands of times."""
    found = _MONTHS.get((year, month))
    if found is None:
        found = period(as_int(year, "year"), as_int(month, "month"))
        if len(_MONTHS) < 100_000:
            _MONTHS[(year, month)] = found
    return found


def whole_zloty(grosze: int) -> int:
    """A tax amount rounded half-up to whole złoty, in grosze (`round_tax_grosze`, with an
    integer fast path for the non-negative amounts read by thousands)."""
    if grosze >= 0:
        return (grosze + 50) // 100 * 100
    return round_tax_grosze(grosze)


@lru_cache(maxsize=4096)
def deadline(
    obligation: str, month: str, legal_form: str | None = None, quarterly: bool = False
) -> pd.Timestamp:
    """`due_dates.due_date` as a Timestamp, computed once per obligation, month and form."""
    return pd.Timestamp(due_date(obligation, month, legal_form=legal_form, quarterly=quarterly))


@lru_cache(maxsize=65536)
def tax_account(nip: str) -> str | None:
    """The tax micro-account of a valid NIP; None for an invalid one (validation reports it)."""
    return micro_account(nip) if is_valid_nip(nip) else None


def first_day(yyyymm: int) -> date:
    return date(yyyymm // 100, yyyymm % 100, 1)


def last_day(yyyymm: int) -> date:
    year, month = divmod(yyyymm, 100)
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def join_path(folder: str, name: str) -> str:
    """`folder` + `name` with the server's separator (a Windows path keeps backslashes)."""
    windows = "\\" in folder or bool(_DRIVE.match(folder))
    separator = "\\" if windows else "/"
    return folder.rstrip("\\/") + separator + name


def is_absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name))


def open_first(server: FirebirdServer, stack: ExitStack, paths: list[str]) -> FirebirdDatabase:
    """The first of `paths` that opens; a missing file moves on to the next name.

    Any other failure is raised at once; when no name exists, the first path's error is raised,
    naming the other names tried.
    """
    missing: list[FirebirdConnectionError] = []
    for path in paths:
        try:
            return stack.enter_context(server.connect(path))
        except FirebirdConnectionError as error:
            if error.kind != "path":
                raise
            missing.append(error)
    first = missing[0]
    tried = f" (also tried {', '.join(paths[1:])})" if len(paths) > 1 else ""
    raise FirebirdConnectionError(first.reason + tried, first.program, first.where, first.kind)


def regon_or_none(value: object) -> str | None:
    """A REGON of 9 or 14 digits, or None (the companies schema refuses anything else)."""
    regon = normalize_regon(text(value) or "")
    return regon if regon.isascii() and regon.isdigit() and len(regon) in (9, 14) else None


def frame(kind: str, rows: list[Row]) -> pd.DataFrame:
    """Rows in the column order and dtypes of `schemas` (an empty frame when there are none)."""
    template = empty_frame(kind)
    if not rows:
        return template
    built = pd.DataFrame.from_records(rows, columns=list(template.columns))
    return built.astype(template.dtypes.to_dict())


def detail(error: SchemaMismatch) -> str:
    """The mismatch without the program prefix: "table R3_FIRMS: required column ..."."""
    return str(error).removeprefix(f"{error.program}: ")


def counts(values: Iterable[object]) -> dict[str, int]:
    """How often each value occurs, NULL counted as "NULL", sorted by value."""
    found: dict[str, int] = {}
    for value in values:
        key = "NULL" if value is None else str(value)
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


def map_listing(tables: FirebirdTables, specs: Iterable[TableSpec]) -> dict[str, object]:
    """Per mapped table: absent; or present lacking required columns (with all it has); or
    present with the optional columns it lacks."""
    listing: dict[str, object] = {}
    for spec in specs:
        if not tables.has_table(spec):
            listing[spec.name] = {"present": False}
            continue
        try:
            missing = tables.missing_optional(spec)
        except SchemaMismatch as error:
            listing[spec.name] = {
                "present": True,
                "error": detail(error),
                "columns": tables.all_columns(spec),
            }
            continue
        listing[spec.name] = {"present": True, "missing_optional_columns": missing}
    return listing


def about(database: FirebirdDatabase) -> str:
    """ "Firebird 3.0, ODS 12.0, dialect 3": what a check says about the server and database."""
    return f"Firebird {database.engine_version}, ODS {database.ods}, dialect {database.dialect}"


def problem(
    program: str, where: str, table: str | None, message: str, nip: str | None = None
) -> SourceProblem:
    """A problem of `program` at `where` (and `table` there, when named)."""
    place = f"{where} table {table}" if table else where
    return SourceProblem(program=program, where=place, message=message, nip=nip)


def text_problems(
    program: str, firms: Iterable[Any], encoding: str, where: str, table: str
) -> list[SourceProblem]:
    """A problem per company whose name looks decoded with the wrong charset."""
    problems = []
    for firm in firms:
        why = suspicious_text(firm.name, encoding)
        if why:
            message = f"the company name {firm.name!r} {why}: check programs.{program}.charset"
            problems.append(problem(program, where, table, message, firm.nip))
    return problems


def refuse_wrong_text(
    program: str, names: Iterable[tuple[object, str]], encoding: str, charset: str
) -> None:
    """Raise a charset FirebirdConnectionError for the first (company, name) that looks decoded
    with the wrong charset."""
    for company, name in names:
        why = suspicious_text(name, encoding)
        if why:
            raise FirebirdConnectionError(
                f"company {company} name {name!r} {why}: the connection charset "
                f"{charset} does not fit this database (a database created with charset NONE "
                "needs charset NONE with text_encoding cp1250)",
                program,
                kind="charset",
            )


def require(
    program: str, tables: FirebirdTables, spec: TableSpec, database: FirebirdDatabase, what: str
) -> None:
    """Raise SchemaMismatch when `spec`'s table or a required column is missing."""
    if not tables.has_table(spec):
        raise SchemaMismatch(
            program, spec.name, f"table is missing in {database.path}: is this {what}?"
        )
    tables.present(spec)


def period_where(
    tables: FirebirdTables, spec: TableSpec, year: str, month: str, window: Window
) -> tuple[str, list[int]]:
    """The SQL filter (and its parameters) of the window's months on year and month columns."""
    bounds = window.bounds()
    if bounds is None:
        return "", []
    year_column = tables.column(spec, year)
    month_column = tables.column(spec, month)
    return f"{year_column} * 100 + {month_column} BETWEEN ? AND ?", list(bounds)


def code(row: Row, column: str, codes: Mapping[str, str]) -> str | None:
    """The mapped value of a text code column (None when absent or unknown)."""
    return codes.get((text(row.get(column)) or "").upper())


def flag(row: Row, column: str) -> bool:
    """A SMALLINT flag column: true when absent or not 0."""
    value = row.get(column)
    return value is None or as_int(value, column) != 0


def company_row(origin: Row, firm: Any, tax_form: str | None) -> Row:
    """The companies row of a firm with name, REGON, contacts, legal form and VAT period."""
    return {
        **origin,
        "name": firm.name,
        "regon": firm.regon,
        "email": firm.email,
        "phone": firm.phone,
        "legal_form": firm.legal_form,
        "tax_form": tax_form,
        "vat_period": firm.vat_period,
    }


def database_listing(
    database: FirebirdDatabase, tables: FirebirdTables, specs: Iterable[TableSpec]
) -> dict[str, object]:
    """What a probe says of a database: version, ODS, dialect, charset, tables and the map."""
    return {
        "server_version": database.server_version,
        "ods": database.ods,
        "dialect": database.dialect,
        "charset": database_charset(database),
        "tables": user_tables(database),
        "map": map_listing(tables, specs),
    }


def probe_step(step: Callable[[], object]) -> object:
    """What `step` returns, or the mismatch that stopped it."""
    try:
        return step()
    except SchemaMismatch as error:
        return {"error": detail(error)}


def span(
    rows: Iterable[Row], year: str, month: str, labels: tuple[str, str] | None = None
) -> list[str]:
    """The first and last "YYYY-MM" of the rows (empty without rows)."""
    year_label, month_label = labels or (year, month)
    found = sorted(
        f"{as_int(row[year], year_label):04d}-{as_int(row[month], month_label):02d}" for row in rows
    )
    return [found[0], found[-1]] if found else []


def firm_counts(firms: list[Any], key: Callable[[Any], str]) -> dict[str, object]:
    """A probe's company listing: active, inactive keys, VAT periods and legal forms."""
    return {
        "active": len([firm for firm in firms if firm.active]),
        "inactive": [key(firm) for firm in firms if not firm.active],
        "vat_periods": counts(firm.vat_period for firm in firms),
        "legal_forms": counts(firm.legal_form for firm in firms),
    }


# --- change stamps ------------------------------------------------------------------------------


def table_stamps(database: FirebirdDatabase, tables: Iterable[StampedTable]) -> list[str]:
    """Per table "<table> <rows> <newest record version>": one aggregate each, no data row read.

    Firebird 3 and later keep in every record the number of the transaction that wrote its
    current version (RDB$RECORD_VERSION). Its maximum moves on every insert and update and the
    count on every delete, so an amount corrected in place is seen too; a backup restored
    renumbers them, which is seen once. Firebird 2.5 has no such column: the highest key (where
    the map names one) stands in, and updates are not seen there.

    A table that cannot be read is "<table> unreadable"; a server that goes away raises
    FirebirdConnectionError.
    """
    newest = "RDB$RECORD_VERSION" if database.ods >= _RECORD_VERSION_ODS else None
    parts = []
    for spec, key in tables:
        column = newest or (quote(key) if key else None)
        aggregates = f"COUNT(*), MAX({column})" if column else "COUNT(*)"
        try:
            values = database.query(f"SELECT {aggregates} FROM {quote(spec.name)}")[0]
        except FirebirdConnectionError as error:
            if error.affects_server:
                raise
            parts.append(f"{spec.name} {UNREADABLE}")
            continue
        parts.append(" ".join([spec.name, *(str(value) for value in values)]))
    return parts
