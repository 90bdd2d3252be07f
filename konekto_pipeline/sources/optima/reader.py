"""Reads Comarch ERP Optima: companies, taxes to pay and ledger summaries of every company.

The configuration database's `CDN.Bazy` lists the company databases; the active ones (or those
of them the office named in `databases`) are read one after another through the one
`SqlServer`. The table map, codes and labels are in `settings.py` with their confidence.

Statements: the configuration database costs a table lookup and one SELECT. Each company
database costs 7 column lookups (one per table; a dialect may need 2-3 statements for one)
and at most 6 SELECTs, one per table and not per period or row: CDN.Firma, CDN.DeklNag,
CDN.BnkZdarzenia, CDN.ZapisyKPR, CDN.Ryczalt and CDN.VatNag joined with CDN.VatTab.
All requested periods are fetched at once with BETWEEN and sorted out here. change_stamp()
reads the configuration database as a read does, then sends one aggregate per company table (7).

Surprising parts:
- ZUS is not read (DATA_TYPES has no "zus"). The payment schedule holds one total per transfer
  to ZUS, with no split into social, health and Labour Fund contributions and no declaration
  number, and the DRA's declaration type code is not publicly known; zeros in the parts would
  show clients wrong figures. Płatnik or KEDU files supply ZUS.
- Taxes come from final declarations (CDN.DeklNag, type codes in settings). Per company, tax,
  period and taxpayer the latest declaration wins (latest period month, then highest id); it is
  a correction ("K") when it names the declaration it corrects or another final one exists for
  the same month. PIT advances of several taxpayers (partners) are added up and shown with the
  company NIP's micro-account, although each partner really pays into their own; PIT advances
  are taken as monthly (a quarterly payer's due date is not recognised).
- Where no declaration exists for a tax and period, the payment schedule (CDN.BnkZdarzenia,
  payments to an office) supplies it as an advance ("Z"), its tax recognised from the payment's
  description. When both exist the declaration wins: it is what was filed, while the schedule
  is a plan that may not have been updated after a correction.
- VAT-7K: a VAT-7 declaration of a company whose CDN.Firma says it settles VAT quarterly (or one
  of a quarterly type code, none known yet) is VAT-7K for the quarter's last month.
- A negative declaration amount (an excess) gives amount 0; whether it is refunded or carried
  forward is in the form's fields (CDN.DeklWydr), which are not mapped, so both stay empty.
- Summaries only for months with entries in the KPiR or the ryczałt register; companies keeping
  full books get none (revenue from the general ledger needs the office's chart of accounts).
- A company database that cannot be opened, or lacks a table or a required column, is a problem
  for that company (its companies, taxes or summaries part is left out); the others load. The
  configuration database that cannot be opened raises SqlConnectionError, one without CDN.Bazy
  raises SchemaMismatch: without the company list nothing can be read.
"""

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.identifiers import is_valid_regon, normalize_nip, normalize_regon
from konekto_pipeline.domain.money import round_tax_grosze
from konekto_pipeline.domain.periods import next_period, parse_period, previous, quarter_end
from konekto_pipeline.domain.periods import period as make_period
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.optima import settings as table_map
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer
from konekto_pipeline.sources.sql.frames import (
    StampedTable,
    databases_stamps,
    mismatch_detail,
    origin,
    row_count,
    schema_frame,
    stamp_digest,
    table_stamps,
    tax_row,
    whole_zloty,
)
from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("taxes", "summaries")

SOURCE = table_map.SOURCE
_T = TypeVar("_T")
_UNRECOGNISED_SAMPLES = 20
_LABEL_LIMIT = 500

# The company tables the read uses, with the key whose highest value a change stamp takes
# where the table map names one (the ledgers' and VAT lines' keys are not mapped).
_STAMPED_TABLES: tuple[StampedTable, ...] = (
    (table_map.FIRMA, "Fir_FirID"),
    (table_map.DEKL_NAG, "DkN_DkNID"),
    (table_map.BNK_ZDARZENIA, "BZd_BZdID"),
    (table_map.ZAPISY_KPR, None),
    (table_map.RYCZALT, None),
    (table_map.VAT_NAG, "VaN_VaNID"),
    (table_map.VAT_TAB, None),
)


@dataclass(frozen=True)
class _CompanyDatabase:
    """One row of CDN.Bazy: a company database and what the configuration says of it."""

    database: str
    name: str
    nip: str | None
    server: str | None
    active: bool


