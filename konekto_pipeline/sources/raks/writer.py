"""Writes a Raks-shaped data folder on a Firebird server: `Raks3000.fdb` and `F000nn.FDB` files.

For tests, the demo office and benchmarks. Written independently from the reader (its own DDL
with literal names), so a test that writes and reads checks one against the other. Types are
Firebird's as a Delphi program of Raks's age would use them: money DECIMAL(15,2), names
VARCHAR in the database's default charset, flags SMALLINT. Amounts are grosze in.

The folder must exist on the server's machine and be writable by the server's account
(`konekto_pipeline.sources.firebird.local.server_folder`). Text goes through a connection with
the target's charset (WIN1250), so the bytes stored are what Raks itself would store, also in
a database created with charset NONE. Rows go in with executemany, one statement per table.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from konekto_pipeline.sources.firebird.connection import FirebirdTarget
from konekto_pipeline.sources.firebird.writing import create, money, month_after, write_table

GLOBAL_FILE = "Raks3000.fdb"


@dataclass(frozen=True)
class KpirEntry:
    """One KPiR line: the event date and its amounts (grosze) in columns 7, 8, 10-13."""

    day: date
    sales: int = 0
    other_revenue: int = 0
    purchases: int = 0
    side_costs: int = 0
    salaries: int = 0
    other_costs: int = 0
    description: str = ""


@dataclass(frozen=True)
class VatEntry:
    """A VAT register line: settled in year/month, register "S" (sales) or "Z", VAT in grosze."""

    year: int
    month: int
    register: str
    vat: int
    net: int = 0


@dataclass
class RaksCompany:
    """A company of the office: a row of the company list and its own database.

    `database=False` leaves its company database out (a file that is missing);
    `file_name` overrides F{number:05d}.FDB; `omit` and `omit_tables` shape this company's
    database only (an older program version), as `RaksData`'s do for every database.
    """

    number: int
    short_name: str
    nip: str
    full_name: str | None = None
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True
    vat_period: str | None = "M"
    legal_form: str | None = "F"
    tax_form: str | None = "KPIR"
    kpir: list[KpirEntry] = field(default_factory=list)
    vat: list[VatEntry] = field(default_factory=list)
    database: bool = True
    file_name: str | None = None
    omit: Mapping[str, set[str]] = field(default_factory=dict)
    omit_tables: set[str] = field(default_factory=set)

    @property
    def database_file(self) -> str:
        return self.file_name or f"F{self.number:05d}.FDB"


@dataclass(frozen=True)
class RaksDeclaration:
    """A declaration added in Raks for a company and month; amounts in grosze."""

    company: int
    symbol: str
    year: int
    month: int
    to_pay: int
    correction: bool = False
    refund: int | None = None
    carried_forward: int | None = None
    created_at: datetime | None = None
    status: str | None = "Z"


@dataclass
class RaksData:
    """What a data folder holds. `omit` leaves columns out of tables ({"R3_FIRMS": {"EMAIL"}}),
    `omit_tables` leaves tables out, in every database (for tests of older versions)."""

    companies: list[RaksCompany]
    declarations: list[RaksDeclaration] = field(default_factory=list)
    dialect: int = 3
    database_charset: str = "WIN1250"
    omit: Mapping[str, set[str]] = field(default_factory=dict)
    omit_tables: set[str] = field(default_factory=set)
    store_file_names: bool = False


_FIRMS = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("SHORT_NAME", "VARCHAR(40) NOT NULL"),
    ("FULL_NAME", "VARCHAR(250)"),
    ("TAXID", "VARCHAR(20)"),
    ("REGON", "VARCHAR(14)"),
    ("EMAIL", "VARCHAR(100)"),
    ("PHONE", "VARCHAR(30)"),
    ("IS_ACTIVE", "SMALLINT DEFAULT 1"),
    ("VAT_PERIOD", "CHAR(1)"),
    ("LEGAL_FORM", "CHAR(1)"),
    ("TAX_FORM", "VARCHAR(10)"),
    ("DATABASE_FILE", "VARCHAR(255)"),
    ("CITY", "VARCHAR(60)"),
)
_DECLARATIONS = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("FIRM_ID", "INTEGER NOT NULL"),
    ("SYMBOL", "VARCHAR(20) NOT NULL"),
    ("PERIOD_YEAR", "SMALLINT NOT NULL"),
    ("PERIOD_MONTH", "SMALLINT NOT NULL"),
    ("AMOUNT_TO_PAY", "DECIMAL(15,2)"),
    ("AMOUNT_TO_REFUND", "DECIMAL(15,2)"),
    ("AMOUNT_CARRIED", "DECIMAL(15,2)"),
    ("IS_CORRECTION", "SMALLINT DEFAULT 0"),
    ("CREATED_AT", "TIMESTAMP"),
    ("STATUS", "CHAR(1)"),
    ("AUTHOR", "VARCHAR(40)"),
)
_KPIR = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("ENTRY_DATE", "DATE NOT NULL"),
    ("DESCRIPTION", "VARCHAR(200)"),
    ("SALES_VALUE", "DECIMAL(15,2)"),
    ("OTHER_REVENUE", "DECIMAL(15,2)"),
    ("PURCHASES", "DECIMAL(15,2)"),
    ("SIDE_COSTS", "DECIMAL(15,2)"),
    ("SALARIES", "DECIMAL(15,2)"),
    ("OTHER_COSTS", "DECIMAL(15,2)"),
)
_VAT = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("PERIOD_YEAR", "SMALLINT NOT NULL"),
    ("PERIOD_MONTH", "SMALLINT NOT NULL"),
    ("REGISTER", "CHAR(1) NOT NULL"),
    ("NET_AMOUNT", "DECIMAL(15,2)"),
    ("VAT_AMOUNT", "DECIMAL(15,2)"),
)
# Neighbours seen in real company databases (research §1), so a probe lists more than ours.
_CONTACTS = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("SHORT_NAME", "VARCHAR(40)"),
    ("FULL_NAME", "VARCHAR(250)"),
    ("TAXID", "VARCHAR(20)"),
)


def write_raks_data_folder(target: FirebirdTarget, folder: str, data: RaksData) -> None:
    """Create `Raks3000.fdb` and each company's database in `folder` (a path on the server)."""
    separator = "\\" if "\\" in folder else "/"
    base = folder.rstrip("\\/") + separator
    _write_global(target, base + GLOBAL_FILE, data)
    for company in data.companies:
        if company.database:
            _write_company(target, base + company.database_file, company, data)


