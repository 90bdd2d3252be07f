"""Reads KPR: the companies of each fiscal year's folder, their ledgers (summaries) and the
taxes to pay from the ImportDoKPR export.

KPR keeps one data folder per fiscal year (`C:\\KPR_2026`); the company list, the ledgers and
ImportDoKPR's export are read from the folder of each year a run asks for. The table map, codes
and their (low) confidence are in `settings.py`.

Surprising parts:
- A range of months across a new year reads two folders. A year whose folder is missing is a
  problem for its months and the other year is still read; FolderUnavailable only when no
  folder of the wanted years exists. With no months given, the current year (Europe/Warsaw)
  and the previous one are read; a missing previous year is no problem.
- Taxes come only from the export, which the office runs in KPR: an export that is missing is
  one problem for the year (its summaries are still read), and a company whose ledger has
  entries in a month the export has no line for is a problem for that company and month.
  Nothing is sent as zero.
- Per company, tax and month, a correction beats a first filing and a later export line an
  earlier one. A VAT-7K line stands for its quarter and carries the quarter's last month.
- Summaries are the sums of the month's ledger lines; the year-to-date sums run from January
  over every line of the year, also of months not asked for. A month with no lines has no
  summary: it may simply not be booked yet.
- A company on two years' lists is one company: its name and code come from the newest year in
  which it is active; rows of older years carry that code too.
- PIT-5, PIT-5L and PIT-28 lines are taken as monthly: a quarterly payer's line is due on the
  20th after the month it names, which is right when the export names the quarter's last
  month; nothing known in the files says who pays quarterly.
- Files are Mazovia with a zero language-driver byte as far as is known; a file whose bytes
  only make Polish words in CP852 (or that says CP852 in its header) is read as CP852.
"""

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import parse_period, period, quarter_end, quarter_of
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.files.dbf import DbfError, DbfTable, read_dbf
from konekto_pipeline.sources.files.paths import (
    AmbiguousName,
    FolderUnavailable,
    PathMap,
    check_folder,
    find_entry,
    list_entries,
)
from konekto_pipeline.sources.files.tables import (
    RECORD,
    DbfSpec,
    Encoding,
    Table,
    TableProblem,
    find_table,
    read_table,
)
from konekto_pipeline.sources.kpr import settings as names
from konekto_pipeline.sources.kpr.program import KprProgram
from konekto_pipeline.sources.sql.frames import (
    amount_to_pay,
    checked_period,
    clean_text,
    optional_zloty,
    origin,
    tax_row,
    valid_regon,
)
from konekto_pipeline.sources.sql.tables import grosze_from_db

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("taxes", "summaries")

WARSAW = ZoneInfo("Europe/Warsaw")
_PROGRAM = names.PROGRAM
_RUN_EXPORT = "run the export in KPR"


def warsaw_today() -> date:
    """Today in Poland: what "the current fiscal year" means to the office."""
    return datetime.now(WARSAW).date()


@dataclass(frozen=True)
class _Window:
    """The months a read is for: `months`, or every month of `years` when None."""

    years: tuple[int, ...]
    months: frozenset[str] | None
    quiet_years: frozenset[int] = frozenset()  # a missing folder of these is no problem

    @classmethod
    def of(cls, periods: Collection[str] | None, today: date) -> "_Window":
        if periods is None:
            return cls((today.year - 1, today.year), None, frozenset({today.year - 1}))
        months = frozenset(checked_period(item) for item in periods)
        if not months:
            # No month asked for: the companies of the current years, nothing else.
            return cls((today.year - 1, today.year), months, frozenset({today.year - 1}))
        return cls(tuple(sorted({parse_period(item)[0] for item in months})), months)

    def wants(self, item_period: str) -> bool:
        if self.months is not None:
            return item_period in self.months
        return parse_period(item_period)[0] in self.years

    def describe(self, years: tuple[int, ...]) -> str:
        if self.months is None:
            return "the months of " + ", ".join(str(year) for year in years)
        wanted = sorted(month for month in self.months if parse_period(month)[0] in years)
        return ", ".join(wanted) or "no month asked for"


