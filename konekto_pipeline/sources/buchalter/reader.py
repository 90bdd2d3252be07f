"""Reads Buchalter (GrafSoft): companies, ZUS, taxes and KPiR summaries from its data folder.

The data folder (`C:\\BUCH` by default) holds one subfolder per company; a subfolder is a
company when it holds the company file. Most tables are per year (`b5dekl25.dbf`), so a range of
months across a new year reads both years' files. The table map, the codes and their (low)
confidence are in `settings.py`.

Surprising parts:
- ZUS is one row per company and month: the partners' contributions from Buchalter's ZUS
  register plus the employees' export, which Buchalter writes only when the accountant confirms
  it while generating the ZUS declaration report. For a company that employs staff and has no
  export for a month, that month's ZUS is not sent (a total without the employees would be
  wrong) and the problem names the file expected. The latest register line of each partner and
  month counts (a correction replaces the line it corrects); a correction makes the row "K".
- A month whose data has a line that cannot be read (a `**` overflow in an amount, a bad date)
  is not sent for that data type, and says so: a total without that line would be wrong. For
  the KPiR the year-to-date sums of the later months are left empty for the same reason.
- Taxes come from the declarations generated in Buchalter; the latest declaration of a tax and
  month counts. A VAT-7K carries the quarter's last month.
- Summaries come from the KPiR only; a ryczałt or full-books company has none (the files of
  their registers are not known). A month after the last KPiR entry gets no summary.
- The code page of each company's other files defaults to the one its company file (with the
  company's Polish name in it) was found to be in; each file's own bytes are still checked.
  A file whose character fields hold no Polish letters but whose memos do (in a DOS code page)
  is read right only through its company's default or the `encoding` setting.
- A missing year file (or one that cannot be read) is a problem of that company and those
  months; the other companies, and the company's other data, carry on.
"""

import logging
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import parse_period, period, quarter_end
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.buchalter import settings as names
from konekto_pipeline.sources.buchalter.program import BuchalterProgram
from konekto_pipeline.sources.files.dbf import DbfError, read_dbf
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

DATA_TYPES: tuple[str, ...] = ("zus", "taxes", "summaries")

PROGRAM = names.PROGRAM
Row = dict[str, Any]
_ZUS_PARTS = ("social", "health", "labour_fund", "fep")


@dataclass(frozen=True)
class _Company:
    """A company as its subfolder's company file has it."""

    key: str  # the subfolder's name: Buchalter's own key for the company
    folder: Path
    nip: str
    name: str
    regon: str | None
    email: str | None
    phone: str | None
    legal_form: str | None
    tax_form: str | None
    vat_period: str | None
    employs: bool
    encoding: str  # the code page of its company file, the default for its other files

    def origin(self) -> dict[str, str]:
        return origin(PROGRAM, self.key, self.nip)


@dataclass(frozen=True)
class _Window:
    """The months a read asks for; None: every month found."""

    periods: frozenset[str] | None

    @classmethod
    def of(cls, periods: Collection[str] | None) -> "_Window":
        if periods is None:
            return cls(None)
        return cls(frozenset(checked_period(value) for value in periods))

    def years(self, found: Iterable[int]) -> list[int]:
        """The years to read: of the months asked for, else those the files were found for."""
        if self.periods is None:
            return sorted(set(found))
        return sorted({parse_period(value)[0] for value in self.periods})

    def months(self, year: int, found: Iterable[str]) -> list[str]:
        """The months of `year` to give: those asked for, else those found."""
        if self.periods is None:
            return sorted(set(found))
        return sorted(value for value in self.periods if value.startswith(f"{year:04d}-"))

    def wants(self, month: str) -> bool:
        return self.periods is None or month in self.periods

    def describe(self, year: int) -> str:
        months = self.months(year, ())
        return ", ".join(months) if months else str(year)


@dataclass
class _Read:
    """A year table's rows, and the keys of records that could not be read (None: a record
    whose key could not be told either)."""

    table: Table
    unread: list[Row] | None = field(default_factory=list)


@dataclass
class _Frames:
    companies: list[Row] = field(default_factory=list)
    zus: list[Row] = field(default_factory=list)
    taxes: list[Row] = field(default_factory=list)
    summaries: list[Row] = field(default_factory=list)