@dataclass(frozen=True)
class _Company:
    database: str
    nip: str
    vat_period: str | None
    row: dict[str, Any]


@dataclass(frozen=True)
class _Declaration:
    id: int
    tax: str
    period: str
    month: int
    taxpayer: object
    amount: int
    corrects: bool


@dataclass(frozen=True)
class _TaxItem:
    tax: str
    period: str
    kind: str
    amount: int


@dataclass(frozen=True)
class _Window:
    """The months asked for (None: all) and the YYYYMM bounds the queries fetch for them."""

    periods: frozenset[str] | None

    @classmethod
    def of(cls, periods: Collection[str] | None) -> "_Window":
        if periods is None:
            return cls(None)
        for wanted in periods:
            parse_period(wanted)
        return cls(frozenset(periods))

    @property
    def empty(self) -> bool:
        return self.periods is not None and not self.periods

    def wants(self, period: str) -> bool:
        return self.periods is None or period in self.periods

    def months(self, *, from_quarter: bool = False, from_january: bool = False) -> tuple[str, str]:
        """First and last month to fetch: widened to the first quarter or year month if asked."""
        if not self.periods:
            raise ValueError("no months asked for: nothing to fetch")
        first, last = min(self.periods), max(self.periods)
        if from_quarter:
            first = previous(previous(quarter_end(first)))
        if from_january:
            first = f"{first[:4]}-01"
        return first, last


@dataclass
class _Collected:
    companies: list[dict[str, Any]] = field(default_factory=list)
    taxes: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)


class OptimaReader:
    """Reads the companies of one Optima installation (one SQL Server) into the four frames.

    `settings.database` is the configuration database (default CDN_KNF_Konfiguracja);
    `settings.databases`, when given, restricts the read to those company databases.
    """

    def __init__(self, server: SqlServer, settings: SqlProgram) -> None:
        self.server = server
        self.settings = settings
        self.configuration = settings.database or table_map.DEFAULT_CONFIGURATION_DATABASE

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """All selected companies; their taxes and summaries of `periods` (all when None)."""
        window = _Window.of(periods)
        collected = _Collected()
        listed = self._listed_databases(collected.problems)
        selected = self._selected(listed, collected.problems)
        for database in selected:
            self._read_company(database, window, collected)
        logger.info(
            "optima: read %d company databases of %d listed in %s (%d problems)",
            len(selected),
            len(listed),
            self.configuration,
            len(collected.problems),
        )
        return SourceData(
            companies=_frame("companies", collected.companies),
            taxes=_frame("taxes", collected.taxes),
            summaries=_frame("summaries", collected.summaries),
            problems=collected.problems,
        )

    def check(self) -> str:
        """Say "works: ..." when the configuration database lists company databases, else raise."""
        problems: list[SourceProblem] = []
        listed = self._listed_databases(problems)
        selected = self._selected(listed, problems)
        inactive = sum(1 for database in listed if not database.active)
        text = (
            f"works: {len(selected)} company databases to read in {self.configuration} "
            f"({len(listed)} listed, {inactive} inactive)"
        )
        return "; ".join([text, *(problem.message for problem in problems)])

    def probe(self) -> dict[str, object]:
        """What the configuration and every active company database hold, read-only, as JSON."""
        problems: list[SourceProblem] = []
        listed = self._listed_databases(problems)
        selected = self._selected(listed, problems)
        found: dict[str, object] = {}
        for database in selected:
            found[database.database] = self._probe_company(database)
        return {
            "program": SOURCE,
            "configuration_database": self.configuration,
            "company_databases": [_listing(database) for database in listed],
            "databases": found,
            "problems": [str(problem) for problem in problems],
        }

    def change_stamp(self) -> str:
        """A digest that changes when the office adds or deletes rows the read uses.

        Made of what CDN.Bazy lists (read whole, as the read does: a company activated or
        renamed is seen) and, per selected company database, the row count and highest key of
        each table read (`_STAMPED_TABLES`): one aggregate per table, no data row read. An
        amount corrected in place changes neither and is not seen; the scheduled update reads
        it. Raises what opening the configuration database raises.
        """
        problems: list[SourceProblem] = []
        listed = self._listed_databases(problems)
        selected = [database.database for database in self._selected(listed, problems)]
        parts = [f"{self.configuration}: {_listing(database)}" for database in listed]
        parts += databases_stamps(
            self.server, selected, lambda connection: table_stamps(connection, _STAMPED_TABLES)
        )
        return stamp_digest(parts)

    # --- configuration database ---------------------------------------------------------

    def _listed_databases(self, problems: list[SourceProblem]) -> list[_CompanyDatabase]:
        """Every company database CDN.Bazy lists, active or not (each name once)."""
        spec = table_map.BAZY
        with self.server.connect(self.configuration) as connection:
            tables = TableReader(connection, SOURCE)
            if not tables.has_table(spec):
                raise SchemaMismatch(
                    SOURCE,
                    spec.qualified,
                    f"not an Optima configuration database: {self.configuration} has no table "
                    f"{spec.qualified} (set programs.optima.database to the configuration "
                    "database, usually CDN_KNF_Konfiguracja)",
                )
            columns = _labelled(
                tables,
                spec,
                database="Baz_NazwaBazy",
                name="Baz_Nazwa",
                nip="Baz_Nip",
                server="Baz_NazwaSerwera",
                inactive="Baz_Nieaktywna",
            )
            query = sa.select(*columns).order_by(tables.table(spec).c.Baz_BazID)
            rows = connection.execute(query).all()
        return _unique_databases(rows, problems, self.configuration)

    def _selected(
        self, listed: list[_CompanyDatabase], problems: list[SourceProblem]
    ) -> list[_CompanyDatabase]:
        """The active databases, or of the office's `databases` those listed and active."""
        if self.settings.databases is None:
            return [database for database in listed if database.active]
        by_name = {database.database.casefold(): database for database in listed}
        chosen: dict[str, _CompanyDatabase] = {}
        for name in self.settings.databases:
            database = by_name.get(name.casefold())
            if database is None:
                problems.append(
                    _problem(
                        name,
                        f"named in programs.optima.databases but not listed in "
                        f"CDN.Bazy of {self.configuration}; not read",
                    )
                )
            elif not database.active:
                problems.append(
                    _problem(name, "marked inactive in Optima (CDN.Bazy.Baz_Nieaktywna); not read")
                )
            else:
                chosen[database.database.casefold()] = database
        return list(chosen.values())

    # --- one company database -----------------------------------------------------------

    def _read_company(
        self, database: _CompanyDatabase, window: _Window, collected: _Collected
    ) -> None:
        try:
            with self.server.connect(database.database) as connection:
                _CompanyRead(connection, database, collected.problems).into(collected, window)
        except SqlConnectionError as error:
            collected.problems.append(
                _problem(
                    database.database,
                    f"the company database could not be opened: {error.reason}",
                    database.nip,
                )
            )

    def _probe_company(self, database: _CompanyDatabase) -> dict[str, object]:
        try:
            with self.server.connect(database.database) as connection:
                return _CompanyProbe(connection).run()
        except SqlConnectionError as error:
            return {"error": error.reason}


