"""Intake dates are judged by the date in London: a case dated today is accepted between 00:00 and 01:00
BST (when UTC still says yesterday), and a case dated tomorrow in London is refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from exchange import clock
from tests.api.conftest import care_case

#: 00:30 BST on 16 June 2025, still the 15th in UTC
HALF_PAST_MIDNIGHT_BST = datetime.fromisoformat("2025-06-15T23:30:00+00:00")


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: HALF_PAST_MIDNIGHT_BST)


def test_a_case_dated_today_in_london_is_accepted_at_half_past_midnight_bst(frozen, camden, submit):
    case = care_case(date_received="2025-06-16", date_issued="2025-06-16")
    body = submit(camden, {"cases": [case]}).get_json()
    assert (body["status"], body["accepted"], body["report"]) == ("accepted", 1, [])


def test_a_case_dated_tomorrow_in_london_is_refused(frozen, camden, submit):
    case = care_case(date_received="2025-06-16", date_issued="2025-06-17")
    answer = submit(camden, {"cases": [case]})
    assert (answer.status_code, answer.mimetype) == (422, "application/problem+json")
    body = answer.get_json()["submission"]
    assert (body["status"], body["rejected"]) == ("rejected", 1)
    assert [(r["position"]["pointer"], r["code"]) for r in body["report"]] == [
        ("/cases/0/date_issued", "case.date_in_future")
    ]