class BuchalterReader:
    """Companies, ZUS, taxes and KPiR summaries from Buchalter's data folder."""

    def __init__(self, program: BuchalterProgram, paths: PathMap, base_dir: Path) -> None:
        self.program = program
        self.paths = paths
        self.base_dir = base_dir

    @cached_property
    def _configured(self) -> str | None:
        return self.program.configured_encoding(PROGRAM)

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies, and ZUS, taxes and summaries of `periods` (every month found when None).

        Raises FolderUnavailable or UnmappedPath when the data folder cannot be reached.
        """
        folder = self._data_folder()
        window = _Window.of(periods)
        problems: list[SourceProblem] = []
        frames = _Frames()
        for home in self._company_folders(folder, problems):
            company = self._company(home, problems)
            if company is None:
                continue
            frames.companies.append(_company_row(company))
            frames.zus += self._zus(company, window, problems)
            frames.taxes += self._taxes(company, window, problems)
            frames.summaries += self._summaries(company, window, problems)
        data = SourceData(
            companies=schema_frame("companies", frames.companies),
            zus=schema_frame("zus", frames.zus),
            taxes=schema_frame("taxes", frames.taxes),
            summaries=schema_frame("summaries", frames.summaries),
            problems=problems,
        )
        logger.info(
            "buchalter %s: %d companies, %d ZUS rows, %d tax rows, %d summaries, %d problems",
            folder,
            len(data.companies),
            len(data.zus),
            len(data.taxes),
            len(data.summaries),
            len(problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with the companies and years found, or raise with the reason."""
        folder = self._data_folder()
        export = self._export_base()
        if export is not None:
            what = "buchalter: employees' ZUS export folder (programs.buchalter.zus_export_folder)"
            check_folder(export, what)
        problems: list[SourceProblem] = []
        homes = self._company_folders(folder, problems)
        if not homes:
            raise FolderUnavailable(
                f"buchalter: data folder (programs.buchalter.folder): {folder} holds no company "
                f"subfolder (none has {names.COMPANY.file}); is it Buchalter's data folder "
                f"(default {names.DEFAULT_FOLDER})?"
            )
        companies = [c for c in (self._company(home, problems) for home in homes) if c]
        if not companies:
            first = problems[0]
            raise TableProblem(PROGRAM, first.where, f"no company can be read: {first.message}")
        years = sorted({year for home in homes for year in _years_found(home, names.YEAR_TABLES)})
        unreadable = len(homes) - len(companies)
        note = f"; {unreadable} company folder(s) cannot be read" if unreadable else ""
        return (
            f"works: {len(companies)} companies in {self.program.folder} ({folder}), "
            f"years {_span(years)}{note}"
        )

    def probe(self) -> dict[str, object]:
        """What the data folder holds, read-only: per company subfolder its files with record
        counts, code page and why, fields, and the declaration codes found."""
        folder = self._data_folder()
        subfolders = _subfolders(folder)
        homes = [entry for entry in subfolders if _holds_company(entry)]
        return {
            "program": PROGRAM,
            "folder": self.program.folder,
            "local_folder": str(folder),
            "encoding_setting": self._configured,
            "zus_export_folder": self.program.zus_export_folder,
            "table_map": _table_map(),
            "companies": {home.name: self._probe_company(home) for home in homes},
            "other_subfolders": sorted(entry.name for entry in subfolders if entry not in homes),
        }

    # --- folders ---------------------------------------------------------------------------

    def watched_paths(self) -> list[Path]:
        """The folders whose files a change detector should watch: data and export folders."""
        folders = [self.paths.to_local(self.program.folder, self.base_dir)]
        export = self._export_base()
        return folders if export is None else [*folders, export]

    def _data_folder(self) -> Path:
        local = self.paths.to_local(self.program.folder, self.base_dir)
        check_folder(local, "buchalter: data folder (programs.buchalter.folder)")
        return local

    def _export_base(self) -> Path | None:
        if self.program.zus_export_folder is None:
            return None
        return self.paths.to_local(self.program.zus_export_folder, self.base_dir)

    def _export_home(self, company: _Company) -> Path:
        """Where the company's employees' ZUS exports are (the folder may not exist)."""
        base = self._export_base()
        if base is None:
            return company.folder
        found = find_entry(base, company.key, want_dir=True) if base.is_dir() else None
        return found or base / company.key

    def _company_folders(self, folder: Path, problems: list[SourceProblem]) -> list[Path]:
        """The company subfolders to read: those listed in the settings, else every one that
        holds a company file."""
        if self.program.companies is None:
            return _found_companies(folder, problems)
        homes = []
        for name in self.program.companies:
            try:
                home = find_entry(folder, name, want_dir=True)
            except AmbiguousName as error:
                problems.append(SourceProblem(PROGRAM, str(folder / name), str(error)))
                continue
            if home is None:
                message = "company subfolder listed in programs.buchalter.companies not found"
                problems.append(SourceProblem(PROGRAM, str(folder / name), message))
            elif not _holds_company(home):
                message = f"holds no {names.COMPANY.file}: not a Buchalter company folder"
                problems.append(SourceProblem(PROGRAM, str(home), message))
            else:
                homes.append(home)
        return homes

    # --- companies -------------------------------------------------------------------------

    def _company(self, home: Path, problems: list[SourceProblem]) -> _Company | None:
        encoding = Encoding(names.PROGRAM_ENCODING, self._configured)
        try:
            table = read_table(PROGRAM, home, names.COMPANY, encoding, problems)
        except TableProblem as error:
            problems.append(_with(error, None, "the company is not read"))
            return None
        if not table.rows:
            message = f"{names.COMPANY.title}: no live record; the company is not read"
            problems.append(SourceProblem(PROGRAM, str(table.path), message))
            return None
        return _company(home, table, problems)

    def _encoding(self, company: _Company) -> Encoding:
        return Encoding(company.encoding, self._configured)

    # --- ZUS -------------------------------------------------------------------------------

    def _zus(self, company: _Company, window: _Window, problems: list[SourceProblem]) -> list[Row]:
        home = self._export_home(company)
        exports = _export_months(home)
        found = _years_found(company.folder, (names.PARTNERS_ZUS,))
        rows: list[Row] = []
        for year in window.years(found | {parse_period(month)[0] for month in exports}):
            consequence = f"ZUS for {window.describe(year)} is not sent"
            read = self._read_year(
                company, names.PARTNERS_ZUS, year, ("month",), consequence, problems
            )
            if read is None:
                continue
            lines = _partner_lines(company, read, year, problems)
            withheld = _withheld_months(read, year)
            in_year = [month for month in exports if month.startswith(f"{year:04d}-")]
            for month in window.months(year, [*lines, *in_year]):
                if withheld is None or month in withheld:
                    reason = "unknown" if withheld is None else "register"
                    problems.append(_not_sent(company, read, f"ZUS for {month}", reason))
                    continue
                try:
                    rows.append(
                        self._zus_row(
                            company,
                            month,
                            lines.get(month, {}),
                            home,
                            read,
                            problems,
                            exported=month in exports,
                        )
                    )
                except _Withheld:
                    continue
        return rows

    def _zus_row(
        self,
        company: _Company,
        month: str,
        partners: Mapping[object, Row],
        home: Path,
        read: _Read,
        problems: list[SourceProblem],
        *,
        exported: bool,
    ) -> Row:
        """The month's ZUS: its partners' latest lines plus the employees' export; _Withheld
        (said in `problems`) when a part is missing or cannot be read. `exported`: the folder
        listing holds the month's export (no lookup for the months it does not)."""
        export = self._export(company, month, home, problems) if exported else None
        path = home / _export_name(month)
        if export is None and company.employs:
            message = (
                f"no employees' ZUS export for {month}: generate the ZUS declaration report in "
                f"Buchalter and confirm the export (expected {path.name}); ZUS for {month} is not "
                "sent"
            )
            problems.append(SourceProblem(PROGRAM, str(path), message, company.nip))
            raise _Withheld
        if not partners and export is None:
            message = (
                f"no partners' ZUS lines for {month} and no employees' export ({path.name}); "
                f"ZUS for {month} is not sent"
            )
            problems.append(SourceProblem(PROGRAM, str(read.table.path), message, company.nip))
            raise _Withheld
        try:
            amounts = _partner_amounts(partners.values(), read.table)
        except ValueError as error:
            message = f"{error}; ZUS for {month} is not sent"
            problems.append(SourceProblem(PROGRAM, str(read.table.path), message, company.nip))
            raise _Withheld from None
        for part, value in (export or {}).items():
            amounts[part] += value
        correction = any(line.get("correction") for line in partners.values())
        return _zus_frame_row(company, month, amounts, correction)

    def _export(
        self, company: _Company, month: str, home: Path, problems: list[SourceProblem]
    ) -> dict[str, int] | None:
        """The month's employees' ZUS export added up; None when there is none, _Withheld
        when it cannot be read whole (said in `problems`)."""
        spec = replace(names.EMPLOYEES_ZUS, file=_export_name(month))
        if not home.is_dir() or find_table(home, spec) is None:
            return None
        local: list[SourceProblem] = []
        consequence = f"ZUS for {month} is not sent"
        encoding = self._encoding(company)
        try:
            table = read_table(PROGRAM, home, spec, encoding, local, nip=company.nip)
        except TableProblem as error:
            problems.append(_with(error, company.nip, consequence))
            raise _Withheld from None
        problems.extend(local)
        if local:
            message = f"{spec.title}: not every line can be read; {consequence}"
            problems.append(SourceProblem(PROGRAM, str(table.path), message, company.nip))
            raise _Withheld
        try:
            return _sum_parts(table.rows, spec, _ZUS_PARTS)
        except ValueError as error:
            message = f"{error}; {consequence}"
            problems.append(SourceProblem(PROGRAM, str(table.path), message, company.nip))
            raise _Withheld from None

    # --- taxes -----------------------------------------------------------------------------

    def _taxes(
        self, company: _Company, window: _Window, problems: list[SourceProblem]
    ) -> list[Row]:
        rows: list[Row] = []
        found = _years_found(company.folder, (names.DECLARATIONS,))
        for year in window.years(found):
            consequence = f"taxes for {window.describe(year)} are not read"
            keys = ("month", "code")
            read = self._read_year(company, names.DECLARATIONS, year, keys, consequence, problems)
            if read is not None:
                rows += _declarations(company, read, year, window, problems)
        return rows

    # --- summaries -------------------------------------------------------------------------

    def _summaries(
        self, company: _Company, window: _Window, problems: list[SourceProblem]
    ) -> list[Row]:
        if company.tax_form not in (None, "kpir"):
            logger.debug("buchalter %s: %s keeps no KPiR", company.key, company.tax_form)
            return []
        rows: list[Row] = []
        found = _years_found(company.folder, (names.LEDGER,))
        for year in window.years(found):
            consequence = f"summaries for {window.describe(year)} are not sent"
            read = self._read_year(company, names.LEDGER, year, ("date",), consequence, problems)
            if read is not None:
                rows += _ledger_summaries(company, read, year, window, problems)
        return rows

    # --- reading a year's table ------------------------------------------------------------

    def _read_year(
        self,
        company: _Company,
        spec: DbfSpec,
        year: int,
        keys: tuple[str, ...],
        consequence: str,
        problems: list[SourceProblem],
    ) -> _Read | None:
        """The year's table; None (and a problem ending in `consequence`) when it is missing
        or cannot be read. When records were skipped, their `keys` are read on their own."""
        encoding = self._encoding(company)
        local: list[SourceProblem] = []
        try:
            table = read_table(
                PROGRAM, company.folder, spec, encoding, local, year=year, nip=company.nip
            )
        except TableProblem as error:
            problems.append(_with(error, company.nip, consequence))
            return None
        problems.extend(local)
        if not local:
            return _Read(table)
        return _Read(table, _unread(company, spec, year, keys, encoding, table))

    # --- probe -----------------------------------------------------------------------------

    def _probe_company(self, home: Path) -> dict[str, object]:
        problems: list[SourceProblem] = []
        company = self._company(home, problems)
        encoding = company.encoding if company else names.PROGRAM_ENCODING
        company_file = find_table(home, names.COMPANY)
        files = {
            entry.name: self._probe_file(entry, encoding, is_company_file=entry == company_file)
            for entry in _tables(home)
        }
        listing: dict[str, object] = {
            "nip": company.nip if company else None,
            "name": company.name if company else None,
            "code_page": encoding,
            "parameters": _probe_parameters(company),
            "years": sorted(_years_found(home, names.YEAR_TABLES)),
            "declaration_codes": _probe_codes(files),
            "declaration_notes": _probe_notes(files),
        }
        for info in files.values():
            info.pop("rows", None)  # read for the codes and notes; not part of the listing
        listing["files"] = files
        if company is not None:
            listing["employees_zus_exports"] = sorted(_export_months(self._export_home(company)))
        listing["problems"] = [str(problem) for problem in problems]
        return listing

    def _probe_file(self, path: Path, encoding: str, *, is_company_file: bool) -> dict[str, Any]:
        """One table as the read sees it: the company file with Buchalter's code page as the
        default, the others with their company file's."""
        default = names.PROGRAM_ENCODING if is_company_file else encoding
        try:
            table = read_dbf(path, program_encoding=default, encoding=self._configured)
        except DbfError as error:
            return {"error": str(error)}
        source = "Buchalter's" if is_company_file else "its company file's"
        return {
            "default_code_page": f"{default} ({source})",
            "records": len(table.rows),
            "deleted": table.deleted,
            "unreadable_records": [str(problem) for problem in table.problems],
            "file_problems": table.file_problems,
            "encoding": table.encoding.encoding,
            "why": table.encoding.reason,
            "language_driver": f"0x{table.language_driver:02X}",
            "fields": list(table.field_names),
            "rows": table.rows,
        }


