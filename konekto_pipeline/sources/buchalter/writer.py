"""Writes a Buchalter data folder: one subfolder per company with its dBASE tables.

For tests and the demo office. Written with the `dbf` package, not with the reader's dbfread,
and with its own literal field lists (a few extra fields too, as a real program has). The `dbf`
package writes dBASE III tables (memo in a `.dbt`); the fields Buchalter's dBASE IV files use
(C, N, D, L, M) are laid out the same way. Amounts go in as integer grosze and are written as
N(12,2) złoty. What real files carry and readers must survive is on request: a code page and a
language-driver byte (zero, as DOS programs leave it), upper-case file names, `.mdx` indexes
beside the tables, deleted records, and the `**` a dBASE program writes into a numeric field
whose value did not fit.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import dbf

import konekto_pipeline.sources.files.encodings  # noqa: F401  (registers the Mazovia codec)

dbf.tables.code_pages[0x69] = ("mazovia", "Mazovia (Polish) MS-DOS")

_LANGUAGE_DRIVER = 29
_INDEX_FLAG = 28


@dataclass(frozen=True)
class Partner:
    """A partner (wspólnik) of the company; listed in every year's partners file."""

    number: int
    surname: str
    first_name: str | None = None
    pesel: str | None = None


@dataclass(frozen=True)
class PartnerZus:
    """One line of the partners' ZUS register (grosze). `overflow` names a numeric field
    written as `**` instead of its value."""

    year: int
    month: int
    partner: int
    social: int
    health: int
    labour_fund: int = 0
    correction: bool = False
    deleted: bool = False
    overflow: str | None = None


@dataclass(frozen=True)
class Declaration:
    """A declaration generated in Buchalter for a month; `amount` to pay in grosze."""

    year: int
    month: int
    code: str
    amount: int
    correction: bool = False
    refund: int | None = None
    carried_forward: int | None = None
    notes: str | None = None
    deleted: bool = False
    overflow: str | None = None


@dataclass(frozen=True)
class LedgerLine:
    """One KPiR entry: its date, total revenue (column 9) and total costs (column 14), grosze."""

    day: date
    revenue: int = 0
    costs: int = 0
    description: str = ""
    deleted: bool = False
    overflow: str | None = None


@dataclass(frozen=True)
class EmployeesZus:
    """One line of a month's employees' ZUS export; lines of the same month share a file."""

    year: int
    month: int
    social: int
    health: int
    labour_fund: int = 0
    fep: int = 0
    exported: date | None = None
    overflow: str | None = None


@dataclass
class BuchalterCompany:
    """A company's subfolder and what its files hold.

    `omit` names files not to write (`"b5dekl26"`, no extension); `omit_fields` leaves fields out
    of a table (`{"b5zusw": {"KOREKTA"}}`). `language_driver` is written at offset 29 of every
    table (0 for a DOS file that leaves it empty); None keeps what the code page gives.
    """

    folder: str
    name: str
    nip: str
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    city: str = ""
    legal_form: str | None = "F"
    tax_form: str | None = "K"
    vat_period: str | None = "M"
    employs: bool = False
    partners: Sequence[Partner] = ()
    partners_zus: Sequence[PartnerZus] = ()
    declarations: Sequence[Declaration] = ()
    ledger: Sequence[LedgerLine] = ()
    employees_zus: Sequence[EmployeesZus] = ()
    years: Sequence[int] = ()
    encoding: str = "cp1250"
    language_driver: int | None = None
    upper_case: bool = False
    indexes: bool = True
    omit: frozenset[str] = frozenset()
    omit_fields: Mapping[str, set[str]] = field(default_factory=dict)


