"""Upload to the office panel: only what changed, approval when the office wants it.

The panel keeps a digest per item; one request for the digests of the companies at hand (one
per 100 companies) tells which items are new or changed, so an unchanged office costs two GET
requests up to 100 companies, and no uploads. A
failed upload leaves the panel's digest as it was, so the next run sends the item again.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd

from konekto_pipeline.panel.client import PanelClient, PanelError
from konekto_pipeline.panel.contract import (
    ApproveRequest,
    Company,
    CompanyListing,
    DigestEntry,
    InviteRequest,
    Item,
    ItemKey,
    SyncState,
)
from konekto_pipeline.schemas import DATA_TYPES

ITEM_FIELDS = {
    "zus": ("total", None),
    "taxes": ("amount", "tax"),
    "summaries": ("revenue", None),
}
DETAIL_COLUMNS = {
    "zus": ("declaration_no", "social", "health", "labour_fund", "fep", "deductions", "refund"),
    "taxes": ("refund", "carried_forward"),
    "summaries": ("costs", "income", "vat_output", "vat_input", "revenue_ytd", "costs_ytd"),
}
NO_DATA = "no items for the selected months and types"
COMPANY_COLUMNS = ("name", "regon", "email", "phone", "legal_form", "tax_form", "vat_period")


@dataclass(frozen=True)
class UploadPlan:
    """What one run should do: which companies and data types, and what to approve."""

    data_types: tuple[str, ...] = DATA_TYPES
    nips: frozenset[str] | None = None
    approve_types: frozenset[str] = frozenset()
    send_summary: bool = False
    sent_by: str = "konekto-pipeline"
    create_accounts: bool = False
    run_id: str | None = None
    problems: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class CompanyOutcome:
    """What happened to one company in a run, for the run's report."""

    nip: str
    name: str
    status: str
    uploaded: int = 0
    unchanged: int = 0
    approved: int = 0
    reason: str = ""
    periods: list[str] = field(default_factory=list)
    invited: bool = False
    unreachable: bool = False
    by_type: dict[str, Counter[str]] = field(default_factory=dict)

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["periods"] = ",".join(self.periods)
        del row["unreachable"], row["by_type"]
        return row

    def type_rows(self, data_types: Iterable[str]) -> list[dict[str, object]]:
        """One row per data type: what happened to this company's items of that type."""
        rows = []
        for data_type in data_types:
            counts = self.by_type.get(data_type, Counter())
            if self.status in ("uploaded", "unchanged"):
                status = "uploaded" if counts["uploaded"] else "unchanged"
                if not counts["uploaded"] + counts["unchanged"]:
                    status = "no data"
            else:
                status = self.status
            rows.append(
                {
                    "nip": self.nip,
                    "data_type": data_type,
                    "status": status,
                    "uploaded": counts["uploaded"],
                    "unchanged": counts["unchanged"],
                    "approved": counts["approved"],
                    "reason": self.reason,
                }
            )
        return rows


def build_items(kind: str, frame: pd.DataFrame) -> list[Item]:
    """Panel items from a merged frame of one data type."""
    amount_column, tax_column = ITEM_FIELDS[kind]
    return [
        Item.create(
            nip=row["nip"],
            data_type=kind,
            period=row["period"],
            tax=row[tax_column] if tax_column else None,
            kind=row.get("kind") or "S",
            amount=int(row[amount_column]),
            due_date=_date_or_none(row.get("due_date")),
            account=_str_or_none(row.get("account")),
            source=row["source"],
            details={column: _int_or_none(row.get(column)) for column in DETAIL_COLUMNS[kind]},
        )
        for row in frame.to_dict(orient="records")
    ]


def company_model(row: dict[str, object]) -> Company:
    return Company(nip=str(row["nip"]), **{c: _str_or_none(row.get(c)) for c in COMPANY_COLUMNS})


