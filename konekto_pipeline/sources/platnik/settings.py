"""Płatnik's table map: every table, column and code the Płatnik reader relies on.

Płatnik (ZUS's program for payers) keeps one database for all the payers an office settles,
on MS SQL Server or in an Access .mdb file, with the same table and column names (assumed for
Access, not verified). The names come from JPA entities generated from a live Płatnik database
(brzaskun/praca-zaliczeniowa, `entityplatnik`); see research/platnik_kedu_jpk.md §1.

Confidence, as the research gives it: High = seen in several sources; Medium = one good
source or strong inference; Low = a guess. An office engineer can correct a name here (and
run `probe`) without touching the reader.

The ZUSDRA column names follow the old (1999/2003) DRA layout; Płatnik kept them and stores
the 2022+ form positions in them, so `IV_32_KWSKSPOL` holds IV.37 and `VII_4_KWZAP` holds VI.07.
Płatnik converts its database on every upgrade, so columns come and go between versions: only
the amounts and keys are required.

Status columns (`STATUSPT`, `STATUSWR`, `STATUSZUS`, `STATUS_KONTROLI`, `ZN_KOR`) are read by
`probe` only and never filtered on: their codes are not documented (one application shows
`STATUSPT = 'Z'` as "sent", Medium-Low). Every DRA is loaded whatever its status, the highest
declaration number winning in the merge; check the counts `probe` lists against a real database
before filtering on any of them.
"""

from konekto_pipeline.sources.sql.tables import TableSpec

PROGRAM = "platnik"

# Owner of Płatnik's tables on SQL Server: not documented, `dbo` is likely (Medium). A SQLite
# copy (tests, demo office) is attached under this name.
SCHEMA = "dbo"
SQLITE_SCHEMAS = (SCHEMA,)

# --- ZUSDRA: one row per DRA document (High for the table) ------------------------------------

DOCUMENT_ID = "ID_DOKUMENT"  # int, primary key (High)
PAYER_ID = "ID_PLATNIK"  # int NOT NULL -> PLATNIK.ID; the payer's key in Płatnik (High)
DECLARATION_NO = "I_2_1IDDEKLS"  # char(2): "01" = first DRA of the month, 02.. later ones (High)
PERIOD = "I_2_2OKRESDEKLAR"  # char(6) MMYYYY, e.g. "032025"; KEDU has YYYY-MM (High)

NIP = "II_1_NIP"  # varchar(10) (High)
REGON = "II_2_REGON"  # varchar(14), 9 or 14 digits (High)
PESEL = "II_3_PESEL"  # varchar(11): sole traders (High)
SHORT_NAME = "II_6_NAZWASKR"  # varchar(31) short name (High)
LAST_NAME = "II_7_NAZWISKO"  # varchar(31) (High)
FIRST_NAME = "II_8_IMIEPIERW"  # varchar(22) (High)

SOCIAL = "IV_32_KWSKSPOL"  # dec(12,2) = IV.37 total social contributions (Medium)
DEDUCTIONS = "V_5_LKWDOPOTRDRA"  # dec(12,2) = V.05 benefits set off (Medium)
HEALTH = "VII_4_KWZAP"  # dec(12,2) = VI.07 total health contribution (Medium)
LABOUR_FUND = "VIII_3_KWZAPL_VIII"  # dec(12,2) = VII.03 FP + FS + FGŚP total (Medium)
LABOUR_FUND_FP = "VIII_1_KWNALSKLFP"  # dec(11,2) = VII.01 FP + FS (Medium)
LABOUR_FUND_FGSP = "VIII_2_KWNALSKFGSP"  # dec(11,2) = VII.02 FGŚP (Medium)
FEP = "IX_3_SSKLADFEP"  # dec(12,2) = VIII.03 bridging pensions fund (Medium-Low)
REFUND = "IX_1_KWDOZWROTU"  # dec(13,2) = IX.01 to be refunded by ZUS (Medium-High)
TOTAL = "IX_2_KWDOZAPLATY"  # dec(13,2) = IX.02 to pay (Medium-High)

# Statuses: codes unknown (see the module docstring); probe() counts them, read() ignores them.
STATUS_COLUMNS = (
    "STATUSPT",  # char(1); 'Z' shown as "sent" by one application (Medium-Low)
    "STATUSWR",  # char(1) (Low)
    "STATUSZUS",  # char(1) (Low)
    "STATUS_KONTROLI",  # char(1) (Low)
    "ZN_KOR",  # char(1), looks like a correction marker (Low)
)

# Amount columns -> zus frame columns. A NULL amount counts as 0 (Płatnik leaves empty blocks
# NULL), and a DRA must add up: TOTAL - REFUND = SOCIAL + HEALTH + LABOUR_FUND + FEP - DEDUCTIONS.
AMOUNTS = {
    "social": SOCIAL,
    "health": HEALTH,
    "fep": FEP,
    "deductions": DEDUCTIONS,
    "total": TOTAL,
    "refund": REFUND,
}
# When VIII_3 (VII.03) is NULL, the labour fund is VIII_1 + VIII_2, as in KEDU files without p3.
LABOUR_FUND_PARTS = (LABOUR_FUND_FP, LABOUR_FUND_FGSP)

IDENTITY_COLUMNS = (DOCUMENT_ID, PAYER_ID, DECLARATION_NO, PERIOD, NIP, SHORT_NAME)
IDENTITY_OPTIONAL = (REGON, PESEL, LAST_NAME, FIRST_NAME)

ZUSDRA = TableSpec(
    name="ZUSDRA",
    schema=SCHEMA,
    required=(*IDENTITY_COLUMNS, SOCIAL, DEDUCTIONS, HEALTH, LABOUR_FUND, REFUND, TOTAL),
    optional=(*IDENTITY_OPTIONAL, LABOUR_FUND_FP, LABOUR_FUND_FGSP, FEP, *STATUS_COLUMNS),
)
DRA_COLUMNS = (*ZUSDRA.required, *IDENTITY_OPTIONAL, LABOUR_FUND_FP, LABOUR_FUND_FGSP, FEP)

# --- PLATN_IDENT: identification of a payer, with history (Medium) ---------------------------
# Optional: only the full firm name is taken from it. A payer may have several rows valid from
# different DATAOD; which one is current (STATUS_DANE codes) is unknown, so the row with the
# latest DATAOD (then the highest ID) that has a name is used (Low).

IDENT_ID = "ID"
IDENT_PAYER_ID = "ID_PLATNIK"  # -> PLATNIK.ID (High)
IDENT_VALID_FROM = "DATAOD"  # datetime (Medium)
FULL_NAME = "NAZWAFIRMA"  # varchar(62), probably the full firm name (Medium)

PLATN_IDENT = TableSpec(
    name="PLATN_IDENT",
    schema=SCHEMA,
    required=(IDENT_ID, IDENT_PAYER_ID),
    optional=(FULL_NAME, IDENT_VALID_FROM),
)

# --- PLATNIK: one row per payer (High); no NIP here. Read by probe() only ---------------------

PAYER_STATUS_COLUMNS = ("STATUS_AKTYWNOSCI", "STATUSPT", "STATUSWR")  # codes unknown (Low)

PLATNIK = TableSpec(
    name="PLATNIK",
    schema=SCHEMA,
    required=("ID",),
    optional=("NAZWASKR", *PAYER_STATUS_COLUMNS),
)

FIRST_DECLARATION_NO = 1  # "01"; any later number is a correction (kind K)
