"""Tests for Polish working days and payment deadlines (domain.calendar and domain.due_dates).

A deadline computed one day late is a late payment with interest for the client. The vectors are
those of tax_rules.md section 3: Easter-derived holidays 2024-2027, the new 24 December holiday,
every worked example of section 3.4, and the full list of 5th/15th/20th/25th deadlines that moved
in 2025-2026. Our own holiday table is compared with the `holidays` package so that a library
version without 24 December fails here rather than in a client's reminder.
"""

from datetime import date, timedelta

import holidays
import pytest
from dateutil.easter import easter as dateutil_easter

from konekto_pipeline.domain.calendar import (
    computed_holidays,
    easter_sunday,
    is_working_day,
    next_working_day,
)
from konekto_pipeline.domain.due_dates import (
    LEGAL_FORMS,
    OBLIGATIONS,
    due_date,
    nominal_due_date,
)
from konekto_pipeline.domain.periods import months

# (year, Easter Sunday, Easter Monday, Pentecost, Corpus Christi)
EASTER_DATES = [
    (2024, date(2024, 3, 31), date(2024, 4, 1), date(2024, 5, 19), date(2024, 5, 30)),
    (2025, date(2025, 4, 20), date(2025, 4, 21), date(2025, 6, 8), date(2025, 6, 19)),
    (2026, date(2026, 4, 5), date(2026, 4, 6), date(2026, 5, 24), date(2026, 6, 4)),
    (2027, date(2027, 3, 28), date(2027, 3, 29), date(2027, 5, 16), date(2027, 5, 27)),
]

# Worked vectors of section 3.4 that are obligations of due_date():
# (obligation, period, keyword arguments, nominal, actual)
WORKED_DUE_DATES = [
    # 20th for March 2025 falls on Easter Sunday and skips Easter Monday.
    ("PIT-5", "2025-03", {}, "2025-04-20", "2025-04-22"),
    ("PIT-5L", "2025-03", {}, "2025-04-20", "2025-04-22"),
    ("PIT-4", "2025-03", {}, "2025-04-20", "2025-04-22"),
    ("ZUS", "2025-03", {"legal_form": "other"}, "2025-04-20", "2025-04-22"),
    # ZUS for budget units (5th) for March 2026: Easter Sunday.
    ("ZUS", "2026-03", {"legal_form": "budget_unit"}, "2026-04-05", "2026-04-07"),
    # ZUS for legal persons (15th) on 15 August: Friday holiday / Saturday holiday.
    ("ZUS", "2025-07", {"legal_form": "legal_person"}, "2025-08-15", "2025-08-18"),
    ("ZUS", "2026-07", {"legal_form": "legal_person"}, "2026-08-15", "2026-08-17"),
    # VAT (25th) for November: Christmas, then the weekend.
    ("VAT-7", "2025-11", {}, "2025-12-25", "2025-12-29"),
    ("VAT-7", "2026-11", {}, "2026-12-25", "2026-12-28"),
    # VAT-7K for Q4 2025 (named by any month of the quarter) and VAT for December 2025.
    ("VAT-7K", "2025-10", {}, "2026-01-25", "2026-01-26"),
    ("VAT-7K", "2025-11", {}, "2026-01-25", "2026-01-26"),
    ("VAT-7K", "2025-12", {"quarterly": True}, "2026-01-25", "2026-01-26"),
    ("VAT-7", "2025-12", {}, "2026-01-25", "2026-01-26"),
    # PIT/CIT/ryczałt advance for December 2025 (or Q4 2025): 20 January, a Tuesday.
    ("PIT-5", "2025-12", {}, "2026-01-20", "2026-01-20"),
    ("PIT-5L", "2025-11", {"quarterly": True}, "2026-01-20", "2026-01-20"),
    ("CIT", "2025-12", {}, "2026-01-20", "2026-01-20"),
    ("CIT", "2025-10", {"quarterly": True}, "2026-01-20", "2026-01-20"),
    ("PIT-28", "2025-12", {}, "2026-01-20", "2026-01-20"),
    ("PIT-28", "2025-12", {"quarterly": True}, "2026-01-20", "2026-01-20"),
    # December 2023 advance: 20 January 2024 was a Saturday (pitax.pl gives 22 January).
    ("PIT-28", "2023-12", {}, "2024-01-20", "2024-01-22"),
    ("PIT-5", "2023-12", {}, "2024-01-20", "2024-01-22"),
    # ZUS (20th) / PIT-4 for November: 20 December on a weekend.
    ("ZUS", "2025-11", {}, "2025-12-20", "2025-12-22"),
    ("PIT-4", "2025-11", {}, "2025-12-20", "2025-12-22"),
    ("ZUS", "2026-11", {"legal_form": "other"}, "2026-12-20", "2026-12-21"),
    # VAT for April 2025: 25 May is a Sunday.
    ("VAT-7", "2025-04", {}, "2025-05-25", "2025-05-26"),
]

