"""KPR's table map: the folders, files, fields and codes the KPR reader relies on.

KPR keeps one data folder per fiscal year, `C:\\KPR_<year>` (e.g. `C:\\KPR_2019`) [E], and ships
an export tool, ImportDoKPR, whose output is what the vendor's own connector reads [E]
(https://pro-firma.pl/konektor/, research/firebird_dbf_programs.md §4). Nothing else is public:
the producer is not established and the format of the files is unknown.

Confidence: [E] seen in a public source; [I] inferred; [G] a guess with no public evidence.
**Every file and field name below is [G]**: a per-year folder is typical of DOS/Clipper programs,
so dBASE III files in the Mazovia code page with a zero language-driver byte are assumed, with
Polish field names as a Polish-only program's would be. Run `konekto probe kpr` on a real
installation (it lists every file, field and code found) and correct the names here.
"""

from konekto_pipeline.sources.files.tables import DbfSpec

PROGRAM = "kpr"

# DOS-era Polish programs wrote Mazovia or CP852; the reader scores a file's bytes and reads a
# CP852 file as CP852 whatever this says [G].
PROGRAM_ENCODING = "mazovia"

# --- folders --------------------------------------------------------------------------------------

YEAR = "{year}"
FOLDER_PATTERN = "C:\\KPR_{year}"  # one data folder per fiscal year [E]
FOLDER_SETTING = "programs.kpr.folder"
EXPORT_SETTING = "programs.kpr.export_file"

# Where ImportDoKPR leaves its export when `export_file` is not set: below the year folder [G].
EXPORT_SUBFOLDER = "EKSPORT"
EXPORT_FILE = "KPREXP.DBF"


def folder_for(pattern: str, year: int) -> str:
    """The folder (or file) of a fiscal year: `{year}` in `pattern` is the year; a pattern
    without it names the same folder for every year."""
    return pattern.replace(YEAR, f"{year:04d}")


def default_folders(years: list[int]) -> list[str]:
    """The standard data folders of `years` as an office would write them on Windows."""
    return [folder_for(FOLDER_PATTERN, year) for year in years]


# --- the company list, one per year folder ------------------------------------------------------

FIRMS = DbfSpec(
    title="company list",
    file="FIRMY.DBF",
    fields={
        "code": "KOD",  # C: the company's code, also the name of its subfolder
        "name": "NAZWA",
        "nip": "NIP",
        "regon": "REGON",
        "ryczalt": "RYCZALT",  # L: T ryczałt (revenue register), else KPiR
        "vat": "VAT",  # C(1): codes in VAT_PERIODS
        "active": "AKTYWNA",  # L: F for a company the office no longer keeps
    },
    optional=frozenset({"regon", "ryczalt", "vat", "active"}),
)

VAT_PERIODS: dict[str, str | None] = {"M": "M", "K": "Q", "N": None}  # [G]

# --- the ledger (KPiR, or the ryczałt revenue register), one per company subfolder ---------------

LEDGER = DbfSpec(
    title="ledger (KPiR)",
    file="KSIEGA.DBF",
    fields={
        "number": "LP",  # N: the entry's number in the ledger
        "date": "DATA",  # D: the date of the economic event; its month is the line's month
        "description": "OPIS",
        "revenue": "PRZYCHOD",  # N(12,2): total revenue of the line (KPiR column 9)
        "costs": "KOSZTY",  # N(12,2): total costs of the line (KPiR column 14)
        "memo": "UWAGI",  # M: remarks, in a .DBT beside the file
    },
    optional=frozenset({"number", "description", "memo"}),
)

# --- the ImportDoKPR export: what each company pays per month ----------------------------------

EXPORT = DbfSpec(
    title="ImportDoKPR export",
    file=EXPORT_FILE,
    fields={
        "nip": "NIP",
        "year": "ROK",
        "month": "MIESIAC",  # for VAT-7K any month of the quarter (the last one, presumably)
        "tax": "PODATEK",  # codes in TAX_CODES
        "correction": "KOREKTA",  # L: T for a correction
        "to_pay": "DOZAPLATY",  # N(12,2) złoty; rounded half-up to whole złoty when read
        "refund": "ZWROT",  # N(12,2): VAT refund to the bank account
        "carried_forward": "NADWYZKA",  # N(12,2): VAT surplus carried to the next period
    },
    optional=frozenset({"correction", "refund", "carried_forward"}),
)

# The export's tax codes -> the pipeline's tax names [G]. Codes are compared upper-case with
# spaces, dashes and underscores removed, so "VAT-7", "vat7" and "VAT_7" are the same code.
TAX_CODES: dict[str, str] = {
    "VAT7": "VAT-7",
    "V7": "VAT-7",
    "VAT7K": "VAT-7K",
    "V7K": "VAT-7K",
    "PIT5": "PIT-5",
    "P5": "PIT-5",
    "PIT5L": "PIT-5L",
    "P5L": "PIT-5L",
    "PIT28": "PIT-28",
    "P28": "PIT-28",
    "PIT4": "PIT-4",
    "P4": "PIT-4",
}
QUARTERLY_TAXES = frozenset({"VAT-7K"})


def tax_code(value: str) -> str:
    """An export tax code as TAX_CODES has it."""
    return "".join(char for char in value.upper() if char not in " -_")


TABLES = (FIRMS, LEDGER, EXPORT)