class _Withheld(Exception):
    """A month's data that is not sent; the problem saying why is already recorded."""


# --- companies -------------------------------------------------------------------------------


def _company(home: Path, table: Table, problems: list[SourceProblem]) -> _Company | None:
    row = table.rows[0]
    where = str(table.path)
    name = clean_text(row["name"])
    nip = normalize_nip(clean_text(row["nip"]) or "")
    if not nip:
        message = (
            f"company {home.name} ({name or 'no name'}) has no NIP (field NIP); it is not read"
        )
        problems.append(SourceProblem(PROGRAM, where, message))
        return None
    if name is None:
        message = f"company {home.name} has no name (field NAZWA); it is not read"
        problems.append(SourceProblem(PROGRAM, where, message, nip))
        return None

    def coded(meaning: str, codes: Mapping[str, str], setting: str) -> str | None:
        return _code(row, meaning, codes, setting, where, nip, problems)

    return _Company(
        key=home.name,
        folder=home,
        nip=nip,
        name=name,
        regon=valid_regon(row.get("regon")),
        email=clean_text(row.get("email")),
        phone=clean_text(row.get("phone")),
        legal_form=coded("legal_form", names.LEGAL_FORMS, "LEGAL_FORMS"),
        tax_form=coded("tax_form", names.TAX_FORMS, "TAX_FORMS"),
        vat_period=coded("vat_period", names.VAT_PERIODS, "VAT_PERIODS"),
        employs=row.get("employs") is True,
        encoding=table.encoding,
    )


