"""Reads RAKS SQL: its companies and declarations (global database), ledgers (company databases).

The global database `Raks3000.fdb` lists the companies and holds the declarations added in
Raks; each active company's own database `F000nn.FDB` holds its KPiR and VAT register. The
databases are opened one after another through one `FirebirdServer`; the table map, codes and
their confidence are in `settings.py`.

Statements: the global database costs 3 (the catalogue of its two tables, the companies, the
declarations of the wanted months); each company database at most 3 (the catalogue, the KPiR
totals per month, the VAT register totals per month), whatever the number of months or rows.
A file name tried in vain (Raks3000.fdb before RAKS3000.FDB on a Linux server) costs an
attachment attempt, no statement. check(): 2 statements and 2 attachments; probe(): 5 on the
global database and 2 per company database; change_stamp(): 3 on the global database (the
catalogue, the companies, one aggregate) and one aggregate per company table (2).

Surprising parts:
- Taxes exist only for declarations added in Raks. A month without the VAT declaration its
  VAT period calls for (VAT-7 monthly, VAT-7K at a quarter's end) is reported for that company
  ("no VAT-7 declaration added for 2026-02"), and nothing is sent: never a zero. This is
  checked only for the months a run names, not when every month is read.
- Per company, tax and period the latest declaration wins (a correction first, then the latest
  added); it is a correction ("K") when the declaration says so, or, without that column,
  when several were added. A negative amount to pay is 0 (the excess is refunded or carried).
- ZUS is not read: Raks's payroll tables are not publicly known (DATA_TYPES has no "zus").
- KPiR totals are summed by the server and cast to NUMERIC(18,2): Firebird 4 would otherwise
  return INT128 for a SUM over DECIMAL. In a dialect 1 database money is a double (and that
  cast is refused): its sums are taken to whole grosze by `grosze_from_db`, which refuses
  anything that is not within a millionth of a grosz.
- Inactive (archived) companies are not read at all. A company database that is missing or
  broken is a problem for that company (its summaries are left out); a server that cannot be
  reached, or a global database that cannot be opened, raises FirebirdConnectionError.
- Company names that look decoded with the wrong charset are reported (see `charset`).
"""

import logging
import os
from collections.abc import Callable, Collection, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import quarter_end
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdDatabase,
    FirebirdServer,
)
from konekto_pipeline.sources.firebird.program import RaksProgram
from konekto_pipeline.sources.firebird.reading import (
    Row,
    Window,
    about,
    code,
    company_row,
    counts,
    database_listing,
    deadline,
    detail,
    firm_counts,
    first_day,
    flag,
    frame,
    is_absolute,
    join_path,
    last_day,
    map_listing,
    month_of,
    open_first,
    period_where,
    probe_step,
    problem,
    refuse_wrong_text,
    regon_or_none,
    require,
    span,
    table_stamps,
    tax_account,
    text_problems,
    whole_zloty,
)
from konekto_pipeline.sources.firebird.tables import (
    FirebirdTables,
    as_int,
    grosze,
    money_sum,
    text,
    user_tables,
)
from konekto_pipeline.sources.raks import settings as names
from konekto_pipeline.sources.sql.frames import UNAVAILABLE, stamp_digest
from konekto_pipeline.sources.sql.tables import SchemaMismatch

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("taxes", "summaries")


# --- what is read ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Firm:
    """A company from the global database's company list."""

    number: int
    nip: str
    name: str
    regon: str | None
    email: str | None
    phone: str | None
    active: bool
    vat_period: str | None
    legal_form: str | None
    tax_form: str | None
    database_file: str | None

    @property
    def key(self) -> str:
        return f"F{self.number:05d}"


@dataclass(frozen=True)
class _Declaration:
    firm: int
    tax: str
    period: str
    to_pay: int
    refund: int | None
    carried_forward: int | None
    correction: bool | None
    added: datetime
    row_id: int


