"""Reads Fakt: its companies, the saved "taxes to pay" reports and the generated declarations.

Only what the office saved in Fakt's "taxes to pay" report (Podatki do zapłaty) is the truth
for a month: ZUS, VAT-7/VAT-7K, PIT-4, PIT-5, PIT-8A and PIT-28 come from its lines, and a VAT
amount also needs the VAT declaration generated for that month. The table map, codes and their
(low) confidence are in `settings.py`.

Statements: 4 per read, whatever the number of companies and months (the catalogue of the
three tables, the companies, the report lines of the wanted months, the declarations of the
wanted months), in one database. check(): 3; probe(): 6; change_stamp(): 3 aggregates.

Surprising parts:
- For each company and month that a run names, what is missing is said: no report saved for
  the month; VAT in the report but no declaration generated (VAT not sent); a declaration but
  no VAT line in the saved report (save the report again; VAT not sent); neither, for a VAT
  payer. Nothing is sent as zero.
- A month's report may have been saved several times: the lines of the latest save count (by
  DATA_ZAPISU; without that column, the latest line per item).
- ZUS comes as its parts (social, health, Labour Fund): a DRA-like row is built with their sum
  as the total, declaration number 1. A report with a single ZUS total is reported and not
  loaded: its parts cannot be told. The ZUS account is never derived.
- VAT is a correction ("K") when the latest generated declaration of the month is one; the
  other taxes come from the report alone and are "D".
- The database path: `database` from the settings, else (local server) looked for in the
  install folder; a server that cannot be reached raises FirebirdConnectionError.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.fakt import report
from konekto_pipeline.sources.fakt import settings as names
from konekto_pipeline.sources.firebird.connection import (
    FirebirdConnectionError,
    FirebirdServer,
)
from konekto_pipeline.sources.firebird.program import FaktProgram
from konekto_pipeline.sources.firebird.reading import (
    Row,
    Window,
    about,
    code,
    company_row,
    counts,
    database_listing,
    detail,
    firm_counts,
    flag,
    frame,
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
)
from konekto_pipeline.sources.firebird.tables import FirebirdTables, as_int, text
from konekto_pipeline.sources.sql.frames import StampedTable, stamp_digest
from konekto_pipeline.sources.sql.tables import SchemaMismatch, TableSpec

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("zus", "taxes")

# The tables a change stamp counts, with the key whose highest value it takes on Firebird 2.5.
_STAMPED_TABLES: tuple[StampedTable, ...] = (
    (names.FIRMS, names.FIRM_ID),
    (names.REPORT, names.REPORT_ID),
    (names.DECLARATIONS, names.DECL_ID),
)


@dataclass(frozen=True)
class _Firm:
    id: int
    nip: str
    name: str
    regon: str | None
    email: str | None
    phone: str | None
    active: bool
    vat_period: str | None
    legal_form: str | None
    account: str | None


class FaktReader:
    """Companies, ZUS and taxes from Fakt's database."""

    def __init__(self, server: FirebirdServer, settings: FaktProgram) -> None:
        self.server = server
        self.settings = settings

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies, and ZUS and taxes of `periods` (all months when None).

        Raises FirebirdConnectionError when the server or database cannot be read, and
        SchemaMismatch when the company list is not there.
        """
        window = Window.of(periods)
        path = self.database_path()
        problems: list[SourceProblem] = []
        with self.server.connect(path) as database:
            tables = FirebirdTables(database, names.PROGRAM, names.TABLES)
            firms = [firm for firm in _firms(tables, problems) if firm.active]
            line_rows = _select(tables, names.REPORT, _LINE_COLUMNS, window, problems)
            declaration_rows = _select(
                tables, names.DECLARATIONS, _DECLARATION_COLUMNS, window, problems
            )
            where = database.where
        encoding = self.server.target.python_encoding
        problems.extend(text_problems(names.PROGRAM, firms, encoding, where, names.FIRMS.name))

        def say(nip: str | None, message: str) -> None:
            problems.append(_problem(where, None, message, nip))

        lines = report.report_lines(line_rows, window, say)
        declared = report.generated_declarations(declaration_rows, window, say)
        companies = [
            report.Company(firm.id, firm.nip, firm.legal_form, firm.vat_period, firm.account)
            for firm in firms
        ]
        zus, taxes = report.zus_and_taxes(companies, lines, declared, window, say)
        data = SourceData(
            companies=frame("companies", [_company_row(firm) for firm in firms]),
            zus=zus,
            taxes=taxes,
            problems=problems,
        )
        logger.info(
            "fakt %s: %d companies, %d ZUS rows, %d tax rows, %d problems",
            where,
            len(data.companies),
            len(data.zus),
            len(data.taxes),
            len(problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with what was found, or raise FirebirdConnectionError/SchemaMismatch."""
        path = self.database_path()
        problems: list[SourceProblem] = []
        with self.server.connect(path) as database:
            tables = FirebirdTables(database, names.PROGRAM, names.TABLES)
            for spec in names.TABLES:
                require(names.PROGRAM, tables, spec, database, "Fakt's database")
            firms = _firms(tables, problems)
            saved = _report_months(tables)
            found = about(database)
        refuse_wrong_text(
            names.PROGRAM,
            ((firm.id, firm.name) for firm in firms),
            self.server.target.python_encoding,
            self.settings.charset,
        )
        active = len([firm for firm in firms if firm.active])
        span = f", reports saved for {saved[0]} to {saved[-1]}" if saved else ", no report saved"
        return (
            f"works: Fakt database {path} on {self.server.target.server} ({found}): "
            f"{active} active companies ({len(firms) - active} inactive){span}"
        )

    def probe(self) -> dict[str, object]:
        """What the database holds, read-only: tables, companies, report and declaration codes."""
        path = self.database_path()
        problems: list[SourceProblem] = []
        with self.server.connect(path) as database:
            tables = FirebirdTables(database, names.PROGRAM, names.TABLES)
            listing: dict[str, object] = {
                "server": self.server.target.server,
                "database": path,
                **database_listing(database, tables, names.TABLES),
            }
            listing["companies"] = probe_step(lambda: _probe_firms(_firms(tables, problems)))
            listing["report"] = probe_step(lambda: _probe_report(tables))
            listing["declarations"] = probe_step(lambda: _probe_declarations(tables))
        listing["problems"] = [str(problem) for problem in problems]
        return listing

    def change_stamp(self) -> str:
        """A digest that changes when a company, a saved report line or a generated declaration
        is added, changed or deleted (see `table_stamps`: on Firebird 2.5 changes in place are
        not seen). One aggregate per table, no data row read; raises FirebirdConnectionError
        when the server or database cannot be reached."""
        with self.server.connect(self.database_path()) as database:
            return stamp_digest(table_stamps(database, _STAMPED_TABLES))

    def database_path(self) -> str:
        """The database as the server sees it: from the settings, else found in the install
        folder of a local installation."""
        if self.settings.database:
            return self.settings.database
        folder = Path(self.settings.install_folder or "")
        found = find_database(folder)
        if isinstance(found, str):
            return found
        what = f"several candidates ({', '.join(found)})" if found else "no database file there"
        raise FirebirdConnectionError(
            f"Fakt's database was not found in {folder} ({what}): set programs.fakt.database "
            "to its path as shown in Fakt's server settings",
            names.PROGRAM,
            kind="path",
        )


