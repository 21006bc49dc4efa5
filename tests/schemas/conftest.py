"""Shared by the schema tests: the reference folder, one small hand-checked synthetic care case, and the
means to compare a strict schema's short road with marshmallow's own loop."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from schemas.base import StrictSchema
from tests.fixtures import FIXTURES

REFERENCE = FIXTURES

# A202000000100: characters 2-13 weighted 2..13 give 2*2 + 2*4 + 1*11 = 23, and 23 mod 23 = 0 -> "A"
VALID_UPN = "A202000000100"

_CARE_CASE: dict[str, Any] = {
    "reference": "CAMDEN-2025-0001",
    "court_case_number": "LV25C00001",
    "law": "public",
    "application_type": "C110A",
    "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
    "applicant_la": "202",
    "court": "115",
    "date_received": "2025-01-06",
    "date_issued": "2025-01-07",
    "hearing_urgency": "STANDARD",
    "threshold_reasons": ["noCare"],
    "risks": ["NEGLECT", "EMOTIONAL_HARM"],
    "children": [
        {
            "la_child_id": "C-1",
            "upn": VALID_UPN,
            "date_of_birth": "2020-05-01",
            "sex": "F",
            "ethnicity": "WBRI",
            "disabilities": ["NONE"],
            "living_situation": "Living with respondents",
            "legal_status": "C1",
        },
        {"la_child_id": "C-2", "date_of_birth": "2023-11-20", "sex": "U"},
    ],
    "respondents": [
        {
            "role": "respondent",
            "relationship_to_child": "Mother",
            "first_name": "Synthetic",
            "last_name": "Parent",
            "address": {"line1": "1 Example Street", "post_town": "Exampleton", "postcode": "ZZ1 1ZZ"},
            "address_confidential": True,
        }
    ],
    "hearings": [
        {"type": "CASE_MANAGEMENT", "starts_at": "2025-01-21T10:00:00Z", "status": "held"},
        {
            "type": "ISSUE_RESOLUTION",
            "starts_at": "2025-05-12T10:00:00+01:00",
            "ends_at": "2025-05-12T13:00:00+01:00",
            "status": "vacated",
            "cancellation_reason": "LA7",
        },
    ],
    "orders_made": [
        {"type": "INTERIM_CARE_ORDER", "child_ids": ["C-1", "C-2"], "made_on": "2025-01-07", "interim": True}
    ],
    "state": "PREPARE_FOR_HEARING",
}


def care_case(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the synthetic case (input shape, JSON types), with top-level ``changes``."""
    return {**copy.deepcopy(_CARE_CASE), **changes}


def answer(act: Callable[[], Any]) -> tuple[str, str]:
    """What ``act()`` gives, as text that keeps the order of every key, or the errors it raises."""
    try:
        return "value", json.dumps(act(), default=repr)
    except ValidationError as error:
        return "error", json.dumps(error.messages, default=repr)


def assert_roads_agree(monkeypatch: pytest.MonkeyPatch, *acts: Callable[[], Any]) -> None:
    """Each of ``acts`` gives the same answer (value, key order included, or errors) on the strict schemas'
    short road as when they load and dump by marshmallow's own loop over the fields."""
    answers = [answer(act) for act in acts]
    monkeypatch.setattr(StrictSchema, "_deserialize", Schema._deserialize)
    monkeypatch.setattr(StrictSchema, "_serialize", Schema._serialize)
    assert answers == [answer(act) for act in acts]
