"""The automatic update, scheduled approval and the files sensor, evaluated as Dagster would.

The schedule must sync the open months (the previous one only until its VAT is due) and its
ticks must be idempotent; the sensor must start a run only when a program's files changed.
"""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from konekto_pipeline.defs.automation import (
    RANGE_END,
    RANGE_START,
    automation,
    open_months,
)
from konekto_pipeline.defs.sink import SyncConfig, _plan
from konekto_pipeline.demo import create_demo_office
from konekto_pipeline.settings import SettingsError, parse_settings

WARSAW = ZoneInfo("Europe/Warsaw")


def _office(**fields):
    return parse_settings({"panel": {"database": "panel.sqlite"}, **fields}, Path("."))


def _built(**fields):
    schedules, sensors = automation(_office(**fields))
    return {schedule.name: schedule for schedule in schedules}, sensors[0]


_, source_files_changed = _built()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 4), ("2026-11", "2026-12")),
        (date(2026, 12, 28), ("2026-11", "2026-12")),  # VAT for November is due 28 December
        (date(2026, 12, 29), ("2026-12", "2026-12")),
        (date(2026, 1, 26), ("2025-12", "2026-01")),
        (date(2026, 1, 27), ("2026-01", "2026-01")),
    ],
)
def test_open_months_keep_the_previous_month_until_its_vat_is_due(today, expected):
    assert open_months(today) == expected


def test_automatic_update_requests_the_open_months_once_per_tick():
    schedules, _ = _built()
    tick = datetime(2026, 12, 4, 6, 0, tzinfo=WARSAW)
    request = schedules["automatic_update"](
        dg.build_schedule_context(scheduled_execution_time=tick)
    )
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-11", "2026-12")
    assert request.run_key == "automatic-2026-12-04T06:00"
    assert schedules["automatic_update"].cron_schedule == "0 6 * * *"


def test_the_cadence_comes_from_the_settings_and_each_tick_has_its_own_run_key():
    schedules, _ = _built(schedules={"automatic_update": ["0 7 * * 1-5", "30 13 * * 1-5"]})
    update = schedules["automatic_update"]
    assert update.cron_schedule == ["0 7 * * 1-5", "30 13 * * 1-5"]
    assert update.execution_timezone == "Europe/Warsaw"
    keys = {
        update(dg.build_schedule_context(scheduled_execution_time=tick)).run_key
        for tick in (datetime(2026, 12, 4, 7, 0, tzinfo=WARSAW),
                     datetime(2026, 12, 4, 13, 30, tzinfo=WARSAW))
    }  # fmt: skip
    assert keys == {"automatic-2026-12-04T07:00", "automatic-2026-12-04T13:30"}


def test_automation_is_stopped_unless_the_settings_turn_it_on():
    schedules, sensor = _built()
    assert schedules["automatic_update"].default_status == dg.DefaultScheduleStatus.STOPPED
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    schedules, sensor = _built(schedules={"enabled": True, "watch_interval_seconds": 60})
    assert schedules["automatic_update"].default_status == dg.DefaultScheduleStatus.RUNNING
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 60
    _, sensor = _built(schedules={"enabled": True, "watch_changes": False})
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_approval_on_set_days_and_hours_is_a_schedule_per_set_of_data_types():
    schedules, _ = _built(
        approval={
            "zus": {"days": [20, 10], "at": ["08:00", "14:30", "16:30"]},
            "taxes": "scheduled",
            "summaries": "never",
        },
        schedules={"approval": "0 9 * * 1-5"},
    )
    assert set(schedules) == {"automatic_update", "approval_zus", "approval_taxes"}
    zus = schedules["approval_zus"]
    assert zus.cron_schedule == ["0 8 10,20 * *", "30 14,16 10,20 * *"]
    assert zus.execution_timezone == "Europe/Warsaw"
    assert zus.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedules["approval_taxes"].cron_schedule == "0 9 * * 1-5"

    tick = datetime(2026, 12, 10, 14, 30, tzinfo=WARSAW)
    request = zus(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.run_config["ops"]["konektosmart"]["config"] == {"scheduled_approval": ["zus"]}
    assert request.run_key == "approval_zus-2026-12-10T14:30"
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-11", "2026-12")


def test_data_types_with_the_same_days_and_hours_share_one_schedule():
    rule = {"days": [15], "at": ["10:00"]}
    schedules, _ = _built(approval={"zus": rule, "taxes": rule, "summaries": "on_update"})
    assert set(schedules) == {"automatic_update", "approval_taxes_zus"}
    assert schedules["approval_taxes_zus"].cron_schedule == "0 10 15 * *"


def test_a_scheduled_approval_run_approves_only_its_own_scheduled_types():
    office = _office(
        approval={"zus": {"days": [10]}, "taxes": {"days": [20]}, "summaries": "on_update"}
    )
    plan = _plan(SyncConfig(scheduled_approval=["zus"]), office)
    assert plan.approve_types == {"zus", "summaries"}
    assert _plan(SyncConfig(), office).approve_types == {"summaries"}
    never = _office(approval={"zus": "never"})
    assert _plan(SyncConfig(scheduled_approval=["zus"]), never).approve_types == set()


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"approval": {"zus": {"days": [32]}}}, "approval.zus"),
        ({"approval": {"zus": {"at": ["9:5"]}}}, "approval.zus"),
        ({"schedules": {"automatic_update": "every morning"}}, "schedules.automatic_update"),
        ({"schedules": {"automatic_update": "0 25 * * *"}}, "schedules.automatic_update"),
        ({"schedules": {"watch_interval_seconds": 5}}, "schedules.watch_interval_seconds"),
    ],
)
def test_bad_schedules_are_refused_naming_the_key(fields, key):
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        _office(**fields)


