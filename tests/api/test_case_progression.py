"""Case progression from partner data (issue 13): HMCTS CCD intake to disposal, court transfers, routing by
the child's local authority, the Cafcass API shape served, and the court's checks. All data synthetic,
or HMCTS's own fake fixtures (tests/fixtures/hmcts/SOURCES.md)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.api.conftest import care_case
from tests.fixtures import FIXTURES
from tests.metrics.conftest import publish

CCD = "application/json; profile=hmcts-fpl-ccd"
SWANSEA = "W06000011"
PLACEHOLDER = "TO BE FILLED WITH VALID DATA"


@pytest.fixture
def swansea(make_partner):
    return make_partner("local_authority", org_id="swansea", options=("--la-code", SWANSEA))


@pytest.fixture
def fjb(make_partner):
    return make_partner("fjb")


def hmcts_fixture(name: str, submitted: str = "2025-06-02") -> bytes:
    """An HMCTS template with its placeholder dates filled in here, as HMCTS's own tests do."""
    text = (FIXTURES / "hmcts" / f"fpl-ccd-caseData-{name}.json").read_text(encoding="utf-8")
    assert PLACEHOLDER in text
    return text.replace(PLACEHOLDER, submitted).encode()


def metric(client, headers, measure: str, area: str, period: str) -> dict[str, Any]:
    kind = "quarter" if "Q" in period else "year"
    months = {
        "2025Q1": ("2025-01", "2025-03"),
        "2025Q2": ("2025-04", "2025-06"),
        "2025Q3": ("2025-07", "2025-09"),
    }
    first, last = months[period]
    publish()  # what the worker does once cases have changed
    answer = client.get(
        "/v1/metrics",
        query_string={"area": area, "from": first, "to": last, "period": kind, "measure": measure},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    [cell] = [c for c in answer.get_json()["cells"] if c["area"] == area and c["period"] == period]
    return cell


# --- HMCTS fixtures and CCD disposals --------------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "court", "orders"),
    [
        ("caseWithEPO", "117", ["EMERGENCY_PROTECTION_ORDER"]),
        ("caseWithHearingDetails", "344", ["CARE_ORDER"]),
    ],
)
def test_the_hmcts_fixtures_ingest(client, swansea, submit, auth_headers, fixture, court, orders):
    answer = submit(swansea, hmcts_fixture(fixture), CCD)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["status"] == "accepted"
    [case_id] = answer.get_json()["stored_ids"]
    case = client.get(f"/v1/cases/{case_id}", headers=auth_headers(swansea)).get_json()
    assert (case["court"], case["orders_sought"], case["applicant_la"]) == (court, orders, SWANSEA)
    assert case["date_received"] == "2025-06-02"
    assert all(child.get("first_name") for child in case["children"])
    assert case["cafcass_service"] == "cafcass_cymru"  # a Swansea child, wherever the court


def ccd_case(case_id: int, decided: str | None = None) -> dict[str, Any]:
    """A synthetic CCD care case of Swansea at Swansea; ``decided``: every child's final decision date."""
    children = [
        {
            "id": f"00000000-0000-4000-8000-00000000000{n}",
            "value": {
                "party": {
                    "firstName": "Synthetic",
                    "lastName": f"Child{n}",
                    "gender": "Girl",
                    "dateOfBirth": "2016-03-0" + str(n + 1),
                }
            },
        }
        for n in range(2)
    ]
    if decided:
        for child in children:
            child["value"] |= {"finalDecisionReason": "FINAL_ORDER", "finalDecisionDate": decided}
    return {
        "id": case_id,
        "state": "FINAL_HEARING",
        "caseData": {
            "caseLocalAuthority": "SA",
            "court": {"code": "344"},
            "dateSubmitted": "2025-01-06",
            "dateOfIssue": "2025-01-07",
            "orders": {"orderType": ["CARE_ORDER"]},
            "children1": children,
        },
    }


def test_a_ccd_resubmission_with_final_decisions_disposes_the_cases(
    client, swansea, submit, fjb, auth_headers
):
    ids = [1700000000000100 + n for n in range(6)]
    first = submit(swansea, json.dumps([ccd_case(i) for i in ids]).encode(), CCD)
    assert first.get_json()["accepted"] == 6
    board = auth_headers(fjb)
    assert metric(client, board, "care_open_cases", "SWANSEA", "2025Q2")["value"] == 6
    assert metric(client, board, "care_cases_disposed", "SWANSEA", "2025Q2")["value"] == 0

    again = submit(swansea, json.dumps([ccd_case(i, decided="2025-05-20") for i in ids]).encode(), CCD)
    assert again.get_json()["accepted"] == 6
    assert sorted(again.get_json()["stored_ids"]) == sorted(first.get_json()["stored_ids"])  # the same cases
    assert metric(client, board, "care_open_cases", "SWANSEA", "2025Q2")["value"] == 0
    assert metric(client, board, "care_cases_disposed", "SWANSEA", "2025Q2")["value"] == 6
    assert metric(client, board, "care_open_cases", "SWANSEA", "2025Q1")["value"] == 6  # open before
    case = client.get(f"/v1/cases/{first.get_json()['stored_ids'][0]}", headers=auth_headers(swansea))
    assert [(c["outcome"], c["outcome_date"]) for c in case.get_json()["children"]] == [
        ("FINAL_ORDER", "2025-05-20")
    ] * 2


