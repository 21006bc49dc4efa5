"""Issue 3 end to end: an LA submits a two-child care case, reads and progresses it; no one else sees it."""

from __future__ import annotations

from tests.api.conftest import care_case


def test_care_case_from_submission_to_final_order(client, camden, greenwich, submit, auth_headers):
    headers = auth_headers(camden)

    submitted = submit(camden, care_case())
    assert submitted.status_code == 201, submitted.get_json()
    receipt = submitted.get_json()
    assert receipt["status"] == "accepted" and (receipt["records"], receipt["accepted"]) == (1, 1)

    listed = client.get("/v1/cases", headers=headers).get_json()
    assert [c["reference"] for c in listed["items"]] == ["CAM-2025-0001"]
    assert listed["next_cursor"] is None
    case_id = listed["items"][0]["id"]

    read = client.get(f"/v1/cases/{case_id}", headers=headers)
    case = read.get_json()
    assert read.status_code == 200 and read.headers["ETag"]
    assert len(case["children"]) == 2 and all(child["id"] for child in case["children"])
    assert (case["dfj_area"], case["region"], case["version"]) == ("CENTRAL_LONDON", "London", 1)
    assert case["children"][0]["timetable_deadline"] == "2025-07-08"  # issue + 26 weeks

    listed_hearing = client.post(
        f"/v1/cases/{case_id}/events",
        json={
            "type": "hearing.listed",
            "occurred_at": "2025-01-08T10:00:00+00:00",
            "hearing": {"type": "CASE_MANAGEMENT", "starts_at": "2025-01-21T10:00:00+00:00"},
        },
        headers={**headers, "If-Match": read.headers["ETag"]},
    )
    assert listed_hearing.status_code == 200, listed_hearing.get_json()
    hearing = listed_hearing.get_json()["hearings"][0]
    assert hearing["status"] == "listed" and listed_hearing.get_json()["version"] == 2

    held = client.post(
        f"/v1/cases/{case_id}/events",
        json={
            "type": "hearing.held",
            "occurred_at": "2025-01-21T12:00:00+00:00",
            "hearing_id": hearing["id"],
        },
        headers=headers,
    )
    assert held.get_json()["hearings"][0]["status"] == "held"

    children = [child["id"] for child in case["children"]]
    ordered = client.post(
        f"/v1/cases/{case_id}/events",
        json={
            "type": "order.made",
            "occurred_at": "2025-01-21T12:30:00+00:00",
            "order": {
                "type": "INTERIM_CARE_ORDER",
                "child_ids": children,
                "made_on": "2025-01-21",
                "interim": True,
            },
        },
        headers=headers,
    )
    assert ordered.status_code == 200
    assert ordered.get_json()["orders_made"][0]["child_ids"] == children
    assert ordered.get_json()["version"] == 4

    versions = client.get(f"/v1/cases/{case_id}/versions", headers=headers).get_json()
    assert [(v["version"], v["event_type"]) for v in versions["items"]] == [
        (1, "case.submitted"),
        (2, "hearing.listed"),
        (3, "hearing.held"),
        (4, "order.made"),
    ]
    assert versions["items"][0]["case"]["hearings"] == []

    other = auth_headers(greenwich)
    assert client.get(f"/v1/cases/{case_id}", headers=other).status_code == 404
    assert client.get("/v1/cases", headers=other).get_json()["items"] == []
    assert client.get(f"/v1/cases/{case_id}/versions", headers=other).status_code == 404
