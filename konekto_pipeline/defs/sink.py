"""The sink: upload what changed to the KonektoSmart office panel and approve when asked."""

from dataclasses import replace

import dagster as dg
import pandas as pd

from konekto_pipeline.defs.metadata import markdown_table
from konekto_pipeline.defs.partitions import monthly
from konekto_pipeline.defs.resources import PanelResource, SettingsResource
from konekto_pipeline.schemas import DATA_TYPES
from konekto_pipeline.settings import Settings
from konekto_pipeline.upload import UploadPlan, upload

GROUP = "konektosmart"
COMPANY_STATUSES = (
    "uploaded",
    "unchanged",
    "no data",
    "skipped",
    "rejected",
    "not found",
    "failed",
)


class SyncConfig(dg.Config):
    """The choices of a manual update, as in the old tool's update window."""

    approve: bool = False
    scheduled_approval: list[str] = []  # data types whose scheduled approval is due
    send_summary: bool = False
    nips: list[str] = []
    data_types: list[str] = list(DATA_TYPES)


@dg.asset(
    group_name=GROUP,
    partitions_def=monthly,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"api"},
    pool="konekto_panel",  # one upload at a time, also when `konekto sync` meets a daemon run
)
def konektosmart(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    settings: SettingsResource,
    panel: PanelResource,
    companies: pd.DataFrame,
    zus: pd.DataFrame,
    taxes: pd.DataFrame,
    summaries: pd.DataFrame,
) -> dg.MaterializeResult:
    """Items of the run's months in the office panel; metadata holds each company's outcome."""
    office = settings.load()
    plan = replace(
        _plan(config, office), run_id=context.run.run_id, problems=_source_problems(context)
    )
    update_list = None if office.update.companies == "all" else office.update.companies
    frames = {"zus": zus, "taxes": taxes, "summaries": summaries}
    with panel.client(office) as client:
        outcomes = upload(client, companies, frames, plan, update_list)
        requests = client.request_count
    rows = [outcome.as_row() for outcome in outcomes]
    type_rows = [row for outcome in outcomes for row in outcome.type_rows(plan.data_types)]
    for row in rows:
        context.log.info(
            "NIP %s: %s (uploaded %s, unchanged %s, approved %s) %s",
            row["nip"], row["status"], row["uploaded"], row["unchanged"], row["approved"],
            row["reason"],
        )  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            "outcome": dg.MetadataValue.json(rows),
            "outcome_table": dg.MetadataValue.md(_outcome_table(rows)),
            "outcome_by_type": dg.MetadataValue.json(type_rows),
            "outcome_by_type_table": dg.MetadataValue.md(_by_type_table(type_rows)),
            "uploaded_items": sum(row["uploaded"] for row in rows),
            "failed_companies": sum(row["status"] == "failed" for row in rows),
            "panel_requests": requests,
            **_counts(rows, type_rows, plan.data_types),
        }
    )


def _counts(
    rows: list[dict[str, object]], type_rows: list[dict[str, object]], data_types: tuple[str, ...]
) -> dict[str, int]:
    """Numbers the UI plots run after run: companies per outcome, and per data type the
    companies uploaded / unchanged / failed and the items approved."""
    counts = {
        f"companies_{status.replace(' ', '_')}": sum(row["status"] == status for row in rows)
        for status in COMPANY_STATUSES
    }
    for data_type in data_types:
        of_type = [row for row in type_rows if row["data_type"] == data_type]
        for status in ("uploaded", "unchanged", "failed"):
            counts[f"{data_type}_{status}"] = sum(row["status"] == status for row in of_type)
        counts[f"{data_type}_approved_items"] = sum(int(row["approved"]) for row in of_type)
    return counts


def _source_problems(context: dg.AssetExecutionContext) -> dict[str, tuple[str, ...]]:
    """What the programs' reads of this run met per company (a month's data left out, a file
    that could not be read), from their materializations' `problems`: the company's outcome
    and the panel's company list then say it."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    by_nip: dict[str, list[str]] = {}
    for record in records:
        materialization = record.event_log_entry.asset_materialization
        entry = materialization.metadata.get("problems") if materialization else None
        for problem in entry.value if entry is not None else []:
            nip, text = problem.get("nip"), f"{problem['program']}: {problem['message']}"
            if nip and text not in by_nip.setdefault(str(nip), []):
                by_nip[str(nip)].append(text)
    return {nip: tuple(texts) for nip, texts in by_nip.items()}


def _plan(config: SyncConfig, office: Settings) -> UploadPlan:
    data_types = tuple(t for t in config.data_types if t in office.update.data_types)
    approve = {
        data_type
        for data_type in data_types
        if config.approve
        or office.approval_policy(data_type) == "on_update"
        or (
            data_type in config.scheduled_approval
            and office.approval_policy(data_type) == "scheduled"
        )
    }
    return UploadPlan(
        data_types=data_types,
        nips=frozenset(config.nips) if config.nips else None,
        approve_types=frozenset(approve),
        send_summary=config.send_summary or office.send_summaries,
        sent_by=office.panel.sent_by,
        create_accounts=office.clients.create_accounts,
    )


def _by_type_table(rows: list[dict[str, object]]) -> str:
    columns = ["nip", "data_type", "status", "uploaded", "unchanged", "approved", "reason"]
    return markdown_table(columns, ([row[c] for c in columns] for row in rows))


def _outcome_table(rows: list[dict[str, object]]) -> str:
    columns = ["nip", "name", "status", "uploaded", "unchanged", "approved", "reason"]
    return markdown_table(columns, ([row[c] for c in columns] for row in rows))
