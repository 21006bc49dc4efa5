"""Progression events: one schema per type, chosen by ``type``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from marshmallow import ValidationError

from schemas.events import EVENT_TYPES, MAX_EXTENSION_WEEKS, load_event

AT = "2025-03-01T09:00:00Z"
CHILD = str(uuid.uuid4())
HEARING = str(uuid.uuid4())

MINIMAL: dict[str, dict[str, Any]] = {
    "case.issued": {"date_issued": "2025-01-07", "court_case_number": "LV25C00001"},
    "hearing.listed": {"hearing": {"type": "CASE_MANAGEMENT", "starts_at": "2025-01-21T10:00:00Z"}},
    "hearing.held": {"hearing_id": HEARING},
    "hearing.vacated": {"hearing_id": HEARING, "cancellation_reason": "LA7"},
    "order.made": {"order": {"type": "CARE_ORDER", "child_ids": [CHILD], "made_on": "2025-06-30"}},
    "timetable.extended": {
        "child_ids": [CHILD],
        "extension_weeks": 8,
        "extension_reason": "TimetableForChild",
    },
    "child.outcome_recorded": {"child_id": CHILD, "outcome": "FINAL_ORDER", "outcome_date": "2025-06-30"},
    "case.closed": {"closed_date": "2025-07-01"},
    "case.withdrawn": {"withdrawn_on": "2025-02-01"},
    "case.transferred": {"court": "117", "on": "2025-02-10"},
}


def event(event_type: str, **changes: Any) -> dict[str, Any]:
    return {"type": event_type, "occurred_at": AT, **MINIMAL[event_type], **changes}


def errors(data: Any) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_event(data)
    return caught.value.messages


def test_the_event_types_are_the_specs() -> None:
    assert set(EVENT_TYPES) == set(MINIMAL)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_type_loads_its_payload(event_type: str) -> None:
    loaded = load_event(event(event_type))
    assert loaded["type"] == event_type
    assert loaded["occurred_at"].utcoffset() is not None


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_type_refuses_a_naive_instant_and_unknown_fields(event_type: str) -> None:
    naive = event(event_type, occurred_at="2025-03-01T09:00:00", note="x")
    assert set(errors(naive)) == {"occurred_at", "note"}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_type_needs_its_payload(event_type: str) -> None:
    data = {"type": event_type, "occurred_at": AT}
    required = set(MINIMAL[event_type]) - {"court_case_number"}
    assert set(errors(data)) == required


def test_another_types_payload_is_refused() -> None:
    assert errors(event("hearing.held", closed_date="2025-07-01")) == {"closed_date": ["Unknown field."]}


def test_unknown_or_missing_type_and_non_objects() -> None:
    assert "type" in errors({"type": "case.submitted", "occurred_at": AT})
    assert "type" in errors({"occurred_at": AT})
    assert "type" in errors({"type": ["case.closed"], "occurred_at": AT})
    assert errors(["case.closed"]) == {"_schema": ["Invalid input type."]}


def test_extensions_are_of_one_to_eight_weeks() -> None:
    assert MAX_EXTENSION_WEEKS == 8
    assert load_event(event("timetable.extended", extension_weeks=1))["extension_weeks"] == 1
    for weeks in (0, 9, 8.0, "8"):
        assert "extension_weeks" in errors(event("timetable.extended", extension_weeks=weeks))
    assert "extension_reason" in errors(event("timetable.extended", extension_reason="Holiday"))


def test_vacating_needs_a_known_reason() -> None:
    assert "cancellation_reason" in errors(event("hearing.vacated", cancellation_reason="ZZ9"))
    data = event("hearing.vacated")
    del data["cancellation_reason"]
    assert errors(data) == {"cancellation_reason": ["Missing data for required field."]}


def test_a_listed_hearing_takes_no_status_or_reason() -> None:
    hearing = {"type": "FINAL", "starts_at": "2025-06-30T10:00:00+01:00", "status": "held"}
    assert errors(event("hearing.listed", hearing=hearing)) == {"hearing": {"status": ["Unknown field."]}}


def test_events_name_children_and_hearings_by_exchange_id() -> None:
    order = {"type": "CARE_ORDER", "child_ids": ["C-1"], "made_on": "2025-06-30"}
    assert "child_ids" in errors(event("order.made", order=order))["order"]
    assert "hearing_id" in errors(event("hearing.held", hearing_id="H-1"))
    loaded = load_event(event("child.outcome_recorded"))
    assert loaded["child_id"] == uuid.UUID(CHILD) and loaded["outcome_date"] == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "case.SECRET-VALUE", "occurred_at": AT}, "type"),
        ({"type": ["SECRET-VALUE"], "occurred_at": AT}, "type"),
        ({"occurred_at": AT}, "type"),
        (["SECRET-VALUE"], "_schema"),
        ("SECRET-VALUE", "_schema"),
    ],
)
def test_a_body_of_no_event_type_is_refused_without_repeating_it(data: Any, field: str) -> None:
    messages = errors(data)
    assert list(messages) == [field] and "SECRET-VALUE" not in str(messages)
