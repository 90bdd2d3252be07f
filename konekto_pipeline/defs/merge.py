"""The NIP merge: one `companies` asset and one merged monthly asset per data type."""

import dagster as dg
import pandas as pd

from konekto_pipeline.defs.metadata import markdown_table
from konekto_pipeline.defs.partitions import monthly
from konekto_pipeline.defs.resources import SettingsResource
from konekto_pipeline.merge import Merged, merge_companies, merge_data
from konekto_pipeline.schemas import DATA_TYPES
from konekto_pipeline.sources.registry import PROGRAMS, suppliers

GROUP = "merge"


@dg.asset(
    group_name=GROUP,
    ins={f"{spec.key}_companies": dg.AssetIn() for spec in PROGRAMS},
    kinds={"pandas"},
)
def companies(
    context: dg.AssetExecutionContext, settings: SettingsResource, **frames: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Every client once, by NIP: display name, contact data and the program for each data type.

    Name conflicts between programs are listed in the metadata; a `name` in the company's entry
    of the settings file settles one.
    """
    merged = merge_companies(_by_program(frames, "_companies"), settings.load())
    frame = merged.frame
    conflicts = frame.loc[frame["name_conflict"], ["nip", "names"]]
    for row in conflicts.itertuples():
        context.log.warning("NIP %s has different names in the programs: %s", row.nip, row.names)
    rejected = frame.loc[frame["status"] != "ok", ["nip", "name", "reason"]]
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": len(frame),
            "companies_ok": int((frame["status"] == "ok").sum()),
            "rejected": dg.MetadataValue.json(rejected.to_dict(orient="records")),
            "name_conflicts": dg.MetadataValue.json(conflicts.to_dict(orient="records")),
            "sources": dg.MetadataValue.md(_sources_table(frame)),
        },
    )


def _merged_asset(data_type: str) -> dg.AssetsDefinition:
    programs = suppliers(data_type)

    @dg.asset(
        name=data_type,
        group_name=GROUP,
        partitions_def=monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        ins={
            "companies": dg.AssetIn(),
            **{f"{program}_{data_type}": dg.AssetIn() for program in programs},
        },
        description=f"{data_type.upper()} per client and month from the program chosen for it.",
        kinds={"pandas"},
    )
    def _asset(
        context: dg.AssetExecutionContext,
        settings: SettingsResource,
        companies: pd.DataFrame,
        **frames: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        merged = merge_data(
            data_type, _by_program(frames, f"_{data_type}"), companies, settings.load()
        )
        _log_rejections(context, merged)
        return dg.Output(
            merged.frame,
            metadata={
                "dagster/row_count": len(merged.frame),
                "companies": int(merged.frame["nip"].nunique()),
                "rejected_rows": dg.MetadataValue.json(
                    [vars(rejection) for rejection in merged.rejections]
                ),
            },
        )

    return _asset


merged_assets = [companies, *(_merged_asset(data_type) for data_type in DATA_TYPES)]


def _by_program(frames: dict[str, pd.DataFrame], suffix: str) -> dict[str, pd.DataFrame]:
    return {name.removesuffix(suffix): frame for name, frame in frames.items()}


def _log_rejections(context: dg.AssetExecutionContext, merged: Merged) -> None:
    for rejection in merged.rejections:
        context.log.warning(
            "NIP %s (%s) left out: %s", rejection.nip, rejection.source, rejection.reason
        )


def _sources_table(frame: pd.DataFrame) -> str:
    ok = frame.loc[frame["status"] == "ok"]
    columns = ["nip", "name", "zus_source", "taxes_source", "summaries_source"]
    return markdown_table(
        ["NIP", "name", "ZUS", "taxes", "summaries"], ok[columns].itertuples(index=False)
    )
