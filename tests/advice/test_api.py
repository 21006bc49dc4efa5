"""``/v1/advice-requests``: bad input, idempotency, routing, who sees what, and the lifecycle's 409s."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import AdviceRequest, AuditEvent, Delivery
from tests.delivery.helpers import case_data, submit_case

FUTURE = str(date.today() + timedelta(days=40))
PRIVATE_CASE = {
    "law": "private",
    "court": "115",
    "application_type": "C100",
    "children": [{"date_of_birth": "2018-05-06", "sex": "F"}],
}


@pytest.fixture
def court(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("court")


@pytest.fixture
def cafcass(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("cafcass")


@pytest.fixture
def ask(client, auth_headers, court):  # type: ignore[no-untyped-def]
    def post(body=None, headers=None, partner=None, **changes):  # type: ignore[no-untyped-def]
        body = body or {"case": PRIVATE_CASE, "type": "section_7_report", "hearing_date": FUTURE, **changes}
        return client.post(
            "/v1/advice-requests", json=body, headers={**auth_headers(partner or court), **(headers or {})}
        )

    return post


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in response.get_json().get("errors", [])]


def test_a_case_at_another_court_is_not_found_and_the_probe_is_audited(
    client, auth_headers, make_partner, ask
):
    la = make_partner("local_authority")
    other_court_case = submit_case(client, auth_headers(la), case_data(court="117"))
    response = ask({"case_id": other_court_case, "type": "section_7_report"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.foreign_object")).all()
    assert [e.resource_ids for e in denied] == [[other_court_case]]
    assert (
        ask({"case_id": "00000000-0000-4000-8000-000000000000", "type": "section_7_report"}).status_code
        == 404
    )


def test_a_case_at_the_callers_court_is_accepted_with_its_court(client, auth_headers, make_partner, ask):
    la = make_partner("local_authority")
    case_id = submit_case(client, auth_headers(la), case_data(court="115"))
    response = ask({"case_id": case_id, "type": "section_37_report"})
    assert response.status_code == 201
    assert (response.get_json()["case_id"], response.get_json()["court"]) == (case_id, "115")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"type": "horoscope"}, "invalid"),
        ({"hearing_date": str(date.today() - timedelta(days=1))}, "date_in_past"),
        ({"due_date": str(date.today() - timedelta(days=1))}, "date_in_past"),
        ({"type": "safeguarding_letter", "hearing_date": None}, "hearing_date_required"),
        ({"case": {**PRIVATE_CASE, "court": "117"}}, "not_your_court"),
        ({"case": {**PRIVATE_CASE, "law": "public"}}, "invalid"),
        ({"urgent": "yes"}, "invalid"),
        ({"colour": "blue"}, "unknown_field"),
    ],
)
def test_bad_requests_are_422_with_a_pointer(ask, changes, code):
    body = {"case": PRIVATE_CASE, "type": "section_7_report", "hearing_date": FUTURE, **changes}
    response = ask({k: v for k, v in body.items() if v is not None})
    assert response.status_code == 422, response.get_json()
    assert code in _codes(response)


def test_case_id_and_case_together_are_refused(ask):
    body = {
        "case": PRIVATE_CASE,
        "case_id": "00000000-0000-4000-8000-000000000000",
        "type": "section_7_report",
    }
    assert ask(body).status_code == 422


def test_due_dates_default_by_type_in_working_days(ask):
    given = str(date.today() + timedelta(days=9))
    assert ask(type="rule_16_4_guardian", due_date=given).get_json()["due_date"] == given
    letter = ask(type="safeguarding_letter", hearing_date=FUTURE).get_json()
    assert date.fromisoformat(letter["due_date"]) < date.fromisoformat(FUTURE)
    report = ask(type="section_7_report").get_json()
    assert date.fromisoformat(report["due_date"]) >= date.today() + timedelta(weeks=12)


def test_idempotency_key_replays_the_same_body_and_refuses_another(ask):
    first = ask(headers={"Idempotency-Key": "k-1"})
    again = ask(headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = ask(headers={"Idempotency-Key": "k-1"}, question="Another question")
    assert other.status_code == 409
    assert db.session.scalar(select(Delivery.seq).limit(1)) is None  # nobody subscribed: no outbox rows


def test_an_idempotency_key_with_a_space_is_422_and_stores_nothing(ask):
    answer = ask(headers={"Idempotency-Key": "has space"})
    assert (answer.status_code, answer.get_json()["errors"][0]["pointer"]) == (
        422,
        "/headers/Idempotency-Key",
    )
    assert db.session.scalar(select(func.count()).select_from(AdviceRequest)) == 0


def test_welsh_courts_route_to_cafcass_cymru_and_each_side_sees_only_its_own(
    client, auth_headers, make_partner, ask, court, cafcass
):
    welsh_court = make_partner("court", options=("--court-code", "102"))
    cymru = make_partner("cafcass", options=("--service", "cafcass_cymru"))
    english = ask().get_json()
    welsh = ask(
        {"case": {**PRIVATE_CASE, "court": "102"}, "type": "child_impact_report"}, partner=welsh_court
    )
    assert welsh.status_code == 201 and welsh.get_json()["routed_to"] == "cafcass_cymru"
    assert english["routed_to"] == "cafcass"

    def listed(partner):  # type: ignore[no-untyped-def]
        body = client.get("/v1/advice-requests", headers=auth_headers(partner)).get_json()
        return [item["id"] for item in body["items"]]

    assert listed(court) == listed(cafcass) == [english["id"]]
    assert listed(welsh_court) == listed(cymru) == [welsh.get_json()["id"]]
    for outsider in (welsh_court, cymru):
        read = client.get(f"/v1/advice-requests/{english['id']}", headers=auth_headers(outsider))
        assert read.status_code == 404
    ack = client.post(f"/v1/advice-requests/{english['id']}/acknowledge", headers=auth_headers(cymru))
    assert ack.status_code == 404
    la = make_partner("local_authority")
    assert client.get("/v1/advice-requests", headers=auth_headers(la)).status_code == 403
    assert (
        client.post(
            f"/v1/advice-requests/{english['id']}/acknowledge", headers=auth_headers(court)
        ).status_code
        == 403
    )


def test_the_list_pages_with_an_opaque_cursor(client, auth_headers, ask, court):
    made = [ask().get_json()["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/advice-requests", query_string=query, headers=auth_headers(court)).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    # garbage, bad base64, another list's, a naive instant, an id that is not a UUID
    for forged in ("bm9wZQ", "a", "WyJmIiwxXQ", "WyJhIiwiMjAyNS0wNi0xNlQwOTozMDowMCIsIngiXQ", "WyJhIiwxLDJd"):
        bad = client.get("/v1/advice-requests", query_string={"cursor": forged}, headers=auth_headers(court))
        assert (bad.status_code, bad.mimetype) == (400, "application/problem+json"), forged
        assert [e["code"] for e in bad.get_json()["errors"]] == ["invalid_cursor"]


def test_lifecycle_conflicts(client, auth_headers, ask, court, cafcass):
    request_id = ask().get_json()["id"]
    advice = {"summary": "Synthetic.", "risk_identified": False}
    c, k = auth_headers(court), auth_headers(cafcass)
    assert client.post(f"/v1/advice-requests/{request_id}/acknowledge", headers=k).status_code == 200
    assert client.post(f"/v1/advice-requests/{request_id}/acknowledge", headers=k).status_code == 409
    assert (
        client.post(f"/v1/advice-requests/{request_id}/withdraw", headers=c).get_json()["status"]
        == "withdrawn"
    )
    refused = client.post(f"/v1/advice-requests/{request_id}/advice", json=advice, headers=k)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert client.post(f"/v1/advice-requests/{request_id}/withdraw", headers=c).status_code == 409
    assert client.get(f"/v1/advice-requests/{request_id}", headers=c).get_json()["advice"] is None

    answered = ask().get_json()["id"]
    assert client.post(f"/v1/advice-requests/{answered}/advice", json=advice, headers=k).status_code == 201
    assert client.post(f"/v1/advice-requests/{answered}/advice", json=advice, headers=k).status_code == 409
    assert client.post(f"/v1/advice-requests/{answered}/withdraw", headers=c).status_code == 409
    assert client.get(f"/v1/advice-requests/{answered}/advice/attachment", headers=c).status_code == 404


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"%PDF-1.7\n" + b"x" * 2000, 413), (b"PK\x03\x04 a zip, not a PDF", 415), (b"GIF89a", 415)],
)
def test_attachments_are_size_limited_and_must_be_pdf(
    app, client, auth_headers, ask, cafcass, content, status
):
    app.config["ADVICE_ATTACHMENT_MAX_BYTES"] = 1000
    request_id = ask().get_json()["id"]
    body = {
        "summary": "Synthetic.",
        "risk_identified": False,
        "attachment": {"content": base64.b64encode(content).decode()},
    }
    response = client.post(
        f"/v1/advice-requests/{request_id}/advice", json=body, headers=auth_headers(cafcass)
    )
    assert response.status_code == status
    assert client.get(f"/v1/advice-requests/{request_id}", headers=auth_headers(cafcass)).get_json()[
        "status"
    ] == ("routed")


def test_an_attachment_that_is_not_base64_is_422(client, auth_headers, ask, cafcass):
    request_id = ask().get_json()["id"]
    body = {"summary": "S.", "risk_identified": False, "attachment": {"content": "%%%not base64%%%"}}
    response = client.post(
        f"/v1/advice-requests/{request_id}/advice", json=body, headers=auth_headers(cafcass)
    )
    assert response.status_code == 422 and "invalid_base64" in _codes(response)