def find_database(install_folder: Path) -> str | list[str]:
    """The database file of a local Fakt install, or why not: the candidates that exist (several
    or none) as a list."""
    for relative in names.DATABASE_CANDIDATES:
        candidate = install_folder / relative
        if candidate.is_file():
            return str(candidate)
    folders = [install_folder, *(install_folder / sub for sub in names.DATA_SUBFOLDERS)]
    files = sorted(
        str(path)
        for folder in folders
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() in names.DATABASE_SUFFIXES
    )
    return files[0] if len(files) == 1 else files


# --- rows -----------------------------------------------------------------------------------------


def _firms(tables: FirebirdTables, problems: list[SourceProblem]) -> list[_Firm]:
    spec = names.FIRMS
    firms = []
    for row in tables.select(spec, (*spec.required, *spec.optional)):
        firm = _firm(row, tables.database.where, problems)
        if firm is not None:
            firms.append(firm)
    return sorted(firms, key=lambda firm: firm.id)


def _firm(row: Row, where: str, problems: list[SourceProblem]) -> _Firm | None:
    table = names.FIRMS.name
    try:
        firm_id = as_int(row[names.FIRM_ID], names.FIRM_ID)
    except ValueError as error:
        problems.append(_problem(where, table, f"{error}; the company is skipped"))
        return None
    name = text(row.get(names.FIRM_NAME)) or text(row[names.FIRM_SHORT_NAME])
    nip = normalize_nip(text(row[names.FIRM_NIP]) or "")
    if not nip:
        message = f"company {firm_id} ({name or 'no name'}) has no NIP; it is skipped"
        problems.append(_problem(where, table, message))
        return None
    if not name:
        problems.append(_problem(where, table, f"company {firm_id} has no name; skipped", nip))
        return None
    return _Firm(
        id=firm_id,
        nip=nip,
        name=name,
        regon=regon_or_none(row.get(names.FIRM_REGON)),
        email=text(row.get(names.FIRM_EMAIL)),
        phone=text(row.get(names.FIRM_PHONE)),
        active=flag(row, names.FIRM_ACTIVE),
        vat_period=code(row, names.FIRM_VAT_PERIOD, names.VAT_PERIODS),
        legal_form=code(row, names.FIRM_LEGAL_FORM, names.LEGAL_FORMS),
        account=tax_account(nip),
    )


