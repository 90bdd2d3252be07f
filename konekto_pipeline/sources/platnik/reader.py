"""Reads Płatnik's database (SQL Server or an Access file) into payers and ZUS DRA amounts.

The same rows as the KEDU reader gets from Płatnik's XML exports, read from the database:
one zus row per payer, period and declaration number (01 = first filing, kind D; higher =
corrections, kind K). Every declaration number is kept; the merge takes the highest.

Surprising parts:
- One database holds every payer of the office, so `source_company_id` is the payer's key in
  Płatnik (`ZUSDRA.ID_PLATNIK`), not a database name; the payer's NIP, REGON, PESEL and names
  come from its latest DRA that carries a NIP, the full firm name from `PLATN_IDENT` if there.
- The period is stored as MMYYYY, which does not sort, so the wanted months are listed for an
  IN filter rather than compared as a range.
- A DRA whose IX block does not equal IV.37 + VI.07 + VII.03 + VIII.03 - V.05 is reported and
  not loaded: either the DRA is unfinished or this Płatnik version keeps the amounts in other
  columns (settings.py names them); either way the amount would be wrong in front of the client.
- Status columns are not filtered on (their codes are unknown): `probe` counts them.
- The ZUS account (NRS) is not in ZUSDRA and is never derived, so `account` is empty.
- Access: MDB Tools only understands `SELECT *`, so whole tables are read and filtered in
  pandas. SQL Server gets SELECTs of the needed columns only.

SQL statements per read (one database, whatever the number of payers and DRAs): the column
listing of ZUSDRA, the DRAs of the wanted months, the identification of every DRA (left out
when all months are read), whether PLATN_IDENT exists and its column listing, and the full firm
names (left out without PLATN_IDENT or its NAZWAFIRMA): 7 on SQLite (6 for all months), a few
catalogue queries fewer or more on SQL Server. check() and probe(): 12 on SQLite;
change_stamp(): 2 aggregates.
"""

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import parse_period, period
from konekto_pipeline.settings import PlatnikProgram
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.platnik import settings as names
from konekto_pipeline.sources.sql.access import AccessDatabase, AccessSchemaError
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer, explain
from konekto_pipeline.sources.sql.frames import (
    clean_text,
    origin,
    reason,
    schema_frame,
    stamp_digest,
    table_stamps,
)
from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("zus",)
SQLITE_SCHEMAS = names.SQLITE_SCHEMAS

Row = dict[str, Any]


class _BadRow(Exception):
    """A DRA the reader cannot use; the message says which value is wrong."""


# --- what the two backends hand over ----------------------------------------------------------


@dataclass
class _Rows:
    """Rows as plain dicts keyed by the table map's column names (NULL = None)."""

    dras: list[Row]  # DRA_COLUMNS of the DRAs in the wanted periods
    identities: list[Row]  # identity columns of every DRA, for the companies frame
    full_names: list[Row]  # PLATN_IDENT rows; empty without the table or its NAZWAFIRMA
    problems: list[str] = field(default_factory=list)


@dataclass
class _TableSurvey:
    """What probe() and check() learn about one table: rows, missing columns, or the error."""

    present: bool = True
    rows: list[Row] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    error: SchemaMismatch | None = None
    columns: list[str] = field(default_factory=list)  # all columns, listed on an error only


class _Backend(Protocol):
    kind: str

    @property
    def place(self) -> str: ...

    def table_name(self, spec: TableSpec) -> str: ...

    def load(self, wanted: list[str] | None) -> _Rows: ...

    def survey(self) -> dict[str, _TableSurvey]: ...

    def stamp(self) -> list[str]: ...


# --- SQL Server (and SQLite / PostgreSQL copies) ----------------------------------------------


