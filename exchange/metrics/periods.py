"""Reporting periods: months counted as one integer, and the months, quarters and years built from them.

A month is ``year * 12 + month - 1`` (January 2025 is 24300), so a quarter is ``month // 3`` and a year
``month // 12`` in SQL as in Python, on SQLite and PostgreSQL alike. Quarters and years are calendar ones,
as in the MoJ's Family Court Statistics Quarterly.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_end(month: int) -> date:
    year, number = month // 12, month % 12 + 1
    return date(year, number, calendar.monthrange(year, number)[1])


def parse_month(text: str) -> int:
    """``2025-01`` -> its month number; ValueError for anything else."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValueError("expected a month such as 2025-01")
    return int(match[1]) * 12 + int(match[2]) - 1


def format_month(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


@dataclass(frozen=True, order=True)
class Period:
    """One month, quarter or year: ``key`` is the month number divided by the months it spans."""

    kind: PeriodKind
    key: int

    @property
    def first_month(self) -> int:
        return self.key * MONTHS_IN[self.kind]

    @property
    def last_month(self) -> int:
        return self.first_month + MONTHS_IN[self.kind] - 1

    @property
    def end(self) -> date:
        return month_end(self.last_month)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return format_month(self.key)
        if self.kind == "quarter":
            return f"{self.key // 4:04d}Q{self.key % 4 + 1}"
        return f"{self.key:04d}"

    def shifted(self, periods: int) -> Period:
        return Period(self.kind, self.key + periods)

    def __str__(self) -> str:
        return self.label


def period_of(kind: PeriodKind, month: int) -> Period:
    return Period(kind, month // MONTHS_IN[kind])


def parse_quarter(text: str) -> Period:
    """``2025Q2`` -> that quarter; ValueError for anything else."""
    match = _QUARTER.fullmatch(text)
    if match is None:
        raise ValueError("expected a quarter such as 2025Q2")
    return Period("quarter", int(match[1]) * 4 + int(match[2]) - 1)


def periods_between(kind: PeriodKind, first_month: int, last_month: int) -> list[Period]:
    """Every period of ``kind`` that holds a month from ``first_month`` to ``last_month`` (inclusive)."""
    first, last = period_of(kind, first_month), period_of(kind, last_month)
    return [Period(kind, key) for key in range(first.key, last.key + 1)]
