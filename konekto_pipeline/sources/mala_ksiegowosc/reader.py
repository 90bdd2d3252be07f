"""Reads Mała Księgowość „Rzeczpospolitej”: companies, their taxes to pay and monthly totals.

The data folder holds the company list (FIRMY.DBF) and one subfolder per company, named by the
company's identifier, with its taxes to pay (PODATKI.DBF) and monthly ledger totals
(EWIDENCJA.DBF). The file names, fields and codes, all guesses, are in `settings.py`.

Surprising parts:
- Which data folder: `folder` from the settings; else the one the program's options file names
  ([Dane] KatalogDanych, often a UNC share or a cloud-synced folder); else `C:\\MK\\Biuro`.
  check() and probe() say which one was used and why. Every path goes through the `paths`
  mapping, the one read from the options file too.
- A company's identifier names its subfolder: one with characters other than letters, digits
  and underscore is reported and the company skipped, never used as a path. Companies marked
  removed (USUNIETA) are left out without a word.
- One company's missing folder or file, or a bad record, is a problem for that company or
  record; the others carry on. Without the company list nothing can be read: FolderUnavailable.
- Taxes are sent in whole złoty rounded half-up. A correction (KOREKTA) replaces the declaration
  of the same tax and month; of two records of the same kind the later one counts. A VAT-7K
  item carries the quarter's last month as its period, whatever month the record names.
- Ryczałt has no costs: a ryczałt company's costs are 0 and its income is its revenue; costs
  found in its ledger file are reported and not sent.
- When months are asked for, a company with no monthly totals for some of them is told which.
- The notes memo (UWAGI) is read by probe() only, so a lost memo file does not make every
  read report a problem for a field the pipeline does not send.
"""

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import period as make_period
from konekto_pipeline.domain.periods import quarter_end
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.files.dbf import DbfError, DbfTable, read_dbf
from konekto_pipeline.sources.files.ini import IniError, read_ini
from konekto_pipeline.sources.files.paths import (
    FolderUnavailable,
    PathMap,
    UnmappedPath,
    check_folder,
    find_entry,
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
from konekto_pipeline.sources.mala_ksiegowosc import settings as names
from konekto_pipeline.sources.mala_ksiegowosc.program import MalaKsiegowoscProgram
from konekto_pipeline.sources.sql.frames import (
    amount_to_pay,
    checked_period,
    clean_text,
    company_frames,
    optional_grosze,
    optional_zloty,
    origin,
    tax_row,
    valid_regon,
)
from konekto_pipeline.sources.sql.tables import grosze_from_db

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("taxes", "summaries")

Row = dict[str, Any]
Say = Callable[[str], None]


@dataclass(frozen=True)
class DataFolder:
    """The data folder as this machine reaches it, as it was written, and where that came from."""

    path: Path
    written: str
    origin: str


@dataclass
class _Company:
    """One company of the list, and the rows read for it (the shape `company_frames` takes)."""

    id: str
    nip: str
    name: str
    tax_form: str | None
    row: Row
    taxes: list[Row] = field(default_factory=list)
    summaries: list[Row] = field(default_factory=list)


@dataclass
class _Office:
    """What one pass over the data folder found."""

    folder: DataFolder
    companies: list[_Company]
    removed: int
    problems: list[SourceProblem]


@dataclass(frozen=True)
class _TaxRecord:
    record: int
    period: str
    tax: str
    correction: bool
    amount: int
    refund: int | None
    carried_forward: int | None


class MalaKsiegowoscReader:
    """Companies, taxes to pay and monthly ledger totals from MK RP's data folder."""

    def __init__(self, program: MalaKsiegowoscProgram, paths: PathMap, base_dir: Path) -> None:
        self.program = program
        self.paths = paths
        self.base_dir = base_dir
        self.encoding = Encoding(
            program=names.PROGRAM_ENCODING,
            configured=program.configured_encoding(names.PROGRAM),
        )

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies, and taxes and monthly totals of `periods` ("YYYY-MM"; all when None).

        Raises FolderUnavailable when the data folder or its company list cannot be read, and
        UnmappedPath when the data folder is on a drive or share with no local mapping.
        """
        window = None if periods is None else {checked_period(month) for month in periods}
        office = self._read(window)
        data = company_frames(office.companies, office.problems)
        logger.info(
            "%s %s: %d companies, %d tax rows, %d summary rows, %d problems",
            names.PROGRAM,
            office.folder.path,
            len(data.companies),
            len(data.taxes),
            len(data.summaries),
            len(data.problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with what was found, or raise FolderUnavailable / UnmappedPath."""
        office = self._read(None)
        taxes = [row["period"] for company in office.companies for row in company.taxes]
        totals = [row["period"] for company in office.companies for row in company.summaries]
        message = (
            f"works: data folder {office.folder.path} ({office.folder.origin}): "
            f"{len(office.companies)} companies ({office.removed} removed), "
            f"taxes to pay {_span(taxes)}, monthly totals {_span(totals)}"
        )
        if office.problems:
            message += f"; {len(office.problems)} problem(s), the first: {office.problems[0]}"
        return message

    def probe(self) -> dict[str, object]:
        """What the data folder holds, read-only: files, fields, codes, companies and notes."""
        folder = self.data_folder()
        check_folder(folder.path, _folder_what(folder))
        problems: list[SourceProblem] = []
        listing: dict[str, object] = {
            "program": names.PROGRAM,
            "folder": str(folder.path),
            "folder_setting": folder.written,
            "folder_from": folder.origin,
            "code_page": self._code_page(),
            "company_list": self._probe_file(folder.path, names.COMPANIES, _company_codes),
        }
        try:
            table = self._company_list(folder, problems)
        except FolderUnavailable as error:
            listing["problems"] = [str(error)]
            return listing
        companies, removed = _companies(table, problems)
        listing["removed_companies"] = removed
        listing["companies"] = [self._probe_company(folder, company) for company in companies]
        listing["problems"] = [str(problem) for problem in problems]
        return listing

    def watched_paths(self) -> list[Path]:
        """The folder whose files a change detector should watch: the data folder."""
        return [self.data_folder().path]

    def data_folder(self) -> DataFolder:
        """The data folder: `folder` from the settings, else the one the options file names,
        else the default. Raises UnmappedPath for a path with no local mapping."""
        if self.program.folder:
            setting = f"{names.SETTING}.folder"
            path = self._local(self.program.folder, self.base_dir, setting)
            return DataFolder(path, self.program.folder, f"set in {setting}")

        named, why_not = self._named_by_options()
        if named is not None:
            return named
        if self.program.options_file:
            # The office named its options file: another folder than the one it names would be
            # read in its place, so the run stops and says why instead.
            raise FolderUnavailable(f"{names.PROGRAM}: {why_not}")
        logger.warning(
            "%s: the default data folder %s is used: %s",
            names.PROGRAM,
            names.DEFAULT_FOLDER,
            why_not,
        )
        path = self._local(names.DEFAULT_FOLDER, self.base_dir, "the default data folder")
        return DataFolder(path, names.DEFAULT_FOLDER, f"the default, as {why_not}")

    # --- the data folder -----------------------------------------------------------------------

    def _local(self, text: str, base_dir: Path, what: str) -> Path:
        try:
            return self.paths.to_local(text, base_dir)
        except UnmappedPath as error:
            raise UnmappedPath(f"{names.PROGRAM}: {what}: {error}") from None

    def _named_by_options(self) -> tuple[DataFolder | None, str]:
        """The data folder the options file names, or None and why it names none."""
        written = self.program.options_file or names.DEFAULT_OPTIONS_FILE
        if self.program.options_file:
            setting = f"{names.SETTING}.options_file"
            options = self._local(written, self.base_dir, f"options file ({setting})")
        else:
            setting = f"the default options file; {names.SETTING}.folder is not set"
            try:
                options = self.paths.to_local(written, self.base_dir)
            except UnmappedPath:
                return None, f"the default options file {written} is on a drive with no mapping"

        if not options.is_file():
            return None, f"options file {written} ({setting}) does not exist at {options}"
        try:
            value = clean_text(read_ini(options).get(names.OPTIONS_SECTION, names.OPTIONS_KEY))
        except IniError as error:
            return None, f"options file {written} ({setting}) cannot be read: {error}"
        key = f"[{names.OPTIONS_SECTION}] {names.OPTIONS_KEY}"
        if value is None:
            return None, f"options file {written} ({setting}) has no {key}"

        what = f"data folder named by {key} in options file {written} ({setting})"
        path = self._local(value, options.parent, what)
        return DataFolder(path, value, f"named by {key} in options file {written} ({setting})"), ""

    def _company_list(self, folder: DataFolder, problems: list[SourceProblem]) -> Table:
        try:
            return read_table(names.PROGRAM, folder.path, names.COMPANIES, self.encoding, problems)
        except TableProblem as error:
            raise FolderUnavailable(
                f"{error}; nothing can be read without it (data folder {folder.origin})"
            ) from None

    # --- reading -------------------------------------------------------------------------------

    def _read(self, window: set[str] | None) -> _Office:
        folder = self.data_folder()
        check_folder(folder.path, _folder_what(folder))
        problems: list[SourceProblem] = []
        companies, removed = _companies(self._company_list(folder, problems), problems)
        for company in companies:
            self._read_company(folder, company, window, problems)
        return _Office(folder, companies, removed, problems)

    def _read_company(
        self,
        folder: DataFolder,
        company: _Company,
        window: set[str] | None,
        problems: list[SourceProblem],
    ) -> None:
        home = _company_folder(folder.path, company, problems)
        if home is None:
            return

        taxes = self._table(home, names.TAXES, company, problems, "its taxes are not read")
        if taxes is not None:
            company.taxes = _tax_rows(company, taxes, window, _say(problems, taxes.path, company))

        spec = names.ledger_spec(company.tax_form)
        ledger = self._table(home, spec, company, problems, "its monthly totals are not read")
        if ledger is not None:
            say = _say(problems, ledger.path, company)
            company.summaries = _summary_rows(company, ledger, window, say)

    def _table(
        self,
        home: Path,
        spec: DbfSpec,
        company: _Company,
        problems: list[SourceProblem],
        consequence: str,
    ) -> Table | None:
        """One of the company's tables; None, and a problem saying what follows, when unusable."""
        try:
            return read_table(names.PROGRAM, home, spec, self.encoding, problems, nip=company.nip)
        except TableProblem as error:
            message = f"{error.message}; {consequence}"
            problems.append(SourceProblem(names.PROGRAM, error.where, message, company.nip))
            return None

    # --- probe ---------------------------------------------------------------------------------

    def _code_page(self) -> dict[str, object]:
        return {
            "program": names.PROGRAM_ENCODING,
            "configured": self.encoding.configured,
            "note": "each file's own choice, and why, is under its `encoding`",
        }

    def _probe_company(self, folder: DataFolder, company: _Company) -> dict[str, object]:
        problems: list[SourceProblem] = []
        listing: dict[str, object] = {"id": company.id, "nip": company.nip, "name": company.name}
        home = _company_folder(folder.path, company, problems)
        if home is None:
            listing["problems"] = [problem.message for problem in problems]
            return listing
        listing["folder"] = str(home)
        listing["files"] = {
            names.TAXES.file: self._probe_file(home, names.TAXES, _tax_codes, notes=True),
            names.LEDGER.file: self._probe_file(home, names.LEDGER, _no_codes),
        }
        return listing

    def _probe_file(
        self,
        folder: Path,
        spec: DbfSpec,
        codes: Callable[[DbfTable], dict[str, object]],
        *,
        notes: bool = False,
    ) -> dict[str, object]:
        path = find_table(folder, spec)
        if path is None:
            return {"file": str(folder / spec.file), "found": False}
        try:
            table = read_dbf(
                path,
                program_encoding=self.encoding.program,
                encoding=self.encoding.configured,
            )
        except DbfError as error:
            return {"file": str(path), "error": str(error)}
        listing = _file_listing(spec, table)
        listing["codes"] = codes(table)
        if notes:
            listing["notes"] = _notes(table)
        return listing


# --- companies ------------------------------------------------------------------------------------


def _folder_what(folder: DataFolder) -> str:
    return f"{names.PROGRAM}: data folder {folder.written} ({folder.origin})"


def _companies(table: Table, problems: list[SourceProblem]) -> tuple[list[_Company], int]:
    """The companies of the list that are not removed, and how many are removed."""
    companies: list[_Company] = []
    seen: dict[str, int] = {}
    removed = 0
    for row in table.rows:
        if _flag(row.get("removed")):
            removed += 1
            continue
        company = _company(row, str(table.path), problems)
        if company is None:
            continue
        # Windows folder names ignore case: two such identifiers would share one folder.
        first = seen.setdefault(company.id.casefold(), row[RECORD])
        if first != row[RECORD]:
            message = (
                f"company list: record {row[RECORD]}: identifier {company.id!r} is already "
                f"used by record {first}; the company is skipped"
            )
            problems.append(SourceProblem(names.PROGRAM, str(table.path), message, company.nip))
            continue
        companies.append(company)
    return companies, removed


def _company(row: Row, where: str, problems: list[SourceProblem]) -> _Company | None:
    company_id = clean_text(row["id"]) or ""
    name = clean_text(row["name"])
    nip = normalize_nip(clean_text(row["nip"]) or "")
    label = f"company list: record {row[RECORD]} ({name or 'no name'})"

    def skip(reason: str) -> None:
        message = f"{label}: {reason}; the company is skipped"
        problems.append(SourceProblem(names.PROGRAM, where, message, nip or None))

    if not names.COMPANY_ID.fullmatch(company_id):
        skip(
            f"identifier {company_id!r} ({names.COMPANIES.fields['id']}) is not letters, digits "
            "and underscore only, so it names no company folder"
        )
        return None
    if not nip:
        skip(f"no NIP ({names.COMPANIES.fields['nip']})")
        return None
    if not name:
        skip(f"no name ({names.COMPANIES.fields['name']})")
        return None

    def note(reason: str) -> None:
        problems.append(SourceProblem(names.PROGRAM, where, f"{label}: {reason}", nip))

    tax_form = _code(row, "tax_form", names.TAX_FORMS, note)
    company_row = {
        **origin(names.PROGRAM, company_id, nip),
        "name": name,
        "regon": valid_regon(row.get("regon")),
        "email": clean_text(row.get("email")),
        "phone": clean_text(row.get("phone")),
        "legal_form": _code(row, "legal_form", names.LEGAL_FORMS, note),
        "tax_form": tax_form,
        "vat_period": _code(row, "vat", names.VAT_PERIODS, note),
    }
    return _Company(company_id, nip, name, tax_form, company_row)


def _code(row: Row, meaning: str, known: dict[str, Any], say: Say) -> Any:
    """The pipeline's value for a code field; None, said, for a code the map does not know."""
    value = clean_text(row.get(meaning))
    if value is None:
        return None
    if value.upper() in known:
        return known[value.upper()]
    column = names.COMPANIES.fields[meaning]
    say(f"{column} {value!r} is not a known code ({', '.join(known)}); it is left empty")
    return None


def _company_folder(data: Path, company: _Company, problems: list[SourceProblem]) -> Path | None:
    """The company's subfolder, found in any letter case; None, said, when there is none."""
    try:
        home = find_entry(data, company.id, want_dir=True)
    except (OSError, ValueError) as error:
        reason = str(error)
    else:
        if home is not None:
            return home
        reason = "company folder not found"
    message = f"{reason}; its taxes and monthly totals are not read"
    problems.append(SourceProblem(names.PROGRAM, str(data / company.id), message, company.nip))
    return None


# --- taxes ----------------------------------------------------------------------------------------


def _say(problems: list[SourceProblem], path: Path, company: _Company) -> Say:
    def say(message: str) -> None:
        problems.append(SourceProblem(names.PROGRAM, str(path), message, company.nip))

    return say


def _tax_rows(company: _Company, table: Table, window: set[str] | None, say: Say) -> list[Row]:
    records = [record for row in table.rows if (record := _tax_record(row, say)) is not None]
    company_origin = origin(names.PROGRAM, company.id, company.nip)
    return [
        tax_row(
            company_origin,
            record.period,
            record.tax,
            "K" if record.correction else "D",
            record.amount,
            refund=record.refund,
            carried_forward=record.carried_forward,
            quarterly=record.tax == "VAT-7K",
        )
        for record in _latest_taxes(records, say)
        if window is None or record.period in window
    ]


def _tax_record(row: Row, say: Say) -> _TaxRecord | None:
    """One tax record; None, said, when it cannot be used."""
    fields = names.TAXES.fields
    record = row[RECORD]
    try:
        month = _period(row, record, names.TAXES)
        code = clean_text(row["tax"]) or ""
        tax = names.TAX_CODES.get(names.tax_code(code))
        if tax is None:
            raise ValueError(
                f"record {record}: {fields['tax']} {code!r} is not a known tax code "
                "(TAX_CODES in the program's settings.py)"
            )
        where = f"record {record} ({tax} {month}), field"
        return _TaxRecord(
            record=record,
            period=quarter_end(month) if tax == "VAT-7K" else month,
            tax=tax,
            correction=_flag(row.get("correction")),
            amount=amount_to_pay(row["to_pay"], f"{where} {fields['to_pay']}"),
            refund=optional_zloty(row.get("refund"), f"{where} {fields['refund']}"),
            carried_forward=optional_zloty(
                row.get("carried_forward"), f"{where} {fields['carried_forward']}"
            ),
        )
    except ValueError as error:
        say(f"{names.TAXES.title}: {error} (record skipped)")
        return None


def _latest_taxes(records: Iterable[_TaxRecord], say: Say) -> list[_TaxRecord]:
    """One record per tax and period: a correction beats a declaration, a later record an
    earlier one of the same kind. Two declarations of one month are said."""
    chosen: dict[tuple[str, str], _TaxRecord] = {}
    for record in sorted(records, key=lambda item: item.record):
        held = chosen.get((record.period, record.tax))
        if held is not None and not held.correction and not record.correction:
            say(
                f"{names.TAXES.title}: records {held.record} and {record.record} both declare "
                f"{record.tax} for {record.period} and neither is a correction; the later, "
                f"record {record.record}, is used"
            )
        if held is None or record.correction >= held.correction:
            chosen[(record.period, record.tax)] = record
    return sorted(chosen.values(), key=lambda item: (item.period, item.tax))


def _period(row: Row, record: int, spec: DbfSpec) -> str:
    year, month = row["year"], row["month"]
    try:
        return make_period(_whole(year), _whole(month))
    except (TypeError, ValueError):
        raise ValueError(
            f"record {record}: {spec.fields['year']} {year} and {spec.fields['month']} {month} "
            "are not a month"
        ) from None


def _whole(value: object) -> int:
    """A year or month as a number, whether the field is numeric, integer or text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


def _flag(value: object) -> bool:
    """A yes/no field, whether logical (L), text (T/N, 1/0) or a number; empty is no."""
    if isinstance(value, str):
        return value.strip().upper() in _YES
    if isinstance(value, Decimal | int):
        return value != 0
    return bool(value)


_YES = frozenset({"T", "Y", "1", "TAK"})


# --- monthly totals -------------------------------------------------------------------------------


def _summary_rows(company: _Company, table: Table, window: set[str] | None, say: Say) -> list[Row]:
    ryczalt = company.tax_form == "ryczalt"
    by_month: dict[str, Row] = {}
    costs_dropped: list[str] = []
    for row in table.rows:
        month = _summary_month(row, say)
        if month is None:
            continue
        if month in by_month:
            say(
                f"{table.spec.title}: records {by_month[month][RECORD]} and {row[RECORD]} both "
                f"hold {month}; the later, record {row[RECORD]}, is used"
            )
        by_month[month] = row

    summaries = []
    for month, row in sorted(by_month.items()):
        if window is not None and month not in window:
            continue
        summary = _summary(company, month, row, ryczalt, say)
        if summary is None:
            continue
        if ryczalt and row.get("costs"):
            costs_dropped.append(month)
        summaries.append(summary)

    _say_dropped_costs(costs_dropped, say)
    _say_missing_months(window, by_month, say)
    return summaries


def _summary_month(row: Row, say: Say) -> str | None:
    try:
        return _period(row, row[RECORD], names.LEDGER)
    except ValueError as error:
        say(f"{names.LEDGER.title}: {error} (record skipped)")
        return None


def _summary(company: _Company, month: str, row: Row, ryczalt: bool, say: Say) -> Row | None:
    fields = names.LEDGER.fields
    where = f"record {row[RECORD]} ({month}), field"
    try:
        revenue = grosze_from_db(row["revenue"], f"{where} {fields['revenue']}")
        costs = 0 if ryczalt else grosze_from_db(row.get("costs"), f"{where} {fields['costs']}")
        revenue_ytd = optional_grosze(row.get("revenue_ytd"), f"{where} {fields['revenue_ytd']}")
        costs_ytd = optional_grosze(row.get("costs_ytd"), f"{where} {fields['costs_ytd']}")
    except ValueError as error:
        say(f"{names.LEDGER.title}: {error} (record skipped)")
        return None
    if ryczalt:
        costs_ytd = None if revenue_ytd is None else 0
    return {
        **origin(names.PROGRAM, company.id, company.nip),
        "period": month,
        "revenue": revenue,
        "costs": costs,
        "income": revenue - costs,
        "vat_output": None,
        "vat_input": None,
        "revenue_ytd": revenue_ytd,
        "costs_ytd": costs_ytd,
    }


def _say_dropped_costs(months: list[str], say: Say) -> None:
    if months:
        say(
            f"{names.LEDGER.title}: the company is taxed by ryczałt (no costs) but the file has "
            f"costs ({names.LEDGER.fields['costs']}) in {', '.join(months)}; they are sent as 0 "
            "(check the company's tax form in MK)"
        )


def _say_missing_months(window: set[str] | None, found: Collection[str], say: Say) -> None:
    missing = sorted(set(window or ()) - set(found))
    if missing:
        say(
            f"{names.LEDGER.title}: no totals for {', '.join(missing)}; the summaries of those "
            "months are not sent"
        )


# --- probe listings -------------------------------------------------------------------------------


def _span(months: Iterable[str]) -> str:
    found = sorted(set(months))
    if not found:
        return "for no month"
    return f"for {found[0]} to {found[-1]}"


def _file_listing(spec: DbfSpec, table: DbfTable) -> dict[str, object]:
    expected = {meaning: name.upper() for meaning, name in spec.fields.items()}
    bad_records = {problem.record for problem in table.problems}
    return {
        "file": str(table.path),
        "records": len(table.rows) + len(bad_records) + table.deleted,
        "deleted": table.deleted,
        "encoding": table.encoding.encoding,
        "encoding_reason": table.encoding.reason,
        "fields": list(table.field_names),
        "missing_fields": sorted(
            name
            for meaning, name in expected.items()
            if meaning not in spec.optional and not table.has(name)
        ),
        "missing_optional_fields": sorted(
            name
            for meaning, name in expected.items()
            if meaning in spec.optional and not table.has(name)
        ),
        "unreadable_records": [str(problem) for problem in table.problems],
        "file_problems": list(table.file_problems),
        "periods": _periods(spec, table),
    }


def _periods(spec: DbfSpec, table: DbfTable) -> str | None:
    year, month = spec.fields.get("year"), spec.fields.get("month")
    if year is None or month is None or not (table.has(year) and table.has(month)):
        return None
    months = []
    for row in table.rows:
        try:
            months.append(make_period(_whole(row[year]), _whole(row[month])))
        except (TypeError, ValueError):
            continue
    return _span(months)


def _counts(table: DbfTable, name: str) -> dict[str, int]:
    if not table.has(name):
        return {}
    values = (
        clean_text(row[name]) if isinstance(row[name], str) else row[name] for row in table.rows
    )
    return {str(value): count for value, count in sorted(Counter(values).items(), key=str)}


def _company_codes(table: DbfTable) -> dict[str, object]:
    fields = names.COMPANIES.fields
    return {
        fields[meaning]: _counts(table, fields[meaning])
        for meaning in ("legal_form", "tax_form", "vat", "removed")
    }


def _tax_codes(table: DbfTable) -> dict[str, object]:
    column = names.TAXES.fields["tax"]
    return {
        column: {
            code: {"records": count, "mapped_to": names.TAX_CODES.get(names.tax_code(code))}
            for code, count in _counts(table, column).items()
        },
        names.TAXES.fields["correction"]: _counts(table, names.TAXES.fields["correction"]),
    }


def _no_codes(table: DbfTable) -> dict[str, object]:
    return {}


def _notes(table: DbfTable, limit: int = 5) -> list[dict[str, object]]:
    """The first notes on tax records, shortened: enough to see the memo file and its letters."""
    if not table.has(names.TAX_NOTE):
        return []
    notes = [
        {"record": record, "note": text[:80]}
        for record, row in zip(table.record_numbers, table.rows, strict=True)
        if (text := clean_text(row[names.TAX_NOTE]))
    ]
    return notes[:limit]