class RaksReader:
    """Companies, taxes and summaries of every active company in a RAKS SQL data folder."""

    def __init__(self, server: FirebirdServer, settings: RaksProgram) -> None:
        self.server = server
        self.settings = settings

    # --- public ---------------------------------------------------------------------------------

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies, and taxes and summaries of `periods` (all months when None).

        Raises FirebirdConnectionError when the server or the global database cannot be read,
        SchemaMismatch when the global database has no company list.
        """
        window = Window.of(periods)
        folder = self.data_folder()
        problems: list[SourceProblem] = []
        with ExitStack() as stack:
            database = self._open_global(stack, folder)
            tables = FirebirdTables(database, names.PROGRAM, names.GLOBAL_TABLES)
            firms = self._selected(self._firms(tables, problems))
            declarations = self._declarations(tables, window, firms, problems)
            global_where = database.where
        companies = [_company_row(firm) for firm in firms]
        encoding = self.server.target.python_encoding
        problems.extend(
            text_problems(names.PROGRAM, firms, encoding, global_where, names.FIRMS.name)
        )
        taxes = _tax_rows(firms, declarations, window)
        if declarations is not None:
            problems.extend(_missing_vat(firms, taxes, window, global_where))
        summaries: list[Row] = []
        for firm in firms:
            summaries.extend(self._summaries(folder, firm, window, problems))
        data = SourceData(
            companies=frame("companies", companies),
            taxes=frame("taxes", list(taxes.values())),
            summaries=frame("summaries", summaries),
            problems=problems,
        )
        logger.info(
            "raks %s: %d companies, %d tax rows, %d summaries, %d problems",
            self.server.where(folder),
            len(data.companies),
            len(data.taxes),
            len(data.summaries),
            len(problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with what was found, or raise FirebirdConnectionError/SchemaMismatch."""
        folder = self.data_folder()
        problems: list[SourceProblem] = []
        with ExitStack() as stack:
            database = self._open_global(stack, folder)
            tables = FirebirdTables(database, names.PROGRAM, names.GLOBAL_TABLES)
            for spec in names.GLOBAL_TABLES:
                require(names.PROGRAM, tables, spec, database, "RAKS SQL's data folder")
            firms = self._firms(tables, problems)
            found = about(database)
            global_name = database.path
        refuse_wrong_text(
            names.PROGRAM,
            ((firm.number, firm.name) for firm in firms),
            self.server.target.python_encoding,
            self.settings.charset,
        )
        active = self._selected(firms)
        opened = self._first_company_opens(folder, active)
        inactive = len([firm for firm in firms if not firm.active])
        return (
            f"works: Raks on {self.server.target.server} ({found}), {global_name}: "
            f"{len(active)} active companies ({inactive} inactive){opened}"
        )

    def probe(self) -> dict[str, object]:
        """What the data folder holds, read-only: tables, companies, declaration codes, counts."""
        folder = self.data_folder()
        problems: list[SourceProblem] = []
        firms: list[_Firm] = []
        with ExitStack() as stack:
            database = self._open_global(stack, folder)
            tables = FirebirdTables(database, names.PROGRAM, names.GLOBAL_TABLES)
            global_listing = _probe_global(database, tables)
            if tables.has_table(names.FIRMS):
                try:
                    firms = self._firms(tables, problems)
                    global_listing["companies"] = _probe_firms(firms)
                except SchemaMismatch as error:
                    global_listing["companies"] = {"error": detail(error)}
        return {
            "server": self.server.target.server,
            "data_folder": folder,
            "global_database": global_listing,
            "company_databases": [
                self._probe_company(folder, firm) for firm in self._selected(firms)
            ],
            "problems": [str(problem) for problem in problems],
        }

    def change_stamp(self) -> str:
        """A digest that changes when a company, a declaration or a company's ledger or VAT
        entry is added, changed or deleted (see `table_stamps`: on Firebird 2.5 changes in
        place are not seen).

        Made of the company list (read whole, as the read does), the declarations' aggregate
        and, per active company, its ledger's and VAT register's: one aggregate per table, no
        data row read. A company database that cannot be opened is "unavailable" in it (the
        read reports it too); a server or global database that cannot be reached raises
        FirebirdConnectionError.
        """
        folder = self.data_folder()
        problems: list[SourceProblem] = []
        with ExitStack() as stack:
            database = self._open_global(stack, folder)
            tables = FirebirdTables(database, names.PROGRAM, names.GLOBAL_TABLES)
            firms = self._firms(tables, problems)
            parts = [repr(firm) for firm in firms]
            parts += table_stamps(database, [(names.DECLARATIONS, names.DECL_ID)])
        for firm in self._selected(firms):
            parts += self._company_stamps(folder, firm)
        return stamp_digest(parts)

    def data_folder(self) -> str:
        """The data folder from the settings, else a standard one found on this machine."""
        if self.settings.data_folder:
            return self.settings.data_folder
        if self.settings.is_local:
            found = detect_data_folder(names.DATA_FOLDERS)
            if found:
                return found
        why = (
            f"none of the standard folders exists here ({', '.join(names.DATA_FOLDERS)})"
            if self.settings.is_local
            else f"the server {self.settings.host} is another machine, whose folders are not seen"
        )
        raise FirebirdConnectionError(
            "no Raks data folder: set programs.raks.data_folder to the database location shown "
            f"in RAKS SQL Administrator (as the Firebird server sees it); {why}",
            names.PROGRAM,
            kind="path",
        )

    # --- global database ------------------------------------------------------------------------

    def _open_global(self, stack: ExitStack, folder: str) -> FirebirdDatabase:
        paths = [join_path(folder, name) for name in names.GLOBAL_DATABASE_NAMES]
        return open_first(self.server, stack, paths)

    def _firms(self, tables: FirebirdTables, problems: list[SourceProblem]) -> list[_Firm]:
        spec = names.FIRMS

        def report(message: str, nip: str | None = None) -> None:
            problems.append(_problem(tables.database.where, spec.name, message, nip))

        rows = tables.select(spec, (*spec.required, *spec.optional))
        firms = [firm for row in rows if (firm := _firm(row, report)) is not None]
        return sorted(firms, key=lambda firm: firm.number)

    def _selected(self, firms: list[_Firm]) -> list[_Firm]:
        wanted = self.settings.companies
        return [firm for firm in firms if firm.active and (wanted is None or firm.number in wanted)]

    def _declarations(
        self,
        tables: FirebirdTables,
        window: Window,
        firms: list[_Firm],
        problems: list[SourceProblem],
    ) -> list[_Declaration] | None:
        """Declarations of the window's months (None when the table cannot be read)."""
        spec = names.DECLARATIONS
        where = tables.database.where
        try:
            where_sql, params = period_where(
                tables, spec, names.DECL_YEAR, names.DECL_MONTH, window
            )
            rows = tables.select(spec, (*spec.required, *spec.optional), where_sql, params)
        except SchemaMismatch as error:
            problems.append(_problem(where, spec.name, f"{detail(error)}; no taxes are read"))
            return None
        known = {firm.number for firm in firms}
        declarations = []
        for row in rows:
            try:
                declaration = _declaration(row)
            except ValueError as error:
                firm_nip = _nip_of(row.get(names.DECL_FIRM), firms)
                problems.append(_problem(where, spec.name, str(error), firm_nip))
                continue
            if declaration is not None and declaration.firm in known:
                declarations.append(declaration)
        return declarations

    # --- company databases ----------------------------------------------------------------------

    def _company_paths(self, folder: str, firm: _Firm) -> list[str]:
        candidates = [firm.database_file] if firm.database_file else []
        candidates += [name.format(number=firm.number) for name in names.COMPANY_DATABASE_NAMES]
        paths = []
        for name in candidates:
            path = name if is_absolute(name) else join_path(folder, name)
            if path not in paths:
                paths.append(path)
        return paths

    def _summaries(
        self, folder: str, firm: _Firm, window: Window, problems: list[SourceProblem]
    ) -> list[Row]:
        paths = self._company_paths(folder, firm)
        try:
            with ExitStack() as stack:
                database = open_first(self.server, stack, paths)
                tables = FirebirdTables(database, names.PROGRAM, names.COMPANY_TABLES)
                try:
                    ledger = _kpir_totals(tables, window)
                    vat = _vat_totals(tables, window)
                except SchemaMismatch as error:
                    problems.append(
                        _problem(database.where, None, f"{detail(error)}; no summaries", firm.nip)
                    )
                    return []
                except ValueError as error:
                    problems.append(_problem(database.where, None, str(error), firm.nip))
                    return []
        except FirebirdConnectionError as error:
            if error.affects_server:
                raise
            problems.append(
                _problem(error.where or paths[0], None, f"{error.reason}; no summaries", firm.nip)
            )
            return []
        return _summary_rows(firm, ledger, vat, window)

    def _company_stamps(self, folder: str, firm: _Firm) -> list[str]:
        stamped = [(names.KPIR, None), (names.VAT_ENTRIES, None)]
        try:
            with ExitStack() as stack:
                database = open_first(self.server, stack, self._company_paths(folder, firm))
                return [f"{firm.key}: {part}" for part in table_stamps(database, stamped)]
        except FirebirdConnectionError as error:
            if error.affects_server:
                raise
            return [f"{firm.key}: {UNAVAILABLE}"]

    def _first_company_opens(self, folder: str, firms: list[_Firm]) -> str:
        if not firms:
            return ""
        with ExitStack() as stack:
            database = open_first(self.server, stack, self._company_paths(folder, firms[0]))
            return f"; company database {database.path} opens"

    def _probe_company(self, folder: str, firm: _Firm) -> dict[str, object]:
        listing: dict[str, object] = {"company": firm.key, "nip": firm.nip}
        try:
            with ExitStack() as stack:
                database = open_first(self.server, stack, self._company_paths(folder, firm))
                listing["database"] = database.path
                listing["tables"] = user_tables(database)
                tables = FirebirdTables(database, names.PROGRAM, names.COMPANY_TABLES)
                listing["map"] = map_listing(tables, names.COMPANY_TABLES)
        except FirebirdConnectionError as error:
            if error.affects_server:
                raise
            listing["error"] = error.reason
        return listing


