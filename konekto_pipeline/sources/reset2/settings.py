"""The table maps of RESET2's R2firma and R2księga: every table, column and code the reader uses.

READ THIS FIRST: nothing public describes RESET2's database. The research
(research/firebird_dbf_programs.md §7) found only that the programs keep KPiR and ryczałt
books and tax statements, that the original tool reached them on MS SQL Server (server,
database, login: not confirmed elsewhere), and that RESET2 joined Symfonia in 2022. Every table
name, column name and code below is therefore a GUESS (confidence: low), shaped by what the
office tool needed: companies, each company's declaration settings (VAT-7 or VAT-7K and the
months they apply to), the computed VAT and income-tax amounts, and the books' monthly totals.

The map is made to be corrected: run `Reset2Reader.probe()` on the office's database; it lists
every table in the schema with its columns and row counts and says which mapped table or
column is missing. Then change the names here (both editions have their own map, so one can
be corrected without the other) and nothing in the reader.

One database holds all the office's companies (a company id column in every table), so the
number of statements does not grow with the number of companies.
"""

from dataclasses import dataclass, field
from typing import Literal

from konekto_pipeline.sources.sql.tables import TableSpec

Edition = Literal["firma", "ksiega"]
EDITIONS: tuple[Edition, ...] = ("firma", "ksiega")
SOURCES: dict[Edition, str] = {"firma": "reset2_firma", "ksiega": "reset2_ksiega"}
TITLES: dict[Edition, str] = {"firma": "R2firma", "ksiega": "R2księga"}

SCHEMA = "dbo"  # guess (low): SQL Server's default schema

# SQLite files (demo office, tests) are attached under these names so `dbo.x` reads the file.
SQLITE_SCHEMAS = (SCHEMA,)


def _spec(table: str, required: tuple[str, ...], optional: tuple[str, ...]) -> TableSpec:
    return TableSpec(name=table, schema=SCHEMA, required=required, optional=optional)


@dataclass(frozen=True)
class CompanyTable:
    """The office's companies (firms), one row each."""

    table: str = "Firmy"
    id: str = "IdFirmy"
    nip: str = "NIP"
    full_name: str = "Nazwa"
    short_name: str = "NazwaSkrocona"  # optional
    regon: str = "REGON"  # optional
    email: str = "Email"  # optional
    phone: str = "Telefon"  # optional
    tax_form: str = "FormaOpodatkowania"  # optional; codes in Reset2Map.tax_forms
    active: str = "Aktywna"  # optional; 0 = archived firm, not read

    @property
    def spec(self) -> TableSpec:
        optional = (self.short_name, self.regon, self.email, self.phone, self.tax_form, self.active)
        return _spec(self.table, (self.id, self.nip, self.full_name), optional)


@dataclass(frozen=True)
class DeclarationSettingTable:
    """Which VAT declaration a company files, from which month to which (to = NULL: open).

    This is what the program's own VAT-7 amounts depend on: a period no setting covers, or
    amounts computed for the other declaration type, are reported rather than loaded.
    """

    table: str = "UstawieniaDeklaracji"
    company: str = "IdFirmy"
    type: str = "TypDeklaracji"  # codes in Reset2Map.vat_types
    valid_from: str = "DataOd"  # a date; its month is the first month covered
    valid_to: str = "DataDo"  # optional; a date, its month the last month covered

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.company, self.type, self.valid_from), (self.valid_to,))


@dataclass(frozen=True)
class VatTable:
    """The computed VAT declarations: one row per company, month and filing.

    A VAT-7K row names a month of its quarter (normally the last); its item carries the
    quarter's last month.
    """

    table: str = "RozliczeniaVAT"
    company: str = "IdFirmy"
    year: str = "Rok"
    month: str = "Miesiac"
    type: str = "TypDeklaracji"  # the declaration the amounts were computed for
    to_pay: str = "DoZaplaty"
    correction_no: str = "NrKorekty"  # optional; 0 = first filing, 1.. = corrections
    refund: str = "DoZwrotu"  # optional
    carried_forward: str = "DoPrzeniesienia"  # optional
    output_vat: str = "VatNalezny"  # optional; fills the summary's vat_output
    input_vat: str = "VatNaliczony"  # optional; fills the summary's vat_input

    @property
    def spec(self) -> TableSpec:
        required = (self.company, self.year, self.month, self.type, self.to_pay)
        optional = (
            self.correction_no,
            self.refund,
            self.carried_forward,
            self.output_vat,
            self.input_vat,
        )
        return _spec(self.table, required, optional)


