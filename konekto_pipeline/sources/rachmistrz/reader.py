"""Reads InsERT GT Rachmistrz: one MS SQL database per company, its declarations and ledgers.

For each company database: the company (own address row, accounting type, newest VAT form),
the declarations' amounts to pay (VAT-7/7K, PIT-5/5L advances, PIT-28, PIT-4) and the monthly
KPiR or ryczałt totals. Names and codes come from `settings` (much of it guessed, see there).

Surprising parts:
- GT has no configuration database: on SQL Server the company databases are the ones with
  `dbo.pd__Podmiot` (one query on master); with `url` (SQLite files, PostgreSQL) they cannot
  be discovered and `databases` must list them.
- An office that gives only a host means the INSERTGT instance: `make_server` adds it.
- Statements per company database: 3 SELECTs (company with its newest VAT form as a subquery,
  declarations of the requested years, ledger totals by month) plus one column lookup per
  table used (4), whatever the number of rows; a change stamp sends 3 aggregates.
- Year-to-date ledger totals are summed from January, so the ledger and the declarations are
  read for the whole years of the requested periods and cut to the periods afterwards.
- In a partnership each partner pays his own PIT advance; GT keeps it per partner
  (pd_WspolnikPodatek, columns unknown) and this reader does not read it: only what
  dekl__Ewid holds for the company is loaded.
"""

import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.periods import parse_period, quarter_end
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.rachmistrz import settings
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer
from konekto_pipeline.sources.sql.frames import (
    StampedTable,
    amount_to_pay,
    bind_table,
    checked_period,
    clean_text,
    code_counts,
    company_frames,
    databases_stamps,
    int_code,
    missing_columns,
    nip_and_name,
    optional_zloty,
    origin,
    probe_database,
    read_databases,
    reason,
    row_count,
    row_period,
    stamp_digest,
    table_stamps,
    tax_row,
    valid_regon,
)
from konekto_pipeline.sources.sql.program_server import program_server
from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("taxes", "summaries")

_SYSTEM_DATABASE = "master"
_NAMES_SHOWN = 5
_MAPPED_TABLES = (
    settings.ADDRESSES.spec,
    settings.COMPANY.spec,
    settings.DECLARATIONS.spec,
    settings.KPIR_BOOK.spec,
    settings.RYCZALT_REGISTER.spec,
)
# What a change stamp counts: the declarations and both ledgers. The address register and the
# company row are left out: only the own company's row is read of them, and a change to it is
# an update, which counting cannot see (counting adr__Ewid would start a run for every new
# counterparty instead).
_STAMPED_TABLES: tuple[StampedTable, ...] = (
    (settings.DECLARATIONS.spec, settings.DECLARATIONS.id),
    (settings.KPIR_BOOK.spec, None),
    (settings.RYCZALT_REGISTER.spec, None),
)


class _BadCompany(Exception):
    """A company database whose data cannot be loaded; the message says what to fix."""

    def __init__(self, message: str, nip: str | None = None) -> None:
        super().__init__(message)
        self.nip = nip


def with_default_instance(server: str) -> str:
    """`server` with InsERT's instance added when only a host is given ("BIURO" -> BIURO\\INSERTGT).

    A named instance or an explicit port is kept as given.
    """
    text = server.strip()
    if not text or "\\" in text or "," in text:
        return text
    return f"{text}\\{settings.DEFAULT_INSTANCE}"


def make_server(
    program: SqlProgram,
    environ: Mapping[str, str] = os.environ,
    settings_dir: Path | None = None,
) -> SqlServer:
    """The `SqlServer` for the office's Rachmistrz settings, InsERT's instance added."""
    return program_server(
        settings.SOURCE,
        program,
        sqlite_schemas=settings.SQLITE_SCHEMAS,
        server_name=with_default_instance(program.server),
        settings_dir=settings_dir,
        environ=environ,
    )