@dataclass(frozen=True)
class _Folder:
    """A data folder and the fiscal years read from it; `setting` is the folder as the office
    wrote it, its year filled in."""

    setting: str
    path: Path
    years: tuple[int, ...]
    per_year: bool


@dataclass(frozen=True)
class _Firm:
    code: str
    nip: str
    name: str
    regon: str | None
    tax_form: str
    vat_period: str | None
    active: bool


@dataclass(frozen=True)
class _Export:
    """Where a year's ImportDoKPR export is: `shown` for messages, `folder` and `spec` to read."""

    shown: Path
    folder: Path
    spec: DbfSpec


@dataclass
class _Result:
    firms: dict[str, _Firm] = field(default_factory=dict)
    taxes: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Run:
    """What one read shares across its folders: the code page, the months, the problems, and
    the exports read so far (one export file may serve several years)."""

    encoding: Encoding
    window: _Window
    problems: list[SourceProblem]
    exports: dict[Path, Table | None] = field(default_factory=dict)


class KprReader:
    """Companies, taxes and ledger summaries from KPR's year folders."""

    def __init__(
        self,
        program: KprProgram,
        paths: PathMap,
        base_dir: Path,
        *,
        today: Callable[[], date] = warsaw_today,
    ) -> None:
        self.program = program
        self.paths = paths
        self.base_dir = base_dir
        self.today = today

    @property
    def encoding(self) -> Encoding:
        return Encoding(names.PROGRAM_ENCODING, self.program.configured_encoding(_PROGRAM))

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies, and taxes and summaries of `periods` (this year and last when None).

        Raises FolderUnavailable when no folder of the wanted years exists, UnmappedPath when a
        Windows folder has no local mapping.
        """
        problems: list[SourceProblem] = []
        run = _Run(self.encoding, self._window(periods), problems)
        folders = self._existing_folders(run)
        result = _Result()
        for folder in folders:
            self._read_folder(folder, run, result)
        _one_code_per_company(result)
        data = SourceData(
            companies=schema_frame("companies", [_company_row(f) for f in result.firms.values()]),
            taxes=schema_frame("taxes", result.taxes),
            summaries=schema_frame("summaries", result.summaries),
            problems=problems,
        )
        logger.info(
            "kpr: %d year folder(s) (%s): %d companies, %d tax rows, %d summaries, %d problems",
            len(folders),
            ", ".join(str(year) for folder in folders for year in folder.years),
            len(data.companies),
            len(data.taxes),
            len(data.summaries),
            len(problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with the year folders, companies and exports found, or raise
        FolderUnavailable/UnmappedPath/TableProblem with the reason."""
        run = _Run(self.encoding, _Window(self.found_years(), frozenset()), [])
        said, failures = [], []
        for folder in self._existing_folders(run):
            try:
                firms = _firm_list(folder, run)
            except TableProblem as error:
                failures.append(error)
                said.append(f"{_years(folder)}: {error.message}")
                continue
            active = sum(firm.active for firm in firms)
            exports = "; ".join(self._export_state(folder, year, run) for year in folder.years)
            said.append(
                f"{_years(folder)} ({folder.setting}): {active} active companies "
                f"({len(firms) - active} inactive), {exports}"
            )
        if len(failures) == len(said):
            raise failures[0]
        return "works: KPR " + " | ".join(said)

    def probe(self) -> dict[str, object]:
        """What the year folders hold, read-only: files with record counts, the code page
        chosen and why, fields, companies, ledger months, the export's tax codes."""
        run = _Run(self.encoding, _Window(self.found_years(), frozenset()), [])
        years: dict[str, object] = {}
        for folder in self._existing_folders(run):
            years[_years(folder)] = self._probe_folder(folder, run)
        return {
            "program": _PROGRAM,
            "folder_setting": self.program.folder,
            "export_setting": self.program.export_file,
            "program_encoding": names.PROGRAM_ENCODING,
            "configured_encoding": run.encoding.configured,
            "years": years,
            "problems": [str(problem) for problem in run.problems],
        }

    def _window(self, periods: Collection[str] | None) -> _Window:
        """The months to read; with none named, the two latest year folders that exist up to
        this year (a year not begun in KPR yet, or an office's old years, are no problem)."""
        today = self.today()
        window = _Window.of(periods, today)
        if periods:
            return window
        found = self.found_years()
        latest = ([year for year in found if year <= today.year] or list(found))[-2:]
        if not latest:
            return window
        return _Window(tuple(latest), window.months, frozenset(latest[:-1]))

    def watched_paths(self) -> list[Path]:
        """The folders whose files a change detector should watch: this year's and last year's
        data folders, and the exports' folders when they are kept elsewhere."""
        today = self.today()
        years = (today.year - 1, today.year)
        paths = [folder.path for folder in self._folders(years)]
        if self.program.export_file is not None:
            paths += [
                self.paths.to_local(names.folder_for(self.program.export_file, year), self.base_dir)
                for year in years
            ]
        return paths

    def found_years(self) -> tuple[int, ...]:
        """The fiscal years whose folders exist next to each other (`C:\\KPR_2025`,
        `C:\\KPR_2026`); this year and last when the pattern does not allow listing them."""
        pattern = self.program.folder
        split = max(pattern.rfind("\\"), pattern.rfind("/"))
        parent = pattern[:split] if split > 0 else pattern[: split + 1]  # "/" stays the root
        last = pattern[split + 1 :]
        today = self.today()
        if names.YEAR not in last or names.YEAR in parent:
            return (today.year - 1, today.year)
        folder = self.paths.to_local(parent or ".", self.base_dir)
        check_folder(folder, f"folder of the KPR year folders ({names.FOLDER_SETTING})")
        name = _year_folder_name(last)
        years = sorted(
            int(match.group(1))
            for entry in list_entries(folder, "*")
            if entry.is_dir() and (match := name.fullmatch(entry.name))
        )
        if not years:
            raise FolderUnavailable(
                f"kpr: no year folder like {pattern} in {folder} ({names.FOLDER_SETTING})"
            )
        return tuple(years)

    # --- folders ----------------------------------------------------------------------------

    def _folders(self, years: tuple[int, ...]) -> list[_Folder]:
        """The data folders of `years`, one per distinct folder, oldest year first."""
        pattern = self.program.folder
        by_path: dict[Path, tuple[str, list[int]]] = {}
        for year in sorted(years):
            setting = names.folder_for(pattern, year)
            path = self.paths.to_local(setting, self.base_dir)
            if not path.is_dir() and path.parent.is_dir():
                # Windows settings do not mind the letter case of `KPR_2026`; a Linux mount does.
                path = _entry(path.parent, path.name, want_dir=True) or path
            by_path.setdefault(path, (setting, []))[1].append(year)
        per_year = names.YEAR in pattern
        return [
            _Folder(setting, path, tuple(found), per_year)
            for path, (setting, found) in by_path.items()
        ]

    def _existing_folders(self, run: _Run) -> list[_Folder]:
        """The folders of the run's years that exist; a missing one is a problem for its
        months, and FolderUnavailable when none exists."""
        existing, missing = [], []
        for folder in self._folders(run.window.years):
            what = f"data folder for {_years(folder)} ({names.FOLDER_SETTING}: {folder.setting})"
            try:
                check_folder(folder.path, what)
            except FolderUnavailable as error:
                missing.append((folder, error))
            else:
                existing.append(folder)
        if not existing:
            raise FolderUnavailable("kpr: " + "; ".join(str(error) for _, error in missing))
        for folder, error in missing:
            if not set(folder.years) <= run.window.quiet_years:
                message = f"{error}; {run.window.describe(folder.years)} not read"
                run.problems.append(SourceProblem(_PROGRAM, folder.setting, message))
        return existing

    def _export(self, folder: _Folder, year: int) -> _Export:
        """Where the export of `year` is: `export_file` from the settings, else in the folder."""
        if self.program.export_file is not None:
            shown = self.paths.to_local(
                names.folder_for(self.program.export_file, year), self.base_dir
            )
            return _Export(shown, shown.parent, replace(names.EXPORT, file=shown.name))
        subfolder = _entry(folder.path, names.EXPORT_SUBFOLDER, want_dir=True)
        subfolder = subfolder or folder.path / names.EXPORT_SUBFOLDER
        return _Export(subfolder / names.EXPORT_FILE, subfolder, names.EXPORT)

    def _export_state(self, folder: _Folder, year: int, run: _Run) -> str:
        export = self._export(folder, year)
        if _export_file(export) is None:
            return f"no ImportDoKPR export for {year} at {export.shown}"
        table = _export_table(export, run, (year,))
        if table is None:
            return f"the ImportDoKPR export for {year} cannot be read ({export.shown})"
        return f"ImportDoKPR export for {year} found ({len(table.rows)} lines)"

    # --- reading a folder -------------------------------------------------------------------

    def _read_folder(self, folder: _Folder, run: _Run, result: _Result) -> None:
        try:
            firms = _firm_list(folder, run)
        except TableProblem as error:
            consequence = f"no companies, taxes or summaries of {_years(folder)} are read"
            run.problems.append(_with_consequence(error, consequence))
            return
        active = [firm for firm in firms if firm.active]
        ledgers = {firm.nip: _ledger(folder, firm, run) for firm in active}
        for firm in active:
            result.firms[firm.nip] = firm
            result.summaries.extend(_summary_rows(firm, ledgers[firm.nip] or {}, run.window))
        by_nip = {firm.nip: firm for firm in firms}
        for export, years in self._exports(folder):
            table = _export_table(export, run, years)
            if table is None:
                continue
            taxes, covered = _taxes(table, years, by_nip, run)
            result.taxes.extend(taxes)
            _say_months_without_taxes(table, years, active, ledgers, covered, run)

    def _exports(self, folder: _Folder) -> list[tuple[_Export, tuple[int, ...]]]:
        """The exports of the folder's years; one file may serve several years."""
        exports: dict[Path, tuple[_Export, list[int]]] = {}
        for year in folder.years:
            export = self._export(folder, year)
            exports.setdefault(export.shown, (export, []))[1].append(year)
        return [(export, tuple(years)) for export, years in exports.values()]

    # --- probe ------------------------------------------------------------------------------

    def _probe_folder(self, folder: _Folder, run: _Run) -> dict[str, object]:
        listing: dict[str, object] = {"folder": str(folder.path), "setting": folder.setting}
        firms_file = _entry(folder.path, names.FIRMS.file, want_dir=False)
        listing["company_list"] = _probe_dbf(firms_file, names.FIRMS, run.encoding)[0]
        try:
            firms = _firm_list(folder, run)
        except TableProblem as error:
            firms = []
            run.problems.append(error.problem())
        listing["companies"] = [_probe_firm(firm) for firm in firms]
        listing["ledgers"] = {
            firm.code: _probe_ledger(folder, firm, run.encoding) for firm in firms
        }
        listing["exports"] = {
            str(year): _probe_export(self._export(folder, year), run.encoding)
            for year in folder.years
        }
        return listing


