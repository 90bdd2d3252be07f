"""The four frames every source produces and the pipeline merges: companies, zus, taxes, summaries.

Amounts are integer grosze (`int64`), periods are `YYYY-MM` strings, dates are `datetime64[ns]`.
A V7K (quarterly) VAT item carries the quarter's last month as its period.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from konekto_pipeline.domain.identifiers import is_valid_nip

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DATA_TYPES = ("zus", "taxes", "summaries")
TAX_NAMES = ("VAT-7", "VAT-7K", "PIT-4", "PIT-5", "PIT-5L", "PIT-8A", "PIT-28", "CIT")
TAX_KINDS = ("D", "K", "Z", "P", "I")
LEGAL_FORMS = ("budget_unit", "legal_person", "other")
TAX_FORMS = ("kpir", "ryczalt", "full_books")

_NIP_CHECK = pa.Check(
    lambda nips: nips.map(is_valid_nip).astype(bool),
    element_wise=False,
    error="NIP is not 10 digits with a valid checksum (or is all zeros)",
    name="valid_nip",
)
_ACCOUNT_CHECK = pa.Check.str_matches(r"^\d{26}$", error="account must be 26 digits")


def _money(nullable: bool = False) -> pa.Column:
    return pa.Column("Int64" if nullable else "int64", nullable=nullable)


def _origin() -> dict[str, pa.Column]:
    return {
        "source": pa.Column(str),
        "source_company_id": pa.Column(str),
        "nip": pa.Column(str, _NIP_CHECK),
    }


companies_schema = pa.DataFrameSchema(
    {
        **_origin(),
        "name": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "regon": pa.Column(str, pa.Check.str_matches(r"^(\d{9}|\d{14})$"), nullable=True),
        "email": pa.Column(str, nullable=True),
        "phone": pa.Column(str, nullable=True),
        "legal_form": pa.Column(str, pa.Check.isin(LEGAL_FORMS), nullable=True),
        "tax_form": pa.Column(str, pa.Check.isin(TAX_FORMS), nullable=True),
        "vat_period": pa.Column(str, pa.Check.isin(["M", "Q"]), nullable=True),
    },
    name="companies",
    strict="filter",
    coerce=False,
)

zus_schema = pa.DataFrameSchema(
    {
        **_origin(),
        "period": pa.Column(str, pa.Check.str_matches(PERIOD_PATTERN)),
        "declaration_no": pa.Column("int64", pa.Check.ge(1)),
        "kind": pa.Column(str, pa.Check.isin(["D", "K"])),
        "social": _money(),
        "health": _money(),
        "labour_fund": _money(),
        "fep": _money(),
        "deductions": _money(),
        "total": pa.Column("int64", pa.Check.ge(0)),
        "refund": pa.Column("int64", pa.Check.ge(0)),
        "due_date": pa.Column("datetime64[ns]"),
        "account": pa.Column(str, _ACCOUNT_CHECK, nullable=True),
    },
    name="zus",
    strict="filter",
)

taxes_schema = pa.DataFrameSchema(
    {
        **_origin(),
        "period": pa.Column(str, pa.Check.str_matches(PERIOD_PATTERN)),
        "tax": pa.Column(str, pa.Check.isin(TAX_NAMES)),
        "kind": pa.Column(str, pa.Check.isin(TAX_KINDS)),
        "amount": pa.Column(
            "int64",
            [pa.Check.ge(0), pa.Check(lambda s: s % 100 == 0, error="tax not in whole złoty")],
        ),
        "refund": _money(nullable=True),
        "carried_forward": _money(nullable=True),
        "due_date": pa.Column("datetime64[ns]"),
        "account": pa.Column(str, _ACCOUNT_CHECK, nullable=True),
    },
    name="taxes",
    strict="filter",
)

summaries_schema = pa.DataFrameSchema(
    {
        **_origin(),
        "period": pa.Column(str, pa.Check.str_matches(PERIOD_PATTERN)),
        "revenue": _money(),
        "costs": _money(),
        "income": _money(),
        "vat_output": _money(nullable=True),
        "vat_input": _money(nullable=True),
        "revenue_ytd": _money(nullable=True),
        "costs_ytd": _money(nullable=True),
    },
    name="summaries",
    strict="filter",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "companies": companies_schema,
    "zus": zus_schema,
    "taxes": taxes_schema,
    "summaries": summaries_schema,
}


def empty_frame(kind: str) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes, for a month with no data."""
    schema = SCHEMAS[kind]
    return pd.DataFrame(
        {name: pd.Series(dtype=_pandas_dtype(column)) for name, column in schema.columns.items()}
    )


def schema_frame(kind: str, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows in the column order and dtypes of the schema (an empty frame when there are none)."""
    template = empty_frame(kind)
    records = list(rows)
    if not records:
        return template
    frame = pd.DataFrame.from_records(records, columns=list(template.columns))
    return frame.astype(template.dtypes.to_dict())


def _pandas_dtype(column: pa.Column) -> str:
    dtype = str(column.dtype)
    return "object" if dtype in ("str", "string") else dtype


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one frame: rows that may go on, and why the others may not.

    `structural` holds problems with the frame as a whole (a missing column, a wrong dtype);
    `row_failures` has one row per rejected (row, reason) with the company's NIP and source.
    """

    valid: pd.DataFrame
    row_failures: pd.DataFrame
    structural: list[str]

    @property
    def rejected_nips(self) -> list[str]:
        return sorted({str(nip) for nip in self.row_failures["nip"].dropna()})


def validate(kind: str, frame: pd.DataFrame) -> Validation:
    """Validate a frame lazily and split it into valid rows and per-company failures."""
    schema = SCHEMAS[kind]
    failure_columns = ["index", "source", "source_company_id", "nip", "column", "check", "value"]
    try:
        valid = schema.validate(frame, lazy=True)
        return Validation(valid, pd.DataFrame(columns=failure_columns), [])
    except SchemaErrors as errors:
        cases = errors.failure_cases
    row_cases = cases[cases["index"].notna()]
    structural = [
        f"{case.column or kind}: {case.check} ({case.failure_case})"
        for case in cases[cases["index"].isna()].itertuples()
    ]
    if structural:
        return Validation(frame.iloc[0:0], pd.DataFrame(columns=failure_columns), structural)
    bad_index = pd.Index(row_cases["index"].unique())
    failures = pd.DataFrame(
        {
            "index": row_cases["index"].to_numpy(),
            "source": frame.loc[row_cases["index"], "source"].to_numpy(),
            "source_company_id": frame.loc[row_cases["index"], "source_company_id"].to_numpy(),
            "nip": frame.loc[row_cases["index"], "nip"].to_numpy(),
            "column": row_cases["column"].to_numpy(),
            "check": row_cases["check"].astype(str).to_numpy(),
            "value": row_cases["failure_case"].astype(str).to_numpy(),
        }
    )
    valid = schema.validate(frame.drop(index=bad_index), lazy=True)
    return Validation(valid, failures, [])
