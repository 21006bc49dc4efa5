"""`GET /v1/cases[/{id}]`: who sees which case (SPEC §1), the field policy, filters, cursors and ETags."""

from __future__ import annotations

import pytest

from exchange import cursors
from tests.api.conftest import care_case


@pytest.fixture
def case_id(camden, submit) -> str:
    return submit(camden, {"cases": [care_case()]}).get_json()["stored_ids"][0]


def test_court_and_cafcass_see_the_case_through_the_field_policy(client, case_id, make_partner, auth_headers):
    court = make_partner("court", options=("--court-code", "115"))
    cafcass = make_partner("cafcass", options=("--service", "cafcass"))
    for partner in (court, cafcass):
        case = client.get(f"/v1/cases/{case_id}", headers=auth_headers(partner)).get_json()
        assert case["id"] == case_id
        assert "reference" not in case and "la_child_id" not in case["children"][0]
        assert (
            case["respondents"][0]["address"]["postcode"] == "ZZ1 1ZZ"
        )  # C8 address: court and Cafcass only


def test_others_get_404(client, case_id, make_partner, auth_headers):
    for partner in (
        make_partner("court", options=("--court-code", "117")),
        make_partner("cafcass", options=("--service", "cafcass_cymru")),
    ):
        assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(partner)).status_code == 404
    board = make_partner("lfjb")
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(board)).status_code == 403


def test_an_id_that_is_not_a_uuid_is_404(client, camden, auth_headers):
    answer = client.get("/v1/cases/not-a-uuid", headers=auth_headers(camden))
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_etag_and_if_none_match(client, case_id, camden, auth_headers):
    headers = auth_headers(camden)
    first = client.get(f"/v1/cases/{case_id}", headers=headers)
    again = client.get(f"/v1/cases/{case_id}", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]


def test_list_pages_with_an_opaque_cursor_and_filters(client, camden, submit, auth_headers):
    submit(camden, {"cases": [care_case(reference=f"CAM-{n}") for n in range(5)]})
    submit(
        camden,
        {"cases": [care_case(reference="CAM-LATE", date_received="2025-03-01", date_issued="2025-03-03")]},
    )
    headers = auth_headers(camden)
    seen, cursor = [], None
    while True:
        page = client.get(
            "/v1/cases", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        body = page.get_json()
        seen += [c["reference"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([f"CAM-{n}" for n in range(5)] + ["CAM-LATE"]) and len(seen) == 6
    late = client.get("/v1/cases", query_string={"issued_from": "2025-02-01"}, headers=headers).get_json()
    assert [c["reference"] for c in late["items"]] == ["CAM-LATE"]
    other_court = client.get("/v1/cases", query_string={"court": "117"}, headers=headers).get_json()
    assert other_court["items"] == []


@pytest.mark.parametrize(
    "query", [{"colour": "blue"}, {"limit": 1000}, {"cursor": "x" * 201}, {"issued_from": "01/02/2025"}]
)
def test_bad_list_queries_are_422(client, camden, auth_headers, query):
    answer = client.get("/v1/cases", query_string=query, headers=auth_headers(camden))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"


#: garbage, bad base64, the feed's cursor, the old kind-less form, a naive instant, an id that is not a UUID
FORGED = [
    "not-a-cursor",
    "a",
    "WyJmIiwxXQ",
    "WyIyMDI1LTA2LTE2VDA5OjMwOjAwKzAwOjAwIiwieCJd",
    "WyJjIiwiMjAyNSIsIngiXQ",
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_is_400_never_500(client, camden, auth_headers, cursor):
    answer = client.get("/v1/cases", query_string={"cursor": cursor}, headers=auth_headers(camden))
    assert (answer.status_code, answer.mimetype) == (400, "application/problem+json")
    assert answer.get_json()["errors"] == [
        {"pointer": "/cursor", "code": "invalid_cursor", "message": "Not a cursor of this list."}
    ]


def test_versions_page_through_the_cursor_codec(client, case_id, camden, auth_headers):
    headers = auth_headers(camden)
    for day in ("20", "27"):
        event = {
            "type": "hearing.listed",
            "occurred_at": "2025-01-08T10:00:00+00:00",
            "hearing": {"type": "CASE_MANAGEMENT", "starts_at": f"2025-01-{day}T10:00:00+00:00"},
        }
        listed = client.post(f"/v1/cases/{case_id}/events", json=event, headers=headers)
        assert listed.status_code == 200, listed.get_json()
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/cases/{case_id}/versions", query_string=query, headers=headers).get_json()
        seen += [v["version"] for v in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
        assert cursors.decode("v", cursor, cursors.count) == (seen[-1],)
    assert seen == [1, 2, 3]


#: the cases list's forgeries, a cases-list cursor, and the plain version number this list once took
@pytest.mark.parametrize("cursor", [*FORGED, "WyJjIiwiMjAyNS0wNi0xNlQwOTozMDowMCswMDowMCIsIngiXQ", "2"])
def test_a_forged_versions_cursor_is_400_never_500(client, case_id, camden, auth_headers, cursor):
    answer = client.get(
        f"/v1/cases/{case_id}/versions", query_string={"cursor": cursor}, headers=auth_headers(camden)
    )
    assert (answer.status_code, answer.mimetype) == (400, "application/problem+json")
    assert [e["code"] for e in answer.get_json()["errors"]] == ["invalid_cursor"]