# --- files ----------------------------------------------------------------------------------------


def detect_data_folder(
    candidates: Iterable[str], is_dir: Callable[[str], bool] = os.path.isdir
) -> str | None:
    """The first standard data folder that exists here; its migrated "4" twin is preferred."""
    for folder in candidates:
        migrated = folder.rstrip("\\/") + names.MIGRATED_FOLDER_SUFFIX
        if is_dir(migrated):
            return migrated
        if is_dir(folder):
            return folder
    return None


# --- rows -----------------------------------------------------------------------------------------


def _firm(row: Row, report: Callable[..., None]) -> _Firm | None:
    try:
        number = as_int(row[names.FIRM_ID], f"company number {names.FIRM_ID}")
    except ValueError as error:
        report(f"{error}; the company is skipped")
        return None
    short_name = text(row[names.FIRM_SHORT_NAME])
    name = text(row.get(names.FIRM_FULL_NAME)) or short_name
    nip = normalize_nip(text(row[names.FIRM_NIP]) or "")
    label = f"company {number} ({name or 'no name'})"
    if not nip:
        report(f"{label} has no NIP ({names.FIRM_NIP}); it is skipped")
        return None
    if not name:
        report(f"{label} has no name ({names.FIRM_SHORT_NAME}); it is skipped", nip)
        return None
    return _Firm(
        number=number,
        nip=nip,
        name=name,
        regon=regon_or_none(row.get(names.FIRM_REGON)),
        email=text(row.get(names.FIRM_EMAIL)),
        phone=text(row.get(names.FIRM_PHONE)),
        active=flag(row, names.FIRM_ACTIVE),
        vat_period=code(row, names.FIRM_VAT_PERIOD, names.VAT_PERIODS),
        legal_form=code(row, names.FIRM_LEGAL_FORM, names.LEGAL_FORMS),
        tax_form=code(row, names.FIRM_TAX_FORM, names.TAX_FORMS),
        database_file=text(row.get(names.FIRM_DATABASE)),
    )


