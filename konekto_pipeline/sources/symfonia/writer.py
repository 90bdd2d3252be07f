"""Writes Symfonia Mała Księgowość data in the shapes the reader expects, for tests and the demo.

Three things are written, each from plain dataclasses with amounts in grosze:
- MKP.INI, in CP1250 (or UTF-16 / UTF-8 with a byte order mark), CRLF line ends, the company
  entries as repeated `Firma=` keys;
- a DBF folder per company (CP1250, dBASE III with a .DBT memo file), with the `dbf` package,
  a different library than the reader's, and a contractors file the reader does not need;
- a company database on any SQLAlchemy engine, tables in schema FK (in the file itself on
  SQLite, which the reader attaches as FK), through `sql.writing.write_tables`.

Names are spelled out here, not taken from the reader's table map, so that writing and reading
checks the map rather than repeating it. `leave_out` drops files ("ZUS.DBF") or fields
("DEKLAR.DBF:DOZAPLATY"), tables ("ZUSDEKL") or columns ("ZUSDEKL.razem"), to imitate other
program versions and broken installations.
"""

import codecs
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dbf
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from konekto_pipeline.sources.sql.writing import write_tables

DBF_CODE_PAGE = "cp1250"
SCHEMA = "FK"
MONEY = sa.Numeric(15, 2)
INI_FILE = "MKP.INI"
WINDOWS_DATA_FOLDER = r"C:\Symfonia\Dane"
INI_ENCODINGS = {
    "cp1250": b"",
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-8": codecs.BOM_UTF8,
}


@dataclass(frozen=True)
class MkDeclaration:
    """A tax declaration computed in the program; None to_pay leaves the amount out."""

    symbol: str
    year: int
    month: int
    to_pay: int | None
    refund: int | None = None
    carried_forward: int | None = None
    correction: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class MkZus:
    """A ZUS declaration (DRA); `total` None writes the sum of the parts."""

    year: int
    month: int
    social: int
    health: int
    labour_fund: int = 0
    number: int = 1
    correction: bool = False
    total: int | None = None
    deleted: bool = False

    @property
    def amount(self) -> int:
        return self.social + self.health + self.labour_fund if self.total is None else self.total


@dataclass(frozen=True)
class MkMonth:
    """A month's ledger totals."""

    year: int
    month: int
    revenue: int
    costs: int = 0
    deleted: bool = False


@dataclass(frozen=True)
class MkCompany:
    """One company of Mała Księgowość; `key` is its folder's or database's name.

    Codes as the program is thought to write them: legal form F/S/P/B, tax form K (KPiR) or R
    (ryczałt), VAT period M, K (quarterly) or blank.
    """

    key: str
    name: str
    nip: str | None
    full_name: str | None = None
    regon: str | None = None
    email: str | None = None
    phone: str | None = None
    legal_form: str | None = "F"
    tax_form: str | None = "K"
    vat_period: str | None = "M"
    declarations: tuple[MkDeclaration, ...] = ()
    zus: tuple[MkZus, ...] = ()
    ledger: tuple[MkMonth, ...] = ()
    active: bool = True


# --- MKP.INI --------------------------------------------------------------------------------


def write_mkp_ini(
    path: Path,
    entries: Sequence[tuple[str, str]],
    *,
    storage: str | None,
    inactive: Iterable[str] = (),
    server: str | None = None,
    auth: str | None = None,
    user: str | None = None,
    password: str | None = None,
    folder: str | None = None,
    encoding: str = "cp1250",
) -> Path:
    """MKP.INI listing `entries` (company name, folder or database) under repeated Firma keys.

    `storage` is written as [Baza] Typ (e.g. "DBF", "MSSQL", "Btrieve"; None: no Typ).
    `password` stands for the (scrambled) password such a file may hold, which the reader must
    never read nor show. `encoding` is "cp1250", "utf-16-le" or "utf-8"; the Unicode ones get a
    byte order mark.
    """
    base = [
        ("Typ", storage),
        ("Serwer", server),
        ("Uwierzytelnianie", auth),
        ("Uzytkownik", user),
        ("Haslo", password),
        ("Katalog", folder),
    ]
    lines = [
        "; Symfonia Mała Księgowość - ustawienia",
        "[Program]",
        "Wersja=2024.1",
        "Jezyk=polski",
        "[Baza]",
        *(f"{key}={value}" for key, value in base if value is not None),
        "[Firmy]",
        *(f"Firma={name};{location}" for name, location in entries),
        *(f"Nieaktywna={name}" for name in inactive),
        "[Okno]",
        "Maksymalizuj=1",
    ]
    text = "\r\n".join(lines) + "\r\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(INI_ENCODINGS[encoding] + text.encode(encoding))
    return path