class _SqlBackend:
    """SELECTs of the needed columns through SqlServer; the period filter runs in SQL."""

    kind = "database"

    def __init__(self, server: SqlServer, database: str | None) -> None:
        self.server = server
        self.database = database

    @property
    def place(self) -> str:
        return self.server.where(self._name())

    def table_name(self, spec: TableSpec) -> str:
        return spec.qualified

    def load(self, wanted: list[str] | None) -> _Rows:
        with self._tables() as tables:
            dras = self._select(tables, names.ZUSDRA, names.DRA_COLUMNS, wanted)
            identities = dras
            if wanted is not None:
                columns = (*names.IDENTITY_COLUMNS, *names.IDENTITY_OPTIONAL)
                identities = self._select(tables, names.ZUSDRA, columns)
            full_names, problems = self._full_names(tables)
        return _Rows(dras, identities, full_names, problems)

    def survey(self) -> dict[str, _TableSurvey]:
        status_columns = (names.PAYER_ID, names.DECLARATION_NO, names.PERIOD, *names.STATUS_COLUMNS)
        plans = {
            names.ZUSDRA.name: (names.ZUSDRA, status_columns),
            names.PLATN_IDENT.name: (names.PLATN_IDENT, (names.IDENT_ID,)),
            names.PLATNIK.name: (names.PLATNIK, ("ID", *names.PAYER_STATUS_COLUMNS)),
        }
        with self._tables() as tables:
            return {
                name: self._survey_table(tables, spec, columns)
                for name, (spec, columns) in plans.items()
            }

    def stamp(self) -> list[str]:
        """Row count and highest key of ZUSDRA and PLATN_IDENT: one aggregate each."""
        stamped = ((names.ZUSDRA, names.DOCUMENT_ID), (names.PLATN_IDENT, names.IDENT_ID))
        with self.server.connect(self._name()) as connection:
            return table_stamps(connection, stamped)

    def _name(self) -> str:
        if not self.database:
            raise SqlConnectionError(
                "no database name: set programs.platnik.database to Płatnik's database",
                names.PROGRAM,
            )
        return self.database

    @contextmanager
    def _tables(self) -> Iterator[TableReader]:
        database = self._name()
        with self.server.connect(database) as connection:
            try:
                yield TableReader(connection, names.PROGRAM)
            except sa.exc.DBAPIError as error:
                # A query that fails once connected (a dropped link, a denied SELECT) makes the
                # whole database unreadable: said as the connection errors are, no password.
                reason = explain(error, self.server.target, database)
                raise SqlConnectionError(reason, names.PROGRAM, self.place) from None

    def _select(
        self,
        tables: TableReader,
        spec: TableSpec,
        columns: Collection[str],
        wanted: list[str] | None = None,
    ) -> list[Row]:
        table = tables.table(spec)
        query = sa.select(*(tables.column(spec, name).label(name) for name in columns))
        query = query.select_from(table)
        if wanted is not None:
            query = query.where(table.c[names.PERIOD].in_(wanted))
        return [dict(row._mapping) for row in tables.connection.execute(query)]

    def _full_names(self, tables: TableReader) -> tuple[list[Row], list[str]]:
        spec = names.PLATN_IDENT
        if not tables.has_table(spec):
            return [], []
        try:
            if names.FULL_NAME not in tables.table(spec).c:
                return [], []
            columns = (*spec.required, *spec.optional)
            return self._select(tables, spec, columns), []
        except SchemaMismatch as error:
            return [], [_full_names_skipped(error)]

    def _survey_table(
        self, tables: TableReader, spec: TableSpec, columns: Collection[str]
    ) -> _TableSurvey:
        if not tables.has_table(spec):
            return _TableSurvey(present=False)
        try:
            table = tables.table(spec)
        except SchemaMismatch as error:
            present = sa.inspect(tables.connection).get_columns(spec.name, schema=spec.schema)
            return _TableSurvey(error=error, columns=[column["name"] for column in present])
        missing = [name for name in spec.optional if name not in table.c]
        return _TableSurvey(rows=self._select(tables, spec, columns), missing_optional=missing)


# --- Access -------------------------------------------------------------------------------------