def _declaration(row: Row) -> _Declaration | None:
    """A declaration of a known form, or None for a form the map does not name."""
    symbol = (text(row[names.DECL_SYMBOL]) or "").upper()
    tax = names.TAX_BY_SYMBOL.get(symbol)
    if tax is None:
        return None
    row_id = as_int(row[names.DECL_ID], names.DECL_ID)
    where = f"declaration {row_id} ({symbol})"
    try:
        month = month_of(row[names.DECL_YEAR], row[names.DECL_MONTH])
    except ValueError as error:
        raise ValueError(f"{where}: the period is not a month ({error})") from None
    correction = row.get(names.DECL_CORRECTION)
    added = row.get(names.DECL_ADDED)
    return _Declaration(
        firm=as_int(row[names.DECL_FIRM], names.DECL_FIRM),
        tax=tax,
        period=quarter_end(month) if tax == "VAT-7K" else month,
        to_pay=grosze(row[names.DECL_TO_PAY], f"{where} {names.DECL_TO_PAY}"),
        refund=_optional_grosze(row.get(names.DECL_REFUND), f"{where} {names.DECL_REFUND}"),
        carried_forward=_optional_grosze(
            row.get(names.DECL_CARRIED), f"{where} {names.DECL_CARRIED}"
        ),
        correction=None if correction is None else as_int(correction, names.DECL_CORRECTION) != 0,
        added=added if isinstance(added, datetime) else datetime.min,
        row_id=row_id,
    )


