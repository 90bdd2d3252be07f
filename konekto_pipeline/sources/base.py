"""What every program's reader hands to the pipeline: four frames and the problems it met."""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from konekto_pipeline.schemas import empty_frame


@dataclass(frozen=True)
class SourceProblem:
    """A file, table or company a reader could not use, and why, in words an office can act on.

    `where` names the file (path) or table; `nip` is set when the problem is one company's.
    """

    program: str
    where: str
    message: str
    nip: str | None = None

    def __str__(self) -> str:
        company = f" (NIP {self.nip})" if self.nip else ""
        return f"{self.program}: {self.where}{company}: {self.message}"


@dataclass
class SourceData:
    """Everything one program yielded in one read: frames in the shape of `schemas`."""

    companies: pd.DataFrame = field(default_factory=lambda: empty_frame("companies"))
    zus: pd.DataFrame = field(default_factory=lambda: empty_frame("zus"))
    taxes: pd.DataFrame = field(default_factory=lambda: empty_frame("taxes"))
    summaries: pd.DataFrame = field(default_factory=lambda: empty_frame("summaries"))
    problems: list[SourceProblem] = field(default_factory=list)

    def frame(self, kind: str) -> pd.DataFrame:
        return getattr(self, kind)


def file_identity(path: Path) -> tuple[int, int]:
    """Size and modification time: what tells a reader's cache that a file changed.

    A file that vanished since the folder was listed gets (-1, -1): reading it then reports it.
    """
    try:
        stat = path.stat()
    except OSError:
        return -1, -1
    return stat.st_size, stat.st_mtime_ns
