"""The job, the automatic update, scheduled approval and the sensor for changed source data.

Schedules and the sensor are built from the office's settings when the code location loads:
their cadence, days and hours, and whether they start on their own.
"""

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.domain.periods import period, previous
from konekto_pipeline.settings import SETTINGS_ENV_VAR, Settings, load_settings
from konekto_pipeline.sources.registry import PROGRAMS

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
TIMEZONE = "Europe/Warsaw"

sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.all(),
    description="Read every enabled program, validate, merge by NIP and upload to the panel.",
)


def month_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the months first..last (a single-run backfill)."""
    return {RANGE_START: first, RANGE_END: last}


def open_months(today: date) -> tuple[str, str]:
    """The months an automatic update syncs: the current one, and the previous one until its
    last due date (VAT, the 25th moved to a working day) has passed."""
    current = period(today.year, today.month)
    last_month = previous(current)
    first = last_month if today <= due_date("VAT-7", last_month) else current
    return first, current


def execution_config(settings: Settings) -> dict[str, Any]:
    """How a scheduled run executes its steps: in one process (the default: a small office's
    run takes seconds, not the minute that starting a process per step costs), or in up to
    `schedules.parallel_steps` processes at once for an office whose programs are slow to read."""
    steps = settings.schedules.parallel_steps
    if steps <= 1:
        return {"config": {"in_process": {}}}
    multiprocess = {"max_concurrent": steps, "start_method": {"forkserver": {}}}
    return {"config": {"multiprocess": multiprocess}}


def _run_request(
    today: date, run_key: str, settings: Settings, config: dict | None = None
) -> dg.RunRequest:
    first, last = open_months(today)
    return dg.RunRequest(
        run_key=run_key,
        tags=month_range_tags(first, last),
        run_config={
            "ops": {"konektosmart": {"config": config or {}}},
            "execution": execution_config(settings),
        },
    )


def _tick(context: dg.ScheduleEvaluationContext) -> datetime:
    return context.scheduled_execution_time or datetime.now(ZoneInfo(TIMEZONE))


def _status(on: bool) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def automatic_update_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """The automatic update on the settings' cadence; each tick is one run (its run key)."""
    cadence = settings.schedules.automatic_update

    @dg.schedule(
        name="automatic_update",
        job=sync_job,
        cron_schedule=cadence if len(cadence) > 1 else cadence[0],
        execution_timezone=TIMEZONE,
        default_status=_status(settings.schedules.enabled),
        description=f"Automatic update of the open months ({', '.join(cadence)}, {TIMEZONE}).",
    )
    def automatic_update(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = _tick(context)
        return _run_request(tick.date(), f"automatic-{tick:%Y-%m-%dT%H:%M}", settings)

    return automatic_update


def approval_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    """One schedule per set of days and hours in `approval:`, approving its data types.

    A scheduled approval is a sync of the open months that approves those data types; it is on
    whenever the settings name it (approval the office asked for is not an opt-in twice)."""
    return [
        _approval_schedule(data_types, crons, settings)
        for data_types, crons in sorted(settings.approval_crons().items())
    ]


def _approval_schedule(
    data_types: tuple[str, ...], crons: list[str], settings: Settings
) -> dg.ScheduleDefinition:
    name = "approval_" + "_".join(data_types)

    @dg.schedule(
        name=name,
        job=sync_job,
        cron_schedule=crons if len(crons) > 1 else crons[0],
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Approve {', '.join(data_types)} ({', '.join(crons)}, {TIMEZONE}).",
    )
    def _approval(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = _tick(context)
        return _run_request(
            tick.date(),
            f"{name}-{tick:%Y-%m-%dT%H:%M}",
            settings,
            config={"scheduled_approval": list(data_types)},
        )

    return _approval


def source_changes_sensor(settings: Settings) -> dg.SensorDefinition:
    """Start an update when a program's files or database changed; an idle office costs a folder
    listing and one aggregate per database table read.

    The sensor keeps its historical name, so that an office's cursor and tick history stay."""
    on = settings.schedules.enabled and settings.schedules.watch_changes

    @dg.sensor(
        name="source_files_changed",
        job=sync_job,
        minimum_interval_seconds=settings.schedules.watch_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED,
        description="Start an update when a program's files or database changed; an unchanged "
        "office costs a folder listing and a row count per database table.",
    )
    def source_files_changed(
        context: dg.SensorEvaluationContext,
    ) -> dg.SensorResult | dg.SkipReason:
        return _sources_changed(context)

    return source_files_changed


def automation(settings: Settings | None) -> tuple[list, list]:
    """The schedules and sensors for an office (defaults when its settings are not known yet)."""
    settings = settings or Settings.model_validate({"panel": {"database": "panel.sqlite"}})
    schedules = [automatic_update_schedule(settings), *approval_schedules(settings)]
    return schedules, [source_changes_sensor(settings)]


@dataclass(frozen=True)
class SourcesSeen:
    """What the change sensor saw at its last run request, kept as its cursor (JSON).

    `files` is the fingerprint of every program's watched files, `databases` each database
    program's change stamp. `changes` counts the run requests so far: the run key carries it,
    so that data returning to a state seen before (a row added, then deleted) starts a run of
    its own, while one change evaluated twice still gets one key.
    """

    files: str | None = None
    databases: Mapping[str, str] = field(default_factory=dict)
    changes: int = 0

    @classmethod
    def parse(cls, cursor: str | None) -> "SourcesSeen":
        """The cursor as `dump` writes it. A cursor written before databases were stamped is
        the files' fingerprint alone, and is read as that: unchanged files start no run."""
        if not cursor:
            return cls()
        try:
            seen = json.loads(cursor)
        except ValueError:
            seen = None
        if not isinstance(seen, dict):
            return cls(files=cursor)
        try:
            return cls(
                seen.get("files"), dict(seen.get("databases") or {}), int(seen.get("changes", 0))
            )
        except (TypeError, ValueError):  # a cursor edited by hand: start afresh (one run)
            return cls()

    def dump(self) -> str:
        return json.dumps(
            {"files": self.files, "databases": dict(self.databases), "changes": self.changes},
            sort_keys=True,
        )

    def same_sources(self, other: "SourcesSeen") -> bool:
        return (self.files, dict(self.databases)) == (other.files, dict(other.databases))

    def fingerprint(self) -> str:
        """A digest of the files fingerprint and every database stamp."""
        sources = json.dumps(
            {"files": self.files, "databases": dict(self.databases)}, sort_keys=True
        )
        return hashlib.sha256(sources.encode()).hexdigest()[:32]


def _sources_changed(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    settings_path = os.environ.get(SETTINGS_ENV_VAR)
    if not settings_path:
        return dg.SkipReason(f"{SETTINGS_ENV_VAR} is not set")
    settings = load_settings(settings_path)
    before = SourcesSeen.parse(context.cursor)
    files = folders_fingerprint(_watched_paths(context, settings))
    now = SourcesSeen(files, _database_stamps(context, settings, before.databases))
    if now.same_sources(before):
        return dg.SkipReason("no program's files or database changed")
    now = SourcesSeen(now.files, now.databases, before.changes + 1)
    request = _run_request(date.today(), f"changes-{now.changes}-{now.fingerprint()}", settings)
    return dg.SensorResult(run_requests=[request], cursor=now.dump())


def _watched_paths(context: dg.SensorEvaluationContext, settings: Settings) -> list[Path]:
    """Every enabled program's folders; a program whose folders cannot be told is left out
    (its run would fail and say why) rather than stopping the sensor for the others."""
    paths: list[Path] = []
    for spec in PROGRAMS:
        try:
            paths += spec.watched_paths(settings)
        except Exception as error:  # a finding about one program, not the sensor's failure
            context.log.warning("%s: cannot tell which files to watch: %s", spec.key, error)
    return paths


def _database_stamps(
    context: dg.SensorEvaluationContext, settings: Settings, before: Mapping[str, str]
) -> dict[str, str]:
    """Each enabled database program's change stamp, by program key.

    A program whose database cannot be reached keeps the stamp it had `before` and is named in
    a warning: neither its outage nor its recovery with the same data looks like a change, and
    the other programs are stamped as usual.
    """
    stamps: dict[str, str] = {}
    for spec in PROGRAMS:
        try:
            stamp = spec.change_stamp(settings)
        except Exception as error:  # a finding about one program, not the sensor's failure
            context.log.warning(
                "%s: cannot stamp its database, its changes are not seen until it can: %s",
                spec.key,
                error,
            )
            stamp = before.get(spec.key)
        if stamp is not None:
            stamps[spec.key] = stamp
    return stamps


def folders_fingerprint(folders: list[Path]) -> str:
    """A digest of the names, sizes and modification times of every file in the folders (and
    of the watched paths that are files themselves)."""
    digest = hashlib.sha256()
    for folder in sorted(set(folders)):
        files = sorted(folder.rglob("*")) if folder.is_dir() else [folder]
        for path in files:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]
