"""Writes Optima-shaped databases: a configuration database and company databases.

For tests, the demo office and benchmarks. Written independently from the reader (its own table
definitions, literal names), so a test that writes and reads checks one against the other. The
tables carry the columns the reader and probe use plus a few neighbours, with the types Optima
uses (money DECIMAL(15,2), periods INT YYYYMM, dates DATETIME). Amounts are grosze in.

On SQLite the tables are created in the file itself (no schema): `SqlServer` attaches the file
again as `CDN`. On other engines they go into a `CDN` schema, created when missing.
"""

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

SCHEMA = "CDN"
CONFIGURATION_DATABASE = "CDN_KNF_Konfiguracja"
SERVER_NAME = "BIURO\\OPTIMA"
VERSION = "2025.5.1"

# Declaration type codes (CDN.DeklNag.DkN_TypDeklar) as one public source gives them.
VAT_7 = 1
PIT_5 = 2
PIT_4R = 3
PIT_28 = 4
PIT_5L = 12
PIT_36_ANNUAL = 15

# CDN.Firma labels (Fir_Opis) under which the company's attributes are written.
FIRMA_LABELS = {
    "name": "Nazwa firmy",
    "nip": "NIP",
    "regon": "REGON",
    "email": "E-mail",
    "phone": "Telefon",
    "tax_form": "Rodzaj księgowości",
    "vat_period": "Okres rozliczeniowy VAT",
}
_FIRMA_NOISE = (("Miasto", "Warszawa"), ("Kod pocztowy", "00-950"), ("Kraj", "Polska"))

_MONEY = sa.Numeric(15, 2)


@dataclass(frozen=True)
class OptimaDeclaration:
    """One CDN.DeklNag row. `amount` in grosze (negative: an excess); `period` "YYYY-MM".

    `corrects` is the id of the declaration this one corrects (DkN_ParentId).
    """

    type_code: int
    period: str
    amount: int
    declaration_id: int | None = None
    corrects: int | None = None
    final: bool = True
    version: int = 21
    taxpayer_id: int | None = 1


@dataclass(frozen=True)
class OptimaPayment:
    """One CDN.BnkZdarzenia row: by default a payment to an office (tax office or ZUS)."""

    due: date
    amount: int
    description: str
    to_office: bool = True
    outgoing: bool = True
    document_type: int = 0
    settled: bool = False


@dataclass(frozen=True)
class KpirEntry:
    """One CDN.ZapisyKPR row (a KPiR line); amounts in grosze by statutory column."""

    period: str
    sales: int = 0
    other_revenue: int = 0
    goods: int = 0
    incidental: int = 0
    advertising: int = 0
    wages: int = 0
    other_costs: int = 0
    research: int = 0
    in_buffer: bool = False
    struck_out: bool = False


@dataclass(frozen=True)
class RyczaltEntry:
    """One CDN.Ryczalt row; `revenues` fill RYC_Przychod1.. in order (at most 11), grosze."""

    period: str
    revenues: tuple[int, ...]
    in_buffer: bool = False
    struck_out: bool = False


@dataclass(frozen=True)
class VatEntry:
    """A VAT register document (CDN.VatNag) with one line (CDN.VatTab); amounts in grosze.

    `return_period` is the VAT return it is settled in (defaults to `period`).
    """

    period: str
    sales: bool
    net: int
    vat: int
    return_period: str | None = None
    in_vat_return: bool = True


@dataclass(frozen=True)
class OptimaCompany:
    """A company database and its CDN.Bazy entry.

    `tax_form` and `vat_period` are written as text under their CDN.Firma labels (e.g.
    "KPiR", "kwartalnie"). `nip_in_bazy` also writes Baz_Nip. `omit_tables` (e.g.
    {"VatTab"}) and `omit_columns` (e.g. {"DeklNag": {"DkN_Kwota"}}) build broken databases.
    """

    database: str
    name: str
    nip: str | None
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    tax_form: str | None = None
    vat_period: str | None = None
    active: bool = True
    nip_in_bazy: bool = True
    declarations: Sequence[OptimaDeclaration] = ()
    payments: Sequence[OptimaPayment] = ()
    kpir: Sequence[KpirEntry] = ()
    ryczalt: Sequence[RyczaltEntry] = ()
    vat: Sequence[VatEntry] = ()
    omit_tables: frozenset[str] = frozenset()
    omit_columns: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimaOffice:
    """An Optima installation: the configuration database and its company databases."""

    companies: Sequence[OptimaCompany]
    configuration: str = CONFIGURATION_DATABASE