def discovery_statement() -> sa.TextClause:
    """On master: every user database, and whether it has GT's marker table (`:marker`)."""
    return sa.text(
        "SELECT name, CASE WHEN OBJECT_ID(QUOTENAME(name) + :marker, 'U') IS NULL "
        "THEN 0 ELSE 1 END AS is_company "
        "FROM sys.databases "
        "WHERE database_id > 4 AND state = 0 AND HAS_DBACCESS(name) = 1 "
        "ORDER BY name"
    )


@dataclass
class _Company:
    """One company database's rows for the four frames."""

    database: str
    row: dict[str, Any]
    taxes: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nip(self) -> str:
        return self.row["nip"]


class RachmistrzReader:
    """Reads every InsERT GT company database on one server, one after another."""

    def __init__(self, server: SqlServer, settings: SqlProgram) -> None:
        self.server = server
        self.settings = settings

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies of every database; taxes and summaries of `periods` (all when None).

        A database that cannot be used is a problem and the others load; when no company
        database could be opened at all, SqlConnectionError is raised.
        """
        wanted = None if periods is None else {checked_period(value) for value in periods}
        databases = self.company_databases()
        problems: list[SourceProblem] = []
        companies = read_databases(
            settings.SOURCE,
            databases,
            lambda database: self._read_database(database, wanted),
            problems,
            consequence="the company is skipped",
            errors=(SchemaMismatch, _BadCompany, ValueError, sa.exc.SQLAlchemyError),
        )
        logger.info(
            "rachmistrz: %d of %d company databases read, %d problems",
            len(companies),
            len(databases),
            len(problems),
        )
        return company_frames(companies, problems)

    def company_databases(self) -> list[str]:
        """The company databases: as listed in the settings, else discovered on SQL Server."""
        return self._databases()[0]

    def check(self) -> str:
        """Open every company database and bind the mapped tables.

        Returns "works: N company databases (...)"; raises SqlConnectionError or SchemaMismatch
        (naming the database, table and column) with what to fix.
        """
        databases, others = self._databases()
        if not databases:
            raise SchemaMismatch(
                settings.SOURCE,
                f"{settings.SCHEMA}.{settings.MARKER_TABLE}",
                "no database on this server has the table: is this the InsERT GT instance "
                f"(usually HOST\\{settings.DEFAULT_INSTANCE})?",
            )
        for database in databases:
            with self.server.connect(database) as connection:
                tables = TableReader(connection, settings.SOURCE)
                for spec in _MAPPED_TABLES:
                    bind_table(tables, spec, database)
        shown = ", ".join(databases[:_NAMES_SHOWN]) + (
            ", ..." if len(databases) > _NAMES_SHOWN else ""
        )
        skipped = f"; {len(others)} other databases on the server skipped" if others else ""
        return f"works: {len(databases)} company databases ({shown}){skipped}"

    def probe(self) -> dict[str, object]:
        """What each company database holds, read-only, to check the table map against it."""
        databases, others = self._databases()
        return {
            "program": settings.SOURCE,
            "company_databases": [self._probe_database(database) for database in databases],
            "other_databases": others,
        }

    def change_stamp(self) -> str:
        """A digest that changes when a company database, declaration or ledger entry is added
        or deleted.

        Made of the company databases (discovered on SQL Server: a new company is seen) and per
        database the row count and highest key of each table in `_STAMPED_TABLES`, one
        aggregate each, no data row read. An amount corrected in place is not seen; the
        scheduled update reads it. Raises SqlConnectionError when the server cannot be reached.
        """
        databases = self.company_databases()
        parts = [f"company databases: {', '.join(databases)}"]
        parts += databases_stamps(
            self.server, databases, lambda connection: table_stamps(connection, _STAMPED_TABLES)
        )
        return stamp_digest(parts)

    def _databases(self) -> tuple[list[str], list[str]]:
        """(company databases, other databases on the server), in name order when discovered."""
        listed = self.settings.databases or (
            [self.settings.database] if self.settings.database else []
        )
        if listed:
            return list(dict.fromkeys(listed)), []
        if self.server.target.url_template:
            raise SqlConnectionError(
                "company databases can only be discovered on SQL Server: with 'url', list "
                "them in programs.rachmistrz.databases",
                settings.SOURCE,
            )
        return self._discover()

    def _discover(self) -> tuple[list[str], list[str]]:
        marker = f".{settings.SCHEMA}.{settings.MARKER_TABLE}"
        with self.server.connect(_SYSTEM_DATABASE) as connection:
            rows = connection.execute(discovery_statement(), {"marker": marker}).all()
        companies = [str(row.name) for row in rows if row.is_company]
        others = [str(row.name) for row in rows if not row.is_company]
        return companies, others

    def _read_database(self, database: str, wanted: set[str] | None) -> _Company:
        years = None if wanted is None else sorted({parse_period(p)[0] for p in wanted})
        with self.server.connect(database) as connection:
            tables = TableReader(connection, settings.SOURCE)
            company = _read_company(tables, database)
            try:
                declarations = _read_declarations(tables, years)
                ledger = _read_ledger(tables, database, company.row["tax_form"], years)
                company.taxes = _tax_rows(company, declarations, wanted)
                company.summaries = _summary_rows(company, ledger, wanted)
            except (SchemaMismatch, _BadCompany, ValueError) as error:
                raise _BadCompany(reason(error), company.nip) from None
        return company

    def _probe_database(self, database: str) -> dict[str, object]:
        return probe_database(
            self.server, database, lambda connection: _probe_tables(connection, database)
        )


# --- reading --------------------------------------------------------------------------------


def _read_company(tables: TableReader, database: str) -> _Company:
    """The own company: its address row, its pd__Podmiot row, its newest VAT form's code."""
    adr, pd_ = settings.ADDRESSES, settings.COMPANY
    address = bind_table(tables, adr.spec, database)
    company = bind_table(tables, pd_.spec, database)
    statement = (
        sa.select(
            address.c[adr.nip].label("nip"),
            address.c[adr.full_name].label("full_name"),
            tables.column(adr.spec, adr.short_name).label("short_name"),
            tables.column(adr.spec, adr.email).label("email"),
            tables.column(pd_.spec, pd_.accounting).label("accounting"),
            tables.column(pd_.spec, pd_.regon).label("regon"),
            _newest_vat_type(tables, database).label("vat_type"),
        )
        .select_from(address.outerjoin(company, company.c[pd_.id] == pd_.own_id))
        .where(address.c[adr.id] == adr.own_id)
    )
    row = tables.connection.execute(statement).first()
    if row is None:
        raise _BadCompany(
            f"the company's own address ({adr.spec.qualified} {adr.id} = {adr.own_id}) is missing"
        )
    return _Company(database, _company_row(database, row))


