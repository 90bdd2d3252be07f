"""Reads Symfonia Mała Księgowość: MKP.INI, then each company's DBF folder or SQL database.

MKP.INI (setting `ini_file`) says how the data is kept ([Baza] Typ) and lists the companies
([Firmy], one `Firma=<name>;<folder or database>` each). From each company: its name and
identifiers, the amounts to pay of its declarations (VAT-7/7K, PIT-4, PIT-5/5L, PIT-8A,
PIT-28), its ZUS declarations and its ledger's monthly totals. Names and codes are in
`settings` (all of MKP.INI's inside and the data layout are guessed, see there).

Surprising parts:
- Old versions keep their data in Btrieve files, which nothing here reads: MKP.INI saying so
  for the whole base raises BtrieveData (a FolderUnavailable); one company in Btrieve files is
  a problem for that company.
- Windows paths in MKP.INI go through the `paths` mapping like those of the settings; a
  relative company folder is under [Baza] Katalog, else beside MKP.INI.
- When no company could be reached at all (every folder missing or unmapped, every database
  unreachable), the first such error is raised rather than an empty read returned: a drive
  that is not mounted must not look like an office without clients.
- SQL Server: the settings' server, auth and user win over MKP.INI's; the password comes only
  from the environment variable named by `password_env` (a password in MKP.INI is never
  read). Statements per company database: 5 (company, newest VAT form, declarations with their
  field values, ZUS, ledger totals) plus one column lookup per table.
- Each data file or table stands alone: a missing ZUS.DBF is a problem for the company's ZUS,
  and its taxes and totals are still read. A record that cannot be read is skipped and said.
- Of several filings for one period and tax the newest counts: a correction over a first
  filing, then the later record. A quarterly item (VAT-7K) carries its quarter's last month.
- Year-to-date totals are summed from January over the months in the totals file, which is
  read whole, so they are right whatever periods are asked for.
"""

import logging
import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.identifiers import normalize_nip
from konekto_pipeline.domain.periods import parse_period, period, quarter_end
from konekto_pipeline.schemas import schema_frame
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.base import SourceData, SourceProblem
from konekto_pipeline.sources.files.dbf import DbfError, read_dbf
from konekto_pipeline.sources.files.ini import IniError, IniFile, read_ini
from konekto_pipeline.sources.files.paths import (
    FolderUnavailable,
    PathMap,
    UnmappedPath,
    check_folder,
    is_windows_path,
    list_entries,
)
from konekto_pipeline.sources.files.tables import (
    RECORD,
    DbfSpec,
    Encoding,
    Table,
    TableProblem,
    find_table,
    read_table,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError, SqlServer
from konekto_pipeline.sources.sql.frames import (
    StampedTable,
    amount_to_pay,
    bind_table,
    checked_period,
    clean_text,
    databases_stamps,
    int_code,
    optional_zloty,
    origin,
    probe_database,
    read_databases,
    reason,
    row_count,
    stamp_digest,
    table_stamps,
    tax_row,
    valid_regon,
)
from konekto_pipeline.sources.sql.program_server import program_server
from konekto_pipeline.sources.sql.tables import (
    SchemaMismatch,
    TableReader,
    TableSpec,
    grosze_from_db,
)
from konekto_pipeline.sources.symfonia import settings as names
from konekto_pipeline.sources.symfonia.program import SymfoniaProgram

logger = logging.getLogger(__name__)

DATA_TYPES: tuple[str, ...] = ("zus", "taxes", "summaries")

_INI_SETTING = f"programs.{names.PROGRAM}.ini_file"
_BTRIEVE = (
    "kept in Btrieve (Pervasive) files, which the pipeline cannot read: move the company to "
    "a version of Mała Księgowość on SQL Server, or send its ZUS and taxes as KEDU and JPK files"
)
_SKIPPED = "the company is skipped"
_NAMES_SHOWN = 5
_T = TypeVar("_T")


class BtrieveData(FolderUnavailable):
    """Data kept in Btrieve (Pervasive) files, which the pipeline cannot read.

    A FolderUnavailable, so that a program whose whole base is Btrieve is treated like one
    whose data folder is missing.
    """


# --- MKP.INI --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MkpCompany:
    """A company as MKP.INI lists it; `location` is its folder or database as written there."""

    name: str | None
    location: str
    storage: str  # settings.DBF, MSSQL or BTRIEVE
    active: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} ({self.location})" if self.name else self.location


@dataclass(frozen=True)
class MkpConfig:
    """What MKP.INI says; `notes` are entries that could not be used, said as problems."""

    ini: IniFile
    storage: str | None
    server: str | None
    auth: str | None
    user: str | None
    folder: str | None
    companies: tuple[MkpCompany, ...]
    notes: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return self.ini.path

    @property
    def active(self) -> list[MkpCompany]:
        return [company for company in self.companies if company.active]


def read_mkp_ini(path: Path) -> MkpConfig:
    """MKP.INI's storage, server and companies; FolderUnavailable when it cannot be read."""
    if not path.is_file():
        raise FolderUnavailable(
            f"{names.PROGRAM}: MKP.INI ({_INI_SETTING}): {path} does not exist; set "
            f"{_INI_SETTING} to the MKP.INI of Mała Księgowość (usually {names.DEFAULT_INI_FILE})"
        )
    try:
        ini = read_ini(path)
    except IniError as error:
        raise FolderUnavailable(f"{names.PROGRAM}: MKP.INI ({_INI_SETTING}): {error}") from None

    notes: list[str] = []
    storage = _coded(ini, names.STORAGE_KEY, names.STORAGE_KINDS, notes, "each company's entry")
    auth = _coded(ini, names.AUTH_KEY, names.AUTH_MODES, notes, "the settings")
    return MkpConfig(
        ini=ini,
        storage=storage,
        server=_base_value(ini, names.SERVER_KEY),
        auth=auth,
        user=_base_value(ini, names.USER_KEY),
        folder=_base_value(ini, names.FOLDER_KEY),
        companies=_companies(ini, storage, notes),
        notes=tuple(notes),
    )