def _code(
    row: Row,
    meaning: str,
    codes: Mapping[str, str],
    setting: str,
    where: str,
    nip: str,
    problems: list[SourceProblem],
) -> str | None:
    """A company code mapped through the table map; an unknown code is said and left empty."""
    value = clean_text(row.get(meaning))
    if value is None:
        return None
    mapped = codes.get(value.upper())
    if mapped is None:
        field_name = names.COMPANY.fields[meaning]
        message = (
            f"{field_name} code {value!r} is not in the table map "
            f"(buchalter settings.{setting}); {meaning} is left empty"
        )
        problems.append(SourceProblem(PROGRAM, where, message, nip))
    return mapped


def _company_row(company: _Company) -> Row:
    return {
        **company.origin(),
        "name": company.name,
        "regon": company.regon,
        "email": company.email,
        "phone": company.phone,
        "legal_form": company.legal_form,
        "tax_form": company.tax_form,
        "vat_period": company.vat_period,
    }


# --- ZUS -------------------------------------------------------------------------------------


def _partner_lines(
    company: _Company, read: _Read, year: int, problems: list[SourceProblem]
) -> dict[str, dict[object, Row]]:
    """Each month's latest register line per partner (a later line replaces an earlier one).

    A line whose month is not a month leaves every month of the year in doubt (`read.unread`
    becomes None)."""
    lines: dict[str, dict[object, Row]] = {}
    for row in read.table.rows:
        try:
            month = _month(year, row["month"], read.table, row)
        except ValueError as error:
            problems.append(SourceProblem(PROGRAM, str(read.table.path), str(error), company.nip))
            read.unread = None
            continue
        lines.setdefault(month, {})[row["partner"]] = row
    return lines


