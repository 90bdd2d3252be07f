"""Writes a database in Płatnik's shape, for tests, the demo office and benchmarks.

Tables `PLATNIK`, `PLATN_IDENT` and `ZUSDRA` with the column names and types of a real Płatnik
database (research/platnik_kedu_jpk.md §1): money DECIMAL(11,2)/(12,2)/(13,2), the period as
CHAR(6) MMYYYY, the declaration number as CHAR(2), statuses CHAR(1), and more ZUSDRA columns
than the reader needs, as in the real table. Written independently from the reader (its own
names, its own MMYYYY conversion), so a test that writes and reads checks one against the other.

On SQL Server and PostgreSQL the tables are created under the `dbo` schema; a SQLite file gets
plain tables, and `SqlServer` attaches the file as `dbo`. Amounts are grosze in, DECIMAL out.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

SCHEMA = "dbo"


@dataclass(frozen=True)
class Payer:
    """A payer as Płatnik keeps it: `PLATNIK` row, `PLATN_IDENT` rows, and block II of its DRAs.

    `full_name` is PLATN_IDENT.NAZWAFIRMA valid from `valid_from`; `earlier_full_names` are
    older PLATN_IDENT rows as (valid from, name). `activity_status` and `status_pt` go into the
    PLATNIK status columns, whose codes are not known.
    """

    payer_id: int
    short_name: str | None
    nip: str | None = None
    regon: str | None = None
    pesel: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    valid_from: date = date(2019, 1, 1)
    earlier_full_names: tuple[tuple[date, str], ...] = ()
    activity_status: str | None = "A"
    status_pt: str | None = "Z"


@dataclass(frozen=True)
class Dra:
    """One ZUSDRA row for a payer and month ("YYYY-MM"); amounts in grosze.

    `labour_fund` is VII.03 (FP + FS + FGŚP), of which `fgsp` is FGŚP; with
    `write_labour_total=False` VIII_3 stays NULL and only its parts are written. `total`
    (IX.02) and `refund` (IX.01) are computed from the other amounts unless given; `nip`
    replaces the payer's NIP in block II ("" leaves it empty).
    """

    document_id: int
    payer: Payer
    period: str
    declaration_no: int = 1
    social: int = 0
    health: int = 0
    labour_fund: int = 0
    fgsp: int = 0
    fep: int = 0
    deductions: int = 0
    total: int | None = None
    refund: int | None = None
    nip: str | None = None
    write_labour_total: bool = True
    status_pt: str | None = "Z"
    status_wr: str | None = None
    insured: int = 1
    filled_on: date | None = None
    stored_period: str | None = None  # raw I_2_2OKRESDEKLAR, to store a malformed period

    @property
    def balance(self) -> int:
        """IV.37 + VI.07 + VII.03 + VIII.03 - V.05: positive to pay, negative to refund."""
        return self.social + self.health + self.labour_fund + self.fep - self.deductions

    @property
    def to_pay(self) -> int:
        return self.total if self.total is not None else max(self.balance, 0)

    @property
    def to_refund(self) -> int:
        return self.refund if self.refund is not None else max(-self.balance, 0)


def platnik_metadata(schema: str | None, omit: Collection[str] = ()) -> sa.MetaData:
    """Płatnik's tables; `omit` leaves out tables ("PLATN_IDENT") or columns ("ZUSDRA.X")."""
    metadata = sa.MetaData(schema=schema)
    for name, columns in _TABLES.items():
        if name in omit:
            continue
        kept = [column.make() for column in columns if f"{name}.{column.name}" not in omit]
        sa.Table(name, metadata, *kept)
    return metadata