class _AccessBackend:
    """Whole tables through AccessDatabase (MDB Tools reads nothing else); filtered in pandas."""

    kind = "Access file"

    def __init__(self, access: AccessDatabase) -> None:
        self.access = access

    @property
    def place(self) -> str:
        return str(self.access.path)

    def table_name(self, spec: TableSpec) -> str:
        return spec.name

    def load(self, wanted: list[str] | None) -> _Rows:
        zusdra = self._read(names.ZUSDRA)
        identities = _records(zusdra)
        dras = identities
        if wanted is not None:
            periods = zusdra[names.PERIOD].map(clean_text)
            dras = _records(zusdra.loc[periods.isin(wanted)])
        full_names, problems = self._full_names()
        return _Rows(dras, identities, full_names, problems)

    def survey(self) -> dict[str, _TableSurvey]:
        return {
            spec.name: self._survey_table(spec)
            for spec in (names.ZUSDRA, names.PLATN_IDENT, names.PLATNIK)
        }

    def stamp(self) -> list[str]:
        """The file's size and modification time: MDB Tools can only read whole tables, and
        Płatnik's every saved change rewrites pages of the file."""
        path = self.access.path
        if not path.is_file():
            raise SqlConnectionError(f"the Access file {path} does not exist", names.PROGRAM)
        found = path.stat()
        return [f"{path} {found.st_size} {found.st_mtime_ns}"]

    def _has_table(self, spec: TableSpec) -> bool:
        return spec.name.lower() in {table.lower() for table in self.access.tables()}

    def _read(self, spec: TableSpec) -> pd.DataFrame:
        """The spec's columns of the whole table, or SchemaMismatch worded as for SQL."""
        if not self._has_table(spec):
            raise SchemaMismatch(names.PROGRAM, spec.name, "table is missing")
        try:
            return self.access.read_table(spec.name, required=spec.required, optional=spec.optional)
        except AccessSchemaError:
            present = {column.lower() for column in self.access.columns(spec.name)}
            missing = [name for name in spec.required if name.lower() not in present]
            raise SchemaMismatch(
                names.PROGRAM, spec.name, f"required column {', '.join(missing)} is missing"
            ) from None

    def _full_names(self) -> tuple[list[Row], list[str]]:
        spec = names.PLATN_IDENT
        if not self._has_table(spec):
            return [], []
        try:
            frame = self._read(spec)
        except SchemaMismatch as error:
            return [], [_full_names_skipped(error)]
        if names.FULL_NAME in frame.attrs.get("missing_optional", []):
            return [], []
        return _records(frame), []

    def _survey_table(self, spec: TableSpec) -> _TableSurvey:
        if not self._has_table(spec):
            return _TableSurvey(present=False)
        try:
            frame = self._read(spec)
        except SchemaMismatch as error:
            return _TableSurvey(error=error, columns=self.access.columns(spec.name))
        missing = list(frame.attrs.get("missing_optional", []))
        return _TableSurvey(rows=_records(frame), missing_optional=missing)


def _records(frame: pd.DataFrame) -> list[Row]:
    """Rows as dicts with pandas' missing markers (NA, NaN, NaT) turned into None."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(key): value for key, value in row.items()} for row in rows]


def _full_names_skipped(error: SchemaMismatch) -> str:
    return f"{reason(error)}; full firm names are not read, short names are used"


# --- the reader ---------------------------------------------------------------------------------


class PlatnikReader:
    """Payers and their DRAs from Płatnik's database: on SQL Server (`server`) or Access (`access`).

    Exactly one backend is given; both hand the same rows to the same code, so the frames are
    the same for the same data.
    """

    def __init__(
        self,
        settings: PlatnikProgram,
        server: SqlServer | None = None,
        access: AccessDatabase | None = None,
    ) -> None:
        if (server is None) == (access is None):
            raise ValueError("PlatnikReader needs exactly one of `server` and `access`")
        self.settings = settings
        self._backend: _Backend = (
            _SqlBackend(server, settings.database) if server is not None else _AccessBackend(access)
        )

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Payers of every DRA, and ZUS rows of `periods` (all when None).

        Raises SqlConnectionError when the server or file cannot be read at all; a table or
        required column that is missing is a problem in the result instead.
        """
        wanted = None if periods is None else sorted({_mmyyyy(month) for month in periods})
        try:
            rows = self._backend.load(wanted)
        except SchemaMismatch as error:
            return SourceData(problems=[self._problem(reason(error))])
        table = self._backend.table_name(names.ZUSDRA)
        build = _Build(lambda text, nip=None: self._problem(f"table {table}: {text}", nip))
        build.problems.extend(self._problem(text) for text in rows.problems)
        data = build.run(rows)
        logger.info(
            "platnik %s: %d payers, %d ZUS rows, %d problems",
            self._backend.place,
            len(data.companies),
            len(data.zus),
            len(data.problems),
        )
        return data

    def check(self) -> str:
        """Say "works: ..." with what was found, or raise SqlConnectionError / SchemaMismatch."""
        zusdra = self._backend.survey()[names.ZUSDRA.name]
        if not zusdra.present:
            raise SchemaMismatch(
                names.PROGRAM,
                self._backend.table_name(names.ZUSDRA),
                f"table is missing in {self._backend.place}: is this Płatnik's database?",
            )
        if zusdra.error is not None:
            raise zusdra.error
        payers = {row[names.PAYER_ID] for row in zusdra.rows}
        periods = sorted(_period_counts(zusdra.rows)[0])
        span = f", periods {periods[0]} to {periods[-1]}" if periods else ""
        return (
            f"works: Płatnik {self._backend.kind} {self._backend.place}: "
            f"{len(zusdra.rows)} DRA documents of {len(payers)} payers{span}"
        )

    def probe(self) -> dict[str, object]:
        """What the database holds, read-only: tables, row counts, codes and statuses counted.

        Status codes are listed so that an office can see which DRAs were sent before anyone
        filters on them; NULL is counted as "NULL". A table whose required columns are missing
        is listed with the error and all the columns it has, to correct the table map with.
        """
        surveys = self._backend.survey()
        return {
            "program": names.PROGRAM,
            "backend": self._backend.kind,
            "place": self._backend.place,
            "tables": {name: _probe_table(name, survey) for name, survey in surveys.items()},
        }

    def change_stamp(self) -> str:
        """A digest that changes when DRAs or payer identifications are added or deleted.

        On SQL Server: the row count and highest key of ZUSDRA and PLATN_IDENT (one aggregate
        each, no data row read). A correction is a new DRA and is seen; a DRA edited in place
        is not, and the scheduled update reads it. An Access file: its size and modification
        time, which any saved change moves. Raises SqlConnectionError when the database cannot
        be reached.
        """
        return stamp_digest(self._backend.stamp())

    def _problem(self, message: str, nip: str | None = None) -> SourceProblem:
        return SourceProblem(names.PROGRAM, where=self._backend.place, message=message, nip=nip)


