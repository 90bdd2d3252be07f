"""Merging by NIP: one client may live in several programs (Płatnik for ZUS, JPK for VAT...).

`merge_companies` decides, per NIP, the display name and which program supplies each data type;
`merge_data` then keeps, per data type, only the rows of the chosen program, with corrections
superseding earlier declarations. Invalid rows are set aside with their reason, never dropped
silently.
"""

from dataclasses import dataclass, field

import pandas as pd

from konekto_pipeline.domain.due_dates import due_date
from konekto_pipeline.schemas import DATA_TYPES, SCHEMAS, validate
from konekto_pipeline.settings import DO_NOT_UPDATE, Settings
from konekto_pipeline.sources.registry import PROGRAMS_BY_KEY

COMPANY_FIELDS = ("regon", "email", "phone", "legal_form", "tax_form", "vat_period")
MERGED_COMPANY_COLUMNS = [
    "nip", "name", *COMPANY_FIELDS, "zus_account", "programs", "names", "name_conflict",
    *(f"{data_type}_source" for data_type in DATA_TYPES), "status", "reason", "notes",
]  # fmt: skip
_DEDUP_KEYS = {
    "zus": ["nip", "period"],
    "taxes": ["nip", "period", "tax"],
    "summaries": ["nip", "period"],
}


@dataclass
class Rejection:
    """A company or row the pipeline will not upload, and why (for the office's report)."""

    nip: str
    source: str
    reason: str
    name: str | None = None


@dataclass
class Merged:
    frame: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)


def merge_companies(frames: dict[str, pd.DataFrame], settings: Settings) -> Merged:
    """One row per NIP: name, contact data, which program supplies what; rejected ones too.

    A wrong optional field (a REGON of 5 digits, an unknown tax form) does not cost the company
    its data from that program: the field is left out and the company's `notes` say so.
    """
    notes: dict[str, list[str]] = {}
    frames = {program: _without_bad_optional_fields(program, frame, notes)
              for program, frame in frames.items()}  # fmt: skip
    valid_frames, rejections = _validated("companies", frames)
    union = pd.concat(valid_frames, ignore_index=True) if valid_frames else pd.DataFrame()
    rows = [] if union.empty else [
        _merge_one_company(nip, group, settings) for nip, group in union.groupby("nip", sort=True)
    ]  # fmt: skip
    merged_nips = {row["nip"] for row in rows}
    rows += [
        _rejected_company_row(rejection)
        for rejection in _one_per_company(rejections)
        if rejection.nip and rejection.nip not in merged_nips
    ]
    frame = pd.DataFrame(rows, columns=MERGED_COMPANY_COLUMNS)
    frame["notes"] = frame["nip"].map(lambda nip: "; ".join(notes.get(nip, [])) or None)
    return Merged(frame.sort_values("nip", ignore_index=True), rejections)


def _without_bad_optional_fields(
    program: str, frame: pd.DataFrame, notes: dict[str, list[str]]
) -> pd.DataFrame:
    failures = validate("companies", frame).row_failures
    optional = failures.loc[failures["column"].isin(COMPANY_FIELDS)]
    if optional.empty:
        return frame
    frame = frame.copy()
    for failure in optional.itertuples():
        frame.loc[failure.index, failure.column] = None
        notes.setdefault(str(failure.nip), []).append(
            f"{program}: {failure.column} {failure.value!r} is not valid and was left out"
        )
    return frame


def merge_data(
    kind: str, frames: dict[str, pd.DataFrame], companies: pd.DataFrame, settings: Settings
) -> Merged:
    """Rows of one data type from the program chosen for each company, corrections applied."""
    valid_frames, rejections = _validated(kind, frames)
    if not valid_frames:
        return Merged(pd.DataFrame(columns=_columns_of(kind, frames)), rejections)
    union = pd.concat(valid_frames, ignore_index=True)
    chosen = companies.loc[companies["status"] == "ok"].set_index("nip")[f"{kind}_source"]
    union = union.loc[union["source"].eq(union["nip"].map(chosen))]
    union = _latest_declarations(kind, union)
    if kind == "zus":
        union = _apply_company_zus_facts(union, companies.set_index("nip"))
    return Merged(union.reset_index(drop=True), rejections)


def _validated(
    kind: str, frames: dict[str, pd.DataFrame]
) -> tuple[list[pd.DataFrame], list[Rejection]]:
    valid_frames, rejections = [], []
    for program, frame in frames.items():
        result = validate(kind, frame)
        rejections += [
            Rejection("", program, f"{program} {kind}: wrong structure: {problem}")
            for problem in result.structural
        ]
        rejections += [
            Rejection(
                str(failure.nip),
                program,
                f"{kind}.{failure.column}: {failure.check} (value {failure.value!r}, "
                f"{program} company {failure.source_company_id})",
                _name_of(frame, failure.nip),
            )
            for failure in result.row_failures.itertuples()
        ]
        if not result.valid.empty:
            valid_frames.append(result.valid)
    return valid_frames, rejections


