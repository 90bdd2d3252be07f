"""`konekto check` and `konekto probe`: can each program be read, and what is in it?

A check answers "works" or a reason a person can act on; a probe lists what was found (files,
databases, code values with counts) so an office can compare a program's table map with its own
installation. Both only read.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from konekto_pipeline.panel.client import PanelClient
from konekto_pipeline.panel.server import PanelThread
from konekto_pipeline.settings import Settings
from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.registry import PROGRAMS, ProgramSpec


@dataclass(frozen=True)
class CheckResult:
    """One program's (or the panel's) state: `ok` is None when the program is not enabled."""

    name: str
    ok: bool | None
    message: str


def check_all(settings: Settings, token: str | None = None) -> list[CheckResult]:
    """Every enabled program, then the panel."""
    enabled = settings.programs.enabled()
    results = [check_program(spec, settings) for spec in PROGRAMS if spec.key in enabled]
    return [*results, check_panel(settings, token)]


def check_program(spec: ProgramSpec, settings: Settings) -> CheckResult:
    try:
        with spec.open(settings) as reader:
            if reader is None:
                return CheckResult(spec.key, None, "not enabled in the settings")
            if hasattr(reader, "check"):
                return CheckResult(spec.key, True, reader.check())
            return CheckResult(spec.key, True, _summary_line(reader.read(None)))
    except Exception as error:  # every failure is a finding to report, not a crash
        return CheckResult(spec.key, False, str(error).removeprefix(f"{spec.key}: "))


def check_panel(settings: Settings, token: str | None) -> CheckResult:
    try:
        if settings.panel.url is not None:
            with PanelClient(settings.panel.url, token=token, retries=0) as client:
                client.health()
                count = len(client.companies())
            return CheckResult("panel", True, f"works: {settings.panel.url}, {count} companies")
        database_url = settings.panel_database_url()
        # As in a sync: the embedded panel answers a token of this check's own.
        own = token or secrets.token_urlsafe(32)
        with PanelThread(database_url, token=own) as server:
            with PanelClient(server.url, token=own) as client:
                count = len(client.companies())
        return CheckResult("panel", True, f"works: {settings.panel.database}, {count} companies")
    except Exception as error:  # a panel that does not answer is a finding, not a crash
        return CheckResult("panel", False, str(error))


def probe_program(spec: ProgramSpec, settings: Settings) -> dict[str, Any]:
    """What a program holds, as the reader sees it (its own probe, or a summary of a read)."""
    with spec.open(settings) as reader:
        if reader is None:
            raise ValueError(f"{spec.key} is not enabled in the settings (programs.{spec.key})")
        if hasattr(reader, "probe"):
            return reader.probe()
        return _summary(reader.read(None))


def _summary(data: SourceData) -> dict[str, Any]:
    return {
        "companies": data.companies[["nip", "name"]].to_dict(orient="records"),
        "periods": {
            kind: sorted(set(data.frame(kind)["period"]))
            for kind in ("zus", "taxes", "summaries")
            if not data.frame(kind).empty
        },
        "rows": {kind: len(data.frame(kind)) for kind in ("zus", "taxes", "summaries")},
        "problems": [str(problem) for problem in data.problems],
    }


def _summary_line(data: SourceData) -> str:
    rows = ", ".join(
        f"{len(data.frame(kind))} {kind} rows"
        for kind in ("zus", "taxes", "summaries")
        if not data.frame(kind).empty
    )
    problems = f"; {len(data.problems)} problem(s), see `konekto probe`" if data.problems else ""
    return f"works: {len(data.companies)} companies, {rows or 'no monthly data'}{problems}"
