"""One declarative description per accounting program; the Dagster groups are built from these."""

from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from konekto_pipeline.settings import Settings
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.jpk.reader import JpkReader
from konekto_pipeline.sources.kedu.reader import KeduReader


class SourceUnavailable(Exception):
    """A program is enabled but cannot be read at all (a folder or server that is not there).

    Raised rather than reported as a problem: syncing on without the program would replace its
    data in the panel with another program's (a KEDU short name for a JPK full name).
    """


class Reader(Protocol):
    def read(self, periods: Collection[str] | None = None) -> SourceData: ...


@dataclass(frozen=True)
class ProgramSpec:
    """What the pipeline needs to know of a program: its key, the data it holds, its reader."""

    key: str
    title: str
    data_types: tuple[str, ...]
    make_reader: Callable[[Any, Settings, ExitStack], Reader]

    @contextmanager
    def open(self, settings: Settings) -> Iterator[Reader | None]:
        """The program's reader (None when the office has not enabled the program); its
        connections are closed on leaving."""
        program = settings.programs.enabled().get(self.key)
        with ExitStack() as stack:
            yield None if program is None else self.make_reader(program, settings, stack)


def _folder(key: str, program: Any, settings: Settings) -> Path:
    folder = settings.resolve(program.folder)
    if not folder.is_dir():
        raise SourceUnavailable(
            f"{key}: folder {folder} does not exist (programs.{key}.folder in the settings)"
        )
    return folder


PROGRAMS: tuple[ProgramSpec, ...] = (
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
