"""Reads a folder of JPK_V7M / JPK_V7K files into companies, VAT items and monthly summaries.

Surprising parts:
- Elements are matched by local name only; the variant comes from `@kodSystemowy`.
- A V7K declaration covers a quarter: its VAT item's period is the quarter's last month of
  `Rok`, whatever `Miesiac` the file carries.
- A correction (CelZlozenia 2) supersedes the first filing for the same company, period and
  tax; the declaration and the records are superseded separately, because a correction may
  carry only one of them.
- Declaration amounts are whole złoty; record amounts are decimals. Both become integer grosze
  without passing through floats.
- An invalid NIP checksum is not a reader problem: the rows keep the normalized NIP and the
  schema validation downstream reports it (and no micro-account is derived).
"""

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pandas as pd

from konekto_pipeline.domain.accounts import micro_account
from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import is_valid_nip, normalize_nip
from konekto_pipeline.domain.money import to_grosze, zloty_to_grosze
from konekto_pipeline.domain.periods import period as make_period
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.sources.base import SourceData, SourceProblem, file_identity
from konekto_pipeline.sources.jpk import settings
from konekto_pipeline.sources.xml import XmlFileError, parse_file
from konekto_pipeline.sources.xml import child as _child
from konekto_pipeline.sources.xml import children as _children
from konekto_pipeline.sources.xml import local_name as _local
from konekto_pipeline.sources.xml import text_at as _text

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_INTEGER = re.compile(r"^\+?\d+$")