class _CompanyRead:
    """Reads one open company database; every part that fails becomes a problem of its own."""

    def __init__(
        self, connection: Connection, database: _CompanyDatabase, problems: list[SourceProblem]
    ) -> None:
        self.connection = connection
        self.database = database
        self.problems = problems
        self.tables = TableReader(connection, SOURCE)
        self.nip = database.nip

    def into(self, collected: _Collected, window: _Window) -> None:
        company = self.company()
        if company is None:
            return
        collected.companies.append(company.row)
        self.nip = company.nip
        if window.empty:
            return
        taxes = self.attempt("its taxes were not loaded", lambda: self.taxes(company, window))
        collected.taxes.extend(_tax_row(company, item) for item in taxes or [])
        summaries = self.attempt(
            "its summaries were not loaded", lambda: self.summaries(company, window)
        )
        collected.summaries.extend(summaries or [])

    def attempt(self, consequence: str, step: Callable[[], _T]) -> _T | None:
        """The step's result, or None and a problem naming database, table and column.

        A connection lost on the way raises SqlConnectionError: the company is a problem.
        """
        try:
            return step()
        except SchemaMismatch as error:
            where, detail = f"{self.database.database}: {error.table}", mismatch_detail(error)
        except ValueError as error:
            where, detail = self.database.database, str(error)
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated:
                raise SqlConnectionError(
                    f"the connection was lost while reading: {_first_line(error)}",
                    SOURCE,
                    self.database.database,
                ) from error
            self.connection.rollback()
            where, detail = self.database.database, _first_line(error)
        self.problems.append(_problem(where, f"{detail}; {consequence}", self.nip))
        return None

    # --- company -------------------------------------------------------------------------

    def company(self) -> _Company | None:
        """The company's row, from CDN.Firma with CDN.Bazy's name and NIP as fallback."""
        fallback = "its name and NIP were taken from CDN.Bazy"
        values = self.attempt(fallback, self.firma_values) or {}
        raw_nip = values.get("nip") or self.database.nip
        if not raw_nip:
            labels = ", ".join(table_map.FIRMA_LABELS["nip"])
            self.problems.append(
                _problem(
                    self.database.database,
                    f"no NIP: no CDN.Firma row labelled {labels} and no CDN.Bazy.Baz_Nip; "
                    "the company is not read",
                )
            )
            return None
        nip = normalize_nip(raw_nip)
        vat_period = _coded(values.get("vat_period"), table_map.VAT_PERIOD_VALUES)
        row = {
            **origin(SOURCE, self.database.database, nip),
            "name": values.get("name") or self.database.name or self.database.database,
            "regon": self.regon(values.get("regon"), nip),
            "email": values.get("email"),
            "phone": values.get("phone"),
            "legal_form": None,
            "tax_form": _coded(values.get("tax_form"), table_map.TAX_FORM_VALUES),
            "vat_period": vat_period,
        }
        return _Company(self.database.database, nip, vat_period, row)

    def firma_values(self) -> dict[str, str | None]:
        """The attributes of FIRMA_LABELS, by label; of repeated labels the highest Fir_FirID."""
        firma = self.tables.table(table_map.FIRMA)
        query = sa.select(firma.c.Fir_FirID, firma.c.Fir_Opis, firma.c.Fir_Wartosc)
        by_label: dict[str, tuple[int, str]] = {}
        for fir_id, label, value in self.connection.execute(query):
            key, text = _label(label), str(value or "").strip()
            if key and text and (key not in by_label or (fir_id or 0) > by_label[key][0]):
                by_label[key] = (fir_id or 0, text)
        return {
            attribute: next((by_label[label][1] for label in labels if label in by_label), None)
            for attribute, labels in table_map.FIRMA_LABELS.items()
        }

    def regon(self, raw: str | None, nip: str) -> str | None:
        if raw is None:
            return None
        if is_valid_regon(raw):
            return normalize_regon(raw)
        self.problems.append(
            _problem(
                f"{self.database.database}: {table_map.FIRMA.qualified}",
                f"REGON {raw!r} is not a valid REGON; left out",
                nip,
            )
        )
        return None

    # --- taxes ---------------------------------------------------------------------------

    def taxes(self, company: _Company, window: _Window) -> list[_TaxItem]:
        """Declared taxes, plus scheduled payments for taxes and periods with no declaration."""
        declared = _declared_items(self.declarations(company, window))
        filed = {(item.tax, item.period) for item in declared}
        scheduled = [
            item
            for item in _scheduled_items(self.office_payments(window))
            if (item.tax, item.period) not in filed
        ]
        items = [item for item in [*declared, *scheduled] if window.wants(item.period)]
        return sorted(items, key=lambda item: (item.period, item.tax))

    def declarations(self, company: _Company, window: _Window) -> list[_Declaration]:
        spec = table_map.DEKL_NAG
        nag = self.tables.table(spec)
        codes = sorted(
            {*table_map.TAX_BY_DECLARATION_TYPE, *table_map.QUARTERLY_VAT_DECLARATION_TYPES}
        )
        columns = _labelled(
            self.tables,
            spec,
            id="DkN_DkNID",
            code="DkN_TypDeklar",
            month="DkN_RokMiesiac",
            amount="DkN_Kwota",
            parent="DkN_ParentId",
            taxpayer="DkN_PraID",
        )
        query = sa.select(*columns).where(
            nag.c.DkN_Finalna == table_map.FINAL, nag.c.DkN_TypDeklar.in_(codes)
        )
        if window.periods is not None:
            first, last = window.months(from_quarter=True)
            query = query.where(nag.c.DkN_RokMiesiac.between(_yyyymm(first), _yyyymm(last)))
        rows = self.connection.execute(query.order_by(nag.c.DkN_DkNID)).all()
        return [
            declaration
            for row in rows
            if (declaration := self.declaration(row, company.vat_period)) is not None
        ]

    def declaration(self, row: Any, vat_period: str | None) -> _Declaration | None:
        where = f"{table_map.DEKL_NAG.qualified} DkN_DkNID={row.id}"
        period = self.period(row.month, f"{where} DkN_RokMiesiac")
        if period is None:
            return None
        tax = _declared_tax(int(row.code), vat_period)
        if tax == "VAT-7K":
            period = quarter_end(period)
        return _Declaration(
            id=int(row.id),
            tax=tax,
            period=period,
            month=int(row.month),
            taxpayer=row.taxpayer,
            amount=whole_zloty(row.amount, f"{where} DkN_Kwota"),
            corrects=bool(row.parent),
        )

    def office_payments(self, window: _Window) -> list[tuple[str, str, int]]:
        """(tax, period, grosze) of payments to offices whose description names a tax.

        A payment falls due in the month after the period it pays for (20th or 25th), so
        its period is the month before its due date's month.
        """
        spec = table_map.BNK_ZDARZENIA
        events = self.tables.table(spec)
        columns = _labelled(
            self.tables,
            spec,
            id="BZd_BZdID",
            due="BZd_Termin",
            amount="BZd_Kwota",
            description="BZd_Opis",
        )
        query = sa.select(*columns).where(
            events.c.BZd_PodmiotTyp == table_map.OFFICE_SUBJECT,
            events.c.BZd_Kierunek == table_map.OUTGOING,
        )
        if window.periods is not None:
            first, last = window.months()
            start, end = _first_day(next_period(first)), _first_day(next_period(next_period(last)))
            query = query.where(events.c.BZd_Termin >= start, events.c.BZd_Termin < end)
        payments = []
        for row in self.connection.execute(query.order_by(events.c.BZd_BZdID)):
            tax = _scheduled_tax(row.description)
            due = _as_date(row.due)
            if tax is None or due is None:
                continue
            where = f"{spec.qualified} BZd_BZdID={row.id} BZd_Kwota"
            period = previous(make_period(due.year, due.month))
            payments.append((tax, period, grosze_from_db(row.amount, where)))
        return payments

    def period(self, value: object, where: str) -> str | None:
        """The YYYY-MM of a YYYYMM value, or None and a problem when it is no month."""
        found = _period_of(value)
        if found is None:
            self.problems.append(
                _problem(
                    self.database.database,
                    f"{where} {value!r} is not a YYYYMM month; that row is skipped",
                    self.nip,
                )
            )
        return found

    # --- summaries -----------------------------------------------------------------------

    def summaries(self, company: _Company, window: _Window) -> list[dict[str, Any]]:
        """Months with KPiR or ryczałt entries: revenue, costs, VAT and year-to-date totals."""
        months = window.months(from_january=True) if window.periods is not None else None
        kpir = self.ledger(table_map.ZAPISY_KPR, "KPR", _kpir_columns(), months)
        ryczalt = self.ledger(table_map.RYCZALT, "RYC", table_map.RYCZALT_REVENUE, months)
        vat = self.vat(months)
        revenue = _add(
            _columns_total(kpir, table_map.KPIR_REVENUE),
            _columns_total(ryczalt, table_map.RYCZALT_REVENUE),
        )
        costs = _columns_total(kpir, table_map.KPIR_COSTS)
        booked = sorted(kpir.keys() | ryczalt.keys())
        rows = []
        for period in booked:
            if not window.wants(period):
                continue
            year_so_far = [month for month in booked if month[:4] == period[:4] and month <= period]
            rows.append(
                {
                    **origin(SOURCE, company.database, company.nip),
                    "period": period,
                    "revenue": revenue.get(period, 0),
                    "costs": costs.get(period, 0),
                    "income": revenue.get(period, 0) - costs.get(period, 0),
                    "vat_output": _vat(vat, period, table_map.VAT_SALES),
                    "vat_input": _vat(vat, period, table_map.VAT_PURCHASE),
                    "revenue_ytd": sum(revenue.get(month, 0) for month in year_so_far),
                    "costs_ytd": sum(costs.get(month, 0) for month in year_so_far),
                }
            )
        return rows

    def ledger(
        self,
        spec: TableSpec,
        prefix: str,
        amounts: Sequence[str],
        months: tuple[str, str] | None,
    ) -> dict[str, dict[str, int]]:
        """Per month and amount column, the sum over entries in the book and not struck out.

        Optional amount columns the database lacks are left out.
        """
        table = self.tables.table(spec)
        present = [name for name in amounts if name in table.c]
        month = table.c[f"{prefix}_RokMies"]
        query = (
            sa.select(month, *(sa.func.sum(table.c[name]) for name in present))
            .where(
                table.c[f"{prefix}_Bufor"] == table_map.IN_BOOK,
                table.c[f"{prefix}_Skreslony"] == table_map.NOT_DELETED,
            )
            .group_by(month)
        )
        if months is not None:
            query = query.where(month.between(_yyyymm(months[0]), _yyyymm(months[1])))
        totals: dict[str, dict[str, int]] = {}
        for value, *sums in self.connection.execute(query):
            period = self.period(value, f"{spec.qualified} {prefix}_RokMies")
            if period is not None:
                where = f"{spec.qualified} total of {period}"
                totals[period] = {
                    name: grosze_from_db(amount, f"{where} {name}")
                    for name, amount in zip(present, sums, strict=True)
                }
        return totals

    def vat(self, months: tuple[str, str] | None) -> dict[tuple[str, int], int] | None:
        """VAT per return month and register kind; None when the registers are empty."""
        nag = self.tables.table(table_map.VAT_NAG)
        tab = self.tables.table(table_map.VAT_TAB)
        month = nag.c.VaN_DeklRokMies
        query = (
            sa.select(month, nag.c.VaN_Typ, sa.func.sum(tab.c.VaT_VATDoVAT))
            .select_from(nag.join(tab, tab.c.VaT_VaNID == nag.c.VaN_VaNID))
            .where(
                nag.c.VaN_RozliczacVat7 == table_map.IN_VAT_RETURN,
                nag.c.VaN_Typ.in_([table_map.VAT_PURCHASE, table_map.VAT_SALES]),
            )
            .group_by(month, nag.c.VaN_Typ)
        )
        if months is not None:
            query = query.where(month.between(_yyyymm(months[0]), _yyyymm(months[1])))
        totals: dict[tuple[str, int], int] = {}
        for value, kind, amount in self.connection.execute(query):
            period = self.period(value, f"{table_map.VAT_NAG.qualified} VaN_DeklRokMies")
            if period is not None:
                where = f"{table_map.VAT_TAB.qualified} VAT of {period}"
                totals[(period, int(kind))] = grosze_from_db(amount, where)
        return totals or None


