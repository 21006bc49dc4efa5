"""The pre-aggregates stay exact on every write: after changes and deletions they equal a rebuild."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from exchange import reference
from exchange.db import db
from exchange.metrics.aggregates import rebuild
from exchange.models import CaseChild
from exchange.models.metrics import MetricCount
from tests.metrics.conftest import WEST


def counts() -> dict[tuple, tuple[int, int]]:
    rows = db.session.execute(select(MetricCount)).scalars()
    return {
        (r.scope, r.law, r.measure, r.month, r.category, r.weeks): (r.n, r.total)
        for r in rows
        if r.n or r.total
    }


def test_changes_and_deletions_keep_the_counts_exact(add_case):
    open_case = add_case(date(2023, 1, 10), hearings=(("CASE_MANAGEMENT", date(2023, 2, 20), "held"),))
    moved = add_case(date(2024, 2, 1), date(2024, 9, 1))
    gone = add_case(date(2024, 3, 1), date(2024, 10, 1), children=3)
    add_case(date(2024, 3, 1), law="private")
    before = counts()
    # the open case is disposed; another moves court (and DFJ area); a third is deleted
    open_case.first_disposal_date = date(2025, 2, 3)
    open_case.children = [CaseChild(la_child_id="C0", outcome="FINAL_ORDER", outcome_date=date(2025, 2, 3))]
    moved.court, moved.dfj_area = WEST, reference.load().courts[WEST].dfj_area
    db.session.delete(gone)
    db.session.commit()
    incremental = counts()
    assert incremental != before
    rebuild(db.session)
    db.session.commit()
    assert counts() == incremental
    # nothing left over for the deleted case
    assert not any(k[2] == "started" and k[3] == 2024 * 12 + 2 and k[1] == "public" for k in incremental)