def _partner_amounts(lines: Iterable[Row], table: Table) -> dict[str, int]:
    amounts = _sum_parts(lines, table.spec, ("social", "health", "labour_fund"))
    return {**amounts, "fep": 0}


def _sum_parts(rows: Iterable[Row], spec: DbfSpec, parts: tuple[str, ...]) -> dict[str, int]:
    """Each amount's sum over the rows in grosze; ValueError naming the record and field."""
    sums = dict.fromkeys(parts, 0)
    for row in rows:
        for part in parts:
            where = f"{spec.title}: record {row[RECORD]}, field {spec.fields[part]}"
            sums[part] += grosze_from_db(row.get(part), where)
    return sums


def _zus_frame_row(company: _Company, month: str, amounts: dict[str, int], correction: bool) -> Row:
    return {
        **company.origin(),
        "period": month,
        "declaration_no": 1,
        "kind": "K" if correction else "D",
        **amounts,
        "deductions": 0,
        "total": sum(amounts[part] for part in _ZUS_PARTS),
        "refund": 0,
        "due_date": pd.Timestamp(due_date("ZUS", month, legal_form=company.legal_form)),
        "account": None,
    }


def _export_name(month: str) -> str:
    year, number = parse_period(month)
    return names.EMPLOYEES_ZUS_FILE.format(yyyy=f"{year:04d}", mm=f"{number:02d}")