def _name_of(frame: pd.DataFrame, nip: object) -> str | None:
    if "name" not in frame.columns:
        return None
    names = frame.loc[frame["nip"] == nip, "name"].dropna()
    return str(names.iloc[0]) if not names.empty else None


def _merge_one_company(nip: str, group: pd.DataFrame, settings: Settings) -> dict[str, object]:
    override = settings.override(nip)
    programs = sorted(group["source"].unique())
    preference = _preference(programs, settings)
    ordered = group.assign(_rank=group["source"].map(preference)).sort_values("_rank")
    names = list(dict.fromkeys(ordered["name"].map(_clean_name)))
    row: dict[str, object] = {
        "nip": nip,
        "name": override.name or names[0],
        "programs": ",".join(programs),
        "names": " | ".join(names),
        "name_conflict": not _same_names(names) and override.name is None,
        "zus_account": override.zus_account,
        "status": "ok",
        "reason": None,
    }
    for column in COMPANY_FIELDS:
        values = ordered[column].dropna()
        row[column] = values.iloc[0] if not values.empty else None
    row["legal_form"] = override.legal_form or row["legal_form"]
    for data_type in DATA_TYPES:
        row[f"{data_type}_source"] = _source_for(data_type, programs, override.sources, settings)
    return row


def _clean_name(name: str) -> str:
    return " ".join(str(name).split())


def _same_names(names: list[str]) -> bool:
    """Names differing only in case, punctuation or a cut-off (Płatnik keeps 31 characters of a
    short name) are the same client's; anything else is a conflict for the office to settle."""
    cores = sorted({_name_core(name) for name in names}, key=len)
    return all(longer.startswith(cores[0]) for longer in cores[1:])


def _name_core(name: str) -> str:
    letters = "".join(char if char.isalnum() else " " for char in name.casefold())
    return " ".join(letters.split())


def _preference(programs: list[str], settings: Settings) -> dict[str, int]:
    """Rank programs for picking a name: the one supplying taxes first, then ZUS."""
    order = [*settings.source_order.get("taxes", []), *settings.source_order.get("zus", [])]
    return {
        program: order.index(program) if program in order else len(order) for program in programs
    }


def _source_for(
    data_type: str, programs: list[str], overrides: dict[str, str], settings: Settings
) -> str | None:
    chosen = overrides.get(data_type)
    if chosen is not None:
        return None if chosen == DO_NOT_UPDATE else chosen
    for program in settings.source_order.get(data_type, []):
        spec = PROGRAMS_BY_KEY.get(program)
        if program in programs and spec is not None and data_type in spec.data_types:
            return program
    return None


def _one_per_company(rejections: list[Rejection]) -> list[Rejection]:
    seen: dict[str, Rejection] = {}
    for rejection in rejections:
        seen.setdefault(rejection.nip, rejection)
    return list(seen.values())


def _rejected_company_row(rejection: Rejection) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(MERGED_COMPANY_COLUMNS)
    row.update(
        nip=rejection.nip,
        name=rejection.name or "",
        programs=rejection.source,
        names=rejection.name or "",
        name_conflict=False,
        status="rejected",
        reason=rejection.reason,
    )
    return row


def _latest_declarations(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A later declaration (higher number, a correction) supersedes the earlier ones."""
    keys = _DEDUP_KEYS[kind]
    order = [*keys, "declaration_no"] if kind == "zus" else keys
    return frame.sort_values(order, kind="stable").drop_duplicates(keys, keep="last")


def _apply_company_zus_facts(zus: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """ZUS due day follows the merged legal form; the NRS comes only from the office's settings."""
    if zus.empty:
        return zus
    legal_forms = zus["nip"].map(companies["legal_form"])
    zus = zus.copy()
    zus["due_date"] = pd.to_datetime(
        [
            due_date("ZUS", period, legal_form=form if isinstance(form, str) else None)
            for period, form in zip(zus["period"], legal_forms, strict=True)
        ]
    ).astype("datetime64[ns]")
    zus["account"] = zus["nip"].map(companies["zus_account"]).astype(object)
    zus["account"] = zus["account"].where(zus["account"].notna(), None)
    return zus


def _columns_of(kind: str, frames: dict[str, pd.DataFrame]) -> list[str]:
    for frame in frames.values():
        return list(frame.columns)
    return list(SCHEMAS[kind].columns)