def _write_global(target: FirebirdTarget, path: str, data: RaksData) -> None:
    connection = create(target, path, data)
    try:
        shape = _Shape(data.omit, data.omit_tables)
        firms = [_firm_row(company, data) for company in data.companies]
        write_table(connection, "R3_FIRMS", _FIRMS, shape, firms)
        declarations = [
            _declaration_row(number, declaration)
            for number, declaration in enumerate(data.declarations, start=1)
        ]
        write_table(connection, "R3_DECLARATIONS", _DECLARATIONS, shape, declarations)
        connection.commit()
    finally:
        connection.close()


def _write_company(target: FirebirdTarget, path: str, company: RaksCompany, data: RaksData) -> None:
    connection = create(target, path, data)
    try:
        shape = _Shape({**data.omit, **company.omit}, data.omit_tables | company.omit_tables)
        kpir = [_kpir_row(number, entry) for number, entry in enumerate(company.kpir, start=1)]
        write_table(connection, "FK_KPIR", _KPIR, shape, kpir)
        vat = [_vat_row(number, entry) for number, entry in enumerate(company.vat, start=1)]
        write_table(connection, "FK_VAT_REGISTER", _VAT, shape, vat)
        contacts = [{"ID": 1, "SHORT_NAME": company.short_name, "TAXID": company.nip}]
        write_table(connection, "R3_CONTACTS", _CONTACTS, shape, contacts)
        connection.commit()
    finally:
        connection.close()


@dataclass(frozen=True)
class _Shape:
    """Columns and tables left out of one database."""

    omit: Mapping[str, set[str]]
    omit_tables: set[str]


def _firm_row(company: RaksCompany, data: RaksData) -> dict[str, Any]:
    return {
        "ID": company.number,
        "SHORT_NAME": company.short_name,
        "FULL_NAME": company.full_name,
        "TAXID": company.nip,
        "REGON": company.regon,
        "EMAIL": company.email,
        "PHONE": company.phone,
        "IS_ACTIVE": 1 if company.active else 0,
        "VAT_PERIOD": company.vat_period,
        "LEGAL_FORM": company.legal_form,
        "TAX_FORM": company.tax_form,
        "DATABASE_FILE": company.database_file if data.store_file_names else None,
        "CITY": "Gdańsk",
    }


def _declaration_row(number: int, declaration: RaksDeclaration) -> dict[str, Any]:
    return {
        "ID": number,
        "FIRM_ID": declaration.company,
        "SYMBOL": declaration.symbol,
        "PERIOD_YEAR": declaration.year,
        "PERIOD_MONTH": declaration.month,
        "AMOUNT_TO_PAY": money(declaration.to_pay),
        "AMOUNT_TO_REFUND": money(declaration.refund),
        "AMOUNT_CARRIED": money(declaration.carried_forward),
        "IS_CORRECTION": 1 if declaration.correction else 0,
        "CREATED_AT": declaration.created_at or _added_after(declaration.year, declaration.month),
        "STATUS": declaration.status,
        "AUTHOR": "Księgowa Łucja",
    }


def _added_after(year: int, month: int) -> datetime:
    """When a declaration is usually added: mid-month after the period."""
    return month_after(year, month, 15, 10, 30)


def _kpir_row(number: int, entry: KpirEntry) -> dict[str, Any]:
    return {
        "ID": number,
        "ENTRY_DATE": entry.day,
        "DESCRIPTION": entry.description or "Sprzedaż usług księgowych",
        "SALES_VALUE": money(entry.sales),
        "OTHER_REVENUE": money(entry.other_revenue),
        "PURCHASES": money(entry.purchases),
        "SIDE_COSTS": money(entry.side_costs),
        "SALARIES": money(entry.salaries),
        "OTHER_COSTS": money(entry.other_costs),
    }


def _vat_row(number: int, entry: VatEntry) -> dict[str, Any]:
    return {
        "ID": number,
        "PERIOD_YEAR": entry.year,
        "PERIOD_MONTH": entry.month,
        "REGISTER": entry.register,
        "NET_AMOUNT": money(entry.net),
        "VAT_AMOUNT": money(entry.vat),
    }