def _export_months(home: Path) -> list[str]:
    """The months of the employees' ZUS exports in a folder (none when it does not exist)."""
    if not home.is_dir():
        return []
    glob, pattern = _file_pattern(names.EMPLOYEES_ZUS_FILE)
    months = []
    for entry in list_entries(home, glob):
        match = pattern.fullmatch(entry.name.lower())
        if match and 1 <= int(match["mm"]) <= 12:
            months.append(period(int(match["yyyy"]), int(match["mm"])))
    return sorted(set(months))


# --- taxes -----------------------------------------------------------------------------------


def _declarations(
    company: _Company, read: _Read, year: int, window: _Window, problems: list[SourceProblem]
) -> list[Row]:
    """The latest declaration of each tax and month, with the months a declaration line of
    which cannot be read left out and said."""
    table = read.table
    where = str(table.path)
    latest: dict[tuple[str, str], Row] = {}
    unmapped: Counter[str] = Counter()
    for row in table.rows:
        key = _declaration_key(year, row, table, unmapped, problems, company.nip)
        if key is not None:
            latest[key] = row
    for code, count in sorted(unmapped.items()):
        message = (
            f"declaration code {code!r} is not in the table map (buchalter "
            f"settings.DECLARATION_CODES); its {count} declaration(s) are not sent"
        )
        problems.append(SourceProblem(PROGRAM, where, message, company.nip))
    withheld = _withheld_declarations(read, year)
    if withheld is None:
        problems.append(_not_sent(company, read, f"taxes for {window.describe(year)}", "unknown"))
        return []
    rows = []
    for month, tax in sorted({*latest, *withheld}):
        if not window.wants(month):
            continue
        if (month, tax) in withheld:
            problems.append(_not_sent(company, read, f"{tax} for {month}", "declaration"))
            continue
        row = _tax_frame_row(company, month, tax, latest[(month, tax)], table, problems)
        if row is not None:
            rows.append(row)
    return rows


def _declaration_key(
    year: int,
    row: Row,
    table: Table,
    unmapped: Counter[str],
    problems: list[SourceProblem],
    nip: str | None,
) -> tuple[str, str] | None:
    """(month, tax) of a declaration line; None when its code is not one of ours."""
    code = _plain_code(row)
    tax = names.DECLARATION_CODES.get(code)
    if tax is None:
        if code not in names.IGNORED_DECLARATION_CODES:
            unmapped[code] += 1
        return None
    try:
        month = _month(year, row["month"], table, row)
    except ValueError as error:
        problems.append(SourceProblem(PROGRAM, str(table.path), f"{error}; not sent", nip))
        return None
    return (quarter_end(month) if tax == "VAT-7K" else month), tax


def _tax_frame_row(
    company: _Company, month: str, tax: str, row: Row, table: Table, problems: list[SourceProblem]
) -> Row | None:
    spec = table.spec
    where = f"{spec.title}: record {row[RECORD]}"
    try:
        amount = amount_to_pay(row["amount"], where, spec.fields["amount"])
        refund = optional_zloty(row.get("refund"), f"{where} {spec.fields['refund']}")
        carried = optional_zloty(
            row.get("carried_forward"), f"{where} {spec.fields['carried_forward']}"
        )
    except ValueError as error:
        message = f"{error}; {tax} for {month} is not sent"
        problems.append(SourceProblem(PROGRAM, str(table.path), message, company.nip))
        return None
    kind = "K" if row.get("correction") else "D"
    return tax_row(
        company.origin(), month, tax, kind, amount, refund=refund, carried_forward=carried
    )


def _withheld_declarations(read: _Read, year: int) -> set[tuple[str, str]] | None:
    if read.unread is None:
        return None
    withheld = set()
    for row in read.unread:
        key = _declaration_key(year, row, read.table, Counter(), [], None)
        if key is None and names.DECLARATION_CODES.get(_plain_code(row)) is not None:
            return None
        if key is not None:
            withheld.add(key)
    return withheld


def _plain_code(row: Row) -> str:
    return "".join((clean_text(row.get("code")) or "").upper().split())


# --- summaries -------------------------------------------------------------------------------


