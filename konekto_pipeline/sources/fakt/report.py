"""Fakt's saved "taxes to pay" reports and generated VAT declarations, turned into the zus and
taxes frames, with what is missing said for each company and month.

Worked on as pandas frames rather than line by line: an office saves tens of thousands of
report lines a year, and a Python loop per line would cost more than fetching them
(benchmarks/firebird_read.py keeps the read within 1.5 times a bare fetch).

Amounts arrive as Decimal (DECIMAL(15,2)) or, in a dialect 1 database, as doubles. Both are
taken to integer grosze through float64, which is exact for any amount below 10^13 zł; a value
that is not within a millionth of a whole grosz (the rule of `grosze_from_db`) or beyond any
real figure is refused for its line, and said, and the other lines load.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from konekto_pipeline.domain.money import MAX_AMOUNT_GROSZE
from konekto_pipeline.domain.periods import quarter_end
from konekto_pipeline.schemas import empty_frame
from konekto_pipeline.sources.fakt import settings as names
from konekto_pipeline.sources.firebird.reading import Window, deadline, month_of

LINE_COLUMNS = ("id", "firm", "year", "month", "symbol", "amount", "saved")
DECLARATION_COLUMNS = ("id", "firm", "year", "month", "symbol", "correction", "generated")
ZUS_PARTS = ("social", "health", "labour_fund", "fep")
VAT_FORMS = ("VAT-7", "VAT-7K")

Say = Callable[[str | None, str], None]
_NEVER = pd.Timestamp.min


@dataclass(frozen=True)
class Company:
    """What the report needs to know of a company."""

    id: int
    nip: str
    legal_form: str | None
    vat_period: str | None
    account: str | None


# --- lines and declarations ---------------------------------------------------------------------


def report_lines(rows: Sequence[tuple[Any, ...]], window: Window, say: Say) -> pd.DataFrame:
    """The lines that count: per company and month those of the latest save (the highest id
    per symbol within it). Columns: firm, period, symbol, grosze."""
    lines = _with_firms(pd.DataFrame.from_records(list(rows), columns=list(LINE_COLUMNS)))
    lines["symbol"] = _symbols(lines["symbol"])
    lines["period"] = _periods(lines, "report line", say)
    lines["grosze"] = _grosze(lines, say)
    lines = lines.dropna(subset=["period", "grosze"])
    quarterly = {s for s, tax in names.TAX_BY_REPORT_SYMBOL.items() if tax == "VAT-7K"}
    lines["period"] = _quarter_ends(lines["period"], lines["symbol"].isin(quarterly))
    lines = _in_window(lines, window)
    saved = pd.to_datetime(lines["saved"]).fillna(_NEVER)
    latest = saved.groupby([lines["firm"], lines["period"]]).transform("max")
    lines = lines.loc[saved == latest].sort_values("id", kind="stable")
    lines = lines.drop_duplicates(["firm", "period", "symbol"], keep="last")
    return lines.assign(grosze=lines["grosze"].astype("int64"))[
        ["firm", "period", "symbol", "grosze"]
    ]


def generated_declarations(
    rows: Sequence[tuple[Any, ...]], window: Window, say: Say
) -> pd.DataFrame:
    """Per company, VAT form and month, the latest generated declaration. Columns: firm, tax,
    period, correction."""
    found = _with_firms(pd.DataFrame.from_records(list(rows), columns=list(DECLARATION_COLUMNS)))
    found["tax"] = _symbols(found["symbol"]).map(names.VAT_BY_DECLARATION_SYMBOL)
    found = found.dropna(subset=["tax"])
    found["period"] = _periods(found, "declaration", say)
    found = found.dropna(subset=["period"])
    found["period"] = _quarter_ends(found["period"], found["tax"] == "VAT-7K")
    found = _in_window(found, window)
    corrections = pd.to_numeric(found["correction"], errors="coerce").fillna(0)
    found = found.assign(
        correction=corrections != 0,
        generated=pd.to_datetime(found["generated"]).fillna(_NEVER),
    )
    found = found.sort_values(["generated", "id"], kind="stable")
    found = found.drop_duplicates(["firm", "tax", "period"], keep="last")
    return found[["firm", "tax", "period", "correction"]]


def _with_firms(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a company key, as int64 (a row of no company belongs to no one's report)."""
    firms = pd.to_numeric(rows["firm"], errors="coerce")
    rows = rows.loc[firms.notna()].copy()
    rows["firm"] = firms.loc[firms.notna()].astype("int64")
    return rows


def _symbols(values: pd.Series) -> pd.Series:
    """Symbols trimmed and upper-cased (worked out once per distinct value)."""
    clean = {value: str(value).strip().upper() for value in values.dropna().unique()}
    return values.map(clean).fillna("")


