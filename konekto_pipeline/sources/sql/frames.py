"""What the readers of the SQL Server programs share: rows in the frames' shape and from them the
frames, amounts as they are paid, problems worded alike, reading or probing one database
after another so that one that fails spares the others, and the change stamps that tell the
change sensor whether a database changed.

Values here are plain Python (rows are `sa.Row`s or dicts); what a program calls its tables and
columns, and what its codes mean, stays in that program's reader and table map.
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from functools import cache
from typing import Any, Protocol, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import (
    is_valid_nip,
    is_valid_regon,
    normalize_nip,
    normalize_regon,
)
from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.domain.periods import parse_period, period
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer
from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)

_T = TypeVar("_T")

# --- frames ---------------------------------------------------------------------------------


class CompanyRows(Protocol):
    """One company's rows for the companies, taxes and summaries frames."""

    row: dict[str, Any]
    taxes: list[dict[str, Any]]
    summaries: list[dict[str, Any]]


def company_frames(companies: Sequence[CompanyRows], problems: list[SourceProblem]) -> SourceData:
    """The companies, taxes and summaries frames of the companies read, with the problems met."""
    return SourceData(
        companies=schema_frame("companies", [company.row for company in companies]),
        taxes=schema_frame("taxes", [row for company in companies for row in company.taxes]),
        summaries=schema_frame("summaries", [row for c in companies for row in c.summaries]),
        problems=problems,
    )


def origin(source: str, company_id: str, nip: str) -> dict[str, str]:
    """The columns that open every frame's row: which program, which company in it, its NIP."""
    return {"source": source, "source_company_id": company_id, "nip": nip}


def nip_and_name(row: Any, nip_column: str, name_columns: str) -> tuple[str, str]:
    """A company row's NIP (normalised) and name (`full_name`, else `short_name`); ValueError
    naming the columns to fill when either is missing."""
    nip = normalize_nip(str(row.nip or ""))
    if not nip:
        raise ValueError(f"the company has no NIP ({nip_column})")
    name = clean_text(row.full_name) or clean_text(row.short_name)
    if name is None:
        raise ValueError(f"the company {nip} has no name ({name_columns})")
    return nip, name


def valid_regon(value: object) -> str | None:
    """The REGON normalised, or None when it is missing or not a valid REGON."""
    regon = clean_text(value)
    return normalize_regon(regon) if is_valid_regon(regon) else None


def tax_row(
    company: Mapping[str, str],
    item_period: str,
    tax: str,
    kind: str,
    amount: int,
    *,
    refund: int | None = None,
    carried_forward: int | None = None,
    quarterly: bool = False,
) -> dict[str, Any]:
    """A taxes row after `company`'s `origin`: due date of the tax and period, tax account."""
    return {
        **company,
        "period": item_period,
        "tax": tax,
        "kind": kind,
        "amount": amount,
        "refund": refund,
        "carried_forward": carried_forward,
        "due_date": _due_date(tax, item_period, quarterly),
        "account": _tax_account(company["nip"]),
    }


@cache
def _due_date(tax: str, item_period: str, quarterly: bool) -> pd.Timestamp:
    return pd.Timestamp(due_date(tax, item_period, quarterly=quarterly))


@cache
def _tax_account(nip: str) -> str | None:
    """The tax micro-account of a valid NIP; None for an invalid one (validation reports it)."""
    return micro_account(nip) if is_valid_nip(nip) else None


# --- values ---------------------------------------------------------------------------------


def whole_zloty(value: object, where: str) -> int:
    """A money value as a tax is paid: rounded half-up to whole złoty, in grosze."""
    return round_tax_grosze(grosze_from_db(value, where))


def optional_zloty(value: object, where: str) -> int | None:
    return None if value is None else whole_zloty(value, where)


def optional_grosze(value: object, where: str) -> int | None:
    return None if value is None else grosze_from_db(value, where)