def _ledger_summaries(
    company: _Company, read: _Read, year: int, window: _Window, problems: list[SourceProblem]
) -> list[Row]:
    """Each month's KPiR sums and the year's sums to date; months with an unreadable line are
    not sent, and the year-to-date sums after them are left empty."""
    table = read.table
    sums, withheld = _month_sums(company, read, year, problems)
    if withheld is None:
        problems.append(_not_sent(company, read, f"summaries for {year}", "unknown"))
        return []
    last = max([*sums, *withheld], default=0)
    months = window.months(year, [period(year, number) for number in range(1, last + 1)])
    late = [month for month in months if parse_period(month)[1] > last]
    if late:
        message = (
            f"no KPiR entries for {', '.join(late)} (the ledger is not kept that far yet); no "
            "summary is sent for them"
        )
        problems.append(SourceProblem(PROGRAM, str(table.path), message, company.nip))
    rows = []
    revenue_ytd = costs_ytd = 0
    for number in range(1, last + 1):
        revenue, costs = sums.get(number, (0, 0))
        revenue_ytd, costs_ytd = revenue_ytd + revenue, costs_ytd + costs
        month = period(year, number)
        if month not in months:
            continue
        if number in withheld:
            problems.append(_not_sent(company, read, f"the summary for {month}", "ledger"))
            continue
        complete = not any(earlier <= number for earlier in withheld)
        rows.append(_summary_row(company, month, revenue, costs, complete, revenue_ytd, costs_ytd))
    return rows


def _month_sums(
    company: _Company, read: _Read, year: int, problems: list[SourceProblem]
) -> tuple[dict[int, tuple[int, int]], set[int] | None]:
    """Revenue and costs per month number, and the months with a line that cannot be read
    (None: a line whose month cannot be told)."""
    table = read.table
    spec = table.spec
    sums: dict[int, tuple[int, int]] = {}
    withheld = _withheld_ledger_months(read, year)
    for row in table.rows:
        day = row["date"]
        where = f"{spec.title}: record {row[RECORD]}"
        if day is None or day.year != year:
            message = (
                f"{where}, field {spec.fields['date']}: dated {day or 'nowhere'}, not in {year}"
            )
            problems.append(SourceProblem(PROGRAM, str(table.path), message, company.nip))
            withheld = None
            continue
        try:
            revenue = grosze_from_db(row["revenue"], f"{where}, field {spec.fields['revenue']}")
            costs = grosze_from_db(row["costs"], f"{where}, field {spec.fields['costs']}")
        except ValueError as error:
            problems.append(SourceProblem(PROGRAM, str(table.path), str(error), company.nip))
            if withheld is not None:
                withheld.add(day.month)
            continue
        before = sums.get(day.month, (0, 0))
        sums[day.month] = (before[0] + revenue, before[1] + costs)
    return sums, withheld


def _withheld_ledger_months(read: _Read, year: int) -> set[int] | None:
    if read.unread is None:
        return None
    days = [row["date"] for row in read.unread]
    if any(day is None or day.year != year for day in days):
        return None
    return {day.month for day in days}


def _summary_row(
    company: _Company,
    month: str,
    revenue: int,
    costs: int,
    complete: bool,
    revenue_ytd: int,
    costs_ytd: int,
) -> Row:
    return {
        **company.origin(),
        "period": month,
        "revenue": revenue,
        "costs": costs,
        "income": revenue - costs,
        "vat_output": None,
        "vat_input": None,
        "revenue_ytd": revenue_ytd if complete else None,
        "costs_ytd": costs_ytd if complete else None,
    }


# --- records that could not be read ----------------------------------------------------------


def _unread(
    company: _Company,
    spec: DbfSpec,
    year: int,
    keys: tuple[str, ...],
    encoding: Encoding,
    table: Table,
) -> list[Row] | None:
    """The `keys` of the records the full read skipped, read again on their own; None when a
    record's keys cannot be read either (its month is unknown)."""
    key_spec = DbfSpec(spec.title, spec.file, {key: spec.fields[key] for key in keys})
    skipped: list[SourceProblem] = []
    try:
        keys_table = read_table(PROGRAM, company.folder, key_spec, encoding, skipped, year=year)
    except TableProblem:
        return None
    if skipped:
        return None
    read = {row[RECORD] for row in table.rows}
    return [row for row in keys_table.rows if row[RECORD] not in read]


def _withheld_months(read: _Read, year: int) -> set[str] | None:
    """The months of the records that could not be read; None when one's month is unknown."""
    if read.unread is None:
        return None
    try:
        return {_month(year, row["month"], read.table, row) for row in read.unread}
    except ValueError:
        return None


def _month(year: int, value: object, table: Table, row: Row) -> str:
    """The YYYY-MM of a month number in a year's file; ValueError naming the record."""
    try:
        number = int(str(value))
        return period(year, number)
    except (TypeError, ValueError):
        field_name = table.spec.fields["month"]
        raise ValueError(
            f"{table.spec.title}: record {row[RECORD]}, field {field_name}: {value!r} is not a "
            "month (1-12)"
        ) from None


_REASONS = {
    "register": "a line of the partners' ZUS register for that month cannot be read",
    "declaration": "a declaration line of that month cannot be read",
    "ledger": "a KPiR line of that month cannot be read",
    "unknown": "a line whose month cannot be told cannot be read",
}