# --- DBF folders ----------------------------------------------------------------------------

_FIRMA = (
    "NAZWA C(60)", "NAZWAPEL M", "NIP C(20)", "REGON C(14)", "EMAIL C(60)", "TELEFON C(20)",
    "FORMA C(1)", "OPODAT C(1)", "VATOKRES C(1)", "MIASTO C(40)",
)  # fmt: skip
_DEKLAR = (
    "ROK N(4,0)", "MIESIAC N(2,0)", "SYMBOL C(10)", "KOREKTA L", "DOZAPLATY N(12,2)",
    "ZWROT N(12,2)", "NADWYZKA N(12,2)", "DATAWYL D",
)  # fmt: skip
_ZUS = (
    "ROK N(4,0)", "MIESIAC N(2,0)", "NRDEKL N(2,0)", "KOREKTA L", "SPOLECZNE N(12,2)",
    "ZDROWOTNE N(12,2)", "FUNDUSZ N(12,2)", "RAZEM N(12,2)",
)  # fmt: skip
_KPIR = ("ROK N(4,0)", "MIESIAC N(2,0)", "PRZYCHOD N(14,2)", "KOSZTY N(14,2)")
_KONTRAH = ("NAZWA C(60)", "NIP C(20)", "MIASTO C(40)")

_CONTRACTORS = (
    {"NAZWA": "Hurtownia Łąka sp. z o.o.", "NIP": "1132853869", "MIASTO": "Łódź"},
    {"NAZWA": "Jan Źródło", "NIP": "9542583988", "MIASTO": "Gdańsk"},
)