def _base_value(ini: IniFile, key: str) -> str | None:
    return clean_text(ini.get(names.BASE_SECTION, key))


def _coded(
    ini: IniFile, key: str, codes: Mapping[str, str], notes: list[str], instead: str
) -> str | None:
    """A [Baza] value through its code list; an unknown value is a note and None."""
    value = _base_value(ini, key)
    if value is None:
        return None
    coded = codes.get(value.upper())
    if coded is None:
        known = ", ".join(sorted(codes))
        notes.append(
            f"[{names.BASE_SECTION}] {key}={value} is not known ({known}): {instead} decides"
        )
    return coded


def _companies(ini: IniFile, storage: str | None, notes: list[str]) -> tuple[MkpCompany, ...]:
    """[Firmy]'s Firma entries in file order; a folder or database listed twice is read once."""
    section, key = names.COMPANIES_SECTION, names.COMPANY_KEY
    inactive = {name.strip().casefold() for name in ini.get_all(section, names.INACTIVE_KEY)} - {""}
    companies: dict[str, MkpCompany] = {}
    for value in ini.get_all(section, key):
        name, location = _split_entry(value)
        if not location:
            notes.append(f"[{section}] {key}={value} names no folder or database; it is skipped")
            continue
        if location.casefold() in companies:
            continue
        active = not ({location.casefold(), (name or "").casefold()} & inactive)
        kind = _storage_of(location, storage)
        companies[location.casefold()] = MkpCompany(name, location, kind, active)
    return tuple(companies.values())


def _split_entry(value: str) -> tuple[str | None, str]:
    """(name, location) of "name;location"; a value without the separator is a location."""
    name, separator, location = value.rpartition(names.COMPANY_SEPARATOR)
    if not separator:
        return None, value.strip()
    return name.strip() or None, location.strip()


def _storage_of(location: str, storage: str | None) -> str:
    if location.lower().endswith(names.BTRIEVE_SUFFIXES):
        return names.BTRIEVE
    if storage is not None:
        return storage
    looks_like_path = is_windows_path(location) or any(c in location for c in "\\/")
    return names.DBF if looks_like_path else names.MSSQL


# --- what is read of a company, from a file or a table ----------------------------------------


@dataclass(frozen=True)
class _Declaration:
    """One filing as read, amounts as the file or database holds them."""

    source: str  # the file or database, for problems
    ref: str  # the record or row in it
    order: int
    symbol: object
    year: object
    month: object
    correction: bool
    to_pay: object
    refund: object = None
    carried_forward: object = None


@dataclass(frozen=True)
class _ZusEntry:
    """One ZUS declaration as read."""

    source: str
    ref: str
    year: object
    month: object
    number: object
    correction: bool
    social: object
    health: object
    labour_fund: object
    total: object


@dataclass(frozen=True)
class _Month:
    """One month's ledger totals as read."""

    source: str
    ref: str
    year: object
    month: object
    revenue: object
    costs: object


@dataclass
class _Loaded:
    """One company's row for the companies frame and what was read of its data."""

    row: dict[str, Any]
    declarations: list[_Declaration] = field(default_factory=list)
    zus: list[_ZusEntry] = field(default_factory=list)
    months: list[_Month] = field(default_factory=list)

    @property
    def nip(self) -> str:
        return self.row["nip"]


# --- the reader -----------------------------------------------------------------------------