def test_sensor_starts_a_run_only_when_files_change(tmp_path, monkeypatch):
    office = create_demo_office(tmp_path, companies=2, last_period="2026-06", month_count=1)
    monkeypatch.setenv("KONEKTO_SETTINGS", str(office.settings_path))

    first = source_files_changed(dg.build_sensor_context())
    assert len(first.run_requests) == 1
    unchanged = source_files_changed(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(unchanged, dg.SkipReason)

    (office.folder / "kedu" / "nowy.xml").write_text("<KEDU/>", encoding="utf-8")
    changed = source_files_changed(dg.build_sensor_context(cursor=first.cursor))
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor


def test_sensor_skips_without_settings(monkeypatch):
    monkeypatch.delenv("KONEKTO_SETTINGS", raising=False)
    assert isinstance(source_files_changed(dg.build_sensor_context()), dg.SkipReason)


def test_sensor_watches_a_file_program_through_the_windows_path_mapping(tmp_path, monkeypatch):
    data = tmp_path / "c" / "MK" / "Biuro"
    (data / "FIRMA_1").mkdir(parents=True)
    (data / "FIRMY.DBF").write_bytes(b"first version")
    settings = tmp_path / "konekto.yaml"
    settings.write_text(
        "programs:\n"
        "  mala_ksiegowosc: {folder: 'C:\\MK\\Biuro'}\n"
        f"paths: {{'C:': '{tmp_path / 'c'}'}}\n"
        "panel: {database: panel.sqlite}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KONEKTO_SETTINGS", str(settings))

    first = source_files_changed(dg.build_sensor_context())
    assert isinstance(
        source_files_changed(dg.build_sensor_context(cursor=first.cursor)), dg.SkipReason
    )

    (data / "FIRMA_1" / "PODATKI.DBF").write_bytes(b"a company's new taxes")
    changed = source_files_changed(dg.build_sensor_context(cursor=first.cursor))
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor


def test_scheduled_runs_execute_in_one_process_unless_the_office_asks_for_more():
    tick = datetime(2026, 12, 4, 6, 0, tzinfo=WARSAW)
    schedules, _ = _built()
    request = schedules["automatic_update"](
        dg.build_schedule_context(scheduled_execution_time=tick)
    )
    assert request.run_config["execution"] == {"config": {"in_process": {}}}

    schedules, _ = _built(schedules={"parallel_steps": 3})
    request = schedules["automatic_update"](
        dg.build_schedule_context(scheduled_execution_time=tick)
    )
    multiprocess = request.run_config["execution"]["config"]["multiprocess"]
    assert multiprocess == {"max_concurrent": 3, "start_method": {"forkserver": {}}}


@pytest.mark.parametrize("execution", ["in_process", "multiprocess"])
def test_the_sync_job_accepts_the_execution_a_schedule_asks_for(execution, tmp_path):
    from konekto_pipeline.definitions import build_definitions

    steps = 1 if execution == "in_process" else 2
    schedules, _ = _built(schedules={"parallel_steps": steps})
    tick = datetime(2026, 12, 4, 6, 0, tzinfo=WARSAW)
    request = schedules["automatic_update"](
        dg.build_schedule_context(scheduled_execution_time=tick)
    )
    job = build_definitions(str(tmp_path / "konekto.yaml")).resolve_job_def("sync")
    resolved = dg.validate_run_config(job, request.run_config)
    assert execution in resolved["execution"]["multi_or_in_process_executor"]


def test_a_cursor_edited_by_hand_starts_one_run_instead_of_breaking_the_sensor(
    tmp_path, monkeypatch
):
    office = create_demo_office(tmp_path, companies=2, last_period="2026-06", month_count=1)
    monkeypatch.setenv("KONEKTO_SETTINGS", str(office.settings_path))

    result = source_files_changed(dg.build_sensor_context(cursor='{"changes": "many"}'))
    assert len(result.run_requests) == 1
    again = source_files_changed(dg.build_sensor_context(cursor=result.cursor))
    assert isinstance(again, dg.SkipReason)
