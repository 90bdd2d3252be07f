"""Names the JPK_V7M / JPK_V7K reader relies on: form variants and the record fields it sums.

Everything is matched by local name: two namespaces circulated for variants (2) and (3), so the
variant comes from `Naglowek/KodFormularza/@kodSystemowy`, never from the namespace.
"""

SOURCE = "jpk"
FILE_SUFFIXES = (".xml",)
ROOT = "JPK"

MONTHLY = "V7M"
QUARTERLY = "V7K"

# kodSystemowy -> (form, variant). Variant (1): Oct 2020 - Dec 2021; (2): Jan 2022 - Jan 2026;
# (3): from Feb 2026 (KSeF markers in the records; same P_/K_ fields as far as we read them).
VARIANTS: dict[str, tuple[str, int]] = {
    "JPK_V7M (1)": (MONTHLY, 1),
    "JPK_V7K (1)": (QUARTERLY, 1),
    "JPK_V7M (2)": (MONTHLY, 2),
    "JPK_V7K (2)": (QUARTERLY, 2),
    "JPK_V7M (3)": (MONTHLY, 3),
    "JPK_V7K (3)": (QUARTERLY, 3),
}

TAX_BY_FORM = {MONTHLY: "VAT-7", QUARTERLY: "VAT-7K"}
VAT_PERIOD_BY_FORM = {MONTHLY: "M", QUARTERLY: "Q"}

# Naglowek/CelZlozenia: 1 = first filing, 2 = correction.
KIND_BY_PURPOSE = {"1": "D", "2": "K"}

# Declaration fields (Deklaracja/PozycjeSzczegolowe), all whole złoty (TKwotaC integers).
TAX_TO_PAY = "P_51"  # "Wysokość podatku podlegająca wpłacie do urzędu skarbowego" (required)
TAX_REFUND = "P_54"  # excess input VAT refunded to the taxpayer's bank account
TAX_CARRIED_FORWARD = "P_62"  # excess input VAT carried to the next period

# Record fields (Ewidencja), decimals with 2 places. Checked against the annotations of
# Schemat_JPK_V7M(2)_v1-0.xsd and Schemat_JPK_V7M(1)_v1-2E.xsd (identical for these fields):
# SprzedazCtrl/PodatekNalezny is "suma kwot z K_16, K_18, K_20, K_24, K_26, K_28, K_30, K_32,
# K_33 i K_34 pomniejszona o kwotę z K_35 i K_36, z wyłączeniem faktur ... oznaczonych FP".
OUTPUT_VAT_ADDED = ("K_16", "K_18", "K_20", "K_24", "K_26", "K_28", "K_30", "K_32", "K_33", "K_34")
OUTPUT_VAT_SUBTRACTED = ("K_35", "K_36")

# ZakupCtrl/PodatekNaliczony is "suma kwot z K_41, K_43, K_44, K_45, K_46, K_47".
INPUT_VAT = ("K_41", "K_43", "K_44", "K_45", "K_46", "K_47")

# Net sales: the tax bases of the taxpayer's own supplies. Left out on purpose:
# K_12 and K_14 are "w tym" lines of the VAT-7 form (subsets of K_11 and K_13);
# K_23, K_25, K_27, K_29, K_31 are bases of acquisitions, imports and reverse charge, i.e.
# purchases on which the taxpayer self-assesses VAT, not sales;
# SprzedazVAT_Marza is a gross margin-scheme amount with no net figure.
REVENUE_BASES = ("K_10", "K_11", "K_13", "K_15", "K_17", "K_19", "K_21", "K_22")

# Net purchases: K_40 (fixed assets) and K_42 (other goods and services).
COST_BASES = ("K_40", "K_42")

# Sales rows of this document type duplicate a receipt summary (RO) already in the records;
# the XSD excludes them from PodatekNalezny, and we exclude them from revenue too.
DUPLICATE_SALES_DOCUMENT = "FP"
