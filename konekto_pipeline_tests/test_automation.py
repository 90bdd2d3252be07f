"""The automatic update, scheduled approval and the files sensor, evaluated as Dagster would.

The schedule must sync the open months (the previous one only until its VAT is due) and its
ticks must be idempotent; the sensor must start a run only when a program's files changed.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from konekto_pipeline.defs.automation import (
    RANGE_END,
    RANGE_START,
    automatic_update,
    open_months,
    scheduled_approval,
    source_files_changed,
)
from konekto_pipeline.demo import create_demo_office


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


def test_automatic_update_requests_the_open_months_once_per_day():
    tick = datetime(2026, 12, 4, 6, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    request = automatic_update(dg.build_schedule_context(scheduled_execution_time=tick))
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-11", "2026-12")
    assert request.run_key == "automatic-2026-12-04"


def test_scheduled_approval_asks_the_sink_to_approve_scheduled_types():
    tick = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    request = scheduled_approval(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.run_config["ops"]["konektosmart"]["config"] == {"scheduled_approval": True}


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
