"""The attacker of ``tests.metrics.attacker`` against the whole publication of the demo's data: everything a
national board can download (every area and national, every measure, months, quarters and years).

At 8% of the national volume (the demo's default scale) over one year of cases in ``make test`` (three
years take minutes on a shared machine); at 100% over one year in the ``slow`` run
(``pytest -m slow tests/metrics/test_attacker.py``), run by hand: its result is in docs/metrics.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from exchange.db import db
from exchange.metrics import aggregates, disclosure, publication
from exchange.metrics.measures import MEASURES, scopes
from exchange.metrics.periods import MONTHS_IN, Period, format_month, period_of
from tests.metrics import national
from tests.metrics.attacker import HIDDEN, Attack
from tests.metrics.conftest import REFERENCE

TODAY = date(2025, 7, 1)
FLOWS = ("care_cases_started", "care_cases_disposed", "care_children_started", "private_cases_started")


def download(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every cell of the publication, as the national board pulls it (at most 60 periods a request)."""
    state = publication.current(db.session)
    cells = []
    for kind in MONTHS_IN:
        first = period_of(kind, state.first_month)
        last = period_of(kind, state.last_month)
        for start in range(first.key, last.key + 1, 60):
            end = min(start + 59, last.key)
            query = {
                "period": kind,
                "from": format_month(Period(kind, start).first_month),
                "to": format_month(Period(kind, end).last_month),
            }
            response = client.get("/v1/metrics", query_string=query, headers=headers)
            assert response.status_code == 200, response.get_json()
            cells += response.get_json()["cells"]
    return cells


def published_demo(scale: float, years: int) -> None:
    national.load(db.session, REFERENCE, seed=1, years=years, today=TODAY, scale=scale)
    publication.publish(db.session, REFERENCE, TODAY)


def known_attacks(cells: list[dict[str, Any]]) -> list[str]:
    """The differencing attacks the reviews used, written out on their own."""
    by = {(c["measure"], c["category"], c["area"], c["period"]): c["value"] for c in cells}
    found = []
    areas = {c["area"] for c in cells}
    for (measure, category, area, label), value in by.items():
        if value != HIDDEN or measure not in FLOWS:
            continue
        # a year minus its other three quarters; a quarter minus its other two months
        if len(label) == 6:  # a quarter: 2025Q1
            year = label[:4]
            others = [by.get((measure, category, area, f"{year}Q{q}")) for q in range(1, 5)]
            if isinstance(by.get((measure, category, area, year)), int) and others.count(HIDDEN) == 1:
                found.append(f"{measure} {area} {label}: year minus quarters")
        if len(label) == 7:  # a month: 2025-01
            first = (int(label[5:]) - 1) // 3 * 3
            months = [by.get((measure, category, area, f"{label[:4]}-{first + k + 1:02d}")) for k in range(3)]
            quarter = f"{label[:4]}Q{first // 3 + 1}"
            if isinstance(by.get((measure, category, area, quarter)), int) and months.count(HIDDEN) == 1:
                found.append(f"{measure} {area} {label}: quarter minus months")
        # national minus the other areas (where each is published: an area's months are not)
        period_cells = [by.get((measure, category, a, label)) for a in areas]
        if period_cells.count(HIDDEN) == 1 and None not in period_cells:
            found.append(f"{measure} {area} {label}: national minus areas")
    # open at the end of the previous quarter + started - open at the end = disposed, within one answer
    for (measure, _, area, label), value in by.items():
        if measure == "care_cases_disposed" and value == HIDDEN and len(label) == 6:
            key = int(label[:4]) * 4 + int(label[5]) - 1
            previous = Period("quarter", key - 1).label
            shown = [
                by.get(("care_open_cases", None, area, previous)),
                by.get(("care_cases_started", None, area, label)),
                by.get(("care_open_cases", None, area, label)),
            ]
            if None not in shown and HIDDEN not in shown:
                found.append(f"disposed {area} {label}: stock-flow")
    return found