class _BadFile(Exception):
    """A file the reader cannot use; `message` names the element at fault."""

    def __init__(self, message: str, nip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.nip = nip


@dataclass(frozen=True)
class _Company:
    nip: str
    name: str
    email: str | None
    phone: str | None
    legal_form: str | None
    vat_period: str


@dataclass(frozen=True)
class _Filing:
    """What one file says: who, when it was made, and its declaration and records, if any."""

    path: Path
    company: _Company
    created: datetime
    correction: bool
    declaration: dict[str, Any] | None
    records: dict[str, Any] | None

    def rank(self) -> tuple[bool, datetime, str, str]:
        """Corrections beat first filings, then the later DataWytworzeniaJPK, then file name."""
        return (self.correction, self.created, self.path.name, str(self.path))


class JpkReader:
    """Reads every *.xml under `folder` (recursively) as a JPK_V7M or JPK_V7K file."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Read all files; keep VAT and summary rows of `periods` (all when None)."""
        problems: list[SourceProblem] = []
        filings = list(self._filings(problems))
        taxes = [_tax_row(filing) for filing in _latest(filings, _declaration_key)]
        summaries = [_summary_row(filing) for filing in _latest(filings, _records_key)]
        if periods is not None:
            wanted = set(periods)
            taxes = [row for row in taxes if row["period"] in wanted]
            summaries = [row for row in summaries if row["period"] in wanted]
        return SourceData(
            companies=schema_frame("companies", _company_rows(filings)),
            taxes=schema_frame("taxes", taxes),
            summaries=schema_frame("summaries", summaries),
            problems=problems,
        )

    def _filings(self, problems: list[SourceProblem]) -> Iterator[_Filing]:
        if not self.folder.is_dir():
            problems.append(_problem(self.folder, "the JPK folder does not exist"))
            return
        for path in _xml_files(self.folder):
            outcome = _read_file_once(path, *file_identity(path))
            if isinstance(outcome, _BadFile):
                problems.append(_problem(path, outcome.message, outcome.nip))
            else:
                yield outcome


def _xml_files(folder: Path) -> list[Path]:
    suffixes = settings.FILE_SUFFIXES
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _problem(path: Path, message: str, nip: str | None = None) -> SourceProblem:
    return SourceProblem(program=settings.SOURCE, where=str(path), message=message, nip=nip)


@functools.lru_cache(maxsize=20_000)
def _read_file_once(path: Path, size: int, modified_ns: int) -> "_Filing | _BadFile":
    """A file's filing, or what is wrong with it, parsed once while it stays unchanged.

    A run reads the folder for each of the group's assets (companies, taxes, summaries); the
    key includes size and modification time, so a file that changed is parsed again.
    """
    try:
        return _read_file(path)
    except _BadFile as bad:
        return bad


def _read_file(path: Path) -> _Filing:
    root = _parse(path)
    header = _child(root, "Naglowek")
    if header is None:
        raise _BadFile("the JPK has no Naglowek")
    form = _form(header)
    company = _company(root, form)
    try:
        year, month = _year_month(header)
        return _Filing(
            path=path,
            company=company,
            created=_created(header),
            correction=_is_correction(header),
            declaration=_declaration(root, form, year, month),
            records=_records(root, make_period(year, month)),
        )
    except _BadFile as bad:
        raise _BadFile(bad.message, company.nip) from None


def _parse(path: Path) -> Element:
    try:
        root = parse_file(path)
    except XmlFileError as error:
        raise _BadFile(error.message) from None
    if _local(root.tag) != settings.ROOT:
        raise _BadFile(f"not a JPK file: the root element is {_local(root.tag)}, not JPK")
    return root


def _form(header: Element) -> str:
    code = _child(header, "KodFormularza")
    system_code = code.get("kodSystemowy") if code is not None else None
    if system_code is None:
        raise _BadFile("Naglowek/KodFormularza has no kodSystemowy attribute")
    if system_code.strip() not in settings.VARIANTS:
        raise _BadFile(f"KodFormularza kodSystemowy {system_code!r} is not a JPK_V7M/V7K form")
    return settings.VARIANTS[system_code.strip()][0]


def _company(root: Element, form: str) -> _Company:
    subject = _child(root, "Podmiot1")
    if subject is None:
        raise _BadFile("the JPK has no Podmiot1 (taxpayer)")
    company = _child(subject, "OsobaNiefizyczna")
    person = _child(subject, "OsobaFizyczna")
    party = company if company is not None else person
    if party is None:
        raise _BadFile("Podmiot1 has neither OsobaNiefizyczna nor OsobaFizyczna")
    nip = normalize_nip(_text(party, "NIP") or "")
    if not nip:
        raise _BadFile(f"Podmiot1/{_local(party.tag)} has no NIP")
    name = _text(party, "PelnaNazwa") if company is not None else _person_name(party)
    if not name:
        raise _BadFile(f"Podmiot1/{_local(party.tag)} has no name", nip)
    return _Company(
        nip=nip,
        name=name,
        email=_clean_email(_text(party, "Email")),
        phone=_text(party, "Telefon"),
        legal_form="other" if company is None else None,
        vat_period=settings.VAT_PERIOD_BY_FORM[form],
    )


def _person_name(person: Element) -> str | None:
    first, last = _text(person, "ImiePierwsze"), _text(person, "Nazwisko")
    parts = [part for part in (first, last) if part]
    return " ".join(parts) or None


def _clean_email(email: str | None) -> str | None:
    """Programs leave stray separators after the address ("jan@firma.pl,")."""
    if email is None:
        return None
    return email.strip().rstrip(",; ").strip() or None


def _created(header: Element) -> datetime:
    """DataWytworzeniaJPK, naive: an offset is converted to UTC and dropped, so all compare."""
    text = _text(header, "DataWytworzeniaJPK")
    try:
        created = datetime.fromisoformat(text or "")
    except ValueError:
        raise _BadFile("Naglowek/DataWytworzeniaJPK is missing or not a date-time") from None
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    return created


def _is_correction(header: Element) -> bool:
    purpose = _text(header, "CelZlozenia")
    if purpose not in settings.KIND_BY_PURPOSE:
        raise _BadFile("Naglowek/CelZlozenia must be 1 (first filing) or 2 (correction)")
    return settings.KIND_BY_PURPOSE[purpose] == "K"


def _year_month(header: Element) -> tuple[int, int]:
    year = _small_int(header, "Rok", 1990, 2100)
    month = _small_int(header, "Miesiac", 1, 12)
    return year, month


def _declaration(root: Element, form: str, year: int, month: int) -> dict[str, Any] | None:
    """The VAT item of the Deklaracja, or None when the file carries records only."""
    declaration = _child(root, "Deklaracja")
    if declaration is None:
        return None
    fields = _child(declaration, "PozycjeSzczegolowe")
    if fields is None:
        raise _BadFile("Deklaracja has no PozycjeSzczegolowe")
    amount = _whole_zloty(fields, settings.TAX_TO_PAY)
    if amount is None:
        raise _BadFile(f"Deklaracja has no {settings.TAX_TO_PAY} (tax to pay)")
    return {
        "period": _declaration_period(declaration, form, year, month),
        "tax": settings.TAX_BY_FORM[form],
        "amount": amount,
        "refund": _whole_zloty(fields, settings.TAX_REFUND),
        "carried_forward": _whole_zloty(fields, settings.TAX_CARRIED_FORWARD),
    }


def _declaration_period(declaration: Element, form: str, year: int, month: int) -> str:
    if form == settings.MONTHLY:
        return make_period(year, month)
    declaration_header = _child(declaration, "Naglowek")
    if declaration_header is None:
        raise _BadFile("Deklaracja of a V7K has no Naglowek with Kwartal")
    quarter = _small_int(declaration_header, "Kwartal", 1, 4)
    return make_period(year, quarter * 3)


def _records(root: Element, month: str) -> dict[str, Any] | None:
    """Monthly totals of the Ewidencja, or None when the file carries no records."""
    records = _child(root, "Ewidencja")
    if records is None:
        return None
    sales = [
        row
        for row in _children(records, "SprzedazWiersz")
        if _text(row, "TypDokumentu") != settings.DUPLICATE_SALES_DOCUMENT
    ]
    purchases = list(_children(records, "ZakupWiersz"))
    vat_output = _sum(sales, settings.OUTPUT_VAT_ADDED) - _sum(
        sales, settings.OUTPUT_VAT_SUBTRACTED
    )
    return {
        "period": month,
        "revenue": _sum(sales, settings.REVENUE_BASES),
        "costs": _sum(purchases, settings.COST_BASES),
        "vat_output": vat_output,
        "vat_input": _sum(purchases, settings.INPUT_VAT),
    }


def _sum(rows: Iterable[Element], fields: Iterable[str]) -> int:
    return sum(_grosze(row, field) for row in rows for field in fields)


def _grosze(row: Element, field: str) -> int:
    text = _text(row, field)
    if text is None:
        return 0
    try:
        if not _DECIMAL.match(text):
            raise ValueError(text)
        return to_grosze(Decimal(text))
    except (ValueError, InvalidOperation, ArithmeticError) as error:
        number = _text(row, "LpSprzedazy") or _text(row, "LpZakupu") or "?"
        why = f"- {error}" if "beyond any real figure" in str(error) else "is not an amount"
        raise _BadFile(f"{_local(row.tag)} {number}: {field} {why}") from None


def _whole_zloty(fields: Element, name: str) -> int | None:
    """A declaration amount (TKwotaCNieujemna: whole, non-negative złoty) in grosze."""
    text = _text(fields, name)
    if text is None:
        return None
    if not _INTEGER.match(text):
        raise _BadFile(f"PozycjeSzczegolowe/{name} is not a whole non-negative number of złoty")
    try:
        return zloty_to_grosze(int(text))
    except ValueError as error:
        raise _BadFile(f"PozycjeSzczegolowe/{name}: {error}") from None


def _small_int(parent: Element, name: str, low: int, high: int) -> int:
    text = _text(parent, name)
    if text is None or not _INTEGER.match(text) or not low <= int(text) <= high:
        raise _BadFile(f"{_local(parent.tag)}/{name} is missing or not in {low}..{high}")
    return int(text)


def _declaration_key(filing: _Filing) -> tuple[str, str, str] | None:
    if filing.declaration is None:
        return None
    return (filing.company.nip, filing.declaration["period"], filing.declaration["tax"])


def _records_key(filing: _Filing) -> tuple[str, str] | None:
    if filing.records is None:
        return None
    return (filing.company.nip, filing.records["period"])


def _latest(
    filings: Iterable[_Filing], key: Callable[[_Filing], tuple[str, ...] | None]
) -> list[_Filing]:
    """The winning filing per key: a correction over a first filing, then the newest."""
    best: dict[tuple[str, ...], _Filing] = {}
    for filing in filings:
        group = key(filing)
        if group is not None and (group not in best or filing.rank() > best[group].rank()):
            best[group] = filing
    return [best[group] for group in sorted(best)]


def _company_rows(filings: list[_Filing]) -> list[dict[str, Any]]:
    """One row per NIP, from the file made last (DataWytworzeniaJPK, then file name)."""
    newest: dict[str, _Filing] = {}
    for filing in filings:
        nip = filing.company.nip
        current = newest.get(nip)
        if current is None or _age(filing) > _age(current):
            newest[nip] = filing
    return [_company_row(newest[nip].company) for nip in sorted(newest)]


def _age(filing: _Filing) -> tuple[datetime, str, str]:
    return (filing.created, filing.path.name, str(filing.path))


def _origin(nip: str) -> dict[str, str]:
    return {"source": settings.SOURCE, "source_company_id": nip, "nip": nip}


def _company_row(company: _Company) -> dict[str, Any]:
    return {
        **_origin(company.nip),
        "name": company.name,
        "regon": None,
        "email": company.email,
        "phone": company.phone,
        "legal_form": company.legal_form,
        "tax_form": None,
        "vat_period": company.vat_period,
    }


def _tax_row(filing: _Filing) -> dict[str, Any]:
    declaration = filing.declaration or {}
    nip = filing.company.nip
    return {
        **_origin(nip),
        **declaration,
        "kind": "K" if filing.correction else "D",
        "due_date": pd.Timestamp(due_date(declaration["tax"], declaration["period"])),
        "account": micro_account(nip) if is_valid_nip(nip) else None,
    }


def _summary_row(filing: _Filing) -> dict[str, Any]:
    records = filing.records or {}
    return {
        **_origin(filing.company.nip),
        **records,
        "income": records["revenue"] - records["costs"],
        "revenue_ytd": None,
        "costs_ytd": None,
    }