def write_company_folder(
    folder: Path, company: MkCompany, *, leave_out: Collection[str] = ()
) -> Path:
    """The company's DBF files in `folder` (created); records marked deleted are deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "FIRMA.DBF": (_FIRMA, [(_firma_record(company), False)]),
        "DEKLAR.DBF": (_DEKLAR, [(_deklar_record(d), d.deleted) for d in company.declarations]),
        "ZUS.DBF": (_ZUS, [(_zus_record(z), z.deleted) for z in company.zus]),
        "KPIR.DBF": (_KPIR, [(_kpir_record(m), m.deleted) for m in company.ledger]),
        "KONTRAH.DBF": (_KONTRAH, [(record, False) for record in _CONTRACTORS]),
    }
    for name, (fields, records) in tables.items():
        if name not in leave_out:
            kept = [spec for spec in fields if f"{name}:{spec.split()[0]}" not in leave_out]
            _write_dbf(folder / name, kept, records)
    return folder


def _write_dbf(
    path: Path, fields: Sequence[str], records: Sequence[tuple[dict[str, object], bool]]
) -> None:
    names = {spec.split()[0] for spec in fields}
    table = dbf.Table(str(path), "; ".join(fields), codepage=DBF_CODE_PAGE, dbf_type="db3")
    table.open(dbf.READ_WRITE)
    try:
        for record, deleted in records:
            table.append({key: value for key, value in record.items() if key in names})
            if deleted:
                dbf.delete(table[-1])
    finally:
        table.close()


def _firma_record(company: MkCompany) -> dict[str, object]:
    record = {
        "NAZWA": company.name,
        "NAZWAPEL": company.full_name,
        "NIP": company.nip,
        "REGON": company.regon,
        "EMAIL": company.email,
        "TELEFON": company.phone,
        "FORMA": company.legal_form,
        "OPODAT": company.tax_form,
        "VATOKRES": company.vat_period,
        "MIASTO": "Kraków",
    }
    return {key: value for key, value in record.items() if value is not None}


def _deklar_record(declaration: MkDeclaration) -> dict[str, object]:
    record = {
        "ROK": declaration.year,
        "MIESIAC": declaration.month,
        "SYMBOL": declaration.symbol,
        "KOREKTA": declaration.correction,
        "DOZAPLATY": _zloty(declaration.to_pay),
        "ZWROT": _zloty(declaration.refund),
        "NADWYZKA": _zloty(declaration.carried_forward),
    }
    return {key: value for key, value in record.items() if value is not None}


def _zus_record(zus: MkZus) -> dict[str, object]:
    return {
        "ROK": zus.year,
        "MIESIAC": zus.month,
        "NRDEKL": zus.number,
        "KOREKTA": zus.correction,
        "SPOLECZNE": _zloty(zus.social),
        "ZDROWOTNE": _zloty(zus.health),
        "FUNDUSZ": _zloty(zus.labour_fund),
        "RAZEM": _zloty(zus.amount),
    }


def _kpir_record(month: MkMonth) -> dict[str, object]:
    return {
        "ROK": month.year,
        "MIESIAC": month.month,
        "PRZYCHOD": _zloty(month.revenue),
        "KOSZTY": _zloty(month.costs),
    }


# --- SQL databases --------------------------------------------------------------------------


def _columns() -> dict[str, list[sa.Column]]:
    """Fresh column objects of each table, by table name."""
    return {
        "FDANEADR": [
            sa.Column("nazwa", sa.Unicode(200), nullable=False),
            sa.Column("nip", sa.Unicode(20)),
            sa.Column("regon", sa.Unicode(14)),
            sa.Column("email", sa.Unicode(60)),
            sa.Column("telefon", sa.Unicode(20)),
            sa.Column("miejscowosc", sa.Unicode(40)),
        ],
        "FROK": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("rok", sa.SmallInteger, nullable=False),
        ],
        "dekl": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("typ", sa.Unicode(10), nullable=False),
            sa.Column("rok", sa.SmallInteger, nullable=False),
            sa.Column("miesiac", sa.SmallInteger, nullable=False),
            sa.Column("korekta", sa.SmallInteger, nullable=False),
        ],
        "POLADEKL": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("id_dekl", sa.Integer, nullable=False),
            sa.Column("kod", sa.Unicode(20), nullable=False),
            sa.Column("wartosc", MONEY),
        ],
        "ZUSDEKL": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("rok", sa.SmallInteger, nullable=False),
            sa.Column("miesiac", sa.SmallInteger, nullable=False),
            sa.Column("nr_dekl", sa.SmallInteger),
            sa.Column("korekta", sa.SmallInteger),
            sa.Column("spoleczne", MONEY),
            sa.Column("zdrowotne", MONEY),
            sa.Column("fundusz", MONEY),
            sa.Column("razem", MONEY),
        ],
        "KPIRMIES": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("rok", sa.SmallInteger, nullable=False),
            sa.Column("miesiac", sa.SmallInteger, nullable=False),
            sa.Column("przychod", MONEY),
            sa.Column("koszty", MONEY),
        ],
    }


# The declaration fields written per symbol: to pay, refund, carried forward (a VAT return's
# JPK_V7 fields; "DO_ZAPLATY" for the others) and one field the reader does not need.
_VAT_FIELDS = ("P_51", "P_54", "P_62")
_OTHER_FIELDS = ("DO_ZAPLATY", None, None)
_UNREAD_FIELD = "P_10"


def write_company_database(
    url_or_engine: str | Engine, company: MkCompany, *, leave_out: Collection[str] = ()
) -> None:
    """Create the company's tables (schema FK; none on SQLite) and fill them; records marked
    deleted are left out, as a database keeps no deleted rows."""
    write_tables(url_or_engine, _columns(), _rows(company), schema=SCHEMA, leave_out=leave_out)


def write_company_sqlite(
    folder: Path, company: MkCompany, *, leave_out: Collection[str] = ()
) -> Path:
    """Write `folder/<key>.sqlite` (replacing it) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{company.key}.sqlite"
    path.unlink(missing_ok=True)
    write_company_database(f"sqlite:///{path}", company, leave_out=leave_out)
    return path


