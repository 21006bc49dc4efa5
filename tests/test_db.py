"""The exchange's identifiers (``exchange.db.new_id``)."""

from __future__ import annotations

import time
import uuid

from exchange import db


def test_new_ids_are_rfc_9562_version_7_uuids_that_begin_with_their_millisecond():
    before = time.time_ns() // 1_000_000
    made = db.new_id()
    after = time.time_ns() // 1_000_000
    assert type(made) is uuid.UUID and (made.version, made.variant) == (7, uuid.RFC_4122)
    assert before <= made.int >> 80 <= after


def test_new_ids_of_one_process_come_in_order_and_never_repeat():
    made = [db.new_id() for _ in range(10_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [str(one) for one in made] == sorted(str(one) for one in made)  # as text too (SQLite stores text)
