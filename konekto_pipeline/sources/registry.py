"""One declarative description per accounting program; the Dagster groups are built from these."""

import os
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from konekto_pipeline.settings import PlatnikProgram, Settings, SqlProgram
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.buchalter import reader as buchalter
from konekto_pipeline.sources.fakt import reader as fakt
from konekto_pipeline.sources.firebird.connection import FirebirdServer
from konekto_pipeline.sources.firebird.program import (
    FaktProgram,
    FirebirdProgram,
    RaksProgram,
    firebird_server,
)
from konekto_pipeline.sources.jpk.reader import JpkReader
from konekto_pipeline.sources.kedu.reader import KeduReader
from konekto_pipeline.sources.kpr import reader as kpr
from konekto_pipeline.sources.mala_ksiegowosc import reader as mala_ksiegowosc
from konekto_pipeline.sources.optima import reader as optima
from konekto_pipeline.sources.optima import settings as optima_map
from konekto_pipeline.sources.platnik import reader as platnik
from konekto_pipeline.sources.platnik import settings as platnik_map
from konekto_pipeline.sources.rachmistrz import reader as rachmistrz
from konekto_pipeline.sources.raks import reader as raks
from konekto_pipeline.sources.reset2 import reader as reset2
from konekto_pipeline.sources.sql.access import AccessDatabase
from konekto_pipeline.sources.sql.connection import SqlServer
from konekto_pipeline.sources.sql.program_server import program_server
from konekto_pipeline.sources.symfonia import reader as symfonia


class SourceUnavailable(Exception):
    """A program is enabled but cannot be read at all (a folder or server that is not there).

    Raised rather than reported as a problem: syncing on without the program would replace its
    data in the panel with another program's (a KEDU short name for a JPK full name).
    """


class Reader(Protocol):
    def read(self, periods: Collection[str] | None = None) -> SourceData: ...


ReaderFactory = Callable[[Any, Settings, ExitStack], Reader]


@dataclass(frozen=True)
class ProgramSpec:
    """What the pipeline needs to know of a program: its key, the data it holds, its reader."""

    key: str
    title: str
    data_types: tuple[str, ...]
    make_reader: ReaderFactory

    @contextmanager
    def open(self, settings: Settings) -> Iterator[Reader | None]:
        """The program's reader (None when the office has not enabled the program); its
        connections are closed on leaving."""
        program = settings.programs.enabled().get(self.key)
        with ExitStack() as stack:
            yield None if program is None else self.make_reader(program, settings, stack)

    def watched_paths(self, settings: Settings) -> list[Path]:
        """Folders and files whose change means the program's data may have changed; none for
        programs that keep their data in a database server."""
        program = settings.programs.enabled().get(self.key)
        if program is None:
            return []
        if isinstance(getattr(program, "folder", None), Path):
            return [settings.resolve(program.folder)]
        with self.open(settings) as reader:
            watched = getattr(reader, "watched_paths", None)
            return [] if watched is None else watched()

    def change_stamp(self, settings: Settings) -> str | None:
        """A short digest of the program's database that changes when its data does (what each
        reader's `change_stamp` notices, and what not, its docstring says); None for programs
        that keep their data in files, or are not enabled.

        Costs one aggregate per table read; the databases are opened one at a time (on SQL
        Server through one pooled connection) and all closed on return. Raises what reaching
        the database raises (SqlConnectionError, FirebirdConnectionError, SourceUnavailable).
        """
        program = settings.programs.enabled().get(self.key)
        if program is None or isinstance(getattr(program, "folder", None), Path):
            return None
        with self.open(settings) as reader:
            stamp = getattr(reader, "change_stamp", None)
            return None if stamp is None else stamp()


def _folder(key: str, program: Any, settings: Settings) -> Path:
    folder = settings.resolve(program.folder)
    if not folder.is_dir():
        raise SourceUnavailable(
            f"{key}: folder {folder} does not exist (programs.{key}.folder in the settings)"
        )
    return folder