def _periods(rows: pd.DataFrame, what: str, say: Say) -> pd.Series:
    """ "YYYY-MM" from the year and month columns; an impossible month is said and is NaN."""
    keys = pd.to_numeric(rows["year"], errors="coerce") * 100 + pd.to_numeric(
        rows["month"], errors="coerce"
    )
    lookup: dict[float, str | None] = {}
    for key in keys.dropna().unique():
        year, month = divmod(int(key), 100)
        try:
            lookup[key] = month_of(year, month) if key == int(key) else None
        except ValueError:
            lookup[key] = None
    periods = keys.map(lookup).astype(object)
    for row in rows.loc[periods.isna()].itertuples():
        say(None, f"{what} {row.id}: the period {row.year}/{row.month} is not a month")
    return periods


def _grosze(lines: pd.DataFrame, say: Say) -> pd.Series:
    """Integer grosze as floats (NaN where refused, and said); NULL is 0 as in grosze_from_db."""
    raw = lines["amount"]
    zloty = pd.to_numeric(raw, errors="coerce").astype("float64")
    zloty = zloty.where(raw.notna(), 0.0)
    scaled = zloty * 100
    rounded = scaled.round()
    tolerance = 1e-6 * np.maximum(1.0, zloty.abs())
    bad = (
        zloty.isna() | ((scaled - rounded).abs() > tolerance) | (rounded.abs() > MAX_AMOUNT_GROSZE)
    )
    for row in lines.loc[bad].itertuples():
        say(
            None,
            f"report line {row.id} ({row.symbol}): {names.REPORT_AMOUNT} {row.amount!r} is not "
            "a whole number of grosze (or beyond any real figure); the line is not loaded",
        )
    return rounded.where(~bad)


def _quarter_ends(periods: pd.Series, quarterly: pd.Series) -> pd.Series:
    ends = {month: quarter_end(month) for month in periods.loc[quarterly].unique()}
    return periods.where(~quarterly, periods.map(ends))


def _in_window(rows: pd.DataFrame, window: Window) -> pd.DataFrame:
    return rows if window.months is None else rows.loc[rows["period"].isin(window.months)]


# --- the frames and what is missing ---------------------------------------------------------------