class _CompanyProbe:
    """Lists what one company database holds, for checking the table map against it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tables = TableReader(connection, SOURCE)

    def run(self) -> dict[str, object]:
        found: dict[str, object] = {"tables": self.row_counts()}
        sections: dict[str, Callable[[], object]] = {
            "version": self.version,
            "firma": self.firma,
            "declaration_types": self.declaration_types,
            "office_payments": self.office_payments,
            "vat_register_types": self.vat_types,
        }
        for name, section in sections.items():
            try:
                found[name] = section()
            except SchemaMismatch as error:
                found[name] = {"error": str(error)}
            except sa.exc.DBAPIError as error:
                self.connection.rollback()
                found[name] = {"error": _first_line(error)}
        return found

    def row_counts(self) -> dict[str, object]:
        counts: dict[str, object] = {}
        for spec in table_map.COMPANY_TABLES:
            if not self.tables.has_table(spec):
                counts[spec.qualified] = "missing"
                continue
            counts[spec.qualified] = row_count(self.connection, spec.name, spec.schema)
        return counts

    def version(self) -> str | None:
        spec = table_map.SYSTEM_CDN
        if not self.tables.has_table(spec):
            return None
        system = self.tables.table(spec)
        query = sa.select(system.c.SYS_Wartosc).where(system.c.SYS_ID == table_map.VERSION_ID)
        value = self.connection.execute(query).scalar()
        return None if value is None else str(value)

    def firma(self) -> dict[str, object]:
        firma = self.tables.table(table_map.FIRMA)
        labels = {
            _label(label) for (label,) in self.connection.execute(sa.select(firma.c.Fir_Opis))
        }
        labels.discard("")
        mapped = {
            attribute: next((label for label in candidates if label in labels), None)
            for attribute, candidates in table_map.FIRMA_LABELS.items()
        }
        return {"mapped": mapped, "labels": sorted(labels)[:_LABEL_LIMIT]}

    def declaration_types(self) -> list[dict[str, object]]:
        nag = self.tables.table(table_map.DEKL_NAG)
        version = self.tables.column(table_map.DEKL_NAG, "DkN_Wersja")
        keys = (nag.c.DkN_TypDeklar, version, nag.c.DkN_Finalna)
        query = sa.select(
            *keys,
            sa.func.count(),
            sa.func.min(nag.c.DkN_RokMiesiac),
            sa.func.max(nag.c.DkN_RokMiesiac),
        ).group_by(*(key for key in keys if isinstance(key, sa.Column)))
        found = []
        for code, form_version, final, count, first, last in self.connection.execute(query):
            found.append(
                {
                    "type": _json_int(code),
                    "version": _json_int(form_version),
                    "final": _json_int(final),
                    "count": int(count),
                    "first": _json_int(first),
                    "last": _json_int(last),
                    "read_as": _declared_tax_or_none(code),
                }
            )
        return sorted(found, key=lambda entry: tuple(str(value) for value in entry.values()))

    def office_payments(self) -> dict[str, object]:
        """Payments to offices by recognised tax, with samples of unrecognised descriptions."""
        events = self.tables.table(table_map.BNK_ZDARZENIA)
        document = self.tables.column(table_map.BNK_ZDARZENIA, "BZd_DokumentTyp")
        query = (
            sa.select(events.c.BZd_Opis, document, sa.func.count())
            .where(
                events.c.BZd_PodmiotTyp == table_map.OFFICE_SUBJECT,
                events.c.BZd_Kierunek == table_map.OUTGOING,
            )
            .group_by(*(key for key in (events.c.BZd_Opis, document) if isinstance(key, sa.Column)))
        )
        by_tax: dict[str, int] = {}
        by_document: dict[str, int] = {}
        unrecognised: list[str] = []
        for description, document_type, count in self.connection.execute(query):
            tax = _scheduled_tax(description) or _zus_or_unrecognised(description)
            by_tax[tax] = by_tax.get(tax, 0) + int(count)
            key = str(_json_int(document_type))
            by_document[key] = by_document.get(key, 0) + int(count)
            if tax == "unrecognised" and len(unrecognised) < _UNRECOGNISED_SAMPLES:
                unrecognised.append(str(description or ""))
        return {
            "by_tax": dict(sorted(by_tax.items())),
            "by_document_type": dict(sorted(by_document.items())),
            "unrecognised_descriptions": sorted(unrecognised),
        }

    def vat_types(self) -> dict[str, int]:
        nag = self.tables.table(table_map.VAT_NAG)
        query = sa.select(nag.c.VaN_Typ, sa.func.count()).group_by(nag.c.VaN_Typ)
        return {str(_json_int(kind)): int(count) for kind, count in self.connection.execute(query)}


# --- helpers -----------------------------------------------------------------------------


def _labelled(tables: TableReader, spec: TableSpec, **names: str) -> list[sa.ColumnElement]:
    """The spec's columns under short labels; a missing optional column reads as NULL."""
    return [tables.column(spec, name).label(label) for label, name in names.items()]


