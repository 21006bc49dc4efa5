"""What many SSDA903 rules share: code sets named by DfE, and rules made from one line of data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache

from adapters.ssda903 import columns
from adapters.ssda903_rules.engine import ALIASES, Hit, Invalid, Return, rule

TEMPORARY = frozenset({"T0", "T1", "T2", "T3", "T4"})
ADOPTION_PLACEMENTS = frozenset({"A3", "A4", "A5", "A6"})
ADOPTED = frozenset({"E11", "E12"})
RESPITE = frozenset({"V3", "V4"})
#: reasons for a new episode that continue the period of care (all but S, started to be looked after)
CONTINUATION = frozenset({"L", "P", "B", "T", "U"})
#: the day freeing orders gave way to placement orders (Adoption and Children Act 2002)
FREEING_ENDED = date(2005, 12, 30)
ADAPTER_NAMES = {ours: theirs for theirs, ours in ALIASES.items()}


@cache
def codes(table: str, column: str, year: int) -> frozenset[str]:
    """The codes of ``column`` valid in ``year``, from the SSDA903 adapter's lists (sex also as M/F)."""
    found = columns(ADAPTER_NAMES.get(table, table), year)[column].codes or frozenset()
    return found | {"M", "F"} if column == "SEX" else found


def code_rule(code: str, table: str, column: str, *, required: bool) -> None:
    """Register rule ``code``: ``column`` of ``table`` holds no code of its list (or blank, when required)."""

    @rule(code)
    def check(ret: Return) -> Iterator[Hit]:
        valid = codes(table, column, ret.year)
        for row in ret.rows(table):
            value = row.get(column)
            if (value is None and required) or (value is not None and str(value) not in valid):
                yield Hit(row, column)


def date_rule(code: str, table: str, column: str, *, required: bool) -> None:
    """Register rule ``code``: ``column`` of ``table`` is no date (or is blank when required)."""

    @rule(code)
    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows(table):
            value = row.get(column)
            if isinstance(value, Invalid) or (value is None and required):
                yield Hit(row, column)
