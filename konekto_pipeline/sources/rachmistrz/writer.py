"""Writes InsERT GT company databases in Rachmistrz's shape, for tests and the demo office.

One database per company, tables in `dbo` (on SQLite in the file itself, which the reader
attaches as `dbo`), column types as GT uses them (MONEY is DECIMAL(19,4) here, DATETIME dates,
NVARCHAR text). Written independently of the reader, with the names spelled out here, so a
test that writes and reads checks the table map rather than repeating it. Besides what the
reader needs, it writes what a real database has around it: counterparties in the address
register and the licence holder (the office) in pd__Podmiot.

`leave_out` drops tables ("dekl__Ewid") or columns ("dekl__Ewid.dekl_Korekta") to imitate
other program versions.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from konekto_pipeline.sources.sql.writing import write_tables

SCHEMA = "dbo"

# Codes as the reader's table map has them (a guess of GT's own codes, see its settings).
VAT_7, VAT_7K, PIT_5, PIT_5_QUARTERLY, PIT_5L, PIT_5L_QUARTERLY = 1, 2, 3, 4, 5, 6
PIT_28, PIT_28_QUARTERLY, PIT_4 = 7, 8, 9
PIT_11 = 40  # a declaration without an amount to pay, which the reader ignores
KPIR, RYCZALT, FULL_BOOKS = 1, 2, 3

OFFICE_LICENCE = ("Biuro Rachunkowe Żuraw i Wspólnicy sp. z o.o.", "5250007313")
MONEY = sa.Numeric(19, 4)


@dataclass(frozen=True)
class GtDeclaration:
    """A computed declaration; amounts in grosze (written as złoty with 4 decimals)."""

    type_code: int
    year: int
    month: int
    to_pay: int
    refund: int | None = None
    carried_forward: int | None = None
    correction: bool = False


@dataclass(frozen=True)
class KpirEntry:
    """One KPiR line: revenue in columns 7-8, costs in columns 10-13, in grosze."""

    day: date
    sales: int = 0
    other_revenue: int = 0
    goods: int = 0
    incidental_costs: int = 0
    wages: int = 0
    other_costs: int = 0
    description: str = "Sprzedaż usług"


@dataclass(frozen=True)
class RyczaltEntry:
    """One line of the ryczałt revenue register, in grosze."""

    day: date
    amount: int
    rate: str = "8,5%"


@dataclass(frozen=True)
class GtCompany:
    """One company database's content."""

    nip: str | None
    name: str
    short_name: str | None = None
    regon: str | None = None
    email: str | None = None
    accounting_type: int | None = KPIR
    declarations: tuple[GtDeclaration, ...] = ()
    kpir: tuple[KpirEntry, ...] = ()
    ryczalt: tuple[RyczaltEntry, ...] = ()
    counterparties: tuple[tuple[str, str], ...] = field(
        default=(("Hurtownia Łąka sp. z o.o.", "1132853869"), ("Jan Źródło", "9542583988"))
    )