@dataclass(frozen=True)
class TaxTable:
    """Income-tax advances and payer taxes computed by the program (PIT-5, PIT-28, PIT-4...)."""

    table: str = "Zaliczki"
    company: str = "IdFirmy"
    year: str = "Rok"
    month: str = "Miesiac"
    tax: str = "Podatek"  # codes in Reset2Map.tax_codes
    to_pay: str = "DoZaplaty"
    correction_no: str = "NrKorekty"  # optional
    quarterly: str = "Kwartalnie"  # optional; non-zero = a quarterly advance

    @property
    def spec(self) -> TableSpec:
        required = (self.company, self.year, self.month, self.tax, self.to_pay)
        return _spec(self.table, required, (self.correction_no, self.quarterly))


@dataclass(frozen=True)
class LedgerTable:
    """Monthly totals of the company's book (KPiR: revenue and costs; ryczałt: costs 0)."""

    table: str = "PodsumowaniaKsiegi"
    company: str = "IdFirmy"
    year: str = "Rok"
    month: str = "Miesiac"
    revenue: str = "Przychod"
    costs: str = "Koszty"
    revenue_ytd: str = "PrzychodNarastajaco"  # optional
    costs_ytd: str = "KosztyNarastajaco"  # optional

    @property
    def spec(self) -> TableSpec:
        required = (self.company, self.year, self.month, self.revenue, self.costs)
        return _spec(self.table, required, (self.revenue_ytd, self.costs_ytd))


@dataclass(frozen=True)
class Reset2Map:
    """One edition's tables and codes."""

    program: str
    companies: CompanyTable = field(default_factory=CompanyTable)
    declaration_settings: DeclarationSettingTable = field(default_factory=DeclarationSettingTable)
    vat: VatTable = field(default_factory=VatTable)
    taxes: TaxTable = field(default_factory=TaxTable)
    ledger: LedgerTable = field(default_factory=LedgerTable)
    # Declaration type codes of UstawieniaDeklaracji and RozliczeniaVAT (low).
    vat_types: dict[int, str] = field(default_factory=lambda: {1: "VAT-7", 2: "VAT-7K"})
    # Tax codes of Zaliczki (low). Codes not listed are ignored and counted by probe().
    tax_codes: dict[int, str] = field(
        default_factory=lambda: {
            1: "PIT-5",  # PIT-36 advance
            2: "PIT-5L",  # PIT-36L advance
            3: "PIT-28",  # ryczałt
            4: "PIT-4",  # tax withheld from employees (PIT-4R)
            5: "PIT-8A",
            6: "CIT",
        }
    )
    # FormaOpodatkowania codes -> the frame's tax_form (low).
    tax_forms: dict[int, str] = field(default_factory=lambda: {1: "kpir", 2: "ryczalt"})

    @property
    def specs(self) -> tuple[TableSpec, ...]:
        return (
            self.companies.spec,
            self.declaration_settings.spec,
            self.vat.spec,
            self.taxes.spec,
            self.ledger.spec,
        )


# R2księga (the office edition, many companies). All names guessed, see the module docstring.
KSIEGA = Reset2Map(program=SOURCES["ksiega"])

# R2firma. Nothing public tells its tables from R2księga's, so it starts with the same map; an
# office with R2firma corrects this one alone (e.g. Reset2Map(program=..., companies=
# CompanyTable(table="Firma"))).
FIRMA = Reset2Map(program=SOURCES["firma"])

TABLE_MAPS: dict[Edition, Reset2Map] = {"firma": FIRMA, "ksiega": KSIEGA}

VAT_QUARTERLY = "VAT-7K"
VAT_PERIODS: dict[str, str] = {"VAT-7": "M", "VAT-7K": "Q"}
