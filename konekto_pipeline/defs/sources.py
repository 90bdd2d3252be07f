"""One asset group per accounting program, built from the program's `ProgramSpec`.

A group has `<program>_companies` (all the clients the program keeps) and one monthly asset per
data type the program holds (`<program>_zus`, `<program>_taxes`, `<program>_summaries`). Each
asset carries a blocking schema check: a frame of the wrong shape stops the run; rows that fail
(an invalid NIP, a negative amount) only warn, and the merge leaves those companies out.

Every asset of a program is in the Dagster concurrency pool `konekto_<program>`: with the
instance's limit of one slot per pool (dagster.yaml), no two steps read one program's databases
at once, within a run or across runs, while different programs are read side by side.
"""

from collections.abc import Collection, Iterator

import dagster as dg
import pandas as pd

from konekto_pipeline.defs.partitions import monthly
from konekto_pipeline.defs.resources import SettingsResource
from konekto_pipeline.schemas import empty_frame, validate
from konekto_pipeline.sources.base import SourceData, refuse_repeated_nips
from konekto_pipeline.sources.registry import PROGRAMS, ProgramSpec

SCHEMA_CHECK = "schema"


def program_assets(spec: ProgramSpec) -> list[dg.AssetsDefinition]:
    """The assets of one program's group."""
    assets = [_companies_asset(spec)]
    assets += [_monthly_asset(spec, data_type) for data_type in spec.data_types]
    return assets


def all_program_assets() -> list[dg.AssetsDefinition]:
    return [asset for spec in PROGRAMS for asset in program_assets(spec)]


def program_pool(spec: ProgramSpec) -> str:
    """The concurrency pool of the program's assets, which all read the same databases."""
    return f"konekto_{spec.key}"


def _companies_asset(spec: ProgramSpec) -> dg.AssetsDefinition:
    name = f"{spec.key}_companies"

    @dg.asset(
        name=name,
        group_name=spec.key,
        description=f"Clients (companies) kept in {spec.title}.",
        check_specs=[_schema_check_spec(name)],
        kinds={"pandas"},
        pool=program_pool(spec),
    )
    def _asset(context: dg.AssetExecutionContext, settings: SettingsResource) -> Iterator:
        data = _read(context, spec, settings, periods=None)
        yield from _emit(context, spec, "companies", data.companies, data)

    return _asset


def _monthly_asset(spec: ProgramSpec, data_type: str) -> dg.AssetsDefinition:
    name = f"{spec.key}_{data_type}"

    @dg.asset(
        name=name,
        group_name=spec.key,
        description=f"{data_type.upper()} per client and month from {spec.title}.",
        partitions_def=monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        check_specs=[_schema_check_spec(name)],
        kinds={"pandas"},
        pool=program_pool(spec),
    )
    def _asset(context: dg.AssetExecutionContext, settings: SettingsResource) -> Iterator:
        periods = context.partition_keys
        data = _read(context, spec, settings, periods=periods)
        frame = data.frame(data_type)
        frame = frame.loc[frame["period"].isin(periods)].reset_index(drop=True)
        yield from _emit(context, spec, data_type, frame, data)

    return _asset


def _schema_check_spec(asset_name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        SCHEMA_CHECK,
        asset=asset_name,
        blocking=True,
        description="Frame has the schema's shape (blocks); rows that fail are listed per company.",
    )


def _read(
    context: dg.AssetExecutionContext,
    spec: ProgramSpec,
    settings: SettingsResource,
    periods: Collection[str] | None,
) -> SourceData:
    with spec.open(settings.load()) as reader:
        if reader is None:
            context.log.info("%s is not enabled in the settings; nothing to read", spec.key)
            return SourceData()
        data = refuse_repeated_nips(reader.read(periods), spec.key)
    for problem in data.problems:
        context.log.warning("%s", problem)
    return data


def _emit(
    context: dg.AssetExecutionContext,
    spec: ProgramSpec,
    kind: str,
    frame: pd.DataFrame,
    data: SourceData,
) -> Iterator:
    if frame.empty:
        frame = empty_frame(kind)
    problems = [
        {"program": p.program, "where": p.where, "nip": p.nip, "message": p.message}
        for p in data.problems
    ]
    yield dg.Output(
        frame,
        metadata={
            "dagster/row_count": len(frame),
            "companies": int(frame["nip"].nunique()),
            "problems": dg.MetadataValue.json(problems),
            "problem_count": len(problems),
        },
    )
    yield _schema_check_result(context, kind, frame)


def _schema_check_result(
    context: dg.AssetExecutionContext, kind: str, frame: pd.DataFrame
) -> dg.AssetCheckResult:
    result = validate(kind, frame)
    if result.structural:
        return dg.AssetCheckResult(
            check_name=SCHEMA_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description="The frame does not have the schema's shape",
            metadata={"problems": dg.MetadataValue.json(result.structural)},
        )
    failures = result.row_failures
    per_company = failures.groupby("nip")["column"].agg(lambda c: sorted(set(c))).to_dict()
    for nip, columns in per_company.items():
        context.log.warning("%s: company NIP %s fails the schema in %s", kind, nip, columns)
    return dg.AssetCheckResult(
        check_name=SCHEMA_CHECK,
        passed=failures.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rows": len(frame),
            "rejected_rows": int(failures.index.size),
            "rejected_companies": dg.MetadataValue.json(
                failures.astype(str).to_dict(orient="records")
            ),
        },
    )
