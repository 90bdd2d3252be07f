"""Reads RESET2's R2firma and R2księga: the office's companies, their taxes and book totals.

One reader for both editions; `edition` picks the edition's table map in `settings` (all of it
guessed: see there, and correct it with what `probe()` lists).

Surprising parts:
- VAT amounts depend on the company's declaration setting (VAT-7 or VAT-7K) and the months it
  applies to. For every synced month with VAT amounts, a company whose setting does not cover
  the month, or whose amounts were computed for the other declaration type, gets a problem
  for that month and no VAT item: loading them would show the client a wrong amount or date.
- A VAT-7K item carries the quarter's last month, so a month inside a quarter yields no VAT
  item and no problem.
- Archived companies (Aktywna = 0) are left out.
- Statements per database, whatever the number of companies: 5 SELECTs (companies, declaration
  settings, VAT, tax advances, book totals) plus one column lookup per table (5); a change
  stamp sends 5 aggregates.
"""

import logging
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import parse_period, period, quarter_end
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.reset2 import settings as table_maps
from konekto_pipeline.sources.reset2.settings import Reset2Map
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
    optional_grosze,
    optional_zloty,
    origin,
    probe_database,
    read_databases,
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


def make_server(
    program: SqlProgram,
    edition: Literal["firma", "ksiega"],
    environ: Mapping[str, str] = os.environ,
    settings_dir: Path | None = None,
) -> SqlServer:
    """The `SqlServer` for the office's Reset2 settings of one edition."""
    return program_server(
        table_maps.SOURCES[edition],
        program,
        sqlite_schemas=table_maps.SQLITE_SCHEMAS,
        settings_dir=settings_dir,
        environ=environ,
    )


@dataclass(frozen=True)
class _Setting:
    """A declaration setting: the VAT declaration filed from one month to another (or on)."""

    tax: str
    first: str
    last: str | None

    def covers(self, month: str) -> bool:
        return self.first <= month and (self.last is None or month <= self.last)

    def describe(self) -> str:
        until = f" to {self.last}" if self.last else ""
        return f"declaration type {self.tax} valid from {self.first}{until}"


@dataclass
class _Rows:
    """Every row of one database, by company key, as the five SELECTs returned them."""

    companies: list[sa.Row]
    settings: dict[str, list[sa.Row]]
    vat: dict[str, list[sa.Row]]
    taxes: dict[str, list[sa.Row]]
    ledger: dict[str, list[sa.Row]]


@dataclass
class _Company:
    """One company's rows for the four frames, and the problems that spared the rest."""

    source: str
    company_id: str
    where: str
    row: dict[str, Any]
    taxes: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)

    @property
    def nip(self) -> str:
        return self.row["nip"]

    def origin(self) -> dict[str, str]:
        return origin(self.source, self.company_id, self.nip)

    def problem(self, message: str) -> None:
        self.problems.append(SourceProblem(self.source, self.where, message, self.nip))


