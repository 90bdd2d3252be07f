"""Writes a RESET2 (R2firma / R2księga) database in the shape the reader's table map guesses.

One database holds all the office's companies; tables in `dbo` (on SQLite in the file itself,
which the reader attaches as `dbo`), money as DECIMAL(13,2), validity as DATE, text as
NVARCHAR. Names are spelled out here rather than imported from the table map, so a test that
writes and reads compares two descriptions. Both editions share the guessed shape.

`leave_out` drops tables ("Zaliczki") or columns ("Firmy.Aktywna") to imitate other versions.
Rows go in with one executemany per table, so hundreds of companies take a fraction of a second.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from konekto_pipeline.sources.sql.writing import write_tables

SCHEMA = "dbo"
MONEY = sa.Numeric(13, 2)

# Codes as the reader's table map has them (guessed).
VAT_7, VAT_7K = 1, 2
PIT_5, PIT_5L, PIT_28, PIT_4, PIT_8A, CIT = 1, 2, 3, 4, 5, 6
VAT_UE = 9  # a declaration type the map does not know (only probe() shows it)
KPIR, RYCZALT = 1, 2


@dataclass(frozen=True)
class DeclarationSetting:
    """The VAT declaration a company files from `valid_from` (to `valid_to`, or on)."""

    type_code: int
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True)
class VatFigures:
    """A computed VAT declaration for a month (VAT-7K: a month of its quarter); grosze."""

    year: int
    month: int
    type_code: int
    to_pay: int
    refund: int | None = None
    carried_forward: int | None = None
    correction_no: int = 0
    output_vat: int | None = None
    input_vat: int | None = None


@dataclass(frozen=True)
class TaxAdvance:
    """An income-tax advance or payer tax for a month (or quarter); grosze."""

    year: int
    month: int
    tax_code: int
    to_pay: int
    quarterly: bool = False
    correction_no: int = 0


@dataclass(frozen=True)
class BookMonth:
    """A month's book totals; grosze."""

    year: int
    month: int
    revenue: int
    costs: int
    revenue_ytd: int | None = None
    costs_ytd: int | None = None


@dataclass(frozen=True)
class Reset2Company:
    """One company with everything the office keeps for it."""

    company_id: int
    nip: str | None
    name: str
    short_name: str | None = None
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    tax_form: int | None = KPIR
    active: bool = True
    settings: tuple[DeclarationSetting, ...] = ()
    vat: tuple[VatFigures, ...] = ()
    taxes: tuple[TaxAdvance, ...] = ()
    books: tuple[BookMonth, ...] = ()


