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


def refuse_repeated_nips(data: SourceData, program: str) -> SourceData:
    """Leave out a NIP that two companies of one program carry when their months overlap.

    Two companies under one NIP in one program (a copied company, a typing slip) cannot be told
    apart downstream: their months would mix in the panel. Neither is sent, and the office is
    told which companies to fix. Companies whose months do not overlap (one database per year,
    as some offices keep) are complementary and pass.
    """
    owners = data.companies.groupby("nip")["source_company_id"].unique()
    repeated = [nip for nip, ids in owners.items() if len(ids) > 1 and _overlap(data, nip)]
    if not repeated:
        return data
    problems = [
        SourceProblem(
            program,
            ", ".join(sorted(str(owner) for owner in owners[nip])),
            f"{len(owners[nip])} companies carry this NIP and hold the same months; none is "
            "sent until the NIP is corrected in the program",
            nip,
        )
        for nip in repeated
    ]

    def without(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[~frame["nip"].isin(repeated)].reset_index(drop=True)

    return SourceData(
        companies=without(data.companies),
        zus=without(data.zus),
        taxes=without(data.taxes),
        summaries=without(data.summaries),
        problems=[*data.problems, *problems],
    )


def _overlap(data: SourceData, nip: str) -> bool:
    for kind in ("zus", "taxes", "summaries"):
        frame = data.frame(kind)
        rows = frame.loc[frame["nip"] == nip]
        owners_per_month = rows.groupby("period")["source_company_id"].nunique()
        if (owners_per_month > 1).any():
            return True
    return False
