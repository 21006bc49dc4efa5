"""``_stock_changes`` looks only at the months where a case's stock states may change: it yields what a
walk over every month from issue to leaving (or to the states' settling) yields."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from exchange.metrics.aggregates import (
    PLO_MILESTONES,
    CaseFacts,
    _open_states,
    _stock_changes,
)
from exchange.metrics.periods import month_of

AREAS = ("North", "South", "West", "")


def month_by_month(facts: CaseFacts) -> list[tuple[int, str, str, str, int]]:
    """The stock changes by their definition: every month's states from issue on, each against the month
    before's, until the case leaves (all its states then go; one that left before it was issued was never
    open) or, open, for six years (well past the last change a drawn case can have)."""
    assert facts.issued is not None
    leaves = month_of(facts.left) if facts.left else None
    changes = []
    before: set[tuple[str, str, str]] = set()
    for month in range(month_of(facts.issued), month_of(facts.issued) + 6 * 12):
        if leaves is not None and month >= leaves:
            return changes + [(month, *state, -1) for state in before]
        now = _open_states(facts, month)
        changes += [(month, *state, -1) for state in before - now]
        changes += [(month, *state, 1) for state in now - before]
        before = now
    assert leaves is None, "left after the walk's end"
    return changes


def some_facts(rng: random.Random) -> CaseFacts:
    """A public-law case issued on any day of 2020-2024: disposed, ended, both or neither (on any day from
    a month before issue to over four years after), PLO hearings held or not, up to four transfers."""
    issued = date(2020, 1, 1) + timedelta(days=rng.randrange(5 * 366))

    def later(upto: int) -> date | None:
        return issued + timedelta(days=rng.randrange(-31, upto)) if rng.random() < 0.6 else None

    moves = sorted(
        (issued + timedelta(days=rng.randrange(-40, 1500)), rng.choice(AREAS))
        for _ in range(rng.choice((0, 0, 1, 2, 4)))
    )
    return CaseFacts(
        area=rng.choice(AREAS),
        law="public",
        issued=issued,
        disposed=later(1600),
        children=1,
        hearings_taken_place=0,
        plo_hearings=tuple(later(400) for _ in PLO_MILESTONES),
        final_order=None,
        vacated=(),
        ended=later(1600),
        moves=tuple(moves),
    )


def test_stock_changes_are_those_of_a_month_by_month_walk():
    rng = random.Random(20261203)
    seen = Counter()
    for _ in range(4000):
        facts = some_facts(rng)
        expected = sorted(month_by_month(facts))
        assert sorted(_stock_changes(facts)) == expected, facts
        seen["moved" if facts.moves else "unmoved"] += 1
        seen["left" if facts.left else "open"] += 1
        seen["changes"] += bool(expected)
    # the draws cover transferred and untransferred, closed and still open cases, most with changes
    assert min(seen.values()) > 400