# Worked vectors of section 3.4 that are bare dates rather than obligations of due_date():
# two hypothetical deadlines on 24 December and the PIT-4R annual return (31 January).
WORKED_BARE_DATES = [
    ("2024-12-24", "2024-12-24"),
    ("2025-12-24", "2025-12-29"),
    ("2026-01-31", "2026-02-02"),
]

# Every 5th/15th/20th/25th of 2025-2026 that is not a working day, and where it moves to.
SHIFTED_DEADLINE_DAYS = [
    ("2025-01-05", "2025-01-07"),
    ("2025-01-25", "2025-01-27"),
    ("2025-02-15", "2025-02-17"),
    ("2025-03-15", "2025-03-17"),
    ("2025-04-05", "2025-04-07"),
    ("2025-04-20", "2025-04-22"),
    ("2025-05-25", "2025-05-26"),
    ("2025-06-15", "2025-06-16"),
    ("2025-07-05", "2025-07-07"),
    ("2025-07-20", "2025-07-21"),
    ("2025-08-15", "2025-08-18"),
    ("2025-09-20", "2025-09-22"),
    ("2025-10-05", "2025-10-06"),
    ("2025-10-25", "2025-10-27"),
    ("2025-11-15", "2025-11-17"),
    ("2025-12-20", "2025-12-22"),
    ("2025-12-25", "2025-12-29"),
    ("2026-01-25", "2026-01-26"),
    ("2026-02-15", "2026-02-16"),
    ("2026-03-15", "2026-03-16"),
    ("2026-04-05", "2026-04-07"),
    ("2026-04-25", "2026-04-27"),
    ("2026-06-20", "2026-06-22"),
    ("2026-07-05", "2026-07-06"),
    ("2026-07-25", "2026-07-27"),
    ("2026-08-15", "2026-08-17"),
    ("2026-09-05", "2026-09-07"),
    ("2026-09-20", "2026-09-21"),
    ("2026-10-25", "2026-10-26"),
    ("2026-11-15", "2026-11-16"),
    ("2026-12-05", "2026-12-07"),
    ("2026-12-20", "2026-12-21"),
    ("2026-12-25", "2026-12-28"),
]

DEADLINE_DAYS_OF_MONTH = (5, 15, 20, 25)


def _day(text: str) -> date:
    return date.fromisoformat(text)


# --- Holidays and working days ---------------------------------------------------------------


@pytest.mark.parametrize(("year", "easter", "monday", "pentecost", "corpus_christi"), EASTER_DATES)
def test_easter_derived_holidays(
    year: int, easter: date, monday: date, pentecost: date, corpus_christi: date
) -> None:
    assert easter_sunday(year) == easter

    table = computed_holidays(year)
    library = holidays.Poland(years=year)
    for holiday in (easter, monday, pentecost, corpus_christi):
        assert holiday in table
        assert holiday in library
        assert not is_working_day(holiday)


