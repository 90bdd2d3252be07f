"""What the Symfonia Mała Księgowość reader knows of the program: MKP.INI, files, tables, codes.

Mała Księgowość (Sage, now Symfonia; program code MKP) is configured by MKP.INI in the Windows
user's `AppData\\Roaming\\Sage\\Config`. Its companies are kept one of three ways: in a folder of
DBF files each, in a MS SQL Server database each, or (older versions) in Btrieve files, which
nothing here can read.

Confidence, as in research/firebird_dbf_programs.md §6: [E] seen in a public source, [I]
inferred from one, [G] a guess with no public evidence. Known: MKP is Mała Księgowość's code
[E], MKP.INI is most likely its configuration [I], old versions used Btrieve [E], the Symfonia
line keeps each company in its own SQL Server database whose tables are in schema FK, among them
`dekl`, `POLADEKL` and `FDANEADR` [E, for Symfonia FK]. **Everything inside MKP.INI, every DBF
file and field, and every column below is [G]**: a real MKP.INI and one run of `konekto probe
symfonia` (which lists the INI's keys, the files and tables with their fields and every code
found) settle them; correct them here.
"""

from dataclasses import dataclass

from konekto_pipeline.sources.files.tables import DbfSpec
from konekto_pipeline.sources.sql.tables import TableSpec

PROGRAM = "symfonia"

# A Windows program: its DBF files and MKP.INI are CP1250 [I]; a newer MKP.INI may be UTF-16
# with a byte order mark, which files.ini.read_ini detects.
CODE_PAGE = "cp1250"

# --- MKP.INI --------------------------------------------------------------------------------

DEFAULT_INI_FILE = r"%APPDATA%\Sage\Config\MKP.INI"  # [I]


def default_ini_files() -> tuple[str, ...]:
    """Where MKP.INI is looked for on Windows, as the office would write it, most likely first.

    The user's roaming profile [I]; the machine-wide program data folder [G].
    """
    return (DEFAULT_INI_FILE, r"%PROGRAMDATA%\Sage\Config\MKP.INI")


# [Baza]: how the data is kept. Keys and values [G].
BASE_SECTION = "Baza"
STORAGE_KEY = "Typ"
SERVER_KEY = "Serwer"  # HOST\INSTANCE
AUTH_KEY = "Uwierzytelnianie"
USER_KEY = "Uzytkownik"
FOLDER_KEY = "Katalog"  # the folder relative company folders are in

# [Firmy]: one `Firma=<name>;<database or folder>` per company, the key repeated; a company
# listed under `Nieaktywna=<name>` is not read [G].
COMPANIES_SECTION = "Firmy"
COMPANY_KEY = "Firma"
INACTIVE_KEY = "Nieaktywna"
COMPANY_SEPARATOR = ";"

DBF, MSSQL, BTRIEVE = "dbf", "mssql", "btrieve"

# [Baza] Typ -> how the companies are kept, values compared in upper case [G]. Without a Typ,
# each company's entry decides: a path is a DBF folder, a plain name a SQL database.
STORAGE_KINDS: dict[str, str] = {
    "DBF": DBF,
    "MSSQL": MSSQL,
    "MS SQL": MSSQL,
    "SQL": MSSQL,
    "SQLSERVER": MSSQL,
    "BTRIEVE": BTRIEVE,
    "PERVASIVE": BTRIEVE,
    "PSQL": BTRIEVE,
}

# [Baza] Uwierzytelnianie -> auth of the SQL settings [G]. Without it: SQL with a user, else
# Windows.
AUTH_MODES: dict[str, str] = {
    "SQL": "sql",
    "SQL SERVER": "sql",
    "WINDOWS": "windows",
    "NT": "windows",
    "ZINTEGROWANE": "windows",
}

# Btrieve (Pervasive) data files: what old Mała Księgowość wrote [I: .btr is Btrieve's own
# suffix; .dat is common for it]. A company whose entry names such a file, or whose folder
# holds such files and no company DBF, cannot be read.
BTRIEVE_SUFFIXES = (".btr", ".dat")

# Keys of MKP.INI whose values probe() never shows (the name contains one of these).
SECRET_KEY_PARTS = ("has", "pass", "pwd")