_FIRMA = (
    "NAZWA C(80)", "NIP C(13)", "REGON C(14)", "EMAIL C(40)", "TELEFON C(20)", "MIASTO C(30)",
    "FORMA C(1)", "OPODAT C(1)", "VATOKRES C(1)", "ZATRUDNIA L",
)  # fmt: skip
_WSPL = ("NRWSP N(3,0)", "NAZWISKO C(40)", "IMIE C(20)", "PESEL C(11)", "UDZIAL N(6,2)")
_ZUSW = (
    "MIESIAC N(2,0)", "NRWSP N(3,0)", "SPOLECZNE N(12,2)", "ZDROWOTNE N(12,2)",
    "FUNDUSZ N(12,2)", "KOREKTA L",
)  # fmt: skip
_DEKL = (
    "MIESIAC N(2,0)", "DEKLAR C(10)", "KOREKTA L", "KWOTA N(12,2)", "ZWROT N(12,2)",
    "NADWYZKA N(12,2)", "DATAWYST D", "UWAGI M",
)  # fmt: skip
_KPIR = (
    "LP N(6,0)", "DATA D", "NRDOW C(20)", "OPIS C(60)", "PRZYCHOD N(12,2)", "KOSZTY N(12,2)",
)  # fmt: skip
_ZUSP = (
    "NRPRAC N(4,0)", "SPOLECZNE N(12,2)", "ZDROWOTNE N(12,2)", "FUNDUSZ N(12,2)",
    "FEP N(12,2)", "DATA D",
)  # fmt: skip


def write_buchalter(
    folder: Path, companies: Iterable[BuchalterCompany], zus_export_folder: Path | None = None
) -> None:
    """Write each company's subfolder under `folder`; its employees' ZUS exports go to
    `zus_export_folder`/<subfolder> when given, else to the subfolder itself."""
    for company in companies:
        home = folder / company.folder
        home.mkdir(parents=True, exist_ok=True)
        _write(company, home, "b5firma", _FIRMA, [_firma_row(company)])
        for year in _years(company):
            _write_year(company, home, year)
        exports = home if zus_export_folder is None else zus_export_folder / company.folder
        _write_exports(company, exports)


def _years(company: BuchalterCompany) -> list[int]:
    found = {*company.years, *(line.year for line in company.partners_zus)}
    found |= {item.year for item in company.declarations}
    found |= {line.day.year for line in company.ledger}
    return sorted(found)


def _write_year(company: BuchalterCompany, home: Path, year: int) -> None:
    yy = f"{year % 100:02d}"
    partners = [_partner_row(partner) for partner in company.partners]
    _write(company, home, f"b5wspl{yy}", _WSPL, partners)
    zus = [line for line in company.partners_zus if line.year == year]
    _write(company, home, f"b5zusw{yy}", _ZUSW, [_zusw_row(line) for line in zus], zus)
    declarations = [item for item in company.declarations if item.year == year]
    rows = [_dekl_row(item) for item in declarations]
    _write(company, home, f"b5dekl{yy}", _DEKL, rows, declarations)
    ledger = [line for line in company.ledger if line.day.year == year]
    rows = [_kpir_row(number, line) for number, line in enumerate(ledger, start=1)]
    _write(company, home, f"b5kpir{yy}", _KPIR, rows, ledger)


def _write_exports(company: BuchalterCompany, folder: Path) -> None:
    months = sorted({(line.year, line.month) for line in company.employees_zus})
    if months:
        folder.mkdir(parents=True, exist_ok=True)
    for year, month in months:
        lines = [line for line in company.employees_zus if (line.year, line.month) == (year, month)]
        rows = [_zusp_row(number, line) for number, line in enumerate(lines, start=1)]
        _write(company, folder, f"zusp{year:04d}{month:02d}", _ZUSP, rows, lines)


def _write(
    company: BuchalterCompany,
    folder: Path,
    stem: str,
    fields: Sequence[str],
    rows: list[dict[str, Any]],
    items: Sequence[Any] = (),
) -> None:
    """One table: its rows in order, then deletions, overflows and header bytes patched."""
    if stem in company.omit:
        return
    name = f"{stem}.dbf".upper() if company.upper_case else f"{stem}.dbf"
    kept = _kept_fields(fields, company.omit_fields.get(stem.rstrip("0123456789"), set()))
    path = folder / name
    table = dbf.Table(str(path), "; ".join(kept), codepage=company.encoding, dbf_type="db3")
    table.open(dbf.READ_WRITE)
    try:
        names = [spec.split()[0] for spec in kept]
        for row, item in zip(rows, list(items) or [None] * len(rows), strict=True):
            table.append({key: value for key, value in row.items() if key in names})
            if getattr(item, "deleted", False):
                dbf.delete(table[-1])
    finally:
        table.close()
    _patch(path, company, items)
    if company.indexes:
        _write_index(path)


