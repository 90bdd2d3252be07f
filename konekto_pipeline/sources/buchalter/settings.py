"""Buchalter's table map: every folder, file, field and code the Buchalter reader relies on.

Buchalter (GrafSoft; Buchalter WIN and Buchalter II) keeps each company in its own subfolder of
the data folder, as dBASE IV tables (`.dbf`, with `.mdx` production indexes the reader does not
need). Most tables are per year, with a two-digit year in the name (`b5wspl24.dbf`: the partners
of 2024). What is public is in research/firebird_dbf_programs.md §3.

Confidence: [E] seen in a public source; [I] inferred; [G] a guess with no public evidence. The
data folder, the per-year naming and the partners' file name are [E]; **every other file name,
field and code below is [G]**, following the `b5<name><yy>.dbf` pattern. Run `konekto probe
buchalter` on a real installation (it lists every file with its fields and the declaration codes
found) and correct the names here.

What counts (from the vendor of a connector, [E]): the partners' (wspólnicy) ZUS can be read from
Buchalter's own files when the office keeps the ZUS register in Buchalter; the employees' ZUS only
from the export Buchalter writes when the accountant confirms it while generating the ZUS
declaration report.
"""

from konekto_pipeline.sources.files.tables import DbfSpec

PROGRAM = "buchalter"

# The code page of the Windows version [G]. Each file's own bytes are checked as well, so a file
# left in a DOS code page (CP852, Mazovia) from Buchalter DOS is still read right.
PROGRAM_ENCODING = "cp1250"

# --- folders ---------------------------------------------------------------------------------

DEFAULT_FOLDER = "C:\\BUCH"  # [E] pro-firma.pl/konektor


def default_folders() -> tuple[str, ...]:
    """The standard data folders of an installation, as Windows paths, most likely first."""
    return (DEFAULT_FOLDER,)


# Two-digit years at or above this are 19xx (Buchalter DOS dates from the 1990s) [G].
CENTURY_PIVOT = 80

# --- company parameters: one file per company, no year [G] -------------------------------------

COMPANY = DbfSpec(
    title="company parameters",
    file="b5firma.dbf",
    fields={
        "name": "NAZWA",
        "nip": "NIP",
        "regon": "REGON",
        "email": "EMAIL",
        "phone": "TELEFON",
        "legal_form": "FORMA",  # C(1), codes in LEGAL_FORMS
        "tax_form": "OPODAT",  # C(1), codes in TAX_FORMS
        "vat_period": "VATOKRES",  # C(1), codes in VAT_PERIODS; blank: not a VAT payer
        "employs": "ZATRUDNIA",  # L: the company has employees (their ZUS needs the export)
    },
    optional=frozenset(
        {"regon", "email", "phone", "legal_form", "tax_form", "vat_period", "employs"}
    ),
)

LEGAL_FORMS = {  # [G]
    "F": "other",  # osoba fizyczna
    "C": "other",  # spółka cywilna
    "J": "other",  # spółka jawna
    "K": "other",  # spółka komandytowa
    "P": "legal_person",  # osoba prawna (sp. z o.o., S.A.)
    "B": "budget_unit",  # jednostka budżetowa
}
TAX_FORMS = {"K": "kpir", "R": "ryczalt", "P": "full_books"}  # [G]
VAT_PERIODS = {"M": "M", "K": "Q"}  # [G]

# --- partners (wspólnicy): read by probe only; the frames do not need them ----------------------

PARTNERS = DbfSpec(
    title="partners (wspólnicy)",
    file="b5wspl{yy}.dbf",  # file name [E]; fields [G]
    fields={"partner": "NRWSP", "surname": "NAZWISKO", "first_name": "IMIE", "pesel": "PESEL"},
    optional=frozenset({"first_name", "pesel"}),
)

# --- partners' ZUS register: one line per partner and month [G] --------------------------------