# --- codes shared by the DBF files and the SQL tables [G] -----------------------------------


@dataclass(frozen=True)
class DeclarationType:
    """What a declaration symbol stands for, and where the SQL base keeps its amounts.

    `quarterly` items carry the quarter's last month as their period. The `*_field` codes are
    the declaration's fields in FK.POLADEKL: the JPK_V7 field names for VAT (P_51 to pay, P_54
    refund, P_62 carried forward) [E for JPK_V7; G that Symfonia codes its fields so].
    """

    tax: str
    quarterly: bool = False
    to_pay_field: str = "DO_ZAPLATY"
    refund_field: str | None = None
    carried_forward_field: str | None = None


_VAT = {"to_pay_field": "P_51", "refund_field": "P_54", "carried_forward_field": "P_62"}

# Declaration symbol (DEKLAR.DBF SYMBOL, FK.dekl typ) -> what it is [G]. Symbols are compared
# in upper case without spaces; others (PIT-11, VAT-UE, ...) are not read and probe() counts
# them. How Mała Księgowość marks a quarterly PIT advance is unknown: none is mapped.
DECLARATION_TYPES: dict[str, DeclarationType] = {
    "VAT-7": DeclarationType("VAT-7", **_VAT),
    "JPK_V7M": DeclarationType("VAT-7", **_VAT),
    "VAT-7K": DeclarationType("VAT-7K", quarterly=True, **_VAT),
    "JPK_V7K": DeclarationType("VAT-7K", quarterly=True, **_VAT),
    "PIT-4": DeclarationType("PIT-4"),
    "PIT-4R": DeclarationType("PIT-4"),
    "PIT-5": DeclarationType("PIT-5"),
    "PIT-5L": DeclarationType("PIT-5L"),
    "PIT-8A": DeclarationType("PIT-8A"),
    "PIT-8AR": DeclarationType("PIT-8A"),
    "PIT-28": DeclarationType("PIT-28"),
}

# The companies frame's vat_period from the newest VAT declaration, where the company data
# does not say it.
VAT_PERIODS_BY_TAX: dict[str, str] = {"VAT-7": "M", "VAT-7K": "Q"}

# --- DBF files, one folder per company [G] --------------------------------------------------

# FIRMA.DBF codes -> the companies frame [G].
LEGAL_FORMS: dict[str, str] = {
    "F": "other",  # osoba fizyczna
    "S": "other",  # spółka osobowa (cywilna, jawna, partnerska, komandytowa)
    "P": "legal_person",  # osoba prawna
    "B": "budget_unit",  # jednostka budżetowa
}
TAX_FORMS: dict[str, str] = {"K": "kpir", "R": "ryczalt"}  # forma opodatkowania
VAT_PERIODS: dict[str, str] = {"M": "M", "K": "Q"}  # blank or Z (zwolniony): no VAT

# The company's own data: its first live record. NAZWAPEL is a memo with the full name, which
# wins over NAZWA when filled.
COMPANY_FILE = DbfSpec(
    title="company data",
    file="FIRMA.DBF",
    fields={
        "name": "NAZWA",
        "full_name": "NAZWAPEL",
        "nip": "NIP",
        "regon": "REGON",
        "email": "EMAIL",
        "phone": "TELEFON",
        "legal_form": "FORMA",
        "tax_form": "OPODAT",
        "vat_period": "VATOKRES",
    },
    optional=frozenset(
        {"full_name", "regon", "email", "phone", "legal_form", "tax_form", "vat_period"}
    ),
)

# Declarations as computed in the program: one record per filing, a correction has KOREKTA
# set; amounts in złoty with grosze (taxes are paid in whole złoty: rounded half-up).
DECLARATIONS_FILE = DbfSpec(
    title="declarations",
    file="DEKLAR.DBF",
    fields={
        "year": "ROK",
        "month": "MIESIAC",  # a quarterly declaration may name any month of its quarter
        "symbol": "SYMBOL",  # codes in DECLARATION_TYPES
        "correction": "KOREKTA",  # L
        "to_pay": "DOZAPLATY",
        "refund": "ZWROT",
        "carried_forward": "NADWYZKA",
    },
    optional=frozenset({"correction", "refund", "carried_forward"}),
)