def _newest_vat_type(tables: TableReader, database: str) -> sa.ScalarSelect:
    dekl = settings.DECLARATIONS
    table = bind_table(tables, dekl.spec, database)
    vat_codes = [
        code
        for code, kind in settings.DECLARATION_TYPES.items()
        if kind.tax in settings.VAT_PERIODS
    ]
    return (
        sa.select(table.c[dekl.type])
        .where(table.c[dekl.type].in_(vat_codes))
        .order_by(table.c[dekl.year].desc(), table.c[dekl.month].desc(), table.c[dekl.id].desc())
        .limit(1)
        .scalar_subquery()
    )


def _company_row(database: str, row: sa.Row) -> dict[str, Any]:
    adr = settings.ADDRESSES
    nip, name = nip_and_name(
        row,
        f"{adr.spec.qualified} {adr.nip} of {adr.id} = {adr.own_id}",
        f"{adr.full_name}, {adr.short_name}",
    )
    vat_type = settings.DECLARATION_TYPES.get(int_code(row.vat_type))
    return {
        **origin(settings.SOURCE, database, nip),
        "name": name,
        "regon": valid_regon(row.regon),
        "email": clean_text(row.email),
        "phone": None,
        "legal_form": None,
        "tax_form": settings.TAX_FORMS.get(int_code(row.accounting)),
        "vat_period": settings.VAT_PERIODS.get(vat_type.tax) if vat_type else None,
    }


