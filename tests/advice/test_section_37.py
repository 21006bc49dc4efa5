"""Section 37 reports go to the applicant local authority, due within 8 weeks; due dates beyond the
bank-holiday calendar are refused with the last year it covers (issue 13). All data synthetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from exchange import advice, reference
from tests.delivery.helpers import case_data, submit_case

SHIPPED = reference.load()


@pytest.fixture
def court(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("court")


def test_a_section_37_request_goes_to_the_la_and_the_la_answers_it(client, auth_headers, make_partner, court):
    camden = make_partner(
        "local_authority", org_id="camden-la", scopes="cases:submit cases:read advice:respond"
    )
    case_id = submit_case(client, auth_headers(camden), case_data(court="115"))
    asked = client.post(
        "/v1/advice-requests",
        json={"case_id": case_id, "type": "section_37_report"},
        headers=auth_headers(court),
    )
    assert asked.status_code == 201, asked.get_json()
    request = asked.get_json()
    assert request["routed_to"] == "camden-la"
    made = date.fromisoformat(request["created_at"][:10])
    assert made < date.fromisoformat(request["due_date"]) <= made + timedelta(weeks=8)
    cafcass = make_partner("cafcass")
    assert (
        client.get(f"/v1/advice-requests/{request['id']}", headers=auth_headers(cafcass)).status_code == 404
    )
    ack = client.post(f"/v1/advice-requests/{request['id']}/acknowledge", headers=auth_headers(camden))
    assert ack.status_code == 200, ack.get_json()
    assert ack.get_json()["status"] == "acknowledged"


def test_a_section_37_report_is_never_due_after_8_weeks_even_across_christmas() -> None:
    on = date(2025, 12, 1)
    due = advice.due_date("section_37_report", None, None, on, SHIPPED)
    assert due == on + timedelta(weeks=8)  # 40 working days across Christmas would overrun it
    assert advice.due_date("section_37_report", None, None, date(2025, 6, 2), SHIPPED) == date(2025, 7, 28)
    with pytest.raises(advice.AdviceFault) as refused:
        advice.due_date("section_37_report", None, on + timedelta(weeks=9), on, SHIPPED)
    assert (refused.value.code, refused.value.pointer) == ("due_date_too_late", "/due_date")


def test_a_section_37_request_for_an_la_not_here_is_refused(client, auth_headers, court):
    asked = client.post(
        "/v1/advice-requests",
        json={
            "type": "section_37_report",
            "case": {
                "law": "private",
                "court": "115",
                "application_type": "C100",
                "local_authority": "203",
                "children": [{"date_of_birth": "2018-05-06", "sex": "F"}],
            },
        },
        headers=auth_headers(court),
    )
    assert asked.status_code == 422
    assert [e["code"] for e in asked.get_json()["errors"]] == ["section_37_no_local_authority"]


def test_working_days_beyond_the_calendar_are_a_422_naming_its_last_year(client, auth_headers, court):
    last = SHIPPED.bank_holidays.years[-1]
    asked = client.post(
        "/v1/advice-requests",
        json={
            "type": "safeguarding_letter",
            "hearing_date": f"{last + 1}-01-20",
            "case": {
                "law": "private",
                "court": "115",
                "application_type": "C100",
                "children": [{"date_of_birth": "2018-05-06", "sex": "F"}],
            },
        },
        headers=auth_headers(court),
    )
    assert asked.status_code == 422
    [error] = asked.get_json()["errors"]
    assert (error["code"], error["pointer"]) == ("holidays_not_known", "/hearing_date")
    assert str(last) in error["message"]


def test_the_calendar_end_comes_from_the_reference_data() -> None:
    short = replace(SHIPPED, bank_holidays=replace(SHIPPED.bank_holidays, years=range(2015, 2026)))
    with pytest.raises(advice.AdviceFault) as refused:
        advice.due_date("section_7_report", None, None, date(2025, 12, 1), short)
    assert "2025" in refused.value.message and refused.value.code == "holidays_not_known"