class SymfoniaReader:
    """Reads the companies MKP.INI lists, from their DBF folders or SQL databases."""

    def __init__(self, program: SymfoniaProgram, paths: PathMap, base_dir: Path) -> None:
        self.program = program
        self.paths = paths
        self.base_dir = base_dir

    def read(self, periods: Collection[str] | None = None) -> SourceData:
        """Companies of MKP.INI; their ZUS, taxes and totals of `periods` (all when None).

        Raises FolderUnavailable or UnmappedPath when MKP.INI cannot be read or no company
        folder can be reached, BtrieveData when the whole base is Btrieve, and
        SqlConnectionError when no company database can be opened.
        """
        wanted = None if periods is None else {checked_period(value) for value in periods}
        config = self._readable_config()
        problems = [SourceProblem(names.PROGRAM, str(config.path), note) for note in config.notes]
        active = config.active
        loaded = self._load_folders(
            [company for company in active if company.storage != names.MSSQL], config, problems
        )
        loaded += self._load_databases(
            [company for company in active if company.storage == names.MSSQL],
            config,
            wanted,
            problems,
        )
        data = _frames(loaded, wanted, problems)
        logger.info(
            "symfonia: %d of %d active companies read from %s, %d problems",
            len(loaded),
            len(active),
            config.path,
            len(problems),
        )
        return data

    def check(self) -> str:
        """Reach every active company and its files or tables; "works: ..." or the first
        failure raised (FolderUnavailable, UnmappedPath, TableProblem, SqlConnectionError,
        SchemaMismatch) naming the company, file or table and what to fix."""
        config = self._readable_config()
        active = config.active
        folders = [company for company in active if company.storage != names.MSSQL]
        databases = [company for company in active if company.storage == names.MSSQL]
        for company in folders:
            self._check_folder(company, config)
        if databases:
            with self.make_server(config) as server:
                for company in databases:
                    _check_database(server, company.location)
        shown = ", ".join(company.label for company in active[:_NAMES_SHOWN])
        more = ", ..." if len(active) > _NAMES_SHOWN else ""
        skipped = len(config.companies) - len(active)
        inactive = f"; {skipped} inactive skipped" if skipped else ""
        return (
            f"works: {len(active)} companies from {config.path} "
            f"({_kinds(active)}): {shown}{more}{inactive}"
        )

    def probe(self) -> dict[str, object]:
        """What MKP.INI says and what each company's folder or database holds, read-only."""
        config = self.config()
        listing: dict[str, object] = {
            "program": names.PROGRAM,
            "ini_file": str(config.path),
            "ini_encoding": config.ini.encoding,
            "ini": _ini_listing(config.ini),
            "ini_skipped_lines": config.ini.skipped_lines,
            "notes": list(config.notes),
            "storage": config.storage,
            "server": config.server,
            "auth": config.auth,
            "user": config.user,
            "inactive": [company.label for company in config.companies if not company.active],
        }
        if config.storage == names.BTRIEVE:
            listing["error"] = f"MKP.INI says the data is {_BTRIEVE}"
            listing["companies"] = [company.label for company in config.active]
            return listing
        folders = [company for company in config.active if company.storage != names.MSSQL]
        databases = [company for company in config.active if company.storage == names.MSSQL]
        if folders:
            listing["company_folders"] = [
                self._probe_folder(company, config) for company in folders
            ]
        if databases:
            listing["company_databases"] = self._probe_databases(databases, config)
        return listing

    def watched_paths(self) -> list[Path]:
        """What a change detector should watch: MKP.INI and the companies' DBF folders (the
        SQL Server databases are not watched here)."""
        config = self.config()
        folders = []
        for company in config.active:
            if company.storage == names.DBF:
                try:
                    folders.append(self.company_folder(company, config))
                except (FolderUnavailable, UnmappedPath):
                    continue  # the read reports it for that company
        return [config.path, *folders]

    def change_stamp(self) -> str | None:
        """A digest of the companies kept on SQL Server, None when MKP.INI lists none there
        (MKP.INI and the DBF folders are watched as files, see `watched_paths`).

        Per company database, the row count of each table in `_STAMPED_TABLES` and the highest
        declaration id: one aggregate per table, no data row read. A figure changed in place
        (a ledger month's totals) is not seen; the scheduled update reads it. Raises
        SqlConnectionError when no company database can be reached.
        """
        config = self.config()
        databases = [c.location for c in config.active if c.storage == names.MSSQL]
        if not databases:
            return None
        with self.make_server(config) as server:
            parts = databases_stamps(
                server, databases, lambda connection: table_stamps(connection, _STAMPED_TABLES)
            )
        return stamp_digest(parts)

    def ini_path(self) -> Path:
        """MKP.INI as this machine reaches it (UnmappedPath for an unmapped Windows drive)."""
        return self.paths.to_local(self.program.ini_file, self.base_dir)

    def config(self) -> MkpConfig:
        """What MKP.INI says, Btrieve or not (read() and check() refuse a Btrieve base)."""
        return read_mkp_ini(self.ini_path())

    def make_server(self, config: MkpConfig, environ: Mapping[str, str] = os.environ) -> SqlServer:
        """The SQL Server of the company databases: the settings' values over MKP.INI's."""
        return make_server(self.program, config, environ=environ, settings_dir=self.base_dir)

    def company_folder(self, company: MkpCompany, config: MkpConfig) -> Path:
        """The company's data folder here; raises UnmappedPath, FolderUnavailable or
        BtrieveData when it cannot be read."""
        if company.storage == names.BTRIEVE:
            raise BtrieveData(f"{names.PROGRAM}: {company.label}: the company's data is {_BTRIEVE}")
        base = config.path.parent
        if config.folder:
            base = self.paths.to_local(config.folder, base)
        folder = self.paths.to_local(company.location, base)
        check_folder(folder, f"{names.PROGRAM}: data folder of {company.label} in {config.path}")
        if find_table(folder, names.COMPANY_FILE) is None and _btrieve_files(folder):
            raise BtrieveData(
                f"{names.PROGRAM}: {company.label}: {folder} holds no "
                f"{names.COMPANY_FILE.file} but Btrieve files: the company's data is {_BTRIEVE}"
            )
        return folder

    def _readable_config(self) -> MkpConfig:
        config = self.config()
        if config.storage == names.BTRIEVE:
            raise BtrieveData(
                f"{names.PROGRAM}: {config.path}: [{names.BASE_SECTION}] {names.STORAGE_KEY} "
                f"says the data is {_BTRIEVE}"
            )
        if not config.companies:
            raise FolderUnavailable(
                f"{names.PROGRAM}: {config.path} lists no company: [{names.COMPANIES_SECTION}] "
                f"has no {names.COMPANY_KEY}=<name>;<folder or database> entry"
            )
        return config

    def _encoding(self) -> Encoding:
        return Encoding(names.CODE_PAGE, self.program.configured_encoding(names.PROGRAM))

    # --- DBF folders ------------------------------------------------------------------------

    def _load_folders(
        self, companies: Sequence[MkpCompany], config: MkpConfig, problems: list[SourceProblem]
    ) -> list[_Loaded]:
        """Each company's folder; raises the first error when none could be reached."""
        loaded: list[_Loaded] = []
        unreachable: list[Exception] = []
        for company in companies:
            try:
                folder = self.company_folder(company, config)
                loaded.append(_load_folder(folder, company.location, self._encoding(), problems))
            except (FolderUnavailable, UnmappedPath) as error:
                unreachable.append(error)
                problems.append(
                    SourceProblem(names.PROGRAM, company.location, f"{error}; {_SKIPPED}")
                )
            except TableProblem as error:
                message = f"{error.message}; {_SKIPPED} ({company.label})"
                problems.append(SourceProblem(names.PROGRAM, error.where, message))
        if companies and len(unreachable) == len(companies):
            raise unreachable[0]
        return loaded

    def _check_folder(self, company: MkpCompany, config: MkpConfig) -> None:
        folder = self.company_folder(company, config)
        problems: list[SourceProblem] = []
        _load_folder(folder, company.location, self._encoding(), problems, strict=True)

    def _probe_folder(self, company: MkpCompany, config: MkpConfig) -> dict[str, object]:
        listing: dict[str, object] = {"company": company.name, "location": company.location}
        try:
            folder = self.company_folder(company, config)
        except (FolderUnavailable, UnmappedPath) as error:
            return {**listing, "error": str(error)}
        configured = self._encoding().configured
        mapped = {spec.file.upper() for spec in (names.COMPANY_FILE, *names.DATA_FILES)}
        return {
            **listing,
            "folder": str(folder),
            "files": {
                spec.file: _probe_file(folder, spec, configured)
                for spec in (names.COMPANY_FILE, *names.DATA_FILES)
            },
            "other_files": [
                entry.name
                for entry in list_entries(folder, "*.dbf")
                if entry.name.upper() not in mapped
            ],
        }

    # --- SQL databases ----------------------------------------------------------------------

    def _load_databases(
        self,
        companies: Sequence[MkpCompany],
        config: MkpConfig,
        wanted: set[str] | None,
        problems: list[SourceProblem],
    ) -> list[_Loaded]:
        if not companies:
            return []
        years = None if wanted is None else sorted({parse_period(p)[0] for p in wanted})
        with self.make_server(config) as server:
            return read_databases(
                names.PROGRAM,
                [company.location for company in companies],
                lambda database: _load_database(server, database, years, problems),
                problems,
                consequence=_SKIPPED,
                errors=(SchemaMismatch, ValueError, sa.exc.SQLAlchemyError),
            )

    def _probe_databases(
        self, companies: Sequence[MkpCompany], config: MkpConfig
    ) -> list[dict[str, object]]:
        try:
            server = self.make_server(config)
        except SqlConnectionError as error:
            return [{"database": company.location, "error": error.reason} for company in companies]
        with server:
            return [
                probe_database(
                    server,
                    company.location,
                    lambda connection, name=company.location: _probe_database(connection, name),
                )
                for company in companies
            ]


