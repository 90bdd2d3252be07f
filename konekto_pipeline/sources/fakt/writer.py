"""Writes a Fakt-shaped database on a Firebird server: companies, saved "taxes to pay" reports
and generated declarations.

For tests, the demo office and benchmarks. Written independently from the reader (its own DDL
with literal names). Money is DECIMAL(15,2), periods are SMALLINT year and month, text goes
through a WIN1250 connection (the target's charset). Amounts are grosze in. Rows go in with
one executemany per table.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from konekto_pipeline.sources.firebird.connection import FirebirdTarget
from konekto_pipeline.sources.firebird.writing import create, money, month_after, write_table


@dataclass(frozen=True)
class FaktCompany:
    """A company of the office as Fakt's company list has it."""

    id: int
    short_name: str
    nip: str
    name: str | None = None
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True
    vat_period: str | None = "M"
    legal_form: str | None = "F"


@dataclass(frozen=True)
class ReportLine:
    """One line of a saved "taxes to pay" report: what the company pays for a month (grosze)."""

    company: int
    year: int
    month: int
    symbol: str
    amount: int
    saved_at: datetime | None = None
    due: date | None = None


@dataclass(frozen=True)
class FaktDeclaration:
    """A declaration generated in Fakt for a company and month."""

    company: int
    year: int
    month: int
    symbol: str
    correction: bool = False
    generated_at: datetime | None = None
    status: str | None = "W"


@dataclass
class FaktData:
    """What the database holds. `omit` leaves columns out ({"FIRMY": {"EMAIL"}}), `omit_tables`
    leaves tables out (tests of other program versions)."""

    companies: list[FaktCompany]
    report: list[ReportLine] = field(default_factory=list)
    declarations: list[FaktDeclaration] = field(default_factory=list)
    dialect: int = 3
    database_charset: str = "WIN1250"
    omit: Mapping[str, set[str]] = field(default_factory=dict)
    omit_tables: set[str] = field(default_factory=set)


_FIRMY = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("NAZWA_SKROCONA", "VARCHAR(40) NOT NULL"),
    ("NAZWA", "VARCHAR(200)"),
    ("NIP", "VARCHAR(20)"),
    ("REGON", "VARCHAR(14)"),
    ("EMAIL", "VARCHAR(80)"),
    ("TELEFON", "VARCHAR(25)"),
    ("AKTYWNA", "SMALLINT DEFAULT 1"),
    ("OKRES_VAT", "CHAR(1)"),
    ("FORMA_PRAWNA", "CHAR(1)"),
    ("MIEJSCOWOSC", "VARCHAR(50)"),
)
_RAPORT = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("FIRMA_ID", "INTEGER NOT NULL"),
    ("ROK", "SMALLINT NOT NULL"),
    ("MIESIAC", "SMALLINT NOT NULL"),
    ("SYMBOL", "VARCHAR(12) NOT NULL"),
    ("KWOTA", "DECIMAL(15,2) NOT NULL"),
    ("TERMIN", "DATE"),
    ("DATA_ZAPISU", "TIMESTAMP"),
    ("RACHUNEK", "VARCHAR(32)"),
)
_DEKLARACJE = (
    ("ID", "INTEGER NOT NULL PRIMARY KEY"),
    ("FIRMA_ID", "INTEGER NOT NULL"),
    ("ROK", "SMALLINT NOT NULL"),
    ("MIESIAC", "SMALLINT NOT NULL"),
    ("SYMBOL", "VARCHAR(12) NOT NULL"),
    ("KOREKTA", "SMALLINT DEFAULT 0"),
    ("DATA_WYGENEROWANIA", "TIMESTAMP"),
    ("STATUS", "CHAR(1)"),
)


def write_fakt_database(target: FirebirdTarget, path: str, data: FaktData) -> None:
    """Create the database at `path` (on the server) with Fakt's tables and the given rows."""
    connection = create(target, path, data)
    try:
        write_table(connection, "FIRMY", _FIRMY, data, [_firm_row(firm) for firm in data.companies])
        report = [_report_row(number, line) for number, line in enumerate(data.report, start=1)]
        write_table(connection, "PODATKI_DO_ZAPLATY", _RAPORT, data, report)
        declarations = [
            _declaration_row(number, declaration)
            for number, declaration in enumerate(data.declarations, start=1)
        ]
        write_table(connection, "DEKLARACJE", _DEKLARACJE, data, declarations)
        connection.commit()
    finally:
        connection.close()


def _after(year: int, month: int, day: int) -> datetime:
    """A moment in the month after the period, when reports are saved."""
    return month_after(year, month, day, 9, 15)


def _firm_row(firm: FaktCompany) -> dict[str, Any]:
    return {
        "ID": firm.id,
        "NAZWA_SKROCONA": firm.short_name,
        "NAZWA": firm.name,
        "NIP": firm.nip,
        "REGON": firm.regon,
        "EMAIL": firm.email,
        "TELEFON": firm.phone,
        "AKTYWNA": 1 if firm.active else 0,
        "OKRES_VAT": firm.vat_period,
        "FORMA_PRAWNA": firm.legal_form,
        "MIEJSCOWOSC": "Gdynia",
    }


def _report_row(number: int, line: ReportLine) -> dict[str, Any]:
    return {
        "ID": number,
        "FIRMA_ID": line.company,
        "ROK": line.year,
        "MIESIAC": line.month,
        "SYMBOL": line.symbol,
        "KWOTA": money(line.amount),
        "TERMIN": line.due,
        "DATA_ZAPISU": line.saved_at or _after(line.year, line.month, 12),
        "RACHUNEK": None,
    }


def _declaration_row(number: int, declaration: FaktDeclaration) -> dict[str, Any]:
    return {
        "ID": number,
        "FIRMA_ID": declaration.company,
        "ROK": declaration.year,
        "MIESIAC": declaration.month,
        "SYMBOL": declaration.symbol,
        "KOREKTA": 1 if declaration.correction else 0,
        "DATA_WYGENEROWANIA": declaration.generated_at
        or _after(declaration.year, declaration.month, 10),
        "STATUS": declaration.status,
    }