def test_a_ccd_case_closed_or_consolidated_without_a_disposal_is_no_longer_open(
    client, swansea, submit, fjb, auth_headers
):
    ids = [1700000000000200 + n for n in range(6)]
    submit(swansea, json.dumps([ccd_case(i) for i in ids]).encode(), CCD)
    closed = []
    for n, case_id in enumerate(ids):
        case = ccd_case(case_id)
        if n % 2:
            case["state"] = "CLOSED"
            case["caseData"]["closeCaseTabField"] = {"date": "2025-04-02"}
        else:
            for child in case["caseData"]["children1"]:
                child["value"] |= {"finalDecisionReason": "CONSOLIDATED", "finalDecisionDate": "2025-04-02"}
        closed.append(case)
    assert submit(swansea, json.dumps(closed).encode(), CCD).get_json()["accepted"] == 6
    board = auth_headers(fjb)
    assert metric(client, board, "care_open_cases", "SWANSEA", "2025Q1")["value"] == 6
    assert metric(client, board, "care_open_cases", "SWANSEA", "2025Q2")["value"] == 0
    assert metric(client, board, "care_cases_disposed", "SWANSEA", "2025Q2")["value"] == 0  # not disposals


def test_a_closed_ccd_case_without_a_date_is_refused(swansea, submit):
    case = ccd_case(1700000000000300)
    case["state"] = "CLOSED"
    answer = submit(swansea, json.dumps(case).encode(), CCD)
    assert answer.status_code == 422
    report = answer.get_json()["submission"]
    assert report["status"] == "rejected"
    assert [f["code"] for f in report["report"]] == ["hmcts.close_date"]


# --- court transfers ----------------------------------------------------------------------------------
def test_a_transfer_splits_the_figures_between_the_areas(client, camden, submit, fjb, auth_headers):
    cases = [care_case(reference=f"CAM-T-{n}") for n in range(6)]
    ids = submit(camden, {"cases": cases}).get_json()["stored_ids"]
    la = auth_headers(camden)
    for case_id in ids:
        moved = client.post(
            f"/v1/cases/{case_id}/events",
            json={
                "type": "case.transferred",
                "occurred_at": "2025-02-10T10:00:00+00:00",
                "court": "117",
                "on": "2025-02-10",
            },
            headers=la,
        )
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["dfj_area"] == "WEST_LONDON"
        assert moved.get_json()["transfers"] == [
            {
                "from_court": "115",
                "from_dfj_area": "CENTRAL_LONDON",
                "court": "117",
                "dfj_area": "WEST_LONDON",
                "on": "2025-02-10",
            }
        ]
        child = moved.get_json()["children"][0]["id"]
        done = client.post(
            f"/v1/cases/{case_id}/events",
            json={
                "type": "child.outcome_recorded",
                "occurred_at": "2025-05-20T10:00:00+00:00",
                "child_id": child,
                "outcome": "FINAL_ORDER",
                "outcome_date": "2025-05-20",
            },
            headers=la,
        )
        assert done.status_code == 200, done.get_json()
    board = auth_headers(fjb)
    assert metric(client, board, "care_cases_started", "CENTRAL_LONDON", "2025Q1")["value"] == 6
    assert metric(client, board, "care_cases_started", "WEST_LONDON", "2025Q1")["value"] == 0
    assert metric(client, board, "care_open_cases", "CENTRAL_LONDON", "2025Q1")["value"] == 0
    assert metric(client, board, "care_open_cases", "WEST_LONDON", "2025Q1")["value"] == 6
    assert metric(client, board, "care_cases_disposed", "WEST_LONDON", "2025Q2")["value"] == 6
    assert metric(client, board, "care_cases_disposed", "CENTRAL_LONDON", "2025Q2")["value"] == 0
    assert metric(client, board, "care_cases_disposed", "national", "2025Q2")["value"] == 6