def _columns() -> dict[str, list[sa.Column]]:
    """Fresh column objects of each table, by table name."""
    return {
        "Firmy": [
            sa.Column("IdFirmy", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("NIP", sa.Unicode(20)),
            sa.Column("Nazwa", sa.Unicode(250), nullable=False),
            sa.Column("NazwaSkrocona", sa.Unicode(60)),
            sa.Column("REGON", sa.Unicode(14)),
            sa.Column("Email", sa.Unicode(100)),
            sa.Column("Telefon", sa.Unicode(30)),
            sa.Column("FormaOpodatkowania", sa.SmallInteger),
            sa.Column("Aktywna", sa.Boolean, nullable=False),
        ],
        "UstawieniaDeklaracji": [
            sa.Column("IdUstawienia", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("IdFirmy", sa.Integer, nullable=False),
            sa.Column("TypDeklaracji", sa.SmallInteger, nullable=False),
            sa.Column("DataOd", sa.Date, nullable=False),
            sa.Column("DataDo", sa.Date),
        ],
        "RozliczeniaVAT": [
            sa.Column("IdRozliczenia", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("IdFirmy", sa.Integer, nullable=False),
            sa.Column("Rok", sa.SmallInteger, nullable=False),
            sa.Column("Miesiac", sa.SmallInteger, nullable=False),
            sa.Column("TypDeklaracji", sa.SmallInteger, nullable=False),
            sa.Column("NrKorekty", sa.SmallInteger, nullable=False),
            sa.Column("VatNalezny", MONEY),
            sa.Column("VatNaliczony", MONEY),
            sa.Column("DoZaplaty", MONEY),
            sa.Column("DoZwrotu", MONEY),
            sa.Column("DoPrzeniesienia", MONEY),
        ],
        "Zaliczki": [
            sa.Column("IdZaliczki", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("IdFirmy", sa.Integer, nullable=False),
            sa.Column("Rok", sa.SmallInteger, nullable=False),
            sa.Column("Miesiac", sa.SmallInteger, nullable=False),
            sa.Column("Podatek", sa.SmallInteger, nullable=False),
            sa.Column("Kwartalnie", sa.Boolean, nullable=False),
            sa.Column("NrKorekty", sa.SmallInteger, nullable=False),
            sa.Column("DoZaplaty", MONEY),
        ],
        "PodsumowaniaKsiegi": [
            sa.Column("IdFirmy", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("Rok", sa.SmallInteger, primary_key=True, autoincrement=False),
            sa.Column("Miesiac", sa.SmallInteger, primary_key=True, autoincrement=False),
            sa.Column("Przychod", MONEY, nullable=False),
            sa.Column("Koszty", MONEY, nullable=False),
            sa.Column("PrzychodNarastajaco", MONEY),
            sa.Column("KosztyNarastajaco", MONEY),
        ],
    }


def write_reset2_database(
    url_or_engine: str | Engine,
    companies: Iterable[Reset2Company],
    *,
    leave_out: Collection[str] = (),
) -> None:
    """Create the tables (schema `dbo`, none on SQLite) and fill them with `companies`."""
    rows = _rows(list(companies))
    write_tables(url_or_engine, _columns(), rows, schema=SCHEMA, leave_out=leave_out)


def write_reset2_sqlite(
    path: Path, companies: Iterable[Reset2Company], *, leave_out: Collection[str] = ()
) -> Path:
    """Write the database as the SQLite file `path` (replacing it) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    write_reset2_database(f"sqlite:///{path}", companies, leave_out=leave_out)
    return path


def _rows(companies: list[Reset2Company]) -> dict[str, list[dict[str, object]]]:
    return {
        "Firmy": [_company(company) for company in companies],
        "UstawieniaDeklaracji": _numbered(
            "IdUstawienia",
            (_setting(c.company_id, setting) for c in companies for setting in c.settings),
        ),
        "RozliczeniaVAT": _numbered(
            "IdRozliczenia", (_vat(c.company_id, figures) for c in companies for figures in c.vat)
        ),
        "Zaliczki": _numbered(
            "IdZaliczki", (_tax(c.company_id, advance) for c in companies for advance in c.taxes)
        ),
        "PodsumowaniaKsiegi": [_book(c.company_id, month) for c in companies for month in c.books],
    }


def _numbered(key: str, rows: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    return [{key: number, **row} for number, row in enumerate(rows, start=1)]


def _company(company: Reset2Company) -> dict[str, object]:
    return {
        "IdFirmy": company.company_id,
        "NIP": company.nip,
        "Nazwa": company.name,
        "NazwaSkrocona": company.short_name,
        "REGON": company.regon,
        "Email": company.email,
        "Telefon": company.phone,
        "FormaOpodatkowania": company.tax_form,
        "Aktywna": company.active,
    }


def _setting(company_id: int, setting: DeclarationSetting) -> dict[str, object]:
    return {
        "IdFirmy": company_id,
        "TypDeklaracji": setting.type_code,
        "DataOd": setting.valid_from,
        "DataDo": setting.valid_to,
    }


def _vat(company_id: int, figures: VatFigures) -> dict[str, object]:
    return {
        "IdFirmy": company_id,
        "Rok": figures.year,
        "Miesiac": figures.month,
        "TypDeklaracji": figures.type_code,
        "NrKorekty": figures.correction_no,
        "VatNalezny": _zloty(figures.output_vat),
        "VatNaliczony": _zloty(figures.input_vat),
        "DoZaplaty": _zloty(figures.to_pay),
        "DoZwrotu": _zloty(figures.refund),
        "DoPrzeniesienia": _zloty(figures.carried_forward),
    }


def _tax(company_id: int, advance: TaxAdvance) -> dict[str, object]:
    return {
        "IdFirmy": company_id,
        "Rok": advance.year,
        "Miesiac": advance.month,
        "Podatek": advance.tax_code,
        "Kwartalnie": advance.quarterly,
        "NrKorekty": advance.correction_no,
        "DoZaplaty": _zloty(advance.to_pay),
    }


def _book(company_id: int, month: BookMonth) -> dict[str, object]:
    return {
        "IdFirmy": company_id,
        "Rok": month.year,
        "Miesiac": month.month,
        "Przychod": _zloty(month.revenue),
        "Koszty": _zloty(month.costs),
        "PrzychodNarastajaco": _zloty(month.revenue_ytd),
        "KosztyNarastajaco": _zloty(month.costs_ytd),
    }


def _zloty(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)
