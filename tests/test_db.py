"""The exchange's identifiers (``exchange.db.new_id``) and its bulk insert (``exchange.insert_many``)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from exchange.db import EncodedJSON, db, insert_many, insert_one, new_id, upsert
from exchange.models import Case, CaseChild, CaseHearing, CaseVersion, Organisation, UsedAssertion
from exchange.models.metrics import MetricCaseFacts


def test_new_ids_are_rfc_9562_version_7_uuids_that_begin_with_their_millisecond():
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert type(made) is uuid.UUID and (made.version, made.variant) == (7, uuid.RFC_4122)
    assert before <= made.int >> 80 <= after


def test_new_ids_of_one_process_come_in_order_and_never_repeat():
    made = [new_id() for _ in range(10_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [str(one) for one in made] == sorted(str(one) for one in made)  # as text too (SQLite stores text)


LONDON = timezone(timedelta(hours=1))


def _written(session, write, table, rows):
    """``table``'s rows as read back after ``write(connection, table, rows)``, which is then undone."""
    nested = session.begin_nested()
    write(session.connection(), table, rows)
    back = [dict(row._mapping) for row in session.execute(select(table).order_by(*table.primary_key))]
    nested.rollback()
    return back


def _core(connection, table, rows):
    connection.execute(insert(table), rows)


def _case(case_id, document):
    return {
        "id": case_id,
        "org_id": "la-1",
        "reference": "SYN-1",
        "applicant_la": "202",
        "court": "211",
        "dfj_area": "GUILDFORD",
        "region": "South East",
        "cafcass_service": "cafcass",
        "law": "public",
        "application_type": "C110A",
        "state": "SUBMITTED",
        "date_received": date(2024, 2, 29),
        "date_issued": None,
        "first_disposal_date": None,
        "closed_date": None,
        "last_event_at": datetime(2024, 3, 1, 9, 30, tzinfo=LONDON),
        "version": 1,
        "document": document,
        "created_at": datetime(2024, 3, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 1, 12, 0, 0, 5, tzinfo=UTC),
    }


def test_insert_many_writes_each_value_as_core_writes_it(app):
    """Ids, dates, instants in any offset, None, and JSON (a value, or its text encoded already) read back
    alike, table by table, whether ``insert_many`` or Core's own insert wrote them."""
    session = db.session()
    session.add(Organisation(id="la-1", kind="la", name="An LA"))
    session.flush()
    case_id, document = new_id(), {"reference": "SYN-1", "children": [{"sex": "F"}], "n": 1.5}
    cases = [_case(case_id, EncodedJSON(json.dumps(document)))]
    assert _written(session, insert_many, Case.__table__, cases) == _written(
        session, _core, Case.__table__, cases
    )
    _core(session.connection(), Case.__table__, cases)
    tables = {
        CaseChild: [
            {
                "id": new_id(),
                "case_id": case_id,
                "la_child_id": "SYN-C1",
                "date_of_birth": date(2010, 1, 31),
                "sex": "F",
                "outcome": "care_order",
                "outcome_date": date(2024, 5, 1),
            },
            {
                "id": new_id(),
                "case_id": case_id,
                "la_child_id": "SYN-C2",
                "date_of_birth": None,
                "sex": None,
                "outcome": None,
                "outcome_date": None,
            },
        ],
        CaseHearing: [
            {
                "id": new_id(),
                "case_id": case_id,
                "type": "CASE_MANAGEMENT",
                "status": "held",
                "starts_at": datetime(2024, 6, 3, 10, tzinfo=LONDON),
                "cancellation_reason": None,
                "cancellation_agency": None,
            },
        ],
        CaseVersion: [
            {
                "feed_seq": seq,
                "case_id": case_id,
                "version": seq,
                "event_type": "case.submitted",
                "document": body,
                "committed_at": datetime(2024, 3, 1, 12, tzinfo=UTC),
            }
            for seq, body in ((1, document), (2, EncodedJSON(json.dumps(document))))
        ],
        MetricCaseFacts: [{"case_id": case_id, "facts": EncodedJSON('{"law": "public"}')}],
    }
    for model, rows in tables.items():
        table = model.__table__
        bulk, core = _written(session, insert_many, table, rows), _written(session, _core, table, rows)
        assert bulk == core and len(bulk) == len(rows), table.name
    assert core[0]["facts"] == {"law": "public"}
    session.rollback()


def test_insert_many_refuses_to_leave_out_a_column_core_would_fill(app):
    row = _case(new_id(), {})
    del row["created_at"]  # Core would fill it in with its Python-side default
    with pytest.raises(ValueError, match="created_at"):
        insert_many(db.session().connection(), Case.__table__, [row])


def test_insert_one_answers_what_the_driver_returns(app):
    """An upsert with RETURNING, made once: a row for a fresh insert, none for a conflict, the instant bound
    as Core binds it."""
    table = UsedAssertion.__table__
    statement = upsert(db.session(), table).on_conflict_do_nothing().returning(table.c.jti)
    row = {"client_id": "c-1", "jti": "j-1", "expires_at": datetime(2026, 1, 2, 3, 4, tzinfo=LONDON)}
    connection = db.session().connection()
    assert insert_one(connection, statement, row).all() == [("j-1",)]
    assert insert_one(connection, statement, row).all() == []
    assert insert_one(connection, statement, {**row, "jti": "j-2"}).all() == [("j-2",)]
    stored = db.session().get(UsedAssertion, ("c-1", "j-1"))
    assert stored.expires_at == row["expires_at"]