def make_server(
    program: SymfoniaProgram,
    config: MkpConfig,
    *,
    environ: Mapping[str, str] = os.environ,
    settings_dir: Path | None = None,
) -> SqlServer:
    """The SQL Server of the company databases: `program`'s server, auth and user where given,
    else MKP.INI's; the password from `program.password_env` only."""
    server = program.server or config.server or ""
    user = program.user or config.user
    auth = program.auth or config.auth or ("sql" if user else "windows")
    where = str(config.path)
    if not server and not program.url:
        raise SqlConnectionError(
            f"no SQL Server is named: MKP.INI has no [{names.BASE_SECTION}] {names.SERVER_KEY} "
            f"and programs.{names.PROGRAM}.server is not set",
            names.PROGRAM,
            where,
        )
    if auth == "sql" and not user and not program.url:
        raise SqlConnectionError(
            f"SQL authentication needs a user: set programs.{names.PROGRAM}.user (or "
            f"[{names.BASE_SECTION}] {names.USER_KEY} in MKP.INI), or use auth: windows",
            names.PROGRAM,
            where,
        )
    sql = SqlProgram(
        server=server,
        auth=auth,
        user=user,
        password_env=program.password_env,
        driver=program.driver,
        encrypt=program.encrypt,
        trust_server_certificate=program.trust_server_certificate,
        login_timeout=program.login_timeout,
        url=program.url,
    )
    return program_server(
        names.PROGRAM,
        sql,
        sqlite_schemas=names.SQLITE_SCHEMAS,
        settings_dir=settings_dir,
        environ=environ,
    )


# --- reading a DBF folder -------------------------------------------------------------------


def _load_folder(
    folder: Path,
    company_id: str,
    encoding: Encoding,
    problems: list[SourceProblem],
    *,
    strict: bool = False,
) -> _Loaded:
    """The company's data in `folder`; TableProblem when its company data cannot be used.

    A data file that cannot be used is a problem (raised with `strict`, for check()).
    """
    company = read_table(names.PROGRAM, folder, names.COMPANY_FILE, encoding, problems)
    record = _company_record(company)
    declarations = _data_table(folder, names.DECLARATIONS_FILE, encoding, problems, record, strict)
    zus = _data_table(folder, names.ZUS_FILE, encoding, problems, record, strict)
    ledger = _data_table(folder, names.LEDGER_FILE, encoding, problems, record, strict)
    loaded = _Loaded(
        row=_folder_company_row(company_id, record),
        declarations=[_file_declaration(path, row) for path, row in declarations],
        zus=[_file_zus(path, row) for path, row in zus],
        months=[_file_month(path, row) for path, row in ledger],
    )
    if loaded.row["vat_period"] is None and "vat_period" not in record:
        loaded.row["vat_period"] = _newest_vat_period(loaded.declarations)
    return loaded


def _company_record(table: Table) -> dict[str, Any]:
    """The company file's first live record, which must name the company and its NIP."""
    if not table.rows:
        raise TableProblem(names.PROGRAM, str(table.path), "company data: no live record")
    record = table.rows[0]
    nip = normalize_nip(clean_text(record["nip"]) or "")
    fields = names.COMPANY_FILE.fields
    if not nip:
        raise TableProblem(
            names.PROGRAM,
            str(table.path),
            f"company data: the NIP (field {fields['nip']}) is empty",
        )
    if not (clean_text(record.get("full_name")) or clean_text(record["name"])):
        raise TableProblem(
            names.PROGRAM,
            str(table.path),
            f"company data: the name (field {fields['name']}) of NIP {nip} is empty",
        )
    return record


def _data_table(
    folder: Path,
    spec: DbfSpec,
    encoding: Encoding,
    problems: list[SourceProblem],
    record: Mapping[str, Any],
    strict: bool,
) -> list[tuple[Path, dict[str, Any]]]:
    """The live rows of one data file with its path; none, and a problem, when it is unusable."""
    nip = normalize_nip(clean_text(record["nip"]) or "")
    try:
        table = read_table(names.PROGRAM, folder, spec, encoding, problems, nip=nip)
    except TableProblem as error:
        if strict:
            raise
        message = f"{error.message}; no {spec.title} are read for the company"
        problems.append(SourceProblem(names.PROGRAM, error.where, message, nip))
        return []
    return [(table.path, row) for row in table.rows]