def _year_folder_name(name: str) -> re.Pattern[str]:
    """`KPR_{year}` as a pattern matching `KPR_2026` in any letter case, the year its group."""
    parts = re.split(r"(\{year\})", name)
    text = "".join(r"(\d{4})" if part == names.YEAR else re.escape(part) for part in parts)
    return re.compile(text, re.IGNORECASE)


# --- companies --------------------------------------------------------------------------------


def _firm_list(folder: _Folder, run: _Run) -> list[_Firm]:
    """The year's companies, active or not; TableProblem when the list cannot be read."""
    table = _read(folder.path, names.FIRMS, run)
    firms: list[_Firm] = []
    codes: dict[str, str] = {}
    for row in table.rows:
        firm = _firm(row, table, run)
        if firm is None:
            continue
        if firm.nip in codes:
            message = (
                f"{names.FIRMS.title}: companies {codes[firm.nip]} and {firm.code} have the same "
                f"NIP; {firm.code} is skipped"
            )
            run.problems.append(SourceProblem(_PROGRAM, str(table.path), message, firm.nip))
            continue
        codes[firm.nip] = firm.code
        firms.append(firm)
    return firms


def _firm(row: dict[str, Any], table: Table, run: _Run) -> _Firm | None:
    code = clean_text(row["code"])
    name = clean_text(row["name"])
    nip = normalize_nip(clean_text(row["nip"]) or "")
    if not code or not nip or not name:
        given = {"code": code, "nip": nip, "name": name}
        fields = ", ".join(
            names.FIRMS.fields[meaning] for meaning, value in given.items() if not value
        )
        who = name or code or "the company"
        _record_problem(run, table, row, fields, f"{who} has no {fields}", nip)
        return None
    return _Firm(
        code=code,
        nip=nip,
        name=name,
        regon=valid_regon(row.get("regon")),
        tax_form="ryczalt" if row.get("ryczalt") else "kpir",
        vat_period=_vat_period(row, table, run, nip),
        active=row.get("active") is not False,
    )


