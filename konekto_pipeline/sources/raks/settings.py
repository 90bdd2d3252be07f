"""Raks's table map: every database, table, column and code the Raks reader relies on.

RAKS SQL keeps its data in Firebird (2.5, or 4.0 after the vendor's migration), in one data
folder: a global database `Raks3000.fdb` (company definitions, declarations, users) and one
database per company, `F00001.FDB`, `F00002.FDB`, ... (research/firebird_dbf_programs.md §1).

Confidence, as the research gives it: [E] seen in a public source; [I] inferred from one;
[G] a guess with no public evidence. **No table below the file names has been seen in a real
Raks database**: the tables holding the companies, the declarations and the ledger are
unknown publicly, so their names follow the naming seen in Raks's company databases
(`R3_CONTACTS` with `SHORT_NAME`, `FULL_NAME`, `TAXID`; module prefixes R3_, GM_, KB_, FK_).
Run `konekto probe raks` on a real installation: it lists every table of both kinds of
database, and the codes found, and correct the names here.
"""

from konekto_pipeline.sources.sql.tables import TableSpec

PROGRAM = "raks"

# --- files ------------------------------------------------------------------------------------

# The global database, in the data folder [E]. Tried in this order where file names are
# case-sensitive (a Linux server).
GLOBAL_DATABASE_NAMES = ("Raks3000.fdb", "RAKS3000.FDB", "Raks3000.FDB")

# A company's database from its number: F + 5 digits [E]; ".fdb" on Linux installs and ".gdb"
# in old ones [E].
COMPANY_DATABASE_NAMES = ("F{number:05d}.FDB", "F{number:05d}.fdb", "F{number:05d}.gdb")

# Standard data folders, looked at when the server is on this machine and no folder is set.
# After the migration to Firebird 4 the folder gets "4" appended and the old one stays [E]:
# the "4" folder is preferred when both exist.
DATA_FOLDERS = (
    r"C:\Program Files\Raks\Data",  # [E]
    r"C:\Program Files (x86)\Raks\Data",  # [I]
    r"C:\RAKSSQL\Data",  # [G]
    "/usr/raks/Data",  # [E] (Linux)
)
MIGRATED_FOLDER_SUFFIX = "4"

# --- global database: companies [G] -------------------------------------------------------------

FIRM_ID = "ID"  # INTEGER, the company number (F00001 -> 1) [G]
FIRM_SHORT_NAME = "SHORT_NAME"  # VARCHAR [G], as in R3_CONTACTS [E]
FIRM_FULL_NAME = "FULL_NAME"  # VARCHAR [G], as in R3_CONTACTS [E]
FIRM_NIP = "TAXID"  # VARCHAR, NIP with or without dashes [G], as in R3_CONTACTS [E]
FIRM_REGON = "REGON"  # [G]
FIRM_EMAIL = "EMAIL"  # [G]
FIRM_PHONE = "PHONE"  # [G]
FIRM_ACTIVE = "IS_ACTIVE"  # SMALLINT 1/0; 0 = archived company, not read [G]
FIRM_VAT_PERIOD = "VAT_PERIOD"  # CHAR(1), codes in VAT_PERIODS [G]
FIRM_LEGAL_FORM = "LEGAL_FORM"  # CHAR(1), codes in LEGAL_FORMS [G]
FIRM_TAX_FORM = "TAX_FORM"  # VARCHAR, codes in TAX_FORMS [G]
FIRM_DATABASE = "DATABASE_FILE"  # the company's file name, when Raks stores it [G]

FIRMS = TableSpec(
    name="R3_FIRMS",  # [G]
    required=(FIRM_ID, FIRM_SHORT_NAME, FIRM_NIP),
    optional=(
        FIRM_FULL_NAME,
        FIRM_REGON,
        FIRM_EMAIL,
        FIRM_PHONE,
        FIRM_ACTIVE,
        FIRM_VAT_PERIOD,
        FIRM_LEGAL_FORM,
        FIRM_TAX_FORM,
        FIRM_DATABASE,
    ),
)

VAT_PERIODS = {"M": "M", "K": "Q", "Q": "Q"}  # anything else: not a VAT payer [G]
LEGAL_FORMS = {  # [G]
    "P": "legal_person",  # osoba prawna (sp. z o.o., S.A.)
    "F": "other",  # osoba fizyczna
    "S": "other",  # spółka osobowa
    "B": "budget_unit",  # jednostka budżetowa
}
TAX_FORMS = {"KPIR": "kpir", "RYCZALT": "ryczalt", "KH": "full_books"}  # [G]

# --- global database: declarations [I: the global database holds them, E; table G] ------------

