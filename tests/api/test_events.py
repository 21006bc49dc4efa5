"""`POST /v1/cases/{id}/events`: transitions, refused ones (409), invalid events (422), If-Match (412)."""

from __future__ import annotations

import pytest

from tests.api.conftest import care_case


@pytest.fixture
def case(client, camden, submit, auth_headers) -> dict:
    case_id = submit(camden, {"cases": [care_case()]}).get_json()["stored_ids"][0]
    return client.get(f"/v1/cases/{case_id}", headers=auth_headers(camden)).get_json()


@pytest.fixture
def post(client, camden, auth_headers):
    headers = auth_headers(camden)

    def send(case_id: str, event: dict, **extra: str):
        return client.post(f"/v1/cases/{case_id}/events", json=event, headers={**headers, **extra})

    return send


def at(day: int, hour: int = 10) -> str:
    return f"2025-02-{day:02d}T{hour:02d}:00:00+00:00"


def listed(post, case: dict, day: int = 1) -> dict:
    answer = post(
        case["id"],
        {
            "type": "hearing.listed",
            "occurred_at": at(day),
            "hearing": {"type": "CASE_MANAGEMENT", "starts_at": at(20)},
        },
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["hearings"][-1]


def conflict_code(answer) -> str:
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    return answer.get_json()["errors"][0]["code"]


def test_event_for_a_closed_case_is_409(post, case):
    assert (
        post(
            case["id"], {"type": "case.closed", "occurred_at": at(2), "closed_date": "2025-02-02"}
        ).status_code
        == 200
    )
    answer = post(case["id"], {"type": "case.closed", "occurred_at": at(3), "closed_date": "2025-02-03"})
    assert conflict_code(answer) == "case_closed"


def test_event_older_than_the_last_is_409(post, case):
    listed(post, case, day=5)
    answer = post(case["id"], {"type": "case.closed", "occurred_at": at(4), "closed_date": "2025-02-04"})
    assert conflict_code(answer) == "event_out_of_order"


def test_hearing_held_for_an_unknown_or_vacated_hearing_is_409(post, case):
    unknown = {
        "type": "hearing.held",
        "occurred_at": at(2),
        "hearing_id": "00000000-0000-4000-8000-000000000000",
    }
    assert conflict_code(post(case["id"], unknown)) == "event.unknown_hearing"
    hearing = listed(post, case, day=3)
    vacated = post(
        case["id"],
        {
            "type": "hearing.vacated",
            "occurred_at": at(4),
            "hearing_id": hearing["id"],
            "cancellation_reason": "LA1",
        },
    )
    assert vacated.get_json()["hearings"][0]["status"] == "vacated"
    held = post(case["id"], {"type": "hearing.held", "occurred_at": at(5), "hearing_id": hearing["id"]})
    assert conflict_code(held) == "hearing_not_listed"


def test_outcome_and_extension_change_the_child(post, case):
    child = case["children"][0]["id"]
    extended = post(
        case["id"],
        {
            "type": "timetable.extended",
            "occurred_at": at(2),
            "child_ids": [child],
            "extension_weeks": 8,
            "extension_reason": "TimetableForChild",
        },
    ).get_json()
    assert extended["children"][0]["timetable_deadline"] == "2025-09-02"  # 2025-07-08 + 8 weeks
    outcome = {
        "type": "child.outcome_recorded",
        "occurred_at": at(3),
        "child_id": child,
        "outcome": "FINAL_ORDER",
    }
    recorded = post(case["id"], {**outcome, "outcome_date": "2025-02-03"})
    assert recorded.get_json()["children"][0]["outcome"] == "FINAL_ORDER"
    assert conflict_code(
        post(case["id"], {**outcome, "occurred_at": at(4), "outcome_date": "2025-02-04"})
    ) == ("outcome_recorded")


def test_withdrawal_closes_the_case_and_records_each_child(post, case):
    answer = post(case["id"], {"type": "case.withdrawn", "occurred_at": at(2), "withdrawn_on": "2025-02-02"})
    body = answer.get_json()
    assert body["state"] == "CLOSED" and {c["outcome"] for c in body["children"]} == {"WITHDRAWN"}


def test_if_match_with_an_old_etag_is_412(client, post, case, camden, auth_headers):
    etag = client.get(f"/v1/cases/{case['id']}", headers=auth_headers(camden)).headers["ETag"]
    listed(post, case)
    answer = post(
        case["id"],
        {"type": "case.closed", "occurred_at": at(9), "closed_date": "2025-02-09"},
        **{"If-Match": etag},
    )
    assert answer.status_code == 412 and answer.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "case.exploded", "occurred_at": at(2)},
        {"type": "case.closed", "occurred_at": "2025-02-02", "closed_date": "2025-02-02"},
        {"type": "case.closed", "occurred_at": at(2), "closed_date": "2025-02-02", "colour": "blue"},
        {"type": "case.closed", "occurred_at": "2999-01-01T00:00:00+00:00", "closed_date": "2025-02-02"},
        {"type": "case.closed", "occurred_at": at(2), "closed_date": "2024-01-01"},
    ],
)
def test_invalid_events_are_422_and_change_nothing(client, post, case, camden, auth_headers, event):
    answer = post(case["id"], event)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert client.get(f"/v1/cases/{case['id']}", headers=auth_headers(camden)).get_json()["version"] == 1


def test_court_cannot_post_events(client, case, make_partner, auth_headers):
    court = make_partner("court", options=("--court-code", "115"))
    event = {"type": "case.closed", "occurred_at": at(2), "closed_date": "2025-02-02"}
    answer = client.post(f"/v1/cases/{case['id']}/events", json=event, headers=auth_headers(court))
    assert answer.status_code == 403