def _vat_period(row: dict[str, Any], table: Table, run: _Run, nip: str) -> str | None:
    code = (clean_text(row.get("vat")) or "").upper()
    if not code:
        return None
    if code not in names.VAT_PERIODS:
        field_name = names.FIRMS.fields["vat"]
        message = f"VAT code {code!r} is not one of {', '.join(names.VAT_PERIODS)}; read as none"
        run.problems.append(
            SourceProblem(
                _PROGRAM,
                str(table.path),
                f"{names.FIRMS.title}: record {row[RECORD]}, field {field_name}: {message}",
                nip,
            )
        )
        return None
    return names.VAT_PERIODS[code]


def _company_row(firm: _Firm) -> dict[str, Any]:
    return {
        **origin(_PROGRAM, firm.code, firm.nip),
        "name": firm.name,
        "regon": firm.regon,
        "email": None,
        "phone": None,
        "legal_form": None,
        "tax_form": firm.tax_form,
        "vat_period": firm.vat_period,
    }


def _one_code_per_company(result: _Result) -> None:
    """Rows of every year carry the company's code of the newest year it is active in."""
    for row in (*result.taxes, *result.summaries):
        row["source_company_id"] = result.firms[row["nip"]].code


# --- ledgers and summaries --------------------------------------------------------------------


