"""Comarch ERP Optima's table map: every table, column, code and label the reader relies on.

Optima keeps one configuration database (default `CDN_KNF_Konfiguracja`) whose `CDN.Bazy`
lists one SQL database per company; every company database has the same `CDN` tables. Nothing
here is documented by Comarch for integrators: each entry says how sure the public evidence
makes us (research/optima_insert.md §1: high = two independent sources or Comarch's own
scripts, medium = one codebase run against a real database, low = a guess or a generated
description). Run the reader's `probe()` on a real office and correct this file, not the reader.
"""

from konekto_pipeline.sources.sql.tables import TableSpec

SOURCE = "optima"
SCHEMA = "CDN"
# SqlServer attaches each SQLite test/demo file under these names, so CDN.Bazy reads the file.
SQLITE_SCHEMAS = (SCHEMA,)
DEFAULT_CONFIGURATION_DATABASE = "CDN_KNF_Konfiguracja"  # high: installer default, renamable

# --- configuration database ---------------------------------------------------------------

# High: BazID, Nazwa, NazwaBazy (computed from Baz_Dostep), NazwaSerwera, Nieaktywna (Comarch's
# BI scripts filter Baz_Nieaktywna = 0). Medium: Baz_Nip (one TypeORM entity; newer versions).
BAZY = TableSpec(
    "Bazy",
    SCHEMA,
    required=("Baz_BazID", "Baz_Nazwa", "Baz_NazwaBazy"),
    optional=("Baz_Nieaktywna", "Baz_NazwaSerwera", "Baz_Nip"),
)
INACTIVE = 1  # high: Baz_Nieaktywna 1 = inactive; 0 or NULL = active

# --- company database: company data -------------------------------------------------------

# High for the columns (key/value table); see FIRMA_LABELS for which row holds what.
FIRMA = TableSpec(
    "Firma",
    SCHEMA,
    required=("Fir_FirID", "Fir_Opis", "Fir_Wartosc"),
    optional=("Fir_Numer",),
)

# Low: which CDN.Firma row holds which attribute. Rows are matched on Fir_Opis (the label shown
# in Optima), compared case-insensitively without a trailing colon; the first label of a tuple
# that is present wins, and of several rows with that label the one with the highest Fir_FirID.
# The only public mapping (Fir_Numer 1119 = name, Fir_FirID 169 = NIP) is hard-coded from one
# installation and deliberately not used. probe() lists every label of a real database.
FIRMA_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("nazwa firmy", "pełna nazwa", "nazwa"),
    "nip": ("nip",),
    "regon": ("regon",),
    "email": ("e-mail", "email", "adres e-mail"),
    "phone": ("telefon", "telefon 1", "nr telefonu"),
    "tax_form": ("rodzaj księgowości", "forma opodatkowania"),
    "vat_period": ("okres rozliczeniowy vat", "rozliczenie vat"),
}

# Low: values of the tax-form and VAT-period rows (compared case-insensitively); any other value
# leaves the field empty.
TAX_FORM_VALUES: dict[str, str] = {
    "kpir": "kpir",
    "księga przychodów i rozchodów": "kpir",
    "ryczałt": "ryczalt",
    "ewidencja przychodów": "ryczalt",
    "księgi handlowe": "full_books",
    "pełna księgowość": "full_books",
}
VAT_PERIOD_VALUES: dict[str, str] = {
    "m": "M",
    "miesięcznie": "M",
    "miesięczny": "M",
    "q": "Q",
    "k": "Q",
    "kwartalnie": "Q",
    "kwartalny": "Q",
}

# --- company database: declarations --------------------------------------------------------

# High for the columns. DkN_Finalna is 1 for a final (not draft) declaration; DkN_RokMiesiac is
# the period as YYYYMM; DkN_Kwota the amount (to pay; a negative amount is read as an excess).
# DkN_ParentId links a correction to the declaration it corrects (medium); DkN_PraID is the
# taxpayer (owner or partner) of a PIT advance (high).
DEKL_NAG = TableSpec(
    "DeklNag",
    SCHEMA,
    required=("DkN_DkNID", "DkN_TypDeklar", "DkN_RokMiesiac", "DkN_Kwota", "DkN_Finalna"),
    optional=("DkN_ParentId", "DkN_PraID", "DkN_Wersja"),
)
FINAL = 1

# Medium (one public source, PMos0011/ishift-panel supportedDocuments.js): DkN_TypDeklar -> tax.
# Not read on purpose: 15 (PIT-36 annual) and 16 (PIT-36L annual) are annual returns, not the
# monthly payments the panel shows; 11 has no known meaning.
# Unknown, so PIT-8A(R), CIT advances and ZUS DRA are not read from declarations: find their
# codes with probe() ("declaration_types") and add them here.
TAX_BY_DECLARATION_TYPE: dict[int, str] = {
    1: "VAT-7",  # medium: VAT-7; DkN_Wersja 21 is the declaration part of JPK_V7
    2: "PIT-5",  # medium: "zaliczka na podatek dochodowy" (PIT-36 advance, tax scale)
    3: "PIT-4",  # medium: "zaliczka PIT-4R" (tax withheld as payer)
    4: "PIT-28",  # medium: ryczałt advance ("PPE")
    12: "PIT-5L",  # medium: PIT-36L advance ("PPL", flat 19 %)
}
# Unknown whether Optima gives JPK_V7K its own type code: none is known, so this is empty, and a
# VAT-7 declaration is read as VAT-7K when CDN.Firma says the company settles VAT quarterly.
QUARTERLY_VAT_DECLARATION_TYPES: frozenset[int] = frozenset()

