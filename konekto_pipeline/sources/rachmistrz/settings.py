"""The table map of InsERT GT Rachmistrz: every table, column and code the reader relies on.

InsERT GT (Subiekt, Rachmistrz, Rewizor, Gratyfikant) keeps one MS SQL database per company
("podmiot"), every table in `dbo`, on the instance the installer names INSERTGT. There is no
configuration database listing the companies, so on SQL Server the reader keeps the databases
that have the marker table below.

How sure we are (from research/optima_insert.md §2; "high" = two independent public sources,
"medium" = one public codebase run against a live database, "low" = guessed):
- table names: high (a full table list of a current GT database);
- the own company's address row, adr_Id = 1, with adr_NIP / adr_NazwaPelna: medium;
- pd__Podmiot.pd_TypKsiegowosci (1 KPiR, 2 ryczałt, 3 full books): medium;
- EVERY column of dekl__Ewid, kpr__Ksiega and prz__Przychod, and the declaration type codes:
  LOW, guessed in GT's naming style because nothing public shows them. InsERT's structure
  documentation (https://www.insert.com.pl/.media/e-pomoc/dokumentacja.zip) or one run of
  `RachmistrzReader.probe()` on a real database settles them; correct them here.
"""

from dataclasses import dataclass

from konekto_pipeline.sources.sql.tables import TableSpec

SOURCE = "rachmistrz"
SCHEMA = "dbo"

# SQLite files (demo office, tests) are attached under these names so `dbo.x` reads the file.
SQLITE_SCHEMAS = (SCHEMA,)

# The installer's named instance (high). An office that gives only "HOST" means HOST\INSERTGT;
# a GT database on the default instance is reached as "HOST,1433".
DEFAULT_INSTANCE = "INSERTGT"

# A database is an InsERT GT company database when it has this table (medium: an admin tool
# keeps the databases with adr__Ewid, the research's discovery SQL uses pd__Podmiot, and both
# are in the public table list of a GT database). All GT programs share this database, so a
# Subiekt-only company is found too: it is listed and simply has no declarations or ledger.
MARKER_TABLE = "pd__Podmiot"


def _spec(table: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> TableSpec:
    return TableSpec(name=table, schema=SCHEMA, required=required, optional=optional)


# --- company --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressTable:
    """The address register. The company's own data is the row adr_Id = 1 (medium); the other
    rows are counterparties and employees. adr_Email: medium (several integrations read it).
    """

    table: str = "adr__Ewid"
    id: str = "adr_Id"
    nip: str = "adr_NIP"
    full_name: str = "adr_NazwaPelna"
    short_name: str = "adr_Nazwa"  # optional
    email: str = "adr_Email"  # optional
    own_id: int = 1

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.id, self.nip, self.full_name), (self.short_name, self.email))


@dataclass(frozen=True)
class CompanyTable:
    """The company ("podmiot") row pd_Id = 1.

    pd_LicNIP / pd_LicNazwaFirmy are deliberately NOT read: they name the licence holder, in an
    accounting office the office itself.
    """

    table: str = "pd__Podmiot"
    id: str = "pd_Id"
    accounting: str = "pd_TypKsiegowosci"  # optional; codes in TAX_FORMS (medium)
    regon: str = "pd_Regon"  # optional (medium)
    own_id: int = 1

    @property
    def spec(self) -> TableSpec:
        return _spec(self.table, (self.id,), (self.accounting, self.regon))


ADDRESSES = AddressTable()
COMPANY = CompanyTable()

# pd_TypKsiegowosci -> the frame's tax_form (medium, one source). Full books are kept in
# Rewizor GT: such a company is listed, but has no KPiR or ryczałt summaries.
KPIR, RYCZALT, FULL_BOOKS = "kpir", "ryczalt", "full_books"
TAX_FORMS: dict[int, str] = {1: KPIR, 2: RYCZALT, 3: FULL_BOOKS}