def _ledger(folder: _Folder, firm: _Firm, run: _Run) -> dict[str, tuple[int, int]] | None:
    """Revenue and costs (grosze) per month of the folder's years; None when unreadable."""
    consequence = f"no summaries of {_years(folder)} for {firm.name}"
    subfolder = _entry(folder.path, firm.code, want_dir=True)
    if subfolder is None:
        message = f"the company's folder {firm.code} is not there; {consequence}"
        run.problems.append(
            SourceProblem(_PROGRAM, str(folder.path / firm.code), message, firm.nip)
        )
        return None
    try:
        table = _read(subfolder, names.LEDGER, run, firm.nip)
    except TableProblem as error:
        run.problems.append(_with_consequence(error, consequence, firm.nip))
        return None
    sums: dict[str, tuple[int, int]] = {}
    outside = 0
    for row in table.rows:
        line = _ledger_line(row, table, run, firm.nip)
        if line is None:
            continue
        day, revenue, costs = line
        if day.year not in folder.years:
            outside += 1
            continue
        month = period(day.year, day.month)
        before = sums.get(month, (0, 0))
        sums[month] = (before[0] + revenue, before[1] + costs)
    if outside and folder.per_year:
        message = (
            f"{names.LEDGER.title}: {outside} line(s) dated outside {_years(folder)} are not "
            "counted (the year's folder should hold its own year)"
        )
        run.problems.append(SourceProblem(_PROGRAM, str(table.path), message, firm.nip))
    return sums


def _ledger_line(
    row: dict[str, Any], table: Table, run: _Run, nip: str
) -> tuple[date, int, int] | None:
    day = row["date"]
    if day is None:
        date_field = names.LEDGER.fields["date"]
        _record_problem(run, table, row, date_field, "the line has no date", nip)
        return None
    amounts = []
    for meaning in ("revenue", "costs"):
        try:
            amounts.append(grosze_from_db(row[meaning], "the amount"))
        except ValueError as error:
            _record_problem(run, table, row, names.LEDGER.fields[meaning], str(error), nip)
            return None
    return day, amounts[0], amounts[1]


