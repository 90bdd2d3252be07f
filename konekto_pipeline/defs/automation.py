"""The job, the automatic update, scheduled approval and the sensor for changed source files."""

import hashlib
import os
from datetime import date, datetime
from pathlib import Path

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


def _run_request(today: date, run_key: str, config: dict | None = None) -> dg.RunRequest:
    first, last = open_months(today)
    return dg.RunRequest(
        run_key=run_key,
        tags=month_range_tags(first, last),
        run_config={"ops": {"konektosmart": {"config": config or {}}}},
    )


@dg.schedule(
    job=sync_job,
    cron_schedule="0 6 * * *",
    execution_timezone=TIMEZONE,
    description="Automatic update: the open months, every morning.",
)
def automatic_update(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time or datetime.now()
    return _run_request(tick.date(), run_key=f"automatic-{tick:%Y-%m-%d}")


@dg.schedule(
    job=sync_job,
    cron_schedule="0 9 * * 1-5",
    execution_timezone=TIMEZONE,
    description="Approve data types whose approval policy is 'scheduled' (working days, 9:00).",
)
def scheduled_approval(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time or datetime.now()
    return _run_request(
        tick.date(), run_key=f"approval-{tick:%Y-%m-%d}", config={"scheduled_approval": True}
    )


@dg.sensor(
    job=sync_job,
    minimum_interval_seconds=300,
    description="Start an update when a program's files changed; an unchanged office costs a "
    "folder listing.",
)
def source_files_changed(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    settings_path = os.environ.get(SETTINGS_ENV_VAR)
    if not settings_path:
        return dg.SkipReason(f"{SETTINGS_ENV_VAR} is not set")
    settings = load_settings(settings_path)
    fingerprint = folders_fingerprint(_watched_paths(context, settings))
    if fingerprint == context.cursor:
        return dg.SkipReason("no program's files changed")
    request = _run_request(date.today(), run_key=f"files-{fingerprint}")
    return dg.SensorResult(run_requests=[request], cursor=fingerprint)


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