# --- from rows to frames ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Payer:
    payer_id: int
    nip: str
    name: str
    regon: str | None
    legal_form: str | None


@dataclass(frozen=True)
class _Dra:
    document_id: int
    payer: _Payer
    period: str
    declaration_no: int
    amounts: dict[str, int]

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.payer.payer_id, self.period, self.declaration_no)

    @property
    def label(self) -> str:
        return f"DRA {self.document_id} for {self.period} (declaration {self.declaration_no:02d})"

    def adds_up(self) -> bool:
        a = self.amounts
        due = a["social"] + a["health"] + a["labour_fund"] + a["fep"] - a["deductions"]
        return a["total"] - a["refund"] == due


class _Build:
    """Turns the backend's rows into the companies and zus frames, collecting problems."""

    def __init__(self, problem: Callable[..., SourceProblem]) -> None:
        self._problem = problem
        self.problems: list[SourceProblem] = []
        self._reported: set[int] = set()

    def run(self, rows: _Rows) -> SourceData:
        full_names = _latest_full_names(rows.full_names)
        payers = _payers(rows.identities, full_names)
        dras = [dra for row in rows.dras if (dra := self._dra(row, payers)) is not None]
        balanced = [dra for dra in dras if self._adds_up(dra)]
        kept = self._deduplicate(balanced)
        known = [payer for payer in payers.values() if isinstance(payer, _Payer)]
        return SourceData(
            companies=schema_frame("companies", [_company_row(payer) for payer in _sorted(known)]),
            zus=schema_frame("zus", [_zus_row(dra) for dra in kept]),
            problems=self.problems,
        )

    def _dra(self, row: Row, payers: dict[int, "_Payer | str"]) -> _Dra | None:
        payer = payers.get(_int(row[names.PAYER_ID]))
        document = _int(row[names.DOCUMENT_ID])
        if not isinstance(payer, _Payer):
            self._report_payer(_int(row[names.PAYER_ID]), payer)
            return None
        try:
            return _Dra(
                document_id=document,
                payer=payer,
                period=_period(row[names.PERIOD]),
                declaration_no=_declaration_no(row[names.DECLARATION_NO]),
                amounts=_amounts(row, document),
            )
        except _BadRow as bad:
            self.problems.append(self._problem(f"DRA {document}: {bad}; not loaded", payer.nip))
            return None

    def _report_payer(self, payer_id: int, reason: str | None) -> None:
        if payer_id in self._reported:
            return
        self._reported.add(payer_id)
        reason = reason or f"payer {payer_id} is unknown"
        self.problems.append(self._problem(f"{reason}; its DRAs are not loaded"))

    def _adds_up(self, dra: _Dra) -> bool:
        if dra.adds_up():
            return True
        message = (
            f"{dra.label} does not add up: IX.02 - IX.01 differs from "
            "IV.37 + VI.07 + VII.03 + VIII.03 - V.05; not loaded"
        )
        self.problems.append(self._problem(message, dra.payer.nip))
        return False

    def _deduplicate(self, dras: list[_Dra]) -> list[_Dra]:
        """One DRA per payer, period and number: the latest document; differing copies reported."""
        groups: dict[tuple[int, str, int], list[_Dra]] = {}
        for dra in dras:
            groups.setdefault(dra.key, []).append(dra)
        kept = []
        for copies in groups.values():
            copies.sort(key=lambda dra: dra.document_id)
            chosen = copies[-1]
            if any(copy.amounts != chosen.amounts for copy in copies):
                message = (
                    f"{chosen.label} is in the database {len(copies)} times with different "
                    f"amounts; the latest document ({chosen.document_id}) was kept"
                )
                self.problems.append(self._problem(message, chosen.payer.nip))
            kept.append(chosen)
        return sorted(kept, key=lambda dra: (dra.payer.nip, dra.period, *dra.key))