def write_platnik_database(
    url_or_engine: str | sa.URL | Engine,
    payers: Sequence[Payer],
    dras: Sequence[Dra],
    *,
    omit: Collection[str] = (),
) -> None:
    """Create Płatnik's tables on an empty database and fill them (one executemany per table)."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else sa.create_engine(url_or_engine)
    try:
        with engine.begin() as connection:
            schema = _schema(connection)
            metadata = platnik_metadata(schema, omit)
            metadata.create_all(connection)
            rows = {
                "PLATNIK": [_platnik_row(payer) for payer in payers],
                "PLATN_IDENT": _ident_rows(payers),
                "ZUSDRA": [_dra_row(dra) for dra in dras],
            }
            for name, table_rows in rows.items():
                table = metadata.tables.get(f"{schema}.{name}" if schema else name)
                if table is not None and table_rows:
                    connection.execute(table.insert(), _only_columns(table, table_rows))
    finally:
        if not isinstance(url_or_engine, Engine):
            engine.dispose()


def write_platnik_sqlite(
    path: Path, payers: Sequence[Payer], dras: Sequence[Dra], *, omit: Collection[str] = ()
) -> Path:
    """A new SQLite file (replacing one at `path`) holding a Płatnik database."""
    path = Path(path)
    path.unlink(missing_ok=True)
    write_platnik_database(f"sqlite:///{path}", payers, dras, omit=omit)
    return path


def _schema(connection: Connection) -> str | None:
    """`dbo`, created when missing; None on SQLite, where the reader attaches the file as dbo."""
    if connection.dialect.name == "sqlite":
        return None
    if not sa.inspect(connection).has_schema(SCHEMA):
        connection.execute(sa.schema.CreateSchema(SCHEMA))
    return SCHEMA


def _only_columns(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = set(table.c.keys())
    return [{key: value for key, value in row.items() if key in names} for row in rows]


def _money(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)


def _mmyyyy(period: str) -> str:
    year, month = period.split("-")
    return f"{int(month):02d}{int(year):04d}"


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day)


def _platnik_row(payer: Payer) -> dict[str, Any]:
    return {
        "ID": payer.payer_id,
        "NAZWASKR": payer.short_name,
        "STATUSWR": None,
        "STATUSPT": payer.status_pt,
        "STATUS_AKTYWNOSCI": payer.activity_status,
        "DATAOD": _midnight(payer.valid_from),
        "LICZBA_UBEZP": 1,
    }


def _ident_rows(payers: Sequence[Payer]) -> list[dict[str, Any]]:
    rows = []
    for payer in payers:
        history = [*payer.earlier_full_names, (payer.valid_from, payer.full_name)]
        for valid_from, full_name in history:
            rows.append(
                {
                    "ID": len(rows) + 1,
                    "ID_PLATNIK": payer.payer_id,
                    "NIP": payer.nip,
                    "REGON": payer.regon,
                    "PESEL": payer.pesel,
                    "NAZWASKR": payer.short_name,
                    "NAZWISKO": payer.last_name,
                    "IMIEPIERW": payer.first_name,
                    "NAZWAFIRMA": full_name,
                    "STATUS_DANE": "A",
                    "DATAOD": _midnight(valid_from),
                }
            )
    return rows


def _dra_row(dra: Dra) -> dict[str, Any]:
    payer = dra.payer
    nip = payer.nip if dra.nip is None else (dra.nip or None)
    return {
        "ID_DOKUMENT": dra.document_id,
        "ID_PLATNIK": payer.payer_id,
        "I_1_TERMINDEKIRAP": "6",
        "I_2_1IDDEKLS": f"{dra.declaration_no:02d}",
        "I_2_2OKRESDEKLAR": dra.stored_period or _mmyyyy(dra.period),
        "II_1_NIP": nip,
        "II_2_REGON": payer.regon,
        "II_3_PESEL": payer.pesel,
        "II_6_NAZWASKR": payer.short_name,
        "II_7_NAZWISKO": payer.last_name,
        "II_8_IMIEPIERW": payer.first_name,
        "III_1_LUBEZP": dra.insured,
        "IV_32_KWSKSPOL": _money(dra.social),
        "V_5_LKWDOPOTRDRA": _money(dra.deductions),
        "VII_4_KWZAP": _money(dra.health),
        "VIII_1_KWNALSKLFP": _money(dra.labour_fund - dra.fgsp),
        "VIII_2_KWNALSKFGSP": _money(dra.fgsp),
        "VIII_3_KWZAPL_VIII": _money(dra.labour_fund) if dra.write_labour_total else None,
        "IX_3_SSKLADFEP": _money(dra.fep),
        "IX_1_KWDOZWROTU": _money(dra.to_refund),
        "IX_2_KWDOZAPLATY": _money(dra.to_pay),
        "XII_8_DATAWYPEL": _midnight(dra.filled_on),
        "STATUSPT": dra.status_pt,
        "STATUSWR": dra.status_wr,
        "INSERTTMP": 0,
    }


@dataclass(frozen=True)
class _Column:
    """A column definition; each write makes fresh Columns (a Column belongs to one Table)."""

    name: str
    type: Callable[[], sa.types.TypeEngine]
    primary_key: bool = False
    nullable: bool = True

    def make(self) -> sa.Column:
        return sa.Column(
            self.name, self.type(), primary_key=self.primary_key, nullable=self.nullable
        )


def _text(name: str, length: int) -> _Column:
    return _Column(name, lambda: sa.String(length))


def _char(name: str, length: int = 1) -> _Column:
    return _Column(name, lambda: sa.CHAR(length))


def _decimal(name: str, precision: int) -> _Column:
    return _Column(name, lambda: sa.Numeric(precision, 2))


def _integer(name: str, primary_key: bool = False, nullable: bool = True) -> _Column:
    return _Column(name, sa.Integer, primary_key=primary_key, nullable=nullable)


def _datetime(name: str) -> _Column:
    return _Column(name, sa.DateTime)


_TABLES: dict[str, list[_Column]] = {
    "PLATNIK": [
        _integer("ID", primary_key=True),
        _text("NAZWASKR", 31),
        _char("STATUSWR"),
        _char("STATUSPT"),
        _datetime("DATAOD"),
        _datetime("DATADO"),
        _integer("ID_DOK_ZGL"),
        _integer("ID_DOK_WYR"),
        _integer("ID_UZYTKOWNIK"),
        _char("CECHA_PLATNIKA"),
        _char("STATUS_AKTYWNOSCI"),
        _integer("LICZBA_UBEZP"),
        _text("NAZWA_SKR_B_RACH", 31),
        _text("NIP_B_RACH", 10),
        _text("REGON_B_RACH", 14),
    ],
    "PLATN_IDENT": [
        _integer("ID", primary_key=True),
        _integer("ID_PLATNIK", nullable=False),
        _text("NIP", 10),
        _text("REGON", 14),
        _text("PESEL", 11),
        _char("RODZDOK"),
        _text("SERIANRDOK", 9),
        _text("NAZWASKR", 31),
        _text("NAZWISKO", 31),
        _text("IMIEPIERW", 22),
        _datetime("DATAURODZ"),
        _text("NAZWAFIRMA", 62),
        _char("TYP_PLATNIKA"),
        _char("STATUS_DANE"),
        _datetime("DATAOD"),
    ],
    "ZUSDRA": [
        _integer("ID_DOKUMENT", primary_key=True),
        _integer("ID_PLATNIK", nullable=False),
        _char("I_1_TERMINDEKIRAP"),
        _char("I_2_1IDDEKLS", 2),
        _char("I_2_2OKRESDEKLAR", 6),
        _datetime("I_3_DATANADANIA"),
        _text("II_1_NIP", 10),
        _text("II_2_REGON", 14),
        _text("II_3_PESEL", 11),
        _char("II_4_RODZDOK"),
        _text("II_5_SERIANRDOK", 9),
        _text("II_6_NAZWASKR", 31),
        _text("II_7_NAZWISKO", 31),
        _text("II_8_IMIEPIERW", 22),
        _datetime("II_9_DATAURODZ"),
        _integer("III_1_LUBEZP"),
        _decimal("III_2_LPRNAPELNYW", 8),
        _decimal("III_4_STOPASKLWYP", 4),
        _decimal("IV_25_KWSKCHPD", 11),
        _decimal("IV_28_KWSKCHBPD", 11),
        _decimal("IV_29_KWSKWFBPD", 11),
        _decimal("IV_30_SKWCHIWYPPBP", 11),
        _decimal("IV_32_KWSKSPOL", 12),
        _decimal("IV_34_KWSKCHFKD", 11),
        _decimal("V_5_LKWDOPOTRDRA", 12),
        _decimal("VI_1_KWDOZWROTU_VI", 12),
        _decimal("VI_2_KWDOZAPP_VI", 12),
        _decimal("VII_4_KWZAP", 12),
        _decimal("VIII_1_KWNALSKLFP", 11),
        _decimal("VIII_2_KWNALSKFGSP", 11),
        _decimal("VIII_3_KWZAPL_VIII", 12),
        _integer("IX_1_LPRSKLADFEP"),
        _integer("IX_2_LSTANPRSZW"),
        _decimal("IX_3_SSKLADFEP", 12),
        _decimal("IX_1_LSUMAKWDOZAPL", 12),
        _decimal("IX_1_KWDOZWROTU", 13),
        _decimal("IX_2_KWDOZAPLATY", 13),
        _text("XI_1_1KODTYTUB", 4),
        _datetime("XII_8_DATAWYPEL"),
        _char("STATUSWR"),
        _char("STATUSPT"),
        _char("STATUSZUS"),
        _char("STATUS_KONTROLI"),
        _char("ID_PL_ZUS_STATUS"),
        _char("ZN_KOR"),
        _integer("SERIA"),
        _integer("NRSCIEZWYL"),
        _integer("INSERTTMP"),
    ],
}
