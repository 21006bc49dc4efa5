"""The exchange's identifiers (``exchange.db.new_id``)."""

from __future__ import annotations

import uuid

from exchange import db


def test_new_ids_are_rfc_9562_version_7_uuids_ordered_by_their_millisecond(monkeypatch):
    instants = iter([1_700_000_000_000_000_000, 1_700_000_000_000_999_999, 1_700_000_000_001_000_000])
    monkeypatch.setattr(db.time, "time_ns", lambda: next(instants))
    first, same_millisecond, next_millisecond = db.new_id(), db.new_id(), db.new_id()
    for made in (first, same_millisecond, next_millisecond):
        assert (made.version, made.variant) == (7, uuid.RFC_4122)
        assert str(made) == str(uuid.UUID(str(made)))
    assert first.int >> 80 == same_millisecond.int >> 80 == 1_700_000_000_000
    assert next_millisecond.int >> 80 == 1_700_000_000_001
    assert first != same_millisecond  # the random bits tell apart the ids of one millisecond
    assert max(first, same_millisecond) < next_millisecond and str(first) < str(next_millisecond)


def test_new_ids_of_one_millisecond_differ():
    assert len({db.new_id() for _ in range(10_000)}) == 10_000