def upload(
    client: PanelClient,
    companies: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    plan: UploadPlan,
    update_list: Iterable[str] | None,
) -> list[CompanyOutcome]:
    """Send every selected company's changed items; approve per plan. One company's failure is
    recorded in its outcome and does not stop the others."""
    selected, outcomes = _select(companies, plan, update_list)
    items = _items_by_company(frames, plan.data_types, set(selected["nip"]))
    nips = sorted(set(selected["nip"]))
    existing = client.digests(nips) if nips else {}
    listing = {c.nip: c for c in client.companies()} if nips else {}
    unreachable: str | None = None
    attempted: list[CompanyOutcome] = []
    for row in selected.to_dict(orient="records"):
        if unreachable is not None:  # do not wait out the retries again for every company
            outcomes.append(_not_attempted(row, unreachable))
            continue
        outcome = _upload_company(client, row, items.get(row["nip"], []), existing, listing, plan)
        if outcome.status == "failed" and outcome.unreachable:
            unreachable = outcome.reason
        elif plan.create_accounts and outcome.status != "failed":
            _open_account(client, row, listing.get(outcome.nip), outcome, plan)
        attempted.append(outcome)
    outcomes += attempted
    if unreachable is None:
        _report_sync_states(client, attempted, listing, plan)
    return sorted(outcomes, key=lambda outcome: outcome.nip)


def sync_state(outcome: CompanyOutcome) -> SyncState:
    """What the panel's company list shows for the company after this run."""
    if outcome.status == "failed":
        return SyncState(nip=outcome.nip, status="failed", reason=outcome.reason[:2000])
    if outcome.reason and outcome.reason != NO_DATA:
        return SyncState(nip=outcome.nip, status="warning", reason=outcome.reason[:2000])
    return SyncState(nip=outcome.nip, status="ok")


def _report_sync_states(
    client: PanelClient,
    outcomes: list[CompanyOutcome],
    listing: dict[str, CompanyListing],
    plan: UploadPlan,
) -> None:
    """Tell the panel the companies whose state changed since the last report: an unchanged
    office costs no request. A listed company the panel never saw fail needs no "ok"; one the
    panel did not list is told its state even when ok, as the panel may hold a failure of it
    from before it was ever created."""
    changed = []
    for outcome in outcomes:
        state = sync_state(outcome)
        known = listing.get(outcome.nip)
        if known is None:
            changed.append(state.model_copy(update={"run_id": plan.run_id}))
            continue
        before = (known.sync_status, known.sync_reason)
        if (state.status, state.reason) != before and not (
            state.status == "ok" and before[0] is None
        ):
            changed.append(state.model_copy(update={"run_id": plan.run_id}))
    if not changed:
        return
    try:
        client.record_sync_states(changed, by=plan.sent_by)
    except PanelError as error:  # the run's own report still says it; the panel learns next time
        told = {state.nip for state in changed}
        for outcome in outcomes:
            if outcome.nip in told:
                note = f"sync state not recorded: {error.message}"
                outcome.reason = _joined(outcome.reason, note)


def _open_account(
    client: PanelClient,
    row: dict[str, object],
    known: CompanyListing | None,
    outcome: CompanyOutcome,
    plan: UploadPlan,
) -> None:
    """Ask the panel to open the client's account and e-mail its activation link: a company the
    panel lists with an account that was e-mailed its link (or is active or disabled) is left
    alone; one whose link never went out (SMTP down) is asked for again on the next run."""
    if not _str_or_none(row.get("email")):
        return
    if known and known.client_account not in ("none", "not_sent"):
        return
    try:
        result = client.invite(outcome.nip, InviteRequest(by=plan.sent_by))
    except PanelError as error:
        outcome.reason = _joined(outcome.reason, f"client account not opened: {error.message}")
        return
    if result.status == "invited":
        outcome.invited = True
        if not result.emailed:
            note = "client account opened, but the activation e-mail was not sent"
            outcome.reason = _joined(outcome.reason, note)


