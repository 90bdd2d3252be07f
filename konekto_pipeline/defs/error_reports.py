"""The error report a failed run sends, for offices that opted in (`error_reports` in the
settings); what the report holds and never holds is in konekto_pipeline/error_reports.py."""

import os

import dagster as dg

from konekto_pipeline.error_reports import build_error_report, send_report
from konekto_pipeline.settings import SETTINGS_ENV_VAR, Settings, load_settings


def error_report_sensor(settings: Settings | None) -> dg.SensorDefinition:
    """Send a failed run's error report; running from the start when the office opted in."""
    on = settings is not None and settings.error_reports.enabled

    @dg.run_failure_sensor(
        name="error_report_on_failure",
        # `konekto sync` runs the job in process: such a run belongs to no code location, and a
        # sensor watching only its own location would never see it fail.
        monitor_all_code_locations=True,
        default_status=dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED,
        description="Send an error report (run, failing steps, errors, versions; no secrets, "
        "client names, NIPs or amounts) when a run fails, if the office opted in.",
    )
    def error_report_on_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
        return _report_failure(context)

    return error_report_on_failure


def _report_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    settings_path = os.environ.get(SETTINGS_ENV_VAR)
    if not settings_path:
        return dg.SkipReason(f"{SETTINGS_ENV_VAR} is not set: no settings allow an error report")
    settings = load_settings(settings_path)
    if not settings.error_reports.enabled:
        return dg.SkipReason("error reports are off (error_reports.enabled in the settings)")

    run_id = context.dagster_run.run_id
    report = build_error_report(context.instance, run_id, settings)
    deliveries = send_report(report, settings, log=context.log)
    if not any(delivery.sent for delivery in deliveries):
        return dg.SkipReason(f"the error report of run {run_id} could not be sent")
    return None