def _read_declarations(tables: TableReader, years: list[int] | None) -> list[sa.Row]:
    dekl = settings.DECLARATIONS
    table = tables.table(dekl.spec)
    statement = sa.select(
        table.c[dekl.id].label("id"),
        table.c[dekl.type].label("code"),
        table.c[dekl.year].label("year"),
        table.c[dekl.month].label("month"),
        tables.column(dekl.spec, dekl.correction).label("correction"),
        table.c[dekl.to_pay].label("to_pay"),
        tables.column(dekl.spec, dekl.refund).label("refund"),
        tables.column(dekl.spec, dekl.carried_forward).label("carried_forward"),
    ).where(table.c[dekl.type].in_(list(settings.DECLARATION_TYPES)))
    if years is not None:
        statement = statement.where(table.c[dekl.year].in_(years))
    return list(tables.connection.execute(statement))


def _read_ledger(
    tables: TableReader, database: str, tax_form: str | None, years: list[int] | None
) -> list[tuple[settings.LedgerTable, sa.Row]]:
    """Monthly sums of the ledger the company keeps: KPiR (also when unknown) or ryczałt."""
    if tax_form == settings.FULL_BOOKS:
        return []
    ledger = settings.RYCZALT_REGISTER if tax_form == settings.RYCZALT else settings.KPIR_BOOK
    table = bind_table(tables, ledger.spec, database)
    when = table.c[ledger.date]
    year, month = sa.extract("year", when), sa.extract("month", when)
    sums = [_sum(table, name, f"revenue_{i}") for i, name in enumerate(ledger.revenue)]
    sums += [_sum(table, name, f"costs_{i}") for i, name in enumerate(ledger.costs)]
    statement = sa.select(year.label("year"), month.label("month"), *sums).group_by(year, month)
    if years is not None:
        statement = statement.where(
            when >= date(min(years), 1, 1), when < date(max(years) + 1, 1, 1)
        )
    return [(ledger, row) for row in tables.connection.execute(statement)]


def _sum(table: sa.Table, name: str, label: str) -> sa.ColumnElement:
    """SUM of a column; 0 for an optional column this database lacks."""
    if name in table.c:
        return sa.func.sum(table.c[name]).label(label)
    return sa.literal(0).label(label)


# --- building the frames' rows --------------------------------------------------------------


def _tax_rows(
    company: _Company, declarations: list[sa.Row], wanted: set[str] | None
) -> list[dict[str, Any]]:
    """One row per period and tax: the newest filing, a correction before a first filing."""
    latest: dict[tuple[str, str], sa.Row] = {}
    for row in declarations:
        kind = settings.DECLARATION_TYPES[int_code(row.code)]
        settled = _period(row, company.database)
        key = (quarter_end(settled) if kind.quarterly else settled, kind.tax)
        if key not in latest or _rank(row) > _rank(latest[key]):
            latest[key] = row
    return [
        _tax_row(company, item_period, latest[(item_period, tax)])
        for item_period, tax in sorted(latest)
        if wanted is None or item_period in wanted
    ]


def _rank(row: sa.Row) -> tuple[bool, int]:
    return (bool(row.correction), int(row.id))


def _tax_row(company: _Company, item_period: str, row: sa.Row) -> dict[str, Any]:
    kind = settings.DECLARATION_TYPES[int_code(row.code)]
    dekl = settings.DECLARATIONS
    where = f"{company.database} {dekl.spec.qualified} {dekl.id}={row.id}"
    amount = amount_to_pay(row.to_pay, where, dekl.to_pay)
    return tax_row(
        origin(settings.SOURCE, company.database, company.nip),
        item_period,
        kind.tax,
        "K" if row.correction else "D",
        amount,
        refund=optional_zloty(row.refund, f"{where} {dekl.refund}"),
        carried_forward=optional_zloty(row.carried_forward, f"{where} {dekl.carried_forward}"),
        quarterly=kind.quarterly,
    )


