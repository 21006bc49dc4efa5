"""Disclosure control end to end through the API: no published count of 1-5, no hidden cell recoverable
from the totals of the same answer, rates withheld below a denominator of 10, the same cell hidden the
same way whoever asks."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from exchange.metrics.measures import MEASURES
from tests.metrics.conftest import publish

COURTS = ("115", "117", "121", "127", "123", "185")  # six DFJ areas, small and large
QUERY = {"from": "2024-01", "to": "2025-03", "period": "quarter"}
HIDDEN = "c"


@pytest.fixture
def mixed_cases(add_case):
    rng = random.Random(4)
    weights = (40, 3, 12, 2, 25, 6)
    for _ in range(320):
        court = rng.choices(COURTS, weights)[0]
        issued = date(2023, 6, 1) + timedelta(days=rng.randrange(640))
        days = int(rng.lognormvariate(5.5, 0.45))
        disposed = issued + timedelta(days=days)
        vacated = (("FINAL", issued + timedelta(days=30), "vacated", rng.choice(("Cafcass", "HMCTS"))),)
        add_case(
            issued,
            disposed if disposed < date(2025, 3, 31) else None,
            court=court,
            children=rng.choice((1, 1, 2, 3)),
            hearings=vacated if rng.random() < 0.4 else (),
        )
    publish()


def _pull(client, headers, **extra):
    response = client.get("/v1/metrics", query_string={**QUERY, **extra}, headers=headers)
    assert response.status_code == 200
    return response.get_json()["cells"]


def test_suppression_end_to_end(client, make_partner, auth_headers, mixed_cases):
    cells = _pull(client, auth_headers(make_partner("fjb")))
    kinds = {name: m.kind for name, m in MEASURES.items()}
    assert any(c["status"] == "suppressed" for c in cells) and any(c["status"] == "withheld" for c in cells)
    for c in cells:
        shown = [c["value"]] if kinds[c["measure"]] == "count" else [c["numerator"], c["denominator"]]
        for n in shown:
            assert not (isinstance(n, int) and 1 <= n <= 5), c
        if kinds[c["measure"]] != "count" and c["status"] == "published":
            assert c["denominator"] >= 10, c
        if c["status"] == "withheld":
            assert c["value"] == HIDDEN
            assert c["denominator"] == HIDDEN or c["denominator"] < 10 or c["numerator"] == HIDDEN
    # margins of one answer: the areas of a count add up to national; the age bands to the open cases
    margins: dict[tuple, list] = defaultdict(list)
    by_key = {(c["measure"], c["category"], c["area"], c["period"]): c for c in cells}
    for c in cells:
        if kinds[c["measure"]] == "count":
            margins[c["measure"], c["category"], c["period"]].append(c["value"])
            if c["measure"] == "care_open_age_profile":
                margins["bands", c["area"], c["period"]].append(c["value"])
    for (measure, area, period), values in list(margins.items()):
        if measure == "bands":
            values.append(by_key["care_open_cases", None, area, period]["value"])
    for key, values in margins.items():
        hidden = values.count(HIDDEN)
        assert hidden != 1, f"one hidden cell in {key} is recoverable from the total"
        if hidden:
            assert len([v for v in values if v not in (HIDDEN, 0)]) >= 1 or hidden >= 2
    # one number shown as a count and as the denominator of the rates over it is hidden in both or neither
    for c in cells:
        if c["measure"] == "care_cases_disposed":
            for rate in ("care_mean_weeks", "care_median_weeks", "care_pct_within_26_weeks"):
                other = by_key[rate, None, c["area"], c["period"]]
                assert (c["value"] == HIDDEN) == (other["denominator"] == HIDDEN), (c, other)


def test_a_board_sees_the_same_cells_as_the_national_board(client, make_partner, auth_headers, mixed_cases):
    everything = _pull(client, auth_headers(make_partner("fjb")))
    mine = _pull(client, auth_headers(make_partner("lfjb")))
    wanted = {"CENTRAL_LONDON", "national"}
    assert mine == [c for c in everything if c["area"] in wanted]
    one_measure = _pull(client, auth_headers(make_partner("lfjb")), measure="care_cases_started")
    assert one_measure == [c for c in mine if c["measure"] == "care_cases_started"]
