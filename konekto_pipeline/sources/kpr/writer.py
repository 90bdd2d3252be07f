"""Writes KPR-shaped year folders: the company list, each company's ledger and the ImportDoKPR
export, as dBASE III files.

For tests and the demo office. Written with the `dbf` package, not with dbfread (the reader's
library), and with its own literal field names, so a mistake in the reader's table map is not
repeated here. Amounts come in grosze and are written as N(12,2) złoty. Files are in Mazovia
with a zero language-driver byte unless a year says otherwise (CP852 files carry 0x64).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import dbf

import konekto_pipeline.sources.files.encodings  # noqa: F401  (registers the Mazovia codec)

dbf.tables.code_pages[0x69] = ("mazovia", "Mazovia (Polish) MS-DOS")

_LANGUAGE_DRIVER_OFFSET = 29

_FIRMY = "KOD C(8); NAZWA C(60); NIP C(13); REGON C(14); RYCZALT L; VAT C(1); AKTYWNA L"
_KSIEGA = "LP N(5,0); DATA D; OPIS C(60); PRZYCHOD N(12,2); KOSZTY N(12,2); UWAGI M"
_EKSPORT = (
    "NIP C(13); ROK N(4,0); MIESIAC N(2,0); PODATEK C(6); KOREKTA L; DOZAPLATY N(12,2); "
    "ZWROT N(12,2); NADWYZKA N(12,2)"
)


@dataclass(frozen=True)
class KprCompany:
    """A company on a year's company list; `code` is also its subfolder's name."""

    code: str
    name: str
    nip: str
    regon: str | None = None
    ryczalt: bool = False
    vat: str | None = "M"  # M monthly, K quarterly, N no VAT
    active: bool | None = True


@dataclass(frozen=True)
class LedgerLine:
    """One ledger entry of a company (by code); amounts in grosze."""

    company: str
    number: int
    day: date
    description: str
    revenue: int = 0
    costs: int = 0
    memo: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class ExportLine:
    """One line of the ImportDoKPR export: a tax a company pays for a month; grosze."""

    nip: str
    year: int
    month: int
    tax: str  # the export's code: VAT7, VAT7K, PIT5, PIT5L, PIT28, PIT4
    to_pay: int
    correction: bool = False
    refund: int | None = None
    carried_forward: int | None = None


@dataclass
class KprYear:
    """One fiscal year's folder. `export` None writes no export; `export_file` puts it
    elsewhere than `EKSPORT\\KPREXP.DBF` in the folder; `omit` leaves fields out of files
    ({"FIRMY.DBF": {"NIP"}}), as another program version might."""

    year: int
    companies: list[KprCompany]
    ledger: list[LedgerLine] = field(default_factory=list)
    export: list[ExportLine] | None = field(default_factory=list)
    export_file: Path | None = None
    codepage: str = "mazovia"
    language_driver: int = 0x00
    omit: Mapping[str, set[str]] = field(default_factory=dict)


def write_kpr(root: Path, years: Iterable[KprYear]) -> dict[int, Path]:
    """Write `root/KPR_<year>` for each year; returns the folders by year."""
    folders = {}
    for year in years:
        folder = root / f"KPR_{year.year:04d}"
        write_kpr_year(folder, year)
        folders[year.year] = folder
    return folders


def write_kpr_year(folder: Path, year: KprYear) -> None:
    """Write one year's folder: FIRMY.DBF, `<code>/KSIEGA.DBF` per company, the export."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "FIRMY.DBF", _FIRMY, [_firm(company) for company in year.companies], year)
    for company in year.companies:
        lines = [line for line in year.ledger if line.company == company.code]
        _write(folder / company.code / "KSIEGA.DBF", _KSIEGA, [_line(x) for x in lines], year)
    if year.export is not None:
        path = year.export_file or folder / "EKSPORT" / "KPREXP.DBF"
        _write(path, _EKSPORT, [_export(line) for line in year.export], year)


def overwrite_field(path: Path, record: int, name: str, raw: bytes) -> None:
    """Put `raw` (the field's full width) into field `name` of `record` (1-based): the bytes
    real programs leave that no writer library produces (NUL padding, `**` overflow)."""
    data = bytearray(path.read_bytes())
    header_length = int.from_bytes(data[8:10], "little")
    record_length = int.from_bytes(data[10:12], "little")
    start, width = _field_position(data, name)
    if len(raw) != width:
        raise ValueError(f"{name} is {width} bytes wide, got {len(raw)}")
    offset = header_length + (record - 1) * record_length + start
    data[offset : offset + width] = raw
    path.write_bytes(bytes(data))


def _field_position(header: bytearray, name: str) -> tuple[int, int]:
    start = 1  # after the deletion flag
    for offset in range(32, len(header), 32):
        if header[offset] == 0x0D:
            break
        width = header[offset + 16]
        if header[offset : offset + 11].rstrip(b"\x00").decode("ascii") == name:
            return start, width
        start += width
    raise ValueError(f"no field {name}")


def _write(path: Path, fields: str, records: list[dict[str, Any]], year: KprYear) -> None:
    omitted = year.omit.get(path.name, set())
    specs = "; ".join(spec for spec in fields.split("; ") if spec.split()[0] not in omitted)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = dbf.Table(str(path), specs, codepage=year.codepage, dbf_type="db3")
    table.open(dbf.READ_WRITE)
    try:
        for values in records:
            deleted = values.pop("_deleted", False)
            table.append({name: value for name, value in values.items() if name not in omitted})
            if deleted:
                dbf.delete(table[-1])
    finally:
        table.close()
    _set_language_driver(path, year.language_driver)


def _set_language_driver(path: Path, driver: int) -> None:
    data = bytearray(path.read_bytes())
    data[_LANGUAGE_DRIVER_OFFSET] = driver
    path.write_bytes(bytes(data))


def _zloty(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)


def _firm(company: KprCompany) -> dict[str, Any]:
    return {
        "KOD": company.code,
        "NAZWA": company.name,
        "NIP": company.nip,
        "REGON": company.regon or "",
        "RYCZALT": company.ryczalt,
        "VAT": company.vat or "",
        "AKTYWNA": company.active,
    }


def _line(line: LedgerLine) -> dict[str, Any]:
    return {
        "LP": line.number,
        "DATA": line.day,
        "OPIS": line.description,
        "PRZYCHOD": _zloty(line.revenue),
        "KOSZTY": _zloty(line.costs),
        "UWAGI": line.memo or "",
        "_deleted": line.deleted,
    }


def _export(line: ExportLine) -> dict[str, Any]:
    return {
        "NIP": line.nip,
        "ROK": line.year,
        "MIESIAC": line.month,
        "PODATEK": line.tax,
        "KOREKTA": line.correction,
        "DOZAPLATY": _zloty(line.to_pay),
        "ZWROT": _zloty(line.refund),
        "NADWYZKA": _zloty(line.carried_forward),
    }
