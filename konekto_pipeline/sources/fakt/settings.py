"""Fakt's table map: every file, table, column and code the Fakt reader relies on.

Fakt (Fakt sp. z o.o., Gdynia) is a finance-accounting package for offices. What is known
publicly is thin (research/firebird_dbf_programs.md §2): its manual has a chapter on the
database tables that could not be read, and that it runs on a Firebird server and stores the
"Podatki do zapłaty" (taxes to pay) report in its database comes only from the original tool's
configuration guide.

Confidence: [E] seen in a public source; [I] inferred; [G] a guess with no public evidence.
**Every table and column name below is [G]**: Polish names, as a Polish-only program's would
be. One database is assumed for the whole office, with a company list. Run `konekto probe fakt`
on a real installation (it lists every table and every code found) and correct the names here.

What counts (from the issue, the old tool's behaviour): only what the office saved in the
"taxes to pay" report is the truth for a month; a VAT-7/VAT-7K amount also needs the VAT
declaration generated for that month.
"""

from konekto_pipeline.sources.sql.tables import TableSpec

PROGRAM = "fakt"

# --- files [G] ------------------------------------------------------------------------------------

# Where a local install keeps its database, relative to the install folder, in this order; then
# the only *.fdb / *.gdb file in the install folder or in DATA_SUBFOLDERS.
DATABASE_CANDIDATES = ("Dane/FAKT.FDB", "DANE/FAKT.FDB", "Dane/fakt.fdb", "FAKT.FDB", "fakt.fdb")
DATA_SUBFOLDERS = ("Dane", "DANE", "Baza", "BAZA")
DATABASE_SUFFIXES = (".fdb", ".gdb")

# --- companies ------------------------------------------------------------------------------------

FIRM_ID = "ID"  # INTEGER, the company's key in Fakt [G]
FIRM_SHORT_NAME = "NAZWA_SKROCONA"  # [G]
FIRM_NAME = "NAZWA"  # full name [G]
FIRM_NIP = "NIP"  # [G]
FIRM_REGON = "REGON"  # [G]
FIRM_EMAIL = "EMAIL"  # [G]
FIRM_PHONE = "TELEFON"  # [G]
FIRM_ACTIVE = "AKTYWNA"  # SMALLINT 1/0 [G]
FIRM_VAT_PERIOD = "OKRES_VAT"  # CHAR(1): M monthly, K quarterly, else none [G]
FIRM_LEGAL_FORM = "FORMA_PRAWNA"  # CHAR(1), codes in LEGAL_FORMS [G]

FIRMS = TableSpec(
    name="FIRMY",
    required=(FIRM_ID, FIRM_SHORT_NAME, FIRM_NIP),
    optional=(
        FIRM_NAME,
        FIRM_REGON,
        FIRM_EMAIL,
        FIRM_PHONE,
        FIRM_ACTIVE,
        FIRM_VAT_PERIOD,
        FIRM_LEGAL_FORM,
    ),
)

VAT_PERIODS = {"M": "M", "K": "Q"}  # [G]
LEGAL_FORMS = {  # [G]
    "F": "other",  # osoba fizyczna
    "S": "other",  # spółka osobowa
    "P": "legal_person",  # osoba prawna
    "B": "budget_unit",  # jednostka budżetowa
}

# --- the saved "taxes to pay" report (Podatki do zapłaty) --------------------------------------

REPORT_ID = "ID"  # [G]
REPORT_FIRM = "FIRMA_ID"  # -> FIRMY.ID [G]
REPORT_YEAR = "ROK"  # SMALLINT [G]
REPORT_MONTH = "MIESIAC"  # SMALLINT; for a quarterly item any month of the quarter [G]
REPORT_SYMBOL = "SYMBOL"  # what is paid, codes below [G]
REPORT_AMOUNT = "KWOTA"  # DECIMAL(15,2) [G]
REPORT_SAVED = "DATA_ZAPISU"  # TIMESTAMP of the save; the latest save of a month counts [G]
REPORT_DUE = "TERMIN"  # DATE Fakt shows; read by probe only, due dates follow the law [G]

REPORT = TableSpec(
    name="PODATKI_DO_ZAPLATY",
    required=(REPORT_ID, REPORT_FIRM, REPORT_YEAR, REPORT_MONTH, REPORT_SYMBOL, REPORT_AMOUNT),
    optional=(REPORT_SAVED, REPORT_DUE),
)

# Report symbols -> the pipeline's tax names [G].
TAX_BY_REPORT_SYMBOL = {
    "VAT-7": "VAT-7",
    "VAT-7K": "VAT-7K",
    "PIT-4": "PIT-4",
    "PIT-5": "PIT-5",
    "PIT-5L": "PIT-5L",
    "PIT-8A": "PIT-8A",
    "PIT-28": "PIT-28",
}
# Report symbols of the ZUS parts -> zus frame columns; the old transfer numbers 51/52/53 are
# accepted too [G]. The DRA total is their sum; no refund or deduction is in the report.
ZUS_BY_REPORT_SYMBOL = {
    "ZUS-SPOL": "social",
    "ZUS-51": "social",
    "ZUS-ZDROW": "health",
    "ZUS-52": "health",
    "ZUS-FP": "labour_fund",
    "ZUS-53": "labour_fund",
    "ZUS-FEP": "fep",
}
# A single ZUS total cannot be split into its parts: such a report line is reported, not loaded.
ZUS_TOTAL_SYMBOLS = ("ZUS",)

# --- generated declarations ---------------------------------------------------------------------

DECL_ID = "ID"  # [G]
DECL_FIRM = "FIRMA_ID"  # [G]
DECL_YEAR = "ROK"  # [G]
DECL_MONTH = "MIESIAC"  # [G]
DECL_SYMBOL = "SYMBOL"  # [G]
DECL_CORRECTION = "KOREKTA"  # SMALLINT 1 = correction [G]
DECL_GENERATED = "DATA_WYGENEROWANIA"  # TIMESTAMP [G]
DECL_STATUS = "STATUS"  # codes unknown; probe counts them [G]

DECLARATIONS = TableSpec(
    name="DEKLARACJE",
    required=(DECL_ID, DECL_FIRM, DECL_YEAR, DECL_MONTH, DECL_SYMBOL),
    optional=(DECL_CORRECTION, DECL_GENERATED, DECL_STATUS),
)

# Declaration symbols that stand for the VAT of a month (a JPK_V7 is the VAT-7 since 2020) [G].
VAT_BY_DECLARATION_SYMBOL = {
    "VAT-7": "VAT-7",
    "JPK_V7M": "VAT-7",
    "VAT-7K": "VAT-7K",
    "JPK_V7K": "VAT-7K",
}
EXPECTED_VAT = {"M": "VAT-7", "Q": "VAT-7K"}

TABLES = (FIRMS, REPORT, DECLARATIONS)