# --- declarations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationTable:
    """Computed declarations ("deklaracje wyliczone": the table's meaning is high, as InsERT's
    structure documentation describes it; every column name is LOW, guessed).
    """

    table: str = "dekl__Ewid"
    id: str = "dekl_Id"
    type: str = "dekl_Typ"  # codes in DECLARATION_TYPES
    year: str = "dekl_Rok"
    month: str = "dekl_Miesiac"  # a quarterly declaration may name any month of its quarter
    to_pay: str = "dekl_DoZaplaty"
    correction: str = "dekl_Korekta"  # optional; non-zero = a correction
    refund: str = "dekl_DoZwrotu"  # optional
    carried_forward: str = "dekl_DoPrzeniesienia"  # optional

    @property
    def spec(self) -> TableSpec:
        return _spec(
            self.table,
            (self.id, self.type, self.year, self.month, self.to_pay),
            (self.correction, self.refund, self.carried_forward),
        )


DECLARATIONS = DeclarationTable()


@dataclass(frozen=True)
class DeclarationType:
    """What a declaration type code stands for: the frame's tax name and whether it is
    quarterly (its item then carries the quarter's last month, as VAT-7K does everywhere).
    """

    tax: str
    quarterly: bool = False


# dekl_Typ codes: LOW (guessed). Codes not listed here (PIT-11, VAT-UE, ...) are ignored by the
# reader and counted by probe(), so an office can map them.
DECLARATION_TYPES: dict[int, DeclarationType] = {
    1: DeclarationType("VAT-7"),
    2: DeclarationType("VAT-7K", quarterly=True),
    3: DeclarationType("PIT-5"),  # PIT-36 advance, monthly
    4: DeclarationType("PIT-5", quarterly=True),
    5: DeclarationType("PIT-5L"),  # PIT-36L advance, monthly
    6: DeclarationType("PIT-5L", quarterly=True),
    7: DeclarationType("PIT-28"),
    8: DeclarationType("PIT-28", quarterly=True),
    9: DeclarationType("PIT-4"),  # PIT-4R: tax withheld from employees, monthly
}

# The frame's vat_period, from the type of the company's newest VAT declaration.
VAT_PERIODS: dict[str, str] = {"VAT-7": "M", "VAT-7K": "Q"}

# --- ledgers (every column LOW) -------------------------------------------------------------


@dataclass(frozen=True)
class LedgerTable:
    """A ledger whose dated entries are summed by month: revenue and cost columns are added."""

    table: str
    date: str
    revenue: tuple[str, ...]
    costs: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # those of `revenue` and `costs` some versions lack

    @property
    def spec(self) -> TableSpec:
        wanted = (self.date, *self.revenue, *self.costs)
        return _spec(
            self.table,
            tuple(name for name in wanted if name not in self.optional),
            self.optional,
        )


# KPiR, entries dated by the economic event: revenue = columns 7 + 8 of the book, costs =
# columns 10 + 11 + 12 + 13 (goods, incidental costs, wages, other expenses).
KPIR_BOOK = LedgerTable(
    table="kpr__Ksiega",
    date="kpr_DataZdarzenia",
    revenue=("kpr_Sprzedaz", "kpr_PozostalePrzychody"),
    costs=("kpr_ZakupTowarow", "kpr_KosztyUboczne", "kpr_Wynagrodzenia", "kpr_PozostaleWydatki"),
    optional=(
        "kpr_PozostalePrzychody",
        "kpr_KosztyUboczne",
        "kpr_Wynagrodzenia",
        "kpr_PozostaleWydatki",
    ),
)

# The ryczałt revenue register, one amount per entry (its split by rate is not needed for
# totals). A ryczałt taxpayer has no costs.
RYCZALT_REGISTER = LedgerTable(table="prz__Przychod", date="prz_Data", revenue=("prz_Kwota",))

# Tables whose columns probe() lists, to check the map against a real database (by prefix).
PROBE_TABLE_PREFIXES = ("pd__", "adr__", "dekl", "dekp", "kpr", "prz", "zpk")
