"""A court's pages: request advice (GOV.UK error summary, the due date shown before sending), its list,
the answer; on the advice service's own rules and object-level checks."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from exchange import advice as lifecycle
from exchange import clock
from exchange.db import db
from exchange.models import Advice, AdviceRequest, AuditEvent
from tests.delivery.helpers import case_data, save_case
from tests.web.conftest import Browserless


def token(page: Browserless, path: str) -> str:
    return re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get(path).get_data(as_text=True)
    )[1]


@pytest.fixture
def case_id(people) -> str:  # type: ignore[no-untyped-def]
    return str(save_case("la-a", case_data(court="115", reference="REF-A")).id)


def _fill(page: Browserless, **fields: str) -> dict[str, str]:
    return {"csrf_token": token(page, "/advice-requests/new"), **fields}


def test_an_empty_form_shows_the_error_summary(app: Flask, signed_in, case_id) -> None:
    page = signed_in("court")
    answer = page.post("/advice-requests/new", data=_fill(page))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "govuk-error-summary" in html and "<title>Error: " in html
    assert 'href="#case_id"' in html and "Select the case" in html
    assert 'href="#type"' in html and "Select what you are asking for" in html


def test_the_rules_of_the_service_refuse_what_they_refuse(app: Flask, signed_in, case_id) -> None:
    page = signed_in("court")
    answer = page.post("/advice-requests/new", data=_fill(page, case_id=case_id, type="safeguarding_letter"))
    assert answer.status_code == 400 and "needs the first hearing" in answer.get_data(as_text=True)
    past = date.today() - timedelta(days=3)
    answer = page.post(
        "/advice-requests/new",
        data=_fill(
            page,
            case_id=case_id,
            type="section_7_report",
            **{
                "hearing_date-day": str(past.day),
                "hearing_date-month": str(past.month),
                "hearing_date-year": str(past.year),
            },
        ),
    )
    assert answer.status_code == 400 and "today or in the future" in answer.get_data(as_text=True)


def test_request_advice_shows_the_due_date_then_sends_once(app: Flask, signed_in, people, case_id) -> None:
    page = signed_in("court")
    check = page.post(
        "/advice-requests/new",
        data=_fill(page, case_id=case_id, type="section_7_report", question="Is contact safe?"),
    )
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check your request" in html
    shown = re.search(r'<strong id="due-date">([^<]+)</strong>', html)[1]
    body = re.search(r'name="body" value="([^"]+)"', html)[1].replace("&#34;", '"')
    form = {
        "csrf_token": token(page, "/advice-requests/new"),
        "body": body,
        "key": re.search(r'name="key" value="([^"]+)"', html)[1],
    }
    sent = page.post("/advice-requests/send", data=form)
    assert sent.status_code == 302
    again = page.post("/advice-requests/send", data=form)  # the button pressed twice
    assert again.location == sent.location
    made = db.session.scalars(select(AdviceRequest)).one()
    assert made.due_date.strftime("%-d %B %Y") == shown and made.due_date > clock.today()
    assert (made.client_id, made.status, str(made.case_id)) == (f"web:{people['court']}", "routed", case_id)
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "advice.request")).one()
    assert (audited.client_id, audited.org_id) == (f"web:{people['court']}", "court-a")
    made_id = made.id
    listed = page.get("/advice-requests").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/advice-requests/{made_id}">Section 7 welfare report</a>' in listed
    assert "REF-A" in listed and shown in listed


def test_the_answer_shows_when_it_arrives(app: Flask, signed_in, case_id) -> None:
    page = signed_in("court")
    check = page.post("/advice-requests/new", data=_fill(page, case_id=case_id, type="section_7_report"))
    html = check.get_data(as_text=True)
    body = re.search(r'name="body" value="([^"]+)"', html)[1].replace("&#34;", '"')
    page.post("/advice-requests/send", data={"csrf_token": token(page, "/advice-requests/new"), "body": body})
    made = db.session.scalars(select(AdviceRequest)).one()
    assert "No advice yet" in page.get(f"/advice-requests/{made.id}").get_data(as_text=True)
    made = db.session.get(AdviceRequest, made.id)  # each page's request ended the thread's session
    lifecycle.answer(
        db.session(),
        made,
        Advice(
            request_id=made.id,
            answered_by_org_id="court-a",
            summary="Contact can go ahead, supervised.",
            risk_identified=True,
            answered_at=clock.now(),
        ),
    )
    db.session.commit()
    shown = page.get(f"/advice-requests/{made.id}").get_data(as_text=True)
    assert "Contact can go ahead, supervised." in shown and "Answered" in shown


def test_no_page_reaches_another_courts_objects(app: Flask, signed_in, case_id) -> None:
    mine = signed_in("court")
    check = mine.post("/advice-requests/new", data=_fill(mine, case_id=case_id, type="section_7_report"))
    body = re.search(r'name="body" value="([^"]+)"', check.get_data(as_text=True))[1].replace("&#34;", '"')
    mine.post("/advice-requests/send", data={"csrf_token": token(mine, "/advice-requests/new"), "body": body})
    made = db.session.scalars(select(AdviceRequest)).one()
    other = signed_in("court_b")
    assert other.get(f"/advice-requests/{made.id}").status_code == 404
    assert other.get(f"/advice-requests/{uuid.uuid4()}").status_code == 404
    assert f"/advice-requests/{made.id}" not in other.get("/advice-requests").get_data(as_text=True)
    probe = other.post("/advice-requests/new", data=_fill(other, case_id=case_id, type="section_7_report"))
    assert probe.status_code == 404
    sent = other.post(
        "/advice-requests/send", data={"csrf_token": token(other, "/advice-requests/new"), "body": body}
    )
    assert sent.status_code == 404
    assert db.session.scalars(select(AdviceRequest.id)).all() == [made.id]
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.foreign_object")).all()
    assert len(denied) == 3 and all(e.client_id.startswith("web:") for e in denied)


def test_a_viewer_reads_but_cannot_request(app: Flask, signed_in, case_id) -> None:
    page = signed_in("court_viewer")
    assert page.get("/advice-requests").status_code == 200
    assert "Request advice" not in page.get("/advice-requests").get_data(as_text=True)
    refused = page.post("/advice-requests/new", data={"case_id": case_id, "type": "section_7_report"})
    assert refused.status_code == 403


def test_every_form_needs_its_csrf_token(app: Flask, signed_in, case_id) -> None:
    page = signed_in("court")
    answer = page.post("/advice-requests/new", data={"case_id": case_id, "type": "section_7_report"})
    assert answer.status_code == 400 and "out of date" in answer.get_data(as_text=True)
    body = json.dumps({"case_id": case_id, "type": "section_7_report"})
    assert page.post("/advice-requests/send", data={"body": body}).status_code == 302
    assert db.session.scalars(select(AdviceRequest)).all() == []


def _details(**fields: str) -> dict[str, str]:
    """The form's answers for a private-law case not in the exchange, with one child."""
    return {
        "case_source": "details",
        "case-court": "115",
        "case-application_type": "C100",
        "case-children-0-date_of_birth-day": "2",
        "case-children-0-date_of_birth-month": "2",
        "case-children-0-date_of_birth-year": "2020",
        "case-children-0-sex": "F",
        "type": "section_7_report",
        **fields,
    }


