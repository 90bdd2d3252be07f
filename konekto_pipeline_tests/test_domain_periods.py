"""Tests for "YYYY-MM" period arithmetic in konekto_pipeline.domain.periods.

Periods are the monthly partition keys and the input of every due date, so year boundaries and
quarter boundaries must be right, and a malformed key must fail loudly instead of becoming a
wrong month.
"""

import pytest

from konekto_pipeline.domain.periods import (
    months,
    next_period,
    parse_period,
    period,
    previous,
    quarter_end,
    quarter_of,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("2025-01", (2025, 1)), ("2025-12", (2025, 12)), ("1999-07", (1999, 7))],
)
def test_parse_period_splits_year_and_month(text: str, parsed: tuple[int, int]) -> None:
    assert parse_period(text) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "2025-13",
        "2025-00",
        "2025-1",
        "25-01",
        "2025/01",
        "2025-01-01",
        " 2025-01",
        "202501",
        "0000-01",
        "",
        "2025-٠١",  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_parse_period_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="Period"):
        parse_period(text)


@pytest.mark.parametrize("value", [None, 202501, ("2025", "01")])
def test_parse_period_rejects_non_strings_with_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_period(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("year", "month", "text"), [(2025, 1, "2025-01"), (999, 12, "0999-12")])
def test_period_builds_zero_padded_key(year: int, month: int, text: str) -> None:
    assert period(year, month) == text


@pytest.mark.parametrize(("year", "month"), [(2025, 0), (2025, 13), (0, 5), (10000, 1)])
def test_period_rejects_impossible_months(year: int, month: int) -> None:
    with pytest.raises(ValueError):
        period(year, month)


def test_months_lists_an_inclusive_range_across_a_year_end() -> None:
    assert months("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_months_of_a_single_period() -> None:
    assert months("2025-06", "2025-06") == ["2025-06"]


def test_months_of_two_full_years_has_24_entries() -> None:
    listed = months("2025-01", "2026-12")
    assert len(listed) == 24
    assert listed[0] == "2025-01"
    assert listed[-1] == "2026-12"
    assert len(set(listed)) == 24


def test_months_rejects_a_backwards_range() -> None:
    with pytest.raises(ValueError, match="backwards"):
        months("2025-03", "2025-02")


@pytest.mark.parametrize(
    ("text", "quarter", "end"),
    [
        ("2025-01", 1, "2025-03"),
        ("2025-02", 1, "2025-03"),
        ("2025-03", 1, "2025-03"),
        ("2025-04", 2, "2025-06"),
        ("2025-06", 2, "2025-06"),
        ("2025-07", 3, "2025-09"),
        ("2025-09", 3, "2025-09"),
        ("2025-10", 4, "2025-12"),
        ("2025-11", 4, "2025-12"),
        ("2025-12", 4, "2025-12"),
    ],
)
def test_quarter_and_its_last_month(text: str, quarter: int, end: str) -> None:
    assert quarter_of(text) == quarter
    assert quarter_end(text) == end


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("2025-01", "2024-12", "2025-02"),
        ("2025-12", "2025-11", "2026-01"),
        ("2025-06", "2025-05", "2025-07"),
    ],
)
def test_previous_and_next_period_cross_year_boundaries(text: str, before: str, after: str) -> None:
    assert previous(text) == before
    assert next_period(text) == after
    assert previous(next_period(text)) == text


def test_period_functions_reject_malformed_input() -> None:
    for function in (quarter_of, quarter_end, previous, next_period):
        with pytest.raises(ValueError):
            function("2025-13")