class Reset2Reader:
    """Reads the companies of an R2firma or R2księga database (or several databases)."""

    def __init__(
        self, server: SqlServer, settings: SqlProgram, edition: Literal["firma", "ksiega"]
    ) -> None:
        if edition not in table_maps.TABLE_MAPS:
            raise ValueError(f"edition must be one of {table_maps.EDITIONS}, not {edition!r}")
        self.server = server
        self.settings = settings
        self.edition = edition
        self.map: Reset2Map = table_maps.TABLE_MAPS[edition]
        self.program = self.map.program

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Active companies; their taxes and summaries of `periods` (all when None).

        A database that cannot be used is a problem and the others load; when none could be
        opened at all, SqlConnectionError is raised.
        """
        wanted = None if periods is None else sorted({checked_period(value) for value in periods})
        databases = self.databases()
        problems: list[SourceProblem] = []
        several = len(databases) > 1

        def read_database(database: str) -> list[_Company]:
            rows = self._select(database, wanted)
            return self._companies(database, rows, wanted, problems, several)

        per_database = read_databases(
            self.program,
            databases,
            read_database,
            problems,
            consequence="no company of it is read",
            errors=(SchemaMismatch, sa.exc.SQLAlchemyError),
        )
        companies = [company for found in per_database for company in found]
        problems += [problem for company in companies for problem in company.problems]
        logger.info(
            "%s: %d companies read from %d databases, %d problems",
            self.program,
            len(companies),
            len(databases),
            len(problems),
        )
        return company_frames(companies, problems)

    def databases(self) -> list[str]:
        """The databases to read: `database`, then any listed in `databases`."""
        names = [self.settings.database] if self.settings.database else []
        names += self.settings.databases or []
        if not names:
            raise SqlConnectionError(
                f"no database given: set programs.{self.program}.database", self.program
            )
        return list(dict.fromkeys(names))

    def check(self) -> str:
        """Open each database, bind the mapped tables and count the companies.

        Returns "works: ..." or raises SqlConnectionError / SchemaMismatch (naming the
        database, table and column) with what to fix.
        """
        found = []
        for database in self.databases():
            with self.server.connect(database) as connection:
                tables = TableReader(connection, self.program)
                for spec in self.map.specs:
                    bind_table(tables, spec, database)
                active, archived = _count_companies(tables, self.map)
            found.append(f"{active} companies ({archived} archived) in database {database}")
        return "works: " + "; ".join(found)

    def probe(self) -> dict[str, object]:
        """Every table and column of each database, and how the table map fits them."""
        return {
            "program": self.program,
            "databases": [self._probe_database(database) for database in self.databases()],
        }

    def change_stamp(self) -> str:
        """A digest that changes when companies, declaration settings, computed taxes or book
        totals are added or deleted.

        Per database, the row count of each mapped table and the highest company id: one
        aggregate per table, no data row read. The map names no other key, so figures
        recomputed in place (a month's VAT or book totals) are not seen; the scheduled update
        reads them. Raises SqlConnectionError when no database can be reached.
        """
        stamped = _stamped_tables(self.map)
        return stamp_digest(
            databases_stamps(
                self.server, self.databases(), lambda connection: table_stamps(connection, stamped)
            )
        )

    def _select(self, database: str, wanted: list[str] | None) -> _Rows:
        years = None if wanted is None else sorted({parse_period(p)[0] for p in wanted})
        with self.server.connect(database) as connection:
            tables = TableReader(connection, self.program)
            for spec in self.map.specs:
                bind_table(tables, spec, database)
            return _Rows(
                companies=list(connection.execute(_companies_statement(tables, self.map))),
                settings=_by_company(connection, _settings_statement(tables, self.map)),
                vat=_by_company(connection, _vat_statement(tables, self.map, years)),
                taxes=_by_company(connection, _taxes_statement(tables, self.map, years)),
                ledger=_by_company(connection, _ledger_statement(tables, self.map, years)),
            )

    def _companies(
        self,
        database: str,
        rows: _Rows,
        wanted: list[str] | None,
        problems: list[SourceProblem],
        several: bool,
    ) -> list[_Company]:
        companies = []
        for row in rows.companies:
            if row.active is not None and not _flag(row.active):
                continue
            key = _key(row.id)
            where = f"{database}, company {key}"
            try:
                company = _Company(
                    source=self.program,
                    company_id=f"{database}/{key}" if several else key,
                    where=where,
                    row={},
                )
                company.row = _company_row(company, row, self.map)
                self._fill(company, rows, key, wanted)
            except ValueError as error:
                nip = normalize_nip(str(row.nip or "")) or None
                message = f"{error}; the company is skipped"
                problems.append(SourceProblem(self.program, where, message, nip))
                continue
            companies.append(company)
        return companies

    def _fill(self, company: _Company, rows: _Rows, key: str, wanted: list[str] | None) -> None:
        settings = _settings(rows.settings.get(key, []), self.map)
        figures = _latest(rows.vat.get(key, []), self.map.vat_types, _is_quarterly_vat)
        vat = _vat_items(company, settings, figures, wanted, self.map)
        company.taxes = vat + _tax_items(company, rows.taxes.get(key, []), wanted, self.map)
        loaded = [item["period"] for item in vat if item["tax"] == "VAT-7"]
        vat_amounts = _monthly_vat_amounts(company, figures, loaded, self.map)
        company.summaries = _summary_rows(company, rows.ledger.get(key, []), wanted, vat_amounts)
        if settings:
            current = max(settings, key=lambda setting: setting.first)
            company.row["vat_period"] = table_maps.VAT_PERIODS.get(current.tax)

    def _probe_database(self, database: str) -> dict[str, object]:
        return probe_database(
            self.server, database, lambda connection: _probe(connection, database, self.map)
        )


# --- statements -----------------------------------------------------------------------------


def _companies_statement(tables: TableReader, m: Reset2Map) -> sa.Select:
    c = m.companies
    table = tables.table(c.spec)
    return sa.select(
        table.c[c.id].label("id"),
        table.c[c.nip].label("nip"),
        table.c[c.full_name].label("full_name"),
        tables.column(c.spec, c.short_name).label("short_name"),
        tables.column(c.spec, c.regon).label("regon"),
        tables.column(c.spec, c.email).label("email"),
        tables.column(c.spec, c.phone).label("phone"),
        tables.column(c.spec, c.tax_form).label("tax_form"),
        tables.column(c.spec, c.active).label("active"),
    ).order_by(table.c[c.id])


def _settings_statement(tables: TableReader, m: Reset2Map) -> sa.Select:
    s = m.declaration_settings
    table = tables.table(s.spec)
    return sa.select(
        table.c[s.company].label("company"),
        table.c[s.type].label("type"),
        table.c[s.valid_from].label("valid_from"),
        tables.column(s.spec, s.valid_to).label("valid_to"),
    )


def _vat_statement(tables: TableReader, m: Reset2Map, years: list[int] | None) -> sa.Select:
    v = m.vat
    table = tables.table(v.spec)
    statement = sa.select(
        table.c[v.company].label("company"),
        table.c[v.year].label("year"),
        table.c[v.month].label("month"),
        table.c[v.type].label("code"),
        table.c[v.to_pay].label("to_pay"),
        tables.column(v.spec, v.correction_no).label("correction_no"),
        tables.column(v.spec, v.refund).label("refund"),
        tables.column(v.spec, v.carried_forward).label("carried_forward"),
        tables.column(v.spec, v.output_vat).label("output_vat"),
        tables.column(v.spec, v.input_vat).label("input_vat"),
    )
    return statement if years is None else statement.where(table.c[v.year].in_(years))


def _taxes_statement(tables: TableReader, m: Reset2Map, years: list[int] | None) -> sa.Select:
    t = m.taxes
    table = tables.table(t.spec)
    statement = sa.select(
        table.c[t.company].label("company"),
        table.c[t.year].label("year"),
        table.c[t.month].label("month"),
        table.c[t.tax].label("code"),
        table.c[t.to_pay].label("to_pay"),
        tables.column(t.spec, t.correction_no).label("correction_no"),
        tables.column(t.spec, t.quarterly).label("quarterly"),
    ).where(table.c[t.tax].in_(list(m.tax_codes)))
    return statement if years is None else statement.where(table.c[t.year].in_(years))


def _ledger_statement(tables: TableReader, m: Reset2Map, years: list[int] | None) -> sa.Select:
    g = m.ledger
    table = tables.table(g.spec)
    statement = sa.select(
        table.c[g.company].label("company"),
        table.c[g.year].label("year"),
        table.c[g.month].label("month"),
        table.c[g.revenue].label("revenue"),
        table.c[g.costs].label("costs"),
        tables.column(g.spec, g.revenue_ytd).label("revenue_ytd"),
        tables.column(g.spec, g.costs_ytd).label("costs_ytd"),
    )
    return statement if years is None else statement.where(table.c[g.year].in_(years))


def _stamped_tables(m: Reset2Map) -> list[StampedTable]:
    """The tables a change stamp counts; only the companies' id is known to be a key."""
    return [
        (m.companies.spec, m.companies.id),
        (m.declaration_settings.spec, None),
        (m.vat.spec, None),
        (m.taxes.spec, None),
        (m.ledger.spec, None),
    ]


def _by_company(connection: Connection, statement: sa.Select) -> dict[str, list[sa.Row]]:
    grouped: dict[str, list[sa.Row]] = defaultdict(list)
    for row in connection.execute(statement):
        grouped[_key(row.company)].append(row)
    return grouped


def _count_companies(tables: TableReader, m: Reset2Map) -> tuple[int, int]:
    c = m.companies
    active = tables.column(c.spec, c.active).label("active")
    rows = tables.connection.execute(sa.select(active).select_from(tables.table(c.spec))).all()
    archived = sum(1 for row in rows if row.active is not None and not _flag(row.active))
    return len(rows) - archived, archived


# --- one company ----------------------------------------------------------------------------


def _company_row(company: _Company, row: sa.Row, m: Reset2Map) -> dict[str, Any]:
    c = m.companies
    nip, name = nip_and_name(row, f"{c.spec.qualified} {c.nip}", c.full_name)
    return {
        **origin(company.source, company.company_id, nip),
        "name": name,
        "regon": valid_regon(row.regon),
        "email": clean_text(row.email),
        "phone": clean_text(row.phone),
        "legal_form": None,
        "tax_form": m.tax_forms.get(int_code(row.tax_form)),
        "vat_period": None,
    }


def _settings(rows: list[sa.Row], m: Reset2Map) -> list[_Setting]:
    """The company's declaration settings with a known type (others are left to probe())."""
    settings = []
    for row in rows:
        tax = m.vat_types.get(int_code(row.type))
        if tax is None or row.valid_from is None:
            continue
        last = _month_of(row.valid_to) if row.valid_to is not None else None
        settings.append(_Setting(tax, _month_of(row.valid_from), last))
    return settings


def _vat_items(
    company: _Company,
    settings: list[_Setting],
    figures: dict[tuple[str, str], sa.Row],
    wanted: list[str] | None,
    m: Reset2Map,
) -> list[dict[str, Any]]:
    """VAT items for the synced months whose amounts match the declaration setting."""
    synced = wanted if wanted is not None else sorted({month for month, _ in figures})
    items = []
    for month in synced:
        monthly = figures.get((month, "VAT-7"))
        quarterly = figures.get((quarter_end(month), table_maps.VAT_QUARTERLY))
        if monthly is None and quarterly is None:
            continue
        newest_first = sorted(settings, key=lambda s: s.first, reverse=True)
        setting = next((s for s in newest_first if s.covers(month)), None)
        if setting is None:
            company.problem(f"{_not_covered(settings, month)} (no VAT item for {month})")
        elif setting.tax == "VAT-7" and monthly is not None:
            items.append(_tax_item(company, month, "VAT-7", monthly, m.vat.spec))
        elif setting.tax == table_maps.VAT_QUARTERLY and quarterly is not None:
            if month == quarter_end(month):
                items.append(_tax_item(company, month, "VAT-7K", quarterly, m.vat.spec))
        else:
            company.problem(_type_mismatch(setting, month))
    return items


def _not_covered(settings: list[_Setting], month: str) -> str:
    if not settings:
        return f"no VAT declaration type (VAT-7 or VAT-7K) is set for {month}; set it in Reset2"
    later = [s for s in settings if s.first > month]
    nearest = min(later, key=lambda s: s.first) if later else max(settings, key=lambda s: s.first)
    return f"{nearest.describe()} does not cover {month}; set it in Reset2"


def _type_mismatch(setting: _Setting, month: str) -> str:
    other = "VAT-7" if setting.tax == table_maps.VAT_QUARTERLY else table_maps.VAT_QUARTERLY
    return (
        f"{setting.describe()} covers {month}, but the VAT amounts "
        f"stored for it were computed for {other}; recompute the declaration or correct the "
        f"setting in Reset2 (no VAT item for {month})"
    )


def _tax_items(
    company: _Company, rows: list[sa.Row], wanted: list[str] | None, m: Reset2Map
) -> list[dict[str, Any]]:
    """Income-tax advances and payer taxes: the newest filing per month (or quarter) and tax."""
    figures = _latest(rows, m.tax_codes, lambda _tax, row: _flag(row.quarterly))
    return [
        _tax_item(company, month, tax, row, m.taxes.spec, quarterly=_flag(row.quarterly))
        for (month, tax), row in sorted(figures.items())
        if wanted is None or month in wanted
    ]


def _is_quarterly_vat(tax: str, _row: sa.Row) -> bool:
    return tax == table_maps.VAT_QUARTERLY


def _latest(
    rows: list[sa.Row], codes: Mapping[int, str], quarterly: Callable[[str, sa.Row], bool]
) -> dict[tuple[str, str], sa.Row]:
    """The newest filing per item month and tax: the highest correction number, and among
    equal numbers (or without the column) the row read last, i.e. entered last.

    A quarterly item carries the quarter's last month, whichever month its row names.
    """
    latest: dict[tuple[str, str], sa.Row] = {}
    for row in rows:
        tax = codes.get(int_code(row.code))
        if tax is None:
            continue
        month = _period(row)
        key = (quarter_end(month) if quarterly(tax, row) else month, tax)
        if key not in latest or _correction(row) >= _correction(latest[key]):
            latest[key] = row
    return latest


def _tax_item(
    company: _Company,
    month: str,
    tax: str,
    row: sa.Row,
    spec: TableSpec,
    *,
    quarterly: bool = False,
) -> dict[str, Any]:
    where = f"{company.where} {spec.qualified} {row.year}-{row.month}"
    amount = amount_to_pay(row.to_pay, where)
    optional = row._mapping
    return tax_row(
        company.origin(),
        month,
        tax,
        "K" if _correction(row) > 0 else "D",
        amount,
        refund=optional_zloty(optional.get("refund"), where),
        carried_forward=optional_zloty(optional.get("carried_forward"), where),
        quarterly=quarterly,
    )


def _monthly_vat_amounts(
    company: _Company, figures: dict[tuple[str, str], sa.Row], months: list[str], m: Reset2Map
) -> dict[str, tuple[int | None, int | None]]:
    """Output and input VAT of the months whose VAT-7 item was loaded (else none is shown)."""
    result = {}
    for month in months:
        row = figures[(month, "VAT-7")]
        where = f"{company.where} {m.vat.spec.qualified} {month}"
        result[month] = (
            optional_grosze(row.output_vat, where),
            optional_grosze(row.input_vat, where),
        )
    return result


def _summary_rows(
    company: _Company,
    rows: list[sa.Row],
    wanted: list[str] | None,
    vat: dict[str, tuple[int | None, int | None]],
) -> list[dict[str, Any]]:
    summaries = []
    for row in sorted(rows, key=_period):
        month = _period(row)
        if wanted is not None and month not in wanted:
            continue
        where = f"{company.where} book totals {month}"
        revenue, costs = grosze_from_db(row.revenue, where), grosze_from_db(row.costs, where)
        output_vat, input_vat = vat.get(month, (None, None))
        summaries.append(
            {
                **company.origin(),
                "period": month,
                "revenue": revenue,
                "costs": costs,
                "income": revenue - costs,
                "vat_output": output_vat,
                "vat_input": input_vat,
                "revenue_ytd": optional_grosze(row.revenue_ytd, where),
                "costs_ytd": optional_grosze(row.costs_ytd, where),
            }
        )
    return summaries


# --- probe ----------------------------------------------------------------------------------


def _probe(connection: Connection, database: str, m: Reset2Map) -> dict[str, object]:
    inspector = sa.inspect(connection)
    names = inspector.get_table_names(schema=table_maps.SCHEMA)
    columns = inspector.get_multi_columns(schema=table_maps.SCHEMA, filter_names=names)
    present = {key[1]: [column["name"] for column in value] for key, value in columns.items()}
    return {
        "database": database,
        "schema": table_maps.SCHEMA,
        "tables": {
            name: {
                "columns": present.get(name, []),
                "rows": row_count(connection, name, table_maps.SCHEMA),
            }
            for name in sorted(names)
        },
        "map": {spec.qualified: _fit(spec, present) for spec in m.specs},
        "codes": {
            "vat_declaration_types": _codes(
                connection,
                m.declaration_settings.spec,
                m.declaration_settings.type,
                present,
                m.vat_types,
            ),
            "vat_amount_types": _codes(connection, m.vat.spec, m.vat.type, present, m.vat_types),
            "tax_codes": _codes(connection, m.taxes.spec, m.taxes.tax, present, m.tax_codes),
            "tax_forms": _codes(
                connection, m.companies.spec, m.companies.tax_form, present, m.tax_forms
            ),
            "active": _codes(connection, m.companies.spec, m.companies.active, present, {}),
        },
    }


def _fit(spec: TableSpec, present: dict[str, list[str]]) -> dict[str, object]:
    found = {name.casefold(): columns for name, columns in present.items()}.get(
        spec.name.casefold()
    )
    if found is None:
        return {"present": False}
    return {"present": True, **missing_columns(spec, found)}


def _codes(
    connection: Connection,
    spec: TableSpec,
    column: str,
    present: dict[str, list[str]],
    meanings: Mapping[int, str],
) -> dict[str, object]:
    """Each value of a code column with its row count and what the map makes of it."""
    if column not in present.get(spec.name, []):
        return {}
    return code_counts(connection, spec, column, meanings.get)


# --- small helpers --------------------------------------------------------------------------


def _period(row: sa.Row) -> str:
    return row_period(row, "fix it in Reset2")


def _month_of(value: object) -> str:
    if not isinstance(value, date):
        value = date.fromisoformat(str(value)[:10])
    return period(value.year, value.month)


def _key(value: object) -> str:
    """A company id as text: 7, Decimal("7") and "7" are the same company."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().upper() in ("1", "T", "TRUE", "Y")
    return bool(value)


def _correction(row: sa.Row) -> int:
    return int_code(row.correction_no) or 0