@pytest.mark.parametrize(("year", "easter", "monday", "pentecost", "corpus_christi"), EASTER_DATES)
def test_easter_derived_holidays_fall_on_their_weekdays(
    year: int, easter: date, monday: date, pentecost: date, corpus_christi: date
) -> None:
    assert easter.weekday() == 6
    assert monday.weekday() == 0
    assert pentecost.weekday() == 6
    assert corpus_christi.weekday() == 3


def test_own_computus_agrees_with_dateutil_for_four_centuries() -> None:
    mismatches = [y for y in range(1900, 2300) if easter_sunday(y) != dateutil_easter(y)]
    assert mismatches == []


@pytest.mark.parametrize("year", range(2020, 2041))
def test_own_holiday_table_equals_the_holidays_package(year: int) -> None:
    assert computed_holidays(year) == frozenset(holidays.Poland(years=year))


def test_working_days_follow_the_own_holiday_table_2020_to_2040() -> None:
    holidays_by_year = {year: computed_holidays(year) for year in range(2020, 2041)}
    day = date(2020, 1, 1)
    disagreements = []
    while day.year <= 2040:
        expected = day.weekday() < 5 and day not in holidays_by_year[day.year]
        if is_working_day(day) != expected:
            disagreements.append(day)
        day += timedelta(days=1)

    assert disagreements == []


@pytest.mark.parametrize(("year", "count"), [(2024, 13), (2025, 14), (2026, 14)])
def test_number_of_statutory_holidays_grows_to_14_in_2025(year: int, count: int) -> None:
    assert len(computed_holidays(year)) == count
    assert len(holidays.Poland(years=year)) == count


@pytest.mark.parametrize(("year", "is_holiday"), [(2023, False), (2024, False), (2025, True)])
def test_christmas_eve_is_a_holiday_only_from_2025(year: int, is_holiday: bool) -> None:
    christmas_eve = date(year, 12, 24)

    assert (christmas_eve in computed_holidays(year)) is is_holiday
    assert (christmas_eve in holidays.Poland(years=year)) is is_holiday


def test_christmas_eve_2024_tuesday_is_a_working_day_and_2025_wednesday_is_not() -> None:
    assert is_working_day(date(2024, 12, 24))
    assert not is_working_day(date(2025, 12, 24))


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2030])
def test_new_years_eve_is_not_a_holiday(year: int) -> None:
    new_years_eve = date(year, 12, 31)

    assert new_years_eve not in computed_holidays(year)
    assert new_years_eve not in holidays.Poland(years=year)
    assert is_working_day(new_years_eve) is (new_years_eve.weekday() < 5)


def test_saturday_is_not_a_working_day() -> None:
    assert not is_working_day(date(2025, 3, 15))
    assert not is_working_day(date(2025, 3, 16))
    assert is_working_day(date(2025, 3, 17))


def test_own_holiday_table_refuses_years_before_2011() -> None:
    with pytest.raises(ValueError, match="2011"):
        computed_holidays(2010)


def test_next_working_day_keeps_a_working_day() -> None:
    assert next_working_day(date(2025, 4, 22)) == date(2025, 4, 22)


@pytest.mark.parametrize(("nominal", "actual"), WORKED_BARE_DATES)
def test_worked_bare_deadlines_move_to_the_next_working_day(nominal: str, actual: str) -> None:
    assert next_working_day(_day(nominal)) == _day(actual)


@pytest.mark.parametrize(("nominal", "actual"), SHIFTED_DEADLINE_DAYS)
def test_shifted_deadline_days_2025_2026(nominal: str, actual: str) -> None:
    assert not is_working_day(_day(nominal))
    assert next_working_day(_day(nominal)) == _day(actual)


def test_every_other_deadline_day_in_2025_2026_is_already_a_working_day() -> None:
    shifted = {_day(nominal) for nominal, _ in SHIFTED_DEADLINE_DAYS}
    unchanged = [
        date(year, month, day)
        for year in (2025, 2026)
        for month in range(1, 13)
        for day in DEADLINE_DAYS_OF_MONTH
        if date(year, month, day) not in shifted
    ]

    assert len(unchanged) == 96 - len(SHIFTED_DEADLINE_DAYS)
    assert [d for d in unchanged if next_working_day(d) != d] == []


