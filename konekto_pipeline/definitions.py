"""The Dagster code location: every program's group, the NIP merge, the panel sink, automation.

`dagster dev -w workspace.yaml` loads `defs`; the office's settings file is named by the
environment variable KONEKTO_SETTINGS and the panel token by KONEKTO_PANEL_TOKEN.
"""

import os
from pathlib import Path

import dagster as dg

from konekto_pipeline.defs.automation import automation, sync_job
from konekto_pipeline.defs.error_reports import error_report_sensor
from konekto_pipeline.defs.io_managers import FrameIOManager
from konekto_pipeline.defs.merge import merged_assets
from konekto_pipeline.defs.resources import PanelResource, SettingsResource
from konekto_pipeline.defs.sink import konektosmart
from konekto_pipeline.defs.sources import all_program_assets
from konekto_pipeline.office import load_office
from konekto_pipeline.settings import SETTINGS_ENV_VAR, Settings

TOKEN_ENV_VAR = "KONEKTO_PANEL_TOKEN"


def build_definitions(settings_path: str | None = None) -> dg.Definitions:
    """Definitions for one office; without a path the settings come from KONEKTO_SETTINGS."""
    settings = SettingsResource(path=settings_path or dg.EnvVar(SETTINGS_ENV_VAR))
    schedules, sensors = automation(_office(settings_path))
    token = dg.EnvVar(TOKEN_ENV_VAR) if os.environ.get(TOKEN_ENV_VAR) else None
    return dg.Definitions(
        assets=[*all_program_assets(), *merged_assets, konektosmart],
        jobs=[sync_job],
        schedules=schedules,
        sensors=[*sensors, error_report_sensor(_office(settings_path))],
        resources={
            "settings": settings,
            "panel": PanelResource(token=token),
            "io_manager": FrameIOManager(settings=settings),
        },
    )


def _office(settings_path: str | None) -> Settings | None:
    """The office's settings for building its schedules: None when no file is named yet (the
    schedules then have their defaults); a bad file stops the code location loading, naming the
    bad key, rather than scheduling something the office did not ask for."""
    path = settings_path or os.environ.get(SETTINGS_ENV_VAR)
    if not path or not Path(path).exists():
        return None
    return load_office(path)


defs = build_definitions()