def _unique_databases(
    rows: Iterable[Any], problems: list[SourceProblem], configuration: str
) -> list[_CompanyDatabase]:
    databases: dict[str, _CompanyDatabase] = {}
    for row in rows:
        name = str(row.database or "").strip()
        if not name:
            problems.append(
                _problem(
                    f"{configuration}: {table_map.BAZY.qualified}",
                    f"company {row.name!r} has no database name (Baz_NazwaBazy); not read",
                )
            )
            continue
        database = _CompanyDatabase(
            database=name,
            name=str(row.name or "").strip(),
            nip=normalize_nip(str(row.nip)) if row.nip and str(row.nip).strip() else None,
            server=str(row.server).strip() if row.server else None,
            active=int(row.inactive or 0) != table_map.INACTIVE,
        )
        known = databases.get(name.casefold())
        if known is None or (database.active and not known.active):
            databases[name.casefold()] = database
    return list(databases.values())


def _listing(database: _CompanyDatabase) -> dict[str, object]:
    return {
        "database": database.database,
        "name": database.name,
        "nip": database.nip,
        "server": database.server,
        "active": database.active,
    }


def _declared_tax(code: int, vat_period: str | None) -> str:
    if code in table_map.QUARTERLY_VAT_DECLARATION_TYPES:
        return "VAT-7K"
    tax = table_map.TAX_BY_DECLARATION_TYPE[code]
    return "VAT-7K" if tax == "VAT-7" and vat_period == "Q" else tax