def _optional_grosze(value: object, where: str) -> int | None:
    return None if value is None else grosze(value, where)


def _nip_of(firm_id: object, firms: list[_Firm]) -> str | None:
    return next((firm.nip for firm in firms if firm.number == firm_id), None)


# --- taxes ----------------------------------------------------------------------------------------


def _tax_rows(
    firms: list[_Firm], declarations: list[_Declaration] | None, window: Window
) -> dict[tuple[str, str, str], Row]:
    """Per (company key, tax, period), the row of the declaration that counts."""
    by_number = {firm.number: firm for firm in firms}
    groups: dict[tuple[int, str, str], list[_Declaration]] = {}
    for declaration in declarations or []:
        if window.wants(declaration.period):
            key = (declaration.firm, declaration.tax, declaration.period)
            groups.setdefault(key, []).append(declaration)
    rows: dict[tuple[str, str, str], Row] = {}
    for (number, tax, month), found in sorted(groups.items()):
        firm = by_number[number]
        latest = max(found, key=_recency)
        correction = latest.correction if latest.correction is not None else len(found) > 1
        rows[(firm.key, tax, month)] = _tax_row(firm, latest, correction)
    return rows


def _recency(declaration: _Declaration) -> tuple[bool, datetime, int]:
    return (bool(declaration.correction), declaration.added, declaration.row_id)


def _tax_row(firm: _Firm, declaration: _Declaration, correction: bool) -> Row:
    quarterly = declaration.tax == "VAT-7K"

    return {
        **_origin(firm),
        "period": declaration.period,
        "tax": declaration.tax,
        "kind": "K" if correction else "D",
        "amount": whole_zloty(max(declaration.to_pay, 0)),
        "refund": declaration.refund,
        "carried_forward": declaration.carried_forward,
        "due_date": deadline(declaration.tax, declaration.period, None, quarterly),
        "account": tax_account(firm.nip),
    }


def _missing_vat(
    firms: list[_Firm],
    taxes: dict[tuple[str, str, str], Row],
    window: Window,
    where: str,
) -> list[SourceProblem]:
    """A problem per company and month with no VAT declaration where its VAT period needs one."""
    if window.months is None:
        return []
    problems = []
    for firm in firms:
        expected = names.EXPECTED_VAT.get(firm.vat_period or "")
        if expected is None:
            continue
        for month in sorted(window.months):
            if expected == "VAT-7K" and quarter_end(month) != month:
                continue
            if (firm.key, expected, month) not in taxes:
                message = (
                    f"no {expected} declaration added for {month}: add it in Raks; "
                    "no VAT amount is sent for that month"
                )
                problems.append(_problem(where, names.DECLARATIONS.name, message, firm.nip))
    return problems


# --- summaries ------------------------------------------------------------------------------------


def _kpir_totals(tables: FirebirdTables, window: Window) -> dict[str, dict[str, int]]:
    """Per month, revenue and costs in grosze, summed by the server."""
    spec = names.KPIR
    day = tables.column(spec, names.KPIR_DATE)
    sums = ", ".join(
        money_sum(tables.database, tables.column(spec, column))
        for column in (*names.REVENUE_COLUMNS, *names.COST_COLUMNS)
    )
    sql = (
        f"SELECT EXTRACT(YEAR FROM {day}), EXTRACT(MONTH FROM {day}), {sums} "
        f"FROM {tables.table(spec)}"
    )
    params: list[Any] = []
    bounds = window.bounds()
    if bounds is not None:
        sql += f" WHERE {day} BETWEEN ? AND ?"
        params = [first_day(bounds[0]), last_day(bounds[1])]
    sql += " GROUP BY 1, 2"
    totals = {}
    for row in tables.database.query(sql, params):
        month = month_of(row[0], row[1])
        amounts = [grosze(value, f"{spec.name} totals of {month}") for value in row[2:]]
        revenue_count = len(names.REVENUE_COLUMNS)
        totals[month] = {
            "revenue": sum(amounts[:revenue_count]),
            "costs": sum(amounts[revenue_count:]),
        }
    return totals