def zus_and_taxes(
    companies: Collection[Company],
    lines: pd.DataFrame,
    declared: pd.DataFrame,
    window: Window,
    say: Say,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The zus and taxes frames of the active companies, saying what is missing."""
    by_id = {company.id: company for company in companies}
    lines = lines.loc[lines["firm"].isin(by_id)]
    declared = declared.loc[declared["firm"].isin(by_id)]
    reported = set(zip(lines["firm"], lines["period"], strict=True))
    declared_keys = set(zip(declared["firm"], declared["tax"], declared["period"], strict=True))
    if window.months is not None:
        _no_reports(by_id.values(), sorted(window.months), reported, declared_keys, say)
    zus = _zus(lines, by_id, say)
    taxes, vat_lines = _taxes(lines, declared, by_id, say)
    _vat_without_lines(by_id, reported, declared_keys, vat_lines, say)
    return zus, taxes


def _no_reports(
    companies: Collection[Company],
    months: list[str],
    reported: set[tuple[int, str]],
    declared: set[tuple[int, str, str]],
    say: Say,
) -> None:
    for company in companies:
        for month in months:
            if (company.id, month) in reported:
                continue
            vat = [tax for tax in VAT_FORMS if (company.id, tax, month) in declared]
            also = f" (a {vat[0]} declaration was generated)" if vat else ""
            say(
                company.nip,
                f"no 'taxes to pay' report saved for {month}{also}: save it in Fakt; nothing "
                "is sent for that month",
            )


def _zus(lines: pd.DataFrame, by_id: dict[int, Company], say: Say) -> pd.DataFrame:
    """One DRA-like row per company and month from the report's ZUS parts."""
    parts = lines["symbol"].map(names.ZUS_BY_REPORT_SYMBOL)
    zus_lines = lines.loc[parts.notna()].assign(part=parts)
    _single_totals(lines, zus_lines, by_id, say)
    if zus_lines.empty:
        return empty_frame("zus")
    summed = zus_lines.groupby(["firm", "period", "part"])["grosze"].sum()
    zus = summed.unstack("part", fill_value=0).reindex(columns=list(ZUS_PARTS), fill_value=0)
    zus = zus.reset_index()
    forms = zus["firm"].map(lambda firm: by_id[firm].legal_form)
    return _typed(
        "zus",
        {
            **_origin(zus["firm"], by_id),
            "period": zus["period"],
            "declaration_no": 1,
            "kind": "D",
            **{part: zus[part] for part in ZUS_PARTS},
            "deductions": 0,
            "total": zus[list(ZUS_PARTS)].sum(axis=1),
            "refund": 0,
            "due_date": [
                deadline("ZUS", month, form)
                for month, form in zip(zus["period"], forms, strict=True)
            ],
            "account": None,
        },
        index=zus.index,
    )


def _single_totals(
    lines: pd.DataFrame, zus_lines: pd.DataFrame, by_id: dict[int, Company], say: Say
) -> None:
    """A month whose report has only a ZUS total: its parts cannot be told, so it is said."""
    with_parts = set(zip(zus_lines["firm"], zus_lines["period"], strict=True))
    totals = lines.loc[lines["symbol"].isin(names.ZUS_TOTAL_SYMBOLS)]
    for firm, month in sorted(set(zip(totals["firm"], totals["period"], strict=True))):
        if (firm, month) not in with_parts:
            say(
                by_id[firm].nip,
                f"the 'taxes to pay' report for {month} has a single ZUS total, not its parts "
                "(social, health, Labour Fund): ZUS is not sent",
            )


def _taxes(
    lines: pd.DataFrame, declared: pd.DataFrame, by_id: dict[int, Company], say: Say
) -> tuple[pd.DataFrame, set[tuple[int, str, str]]]:
    """The tax rows; a VAT line counts only with its generated declaration (its kind from it).
    Also the (firm, VAT form, month) of every VAT line in the reports."""
    tax_lines = lines.assign(tax=lines["symbol"].map(names.TAX_BY_REPORT_SYMBOL))
    tax_lines = tax_lines.dropna(subset=["tax"])
    is_vat = tax_lines["tax"].isin(VAT_FORMS)
    vat = tax_lines.loc[is_vat].merge(
        declared, on=["firm", "tax", "period"], how="left", indicator=True
    )
    vat_lines = set(zip(vat["firm"], vat["tax"], vat["period"], strict=True))
    for row in vat.loc[vat["_merge"] == "left_only"].itertuples():
        say(
            by_id[row.firm].nip,
            f"the 'taxes to pay' report for {row.period} has {row.tax} but no {row.tax} "
            f"declaration was generated: generate it in Fakt; {row.tax} is not sent",
        )
    vat = vat.loc[vat["_merge"] == "both"]
    others = tax_lines.loc[~is_vat].assign(correction=False)
    rows = pd.concat([others, vat[others.columns]], ignore_index=True)
    rows = rows.sort_values(["firm", "period", "tax"], kind="stable", ignore_index=True)
    amounts = rows["grosze"].clip(lower=0)
    taxes = _typed(
        "taxes",
        {
            **_origin(rows["firm"], by_id),
            "period": rows["period"],
            "tax": rows["tax"],
            "kind": np.where(rows["correction"].astype(bool), "K", "D"),
            "amount": (amounts + 50) // 100 * 100,  # half-up to whole złoty, as the law says
            "refund": None,
            "carried_forward": None,
            "due_date": [
                deadline(tax, month, None, tax == "VAT-7K")
                for tax, month in zip(rows["tax"], rows["period"], strict=True)
            ],
            "account": rows["firm"].map(lambda firm: by_id[firm].account),
        },
        index=rows.index,
    )
    return taxes, vat_lines


def _vat_without_lines(
    by_id: dict[int, Company],
    reported: set[tuple[int, str]],
    declared: set[tuple[int, str, str]],
    vat_lines: set[tuple[int, str, str]],
    say: Say,
) -> None:
    """For months with a saved report: a declaration whose VAT is not in it, or a VAT payer
    with neither."""
    for firm, tax, month in sorted(declared - vat_lines):
        if (firm, month) in reported:
            say(
                by_id[firm].nip,
                f"a {tax} declaration for {month} was generated but the saved 'taxes to pay' "
                f"report has no {tax}: save the report again; {tax} is not sent",
            )
    for firm, month in sorted(reported):
        expected = names.EXPECTED_VAT.get(by_id[firm].vat_period or "")
        if expected is None or (expected == "VAT-7K" and quarter_end(month) != month):
            continue
        key = (firm, expected, month)
        if key not in vat_lines and key not in declared:
            say(
                by_id[firm].nip,
                f"no {expected} in the 'taxes to pay' report for {month} and no {expected} "
                "declaration generated: VAT is not sent",
            )


def _origin(firms: pd.Series, by_id: dict[int, Company]) -> dict[str, Any]:
    return {
        "source": names.PROGRAM,
        "source_company_id": firms.astype(str),
        "nip": firms.map(lambda firm: by_id[firm].nip),
    }


def _typed(kind: str, columns: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """The columns in the schema's order and dtypes (an empty frame when there are no rows)."""
    template = empty_frame(kind)
    if len(index) == 0:
        return template
    built = pd.DataFrame(columns, index=index)[list(template.columns)]
    return built.astype(template.dtypes.to_dict()).reset_index(drop=True)