def test_a_case_not_in_the_exchange_is_checked_by_the_apis_schema(app: Flask, signed_in, people) -> None:
    page = signed_in("court")
    answer = page.post(
        "/advice-requests/new", data=_fill(page, case_source="details", type="section_7_report")
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "govuk-error-summary" in html
    assert 'href="#case-court"' in html and "Select the court" in html
    assert 'href="#case-application_type"' in html and "Select the application" in html
    assert 'href="#case-children-0-date_of_birth-day"' in html and "at least one child" in html
    assert "Select the case" not in html
    wrong = _details(**{"case-children-0-date_of_birth-month": "13", "case-children-0-sex": ""})
    answer = page.post("/advice-requests/new", data=_fill(page, **wrong))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Enter child 1&#39;s date of birth as a real date" in html and "Select child 1&#39;s sex" in html
    assert 'href="#case-children-0-date_of_birth-day"' in html and 'href="#case-children-0-sex"' in html
    # a court that is not the person's own: the advice service's rule, said on its field
    answer = page.post("/advice-requests/new", data=_fill(page, **_details(**{"case-court": "117"})))
    assert answer.status_code == 400 and "at one of your courts" in answer.get_data(as_text=True)
    # a section 37 report is written by the child's local authority, which must then be given
    answer = page.post("/advice-requests/new", data=_fill(page, **_details(type="section_37_report")))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'href="#case-local_authority"' in html
    assert db.session.scalars(select(AdviceRequest)).all() == []


def test_add_another_child_keeps_what_was_typed(app: Flask, signed_in, people) -> None:
    page = signed_in("court")
    more = page.post("/advice-requests/new", data=_fill(page, **_details(add_child="yes")))
    html = more.get_data(as_text=True)
    assert more.status_code == 200 and "govuk-error-summary" not in html
    assert 'name="children" value="2"' in html and 'name="case-children-1-sex"' in html
    assert 'name="case-children-0-date_of_birth-year" type="text" value="2020"' in html


def test_request_advice_on_a_case_not_in_the_exchange(app: Flask, signed_in, people) -> None:
    page = signed_in("court")
    answers = _details(
        children="2",
        **{
            "case-local_authority": "202",
            "case-children-1-date_of_birth-day": "9",
            "case-children-1-date_of_birth-month": "10",
            "case-children-1-date_of_birth-year": "2021",
            "case-children-1-sex": "M",
        },
    )
    check = page.post("/advice-requests/new", data=_fill(page, **answers))
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "Check your request" in html
    assert "A private-law case not in the exchange" in html
    assert "Born 2 February 2020, female; Born 9 October 2021, male" in html
    body = re.search(r'name="body" value="([^"]+)"', html)[1].replace("&#34;", '"')
    assert json.loads(body)["case"] == {
        "law": "private",
        "court": "115",
        "application_type": "C100",
        "local_authority": "202",
        "children": [
            {"date_of_birth": "2020-02-02", "sex": "F"},
            {"date_of_birth": "2021-10-09", "sex": "M"},
        ],
    }
    sent = page.post(
        "/advice-requests/send", data={"csrf_token": token(page, "/advice-requests/new"), "body": body}
    )
    assert sent.status_code == 302
    made = db.session.scalars(select(AdviceRequest)).one()
    assert (made.case_id, made.court, made.case_details["local_authority"], made.status) == (
        None,
        "115",
        "202",
        "routed",
    )
    shown = page.get(f"/advice-requests/{made.id}").get_data(as_text=True)
    assert "A private-law case not in the exchange" in shown and "Born 9 October 2021, male" in shown
