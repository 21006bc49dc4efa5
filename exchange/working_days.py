"""Working-day arithmetic for due dates: Monday to Friday, less the England and Wales bank holidays.

Every function takes the holidays: the reference data's ``BankHolidays`` (``reference.bank_holidays``),
where a date outside the years it covers raises ``HolidaysUnknown`` rather than silently counting an
unknown bank holiday as a working day, or a plain set of dates (no coverage check is then made).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, timedelta

from exchange.reference import BankHolidays

ONE_DAY = timedelta(days=1)


class HolidaysUnknown(ValueError):
    """The shipped bank holidays do not cover this date's year; an operator must extend the list."""


Holidays = BankHolidays | Set[date]


def _holidays_for(day: date, holidays: Holidays) -> Set[date]:
    if not isinstance(holidays, BankHolidays):
        return holidays
    if day.year not in holidays.years:
        raise HolidaysUnknown(f"bank holidays are not known for {day.year}")
    return holidays.dates


def is_working_day(day: date, holidays: Holidays) -> bool:
    """True for a weekday that is not a bank holiday."""
    return day.weekday() < 5 and day not in _holidays_for(day, holidays)


def add_working_days(start: date, n: int, holidays: Holidays) -> date:
    """The date ``n`` working days after ``start`` (before it when ``n`` is negative).

    ``start`` itself is never counted and need not be a working day: one working day after a Saturday is
    the Monday; ``add_working_days(hearing, -3)`` is the third working day before the hearing. ``n == 0``
    returns ``start``.
    """
    step = ONE_DAY if n >= 0 else -ONE_DAY
    day = start
    for _ in range(abs(n)):
        day += step
        while not is_working_day(day, holidays):
            day += step
    return day


def working_days_between(start: date, end: date, holidays: Holidays) -> int:
    """The working days passed going from ``start`` to ``end``: ``end`` counts, ``start`` does not.

    Negative when ``end`` is earlier. The inverse of ``add_working_days`` for a working-day ``end``:
    ``add_working_days(start, working_days_between(start, end)) == end``.
    """
    step, sign = (ONE_DAY, 1) if end >= start else (-ONE_DAY, -1)
    count = 0
    day = start
    while day != end:
        day += step
        count += is_working_day(day, holidays)
    return sign * count