def _declared_tax_or_none(code: object) -> str | None:
    number = _json_int(code)
    if number in table_map.QUARTERLY_VAT_DECLARATION_TYPES:
        return "VAT-7K"
    return table_map.TAX_BY_DECLARATION_TYPE.get(number) if isinstance(number, int) else None


def _declared_items(declarations: list[_Declaration]) -> list[_TaxItem]:
    """One item per tax and period: the latest declaration of each taxpayer, added up."""
    groups: dict[tuple[str, str, object], list[_Declaration]] = {}
    for declaration in declarations:
        key = (declaration.tax, declaration.period, declaration.taxpayer)
        groups.setdefault(key, []).append(declaration)
    items: dict[tuple[str, str], _TaxItem] = {}
    for (tax, period, _taxpayer), group in groups.items():
        latest = max(group, key=lambda declaration: (declaration.month, declaration.id))
        same_month = sum(1 for declaration in group if declaration.month == latest.month)
        kind = "K" if latest.corrects or same_month > 1 else "D"
        amount = max(latest.amount, 0)
        known = items.get((tax, period))
        if known is not None:
            kind = "K" if "K" in (kind, known.kind) else "D"
            amount += known.amount
        items[(tax, period)] = _TaxItem(tax, period, kind, amount)
    return list(items.values())