def national_care_quarters(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The national care cases issued in the four quarters of the data's year (July 2024 to June 2025).

    The months before the window hold only the few older cases still open, so their national flows are
    1-5 and the stocks between them hidden; the stock chain that protects them must not reach into the
    window's quarters."""
    quarters = ("2024Q3", "2024Q4", "2025Q1", "2025Q2")
    return {
        c["period"]: c["value"]
        for c in cells
        if c["measure"] == "care_cases_started" and c["area"] == "national" and c["period"] in quarters
    }


def areas() -> list[str]:
    return [s for s in scopes(REFERENCE) if s != "national"]


def test_no_hidden_cell_is_determined_at_8_percent(client, make_partner, auth_headers):
    published_demo(0.08, 1)
    cells = download(client, auth_headers(make_partner("fjb")))
    statuses = defaultdict(int)
    for c in cells:
        statuses[c["status"]] += 1
    assert statuses["suppressed"] > 100 and statuses["published"] > statuses["suppressed"]
    # the data attacked holds care cases, and protection does not hide the national quarters
    care = national_care_quarters(cells)
    assert len(care) == 4 and all(isinstance(n, int) and n > 100 for n in care.values()), care
    assert not any(
        isinstance(c["value"], int) and 1 <= c["value"] <= 5 and MEASURES[c["measure"]].kind == "count"
        for c in cells
    )
    assert known_attacks(cells) == []
    assert Attack(cells, areas()).leaks() == []


def test_the_attacker_breaks_primary_suppression_alone(client, make_partner, auth_headers, monkeypatch):
    """Without secondary suppression the same attacker recovers hidden counts: it is not toothless."""
    monkeypatch.setattr(
        disclosure,
        "protection",
        lambda table, previous: disclosure.Protection(
            disclosure.primary(table), set(), {}, disclosure.Answers(), set()
        ),
    )
    published_demo(0.08, 1)
    cells = download(client, auth_headers(make_partner("fjb")))
    assert known_attacks(cells)
    leaks = Attack(cells, areas()).leaks()
    assert len(leaks) > 50
    # what it recovers are whole numbers, and the counts hidden by the primary rule come out as 1-5
    assert all(abs(round(v) - v) < 1e-6 for _, v in leaks)
    counts = [round(v) for q, v in leaks if q[0].split(":")[0] in MEASURES]
    assert counts and all(1 <= n <= 5 for n in counts)


def test_an_update_after_changed_cases_solves_only_around_them_and_leaks_nothing(
    client, make_partner, auth_headers
):
    rows, totals, facts = [], Counter(), []
    for row, fact in national.synthetic(REFERENCE, 1, 1, TODAY, 0.08):
        rows.append(row)
        facts.append(fact)
        totals.update(aggregates.contributions(fact))
    national.store(db.session, REFERENCE, rows, totals)
    publication.publish(db.session, REFERENCE, TODAY)
    scratch = publication.last_protection(db.session)
    publication.publish(db.session, REFERENCE, TODAY)  # nothing changed: nothing solved, nothing tested
    again = publication.last_protection(db.session)
    assert (again.kept, again.solved, again.audited) == (scratch.kept, set(), 0)
    # twenty cases are disposed of, and closed, a month later (their pre-aggregates change, as the case
    # store's would; no case leaves the open stock without a disposal, as the attacker takes)
    month = timedelta(days=30)
    moved = [f for f in facts if f.disposed and f.ended and f.ended < TODAY - 2 * month]
    deltas: Counter = Counter()
    for fact in moved[:20]:
        later = replace(fact, disposed=fact.disposed + month, ended=fact.ended + month)
        deltas.update(aggregates.contributions(later))
        deltas.subtract(aggregates.contributions(fact))
    aggregates.add_counts(db.session.connection(), deltas)
    db.session.commit()
    publication.publish(db.session, REFERENCE, TODAY)
    update = publication.last_protection(db.session)
    assert 0 < len(update.solved) < len(scratch.solved) / 4
    assert 0 < update.audited < scratch.audited
    # every cell hidden before and shown now was in a block solved again; the others kept their pattern
    shown_again = {name for name in scratch.kept - update.kept if name in update.pattern}
    assert shown_again <= update.solved
    cells = download(client, auth_headers(make_partner("fjb")))
    assert known_attacks(cells) == []
    assert Attack(cells, areas()).leaks() == []


@pytest.mark.slow
def test_no_hidden_cell_is_determined_at_full_scale(client, make_partner, auth_headers):
    published_demo(1.0, 1)
    cells = download(client, auth_headers(make_partner("fjb")))
    care = national_care_quarters(cells)
    assert len(care) == 4 and all(isinstance(n, int) and n > 1000 for n in care.values()), care
    assert known_attacks(cells) == []
    assert Attack(cells, areas()).leaks() == []