def amount_to_pay(value: object, where: str, column: str | None = None) -> int:
    """A declaration's amount to pay in whole złoty (grosze); ValueError when it is negative.

    `where` names the row; `column`, when given, follows it where the value is no amount.
    """
    amount = whole_zloty(value, f"{where} {column}" if column else where)
    if amount < 0:
        raise ValueError(f"{where}: the amount to pay is negative")
    return amount


def row_period(row: Any, fix: str, where: str | None = None) -> str:
    """The YYYY-MM of a row's `year` and `month`, or ValueError saying what to `fix`."""
    try:
        return period(int(row.year), int(row.month))
    except (TypeError, ValueError):
        prefix = f"{where}: " if where else ""
        message = f"{prefix}{row.year!r}-{row.month!r} is not a month; {fix}"
        raise ValueError(message) from None


def checked_period(value: str) -> str:
    """`value`, once it is known to be a YYYY-MM period (else parse_period's ValueError)."""
    parse_period(value)
    return value


def int_code(value: object) -> int | None:
    """A code column's value as a number (padded text too); None when NULL or not a number."""
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def clean_text(value: object) -> str | None:
    """Stripped text (SQL Server pads CHAR columns), None when NULL or blank."""
    if value is None:
        return None
    return str(value).strip() or None


# --- errors and problems --------------------------------------------------------------------


def bind_table(tables: TableReader, spec: TableSpec, database: str) -> sa.Table:
    """The table, or SchemaMismatch naming the database as well as the table and column."""
    try:
        return tables.table(spec)
    except SchemaMismatch as error:
        detail = f"{mismatch_detail(error)} (database {database})"
        raise SchemaMismatch(error.program, error.table, detail) from None


def mismatch_detail(error: SchemaMismatch) -> str:
    """The mismatch without program and table: "required column X is missing"."""
    return str(error).removeprefix(f"{error.program}: table {error.table}: ")


def reason(error: BaseException) -> str:
    """What went wrong, for a problem's message: without the program's name, a failed query
    by its first line."""
    if isinstance(error, SqlConnectionError):
        return error.reason
    if isinstance(error, SchemaMismatch):
        return str(error).removeprefix(f"{error.program}: ")
    if isinstance(error, sa.exc.SQLAlchemyError):
        original = getattr(error, "orig", None) or error
        lines = str(original).strip().splitlines()
        return f"a query failed ({lines[0] if lines else type(error).__name__})"
    return str(error)


def read_databases(
    program: str,
    databases: Sequence[str],
    read: Callable[[str], _T],
    problems: list[SourceProblem],
    *,
    consequence: str,
    errors: tuple[type[Exception], ...],
) -> list[_T]:
    """`read` of each database in turn; one that fails with `errors` is a problem (its message
    ends in `consequence`) and the others are read.

    When none of the databases could be opened, the first SqlConnectionError is raised.
    """
    results: list[_T] = []
    unreachable: list[SqlConnectionError] = []
    for database in databases:
        try:
            results.append(read(database))
        except SqlConnectionError as error:
            unreachable.append(error)
            problems.append(SourceProblem(program, database, error.reason))
        except errors as error:
            message = f"{reason(error)}; {consequence}"
            problems.append(SourceProblem(program, database, message, getattr(error, "nip", None)))
    if databases and len(unreachable) == len(databases):
        raise unreachable[0]
    return results


# --- probe ----------------------------------------------------------------------------------


def probe_database(
    server: SqlServer, database: str, probe: Callable[[Connection], dict[str, object]]
) -> dict[str, object]:
    """`probe` of the open database, or the database with why it could not be probed."""
    try:
        with server.connect(database) as connection:
            return probe(connection)
    except (SqlConnectionError, sa.exc.SQLAlchemyError) as error:
        return {"database": database, "error": reason(error)}