# ZUS declarations (DRA) as the program computed them: amounts in grosze-exact złoty, ZUS is
# never rounded. NRDEKL 1 is the first declaration of a month; a later number or KOREKTA a
# correction. FUNDUSZ is the Labour Fund with the FGŚP; RAZEM the total to pay (else the sum).
ZUS_FILE = DbfSpec(
    title="ZUS declarations",
    file="ZUS.DBF",
    fields={
        "year": "ROK",
        "month": "MIESIAC",
        "number": "NRDEKL",
        "correction": "KOREKTA",
        "social": "SPOLECZNE",
        "health": "ZDROWOTNE",
        "labour_fund": "FUNDUSZ",
        "total": "RAZEM",
    },
    optional=frozenset({"number", "correction", "labour_fund", "total"}),
)

# The ledger's monthly totals (KPiR; for a ryczałt company its revenue register, no costs).
LEDGER_FILE = DbfSpec(
    title="monthly ledger totals",
    file="KPIR.DBF",
    fields={"year": "ROK", "month": "MIESIAC", "revenue": "PRZYCHOD", "costs": "KOSZTY"},
    optional=frozenset({"costs"}),
)

DATA_FILES = (DECLARATIONS_FILE, ZUS_FILE, LEDGER_FILE)

# --- SQL Server, one database per company, tables in schema FK ------------------------------

SCHEMA = "FK"  # [E for Symfonia FK]

# SQLite files (demo office, tests) are attached under this name so that `FK.dekl` reads them.
SQLITE_SCHEMAS = (SCHEMA,)


def _spec(table: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> TableSpec:
    return TableSpec(name=table, schema=SCHEMA, required=required, optional=optional)


@dataclass(frozen=True)
class CompanyTable:
    """The company's own name and identifiers: its single row [E table; G columns]."""

    table: str = "FDANEADR"
    name: str = "nazwa"
    nip: str = "nip"
    regon: str = "regon"  # optional
    email: str = "email"  # optional
    phone: str = "telefon"  # optional

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.name, self.nip), (self.regon, self.email, self.phone))


@dataclass(frozen=True)
class DeclarationTable:
    """Declarations: one row per filing [E table; G columns]; amounts are in DeclarationFields."""

    table: str = "dekl"
    id: str = "id"
    type: str = "typ"  # symbols in DECLARATION_TYPES
    year: str = "rok"
    month: str = "miesiac"
    correction: str = "korekta"  # optional; non-zero = a correction

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.id, self.type, self.year, self.month), (self.correction,))


@dataclass(frozen=True)
class DeclarationFields:
    """A declaration's field values, one row per field [E table; G columns]; field codes are in
    DECLARATION_TYPES."""

    table: str = "POLADEKL"
    declaration: str = "id_dekl"  # -> dekl.id
    code: str = "kod"
    value: str = "wartosc"

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.declaration, self.code, self.value))


@dataclass(frozen=True)
class ZusTable:
    """ZUS declarations (DRA), as ZUS.DBF [G: table and columns]."""

    table: str = "ZUSDEKL"
    year: str = "rok"
    month: str = "miesiac"
    number: str = "nr_dekl"  # optional
    correction: str = "korekta"  # optional
    social: str = "spoleczne"
    health: str = "zdrowotne"
    labour_fund: str = "fundusz"  # optional
    total: str = "razem"  # optional

    @property
    def spec(self) -> TableSpec:
        return _spec(
            self.table,
            (self.year, self.month, self.social, self.health),
            (self.number, self.correction, self.labour_fund, self.total),
        )


@dataclass(frozen=True)
class LedgerTable:
    """The ledger's monthly totals, as KPIR.DBF [G: table and columns]."""

    table: str = "KPIRMIES"
    year: str = "rok"
    month: str = "miesiac"
    revenue: str = "przychod"
    costs: str = "koszty"  # optional

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.year, self.month, self.revenue), (self.costs,))


COMPANY_TABLE = CompanyTable()
DECLARATION_TABLE = DeclarationTable()
DECLARATION_FIELDS = DeclarationFields()
ZUS_TABLE = ZusTable()
LEDGER_TABLE = LedgerTable()