def _folder_company_row(company_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    nip = normalize_nip(clean_text(record["nip"]) or "")
    return {
        **origin(names.PROGRAM, company_id, nip),
        "name": clean_text(record.get("full_name")) or clean_text(record["name"]),
        "regon": valid_regon(record.get("regon")),
        "email": clean_text(record.get("email")),
        "phone": clean_text(record.get("phone")),
        "legal_form": _code(record, "legal_form", names.LEGAL_FORMS),
        "tax_form": _code(record, "tax_form", names.TAX_FORMS),
        "vat_period": _code(record, "vat_period", names.VAT_PERIODS),
    }


def _code(record: Mapping[str, Any], meaning: str, codes: Mapping[str, str]) -> str | None:
    value = clean_text(record.get(meaning))
    return None if value is None else codes.get(value.upper())


def _ref(row: Mapping[str, Any]) -> str:
    return f"record {row[RECORD]}"


def _file_declaration(path: Path, row: Mapping[str, Any]) -> _Declaration:
    return _Declaration(
        source=str(path),
        ref=_ref(row),
        order=row[RECORD],
        symbol=row["symbol"],
        year=row["year"],
        month=row["month"],
        correction=bool(row.get("correction")),
        to_pay=row["to_pay"],
        refund=row.get("refund"),
        carried_forward=row.get("carried_forward"),
    )


def _file_zus(path: Path, row: Mapping[str, Any]) -> _ZusEntry:
    return _ZusEntry(
        source=str(path),
        ref=_ref(row),
        year=row["year"],
        month=row["month"],
        number=row.get("number"),
        correction=bool(row.get("correction")),
        social=row["social"],
        health=row["health"],
        labour_fund=row.get("labour_fund"),
        total=row.get("total"),
    )


def _file_month(path: Path, row: Mapping[str, Any]) -> _Month:
    return _Month(
        source=str(path),
        ref=_ref(row),
        year=row["year"],
        month=row["month"],
        revenue=row["revenue"],
        costs=row.get("costs"),
    )


def _btrieve_files(folder: Path) -> list[Path]:
    return [
        entry for suffix in names.BTRIEVE_SUFFIXES for entry in list_entries(folder, f"*{suffix}")
    ]


# --- reading a SQL database -----------------------------------------------------------------


def _load_database(
    server: SqlServer, database: str, years: list[int] | None, problems: list[SourceProblem]
) -> _Loaded:
    with server.connect(database) as connection:
        tables = TableReader(connection, names.PROGRAM)
        loaded = _Loaded(row=_database_company_row(tables, database))

        def part(read: Callable[[], list[_T]], title: str) -> list[_T]:
            try:
                return read()
            except SchemaMismatch as error:
                message = f"{reason(error)}; no {title} are read for the company"
                problems.append(SourceProblem(names.PROGRAM, database, message, loaded.nip))
                return []

        loaded.declarations = part(
            lambda: _database_declarations(tables, database, years, problems, loaded.nip),
            names.DECLARATIONS_FILE.title,
        )
        loaded.zus = part(lambda: _database_zus(tables, database, years), names.ZUS_FILE.title)
        loaded.months = part(
            lambda: _database_months(tables, database, years), names.LEDGER_FILE.title
        )
    return loaded


def _database_company_row(tables: TableReader, database: str) -> dict[str, Any]:
    spec = names.COMPANY_TABLE
    table = bind_table(tables, spec.spec, database)
    statement = sa.select(
        table.c[spec.name].label("name"),
        table.c[spec.nip].label("nip"),
        tables.column(spec.spec, spec.regon).label("regon"),
        tables.column(spec.spec, spec.email).label("email"),
        tables.column(spec.spec, spec.phone).label("phone"),
    ).limit(1)
    row = tables.connection.execute(statement).first()
    where = f"{spec.spec.qualified} (database {database})"
    if row is None:
        raise ValueError(f"{where} is empty: the company's name and NIP are not there")
    nip = normalize_nip(clean_text(row.nip) or "")
    if not nip:
        raise ValueError(f"the company has no NIP ({where} {spec.nip})")
    name = clean_text(row.name)
    if name is None:
        raise ValueError(f"the company {nip} has no name ({where} {spec.name})")
    return {
        **origin(names.PROGRAM, database, nip),
        "name": name,
        "regon": valid_regon(row.regon),
        "email": clean_text(row.email),
        "phone": clean_text(row.phone),
        "legal_form": None,
        "tax_form": None,
        "vat_period": _database_vat_period(tables),
    }


def _database_vat_period(tables: TableReader) -> str | None:
    """From the newest VAT declaration; None without one (or without the table)."""
    spec = names.DECLARATION_TABLE
    try:
        table = tables.table(spec.spec)
    except SchemaMismatch:
        return None
    vat_symbols = [
        symbol
        for symbol, kind in names.DECLARATION_TYPES.items()
        if kind.tax in names.VAT_PERIODS_BY_TAX
    ]
    statement = (
        sa.select(table.c[spec.type])
        .where(table.c[spec.type].in_(vat_symbols))
        .order_by(table.c[spec.year].desc(), table.c[spec.month].desc(), table.c[spec.id].desc())
        .limit(1)
    )
    symbol = tables.connection.execute(statement).scalar()
    kind = names.DECLARATION_TYPES.get(_symbol(symbol))
    return None if kind is None else names.VAT_PERIODS_BY_TAX[kind.tax]


def _field_codes() -> list[str]:
    codes = {
        code
        for kind in names.DECLARATION_TYPES.values()
        for code in (kind.to_pay_field, kind.refund_field, kind.carried_forward_field)
        if code
    }
    return sorted(codes)


def _database_declarations(
    tables: TableReader,
    database: str,
    years: list[int] | None,
    problems: list[SourceProblem],
    nip: str,
) -> list[_Declaration]:
    """Each declaration with the values of its amount fields, in one statement."""
    spec, fields_spec = names.DECLARATION_TABLE, names.DECLARATION_FIELDS
    dekl = bind_table(tables, spec.spec, database)
    fields = bind_table(tables, fields_spec.spec, database)
    joined = dekl.outerjoin(
        fields,
        sa.and_(
            fields.c[fields_spec.declaration] == dekl.c[spec.id],
            fields.c[fields_spec.code].in_(_field_codes()),
        ),
    )
    statement = (
        sa.select(
            dekl.c[spec.id].label("id"),
            dekl.c[spec.type].label("symbol"),
            dekl.c[spec.year].label("year"),
            dekl.c[spec.month].label("month"),
            tables.column(spec.spec, spec.correction).label("correction"),
            fields.c[fields_spec.code].label("code"),
            fields.c[fields_spec.value].label("value"),
        )
        .select_from(joined)
        .order_by(dekl.c[spec.id])
    )
    if years is not None:
        statement = statement.where(dekl.c[spec.year].in_(years))
    grouped: dict[int, tuple[sa.Row, dict[str, object]]] = {}
    for row in tables.connection.execute(statement):
        _, values = grouped.setdefault(int(row.id), (row, {}))
        if row.code is not None:
            values[str(row.code).strip().upper()] = row.value
    declarations = []
    for row, values in grouped.values():
        declaration = _database_declaration(database, row, values, problems, nip)
        if declaration is not None:
            declarations.append(declaration)
    return declarations


def _database_declaration(
    database: str,
    row: sa.Row,
    values: Mapping[str, object],
    problems: list[SourceProblem],
    nip: str,
) -> _Declaration | None:
    kind = names.DECLARATION_TYPES.get(_symbol(row.symbol))
    if kind is None:
        return None
    ref = f"{names.DECLARATION_TABLE.spec.qualified} {names.DECLARATION_TABLE.id} {row.id}"
    if kind.to_pay_field not in values:
        problems.append(
            SourceProblem(
                names.PROGRAM,
                database,
                f"{ref} ({_symbol(row.symbol)} {row.year}-{row.month}): "
                f"{names.DECLARATION_FIELDS.spec.qualified} has no field {kind.to_pay_field} "
                "(the amount to pay); the declaration is skipped",
                nip,
            )
        )
        return None
    return _Declaration(
        source=database,
        ref=ref,
        order=int(row.id),
        symbol=row.symbol,
        year=row.year,
        month=row.month,
        correction=bool(int_code(row.correction)),
        to_pay=values[kind.to_pay_field],
        refund=values.get(kind.refund_field) if kind.refund_field else None,
        carried_forward=(
            values.get(kind.carried_forward_field) if kind.carried_forward_field else None
        ),
    )


def _database_zus(tables: TableReader, database: str, years: list[int] | None) -> list[_ZusEntry]:
    spec = names.ZUS_TABLE
    table = bind_table(tables, spec.spec, database)
    statement = sa.select(
        table.c[spec.year].label("year"),
        table.c[spec.month].label("month"),
        tables.column(spec.spec, spec.number).label("number"),
        tables.column(spec.spec, spec.correction).label("correction"),
        table.c[spec.social].label("social"),
        table.c[spec.health].label("health"),
        tables.column(spec.spec, spec.labour_fund).label("labour_fund"),
        tables.column(spec.spec, spec.total).label("total"),
    ).order_by(table.c[spec.year], table.c[spec.month])
    if years is not None:
        statement = statement.where(table.c[spec.year].in_(years))
    return [
        _ZusEntry(
            source=database,
            ref=f"{spec.spec.qualified} {row.year}-{row.month} no. {row.number or 1}",
            year=row.year,
            month=row.month,
            number=row.number,
            correction=bool(int_code(row.correction)),
            social=row.social,
            health=row.health,
            labour_fund=row.labour_fund,
            total=row.total,
        )
        for row in tables.connection.execute(statement)
    ]


def _database_months(tables: TableReader, database: str, years: list[int] | None) -> list[_Month]:
    spec = names.LEDGER_TABLE
    table = bind_table(tables, spec.spec, database)
    statement = sa.select(
        table.c[spec.year].label("year"),
        table.c[spec.month].label("month"),
        table.c[spec.revenue].label("revenue"),
        tables.column(spec.spec, spec.costs).label("costs"),
    ).order_by(table.c[spec.year], table.c[spec.month])
    if years is not None:
        statement = statement.where(table.c[spec.year].in_(years))
    return [
        _Month(
            source=database,
            ref=f"{spec.spec.qualified} {row.year}-{row.month}",
            year=row.year,
            month=row.month,
            revenue=row.revenue,
            costs=row.costs,
        )
        for row in tables.connection.execute(statement)
    ]


def _check_database(server: SqlServer, database: str) -> None:
    """Bind every mapped table and read the company row; raises what is wrong."""
    with server.connect(database) as connection:
        tables = TableReader(connection, names.PROGRAM)
        for spec in _MAPPED_TABLES:
            bind_table(tables, spec, database)
        _database_company_row(tables, database)


# --- building the frames' rows --------------------------------------------------------------


class _Frames:
    """The four frames' rows of the companies read, and the problems met building them."""

    def __init__(self, wanted: set[str] | None, problems: list[SourceProblem]) -> None:
        self.wanted = wanted
        self.problems = problems
        self.zus: list[dict[str, Any]] = []
        self.taxes: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []

    def add(self, company: _Loaded) -> None:
        self.taxes += _tax_rows(company, self.wanted, self.skip)
        self.zus += _zus_rows(company, self.wanted, self.skip)
        self.summaries += _summary_rows(company, self.wanted, self.skip)

    def skip(self, company: _Loaded, item: Any, message: str) -> None:
        located = message if message.startswith(item.ref) else f"{item.ref}: {message}"
        text = f"{located}; the record is skipped"
        self.problems.append(SourceProblem(names.PROGRAM, item.source, text, company.nip))


Skip = Callable[[_Loaded, Any, str], None]


def _frames(
    loaded: Sequence[_Loaded], wanted: set[str] | None, problems: list[SourceProblem]
) -> SourceData:
    frames = _Frames(wanted, problems)
    for company in loaded:
        frames.add(company)
    return SourceData(
        companies=schema_frame("companies", [company.row for company in loaded]),
        zus=schema_frame("zus", frames.zus),
        taxes=schema_frame("taxes", frames.taxes),
        summaries=schema_frame("summaries", frames.summaries),
        problems=problems,
    )


def _item_period(item: Any) -> str:
    """The YYYY-MM of an item's year and month, or ValueError saying they are no month."""
    try:
        return period(int(item.year), int(item.month))
    except (TypeError, ValueError):
        raise ValueError(f"{item.year}-{item.month} is not a month") from None


def _symbol(value: object) -> str:
    return "".join(str(value or "").split()).upper()


def _tax_rows(company: _Loaded, wanted: set[str] | None, skip: Skip) -> list[dict[str, Any]]:
    """One row per period and tax: the newest filing, a correction before a first filing."""
    latest: dict[tuple[str, str], _Declaration] = {}
    for declaration in company.declarations:
        kind = names.DECLARATION_TYPES.get(_symbol(declaration.symbol))
        if kind is None:
            continue
        try:
            settled = _item_period(declaration)
        except ValueError as error:
            skip(company, declaration, str(error))
            continue
        key = (quarter_end(settled) if kind.quarterly else settled, kind.tax)
        if key not in latest or _rank(declaration) > _rank(latest[key]):
            latest[key] = declaration
    rows = []
    for (item_period, _), declaration in sorted(latest.items()):
        if wanted is not None and item_period not in wanted:
            continue
        try:
            rows.append(_tax_row(company, item_period, declaration))
        except ValueError as error:
            skip(company, declaration, str(error))
    return rows


def _rank(declaration: _Declaration) -> tuple[bool, int]:
    return declaration.correction, declaration.order


def _tax_row(company: _Loaded, item_period: str, declaration: _Declaration) -> dict[str, Any]:
    kind = names.DECLARATION_TYPES[_symbol(declaration.symbol)]
    where = declaration.ref
    return tax_row(
        origin(names.PROGRAM, company.row["source_company_id"], company.nip),
        item_period,
        kind.tax,
        "K" if declaration.correction else "D",
        amount_to_pay(declaration.to_pay, where, "to pay"),
        refund=optional_zloty(declaration.refund, f"{where} refund"),
        carried_forward=optional_zloty(declaration.carried_forward, f"{where} carried forward"),
        quarterly=kind.quarterly,
    )


def _zus_rows(company: _Loaded, wanted: set[str] | None, skip: Skip) -> list[dict[str, Any]]:
    """One row per period and declaration number; of two alike the later record counts."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for entry in company.zus:
        try:
            row = _zus_row(company, entry)
        except ValueError as error:
            skip(company, entry, str(error))
            continue
        if wanted is None or row["period"] in wanted:
            rows[(row["period"], row["declaration_no"])] = row
    return [rows[key] for key in sorted(rows)]


def _zus_row(company: _Loaded, entry: _ZusEntry) -> dict[str, Any]:
    settled = _item_period(entry)
    number = 1 if entry.number is None else int(entry.number)
    if number < 1:
        raise ValueError(f"declaration number {number} is not 1 or more")
    where = entry.ref
    social = grosze_from_db(entry.social, where)
    health = grosze_from_db(entry.health, where)
    labour_fund = grosze_from_db(entry.labour_fund, where)
    total = (
        social + health + labour_fund if entry.total is None else grosze_from_db(entry.total, where)
    )
    if total < 0:
        raise ValueError("the total to pay is negative")
    deadline = due_date("ZUS", settled, legal_form=company.row["legal_form"])
    return {
        **origin(names.PROGRAM, company.row["source_company_id"], company.nip),
        "period": settled,
        "declaration_no": number,
        "kind": "K" if entry.correction or number > 1 else "D",
        "social": social,
        "health": health,
        "labour_fund": labour_fund,
        "fep": 0,
        "deductions": 0,
        "total": total,
        "refund": 0,
        "due_date": pd.Timestamp(deadline),
        "account": None,
    }


def _summary_rows(company: _Loaded, wanted: set[str] | None, skip: Skip) -> list[dict[str, Any]]:
    """Monthly totals with the year's running totals, for the requested periods."""
    months: dict[str, tuple[int, int]] = {}
    for entry in company.months:
        try:
            month = _item_period(entry)
            revenue = grosze_from_db(entry.revenue, entry.ref)
            costs = grosze_from_db(entry.costs, entry.ref)
        except ValueError as error:
            skip(company, entry, str(error))
            continue
        if month in months:
            skip(company, entry, f"{month} is there twice: the earlier record counts")
            continue
        months[month] = (revenue, costs)
    rows = []
    running: dict[int, tuple[int, int]] = {}
    for month, (revenue, costs) in sorted(months.items()):
        year = parse_period(month)[0]
        revenue_ytd, costs_ytd = running.get(year, (0, 0))
        running[year] = (revenue_ytd + revenue, costs_ytd + costs)
        if wanted is None or month in wanted:
            rows.append(_summary_row(company, month, revenue, costs, running[year]))
    return rows


def _summary_row(
    company: _Loaded, month: str, revenue: int, costs: int, ytd: tuple[int, int]
) -> dict[str, Any]:
    return {
        **origin(names.PROGRAM, company.row["source_company_id"], company.nip),
        "period": month,
        "revenue": revenue,
        "costs": costs,
        "income": revenue - costs,
        "vat_output": None,
        "vat_input": None,
        "revenue_ytd": ytd[0],
        "costs_ytd": ytd[1],
    }


def _newest_vat_period(declarations: Iterable[_Declaration]) -> str | None:
    newest: tuple[int, int, int] | None = None
    found = None
    for declaration in declarations:
        kind = names.DECLARATION_TYPES.get(_symbol(declaration.symbol))
        if kind is None or kind.tax not in names.VAT_PERIODS_BY_TAX:
            continue
        try:
            key = (int(declaration.year), int(declaration.month), declaration.order)
        except (TypeError, ValueError):
            continue
        if newest is None or key > newest:
            newest, found = key, names.VAT_PERIODS_BY_TAX[kind.tax]
    return found


# --- probe ----------------------------------------------------------------------------------

_MAPPED_TABLES: tuple[TableSpec, ...] = (
    names.COMPANY_TABLE.spec,
    names.DECLARATION_TABLE.spec,
    names.DECLARATION_FIELDS.spec,
    names.ZUS_TABLE.spec,
    names.LEDGER_TABLE.spec,
)
# What a change stamp counts: every mapped table but the company's single row, whose changes
# are updates that counting cannot see.
_STAMPED_TABLES: tuple[StampedTable, ...] = (
    (names.DECLARATION_TABLE.spec, names.DECLARATION_TABLE.id),
    (names.DECLARATION_FIELDS.spec, None),
    (names.ZUS_TABLE.spec, None),
    (names.LEDGER_TABLE.spec, None),
)


def _kinds(companies: Iterable[MkpCompany]) -> str:
    titles = {names.DBF: "DBF folders", names.MSSQL: "SQL Server databases"}
    return ", ".join(
        sorted({titles.get(company.storage, company.storage) for company in companies})
    )


def _ini_listing(ini: IniFile) -> dict[str, list[list[str]]]:
    """Every section's keys and values, secrets (passwords) hidden."""
    return {
        section: [[key, "***" if _is_secret(key) else value] for key, value in ini.items(section)]
        for section in ini.sections()
    }


def _is_secret(key: str) -> bool:
    folded = key.casefold()
    return any(part in folded for part in names.SECRET_KEY_PARTS)


def _probe_file(folder: Path, spec: DbfSpec, configured: str | None) -> dict[str, object]:
    """One file's records, code page (and why), fields, and the codes it holds."""
    path = find_table(folder, spec)
    if path is None:
        return {"present": False}
    try:
        table = read_dbf(path, program_encoding=names.CODE_PAGE, encoding=configured)
    except DbfError as error:
        return {"present": True, "path": str(path), "error": str(error)}
    missing = [meaning for meaning, name in spec.fields.items() if not table.has(name)]
    listing: dict[str, object] = {
        "present": True,
        "path": str(path),
        "records": len(table.rows),
        "deleted": table.deleted,
        "unreadable_records": [str(problem) for problem in table.problems],
        "encoding": table.encoding.encoding,
        "encoding_reason": table.encoding.reason,
        "fields": list(table.field_names),
        "missing_required": [spec.fields[m] for m in missing if m not in spec.optional],
        "missing_optional": [spec.fields[m] for m in missing if m in spec.optional],
    }
    listing.update(_file_codes(spec, table.rows))
    return listing


def _file_codes(spec: DbfSpec, rows: list[dict[str, Any]]) -> dict[str, object]:
    fields = spec.fields
    if spec is names.COMPANY_FILE:
        code_lists = {
            "legal_form": names.LEGAL_FORMS,
            "tax_form": names.TAX_FORMS,
            "vat_period": names.VAT_PERIODS,
        }
        return {
            f"{fields[meaning]}_codes": _counts(
                (row.get(fields[meaning]) for row in rows), codes.get
            )
            for meaning, codes in code_lists.items()
        }
    listing: dict[str, object] = {"periods": _span(rows, fields["year"], fields["month"])}
    if spec is names.DECLARATIONS_FILE:
        listing["symbols"] = _counts((row.get(fields["symbol"]) for row in rows), _declared_as)
    return listing


def _declared_as(symbol: str) -> str | None:
    kind = names.DECLARATION_TYPES.get(_symbol(symbol))
    if kind is None:
        return None
    return f"{kind.tax}{' quarterly' if kind.quarterly else ''}"


def _counts(
    values: Iterable[object], mapped_to: Callable[[str], object]
) -> dict[str, dict[str, object]]:
    """Each value (stripped, upper case) with its row count and what the map makes of it."""
    counts: dict[str, int] = {}
    for value in values:
        text = (clean_text(value) or "").upper()
        counts[text] = counts.get(text, 0) + 1
    return {
        value: {"rows": count, "mapped_to": mapped_to(value)}
        for value, count in sorted(counts.items())
    }


def _span(rows: list[dict[str, Any]], year: str, month: str) -> list[str]:
    """The first and last month the rows name (empty when none does)."""
    months = []
    for row in rows:
        try:
            months.append(period(int(row[year]), int(row[month])))
        except (KeyError, TypeError, ValueError):
            continue
    return [min(months), max(months)] if months else []


def _probe_database(connection: Connection, database: str) -> dict[str, object]:
    inspector = sa.inspect(connection)
    present = {name.casefold(): name for name in inspector.get_table_names(schema=names.SCHEMA)}
    listing: dict[str, object] = {
        "database": database,
        "tables": {
            spec.qualified: _probe_table(connection, inspector, spec, present)
            for spec in _MAPPED_TABLES
        },
        "schema_tables": sorted(present.values(), key=str.casefold),
    }
    dekl, fields = names.DECLARATION_TABLE, names.DECLARATION_FIELDS
    if dekl.table.casefold() in present:
        listing["declaration_types"] = _column_counts(
            connection, present[dekl.table.casefold()], dekl.type, _declared_as
        )
    if fields.table.casefold() in present:
        listing["declaration_fields"] = _column_counts(
            connection, present[fields.table.casefold()], fields.code, _field_used_by
        )
    return listing


def _probe_table(
    connection: Connection, inspector: Any, spec: TableSpec, present: Mapping[str, str]
) -> dict[str, object]:
    name = present.get(spec.name.casefold())
    if name is None:
        return {"present": False}
    columns = {column["name"].casefold() for column in inspector.get_columns(name, spec.schema)}
    return {
        "present": True,
        "rows": row_count(connection, name, spec.schema),
        "missing_required": [c for c in spec.required if c.casefold() not in columns],
        "missing_optional": [c for c in spec.optional if c.casefold() not in columns],
    }


def _column_counts(
    connection: Connection, table: str, column: str, mapped_to: Callable[[str], object]
) -> dict[str, dict[str, object]]:
    code = sa.column(column)
    statement = (
        sa.select(code, sa.func.count())
        .select_from(sa.table(table, code, schema=names.SCHEMA))
        .group_by(code)
        .order_by(code)
    )
    counts: dict[str, int] = {}
    for value, count in connection.execute(statement):
        text = (clean_text(value) or "").upper()
        counts[text] = counts.get(text, 0) + int(count)
    return {
        value: {"rows": count, "mapped_to": mapped_to(value)}
        for value, count in sorted(counts.items())
    }


def _field_used_by(code: str) -> str | None:
    """Which amount of which declarations a POLADEKL field code is read as, if any."""
    uses = sorted(
        {
            f"{kind.tax} {what}"
            for kind in names.DECLARATION_TYPES.values()
            for what, field_code in (
                ("to pay", kind.to_pay_field),
                ("refund", kind.refund_field),
                ("carried forward", kind.carried_forward_field),
            )
            if field_code == code
        }
    )
    return ", ".join(uses) or None
