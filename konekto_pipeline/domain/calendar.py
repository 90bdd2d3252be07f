"""Polish working days, for moving tax and ZUS deadlines off weekends and holidays.

A deadline on a Saturday, Sunday or statutory holiday moves to the next day that is none of
them (art. 12 par. 5 Ordynacja podatkowa; ZUS follows the same rule). Saturdays are not
holidays, but count as non-working for deadlines.

The holidays come from the `holidays` package. computed_holidays() is our own small table of the
same days; a test compares the two, so a library version without 24 December (a holiday only
from 2025) is caught.
"""

import functools
from datetime import date, timedelta

import holidays

_SATURDAY = 5

# Fixed-date statutory holidays (ustawa z 18 stycznia 1951 o dniach wolnych od pracy, as amended).
_FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),  # New Year
    (1, 6),  # Epiphany
    (5, 1),  # Labour Day
    (5, 3),  # Constitution Day
    (8, 15),  # Assumption
    (11, 1),  # All Saints
    (11, 11),  # Independence Day
    (12, 24),  # Christmas Eve
    (12, 25),  # Christmas
    (12, 26),  # Second day of Christmas
)

# Fixed holidays added after the table's first year, with the first year they apply. Christmas
# Eve was added by the act of 6 December 2024 (in force 1 February 2025).
_FIRST_YEAR_OF_HOLIDAY: dict[tuple[int, int], int] = {(12, 24): 2025}

# Days after Easter Sunday: Easter Sunday itself, Easter Monday, Pentecost, Corpus Christi.
_EASTER_OFFSETS: tuple[int, ...] = (0, 1, 49, 60)

# Epiphany became a holiday again in 2011; the own table does not describe earlier years.
_FIRST_COMPUTED_YEAR = 2011


@functools.cache
def _holidays_in(year: int) -> frozenset[date]:
    """Polish statutory holidays of one year, from the `holidays` package, cached per year."""
    return frozenset(holidays.Poland(years=year).keys())


def is_working_day(d: date) -> bool:
    """True unless d is a Saturday, a Sunday or a Polish statutory holiday."""
    return d.weekday() < _SATURDAY and d not in _holidays_in(d.year)


def next_working_day(d: date) -> date:
    """Returns d if it is a working day, otherwise the first working day after it."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def easter_sunday(year: int) -> date:
    """Returns Easter Sunday of a Gregorian year (anonymous Gregorian computus)."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    lunar_correction = (century + 8) // 25
    solar_correction = (century - lunar_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - solar_correction + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday_offset = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    month_correction = (golden + 11 * epact + 22 * weekday_offset) // 451
    month, day = divmod(epact + weekday_offset - 7 * month_correction + 114, 31)
    return date(year, month, day + 1)


def computed_holidays(year: int) -> frozenset[date]:
    """Our own list of Polish statutory holidays in a year (from 2011), to cross-check `holidays`.

    Raises:
        ValueError: for years before 2011, whose list was different.
    """
    if year < _FIRST_COMPUTED_YEAR:
        raise ValueError(f"The own holiday table starts in {_FIRST_COMPUTED_YEAR}, not {year}")

    fixed = {
        date(year, month, day)
        for month, day in _FIXED_HOLIDAYS
        if year >= _FIRST_YEAR_OF_HOLIDAY.get((month, day), _FIRST_COMPUTED_YEAR)
    }
    easter = easter_sunday(year)
    movable = {easter + timedelta(days=offset) for offset in _EASTER_OFFSETS}
    return frozenset(fixed | movable)
