"""The Dagster code location: every program's group, the NIP merge, the panel sink, automation.

`dagster dev -w workspace.yaml` loads `defs`; the office's settings file is named by the
environment variable KONEKTO_SETTINGS and the panel token by KONEKTO_PANEL_TOKEN.
"""

import os

import dagster as dg

from konekto_pipeline.defs.automation import (
    automatic_update,
    scheduled_approval,
    source_files_changed,
    sync_job,
)
from konekto_pipeline.defs.io_managers import FrameIOManager
from konekto_pipeline.defs.merge import merged_assets
from konekto_pipeline.defs.resources import PanelResource, SettingsResource
from konekto_pipeline.defs.sink import konektosmart
from konekto_pipeline.defs.sources import all_program_assets
from konekto_pipeline.settings import SETTINGS_ENV_VAR

TOKEN_ENV_VAR = "KONEKTO_PANEL_TOKEN"


def build_definitions(settings_path: str | None = None) -> dg.Definitions:
    """Definitions for one office; without a path the settings come from KONEKTO_SETTINGS."""
    settings = SettingsResource(path=settings_path or dg.EnvVar(SETTINGS_ENV_VAR))
    token = dg.EnvVar(TOKEN_ENV_VAR) if os.environ.get(TOKEN_ENV_VAR) else None
    return dg.Definitions(
        assets=[*all_program_assets(), *merged_assets, konektosmart],
        jobs=[sync_job],
        schedules=[automatic_update, scheduled_approval],
        sensors=[source_files_changed],
        resources={
            "settings": settings,
            "panel": PanelResource(token=token),
            "io_manager": FrameIOManager(settings=settings),
        },
    )


defs = build_definitions()
