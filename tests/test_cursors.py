"""`exchange.cursors`: the one page-cursor codec; anything it did not issue for a list is refused, as a
400 `invalid_cursor`, never a 500 (the four lists hold the same in `tests/api/test_cases.py`,
`tests/delivery/test_feed.py` and `tests/advice/test_api.py`)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from exchange import cursors
from exchange.errors import DomainError, as_problem

WHEN = datetime(2025, 6, 16, 9, 30, 0, 123456, tzinfo=UTC)
ID = uuid.UUID("6f1c1f5e-2b9a-4e43-9a55-0d3c3c8b1a01")


def forge(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_typed_values_and_is_url_safe():
    cursor = cursors.encode("c", WHEN, ID)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert cursors.decode("c", cursor, cursors.instant, cursors.identifier) == (WHEN, ID)
    assert cursors.decode("f", cursors.encode("f", 42), cursors.count) == (42,)


#: (cursor, the list it is offered to): none of them is a cursor that list issued
GARBLED = [
    ("", "f"),
    ("not-a-cursor", "f"),  # not base64 of JSON
    ("a", "f"),  # impossible base64 length
    ("WyJmIiwxXQ==!", "f"),  # a character outside the alphabet
    ("é", "f"),  # not ASCII
    (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "f"),  # not UTF-8
    (forge("a", 1), "f"),  # another list's
    (forge("f"), "f"),  # too few values
    (forge("f", 1, 2), "f"),  # too many
    (forge("f", -1), "f"),  # a negative sequence number
    (forge("f", True), "f"),  # a bool is not a count
    (forge("f", 1.5), "f"),
    (forge("f", "1"), "f"),
    (forge({"f": 1}), "f"),  # not an array
    (forge("c", "2025-06-16T09:30:00", str(ID)), "c"),  # a naive instant
    (forge("c", "yesterday", str(ID)), "c"),
    (forge("c", WHEN.isoformat(), "not-a-uuid"), "c"),
    (forge("c", WHEN.isoformat(), 7), "c"),
]
READERS = {"f": (cursors.count,), "c": (cursors.instant, cursors.identifier)}


@pytest.mark.parametrize(("cursor", "kind"), GARBLED)
def test_anything_else_is_invalid_cursor_answered_400(cursor, kind):
    with pytest.raises(DomainError) as refused:
        cursors.decode(kind, cursor, *READERS[kind])
    problem = as_problem(refused.value).body()
    assert problem["status"] == 400
    assert problem["errors"] == [
        {"pointer": "/cursor", "code": "invalid_cursor", "message": "Not a cursor of this list."}
    ]