def _latest_full_names(rows: list[Row]) -> dict[int, str]:
    """Per payer, the NAZWAFIRMA of its PLATN_IDENT row valid from the latest DATAOD."""
    latest: dict[int, tuple[tuple[pd.Timestamp, int], str]] = {}
    for row in rows:
        name = clean_text(row.get(names.FULL_NAME))
        if name is None or row.get(names.IDENT_PAYER_ID) is None:
            continue
        valid_from = row.get(names.IDENT_VALID_FROM)
        rank = (pd.Timestamp(valid_from or pd.Timestamp.min), _int(row[names.IDENT_ID]))
        payer_id = _int(row[names.IDENT_PAYER_ID])
        if payer_id not in latest or rank > latest[payer_id][0]:
            latest[payer_id] = (rank, name)
    return {payer_id: name for payer_id, (_, name) in latest.items()}


def _payers(identities: list[Row], full_names: dict[int, str]) -> dict[int, "_Payer | str"]:
    """Per payer id, its identification from the latest DRA with a NIP, or why there is none."""
    latest: dict[int, Row] = {}
    for row in identities:
        payer_id = _int(row[names.PAYER_ID])
        has_nip = clean_text(row[names.NIP]) is not None
        current = latest.get(payer_id)
        current_has_nip = current is not None and clean_text(current[names.NIP]) is not None
        if current is None or (has_nip, _recency(row)) > (current_has_nip, _recency(current)):
            latest[payer_id] = row
    return {
        payer_id: _payer(payer_id, row, full_names.get(payer_id))
        for payer_id, row in latest.items()
    }


def _payer(payer_id: int, row: Row, full_name: str | None) -> "_Payer | str":
    first, last = clean_text(row.get(names.FIRST_NAME)), clean_text(row.get(names.LAST_NAME))
    person = " ".join(part for part in (first, last) if part)
    name = full_name or clean_text(row[names.SHORT_NAME]) or person
    nip = normalize_nip(clean_text(row[names.NIP]) or "")
    if not nip:
        who = f"payer {payer_id} ({name})" if name else f"payer {payer_id}"
        return f"{who} has no NIP ({names.NIP}) on any DRA"
    if not name:
        columns = f"{names.SHORT_NAME}, {names.LAST_NAME}, {names.FIRST_NAME}"
        return f"payer {payer_id} has no name ({columns})"
    regon = clean_text(row.get(names.REGON))
    has_pesel = clean_text(row.get(names.PESEL)) is not None
    return _Payer(
        payer_id=payer_id,
        nip=nip,
        name=name,
        regon=regon,
        legal_form="other" if has_pesel and regon is None else None,
    )


def _recency(row: Row) -> tuple[tuple[int, int], int, int]:
    """Sort key of a DRA: its month, declaration number, document id (bad values sort first)."""
    try:
        month = parse_period(_period(row[names.PERIOD]))
    except _BadRow:
        month = (0, 0)
    try:
        number = _declaration_no(row[names.DECLARATION_NO])
    except _BadRow:
        number = 0
    return (month, number, _int(row[names.DOCUMENT_ID]))