def _summary_rows(
    firm: _Firm, sums: dict[str, tuple[int, int]], window: _Window
) -> list[dict[str, Any]]:
    rows = []
    running: dict[str, tuple[int, int]] = {}
    for month in sorted(sums):
        revenue, costs = sums[month]
        year = month[:4]
        before = running.get(year, (0, 0))
        running[year] = (before[0] + revenue, before[1] + costs)
        if window.wants(month):
            rows.append(
                {
                    **origin(_PROGRAM, firm.code, firm.nip),
                    "period": month,
                    "revenue": revenue,
                    "costs": costs,
                    "income": revenue - costs,
                    "vat_output": None,
                    "vat_input": None,
                    "revenue_ytd": running[year][0],
                    "costs_ytd": running[year][1],
                }
            )
    return rows


# --- the ImportDoKPR export and taxes ---------------------------------------------------------


def _export_table(export: _Export, run: _Run, years: tuple[int, ...] = ()) -> Table | None:
    """The export's rows, read once per run; None (and one problem) when it cannot be used."""
    if export.shown in run.exports:
        return run.exports[export.shown]
    table = None
    which = ", ".join(str(year) for year in years) or "the year"
    if _export_file(export) is None:
        message = (
            f"ImportDoKPR export not found at {export.shown}: {_RUN_EXPORT} (or set "
            f"{names.EXPORT_SETTING}); no taxes of {which} are read"
        )
        run.problems.append(SourceProblem(_PROGRAM, str(export.shown), message))
    else:
        try:
            table = _read(export.folder, export.spec, run)
        except TableProblem as error:
            run.problems.append(_with_consequence(error, f"no taxes of {which} are read"))
    run.exports[export.shown] = table
    return table


@dataclass(frozen=True)
class _TaxLine:
    period: str
    tax: str
    month: str  # the line's own month: a VAT-7K line may name any month of its quarter


def _taxes(
    table: Table, years: tuple[int, ...], firms: dict[str, _Firm], run: _Run
) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """Tax rows of the wanted months (the winning line per company, tax and month) and, per
    company, every month the export covers."""
    best: dict[tuple[str, str, str], tuple[tuple[bool, int], dict[str, Any]]] = {}
    covered: dict[str, set[str]] = defaultdict(set)
    strangers: Counter[str] = Counter()
    unknown_codes: Counter[str] = Counter()
    for row in table.rows:
        line = _tax_line(row, table, run, years, unknown_codes)
        if line is None:
            continue
        nip = normalize_nip(clean_text(row["nip"]) or "")
        firm = firms.get(nip)
        if firm is None:
            strangers[nip] += 1
            continue
        if not firm.active:
            continue
        covered[nip].update(_months_covered(line))
        if not run.window.wants(line.period):
            continue
        tax = _tax_row(row, table, run, firm, line)
        if tax is not None:
            key = (nip, line.period, line.tax)
            rank = (bool(row.get("correction")), row[RECORD])
            if key not in best or rank > best[key][0]:
                best[key] = (rank, tax)
    _say_strangers(table, strangers, run)
    _say_unknown_codes(table, unknown_codes, run)
    return [row for _, row in best.values()], covered


def _tax_line(
    row: dict[str, Any],
    table: Table,
    run: _Run,
    years: tuple[int, ...],
    unknown_codes: Counter[str],
) -> _TaxLine | None:
    """The line's tax and month; None when it is not one of `years` or cannot be read."""
    try:
        month = period(_whole(row["year"]), _whole(row["month"]))
    except (TypeError, ValueError):
        fields = f"{names.EXPORT.fields['year']}/{names.EXPORT.fields['month']}"
        message = f"{row['year']!r}-{row['month']!r} is not a month"
        _record_problem(run, table, row, fields, message, _row_nip(row))
        return None
    if parse_period(month)[0] not in years:
        return None
    code = clean_text(row["tax"]) or ""
    tax = names.TAX_CODES.get(names.tax_code(code))
    if tax is None:
        unknown_codes[code] += 1
        return None
    item_period = quarter_end(month) if tax in names.QUARTERLY_TAXES else month
    return _TaxLine(item_period, tax, month)