DECL_ID = "ID"  # INTEGER [G]
DECL_FIRM = "FIRM_ID"  # -> R3_FIRMS.ID [G]
DECL_SYMBOL = "SYMBOL"  # VARCHAR, the form, codes in TAX_BY_SYMBOL [G]
DECL_YEAR = "PERIOD_YEAR"  # SMALLINT [G]
DECL_MONTH = "PERIOD_MONTH"  # SMALLINT; for a quarterly form any month of the quarter [G]
DECL_TO_PAY = "AMOUNT_TO_PAY"  # DECIMAL(15,2), the amount to pay as declared [G]
DECL_REFUND = "AMOUNT_TO_REFUND"  # DECIMAL(15,2), VAT refunded [G]
DECL_CARRIED = "AMOUNT_CARRIED"  # DECIMAL(15,2), VAT carried forward [G]
DECL_CORRECTION = "IS_CORRECTION"  # SMALLINT 1 = a correction (korekta) [G]
DECL_ADDED = "CREATED_AT"  # TIMESTAMP, when the declaration was added [G]
DECL_STATUS = "STATUS"  # codes unknown: probe counts them, read ignores them [G]

DECLARATIONS = TableSpec(
    name="R3_DECLARATIONS",  # [G]
    required=(DECL_ID, DECL_FIRM, DECL_SYMBOL, DECL_YEAR, DECL_MONTH, DECL_TO_PAY),
    optional=(DECL_REFUND, DECL_CARRIED, DECL_CORRECTION, DECL_ADDED, DECL_STATUS),
)

# Declaration symbols -> the pipeline's tax names [G: the symbols are the forms' own names].
# A symbol not listed is skipped and counted by probe.
TAX_BY_SYMBOL = {
    "VAT-7": "VAT-7",
    "JPK_V7M": "VAT-7",
    "VAT-7K": "VAT-7K",
    "JPK_V7K": "VAT-7K",
    "PIT-4": "PIT-4",
    "PIT-5": "PIT-5",
    "PIT-5L": "PIT-5L",
    "PIT-8A": "PIT-8A",
    "PIT-28": "PIT-28",
    "CIT-8": "CIT",
    "CIT": "CIT",
}

# Which VAT declaration a company must have added for a month, by its VAT period: a month with
# none is reported ("no VAT-7 declaration added for 2026-02") and nothing is sent for it.
EXPECTED_VAT = {"M": "VAT-7", "Q": "VAT-7K"}

# --- company database: ledger (KPiR) [G] ---------------------------------------------------------

KPIR_DATE = "ENTRY_DATE"  # DATE of the economic event (KPiR column 2) [G]
KPIR_SALES = "SALES_VALUE"  # column 7: sales of goods and services [G]
KPIR_OTHER_REVENUE = "OTHER_REVENUE"  # column 8 [G]
KPIR_PURCHASES = "PURCHASES"  # column 10: goods and materials bought [G]
KPIR_SIDE_COSTS = "SIDE_COSTS"  # column 11: side costs of purchase [G]
KPIR_SALARIES = "SALARIES"  # column 12 [G]
KPIR_OTHER_COSTS = "OTHER_COSTS"  # column 13 [G]

KPIR = TableSpec(
    name="FK_KPIR",  # [G]
    required=(KPIR_DATE, KPIR_SALES),
    optional=(
        KPIR_OTHER_REVENUE,
        KPIR_PURCHASES,
        KPIR_SIDE_COSTS,
        KPIR_SALARIES,
        KPIR_OTHER_COSTS,
    ),
)
REVENUE_COLUMNS = (KPIR_SALES, KPIR_OTHER_REVENUE)
COST_COLUMNS = (KPIR_PURCHASES, KPIR_SIDE_COSTS, KPIR_SALARIES, KPIR_OTHER_COSTS)

# --- company database: VAT register (optional table) [G] ----------------------------------------

VAT_YEAR = "PERIOD_YEAR"  # SMALLINT, the VAT period the entry is settled in [G]
VAT_MONTH = "PERIOD_MONTH"  # [G]
VAT_REGISTER = "REGISTER"  # CHAR(1): codes in VAT_REGISTERS [G]
VAT_AMOUNT = "VAT_AMOUNT"  # DECIMAL(15,2) [G]

VAT_ENTRIES = TableSpec(
    name="FK_VAT_REGISTER",  # [G]
    required=(VAT_YEAR, VAT_MONTH, VAT_REGISTER, VAT_AMOUNT),
)
VAT_REGISTERS = {"S": "vat_output", "Z": "vat_input"}  # sales / purchases [G]

GLOBAL_TABLES = (FIRMS, DECLARATIONS)
COMPANY_TABLES = (KPIR, VAT_ENTRIES)