def _amounts(row: Row, document: int) -> dict[str, int]:
    def grosze(column: str) -> int:
        try:
            return grosze_from_db(row.get(column), f"{column} of DRA {document}")
        except ValueError as error:
            raise _BadRow(str(error).removeprefix(f"{column} of DRA {document}: ")) from None

    amounts = {field_name: grosze(column) for field_name, column in names.AMOUNTS.items()}
    if row.get(names.LABOUR_FUND) is not None:
        amounts["labour_fund"] = grosze(names.LABOUR_FUND)
    else:
        amounts["labour_fund"] = sum(grosze(column) for column in names.LABOUR_FUND_PARTS)
    return amounts


def _mmyyyy(month: str) -> str:
    """The MMYYYY form Płatnik stores a period in: "2025-03" -> "032025"."""
    year, number = parse_period(month)
    return f"{number:02d}{year:04d}"


def _period(value: object) -> str:
    """Płatnik's MMYYYY -> YYYY-MM, or _BadRow."""
    text = clean_text(value) or ""
    try:
        if len(text) != 6 or not text.isascii() or not text.isdigit():
            raise ValueError(text)
        return period(int(text[2:]), int(text[:2]))
    except ValueError:
        raise _BadRow(f"period {names.PERIOD} {text!r} is not MMYYYY") from None


def _declaration_no(value: object) -> int:
    text = clean_text(value) or ""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise _BadRow(f"declaration number {names.DECLARATION_NO} {text!r} is not a number from 01")
    return int(text)


def _int(value: object) -> int:
    return int(value)  # type: ignore[call-overload]


def _sorted(payers: list[_Payer]) -> list[_Payer]:
    return sorted(payers, key=lambda payer: (payer.nip, payer.payer_id))


def _origin(payer: _Payer) -> dict[str, str]:
    return origin(names.PROGRAM, str(payer.payer_id), payer.nip)


def _company_row(payer: _Payer) -> Row:
    return {
        **_origin(payer),
        "name": payer.name,
        "regon": payer.regon,
        "email": None,
        "phone": None,
        "legal_form": payer.legal_form,
        "tax_form": None,
        "vat_period": None,
    }


def _zus_row(dra: _Dra) -> Row:
    deadline = due_date("ZUS", dra.period, legal_form=dra.payer.legal_form)
    return {
        **_origin(dra.payer),
        "period": dra.period,
        "declaration_no": dra.declaration_no,
        "kind": "D" if dra.declaration_no == names.FIRST_DECLARATION_NO else "K",
        **dra.amounts,
        "due_date": pd.Timestamp(deadline),
        "account": None,
    }


# --- probe --------------------------------------------------------------------------------------


def _probe_table(name: str, survey: _TableSurvey) -> dict[str, object]:
    if not survey.present:
        return {"present": False}
    if survey.error is not None:
        return {"present": True, "error": reason(survey.error), "columns": survey.columns}
    listing: dict[str, object] = {
        "present": True,
        "rows": len(survey.rows),
        "missing_optional_columns": survey.missing_optional,
    }
    if name == names.ZUSDRA.name:
        listing.update(_probe_dras(survey))
    if name == names.PLATNIK.name:
        listing["statuses"] = _counts_by_column(survey, names.PAYER_STATUS_COLUMNS)
    return listing


def _probe_dras(survey: _TableSurvey) -> dict[str, object]:
    periods, unreadable = _period_counts(survey.rows)
    numbers = _counts([clean_text(row[names.DECLARATION_NO]) for row in survey.rows])
    return {
        "payers": len({row[names.PAYER_ID] for row in survey.rows}),
        "periods": dict(sorted(periods.items())),
        "unreadable_periods": unreadable,
        "declaration_numbers": numbers,
        "statuses": _counts_by_column(survey, names.STATUS_COLUMNS),
    }


def _period_counts(rows: list[Row]) -> tuple[dict[str, int], dict[str, int]]:
    """DRAs per YYYY-MM month, and the stored values that are not MMYYYY with their counts."""
    good: list[str] = []
    bad: list[str | None] = []
    for row in rows:
        try:
            good.append(_period(row[names.PERIOD]))
        except _BadRow:
            bad.append(clean_text(row[names.PERIOD]))
    return _counts(good), _counts(bad)


def _counts_by_column(survey: _TableSurvey, columns: Collection[str]) -> dict[str, object]:
    present = [name for name in columns if name not in survey.missing_optional]
    return {name: _counts([clean_text(row[name]) for row in survey.rows]) for name in present}


def _counts(values: list[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        key = "NULL" if value is None else value
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