def _columns() -> dict[str, list[sa.Column]]:
    """Fresh column objects of each table, by table name."""
    return {
        "adr__Ewid": [
            sa.Column("adr_Id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("adr_IdObiektu", sa.Integer, nullable=False),
            sa.Column("adr_TypAdresu", sa.Integer, nullable=False),
            sa.Column("adr_Nazwa", sa.Unicode(50)),
            sa.Column("adr_NazwaPelna", sa.Unicode(255)),
            sa.Column("adr_NIP", sa.Unicode(20)),
            sa.Column("adr_Ulica", sa.Unicode(60)),
            sa.Column("adr_Miejscowosc", sa.Unicode(40)),
            sa.Column("adr_Kod", sa.Unicode(8)),
            sa.Column("adr_Email", sa.Unicode(255)),
        ],
        "pd__Podmiot": [
            sa.Column("pd_Id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("pd_LicNazwaFirmy", sa.Unicode(255)),
            sa.Column("pd_LicNIP", sa.Unicode(20)),
            sa.Column("pd_Regon", sa.Unicode(20)),
            sa.Column("pd_TypKsiegowosci", sa.Integer),
            sa.Column("pd_TypKadr", sa.Integer),
        ],
        "dekl__Ewid": [
            sa.Column("dekl_Id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("dekl_Typ", sa.Integer, nullable=False),
            sa.Column("dekl_Rok", sa.SmallInteger, nullable=False),
            sa.Column("dekl_Miesiac", sa.SmallInteger, nullable=False),
            sa.Column("dekl_Korekta", sa.Boolean, nullable=False),
            sa.Column("dekl_DoZaplaty", MONEY),
            sa.Column("dekl_DoZwrotu", MONEY),
            sa.Column("dekl_DoPrzeniesienia", MONEY),
            sa.Column("dekl_DataWyliczenia", sa.DateTime),
        ],
        "kpr__Ksiega": [
            sa.Column("kpr_Id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("kpr_Lp", sa.Integer, nullable=False),
            sa.Column("kpr_DataZdarzenia", sa.DateTime, nullable=False),
            sa.Column("kpr_Opis", sa.Unicode(255)),
            sa.Column("kpr_Sprzedaz", MONEY),
            sa.Column("kpr_PozostalePrzychody", MONEY),
            sa.Column("kpr_ZakupTowarow", MONEY),
            sa.Column("kpr_KosztyUboczne", MONEY),
            sa.Column("kpr_Wynagrodzenia", MONEY),
            sa.Column("kpr_PozostaleWydatki", MONEY),
        ],
        "prz__Przychod": [
            sa.Column("prz_Id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("prz_Data", sa.DateTime, nullable=False),
            sa.Column("prz_Stawka", sa.Unicode(10)),
            sa.Column("prz_Kwota", MONEY),
        ],
    }


def write_rachmistrz_database(
    url_or_engine: str | Engine, company: GtCompany, *, leave_out: Collection[str] = ()
) -> None:
    """Create GT's tables (schema `dbo`, none on SQLite) and fill them with `company`."""
    write_tables(url_or_engine, _columns(), _rows(company), schema=SCHEMA, leave_out=leave_out)


def write_rachmistrz_sqlite(
    folder: Path, database: str, company: GtCompany, *, leave_out: Collection[str] = ()
) -> Path:
    """Write `folder/<database>.sqlite` (replacing it) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{database}.sqlite"
    path.unlink(missing_ok=True)
    write_rachmistrz_database(f"sqlite:///{path}", company, leave_out=leave_out)
    return path


def write_rachmistrz_sqlite_files(
    folder: Path, companies: Mapping[str, GtCompany]
) -> dict[str, Path]:
    """One SQLite file per company database (name -> company), e.g. for the demo office."""
    return {
        database: write_rachmistrz_sqlite(folder, database, company)
        for database, company in companies.items()
    }


def _rows(company: GtCompany) -> dict[str, list[dict[str, object]]]:
    return {
        "adr__Ewid": _addresses(company),
        "pd__Podmiot": [
            {
                "pd_Id": 1,
                "pd_LicNazwaFirmy": OFFICE_LICENCE[0],
                "pd_LicNIP": OFFICE_LICENCE[1],
                "pd_Regon": company.regon,
                "pd_TypKsiegowosci": company.accounting_type,
                "pd_TypKadr": 0,
            }
        ],
        "dekl__Ewid": [_declaration(i, d) for i, d in enumerate(company.declarations, start=1)],
        "kpr__Ksiega": [_kpir(i, entry) for i, entry in enumerate(company.kpir, start=1)],
        "prz__Przychod": [_ryczalt(i, entry) for i, entry in enumerate(company.ryczalt, start=1)],
    }


def _addresses(company: GtCompany) -> list[dict[str, object]]:
    # Counterparties come first in the table on purpose: the company is the row with id 1.
    rows: list[dict[str, object]] = [
        {
            "adr_Id": 100 + index,
            "adr_IdObiektu": index,
            "adr_TypAdresu": 1,
            "adr_Nazwa": name[:50],
            "adr_NazwaPelna": name,
            "adr_NIP": nip,
            "adr_Miejscowosc": "Łódź",
        }
        for index, (name, nip) in enumerate(company.counterparties, start=1)
    ]
    rows.append(
        {
            "adr_Id": 1,
            "adr_IdObiektu": 1,
            "adr_TypAdresu": 10,
            "adr_Nazwa": company.short_name,
            "adr_NazwaPelna": company.name,
            "adr_NIP": company.nip,
            "adr_Ulica": "ul. Świętokrzyska 7",
            "adr_Miejscowosc": "Kraków",
            "adr_Kod": "31-042",
            "adr_Email": company.email,
        }
    )
    return rows


def _declaration(number: int, declaration: GtDeclaration) -> dict[str, object]:
    return {
        "dekl_Id": number,
        "dekl_Typ": declaration.type_code,
        "dekl_Rok": declaration.year,
        "dekl_Miesiac": declaration.month,
        "dekl_Korekta": declaration.correction,
        "dekl_DoZaplaty": _zloty(declaration.to_pay),
        "dekl_DoZwrotu": _zloty(declaration.refund),
        "dekl_DoPrzeniesienia": _zloty(declaration.carried_forward),
        "dekl_DataWyliczenia": datetime(declaration.year, declaration.month, 28, 12, 0),
    }


def _kpir(number: int, entry: KpirEntry) -> dict[str, object]:
    return {
        "kpr_Id": number,
        "kpr_Lp": number,
        "kpr_DataZdarzenia": datetime.combine(entry.day, datetime.min.time()),
        "kpr_Opis": entry.description,
        "kpr_Sprzedaz": _zloty(entry.sales),
        "kpr_PozostalePrzychody": _zloty(entry.other_revenue),
        "kpr_ZakupTowarow": _zloty(entry.goods),
        "kpr_KosztyUboczne": _zloty(entry.incidental_costs),
        "kpr_Wynagrodzenia": _zloty(entry.wages),
        "kpr_PozostaleWydatki": _zloty(entry.other_costs),
    }


def _ryczalt(number: int, entry: RyczaltEntry) -> dict[str, object]:
    return {
        "prz_Id": number,
        "prz_Data": datetime.combine(entry.day, datetime.min.time()),
        "prz_Stawka": entry.rate,
        "prz_Kwota": _zloty(entry.amount),
    }


def _zloty(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)
