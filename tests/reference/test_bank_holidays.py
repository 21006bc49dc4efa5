"""The shipped England and Wales bank holidays."""

from __future__ import annotations

from collections import Counter
from datetime import date

from tests.reference.conftest import SHIPPED


def test_eight_a_year_plus_the_one_off_days() -> None:
    holidays = SHIPPED.bank_holidays.dates
    per_year = Counter(d.year for d in holidays)
    assert set(per_year) == set(SHIPPED.bank_holidays.years) == set(range(2015, 2031))
    extra = {2022: 2, 2023: 1}  # jubilee and state funeral; coronation
    assert all(per_year[y] == 8 + extra.get(y, 0) for y in per_year)
    assert {
        date(2020, 5, 8),
        date(2022, 6, 2),
        date(2022, 6, 3),
        date(2022, 9, 19),
        date(2023, 5, 8),
    } <= holidays
    assert date(2020, 5, 4) not in holidays and date(2022, 5, 30) not in holidays


def test_weekend_holidays_are_replaced_by_substitute_days() -> None:
    holidays = SHIPPED.bank_holidays.dates
    assert all(d.weekday() < 5 for d in holidays)
    assert {date(2021, 12, 27), date(2021, 12, 28), date(2022, 1, 3), date(2016, 12, 27)} <= holidays


def test_easter_follows_the_calendar() -> None:
    good_fridays = {date(2024, 3, 29), date(2025, 4, 18), date(2026, 4, 3), date(2030, 4, 19)}
    assert good_fridays <= SHIPPED.bank_holidays.dates
