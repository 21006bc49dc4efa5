"""Issue 5 end to end: a court asks for advice, Cafcass gets a signed webhook on a real loopback receiver,
acknowledges and answers; the court gets the answer; an unanswered request turns overdue on the right day
across a bank holiday, and both sides are told.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from exchange import advice, reference
from exchange.working_days import add_working_days
from tests.delivery.helpers import Receiver, case_data, make_worker, submit_case, subscribe

PDF = b"%PDF-1.4\n% synthetic advice\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver, Receiver]]:
    started = [Receiver().start() for _ in range(3)]
    yield started[0], started[1], started[2]
    for r in started:
        r.stop()


@pytest.fixture
def parties(make_partner, runner, receivers):  # type: ignore[no-untyped-def]
    court_rx, cafcass_rx, cymru_rx = receivers
    la = make_partner("local_authority")
    court = make_partner("court")
    cafcass = make_partner("cafcass")
    cymru = make_partner("cafcass", options=("--service", "cafcass_cymru"))
    events = "advice.requested advice.acknowledged advice.answered advice.withdrawn advice.overdue"
    secrets = {
        "court": subscribe(runner, court.org_id, court_rx.url, events),
        "cafcass": subscribe(runner, cafcass.org_id, cafcass_rx.url, events),
        "cymru": subscribe(runner, cymru.org_id, cymru_rx.url, events),
    }
    return la, court, cafcass, cymru, secrets


def test_court_asks_cafcass_answers_and_every_webhook_is_signed(client, auth_headers, parties, receivers):
    court_rx, cafcass_rx, cymru_rx = receivers
    la, court, cafcass, cymru, secrets = parties
    case_id = submit_case(client, auth_headers(la), case_data(court="115"))
    worker = make_worker()
    court_h, cafcass_h = auth_headers(court), auth_headers(cafcass)
    hearing = date.today() + timedelta(days=30)

    created = client.post(
        "/v1/advice-requests",
        json={
            "case_id": case_id,
            "type": "case_management_advice",
            "question": "Q?",
            "hearing_date": str(hearing),
        },
        headers=court_h,
    )
    assert created.status_code == 201, created.get_json()
    request = created.get_json()
    assert (request["status"], request["routed_to"]) == ("routed", "cafcass")
    assert created.headers["Location"] == f"/v1/advice-requests/{request['id']}"

    worker.run_once()
    (requested,) = cafcass_rx.events(secrets["cafcass"])
    assert requested["type"] == "advice.requested" and requested["data"]["id"] == request["id"]
    assert cymru_rx.received == [] and court_rx.received == []

    ack = client.post(f"/v1/advice-requests/{request['id']}/acknowledge", headers=cafcass_h)
    assert ack.status_code == 200 and ack.get_json()["status"] == "acknowledged"
    answer = client.post(
        f"/v1/advice-requests/{request['id']}/advice",
        json={
            "summary": "Synthetic summary.",
            "recommendation": "List a further hearing.",
            "risk_identified": True,
            "recommended_next_hearing": "CASE_MANAGEMENT",
            "attachment": {"filename": "advice.pdf", "content": base64.b64encode(PDF).decode()},
        },
        headers=cafcass_h,
    )
    assert answer.status_code == 201, answer.get_json()
    worker.run_once()

    acknowledged, answered = court_rx.events(secrets["court"])
    assert acknowledged["type"] == "advice.acknowledged"
    assert answered["type"] == "advice.answered"
    assert answered["data"]["status"] == "answered"
    assert answered["data"]["advice"]["summary"] == "Synthetic summary."
    assert answered["data"]["advice"]["attachment"]["size"] == len(PDF)
    pdf = client.get(f"/v1/advice-requests/{request['id']}/advice/attachment", headers=court_h)
    assert (pdf.status_code, pdf.mimetype, pdf.data) == (200, "application/pdf", PDF)
    # every delivery carried the three Standard Webhooks headers, and a wrong secret does not verify
    with pytest.raises(Exception, match="signature"):
        court_rx.accepted()[0].verified(secrets["cafcass"])
    assert len(cymru_rx.received) == 0


def _holiday_monday_after(start: date) -> date:
    """The first bank-holiday Monday after ``start`` whose Thursday and Friday before are working days."""
    holidays = reference.load().bank_holidays.dates
    return next(
        d
        for d in sorted(holidays)
        if d > start
        and d.weekday() == 0
        and {d - timedelta(days=3), d - timedelta(days=4)}.isdisjoint(holidays)
    )


def test_safeguarding_letter_turns_overdue_on_the_right_day_across_a_bank_holiday(
    client, auth_headers, parties, receivers
):
    court_rx, cafcass_rx, _ = receivers
    la, court, _cafcass, _, secrets = parties
    holiday = _holiday_monday_after(date.today() + timedelta(days=14))
    hearing = holiday + timedelta(days=2)  # the Wednesday after the bank-holiday Monday
    created = client.post(
        "/v1/advice-requests",
        json={
            "case": {
                "law": "private",
                "court": "115",
                "application_type": "C100",
                "children": [{"date_of_birth": "2019-03-04", "sex": "M"}],
            },
            "type": "safeguarding_letter",
            "hearing_date": str(hearing),
        },
        headers=auth_headers(court),
    )
    assert created.status_code == 201, created.get_json()
    request = created.get_json()
    # Tuesday, (Monday is a holiday), Friday, Thursday: the letter is due on the Thursday before
    thursday = holiday - timedelta(days=4)
    holidays = reference.load().bank_holidays
    assert request["due_date"] == str(thursday) == str(add_working_days(hearing, -3, holidays))
    worker = make_worker()

    worker.run_once(today=thursday)
    assert (
        client.get(f"/v1/advice-requests/{request['id']}", headers=auth_headers(court)).get_json()["status"]
        == "routed"
    )
    worker.run_once(today=thursday + timedelta(days=1))
    assert (
        client.get(f"/v1/advice-requests/{request['id']}", headers=auth_headers(court)).get_json()["status"]
        == "overdue"
    )
    assert [e["type"] for e in court_rx.events(secrets["court"])] == ["advice.overdue"]
    assert [e["type"] for e in cafcass_rx.events(secrets["cafcass"])] == [
        "advice.requested",
        "advice.overdue",
    ]
    # marking is idempotent: another pass the next day tells nobody again
    worker.run_once(today=thursday + timedelta(days=2))
    assert len(court_rx.events(secrets["court"])) == 1
    assert advice.TRANSITIONS["mark_overdue"].get("overdue") is None