def _whole(value: object) -> int:
    if not isinstance(value, Decimal) or value != value.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _months_covered(line: _TaxLine) -> set[str]:
    if line.tax not in names.QUARTERLY_TAXES:
        return {line.month}
    year, _ = parse_period(line.month)
    first = (quarter_of(line.month) - 1) * 3 + 1
    return {period(year, month) for month in range(first, first + 3)}


def _tax_row(
    row: dict[str, Any], table: Table, run: _Run, firm: _Firm, line: _TaxLine
) -> dict[str, Any] | None:
    amounts: dict[str, int | None] = {}
    for meaning, read in (
        ("to_pay", amount_to_pay),
        ("refund", optional_zloty),
        ("carried_forward", optional_zloty),
    ):
        try:
            amounts[meaning] = read(row.get(meaning), "the line")
        except ValueError as error:
            field_name = names.EXPORT.fields[meaning]
            _record_problem(run, table, row, field_name, str(error), firm.nip)
            return None
    return tax_row(
        origin(_PROGRAM, firm.code, firm.nip),
        line.period,
        line.tax,
        "K" if row.get("correction") else "D",
        amounts["to_pay"] or 0,
        refund=amounts["refund"],
        carried_forward=amounts["carried_forward"],
    )


def _say_months_without_taxes(
    table: Table,
    years: tuple[int, ...],
    firms: list[_Firm],
    ledgers: dict[str, dict[str, tuple[int, int]] | None],
    covered: dict[str, set[str]],
    run: _Run,
) -> None:
    """A problem per company and wanted month with ledger entries but no line in the export."""
    for firm in firms:
        booked = ledgers.get(firm.nip) or {}
        for month in sorted(booked):
            if parse_period(month)[0] not in years or not run.window.wants(month):
                continue
            if month not in covered.get(firm.nip, set()):
                message = (
                    f"no taxes in the ImportDoKPR export for {month}, though the ledger has "
                    f"entries for it: {_RUN_EXPORT} for the month"
                )
                run.problems.append(SourceProblem(_PROGRAM, str(table.path), message, firm.nip))


def _say_strangers(table: Table, strangers: Counter[str], run: _Run) -> None:
    for nip, count in sorted(strangers.items()):
        message = (
            f"{table.spec.title}: {count} line(s) for NIP {nip or '(empty)'}, which is on no "
            f"company list ({names.FIRMS.file}) of the year; they are skipped: add the company "
            "in KPR or correct the NIP"
        )
        run.problems.append(SourceProblem(_PROGRAM, str(table.path), message, nip or None))


def _say_unknown_codes(table: Table, codes: Counter[str], run: _Run) -> None:
    for code, count in sorted(codes.items()):
        message = (
            f"{table.spec.title}: {count} line(s) with tax code {code!r} "
            f"({names.EXPORT.fields['tax']}), which the table map does not know; they are "
            "skipped: add the code to TAX_CODES in konekto_pipeline/sources/kpr/settings.py"
        )
        run.problems.append(SourceProblem(_PROGRAM, str(table.path), message))


# --- probe ------------------------------------------------------------------------------------


def _probe_dbf(
    path: Path | None, spec: DbfSpec, encoding: Encoding
) -> tuple[dict[str, object], DbfTable | None]:
    """A file's record counts, code page (and why), fields, and the map's fields it lacks."""
    if path is None:
        return {"file": spec.file, "error": "not found"}, None
    try:
        dbf = read_dbf(path, program_encoding=encoding.program, encoding=encoding.configured)
    except DbfError as error:
        return {"path": str(path), "error": str(error)}, None
    listing: dict[str, object] = {
        "path": str(path),
        "records": len(dbf.rows) + len(dbf.problems),  # live records, readable or not
        "deleted": dbf.deleted,
        "unreadable_records": len(dbf.problems),
        "language_driver": f"0x{dbf.language_driver:02X}",
        "encoding": dbf.encoding.encoding,
        "encoding_reason": dbf.encoding.reason,
        "fields": list(dbf.field_names),
        "missing_fields": [name for name in spec.fields.values() if not dbf.has(name)],
    }
    return listing, dbf