def _summary_rows(
    company: _Company, ledger: list[Any], wanted: set[str] | None
) -> list[dict[str, Any]]:
    """Monthly totals with the year's running totals, for the requested periods."""
    months = sorted(
        (_period(row, company.database), _ledger_amounts(company.database, table, row))
        for table, row in ledger
    )
    rows = []
    running: dict[int, tuple[int, int]] = {}
    for month, (revenue, costs) in months:
        year = parse_period(month)[0]
        revenue_ytd, costs_ytd = running.get(year, (0, 0))
        running[year] = (revenue_ytd + revenue, costs_ytd + costs)
        if wanted is None or month in wanted:
            rows.append(_summary_row(company, month, revenue, costs, running[year]))
    return rows


def _ledger_amounts(database: str, ledger: settings.LedgerTable, row: sa.Row) -> tuple[int, int]:
    where = f"{database} {ledger.spec.qualified} {row.year}-{row.month}"
    values = row._mapping
    revenue = sum(grosze_from_db(values[k], where) for k in values if k.startswith("revenue_"))
    costs = sum(grosze_from_db(values[k], where) for k in values if k.startswith("costs_"))
    return revenue, costs


def _summary_row(
    company: _Company, month: str, revenue: int, costs: int, ytd: tuple[int, int]
) -> dict[str, Any]:
    return {
        **origin(settings.SOURCE, company.database, company.nip),
        "period": month,
        "revenue": revenue,
        "costs": costs,
        "income": revenue - costs,
        "vat_output": None,
        "vat_input": None,
        "revenue_ytd": ytd[0],
        "costs_ytd": ytd[1],
    }


# --- probe ----------------------------------------------------------------------------------


def _probe_tables(connection: Connection, database: str) -> dict[str, object]:
    inspector = sa.inspect(connection)
    names = inspector.get_table_names(schema=settings.SCHEMA)
    related = sorted(n for n in names if n.lower().startswith(settings.PROBE_TABLE_PREFIXES))
    columns = inspector.get_multi_columns(schema=settings.SCHEMA, filter_names=related)
    present = {
        key[1].casefold(): [column["name"] for column in value] for key, value in columns.items()
    }
    return {
        "database": database,
        "tables": {
            spec.qualified: _probe_table(connection, spec, present) for spec in _MAPPED_TABLES
        },
        "related_tables": {name: present.get(name.casefold(), []) for name in related},
        "declaration_types": _code_counts(
            connection,
            settings.DECLARATIONS.spec,
            settings.DECLARATIONS.type,
            present,
            settings.DECLARATION_TYPES,
        ),
        "accounting_types": _code_counts(
            connection,
            settings.COMPANY.spec,
            settings.COMPANY.accounting,
            present,
            settings.TAX_FORMS,
        ),
    }


def _probe_table(
    connection: Connection, spec: TableSpec, present: dict[str, list[str]]
) -> dict[str, object]:
    if spec.name.casefold() not in present:
        return {"present": False}
    return {
        "present": True,
        "rows": row_count(connection, spec.name, spec.schema),
        **missing_columns(spec, present[spec.name.casefold()]),
    }


def _code_counts(
    connection: Connection,
    spec: TableSpec,
    column: str,
    present: dict[str, list[str]],
    meanings: Mapping[int, object],
) -> dict[str, object]:
    """Each value of a code column with its row count and what the map makes of it."""
    if column.casefold() not in {name.casefold() for name in present.get(spec.name.casefold(), [])}:
        return {}
    return code_counts(connection, spec, column, lambda code: _meaning(meanings.get(code)))


def _meaning(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, settings.DeclarationType):
        return f"{value.tax}{' quarterly' if value.quarterly else ''}"
    return str(value)


# --- small helpers --------------------------------------------------------------------------


def _period(row: Any, database: str) -> str:
    return row_period(row, "fix the entry in Rachmistrz", database)
