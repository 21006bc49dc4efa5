"""Cafcass's inbox: the service's requests, the soonest due first with overdue ones flagged, acknowledged
and answered through the advice service; another service's requests are not there (404)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from exchange import clock
from exchange.db import db
from exchange.models import AdviceRequest, AuditEvent
from tests.delivery.helpers import case_data, save_case
from tests.web.conftest import ask, csrf


@pytest.fixture
def requests_made(app: Flask, signed_in) -> dict[str, str]:
    case_id = str(save_case("la-a", case_data(court="115", reference="REF-C")).id)
    court = signed_in("court")
    return {
        "report": ask(court, case_id, "section_7_report"),  # due in 60 working days
        "advice": ask(court, case_id, "case_management_advice"),  # due in 10
    }


def test_the_inbox_lists_the_soonest_due_first_and_flags_overdue(
    app: Flask, signed_in, requests_made
) -> None:
    late = db.session.get(AdviceRequest, uuid.UUID(requests_made["report"]))
    late.due_date = clock.today() - timedelta(days=2)
    db.session.commit()
    page = signed_in("cafcass")
    assert page.get("/").location.endswith("/inbox")
    html = page.get("/inbox").get_data(as_text=True)
    order = [m for m in re.findall(r'href="/inbox/([0-9a-f-]+)"', html)]
    assert order == [requests_made["report"], requests_made["advice"]]
    rows = html.split("<tr")[2:]
    assert "govuk-tag--red" in rows[0] and "Overdue" in rows[0] and "Overdue" not in rows[1]


def test_acknowledge_then_answer(app: Flask, signed_in, people, requests_made) -> None:
    page = signed_in("cafcass")
    request_id = requests_made["advice"]
    token = csrf(page, f"/inbox/{request_id}")
    assert page.post(f"/inbox/{request_id}/acknowledge", data={"csrf_token": token}).status_code == 302
    again = page.post(f"/inbox/{request_id}/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409 and "cannot be acknowledged" in again.get_data(as_text=True)
    empty = page.post(f"/inbox/{request_id}/answer", data={"csrf_token": token})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 400 and "govuk-error-summary" in html
    assert "Enter the advice" in html and "Say whether a risk was identified" in html
    answered = page.post(
        f"/inbox/{request_id}/answer",
        data={"csrf_token": token, "summary": "Contact may go ahead.", "risk_identified": "no"},
    )
    assert answered.status_code == 302
    made = db.session.get(AdviceRequest, uuid.UUID(request_id))
    assert (made.status, made.advice.summary, made.advice.risk_identified) == (
        "answered",
        "Contact may go ahead.",
        False,
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["advice.acknowledge", "advice.answer"]))
    )
    assert {(e.action, e.client_id) for e in events} == {
        ("advice.acknowledge", f"web:{people['cafcass']}"),
        ("advice.answer", f"web:{people['cafcass']}"),
    }
    court = signed_in("court").get(f"/advice-requests/{request_id}").get_data(as_text=True)
    assert "Contact may go ahead." in court


def test_another_service_sees_nothing_of_it(app: Flask, signed_in, requests_made) -> None:
    page = signed_in("cafcass_cymru")
    assert "/inbox/" not in page.get("/inbox").get_data(as_text=True)
    request_id = requests_made["advice"]
    assert page.get(f"/inbox/{request_id}").status_code == 404
    token = csrf(page)
    assert page.post(f"/inbox/{request_id}/acknowledge", data={"csrf_token": token}).status_code == 404
    answer = {"csrf_token": token, "summary": "x", "risk_identified": "no"}
    assert page.post(f"/inbox/{request_id}/answer", data=answer).status_code == 404
    assert db.session.get(AdviceRequest, uuid.UUID(request_id)).status == "routed"
