"""The code location loads as `dagster dev` would load it, with every group, job and schedule.

A mistake in the asset wiring (a missing input, a name clash between programs) shows up here
before anyone opens the UI.
"""

import dagster as dg
import pytest

from konekto_pipeline.definitions import build_definitions, defs
from konekto_pipeline.settings import SettingsError


def test_code_location_loads_like_dagster_dev():
    dg.Definitions.validate_loadable(defs)


def test_every_program_has_its_group_and_the_merge_and_sink_follow():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        "optima", "platnik", "rachmistrz", "reset2_firma", "reset2_ksiega", "raks", "fakt",
        "buchalter", "kpr", "mala_ksiegowosc", "symfonia", "jpk", "kedu", "merge", "konektosmart",
    }  # fmt: skip


def test_groups_hold_the_frames_each_program_can_supply():
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "optima_companies", "optima_taxes", "optima_summaries",
        "platnik_companies", "platnik_zus",
        "rachmistrz_companies", "rachmistrz_taxes", "rachmistrz_summaries",
        "reset2_firma_companies", "reset2_firma_taxes", "reset2_firma_summaries",
        "reset2_ksiega_companies", "reset2_ksiega_taxes", "reset2_ksiega_summaries",
        "raks_companies", "raks_taxes", "raks_summaries",
        "fakt_companies", "fakt_zus", "fakt_taxes",
        "buchalter_companies", "buchalter_zus", "buchalter_taxes", "buchalter_summaries",
        "kpr_companies", "kpr_taxes", "kpr_summaries",
        "mala_ksiegowosc_companies", "mala_ksiegowosc_taxes", "mala_ksiegowosc_summaries",
        "symfonia_companies", "symfonia_zus", "symfonia_taxes", "symfonia_summaries",
        "jpk_companies", "jpk_taxes", "jpk_summaries",
        "kedu_companies", "kedu_zus",
        "companies", "zus", "taxes", "summaries", "konektosmart",
    }  # fmt: skip


def test_source_assets_carry_a_blocking_schema_check():
    checks = {
        (spec.asset_key.to_user_string(), spec.name, spec.blocking)
        for assets_def in defs.resolve_asset_graph().assets_defs
        for spec in assets_def.check_specs
    }
    assert ("kedu_zus", "schema", True) in checks
    assert ("jpk_companies", "schema", True) in checks


def test_merged_zus_reads_every_program_that_supplies_zus():
    graph = defs.resolve_asset_graph()
    parents = {key.to_user_string() for key in graph.get(dg.AssetKey("zus")).parent_keys}
    assert parents == {
        "companies", "platnik_zus", "fakt_zus", "buchalter_zus", "symfonia_zus", "kedu_zus",
    }  # fmt: skip


def test_job_schedules_and_sensor_are_defined():
    assert defs.resolve_job_def("sync").name == "sync"
    schedules = {schedule.name: schedule for schedule in defs.schedules}
    assert set(schedules) == {"automatic_update"}  # approval schedules only when asked for
    assert schedules["automatic_update"].execution_timezone == "Europe/Warsaw"
    assert [sensor.name for sensor in defs.sensors] == [
        "source_files_changed",
        "error_report_on_failure",
    ]


def test_an_explicit_settings_path_replaces_the_environment_variable(tmp_path):
    built = build_definitions(str(tmp_path / "konekto.yaml"))
    assert built.resolve_job_def("sync") is not None


def test_the_office_settings_shape_its_schedules(tmp_path):
    settings = tmp_path / "konekto.yaml"
    settings.write_text(
        "panel: {database: panel.sqlite}\n"
        "schedules: {enabled: true, automatic_update: '15 7 * * *'}\n"
        "approval: {zus: {days: [10], at: ['08:00']}, taxes: never, summaries: on_update}\n",
        encoding="utf-8",
    )
    built = build_definitions(str(settings))
    schedules = {schedule.name: schedule for schedule in built.schedules}
    assert set(schedules) == {"automatic_update", "approval_zus"}
    assert schedules["automatic_update"].cron_schedule == "15 7 * * *"
    assert schedules["automatic_update"].default_status == dg.DefaultScheduleStatus.RUNNING


def test_a_bad_settings_file_stops_the_code_location_naming_the_key(tmp_path):
    settings = tmp_path / "konekto.yaml"
    settings.write_text(
        "panel: {database: panel.sqlite}\nschedules: {automatic_update: 'at dawn'}\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"schedules\.automatic_update"):
        build_definitions(str(settings))
