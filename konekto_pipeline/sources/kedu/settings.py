"""Names the KEDU reader relies on: file kinds, the root namespace and the ZUSDRA fields read.

Field names are local names of kedu_5_6.xsd (the same from KEDU 5.4 to 5.6); block meanings
are in the DRA form: IX = IV.37 + VI.07 + VII.03 + VIII.03 - V.05, split into a refund (IX.01)
and an amount to pay (IX.02).
"""

import re

SOURCE = "kedu"
FILE_SUFFIXES = (".xml", ".kdu")
ROOT = "KEDU"

# Płatnik and ePłatnik change the year and version in the namespace with every schema release
# (2013/KEDU_4, 2021/KEDU_5_4, 2022/KEDU_5_5, 2024/KEDU_5_6, 2026/KEDU_5_7), so match a pattern.
NAMESPACE = re.compile(r"^http://www\.zus\.pl/\d{4}/KEDU_\d+(_\d+)?$")

# The monthly settlement declaration. ZUSDRA2 / ZUSRCA2 are annual documents (a year, not a
# month, in I/p2) and other documents carry no totals, so only this one is read.
DRA = "ZUSDRA"

# (block, field) paths inside ZUSDRA.
DECLARATION_NO = ("I", "p2", "p1")  # "01" = first filing, higher = corrections
PERIOD = ("I", "p2", "p2")  # YYYY-MM (xs:gYearMonth)
NIP = ("II", "p1")
REGON = ("II", "p2")
PESEL = ("II", "p3")
SHORT_NAME = ("II", "p6")
LAST_NAME = ("II", "p7")
FIRST_NAME = ("II", "p8")

# Amount fields (decimals with 2 places, unsigned); a missing field counts as 0.
SOCIAL = ("IV", "p37")  # social insurance total
DEDUCTIONS = ("V", "p5")  # benefits paid by the payer and set off
HEALTH = ("VI", "p7")  # health insurance total
LABOUR_FUND = ("VII", "p3")  # FP + FS + FGŚP total
LABOUR_FUND_PARTS = (("VII", "p1"), ("VII", "p2"))  # FP + FS, FGŚP: used when p3 is missing
FEP = ("VIII", "p3")  # bridging pensions fund
REFUND = ("IX", "p1")  # to be refunded by ZUS
TOTAL = ("IX", "p2")  # to pay

FIRST_DECLARATION_NO = 1