def _period_where(tables: FirebirdTables, spec: TableSpec, window: Window) -> tuple[str, list]:
    year = names.REPORT_YEAR if spec is names.REPORT else names.DECL_YEAR
    month = names.REPORT_MONTH if spec is names.REPORT else names.DECL_MONTH
    return period_where(tables, spec, year, month, window)


_LINE_COLUMNS = (
    names.REPORT_ID,
    names.REPORT_FIRM,
    names.REPORT_YEAR,
    names.REPORT_MONTH,
    names.REPORT_SYMBOL,
    names.REPORT_AMOUNT,
    names.REPORT_SAVED,
)
_DECLARATION_COLUMNS = (
    names.DECL_ID,
    names.DECL_FIRM,
    names.DECL_YEAR,
    names.DECL_MONTH,
    names.DECL_SYMBOL,
    names.DECL_CORRECTION,
    names.DECL_GENERATED,
)
_CONSEQUENCES = {
    names.REPORT.name: "no ZUS or taxes are read",
    names.DECLARATIONS.name: "VAT cannot be checked against declarations and is not sent",
}


def _select(
    tables: FirebirdTables,
    spec: TableSpec,
    columns: tuple[str, ...],
    window: Window,
    problems: list[SourceProblem],
) -> list[tuple[Any, ...]]:
    """Rows of the window's months (a quarter more at the start, for quarterly items); none,
    and a problem saying what follows, when the table or a required column is missing."""
    try:
        where_sql, params = _period_where(tables, spec, window)
        return tables.select_rows(spec, columns, where_sql, params)
    except SchemaMismatch as error:
        message = f"{detail(error)}; {_CONSEQUENCES[spec.name]}"
        problems.append(_problem(tables.database.where, None, message))
        return []


def _origin(firm: _Firm) -> dict[str, str]:
    return {"source": names.PROGRAM, "source_company_id": str(firm.id), "nip": firm.nip}


def _company_row(firm: _Firm) -> Row:
    return company_row(_origin(firm), firm, None)


_problem = partial(problem, names.PROGRAM)


def _report_months(tables: FirebirdTables) -> list[str]:
    spec = names.REPORT
    year = tables.column(spec, names.REPORT_YEAR)
    month = tables.column(spec, names.REPORT_MONTH)
    rows = tables.database.query(
        f"SELECT MIN({year} * 100 + {month}), MAX({year} * 100 + {month}) FROM {tables.table(spec)}"
    )
    low, high = rows[0]
    if low is None:
        return []
    return [f"{int(value) // 100:04d}-{int(value) % 100:02d}" for value in (low, high)]


# --- probe ----------------------------------------------------------------------------------------


def _probe_firms(firms: list[_Firm]) -> dict[str, object]:
    return firm_counts(firms, lambda firm: str(firm.id))


def _probe_report(tables: FirebirdTables) -> dict[str, object]:
    spec = names.REPORT
    rows = tables.select(spec, (names.REPORT_SYMBOL, names.REPORT_YEAR, names.REPORT_MONTH))
    symbols = counts((text(row[names.REPORT_SYMBOL]) or "").upper() for row in rows)
    known = {*names.TAX_BY_REPORT_SYMBOL, *names.ZUS_BY_REPORT_SYMBOL, *names.ZUS_TOTAL_SYMBOLS}
    return {
        "rows": len(rows),
        "symbols": symbols,
        "unmapped_symbols": sorted(set(symbols) - known),
        "periods": span(rows, names.REPORT_YEAR, names.REPORT_MONTH),
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
        "unmapped_symbols": sorted(set(symbols) - set(names.VAT_BY_DECLARATION_SYMBOL)),
        "corrections": counts(row[names.DECL_CORRECTION] for row in rows),
        "statuses": counts(text(row[names.DECL_STATUS]) for row in rows),
        "periods": span(rows, names.DECL_YEAR, names.DECL_MONTH),
    }