def _rows(company: MkCompany) -> dict[str, list[dict[str, object]]]:
    declarations = [d for d in company.declarations if not d.deleted]
    years = sorted({d.year for d in declarations} | {m.year for m in company.ledger})
    return {
        "FDANEADR": [
            {
                "nazwa": company.full_name or company.name,
                "nip": company.nip,
                "regon": company.regon,
                "email": company.email,
                "telefon": company.phone,
                "miejscowosc": "Kraków",
            }
        ],
        "FROK": [{"id": index, "rok": year} for index, year in enumerate(years, start=1)],
        "dekl": [
            {
                "id": index,
                "typ": d.symbol,
                "rok": d.year,
                "miesiac": d.month,
                "korekta": 1 if d.correction else 0,
            }
            for index, d in enumerate(declarations, start=1)
        ],
        "POLADEKL": _field_rows(declarations),
        "ZUSDEKL": [_zus_row(index, z) for index, z in _live(company.zus)],
        "KPIRMIES": [_ledger_row(index, m) for index, m in _live(company.ledger)],
    }


def _live(items: Iterable[MkZus | MkMonth]) -> list[tuple[int, MkZus | MkMonth]]:
    return [(index, item) for index, item in enumerate(items, start=1) if not item.deleted]


def _field_rows(declarations: Sequence[MkDeclaration]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number, declaration in enumerate(declarations, start=1):
        codes = _VAT_FIELDS if declaration.symbol.upper().startswith(("VAT", "JPK")) else None
        to_pay, refund, carried = codes or _OTHER_FIELDS
        values = {
            to_pay: declaration.to_pay,
            refund: declaration.refund,
            carried: declaration.carried_forward,
            _UNREAD_FIELD: 123456,
        }
        for code, grosze in values.items():
            if code is not None and grosze is not None:
                rows.append(
                    {
                        "id": len(rows) + 1,
                        "id_dekl": number,
                        "kod": code,
                        "wartosc": _zloty(grosze),
                    }
                )
    return rows


def _zus_row(index: int, zus: MkZus) -> dict[str, object]:
    return {
        "id": index,
        "rok": zus.year,
        "miesiac": zus.month,
        "nr_dekl": zus.number,
        "korekta": 1 if zus.correction else 0,
        "spoleczne": _zloty(zus.social),
        "zdrowotne": _zloty(zus.health),
        "fundusz": _zloty(zus.labour_fund),
        "razem": _zloty(zus.amount),
    }


def _ledger_row(index: int, month: MkMonth) -> dict[str, object]:
    return {
        "id": index,
        "rok": month.year,
        "miesiac": month.month,
        "przychod": _zloty(month.revenue),
        "koszty": _zloty(month.costs),
    }


# --- a whole installation -------------------------------------------------------------------


def write_symfonia(
    folder: Path,
    companies: Sequence[MkCompany],
    *,
    storage: str = "dbf",
    ini_file: Path | None = None,
    windows_folder: str = WINDOWS_DATA_FOLDER,
    server: str = r"BIURO\SYMFONIA",
    ini_encoding: str = "cp1250",
    leave_out: Mapping[str, Collection[str]] | None = None,
) -> Path:
    """A Mała Księgowość installation; returns its MKP.INI (`ini_file`, else in `folder`).

    storage "dbf": a folder per company in `folder`, listed in MKP.INI as
    `windows_folder\\<key>` (map that drive to reach it). storage "mssql": a SQLite file per
    company in `folder` (`<key>.sqlite`), listed by database name on `server`. Inactive
    companies are listed under Nieaktywna too. `leave_out` is per company key.
    """
    omitted = leave_out or {}
    for company in companies:
        if storage == "dbf":
            write_company_folder(
                folder / company.key, company, leave_out=omitted.get(company.key, ())
            )
        else:
            write_company_sqlite(folder, company, leave_out=omitted.get(company.key, ()))
    if storage == "dbf":
        entries = [(c.name, f"{windows_folder}\\{c.key}") for c in companies]
    else:
        entries = [(c.name, c.key) for c in companies]
    return write_mkp_ini(
        ini_file or folder / INI_FILE,
        entries,
        storage="DBF" if storage == "dbf" else "MSSQL",
        inactive=[c.name for c in companies if not c.active],
        server=None if storage == "dbf" else server,
        auth=None if storage == "dbf" else "Windows",
        encoding=ini_encoding,
    )


def _zloty(grosze: int | None) -> Decimal | None:
    return None if grosze is None else Decimal(grosze).scaleb(-2)
