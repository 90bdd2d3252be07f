"""Frames are stored one file per asset and month: re-syncing a month replaces just that month."""

import os
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd

from konekto_pipeline.defs.resources import SettingsResource


class FrameIOManager(dg.ConfigurableIOManager):
    """Pickled DataFrames under the office's storage folder (`storage_dir` in the settings).

    A partitioned asset returns one frame with a `period` column for all the months of the run;
    each month is written to its own file, atomically, so a re-run is idempotent per month.
    """

    settings: dg.ResourceDependency[SettingsResource]

    def _folder(self, context: dg.OutputContext | dg.InputContext) -> Path:
        settings = self.settings.load()
        folder = settings.resolve(settings.storage_dir) / "frames"
        return folder.joinpath(*context.asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        folder = self._folder(context)
        folder.mkdir(parents=True, exist_ok=True)
        if not context.has_asset_partitions:
            _write(obj, folder / "all.pkl")
            return
        for period in context.asset_partition_keys:
            _write(obj.loc[obj["period"] == period], folder / f"{period}.pkl")

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        folder = self._folder(context)
        if not context.has_asset_partitions:
            return _read(folder / "all.pkl", context)
        frames = [_read(folder / f"{key}.pkl", context) for key in context.asset_partition_keys]
        return pd.concat(frames, ignore_index=True)


def _write(frame: pd.DataFrame, path: Path) -> None:
    partial = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.partial")
    frame.reset_index(drop=True).to_pickle(partial)
    os.replace(partial, path)


def _read(path: Path, context: dg.InputContext) -> pd.DataFrame:
    if not path.exists():
        key = context.asset_key.to_user_string()
        raise FileNotFoundError(f"{key}: no stored frame at {path}; materialize {key} first")
    return pd.read_pickle(path)