def _probe_firm(firm: _Firm) -> dict[str, object]:
    return {
        "code": firm.code,
        "nip": firm.nip,
        "name": firm.name,
        "tax_form": firm.tax_form,
        "vat_period": firm.vat_period,
        "active": firm.active,
    }


def _probe_ledger(folder: _Folder, firm: _Firm, encoding: Encoding) -> dict[str, object]:
    subfolder = _entry(folder.path, firm.code, want_dir=True)
    path = None if subfolder is None else _entry(subfolder, names.LEDGER.file, want_dir=False)
    listing, dbf = _probe_dbf(path, names.LEDGER, encoding)
    if dbf is None:
        return {**listing, "expected_at": str(folder.path / firm.code / names.LEDGER.file)}
    fields = names.LEDGER.fields
    days = [row.get(fields["date"]) for row in dbf.rows]
    months = Counter(period(day.year, day.month) for day in days if isinstance(day, date))
    memos = sum(1 for row in dbf.rows if clean_text(row.get(fields["memo"])))
    return {**listing, "lines_by_month": dict(sorted(months.items())), "lines_with_memo": memos}


def _probe_export(export: _Export, encoding: Encoding) -> dict[str, object]:
    listing, dbf = _probe_dbf(_export_file(export), export.spec, encoding)
    if dbf is None:
        return {**listing, "expected_at": str(export.shown)}
    fields = names.EXPORT.fields
    codes = Counter(clean_text(row.get(fields["tax"])) or "" for row in dbf.rows)
    periods = sorted(
        f"{int(year):04d}-{int(month):02d}"
        for row in dbf.rows
        if isinstance(year := row.get(fields["year"]), Decimal)
        and isinstance(month := row.get(fields["month"]), Decimal)
    )
    return {
        **listing,
        "tax_codes": {code: codes[code] for code in sorted(codes)},
        "mapped_to": {code: names.TAX_CODES.get(names.tax_code(code)) for code in sorted(codes)},
        "periods": [periods[0], periods[-1]] if periods else [],
    }


# --- files and problems -----------------------------------------------------------------------


def _read(folder: Path, spec: DbfSpec, run: _Run, nip: str | None = None) -> Table:
    """One table of the program; TableProblem when it cannot be used."""
    try:
        return read_table(_PROGRAM, folder, spec, run.encoding, run.problems, nip=nip)
    except AmbiguousName as error:
        raise TableProblem(_PROGRAM, str(folder), f"{spec.title}: {error}") from None


def _entry(folder: Path, name: str, *, want_dir: bool) -> Path | None:
    """An entry of a folder in any letter case; None also when two differ only by case."""
    try:
        return find_entry(folder, name, want_dir=want_dir)
    except (AmbiguousName, OSError):
        return None


def _export_file(export: _Export) -> Path | None:
    """The export's file in any letter case; None when it or its folder is not there."""
    if not export.folder.is_dir():
        return None
    try:
        return find_table(export.folder, export.spec)
    except (AmbiguousName, OSError):
        return None


def _with_consequence(
    error: TableProblem, consequence: str, nip: str | None = None
) -> SourceProblem:
    return SourceProblem(error.program, error.where, f"{error.message}; {consequence}", nip)


def _record_problem(
    run: _Run, table: Table, row: dict[str, Any], fields: str, message: str, nip: str | None
) -> None:
    text = f"{table.spec.title}: record {row[RECORD]}, field {fields}: {message} (record skipped)"
    run.problems.append(SourceProblem(_PROGRAM, str(table.path), text, nip or None))


def _row_nip(row: dict[str, Any]) -> str | None:
    return normalize_nip(clean_text(row.get("nip")) or "") or None


def _years(folder: _Folder) -> str:
    return ", ".join(str(year) for year in folder.years)
