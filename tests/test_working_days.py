"""Working days across weekends, Easter, Christmas, year ends and the one-off bank holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from exchange import reference
from exchange.working_days import HolidaysUnknown, add_working_days, is_working_day, working_days_between

HOLIDAYS = reference.load().bank_holidays  # the shipped list, 2015-2030


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 4, 17), True),  # Thursday before Easter
        (date(2025, 4, 18), False),  # Good Friday
        (date(2025, 4, 21), False),  # Easter Monday
        (date(2020, 5, 4), True),  # the usual early May Monday, moved to VE day in 2020
        (date(2020, 5, 8), False),  # VE day 75
        (date(2022, 5, 30), True),  # the usual spring Monday, moved for the jubilee
        (date(2022, 6, 3), False),  # Platinum Jubilee
        (date(2022, 9, 19), False),  # State Funeral
        (date(2023, 5, 8), False),  # coronation
        (date(2022, 12, 27), False),  # substitute for Christmas Day on a Sunday
        (date(2025, 12, 27), False),  # a Saturday
        (date(2025, 12, 29), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day, HOLIDAYS) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 4, 17), 1, date(2025, 4, 22)),  # over Easter
        (date(2025, 12, 24), 1, date(2025, 12, 29)),  # over Christmas and a weekend
        (date(2022, 6, 1), 1, date(2022, 6, 6)),  # over the jubilee
        (date(2021, 12, 24), 1, date(2021, 12, 29)),  # Christmas on a Saturday: two substitute days
        (date(2022, 12, 30), 1, date(2023, 1, 3)),  # into a year whose New Year's Day is a Sunday
        (date(2024, 12, 31), 2, date(2025, 1, 3)),
        (date(2025, 6, 6), 1, date(2025, 6, 9)),  # Friday to Monday
        (date(2025, 6, 7), 1, date(2025, 6, 9)),  # from a Saturday: Monday is the first working day
        (date(2025, 6, 2), 10, date(2025, 6, 16)),
        (date(2025, 6, 7), 0, date(2025, 6, 7)),
    ],
)
def test_add_working_days_forward(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, HOLIDAYS) == expected


@pytest.mark.parametrize(
    ("hearing", "letter_due"),
    [
        (date(2025, 6, 12), date(2025, 6, 9)),  # Thursday: the Monday before
        (date(2025, 6, 9), date(2025, 6, 4)),  # Monday: the Wednesday before
        (date(2025, 4, 22), date(2025, 4, 15)),  # after Easter
        (date(2022, 6, 6), date(2022, 5, 30)),  # after the jubilee
        (date(2025, 12, 30), date(2025, 12, 23)),  # back over Christmas
        (date(2026, 1, 5), date(2025, 12, 30)),  # back over New Year's Day and the year end
    ],
)
def test_three_working_days_before_a_hearing(hearing: date, letter_due: date) -> None:
    assert add_working_days(hearing, -3, HOLIDAYS) == letter_due


def test_backwards_from_a_weekend() -> None:
    assert add_working_days(date(2025, 6, 7), -1, HOLIDAYS) == date(2025, 6, 6)


def test_working_days_between() -> None:
    assert working_days_between(date(2025, 12, 24), date(2025, 12, 29), HOLIDAYS) == 1
    assert (
        working_days_between(date(2025, 12, 29), date(2025, 12, 24), HOLIDAYS) == -1
    )  # the 24th counts, the 29th does not
    assert working_days_between(date(2025, 6, 2), date(2025, 6, 2), HOLIDAYS) == 0
    # 261 weekdays less 8 holidays
    assert working_days_between(date(2025, 1, 1), date(2026, 1, 1), HOLIDAYS) == 253


def test_between_inverts_add_in_both_directions() -> None:
    for offset in range(0, 40):
        start = date(2022, 5, 20) + timedelta(days=offset)  # round the jubilee, weekends included
        for n in range(-8, 9):
            assert working_days_between(start, add_working_days(start, n, HOLIDAYS), HOLIDAYS) == n


def test_dates_beyond_the_shipped_holidays_are_refused() -> None:
    with pytest.raises(HolidaysUnknown):
        is_working_day(date(2031, 1, 2), HOLIDAYS)
    with pytest.raises(HolidaysUnknown):
        add_working_days(date(2030, 12, 30), 5, HOLIDAYS)


def test_explicit_holidays_replace_the_shipped_list() -> None:
    assert add_working_days(date(2031, 1, 2), 1, holidays=frozenset({date(2031, 1, 3)})) == date(2031, 1, 6)
    assert is_working_day(date(2025, 12, 25), holidays=frozenset())