def _secret(key: str, variable: str | None, setting: str) -> str | None:
    """A password from the environment variable the settings name; never from the file."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise SourceUnavailable(
            f"{key}: environment variable {variable} ({setting} in the settings) is not set"
        )
    return value


def _server(stack: ExitStack, server: SqlServer) -> SqlServer:
    return stack.enter_context(server)


def _optima(program: SqlProgram, settings: Settings, stack: ExitStack) -> Reader:
    server = program_server(
        "optima",
        program,
        sqlite_schemas=optima_map.SQLITE_SCHEMAS,
        settings_dir=settings.base_dir,
    )
    return optima.OptimaReader(_server(stack, server), program)


def _platnik(program: PlatnikProgram, settings: Settings, stack: ExitStack) -> Reader:
    if program.access_file is None:
        server = program_server(
            "platnik",
            program,
            sqlite_schemas=platnik_map.SQLITE_SCHEMAS,
            settings_dir=settings.base_dir,
        )
        return platnik.PlatnikReader(program, server=_server(stack, server))
    password = _secret(
        "platnik", program.access_password_env, "programs.platnik.access_password_env"
    )
    access = stack.enter_context(AccessDatabase(settings.resolve(program.access_file), password))
    return platnik.PlatnikReader(program, access=access)


def _rachmistrz(program: SqlProgram, settings: Settings, stack: ExitStack) -> Reader:
    server = rachmistrz.make_server(program, settings_dir=settings.base_dir)
    return rachmistrz.RachmistrzReader(_server(stack, server), program)


def _reset2(edition: str) -> ReaderFactory:
    def make(program: SqlProgram, settings: Settings, stack: ExitStack) -> Reader:
        server = reset2.make_server(program, edition, settings_dir=settings.base_dir)
        return reset2.Reset2Reader(_server(stack, server), program, edition=edition)

    return make


def _firebird(key: str, program: FirebirdProgram, stack: ExitStack) -> FirebirdServer:
    return stack.enter_context(firebird_server(program, key))


def _raks(program: RaksProgram, settings: Settings, stack: ExitStack) -> Reader:
    return raks.RaksReader(_firebird("raks", program, stack), program)


def _fakt(program: FaktProgram, settings: Settings, stack: ExitStack) -> Reader:
    return fakt.FaktReader(_firebird("fakt", program, stack), program)


def _files(reader_class: Callable[[Any, Any, Path], Reader]) -> ReaderFactory:
    """A file-based program's reader: it resolves its folders through the office's `paths`."""

    def make(program: Any, settings: Settings, stack: ExitStack) -> Reader:
        return reader_class(program, settings.path_map(), settings.base_dir)

    return make


PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec(
        key="optima",
        title="Comarch ERP Optima (SQL Server)",
        data_types=optima.DATA_TYPES,
        make_reader=_optima,
    ),
    ProgramSpec(
        key="platnik",
        title="Płatnik (SQL Server or Access)",
        data_types=platnik.DATA_TYPES,
        make_reader=_platnik,
    ),
    ProgramSpec(
        key="rachmistrz",
        title="InsERT GT Rachmistrz (SQL Server)",
        data_types=rachmistrz.DATA_TYPES,
        make_reader=_rachmistrz,
    ),
    ProgramSpec(
        key="reset2_firma",
        title="Reset2 Firma (SQL Server)",
        data_types=reset2.DATA_TYPES,
        make_reader=_reset2("firma"),
    ),
    ProgramSpec(
        key="reset2_ksiega",
        title="Reset2 Księga (SQL Server)",
        data_types=reset2.DATA_TYPES,
        make_reader=_reset2("ksiega"),
    ),
    ProgramSpec(
        key="raks",
        title="RAKS SQL (Firebird)",
        data_types=raks.DATA_TYPES,
        make_reader=_raks,
    ),
    ProgramSpec(
        key="fakt",
        title="Fakt (Firebird)",
        data_types=fakt.DATA_TYPES,
        make_reader=_fakt,
    ),
    ProgramSpec(
        key="buchalter",
        title="Buchalter (GrafSoft, DBF files)",
        data_types=buchalter.DATA_TYPES,
        make_reader=_files(buchalter.BuchalterReader),
    ),
    ProgramSpec(
        key="kpr",
        title="KPR (DBF files per year and the ImportDoKPR export)",
        data_types=kpr.DATA_TYPES,
        make_reader=_files(kpr.KprReader),
    ),
    ProgramSpec(
        key="mala_ksiegowosc",
        title="Mała Księgowość Rzeczpospolitej (DBF files)",
        data_types=mala_ksiegowosc.DATA_TYPES,
        make_reader=_files(mala_ksiegowosc.MalaKsiegowoscReader),
    ),
    ProgramSpec(
        key="symfonia",
        title="Symfonia Mała Księgowość (MKP.INI: DBF folders or SQL Server databases)",
        data_types=symfonia.DATA_TYPES,
        make_reader=_files(symfonia.SymfoniaReader),
    ),
    ProgramSpec(
        key="jpk",
        title="JPK_V7M / JPK_V7K files (VAT)",
        data_types=("taxes", "summaries"),
        make_reader=lambda program, settings, stack: JpkReader(_folder("jpk", program, settings)),
    ),
    ProgramSpec(
        key="kedu",
        title="KEDU files from Płatnik (ZUS DRA)",
        data_types=("zus",),
        make_reader=lambda program, settings, stack: KeduReader(_folder("kedu", program, settings)),
    ),
)

PROGRAMS_BY_KEY = {spec.key: spec for spec in PROGRAMS}


def suppliers(data_type: str) -> list[str]:
    """Keys of the programs that can supply a data type."""
    return [spec.key for spec in PROGRAMS if data_type in spec.data_types]