def _vat_totals(tables: FirebirdTables, window: Window) -> dict[str, dict[str, int]] | None:
    """Per month, output and input VAT in grosze; None without a VAT register table."""
    spec = names.VAT_ENTRIES
    if not tables.has_table(spec):
        return None
    year = tables.column(spec, names.VAT_YEAR)
    month = tables.column(spec, names.VAT_MONTH)
    register = tables.column(spec, names.VAT_REGISTER)
    amount = tables.column(spec, names.VAT_AMOUNT)
    sql = (
        f"SELECT {year}, {month}, {register}, {money_sum(tables.database, amount)} "
        f"FROM {tables.table(spec)}"
    )
    params: list[Any] = []
    bounds = window.bounds()
    if bounds is not None:
        sql += f" WHERE {year} * 100 + {month} BETWEEN ? AND ?"
        params = list(bounds)
    sql += " GROUP BY 1, 2, 3"
    totals: dict[str, dict[str, int]] = {}
    for row in tables.database.query(sql, params):
        column = names.VAT_REGISTERS.get((text(row[2]) or "").upper())
        if column is None:
            continue
        key = month_of(row[0], row[1])
        month_totals = totals.setdefault(key, {"vat_output": 0, "vat_input": 0})
        month_totals[column] += grosze(row[3], f"{spec.name} totals of {key}")
    return totals


def _summary_rows(
    firm: _Firm,
    ledger: dict[str, dict[str, int]],
    vat: dict[str, dict[str, int]] | None,
    window: Window,
) -> list[Row]:
    rows = []
    for month in sorted(ledger):
        if not window.wants(month):
            continue
        revenue, costs = ledger[month]["revenue"], ledger[month]["costs"]
        month_vat = None if vat is None else vat.get(month, {"vat_output": 0, "vat_input": 0})
        rows.append(
            {
                **_origin(firm),
                "period": month,
                "revenue": revenue,
                "costs": costs,
                "income": revenue - costs,
                "vat_output": None if month_vat is None else month_vat["vat_output"],
                "vat_input": None if month_vat is None else month_vat["vat_input"],
                "revenue_ytd": None,
                "costs_ytd": None,
            }
        )
    return rows


# --- frames and problems --------------------------------------------------------------------------


def _origin(firm: _Firm) -> dict[str, str]:
    return {"source": names.PROGRAM, "source_company_id": firm.key, "nip": firm.nip}


def _company_row(firm: _Firm) -> Row:
    return company_row(_origin(firm), firm, firm.tax_form)


_problem = partial(problem, names.PROGRAM)


# --- probe ----------------------------------------------------------------------------------------


def _probe_global(database: FirebirdDatabase, tables: FirebirdTables) -> dict[str, object]:
    listing: dict[str, object] = {
        "path": database.path,
        **database_listing(database, tables, names.GLOBAL_TABLES),
    }
    if tables.has_table(names.DECLARATIONS):
        listing["declarations"] = probe_step(lambda: _probe_declarations(tables))
    return listing


def _probe_firms(firms: list[_Firm]) -> dict[str, object]:
    return {
        **firm_counts(firms, lambda firm: firm.key),
        "tax_forms": counts(firm.tax_form for firm in firms),
    }


def _probe_declarations(tables: FirebirdTables) -> dict[str, object]:
    spec = names.DECLARATIONS
    columns = (names.DECL_SYMBOL, names.DECL_YEAR, names.DECL_MONTH, names.DECL_CORRECTION,
               names.DECL_STATUS)  # fmt: skip
    rows = tables.select(spec, columns)
    symbols = counts((text(row[names.DECL_SYMBOL]) or "").upper() for row in rows)
    return {
        "rows": len(rows),
        "symbols": symbols,
        "unmapped_symbols": sorted(set(symbols) - set(names.TAX_BY_SYMBOL)),
        "corrections": counts(_flag(row[names.DECL_CORRECTION]) for row in rows),
        "statuses": counts(text(row[names.DECL_STATUS]) for row in rows),
        "periods": span(rows, names.DECL_YEAR, names.DECL_MONTH, ("year", "month")),
    }


def _flag(value: object) -> str | None:
    return None if value is None else str(value)
