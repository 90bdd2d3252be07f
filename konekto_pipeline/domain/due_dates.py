"""Payment deadlines of the obligations the office settles for its clients.

Each obligation is due on a fixed day of the month after the period it settles (for quarterly
settlement: the month after the quarter). The day-of-month rules are the tables below, so a
change in law is a one-line edit. The due date then moves forward past weekends and Polish
holidays (see calendar.py).

Known shortcomings, stated here because this is where they bite:
- A tax year is assumed to be the calendar year. For a CIT payer with a different tax year the
  last advance is due on the 20th of the first month of the next tax year, which this module
  does not compute; it returns the ordinary monthly/quarterly date.
- An advance for December / Q4 (PIT-5, PIT-5L, PIT-28, CIT) is not due at all if the annual
  return is filed and the tax paid before 20 January. That depends on the client's annual
  return and is not modelled: the date is always returned.
- The Ministry of Finance can extend deadlines by regulation (as it did in 2020 for PIT-4 and
  PIT-8A); there is no per-client or per-period override here.
"""

from datetime import date

from konekto_pipeline.domain.calendar import next_working_day
from konekto_pipeline.domain.periods import next_period, parse_period, quarter_end

OBLIGATIONS = ("ZUS", "VAT-7", "VAT-7K", "PIT-4", "PIT-5", "PIT-5L", "PIT-8A", "PIT-28", "CIT")
LEGAL_FORMS = ("budget_unit", "legal_person", "other")

# ZUS day of the following month by kind of payer (art. 47 ust. 1 ustawy o systemie
# ubezpieczeń społecznych, in force since 2022). "other" covers sole traders, with or without
# staff, and partnerships without legal personality (s.c., sp. j., sp. k.).
_ZUS_DUE_DAY: dict[str, int] = {
    "budget_unit": 5,
    "legal_person": 15,
    "other": 20,
}

# Day of the month after the period (or after the quarter) for the tax obligations.
_TAX_DUE_DAY: dict[str, int] = {
    "VAT-7": 25,  # JPK_V7M, art. 103 ust. 1 ustawy o VAT
    "VAT-7K": 25,  # JPK_V7K, art. 103 ust. 2 ustawy o VAT
    "PIT-4": 20,  # tax withheld by the payer, art. 38 ust. 1 ustawy o PIT
    "PIT-8A": 20,  # flat-rate tax withheld, art. 42 ust. 1 ustawy o PIT
    "PIT-5": 20,  # PIT-36 business advance, art. 44 ust. 6 ustawy o PIT
    "PIT-5L": 20,  # PIT-36L (flat 19%) business advance, same article
    "PIT-28": 20,  # ryczałt, art. 21 ust. 1 ustawy o zryczałtowanym podatku dochodowym
    "CIT": 20,  # CIT advance, art. 25 ust. 1 ustawy o CIT
}

# How often each obligation may be settled. VAT-7K is quarterly by definition; the payer taxes
# (PIT-4, PIT-8A), ZUS and monthly VAT have no quarterly option.
_MONTHLY_ONLY = frozenset({"ZUS", "VAT-7", "PIT-4", "PIT-8A"})
_QUARTERLY_ONLY = frozenset({"VAT-7K"})

# The advance for the last month or quarter of the tax year, as (month, day) of the next year.
# With calendar tax years this is exactly what the general rule gives (the 20th of the month
# after December); it is written out because the statutes state it separately and it is the
# first thing to change if they do. For PIT-28 the 20 January date applies from the 2023 tax
# year; one undated statute copy still says "by the annual return deadline" - to be checked in
# the ISAP consolidated text.
_LAST_PERIOD_DUE: dict[str, tuple[int, int]] = {
    "PIT-5": (1, 20),
    "PIT-5L": (1, 20),
    "PIT-28": (1, 20),
    "CIT": (1, 20),
}


def _due_day_of_month(obligation: str, legal_form: str | None) -> int:
    """Looks up the nominal day of month; raises ValueError for unknown names."""
    if obligation != "ZUS" and obligation not in _TAX_DUE_DAY:
        raise ValueError(f"Unknown obligation {obligation!r}; expected one of {OBLIGATIONS}")

    form = "other" if legal_form is None else legal_form
    if form not in _ZUS_DUE_DAY:
        raise ValueError(f"Unknown legal form {legal_form!r}; expected one of {LEGAL_FORMS}")

    return _ZUS_DUE_DAY[form] if obligation == "ZUS" else _TAX_DUE_DAY[obligation]


def _settled_through(obligation: str, period: str, quarterly: bool) -> str:
    """Returns the last month the payment covers: the period itself or the end of its quarter."""
    if obligation in _QUARTERLY_ONLY:
        return quarter_end(period)
    if quarterly and obligation in _MONTHLY_ONLY:
        raise ValueError(f"Obligation {obligation!r} has no quarterly settlement")
    return quarter_end(period) if quarterly else period


def nominal_due_date(
    obligation: str,
    period: str,
    *,
    legal_form: str | None = None,
    quarterly: bool = False,
) -> date:
    """Returns the statutory due date before moving it off weekends and holidays.

    Args:
        obligation: one of OBLIGATIONS.
        period: the settled month "YYYY-MM"; for quarterly settlement any month of the quarter.
        legal_form: for ZUS only, one of LEGAL_FORMS; None means "other".
        quarterly: the client settles this obligation quarterly (VAT-7K always is).

    Raises:
        ValueError: unknown obligation or legal form, a malformed period, or quarterly=True for
            an obligation that is always monthly.
    """
    day = _due_day_of_month(obligation, legal_form)
    last_month = _settled_through(obligation, period, quarterly)

    year, month = parse_period(last_month)
    if month == 12 and obligation in _LAST_PERIOD_DUE:
        due_month, due_day = _LAST_PERIOD_DUE[obligation]
        return date(year + 1, due_month, due_day)

    due_year, due_month = parse_period(next_period(last_month))
    return date(due_year, due_month, day)


def due_date(
    obligation: str,
    period: str,
    *,
    legal_form: str | None = None,
    quarterly: bool = False,
) -> date:
    """Returns the real payment deadline: the nominal date moved to the next working day.

    Takes the same arguments and raises the same errors as nominal_due_date().
    """
    nominal = nominal_due_date(obligation, period, legal_form=legal_form, quarterly=quarterly)
    return next_working_day(nominal)