def _not_sent(company: _Company, read: _Read, what: str, reason: str) -> SourceProblem:
    message = f"{what} is not sent: {_REASONS[reason]} (see the record's problem)"
    return SourceProblem(PROGRAM, str(read.table.path), message, company.nip)


def _with(error: TableProblem, nip: str | None, consequence: str) -> SourceProblem:
    return SourceProblem(PROGRAM, error.where, f"{error.message}; {consequence}", nip)


# --- files -----------------------------------------------------------------------------------


def _subfolders(folder: Path) -> list[Path]:
    return sorted(
        (entry for entry in folder.iterdir() if entry.is_dir()),
        key=lambda entry: entry.name.casefold(),
    )


def _found_companies(folder: Path, problems: list[SourceProblem]) -> list[Path]:
    """Every subfolder holding a company file; one that cannot be looked into is said."""
    homes = []
    for entry in _subfolders(folder):
        try:
            if find_table(entry, names.COMPANY) is not None:
                homes.append(entry)
        except AmbiguousName as error:
            problems.append(SourceProblem(PROGRAM, str(entry), f"{error}; it is not read"))
        except OSError as error:
            message = f"cannot be listed ({error.strerror or error}); it is not read"
            problems.append(SourceProblem(PROGRAM, str(entry), message))
    return homes


def _holds_company(folder: Path) -> bool:
    try:
        return find_table(folder, names.COMPANY) is not None
    except (OSError, AmbiguousName):
        return False


def _tables(folder: Path) -> list[Path]:
    """The DBF tables of a folder; `.mdx` indexes and memo files are not tables."""
    return [entry for entry in list_entries(folder, "*.dbf") if entry.is_file()]


def _file_pattern(template: str) -> tuple[str, re.Pattern[str]]:
    """A year-file template (`b5dekl{yy}.dbf`) as a glob and a regex with named groups."""
    glob = template.replace("{yyyy}", "????").replace("{yy}", "??").replace("{mm}", "??")
    regex = re.escape(template.lower())
    for name, digits in (("yyyy", 4), ("yy", 2), ("mm", 2)):
        regex = regex.replace(re.escape("{" + name + "}"), rf"(?P<{name}>\d{{{digits}}})")
    return glob, re.compile(regex)


def _years_found(folder: Path, specs: Iterable[DbfSpec]) -> set[int]:
    """The years the folder has files of these per-year tables for."""
    years = set()
    for spec in specs:
        glob, pattern = _file_pattern(spec.file)
        for entry in list_entries(folder, glob):
            match = pattern.fullmatch(entry.name.lower())
            if match:
                years.add(_full_year(int(match["yy"])))
    return years


def _full_year(yy: int) -> int:
    return (1900 if yy >= names.CENTURY_PIVOT else 2000) + yy


def _span(years: list[int]) -> str:
    if not years:
        return "none (no year files)"
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


# --- probe -----------------------------------------------------------------------------------


def _table_map() -> dict[str, object]:
    return {
        spec.title: {
            "file": spec.file,
            "fields": dict(spec.fields),
            "optional": sorted(spec.optional),
            "confidence": spec.confidence,
        }
        for spec in names.TABLES
    }


def _probe_parameters(company: _Company | None) -> dict[str, object] | None:
    if company is None:
        return None
    return {
        "legal_form": company.legal_form,
        "tax_form": company.tax_form,
        "vat_period": company.vat_period,
        "employs": company.employs,
    }


def _declaration_files(files: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    _, pattern = _file_pattern(names.DECLARATIONS.file)
    return [info for name, info in files.items() if pattern.fullmatch(name.lower())]


def _probe_codes(files: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, object]]:
    """Each declaration code found, how many declarations have it and what it is taken for."""
    field_name = names.DECLARATIONS.fields["code"]
    found: Counter[str] = Counter()
    for info in _declaration_files(files):
        found.update(_plain_code({"code": row.get(field_name)}) for row in info.get("rows", []))
    return {
        code: {"declarations": count, "tax": _taken_for(code)}
        for code, count in sorted(found.items())
    }


def _taken_for(code: str) -> str | None:
    if code in names.DECLARATION_CODES:
        return names.DECLARATION_CODES[code]
    return "ignored" if code in names.IGNORED_DECLARATION_CODES else None


def _probe_notes(files: Mapping[str, dict[str, Any]]) -> int:
    """How many declarations carry a note (memo); a missing memo file shows in file_problems."""
    field_name = names.DECLARATIONS.fields["notes"]
    return sum(
        1
        for info in _declaration_files(files)
        for row in info.get("rows", [])
        if clean_text(row.get(field_name))
    )