# --- Due dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(("obligation", "period", "options", "nominal", "actual"), WORKED_DUE_DATES)
def test_worked_due_dates(
    obligation: str, period: str, options: dict, nominal: str, actual: str
) -> None:
    assert nominal_due_date(obligation, period, **options) == _day(nominal)
    assert due_date(obligation, period, **options) == _day(actual)


@pytest.mark.parametrize(
    ("legal_form", "day"), [("budget_unit", 5), ("legal_person", 15), ("other", 20), (None, 20)]
)
def test_zus_day_depends_on_the_kind_of_payer(legal_form: str | None, day: int) -> None:
    assert nominal_due_date("ZUS", "2025-05", legal_form=legal_form) == date(2025, 6, day)


@pytest.mark.parametrize(
    ("obligation", "day"),
    [
        ("VAT-7", 25),
        ("PIT-4", 20),
        ("PIT-8A", 20),
        ("PIT-5", 20),
        ("PIT-5L", 20),
        ("PIT-28", 20),
        ("CIT", 20),
    ],
)
def test_monthly_tax_is_due_on_its_day_of_the_following_month(obligation: str, day: int) -> None:
    assert nominal_due_date(obligation, "2025-05") == date(2025, 6, day)
    assert nominal_due_date(obligation, "2025-12") == date(2026, 1, day)


@pytest.mark.parametrize("obligation", ["PIT-5", "PIT-5L", "PIT-28", "CIT"])
@pytest.mark.parametrize("period", ["2025-07", "2025-08", "2025-09"])
def test_quarterly_advance_is_due_on_the_20th_after_the_quarter(
    obligation: str, period: str
) -> None:
    assert nominal_due_date(obligation, period, quarterly=True) == date(2025, 10, 20)


@pytest.mark.parametrize("period", ["2025-04", "2025-05", "2025-06"])
def test_vat_7k_is_quarterly_whatever_month_names_the_quarter(period: str) -> None:
    assert nominal_due_date("VAT-7K", period) == date(2025, 7, 25)
    assert nominal_due_date("VAT-7K", period, quarterly=True) == date(2025, 7, 25)


@pytest.mark.parametrize("obligation", ["ZUS", "VAT-7", "PIT-4", "PIT-8A"])
def test_quarterly_is_refused_for_obligations_that_are_always_monthly(obligation: str) -> None:
    with pytest.raises(ValueError, match="no quarterly"):
        nominal_due_date(obligation, "2025-03", quarterly=True)


@pytest.mark.parametrize("obligation", ["VAT-8", "vat-7", "PIT-36", ""])
def test_unknown_obligation_is_named_in_the_error(obligation: str) -> None:
    with pytest.raises(ValueError, match=f"Unknown obligation {obligation!r}"):
        due_date(obligation, "2025-03")


@pytest.mark.parametrize("legal_form", ["sp_zoo", "LEGAL_PERSON", ""])
def test_unknown_legal_form_is_named_in_the_error(legal_form: str) -> None:
    with pytest.raises(ValueError, match=f"Unknown legal form {legal_form!r}"):
        due_date("ZUS", "2025-03", legal_form=legal_form)


def test_malformed_period_is_refused() -> None:
    with pytest.raises(ValueError, match="Period"):
        due_date("VAT-7", "2025-13")


@pytest.mark.parametrize("obligation", OBLIGATIONS)
@pytest.mark.parametrize("legal_form", LEGAL_FORMS)
def test_due_date_is_a_working_day_never_before_nor_long_after_the_nominal_date(
    obligation: str, legal_form: str
) -> None:
    for period in months("2020-01", "2030-12"):
        nominal = nominal_due_date(obligation, period, legal_form=legal_form)
        actual = due_date(obligation, period, legal_form=legal_form)

        assert is_working_day(actual)
        assert nominal <= actual <= nominal + timedelta(days=5)
        assert (actual == nominal) is is_working_day(nominal)
