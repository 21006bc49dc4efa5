"""``case.changed``: outbox rows in the case's own transaction, only for entitled subscribers, filtered."""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select

from exchange.db import db
from exchange.models import Delivery, Organisation
from exchange.store import cases as case_store
from tests.delivery.helpers import case_data, save_case, subscribe


def _bodies() -> dict[str, dict]:
    rows = db.session.scalars(select(Delivery).where(Delivery.event_type == "case.changed")).all()
    return {d.org_id: json.loads(d.body) for d in rows}


def test_each_entitled_subscriber_gets_the_case_filtered_for_its_kind(runner, make_partner):
    la = make_partner("local_authority")
    court = make_partner("court")
    other_court = make_partner("court", options=("--court-code", "117"))
    cafcass = make_partner("cafcass")
    cymru = make_partner("cafcass", options=("--service", "cafcass_cymru"))
    for partner in (la, court, other_court, cafcass, cymru):
        subscribe(runner, partner.org_id, "https://partner.example/hooks", "case.changed")

    case = save_case(la.org_id, case_data(court="115"))
    bodies = _bodies()
    assert set(bodies) == {la.org_id, court.org_id, cafcass.org_id}
    assert {b["data"]["case_id"] for b in bodies.values()} == {str(case.id)}
    la_case, cafcass_case = bodies[la.org_id]["data"]["case"], bodies[cafcass.org_id]["data"]["case"]
    # the confidential address reaches the court and Cafcass, never the other party
    assert "address" not in la_case["respondents"][0]
    assert cafcass_case["respondents"][0]["address"]["postcode"] == "ZZ1 1ZZ"
    assert "la_child_id" in la_case["children"][0] and "la_child_id" not in cafcass_case["children"][0]


def test_a_rolled_back_change_leaves_no_delivery(runner, make_partner):
    la = make_partner("local_authority")
    subscribe(runner, la.org_id, "https://partner.example/hooks", "case.changed")
    case = case_store.new_case(db.session.get(Organisation, la.org_id))
    reference = current_app.config["EXCHANGE_SETTINGS"].reference
    document = case_store.build_document(case.id, case_data(), None, reference)
    case_store.save(db.session, case, document, "case.submitted", reference.field_policy)
    db.session.flush()
    assert len(_bodies()) == 1
    db.session.rollback()
    assert _bodies() == {}


def test_only_subscribed_event_types_are_written(runner, make_partner):
    la = make_partner("local_authority")
    subscribe(runner, la.org_id, "https://partner.example/hooks", "advice.answered")
    save_case(la.org_id, case_data())
    assert _bodies() == {}