def _scheduled_items(payments: list[tuple[str, str, int]]) -> list[_TaxItem]:
    """Advances ("Z") from the payment schedule: payments of a tax and period added up."""
    totals: dict[tuple[str, str], int] = {}
    for tax, period, grosze in payments:
        totals[(tax, period)] = totals.get((tax, period), 0) + grosze
    return [
        _TaxItem(tax, period, "Z", round_tax_grosze(grosze))
        for (tax, period), grosze in totals.items()
        if grosze > 0
    ]


def _scheduled_tax(description: object) -> str | None:
    text = str(description or "")
    for pattern, tax in table_map.SCHEDULE_TAX_PATTERNS:
        if re.search(pattern, text, re.IGNORECASE):
            return tax
    return None


def _zus_or_unrecognised(description: object) -> str:
    if re.search(table_map.ZUS_PAYMENT_PATTERN, str(description or ""), re.IGNORECASE):
        return "ZUS (not read)"
    return "unrecognised"


def _tax_row(company: _Company, item: _TaxItem) -> dict[str, Any]:
    company_origin = origin(SOURCE, company.database, company.nip)
    return tax_row(company_origin, item.period, item.tax, item.kind, item.amount)


def _kpir_columns() -> tuple[str, ...]:
    return (*table_map.KPIR_REVENUE, *table_map.KPIR_COSTS)