PARTNERS_ZUS = DbfSpec(
    title="partners' ZUS register",
    file="b5zusw{yy}.dbf",
    fields={
        "month": "MIESIAC",  # N(2)
        "partner": "NRWSP",  # -> PARTNERS.NRWSP
        "social": "SPOLECZNE",  # N(12,2) zł
        "health": "ZDROWOTNE",
        "labour_fund": "FUNDUSZ",  # Fundusz Pracy + FGŚP together
        "correction": "KOREKTA",  # L: this line corrects the partner's earlier one
    },
    optional=frozenset({"correction"}),
)

# --- declarations: one line per declaration generated [G] --------------------------------------

DECLARATIONS = DbfSpec(
    title="declarations",
    file="b5dekl{yy}.dbf",
    fields={
        "month": "MIESIAC",  # N(2); for a quarterly declaration a month of the quarter
        "code": "DEKLAR",  # C(10), codes in DECLARATION_CODES
        "correction": "KOREKTA",  # L
        "amount": "KWOTA",  # N(12,2) zł to pay
        "refund": "ZWROT",  # N(12,2) zł to be refunded (VAT)
        "carried_forward": "NADWYZKA",  # N(12,2) zł carried to the next period (VAT)
        "notes": "UWAGI",  # memo (.dbt), read by probe only
    },
    optional=frozenset({"correction", "refund", "carried_forward", "notes"}),
)

# Declaration codes as Buchalter writes them (upper case, spaces removed) -> the pipeline's tax
# names [G]. JPK_V7M/JPK_V7K replaced VAT-7/VAT-7K in 2020.
DECLARATION_CODES = {
    "VAT-7": "VAT-7",
    "VAT7": "VAT-7",
    "JPK_V7M": "VAT-7",
    "VAT-7K": "VAT-7K",
    "VAT7K": "VAT-7K",
    "JPK_V7K": "VAT-7K",
    "PIT-4": "PIT-4",
    "PIT4": "PIT-4",
    "PIT-5": "PIT-5",
    "PIT5": "PIT-5",
    "PIT-5L": "PIT-5L",
    "PIT5L": "PIT-5L",
    "PIT-8A": "PIT-8A",
    "PIT8A": "PIT-8A",
    "PIT-28": "PIT-28",
    "PIT28": "PIT-28",
}
# Codes of declarations with nothing to pay for a month (annual returns, information returns):
# passed over without a problem [G]. Any other code is reported so the map can be corrected.
IGNORED_DECLARATION_CODES = frozenset({
    "PIT-11", "PIT-4R", "PIT-8AR", "PIT-36", "PIT-36L", "PIT-28R", "PIT-40", "VAT-UE", "VAT-UEK",
    "VAT-27", "ZUS-DRA", "ZUS-RCA",
})  # fmt: skip

# --- KPiR (podatkowa księga przychodów i rozchodów): one line per entry [G] --------------------

LEDGER = DbfSpec(
    title="KPiR ledger",
    file="b5kpir{yy}.dbf",
    fields={
        "date": "DATA",  # D: the entry's date; its month is the summary's month
        "revenue": "PRZYCHOD",  # N(12,2): column 9, total revenue
        "costs": "KOSZTY",  # N(12,2): column 14 (13 before 2022), total costs
    },
)

# --- the employees' ZUS export: one file per month, written by Buchalter [G] -------------------

# In the company's subfolder, or in `zus_export_folder`/<the company's subfolder>. `{mm}` is the
# month, two digits. A file may hold several lines (one per employee); they are added up.
EMPLOYEES_ZUS_FILE = "zusp{yyyy}{mm}.dbf"

EMPLOYEES_ZUS = DbfSpec(
    title="employees' ZUS export",
    file=EMPLOYEES_ZUS_FILE,
    fields={
        "social": "SPOLECZNE",
        "health": "ZDROWOTNE",
        "labour_fund": "FUNDUSZ",
        "fep": "FEP",  # Fundusz Emerytur Pomostowych, where any employee pays it
        "exported": "DATA",  # D: when Buchalter wrote the export
    },
    optional=frozenset({"fep", "exported"}),
)

# The per-year tables of a company; their file names tell which years a company has.
YEAR_TABLES = (PARTNERS_ZUS, DECLARATIONS, LEDGER)
TABLES = (COMPANY, PARTNERS, PARTNERS_ZUS, DECLARATIONS, LEDGER, EMPLOYEES_ZUS)