def _kept_fields(fields: Sequence[str], omitted: set[str]) -> list[str]:
    return [spec for spec in fields if spec.split()[0] not in omitted]


def _patch(path: Path, company: BuchalterCompany, items: Sequence[Any]) -> None:
    """Set the header bytes and write `**` where an item asks for an overflowed field."""
    with path.open("r+b") as file:
        data = bytearray(file.read())
        if company.language_driver is not None:
            data[_LANGUAGE_DRIVER] = company.language_driver
        if company.indexes:
            data[_INDEX_FLAG] = 0x01
        for index, item in enumerate(items):
            name = getattr(item, "overflow", None)
            if name is not None:
                _overflow(data, index, name)
        file.seek(0)
        file.write(data)


def _overflow(data: bytearray, index: int, name: str) -> None:
    header_length = int.from_bytes(data[8:10], "little")
    record_length = int.from_bytes(data[10:12], "little")
    start = 1
    for offset in range(32, header_length - 1, 32):
        field_name = bytes(data[offset : offset + 11]).split(b"\x00")[0].decode("ascii")
        length = data[offset + 16]
        if field_name == name:
            position = header_length + index * record_length + start
            data[position : position + length] = b"*" * length
            return
        start += length
    raise ValueError(f"no field {name} to overflow")


def _write_index(table: Path) -> None:
    """A stand-in for the dBASE IV production index: the reader must leave it alone."""
    suffix = ".MDX" if table.suffix == ".DBF" else ".mdx"
    header = bytes([0x02, 125, 1, 1]) + table.stem.upper().encode("ascii").ljust(16, b"\x00")
    table.with_suffix(suffix).write_bytes(header.ljust(2048, b"\x00"))


def _money(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)


def _firma_row(company: BuchalterCompany) -> dict[str, Any]:
    return {
        "NAZWA": company.name,
        "NIP": company.nip,
        "REGON": company.regon or "",
        "EMAIL": company.email or "",
        "TELEFON": company.phone or "",
        "MIASTO": company.city,
        "FORMA": company.legal_form or "",
        "OPODAT": company.tax_form or "",
        "VATOKRES": company.vat_period or "",
        "ZATRUDNIA": company.employs,
    }


def _partner_row(partner: Partner) -> dict[str, Any]:
    return {
        "NRWSP": partner.number,
        "NAZWISKO": partner.surname,
        "IMIE": partner.first_name or "",
        "PESEL": partner.pesel or "",
        "UDZIAL": Decimal("50.00"),
    }


def _zusw_row(line: PartnerZus) -> dict[str, Any]:
    return {
        "MIESIAC": line.month,
        "NRWSP": line.partner,
        "SPOLECZNE": _money(line.social),
        "ZDROWOTNE": _money(line.health),
        "FUNDUSZ": _money(line.labour_fund),
        "KOREKTA": line.correction,
    }


def _dekl_row(item: Declaration) -> dict[str, Any]:
    return {
        "MIESIAC": item.month,
        "DEKLAR": item.code,
        "KOREKTA": item.correction,
        "KWOTA": _money(item.amount),
        "ZWROT": _money(item.refund),
        "NADWYZKA": _money(item.carried_forward),
        "DATAWYST": date(item.year + item.month // 12, item.month % 12 + 1, 15),
        "UWAGI": item.notes or "",
    }


def _kpir_row(number: int, line: LedgerLine) -> dict[str, Any]:
    return {
        "LP": number,
        "DATA": line.day,
        "NRDOW": f"FV/{number}/{line.day.year}",
        "OPIS": line.description,
        "PRZYCHOD": _money(line.revenue),
        "KOSZTY": _money(line.costs),
    }


def _zusp_row(number: int, line: EmployeesZus) -> dict[str, Any]:
    return {
        "NRPRAC": number,
        "SPOLECZNE": _money(line.social),
        "ZDROWOTNE": _money(line.health),
        "FUNDUSZ": _money(line.labour_fund),
        "FEP": _money(line.fep),
        "DATA": line.exported,
    }