def _columns_total(totals: dict[str, dict[str, int]], names: Sequence[str]) -> dict[str, int]:
    return {period: sum(sums.get(name, 0) for name in names) for period, sums in totals.items()}


def _add(*totals: dict[str, int]) -> dict[str, int]:
    added: dict[str, int] = {}
    for per_month in totals:
        for period, grosze in per_month.items():
            added[period] = added.get(period, 0) + grosze
    return added


def _vat(totals: dict[tuple[str, int], int] | None, period: str, kind: int) -> int | None:
    return None if totals is None else totals.get((period, kind), 0)


def _problem(where: str, message: str, nip: str | None = None) -> SourceProblem:
    return SourceProblem(program=SOURCE, where=where, message=message, nip=nip)


def _first_line(error: sa.exc.DBAPIError) -> str:
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def _label(label: object) -> str:
    """A CDN.Firma label as compared: words single-spaced, case-folded, no trailing colon."""
    return " ".join(str(label or "").split()).casefold().rstrip(":").strip()


def _coded(value: str | None, codes: dict[str, str]) -> str | None:
    return None if value is None else codes.get(_label(value))


def _period_of(value: object) -> str | None:
    try:
        year, month = divmod(int(str(value).strip()), 100)
        return make_period(year, month)
    except ValueError:
        return None


def _yyyymm(period: str) -> int:
    year, month = parse_period(period)
    return year * 100 + month


def _first_day(period: str) -> datetime:
    year, month = parse_period(period)
    return datetime(year, month, 1)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        return pd.Timestamp(value.strip()).date()
    return None


def _json_int(value: object) -> object:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None if value is None else str(value)


def _frame(kind: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """`schema_frame` of the rows, sorted by company, period and tax."""
    frame = schema_frame(kind, rows)
    if not rows:
        return frame
    keys = [name for name in ("source_company_id", "period", "tax") if name in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)
