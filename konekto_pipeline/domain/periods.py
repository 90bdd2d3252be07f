"""Settlement periods as "YYYY-MM" strings, the same keys as the monthly Dagster partitions.

A quarter is named by any of its months; quarter_end() gives the month a quarterly obligation
is settled for.
"""

import re

_PERIOD_PATTERN = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_MONTHS_PER_QUARTER = 3


def period(year: int, month: int) -> str:
    """Builds the "YYYY-MM" key of a month; raises ValueError for an impossible month or year."""
    return _build(year, month)


def _build(year: int, month: int) -> str:
    """Implements period(); the other functions call it because their argument is named period."""
    if not 1 <= year <= 9999:
        raise ValueError(f"Year {year!r} is outside 1-9999")
    if not 1 <= month <= 12:
        raise ValueError(f"Month {month!r} is outside 1-12")
    return f"{year:04d}-{month:02d}"


def parse_period(s: str) -> tuple[int, int]:
    """Splits a "YYYY-MM" period into (year, month); raises ValueError for anything else."""
    match = _PERIOD_PATTERN.fullmatch(s) if isinstance(s, str) else None
    if match is None:
        raise ValueError(f"Period {s!r} is not in the form YYYY-MM")

    year, month = int(match.group(1)), int(match.group(2))
    if year == 0 or not 1 <= month <= 12:
        raise ValueError(f"Period {s!r} is not a real month")
    return year, month


def _month_index(period: str) -> int:
    """Counts months since the start of year 0, so periods can be compared and stepped."""
    year, month = parse_period(period)
    return year * 12 + month - 1


def _from_month_index(index: int) -> str:
    """Inverse of _month_index."""
    year, month_zero_based = divmod(index, 12)
    return _build(year, month_zero_based + 1)


def months(from_period: str, to_period: str) -> list[str]:
    """Lists every period from from_period to to_period, both included.

    Raises:
        ValueError: a period is malformed, or to_period is before from_period.
    """
    start, end = _month_index(from_period), _month_index(to_period)
    if end < start:
        raise ValueError(f"Period range {from_period!r}..{to_period!r} runs backwards")
    return [_from_month_index(index) for index in range(start, end + 1)]


def quarter_of(period: str) -> int:
    """Returns the calendar quarter (1-4) that the period falls in."""
    _, month = parse_period(period)
    return (month - 1) // _MONTHS_PER_QUARTER + 1


def quarter_end(period: str) -> str:
    """Returns the last month of the period's quarter, e.g. "2025-11" -> "2025-12"."""
    year, _ = parse_period(period)
    return _build(year, quarter_of(period) * _MONTHS_PER_QUARTER)


def previous(period: str) -> str:
    """Returns the month before the period."""
    return _from_month_index(_month_index(period) - 1)


def next_period(period: str) -> str:
    """Returns the month after the period."""
    return _from_month_index(_month_index(period) + 1)