def test_the_feed_and_the_courts_carry_a_transfer(client, camden, submit, make_partner, auth_headers):
    [case_id] = submit(camden, {"cases": [care_case()]}).get_json()["stored_ids"]
    barnet = make_partner("court", options=("--court-code", "117"))
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(barnet)).status_code == 404
    event = {
        "type": "case.transferred",
        "occurred_at": "2025-02-10T10:00:00+00:00",
        "court": "117",
        "on": "2025-02-10",
    }
    assert (
        client.post(f"/v1/cases/{case_id}/events", json=event, headers=auth_headers(camden)).status_code
        == 200
    )
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(barnet)).status_code == 200
    cafcass = make_partner("cafcass")
    items = client.get("/v1/feed", headers=auth_headers(cafcass)).get_json()["items"]
    assert [i["event_type"] for i in items] == ["case.submitted", "case.transferred"]
    again = client.post(f"/v1/cases/{case_id}/events", json=event, headers=auth_headers(camden))
    assert again.status_code == 409
    assert again.get_json()["errors"][0]["code"] == "case.transferred_to_same_court"


def test_a_resubmission_at_another_court_is_a_transfer_on_its_date(client, camden, submit, auth_headers):
    [case_id] = submit(camden, {"cases": [care_case()]}).get_json()["stored_ids"]
    submit(camden, {"cases": [care_case(court="117", transferred_on="2025-03-03")]})
    case = client.get(f"/v1/cases/{case_id}", headers=auth_headers(camden)).get_json()
    assert [(t["from_court"], t["court"], t["on"]) for t in case["transfers"]] == [
        ("115", "117", "2025-03-03")
    ]
    assert "transferred_on" not in case


def test_a_first_submission_may_say_where_the_case_came_from(client, camden, submit, auth_headers):
    moved = care_case(reference="CAM-MOVED", court="117", transferred_from="115", transferred_on="2025-03-03")
    [case_id] = submit(camden, {"cases": [moved]}).get_json()["stored_ids"]
    case = client.get(f"/v1/cases/{case_id}", headers=auth_headers(camden)).get_json()
    assert (case["court"], case["dfj_area"]) == ("117", "WEST_LONDON")
    assert [(t["from_dfj_area"], t["dfj_area"], t["on"]) for t in case["transfers"]] == [
        ("CENTRAL_LONDON", "WEST_LONDON", "2025-03-03")
    ]
    unknown = submit(camden, {"cases": [care_case(reference="CAM-X", transferred_from="999")]})
    assert [f["code"] for f in unknown.get_json()["submission"]["report"]] == ["case.court_unknown"]


# --- routing by the child's local authority -------------------------------------------------------------
def test_a_welsh_las_case_at_an_english_court_goes_to_cafcass_cymru(
    client, swansea, submit, make_partner, auth_headers
):
    [case_id] = submit(swansea, hmcts_fixture("caseWithEPO"), CCD).get_json()["stored_ids"]  # Barnet, London
    cymru = make_partner("cafcass", options=("--service", "cafcass_cymru"))
    england = make_partner("cafcass")
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(cymru)).status_code == 200
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(england)).status_code == 404
    assert [
        i["case_id"] for i in client.get("/v1/feed", headers=auth_headers(cymru)).get_json()["items"]
    ] == [case_id]
    assert client.get("/v1/feed", headers=auth_headers(england)).get_json()["items"] == []
    barnet = make_partner("court", options=("--court-code", "117"))
    asked = client.post(
        "/v1/advice-requests",
        json={"case_id": case_id, "type": "case_management_advice", "due_date": "2099-01-05"},
        headers=auth_headers(barnet),
    )
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["routed_to"] == "cafcass_cymru"


# --- the Cafcass API shape --------------------------------------------------------------------------------
def test_cafcass_reads_a_case_and_the_feed_in_the_cafcass_api_shape(
    client, swansea, submit, make_partner, auth_headers
):
    [case_id] = submit(swansea, hmcts_fixture("caseWithHearingDetails"), CCD).get_json()["stored_ids"]
    cymru = make_partner("cafcass", options=("--service", "cafcass_cymru"))
    accept = {"Accept": "application/json; profile=cafcass-api"}
    schema = json.loads((FIXTURES / "hmcts" / "fpl-cafcassAPICaseSchema.json").read_text())
    one = client.get(f"/v1/cases/{case_id}", headers={**auth_headers(cymru), **accept})
    assert one.status_code == 200
    assert one.headers["Content-Type"].startswith("application/json")
    jsonschema.validate(one.get_json(), schema)
    [case] = one.get_json()["cases"]
    assert case["exchangeId"] == case_id
    assert [c["firstName"] for c in case["caseData"]["children"]] == ["Timothy", "John", "William", "Sarah"]
    feed = client.get("/v1/feed", headers={**auth_headers(cymru), **accept})
    assert feed.status_code == 200
    jsonschema.validate({"cases": feed.get_json()["cases"]}, schema)
    assert feed.get_json()["total"] == 1 and feed.get_json()["next_cursor"]


