"""Mała Księgowość „Rzeczpospolitej” (MK RP): every file, field and code the reader relies on.

What is known publicly (research/firebird_dbf_programs.md §5): MK RP keeps KPiR and ryczałt
ledgers, shows PIT-5/5L and PIT-28 "tax to pay" per month, VAT-7/VAT-7K and PIT-4 [E]. Its
office module lists companies, each with a unique identifier of letters, digits and underscore
[E]. Offices share the program folder as a mapped drive, and may keep the data in a cloud-synced
or remote folder chosen in the program's options [E], so the data are plain files [I]. Its
document import format is Windows-1250 INI, so the program writes CP1250 [I].

Confidence: [E] seen in a public source; [I] inferred; [G] a guess with no public evidence.
**The storage format is unknown: DBF tables are assumed, and every file and field name below is
[G]**, Polish and upper-case as a DOS-rooted program's would be. Run `konekto probe
mala_ksiegowosc` on a real installation (it lists the files, their fields and the codes found)
and correct the names here.
"""

import re
from dataclasses import replace

from konekto_pipeline.sources.files.tables import DbfSpec

PROGRAM = "mala_ksiegowosc"
TITLE = "Mała Księgowość „Rzeczpospolitej”"
SETTING = f"programs.{PROGRAM}"

PROGRAM_ENCODING = "cp1250"  # [I] from the CP1250 import format

# --- where the data are -------------------------------------------------------------------------

DEFAULT_FOLDER = "C:\\MK\\Biuro"  # [G] from the original tool's configuration guide
# The program's options file and the key naming the data folder, local or UNC
# (`\\SERWER\mk\Biuro`); a relative value is relative to the options file's folder. [G]
DEFAULT_OPTIONS_FILE = "C:\\MK\\MK.INI"
OPTIONS_SECTION = "Dane"
OPTIONS_KEY = "KatalogDanych"


def default_folders() -> tuple[str, ...]:
    """Where the data folder usually is, as the office would write it on Windows."""
    return (DEFAULT_FOLDER,)


# --- companies ----------------------------------------------------------------------------------

# A company's identifier is also the name of its subfolder in the data folder. [E] for the
# characters; [I] that "letters" are ASCII letters, as a folder name on a shared drive.
COMPANY_ID = re.compile(r"[A-Za-z0-9_]+", re.ASCII)

COMPANIES = DbfSpec(
    title="company list",
    file="FIRMY.DBF",
    fields={
        "id": "ID",
        "name": "NAZWA",
        "nip": "NIP",
        "regon": "REGON",
        "email": "EMAIL",
        "phone": "TELEFON",
        "legal_form": "FORMA",
        "tax_form": "OPODAT",
        "vat": "VAT",
        "removed": "USUNIETA",  # L: a company removed from the office's list
    },
    optional=frozenset({"regon", "email", "phone", "legal_form", "tax_form", "vat", "removed"}),
)

LEGAL_FORMS = {  # [G]
    "F": "other",  # osoba fizyczna, spółka cywilna
    "P": "legal_person",  # osoba prawna
    "B": "budget_unit",  # jednostka budżetowa
}
TAX_FORMS = {  # [G]
    "K": "kpir",  # księga przychodów i rozchodów
    "R": "ryczalt",  # ryczałt od przychodów ewidencjonowanych
}
VAT_PERIODS: dict[str, str | None] = {  # [G]
    "M": "M",  # monthly VAT-7
    "K": "Q",  # quarterly VAT-7K
    "N": None,  # not a VAT payer
}

# --- one company's taxes to pay -----------------------------------------------------------------

TAXES = DbfSpec(
    title="taxes to pay",
    file="PODATKI.DBF",
    fields={
        "year": "ROK",
        "month": "MIESIAC",  # VAT-7K: any month of the quarter [G]
        "tax": "PODATEK",  # codes in TAX_CODES
        "correction": "KOREKTA",  # L
        "to_pay": "DOZAPLATY",
        "refund": "ZWROT",
        "carried_forward": "NADWYZKA",
    },
    optional=frozenset({"correction", "refund", "carried_forward"}),
)
# The memo with the office's notes on a tax record. Only `probe` reads it: a missing memo file
# should not make every read report a problem for a field the pipeline does not send. [G]
TAX_NOTE = "UWAGI"

# The program's tax codes, compared without spaces and dashes and in upper case ("VAT-7K" and
# "vat7k" are both VAT7K) -> the pipeline's tax names. [G]; the JPK names stand for the VAT
# return since 2020 [I].
TAX_CODES = {
    "VAT7": "VAT-7",
    "JPKV7M": "VAT-7",
    "VAT7K": "VAT-7K",
    "JPKV7K": "VAT-7K",
    "PIT5": "PIT-5",
    "PIT5L": "PIT-5L",
    "PIT28": "PIT-28",
    "PIT4": "PIT-4",
}


def tax_code(value: str) -> str:
    """A tax code as TAX_CODES keys it: upper case, no spaces, dashes or underscores."""
    return re.sub(r"[\s\-_]", "", value).upper()


# --- one company's monthly ledger totals --------------------------------------------------------

LEDGER = DbfSpec(
    title="monthly ledger totals",
    file="EWIDENCJA.DBF",
    fields={
        "year": "ROK",
        "month": "MIESIAC",
        "revenue": "PRZYCHOD",
        "costs": "KOSZTY",  # a ryczałt register has no costs [I]: optional, 0 for ryczałt
        "revenue_ytd": "PRZYCH_NAR",  # narastająco, year to date
        "costs_ytd": "KOSZT_NAR",
    },
    optional=frozenset({"costs", "revenue_ytd", "costs_ytd"}),
)

# A KPiR ledger has costs: for a company taxed by KPiR a missing KOSZTY field is a problem.
LEDGER_KPIR = replace(LEDGER, optional=LEDGER.optional - {"costs"})


def ledger_spec(tax_form: str | None) -> DbfSpec:
    """The ledger table as a company of this tax form ("kpir", "ryczalt", None) must have it."""
    return LEDGER_KPIR if tax_form == "kpir" else LEDGER
