"""Cafcass's inbox: the service's requests, the soonest due first with overdue ones flagged, acknowledged
and answered through the advice service; another service's requests are not there (404)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from exchange import clock
from exchange.api import context
from exchange.db import db
from exchange.models import AdviceRequest, AuditEvent, Case, Organisation
from exchange.store import cases as case_store
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


def _leaves(value: object) -> set[str]:
    """Every non-empty text a case view holds (the values the page must say)."""
    if isinstance(value, dict):
        return set().union(*(_leaves(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(_leaves(v) for v in value), set())
    return {str(value)} if value not in (None, "", True, False) else set()


def test_the_case_of_a_request_shows_what_the_field_policy_allows_and_nothing_more(
    app: Flask, signed_in, requests_made
) -> None:
    page = signed_in("cafcass")
    request_id = requests_made["advice"]
    case_id = str(db.session.get(AdviceRequest, uuid.UUID(request_id)).case_id)
    assert f'href="/cases/{case_id}"' in page.get(f"/inbox/{request_id}").get_data(as_text=True)
    answer = page.get(f"/cases/{case_id}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    case = db.session.get(Case, uuid.UUID(case_id))
    allowed = case_store.view(
        case.document, db.session.get(Organisation, "cafcass-a"), context.reference().field_policy
    )
    # the confidential address: Cafcass is one of the kinds the policy shows it to
    assert "1 Synthetic Street" in html and "ZZ1 1ZZ" in html
    missing = {text for text in _leaves(allowed) if text not in html}
    assert missing == set()
    # the LA's own reference and the child's LA id are not Cafcass's to see
    hidden = _leaves(case.document) - _leaves(allowed)
    assert {"REF-C", "REF-C-C1"} <= hidden
    assert [text for text in hidden if f">{text}<" in html] == []


def test_a_case_of_another_service_is_an_audited_404(app: Flask, signed_in, people, requests_made) -> None:
    case_id = str(db.session.get(AdviceRequest, uuid.UUID(requests_made["advice"])).case_id)
    page = signed_in("cafcass_cymru")
    assert page.get(f"/cases/{case_id}").status_code == 404
    assert page.get(f"/cases/{uuid.uuid4()}").status_code == 404
    denied = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["access.foreign_object", "access.unknown_object"]))
    ).all()
    assert [(e.action, e.client_id, e.outcome) for e in denied] == [
        ("access.foreign_object", f"web:{people['cafcass_cymru']}", "denied_404"),
        ("access.unknown_object", f"web:{people['cafcass_cymru']}", "denied_404"),
    ]
    assert case_id in denied[0].resource_ids


PDF = b"%PDF-1.4\n% a synthetic report\n%%EOF\n"


def _answer(page, request_id: str, content: bytes, name: str = "report.pdf"):  # type: ignore[no-untyped-def]
    return page.post(
        f"/inbox/{request_id}/answer",
        data={
            "csrf_token": csrf(page, f"/inbox/{request_id}"),
            "summary": "See the report.",
            "risk_identified": "yes",
            "attachment": (io.BytesIO(content), name, "application/pdf"),
        },
        content_type="multipart/form-data",
    )


def test_the_answer_carries_a_pdf_the_court_downloads(app: Flask, signed_in, requests_made) -> None:
    page = signed_in("cafcass")
    request_id = requests_made["advice"]
    assert 'enctype="multipart/form-data"' in page.get(f"/inbox/{request_id}").get_data(as_text=True)
    assert _answer(page, request_id, PDF).status_code == 302
    made = db.session.get(AdviceRequest, uuid.UUID(request_id))
    assert (made.advice.attachment, made.advice.attachment_size) == (PDF, len(PDF))
    assert f'href="/advice-requests/{request_id}/advice.pdf"' in page.get(f"/inbox/{request_id}").get_data(
        as_text=True
    )
    court = signed_in("court")
    assert f'href="/advice-requests/{request_id}/advice.pdf"' in court.get(
        f"/advice-requests/{request_id}"
    ).get_data(as_text=True)
    download = court.get(f"/advice-requests/{request_id}/advice.pdf")
    assert (download.status_code, download.mimetype, download.data) == (200, "application/pdf", PDF)
    assert "attachment" in download.headers["Content-Disposition"]
    read = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "advice.attachment_read")).one()
    assert read.client_id.startswith("web:") and request_id in read.resource_ids
    # another service and another court see nothing of it; a request without a PDF has none to give
    assert signed_in("cafcass_cymru").get(f"/advice-requests/{request_id}/advice.pdf").status_code == 404
    assert signed_in("court_b").get(f"/advice-requests/{request_id}/advice.pdf").status_code == 404
    assert court.get(f"/advice-requests/{requests_made['report']}/advice.pdf").status_code == 404


def test_the_pdf_is_checked_as_the_api_checks_it(app: Flask, signed_in, requests_made) -> None:
    app.config["ADVICE_ATTACHMENT_MAX_BYTES"] = len(PDF)
    page = signed_in("cafcass")
    request_id = requests_made["advice"]
    not_pdf = _answer(page, request_id, b"MZ not a PDF", "report.pdf")
    html = not_pdf.get_data(as_text=True)
    assert not_pdf.status_code == 400 and "govuk-error-summary" in html and 'href="#attachment"' in html
    assert "The file must be a PDF" in html
    too_big = _answer(page, request_id, PDF + b" ", "report.pdf")
    assert too_big.status_code == 400 and "The file must be smaller than" in too_big.get_data(as_text=True)
    assert db.session.get(AdviceRequest, uuid.UUID(request_id)).status == "routed"
    assert _answer(page, request_id, PDF).status_code == 302  # at the limit: taken