# --- company database: payment schedule ("preliminarz płatności") --------------------------

# High for the columns; low for telling one tax from another (see SCHEDULE_TAX_PATTERNS).
BNK_ZDARZENIA = TableSpec(
    "BnkZdarzenia",
    SCHEMA,
    required=(
        "BZd_BZdID",
        "BZd_Termin",
        "BZd_Kwota",
        "BZd_Kierunek",
        "BZd_PodmiotTyp",
        "BZd_Opis",
    ),
    optional=("BZd_DokumentTyp",),
)
OFFICE_SUBJECT = 5  # high: BZd_PodmiotTyp 5 = an office (Urząd: tax office or ZUS)
OUTGOING = -1  # high: BZd_Kierunek -1 = a payment (+1 a receipt)

# Low (my assumption, not seen in public material): the tax of an office payment is recognised
# from its description BZd_Opis (case-insensitive regular expressions, first match wins). The
# BZd_DokumentTyp of declaration-generated payments is unknown; probe() counts both.
SCHEDULE_TAX_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bvat[- ]?7k\b|\bjpk_v7k\b", "VAT-7K"),
    (r"\bvat[- ]?7\b|\bjpk_v7m?\b", "VAT-7"),
    (r"\bpit[- ]?4r?\b", "PIT-4"),
    (r"\bpit[- ]?8ar?\b", "PIT-8A"),
    (r"\bpit[- ]?28\b|ryczałt", "PIT-28"),
    (r"\bpit[- ]?(36l|5l)\b|liniow", "PIT-5L"),
    (r"\bpit[- ]?(36|5)\b|zaliczka na podatek dochodowy", "PIT-5"),
    (r"\bcit\b|\bcit[- ]?8\b", "CIT"),
)
# Low, same assumption: payments to ZUS; only counted by probe() (ZUS is not read, see reader).
ZUS_PAYMENT_PATTERN = r"\bzus\b"

# --- company database: ledgers --------------------------------------------------------------

# High (Comarch's "Raport Księgowości (KP)" script): KPR_RokMies is YYYYMM; only entries with
# KPR_Bufor = 0 (in the book, not the buffer) and KPR_Skreslony = 0 (not struck out) count.
ZAPISY_KPR = TableSpec(
    "ZapisyKPR",
    SCHEMA,
    required=(
        "KPR_RokMies",
        "KPR_Bufor",
        "KPR_Skreslony",
        "KPR_Sprzedaz",
        "KPR_Pozostale",
        "KPR_Towary",
        "KPR_Uboczne",
        "KPR_Wynagrodz",
        "KPR_Inne",
    ),
    optional=("KPR_Reklama",),  # legacy advertising column, gone in some versions
)
# High: Comarch's script: revenue = col. 7 + 8, expenditure = col. 10 + 11 + (advertising) +
# 12 + 13. The R&D column (KPR_KosztyBiR) is a "thereof" column and is not added.
KPIR_REVENUE = ("KPR_Sprzedaz", "KPR_Pozostale")
KPIR_COSTS = ("KPR_Towary", "KPR_Uboczne", "KPR_Reklama", "KPR_Wynagrodz", "KPR_Inne")

# Medium (EF Core scaffold of a real database): the ryczałt register, one revenue column per
# lump-sum rate. Which column is which rate is unknown; the summary only needs their total.
RYCZALT_REVENUE = tuple(f"RYC_Przychod{number}" for number in range(1, 12))
RYCZALT = TableSpec(
    "Ryczalt",
    SCHEMA,
    required=("RYC_RokMies", "RYC_Bufor", "RYC_Skreslony", RYCZALT_REVENUE[0]),
    optional=RYCZALT_REVENUE[1:],
)
IN_BOOK = 0  # high: *_Bufor 0 = entered in the book
NOT_DELETED = 0  # high: *_Skreslony 0 = not struck out

# High: VAT register headers and lines. VaN_DeklRokMies (YYYYMM) is the period of the VAT return
# the entry is settled in; VaN_RozliczacVat7 = 1 includes it in VAT-7/JPK. Medium: VaN_Typ 2 =
# sales, 1 = purchase (ishift treats 2 as sales). The *DoVAT amounts are what the return counts.
VAT_NAG = TableSpec(
    "VatNag",
    SCHEMA,
    required=("VaN_VaNID", "VaN_Typ", "VaN_DeklRokMies", "VaN_RozliczacVat7"),
)
VAT_TAB = TableSpec("VatTab", SCHEMA, required=("VaT_VaNID", "VaT_VATDoVAT"))
VAT_PURCHASE = 1
VAT_SALES = 2
IN_VAT_RETURN = 1

# High (Comarch's BI scripts): SYS_ID 3 is the database version; read by probe() only.
SYSTEM_CDN = TableSpec("SystemCDN", SCHEMA, required=("SYS_ID", "SYS_Wartosc"))
VERSION_ID = 3

# Every table a company database must have for the reader (probe() counts their rows).
COMPANY_TABLES = (FIRMA, DEKL_NAG, BNK_ZDARZENIA, ZAPISY_KPR, RYCZALT, VAT_NAG, VAT_TAB)