def _joined(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _not_attempted(row: dict[str, object], why: str) -> CompanyOutcome:
    reason = f"not attempted: the panel stopped answering ({why})"
    return CompanyOutcome(str(row["nip"]), str(row["name"]), "failed", reason=reason)


def _select(
    companies: pd.DataFrame, plan: UploadPlan, update_list: Iterable[str] | None
) -> tuple[pd.DataFrame, list[CompanyOutcome]]:
    outcomes = [
        CompanyOutcome(str(row["nip"]), str(row["name"] or ""), "rejected", reason=row["reason"])
        for row in companies.loc[companies["status"] != "ok"].to_dict(orient="records")
        if plan.nips is None or row["nip"] in plan.nips
    ]
    wanted_nips = set(plan.nips) if plan.nips else set(update_list or [])
    outcomes += [
        CompanyOutcome(nip, "", "not found", reason="no company with this NIP in enabled programs")
        for nip in sorted(wanted_nips)
        if nip not in set(companies["nip"])
    ]
    ok = companies.loc[companies["status"] == "ok"]
    wanted = ok["nip"].isin(set(update_list)) if update_list is not None else ok["nip"].notna()
    if plan.nips is not None:
        wanted &= ok["nip"].isin(plan.nips)
    outcomes += [
        CompanyOutcome(str(row["nip"]), str(row["name"]), "skipped", reason="not on update list")
        for row in ok.loc[~wanted].to_dict(orient="records")
        if plan.nips is None
    ]
    return ok.loc[wanted], outcomes


def _items_by_company(
    frames: dict[str, pd.DataFrame], data_types: tuple[str, ...], nips: set[str]
) -> dict[str, list[Item]]:
    by_company: dict[str, list[Item]] = {}
    for kind in data_types:
        frame = frames[kind]
        for item in build_items(kind, frame.loc[frame["nip"].isin(nips)]):
            by_company.setdefault(item.nip, []).append(item)
    return by_company


def _upload_company(
    client: PanelClient,
    row: dict[str, object],
    items: list[Item],
    existing: dict[ItemKey, DigestEntry],
    listing: dict[str, CompanyListing],
    plan: UploadPlan,
) -> CompanyOutcome:
    nip, name = str(row["nip"]), str(row["name"])
    outcome = CompanyOutcome(nip, name, "unchanged", periods=sorted({i.period for i in items}))
    notes = [_str_or_none(row.get("notes")) or "", *plan.problems.get(nip, ())]
    outcome.reason = "; ".join(note for note in notes if note)
    if not items:
        outcome.status, outcome.reason = "no data", outcome.reason or NO_DATA
        return outcome
    try:
        company = company_model(row)
        known = listing.get(nip)
        if known is None or known.company() != company:
            client.upsert_company(company)
        changed = [item for item in items if _changed(item, existing)]
        if changed:
            client.upsert_items(nip, changed, sent_by=plan.sent_by)
        outcome.uploaded, outcome.unchanged = len(changed), len(items) - len(changed)
        outcome.status = "uploaded" if changed else "unchanged"
        changed_keys = {item.key for item in changed}
        for item in items:
            state = "uploaded" if item.key in changed_keys else "unchanged"
            outcome.by_type.setdefault(item.data_type, Counter())[state] += 1
        outcome.approved = _approve(client, items, changed, existing, plan, outcome.by_type)
    except Exception as error:  # one company's failure must not stop the others
        outcome.status, outcome.reason = "failed", _safe_reason(error)
        outcome.unreachable = isinstance(error, PanelError) and error.status is None
    return outcome


def _changed(item: Item, existing: dict[ItemKey, DigestEntry]) -> bool:
    entry = existing.get(item.key)
    return entry is None or entry.digest != item.digest


def _approve(
    client: PanelClient,
    items: list[Item],
    changed: list[Item],
    existing: dict[ItemKey, DigestEntry],
    plan: UploadPlan,
    by_type: dict[str, Counter[str]],
) -> int:
    """Approve, per month, the items of the approved data types that the panel holds unapproved
    (counted per data type in `by_type` once the panel approved their month)."""
    changed_keys = {item.key for item in changed}
    pending: dict[str, set[str]] = {}
    waiting: Counter[tuple[str, str]] = Counter()
    for item in items:
        if item.data_type not in plan.approve_types:
            continue
        entry = existing.get(item.key)
        if item.key in changed_keys or entry is None or not entry.approved:
            pending.setdefault(item.period, set()).add(item.data_type)
            waiting[(item.period, item.data_type)] += 1
    approved = 0
    for period, data_types in sorted(pending.items()):
        request = ApproveRequest(
            period=period,
            data_types=sorted(data_types),
            send_summary=plan.send_summary,
            approved_by=plan.sent_by,
        )
        approved += client.approve(items[0].nip, request).count
        for data_type in data_types:
            by_type.setdefault(data_type, Counter())["approved"] += waiting[(period, data_type)]
    return approved


def _safe_reason(error: Exception) -> str:
    """An error's message for the report: its type and text, which never carry secrets here."""
    return f"{type(error).__name__}: {error}"


def _date_or_none(value: object) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date()


def _str_or_none(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _int_or_none(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