# --- table definitions --------------------------------------------------------------------


def _configuration_tables(metadata: sa.MetaData, schema: str | None) -> None:
    sa.Table(
        "Bazy",
        metadata,
        sa.Column("Baz_BazID", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("Baz_Nazwa", sa.Unicode(255)),
        sa.Column("Baz_Dostep", sa.Unicode(254)),
        sa.Column("Baz_NazwaBazy", sa.Unicode(128)),
        sa.Column("Baz_NazwaSerwera", sa.Unicode(128)),
        sa.Column("Baz_Nieaktywna", sa.SmallInteger, nullable=False),
        sa.Column("Baz_Nip", sa.Unicode(24)),
        sa.Column("Baz_Opis", sa.Unicode(255)),
        schema=schema,
    )


def _company_tables(metadata: sa.MetaData, schema: str | None) -> None:
    def table(name: str, *columns: sa.Column) -> None:
        sa.Table(name, metadata, *columns, schema=schema)

    def key(name: str) -> sa.Column:
        return sa.Column(name, sa.Integer, primary_key=True, autoincrement=False)

    table(
        "SystemCDN",
        key("SYS_ID"),
        sa.Column("SYS_Wartosc", sa.Unicode(255)),
    )
    table(
        "Firma",
        key("Fir_FirID"),
        sa.Column("Fir_Numer", sa.Integer),
        sa.Column("Fir_Wartosc", sa.Unicode(1024)),
        sa.Column("Fir_Opis", sa.Unicode(255)),
    )
    table(
        "DeklNag",
        key("DkN_DkNID"),
        sa.Column("DkN_TypDeklar", sa.SmallInteger, nullable=False),
        sa.Column("DkN_Wersja", sa.SmallInteger),
        sa.Column("DkN_RokMiesiac", sa.Integer, nullable=False),
        sa.Column("DkN_Kwota", _MONEY),
        sa.Column("DkN_Finalna", sa.SmallInteger, nullable=False),
        sa.Column("DkN_Zablokowana", sa.SmallInteger),
        sa.Column("DkN_Data", sa.DateTime),
        sa.Column("DkN_ParentId", sa.Integer),
        sa.Column("DkN_PraID", sa.Integer),
        sa.Column("DkN_TS_Mod", sa.DateTime),
    )
    table(
        "BnkZdarzenia",
        key("BZd_BZdID"),
        sa.Column("BZd_NumerPelny", sa.Unicode(50)),
        sa.Column("BZd_DataDok", sa.DateTime),
        sa.Column("BZd_Termin", sa.DateTime),
        sa.Column("BZd_Kwota", _MONEY),
        sa.Column("BZd_KwotaSys", _MONEY),
        sa.Column("BZd_Kierunek", sa.SmallInteger),
        sa.Column("BZd_Rozliczono", sa.SmallInteger),
        sa.Column("BZd_Stan", sa.SmallInteger),
        sa.Column("BZd_Waluta", sa.Unicode(3)),
        sa.Column("BZd_Opis", sa.Unicode(254)),
        sa.Column("BZd_PodmiotTyp", sa.SmallInteger),
        sa.Column("BZd_PodmiotID", sa.Integer),
        sa.Column("BZd_DokumentTyp", sa.SmallInteger),
        sa.Column("BZd_DokumentID", sa.Integer),
    )
    table(
        "ZapisyKPR",
        key("KPR_KPRID"),
        sa.Column("KPR_RokMies", sa.Integer, nullable=False),
        sa.Column("KPR_Lp", sa.Integer),
        sa.Column("KPR_DataOpe", sa.DateTime),
        sa.Column("KPR_Dokument", sa.Unicode(30)),
        sa.Column("KPR_Bufor", sa.SmallInteger, nullable=False),
        sa.Column("KPR_Skreslony", sa.SmallInteger, nullable=False),
        *(
            sa.Column(name, _MONEY)
            for name in (
                "KPR_Sprzedaz",
                "KPR_Pozostale",
                "KPR_Towary",
                "KPR_Uboczne",
                "KPR_Reklama",
                "KPR_Wynagrodz",
                "KPR_Inne",
                "KPR_KosztyBiR",
            )
        ),
    )
    table(
        "Ryczalt",
        key("RYC_RycId"),
        sa.Column("RYC_RokMies", sa.Integer, nullable=False),
        sa.Column("RYC_Lp", sa.Integer),
        sa.Column("RYC_DataWpi", sa.DateTime),
        sa.Column("RYC_Dokument", sa.Unicode(30)),
        sa.Column("RYC_Bufor", sa.SmallInteger, nullable=False),
        sa.Column("RYC_Skreslony", sa.SmallInteger, nullable=False),
        *(sa.Column(f"RYC_Przychod{number}", _MONEY) for number in range(1, 12)),
    )
    table(
        "VatNag",
        key("VaN_VaNID"),
        sa.Column("VaN_Typ", sa.SmallInteger, nullable=False),
        sa.Column("VaN_Rejestr", sa.Unicode(20)),
        sa.Column("VaN_RokMies", sa.Integer),
        sa.Column("VaN_DeklRokMies", sa.Integer),
        sa.Column("VaN_RozliczacVat7", sa.SmallInteger),
        sa.Column("VaN_Dokument", sa.Unicode(30)),
        sa.Column("VaN_RazemNetto", _MONEY),
        sa.Column("VaN_RazemVAT", _MONEY),
        sa.Column("VaN_RazemBrutto", _MONEY),
    )
    table(
        "VatTab",
        key("VaT_VaTID"),
        sa.Column("VaT_VaNID", sa.Integer, nullable=False),
        sa.Column("VaT_Stawka", sa.Numeric(5, 2)),
        sa.Column("VaT_NettoDoVAT", _MONEY),
        sa.Column("VaT_VATDoVAT", _MONEY),
    )


@cache
def _metadata(kind: str, schema: str | None) -> sa.MetaData:
    metadata = sa.MetaData()
    (_configuration_tables if kind == "configuration" else _company_tables)(metadata, schema)
    return metadata


# --- writing ------------------------------------------------------------------------------


def write_optima_configuration(
    target: str | sa.Engine,
    companies: Sequence[OptimaCompany],
    omit_columns: frozenset[str] = frozenset(),
) -> None:
    """The configuration database: CDN.Bazy with one row per company database.

    `omit_columns` leaves columns out of CDN.Bazy, as older versions lack e.g. Baz_Nip.
    """
    rows = [
        {
            "Baz_BazID": number,
            "Baz_Nazwa": company.name,
            "Baz_Dostep": f"NAZWA_SERWERA={SERVER_NAME};NAZWA_BAZY={company.database}",
            "Baz_NazwaBazy": company.database,
            "Baz_NazwaSerwera": SERVER_NAME,
            "Baz_Nieaktywna": 0 if company.active else 1,
            "Baz_Nip": company.nip if company.nip_in_bazy else None,
            "Baz_Opis": None,
        }
        for number, company in enumerate(companies, start=1)
    ]
    _write(target, "configuration", {"Bazy": rows}, frozenset(), {"Bazy": omit_columns})


def write_optima_company(
    target: str | sa.Engine, company: OptimaCompany, configuration: str = CONFIGURATION_DATABASE
) -> None:
    """One company database with the company's data, declarations, payments and ledgers."""
    rows = {
        "SystemCDN": _system_rows(company, configuration),
        "Firma": _firma_rows(company),
        "DeklNag": _declaration_rows(company.declarations),
        "BnkZdarzenia": _payment_rows(company.payments),
        "ZapisyKPR": _kpir_rows(company.kpir),
        "Ryczalt": _ryczalt_rows(company.ryczalt),
        "VatNag": _vat_header_rows(company.vat),
        "VatTab": _vat_line_rows(company.vat),
    }
    _write(target, "company", rows, company.omit_tables, company.omit_columns)


def write_optima_sqlite_office(folder: Path, office: OptimaOffice) -> str:
    """Every database as `<folder>/<name>.sqlite`; returns the URL template that reads them."""
    folder.mkdir(parents=True, exist_ok=True)
    write_optima_configuration(_sqlite_url(folder, office.configuration), office.companies)
    for company in office.companies:
        write_optima_company(_sqlite_url(folder, company.database), company, office.configuration)
    return f"sqlite:///{folder}/{{database}}.sqlite"


def _sqlite_url(folder: Path, database: str) -> str:
    path = folder / f"{database}.sqlite"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _write(
    target: str | sa.Engine,
    kind: str,
    rows: Mapping[str, list[dict[str, Any]]],
    omit_tables: frozenset[str],
    omit_columns: Mapping[str, frozenset[str]],
) -> None:
    engine = _fast_sqlite(sa.create_engine(target)) if isinstance(target, str) else target
    try:
        schema = None if engine.dialect.name == "sqlite" else SCHEMA
        with engine.begin() as connection:
            if schema is not None:
                connection.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
            for source in _metadata(kind, schema).sorted_tables:
                if source.name in omit_tables:
                    continue
                table = _without(source, omit_columns.get(source.name, frozenset()))
                table.create(connection)
                kept = [
                    {name: value for name, value in row.items() if name in table.c}
                    for row in rows.get(source.name, [])
                ]
                if kept:
                    connection.execute(table.insert(), kept)
    finally:
        if isinstance(target, str):
            engine.dispose()


def _fast_sqlite(engine: sa.Engine) -> sa.Engine:
    """Generated files need no crash safety: skip the journal and fsync while writing."""
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    return engine


def _without(table: sa.Table, omitted: frozenset[str]) -> sa.Table:
    if not omitted:
        return table
    columns = [column._copy() for column in table.columns if column.name not in omitted]
    return sa.Table(table.name, sa.MetaData(), *columns, schema=table.schema)


# --- rows ---------------------------------------------------------------------------------


def _zloty(grosze: int) -> Decimal:
    return Decimal(grosze).scaleb(-2)


def _yyyymm(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 100 + int(month)


def _system_rows(company: OptimaCompany, configuration: str) -> list[dict[str, Any]]:
    values = {1: company.database, 3: VERSION, 1001: SERVER_NAME, 1002: configuration}
    return [{"SYS_ID": key, "SYS_Wartosc": value} for key, value in values.items()]


def _firma_rows(company: OptimaCompany) -> list[dict[str, Any]]:
    attributes = [
        (FIRMA_LABELS[name], getattr(company, name))
        for name in ("name", "nip", "regon", "email", "phone", "tax_form", "vat_period")
    ]
    pairs = [*_FIRMA_NOISE, *((label, value) for label, value in attributes if value is not None)]
    return [
        {"Fir_FirID": number, "Fir_Numer": 1000 + number, "Fir_Wartosc": value, "Fir_Opis": label}
        for number, (label, value) in enumerate(pairs, start=1)
    ]


def _declaration_rows(declarations: Iterable[OptimaDeclaration]) -> list[dict[str, Any]]:
    return [
        {
            "DkN_DkNID": declaration.declaration_id or number,
            "DkN_TypDeklar": declaration.type_code,
            "DkN_Wersja": declaration.version,
            "DkN_RokMiesiac": _yyyymm(declaration.period),
            "DkN_Kwota": _zloty(declaration.amount),
            "DkN_Finalna": 1 if declaration.final else 0,
            "DkN_Zablokowana": 1 if declaration.final else 0,
            "DkN_Data": datetime(*_next_month_start(declaration.period)),
            "DkN_ParentId": declaration.corrects,
            "DkN_PraID": declaration.taxpayer_id,
            "DkN_TS_Mod": datetime(*_next_month_start(declaration.period)),
        }
        for number, declaration in enumerate(declarations, start=1)
    ]


def _next_month_start(period: str) -> tuple[int, int, int]:
    year, month = divmod(_yyyymm(period), 100)
    return (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)


def _payment_rows(payments: Iterable[OptimaPayment]) -> list[dict[str, Any]]:
    return [
        {
            "BZd_BZdID": number,
            "BZd_NumerPelny": f"ZP/{number}/{payment.due:%Y}",
            "BZd_DataDok": datetime(payment.due.year, payment.due.month, 1),
            "BZd_Termin": datetime(payment.due.year, payment.due.month, payment.due.day),
            "BZd_Kwota": _zloty(payment.amount),
            "BZd_KwotaSys": _zloty(payment.amount),
            "BZd_Kierunek": -1 if payment.outgoing else 1,
            "BZd_Rozliczono": 2 if payment.settled else 1,
            "BZd_Stan": 3 if payment.settled else 1,
            "BZd_Waluta": "PLN",
            "BZd_Opis": payment.description,
            "BZd_PodmiotTyp": 5 if payment.to_office else 1,
            "BZd_PodmiotID": 1,
            "BZd_DokumentTyp": payment.document_type,
            "BZd_DokumentID": None,
        }
        for number, payment in enumerate(payments, start=1)
    ]


def _kpir_rows(entries: Iterable[KpirEntry]) -> list[dict[str, Any]]:
    amounts = {
        "KPR_Sprzedaz": "sales",
        "KPR_Pozostale": "other_revenue",
        "KPR_Towary": "goods",
        "KPR_Uboczne": "incidental",
        "KPR_Reklama": "advertising",
        "KPR_Wynagrodz": "wages",
        "KPR_Inne": "other_costs",
        "KPR_KosztyBiR": "research",
    }
    return [
        {
            "KPR_KPRID": number,
            "KPR_RokMies": _yyyymm(entry.period),
            "KPR_Lp": number,
            "KPR_DataOpe": datetime(*_month_start(entry.period)),
            "KPR_Dokument": f"FV/{number}/{entry.period[:4]}",
            "KPR_Bufor": 1 if entry.in_buffer else 0,
            "KPR_Skreslony": 1 if entry.struck_out else 0,
            **{column: _zloty(getattr(entry, name)) for column, name in amounts.items()},
        }
        for number, entry in enumerate(entries, start=1)
    ]


def _month_start(period: str) -> tuple[int, int, int]:
    year, month = divmod(_yyyymm(period), 100)
    return (year, month, 1)


def _ryczalt_rows(entries: Iterable[RyczaltEntry]) -> list[dict[str, Any]]:
    rows = []
    for number, entry in enumerate(entries, start=1):
        if len(entry.revenues) > 11:
            raise ValueError("a ryczałt entry has at most 11 revenue columns")
        revenues = [*entry.revenues, *([0] * (11 - len(entry.revenues)))]
        rows.append(
            {
                "RYC_RycId": number,
                "RYC_RokMies": _yyyymm(entry.period),
                "RYC_Lp": number,
                "RYC_DataWpi": datetime(*_month_start(entry.period)),
                "RYC_Dokument": f"RO/{number}/{entry.period[:4]}",
                "RYC_Bufor": 1 if entry.in_buffer else 0,
                "RYC_Skreslony": 1 if entry.struck_out else 0,
                **{
                    f"RYC_Przychod{column}": _zloty(grosze)
                    for column, grosze in enumerate(revenues, start=1)
                },
            }
        )
    return rows


def _vat_header_rows(entries: Iterable[VatEntry]) -> list[dict[str, Any]]:
    return [
        {
            "VaN_VaNID": number,
            "VaN_Typ": 2 if entry.sales else 1,
            "VaN_Rejestr": "SPRZEDAŻ" if entry.sales else "ZAKUP",
            "VaN_RokMies": _yyyymm(entry.period),
            "VaN_DeklRokMies": _yyyymm(entry.return_period or entry.period),
            "VaN_RozliczacVat7": 1 if entry.in_vat_return else 0,
            "VaN_Dokument": f"{'FS' if entry.sales else 'FZ'}/{number}/{entry.period[:4]}",
            "VaN_RazemNetto": _zloty(entry.net),
            "VaN_RazemVAT": _zloty(entry.vat),
            "VaN_RazemBrutto": _zloty(entry.net + entry.vat),
        }
        for number, entry in enumerate(entries, start=1)
    ]


def _vat_line_rows(entries: Iterable[VatEntry]) -> list[dict[str, Any]]:
    return [
        {
            "VaT_VaTID": number,
            "VaT_VaNID": number,
            "VaT_Stawka": Decimal("23.00"),
            "VaT_NettoDoVAT": _zloty(entry.net),
            "VaT_VATDoVAT": _zloty(entry.vat),
        }
        for number, entry in enumerate(entries, start=1)
    ]


# --- generated offices (demo, benchmarks) ---------------------------------------------------

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_SURNAMES = ("Wiśniewska", "Żółkiewski", "Łęcka", "Kowalczyk", "Dąbrowski", "Ślęzak", "Źrebiec")
_TRADES = ("Usługi Remontowe", "Sklep Spożywczy", "Pracownia Krawiecka", "Transport Ciężarowy")


def generated_nip(rng: random.Random) -> str:
    """A random NIP with a valid check digit."""
    while True:
        digits = [rng.randint(1, 9), *(rng.randint(0, 9) for _ in range(8))]
        check = sum(d * w for d, w in zip(digits, _NIP_WEIGHTS, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def generated_company(
    number: int, periods: Sequence[str], rng: random.Random, nip: str | None = None
) -> OptimaCompany:
    """A plausible KPiR or ryczałt company with declarations, payments and ledgers per month."""
    builder = _MonthBuilder(rng, lump_sum=number % 4 == 3, quarterly=number % 5 == 4)
    for period in periods:
        builder.add(period)
    return OptimaCompany(
        database=f"CDN_Firma_{number:05d}",
        name=f"{rng.choice(_TRADES)} {rng.choice(_SURNAMES)} ({number})",
        nip=nip or generated_nip(rng),
        email=f"biuro{number}@example.pl",
        phone=f"+48 600 {number % 1000:03d} {rng.randint(100, 999)}",
        tax_form="ryczałt" if builder.lump_sum else "KPiR",
        vat_period="kwartalnie" if builder.quarterly else "miesięcznie",
        declarations=builder.declarations,
        payments=builder.payments,
        kpir=builder.kpir,
        ryczalt=builder.ryczalt,
        vat=builder.vat,
    )


def generated_office(
    count: int,
    periods: Sequence[str],
    *,
    seed: int = 0,
    nip: Callable[[int], str | None] = lambda _number: None,
) -> OptimaOffice:
    """`count` generated companies over `periods`, the same for the same seed.

    `nip(number)` may give a company a chosen NIP (e.g. one shared with another program).
    """
    rng = random.Random(seed)
    return OptimaOffice(
        [generated_company(number, periods, rng, nip(number)) for number in range(1, count + 1)]
    )


@dataclass
class _MonthBuilder:
    """Builds a company's month by month: ledger entries, VAT, declarations, a ZUS payment."""

    rng: random.Random
    lump_sum: bool
    quarterly: bool
    declarations: list[OptimaDeclaration] = field(default_factory=list)
    payments: list[OptimaPayment] = field(default_factory=list)
    kpir: list[KpirEntry] = field(default_factory=list)
    ryczalt: list[RyczaltEntry] = field(default_factory=list)
    vat: list[VatEntry] = field(default_factory=list)

    def add(self, period: str) -> None:
        revenue = self.rng.randint(1_000_000, 9_000_000)
        costs = self.rng.randint(200_000, revenue)
        if self.lump_sum:
            self.ryczalt.append(RyczaltEntry(period, (0, 0, 0, revenue)))
            self._declare(PIT_28, period, revenue * 85 // 1000)
        else:
            self.kpir.append(KpirEntry(period, sales=revenue, goods=costs))
            self._declare(PIT_5, period, max(revenue - costs, 0) * 12 // 100)
        output, deductible = revenue * 23 // 100, costs * 23 // 100
        self.vat.append(VatEntry(period, sales=True, net=revenue, vat=output))
        self.vat.append(VatEntry(period, sales=False, net=costs, vat=deductible))
        if not self.quarterly or period[5:] in ("03", "06", "09", "12"):
            self._declare(VAT_7, period, max(output - deductible, 0))
        year, month = divmod(_yyyymm(period), 100)
        due = date(year + 1, 1, 20) if month == 12 else date(year, month + 1, 20)
        self.payments.append(OptimaPayment(due, 181_234, f"ZUS za {month:02d}/{year}"))

    def _declare(self, type_code: int, period: str, amount: int) -> None:
        self.declarations.append(OptimaDeclaration(type_code, period, amount))