def row_count(connection: Connection, name: str, schema: str | None) -> int:
    table = sa.table(name, schema=schema)
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def missing_columns(spec: TableSpec, columns: Iterable[str]) -> dict[str, list[str]]:
    """The spec's required and optional columns not among `columns` (case-insensitive)."""
    present = {name.casefold() for name in columns}
    return {
        "missing_required": [c for c in spec.required if c.casefold() not in present],
        "missing_optional": [c for c in spec.optional if c.casefold() not in present],
    }


def code_counts(
    connection: Connection,
    spec: TableSpec,
    column: str,
    mapped_to: Callable[[int | None], object],
) -> dict[str, object]:
    """Each value of a code column with its row count and what the table map makes of it."""
    code = sa.column(column)
    statement = (
        sa.select(code, sa.func.count())
        .select_from(sa.table(spec.name, code, schema=spec.schema))
        .group_by(code)
        .order_by(code)
    )
    return {
        str(value): {"rows": int(count), "mapped_to": mapped_to(int_code(value))}
        for value, count in connection.execute(statement)
    }


# --- change stamps --------------------------------------------------------------------------

StampedTable = tuple[TableSpec, str | None]
"""A table a change stamp counts, with the key column whose highest value it takes (None: the
table map names no key for it, and its rows are only counted)."""

UNAVAILABLE = "unavailable"  # a database that cannot be opened while others can
UNREADABLE = "unreadable"  # a table that cannot be read in an open database


def stamp_statement(spec: TableSpec, key: str | None = None) -> sa.Select:
    """COUNT(*) and MAX(key) of one table, computed by the server: one row comes back.

    On SQL Server the table is read WITH (NOLOCK), so that a stamp never waits behind the
    program's own open transaction. It may then see a change before it is committed: a run
    may start once too often (a change rolled back), or read just before the commit, and the
    next change or the scheduled update brings what it missed.
    """
    table = sa.table(spec.name, *([sa.column(key)] if key else []), schema=spec.schema)
    aggregates = [sa.func.count(), *([sa.func.max(table.c[key])] if key else [])]
    return sa.select(*aggregates).select_from(table).with_hint(table, "WITH (NOLOCK)", "mssql")


def table_stamps(connection: Connection, tables: Iterable[StampedTable]) -> list[str]:
    """Per table "<table> <rows> <highest key>", one `stamp_statement` each.

    A table that cannot be read (missing in this version, no permission) is "<table>
    unreadable": the stamp changes when that changes, and the read reports why. A connection
    lost on the way raises SqlConnectionError.
    """
    parts = []
    for spec, key in tables:
        try:
            values = connection.execute(stamp_statement(spec, key)).one()
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated:
                raise SqlConnectionError(
                    f"the connection was lost ({_first_line(error)})"
                ) from None
            connection.rollback()  # PostgreSQL refuses further statements in a failed one
            parts.append(f"{spec.qualified} {UNREADABLE}")
            continue
        parts.append(" ".join([spec.qualified, *(str(value) for value in values)]))
    return parts


def databases_stamps(
    server: SqlServer, databases: Sequence[str], stamp: Callable[[Connection], list[str]]
) -> list[str]:
    """`stamp` of each open database in turn, each part prefixed with the database's name.

    A database that cannot be opened while others can is "<database>: unavailable" (its read
    makes it a problem of that company too). When none can be opened, or a connection is lost
    while stamping, the server is taken to be unreachable and SqlConnectionError is raised.
    """
    parts: list[str] = []
    unopened: list[SqlConnectionError] = []
    for database in databases:
        with ExitStack() as stack:
            try:
                connection = stack.enter_context(server.connect(database))
            except SqlConnectionError as error:
                unopened.append(error)
                parts.append(f"{database}: {UNAVAILABLE}")
                continue
            parts += [f"{database}: {part}" for part in stamp(connection)]
    if databases and len(unopened) == len(databases):
        raise unopened[0]
    return parts


def stamp_digest(parts: Iterable[str]) -> str:
    """The change stamp of a program: a short digest of its parts, in their order."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _first_line(error: sa.exc.DBAPIError) -> str:
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__