def test_a_profile_the_caller_may_not_have_is_406(client, swansea, submit, auth_headers):
    [case_id] = submit(swansea, hmcts_fixture("caseWithHearingDetails"), CCD).get_json()["stored_ids"]
    for profile in ("cafcass-api", "hmcts-fpl-ccd", "nonsense"):
        answer = client.get(
            f"/v1/cases/{case_id}",
            headers={**auth_headers(swansea), "Accept": f"application/json; profile={profile}"},
        )
        assert answer.status_code == 406
        assert answer.mimetype == "application/problem+json"


def test_names_and_upn_go_to_the_court_and_cafcass_not_the_la_reference(
    client, camden, submit, make_partner, auth_headers
):
    child = {
        "la_child_id": "SYN-C-9",
        "first_name": "Synthetic",
        "last_name": "Child",
        "upn": "C202000000001",
        "date_of_birth": "2019-04-02",
        "sex": "F",
    }
    answer = submit(camden, {"cases": [care_case(children=[child])]})
    assert answer.get_json()["status"] == "accepted", answer.get_json()["report"]
    [case_id] = answer.get_json()["stored_ids"]
    court = make_partner("court")
    seen = client.get(f"/v1/cases/{case_id}", headers=auth_headers(court)).get_json()["children"][0]
    assert (seen["first_name"], seen["last_name"], seen["upn"]) == ("Synthetic", "Child", "C202000000001")
    assert "la_child_id" not in seen


# --- the court's checks -------------------------------------------------------------------------------------
def test_a_care_order_for_a_child_aged_17_at_issue_is_refused(camden, submit):
    old = {"la_child_id": "SYN-C-17", "date_of_birth": "2008-01-07", "sex": "M"}  # 17 on the day of issue
    young = {"la_child_id": "SYN-C-16", "date_of_birth": "2008-01-08", "sex": "M"}
    answer = submit(camden, {"cases": [care_case(children=[old, young])]})
    assert answer.status_code == 422
    report = answer.get_json()["submission"]
    assert [(f["code"], f["position"]["pointer"]) for f in report["report"]] == [
        ("child.too_old_for_care_order", "/cases/0/children/0/date_of_birth")
    ]
    epo_only = care_case(reference="CAM-EPO", orders_sought=["EMERGENCY_PROTECTION_ORDER"], children=[old])
    assert submit(camden, {"cases": [epo_only]}).get_json()["status"] == "accepted"


# --- SSDA903 episodes -----------------------------------------------------------------------------------
EPISODES_HEADER = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
)


def test_ssda903_care_and_placement_orders_dispose_the_care_case(client, camden, submit, auth_headers):
    [case_id] = submit(camden, {"cases": [care_case()]}).get_json()["stored_ids"]  # issued 7 January 2025
    episodes = (
        EPISODES_HEADER
        + "SYN-C-0001,08/01/2025,S,C1,N1,U1,PR1,,,,,,\n"  # interim care order: no outcome
        + "SYN-C-0001,02/06/2025,L,C2,N1,U1,PR1,,,,,,\n"  # full care order
        + "SYN-C-0002,09/06/2025,S,E1,N1,A4,PR1,01/10/2025,E43,,,,\n"  # placement order, then an SGO
    )
    answer = submit(camden, episodes.encode(), content_type="text/csv; profile=ssda903")
    assert answer.status_code == 201, answer.get_json()
    case = client.get(f"/v1/cases/{case_id}", headers=auth_headers(camden)).get_json()
    first, second = case["children"]
    assert (first["legal_status"], first["outcome"], first["outcome_date"]) == (
        "C2",
        "FINAL_ORDER",
        "2025-06-02",
    )
    assert (second["legal_status"], second["outcome"], second["outcome_date"]) == (
        "E1",
        "FINAL_ORDER",
        "2025-06-09",
    )
    made = sorted((o["type"], o["made_on"]) for o in case["orders_made"])
    assert made == [
        ("CARE_ORDER", "2025-06-02"),
        ("PLACEMENT_ORDER", "2025-06-09"),
        ("SPECIAL_GUARDIANSHIP_ORDER", "2025-10-01"),
    ]
    # the same return again changes nothing
    before = case["version"]
    submit(
        camden,
        episodes.encode(),
        content_type="text/csv; profile=ssda903",
        headers={"Idempotency-Key": "again"},
    )
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(camden)).get_json()["version"] == before
