"""Writes a Mała Księgowość „Rzeczpospolitej” data folder: the company list, and per company its
taxes to pay and monthly ledger totals, as CP1250 dBASE III files with a memo file.

For tests and the demo office. Written with the `dbf` package, not with the reader's dbfread,
and with its own literal file and field names, so a slip in the reader's table map is not
repeated here. Amounts come in as integer grosze and are written as N(…,2) numbers.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import dbf

_CODE_PAGE = "cp1250"
_LANGUAGE_DRIVER_OFFSET = 29


@dataclass(frozen=True)
class MkTax:
    """One record of a company's taxes to pay: what MK shows for a tax and month (grosze)."""

    year: int
    month: int
    code: str  # "VAT7", "VAT7K", "PIT5", "PIT5L", "PIT28", "PIT4"
    to_pay: int
    correction: bool = False
    refund: int | None = None
    carried_forward: int | None = None
    note: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class MkMonth:
    """One month's ledger totals (grosze); `costs` None for a ryczałt register's blank field."""

    year: int
    month: int
    revenue: int
    costs: int | None = None
    revenue_ytd: int | None = None
    costs_ytd: int | None = None
    deleted: bool = False


@dataclass(frozen=True)
class MkCompany:
    """A company of the office's list, with its records.

    `legal_form` F/P/B, `tax_form` K (KPiR) / R (ryczałt), `vat` M/K/N as MK would code them.
    """

    id: str
    name: str
    nip: str
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    legal_form: str | None = "F"
    tax_form: str | None = "K"
    vat: str | None = "M"
    removed: bool = False
    taxes: tuple[MkTax, ...] = ()
    months: tuple[MkMonth, ...] = ()


_FIRMY = (
    ("ID", "C(20)"),
    ("NAZWA", "C(120)"),
    ("NIP", "C(13)"),
    ("REGON", "C(14)"),
    ("EMAIL", "C(60)"),
    ("TELEFON", "C(20)"),
    ("MIASTO", "C(40)"),
    ("FORMA", "C(1)"),
    ("OPODAT", "C(1)"),
    ("VAT", "C(1)"),
    ("USUNIETA", "L"),
)
_PODATKI = (
    ("ROK", "N(4,0)"),
    ("MIESIAC", "N(2,0)"),
    ("PODATEK", "C(8)"),
    ("KOREKTA", "L"),
    ("DOZAPLATY", "N(12,2)"),
    ("ZWROT", "N(12,2)"),
    ("NADWYZKA", "N(12,2)"),
    ("UWAGI", "M"),
)
_EWIDENCJA = (
    ("ROK", "N(4,0)"),
    ("MIESIAC", "N(2,0)"),
    ("PRZYCHOD", "N(14,2)"),
    ("KOSZTY", "N(14,2)"),
    ("PRZYCH_NAR", "N(14,2)"),
    ("KOSZT_NAR", "N(14,2)"),
)


def write_mala_ksiegowosc(
    folder: Path,
    companies: Sequence[MkCompany],
    *,
    omit: Mapping[str, Collection[str]] | None = None,
    language_driver: int | None = None,
) -> None:
    """Create the data folder: FIRMY.DBF and a subfolder per company with its two files.

    `omit` leaves fields out by file stem ({"PODATKI": {"DOZAPLATY"}}), as an older or newer
    program version might; `language_driver` overwrites header byte 29 of every file (0 as a
    program that never sets it). A company whose identifier cannot be a folder name gets none.
    """
    omit = omit or {}
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _write(
            folder / "FIRMY.DBF",
            _fields(_FIRMY, omit.get("FIRMY", ())),
            ((_firm(company), False) for company in companies),
        )
    ]
    for company in companies:
        if not _folder_name(company.id):
            continue
        home = folder / company.id
        home.mkdir(exist_ok=True)
        taxes = ((_tax(tax), tax.deleted) for tax in company.taxes)
        months = ((_month(month), month.deleted) for month in company.months)
        written.append(
            _write(home / "PODATKI.DBF", _fields(_PODATKI, omit.get("PODATKI", ())), taxes)
        )
        written.append(
            _write(home / "EWIDENCJA.DBF", _fields(_EWIDENCJA, omit.get("EWIDENCJA", ())), months)
        )
    if language_driver is not None:
        for path in written:
            _set_language_driver(path, language_driver)


def write_options_file(path: Path, data_folder: str) -> None:
    """The program's options file naming the data folder, in CP1250 with Windows line ends."""
    lines = [
        "[Program]",
        "Wersja=2024.1",
        "Użytkownik=Księgowa Żaneta",
        "",
        "[Dane]",
        f"KatalogDanych={data_folder}",
        "KopiaPrzyStarcie=1",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\r\n".join(lines).encode(_CODE_PAGE) + b"\r\n")


def _folder_name(company_id: str) -> bool:
    return (
        bool(company_id.strip())
        and company_id not in (".", "..")
        and not any(separator in company_id for separator in "/\\:")
    )


def _fields(layout: tuple[tuple[str, str], ...], omitted: Collection[str]) -> str:
    return "; ".join(f"{name} {kind}" for name, kind in layout if name not in omitted)


def _write(path: Path, fields: str, records: Iterable[tuple[dict[str, Any], bool]]) -> Path:
    """A dBASE III table (a .DBT memo file beside it when it has memo fields)."""
    table = dbf.Table(str(path), fields, codepage=_CODE_PAGE, dbf_type="db3")
    table.open(dbf.READ_WRITE)
    try:
        names = {name.upper() for name in table.field_names}
        for values, deleted in records:
            table.append(
                {
                    name: value
                    for name, value in values.items()
                    if name in names and value is not None
                }
            )
            if deleted:
                dbf.delete(table[-1])
    finally:
        table.close()
    return path


def _set_language_driver(path: Path, value: int) -> None:
    with path.open("r+b") as file:
        file.seek(_LANGUAGE_DRIVER_OFFSET)
        file.write(bytes([value]))


def _money(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2).quantize(Decimal("0.01"))


def _firm(company: MkCompany) -> dict[str, Any]:
    return {
        "ID": company.id,
        "NAZWA": company.name,
        "NIP": company.nip,
        "REGON": company.regon,
        "EMAIL": company.email,
        "TELEFON": company.phone,
        "MIASTO": "Warszawa",
        "FORMA": company.legal_form,
        "OPODAT": company.tax_form,
        "VAT": company.vat,
        "USUNIETA": company.removed,
    }


def _tax(tax: MkTax) -> dict[str, Any]:
    return {
        "ROK": tax.year,
        "MIESIAC": tax.month,
        "PODATEK": tax.code,
        "KOREKTA": tax.correction,
        "DOZAPLATY": _money(tax.to_pay),
        "ZWROT": _money(tax.refund),
        "NADWYZKA": _money(tax.carried_forward),
        "UWAGI": tax.note,
    }


def _month(month: MkMonth) -> dict[str, Any]:
    return {
        "ROK": month.year,
        "MIESIAC": month.month,
        "PRZYCHOD": _money(month.revenue),
        "KOSZTY": _money(month.costs),
        "PRZYCH_NAR": _money(month.revenue_ytd),
        "KOSZT_NAR": _money(month.costs_ytd),
    }
