"""``GET /v1/feed``: commit order, no gaps or repeats across pages and restarts, each Cafcass its own
country's cases (by the child's local authority), documents filtered by the field policy.
"""

from __future__ import annotations

from tests.delivery.helpers import case_data, save_case


def _read_all(client, headers, cursor=None, limit=2):  # type: ignore[no-untyped-def]
    items = []
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/feed", query_string=query, headers=headers)
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["items"]:
            return items, cursor


def test_feed_pages_in_commit_order_and_resumes_without_gaps_or_repeats(client, auth_headers, make_partner):
    la = make_partner("local_authority")
    cafcass, cymru = make_partner("cafcass"), make_partner("cafcass", options=("--service", "cafcass_cymru"))
    english = [save_case(la.org_id, case_data(court="115", reference=f"E{n}")) for n in range(3)]
    # a Cardiff child's case at the Central Family Court: Cafcass Cymru's, by the child's LA
    welsh = save_case(la.org_id, case_data(court="115", reference="W1", applicant_la="W06000015"))
    headers = auth_headers(cafcass)

    items, cursor = _read_all(client, headers)
    assert [(i["case_id"], i["version"]) for i in items] == [(str(c.id), 1) for c in english]
    assert all("la_child_id" not in i["case"]["children"][0] for i in items)  # the policy for cafcass
    assert items[0]["case"]["respondents"][0]["address"]["postcode"] == "ZZ1 1ZZ"

    # a new version later, read by a "restarted" client that kept only its cursor
    save_case(la.org_id, case_data(court="115", reference="E0", state="Gatekeeping"), english[0])
    save_case(la.org_id, case_data(court="115", reference="E3"))
    more, _ = _read_all(client, auth_headers(cafcass), cursor)
    first = more[0]
    assert (first["case_id"], first["version"], first["case"]["state"]) == (
        str(english[0].id),
        2,
        "Gatekeeping",
    )
    assert len(more) == 2
    everything, _ = _read_all(client, headers, limit=500)
    assert everything == items + more

    welsh_items, _ = _read_all(client, auth_headers(cymru))
    assert [i["case_id"] for i in welsh_items] == [str(welsh.id)]


def test_feed_refuses_a_forged_cursor_and_other_kinds(client, auth_headers, make_partner):
    cafcass = make_partner("cafcass")
    # garbage, bad base64, another list's, a negative seq, a string seq, too many values
    for cursor in ("not-a-cursor", "a", "WyJhIiwxXQ", "WyJmIiwtMV0", "WyJmIiwiMSJd", "WyJmIiwxLDJd"):
        response = client.get("/v1/feed", query_string={"cursor": cursor}, headers=auth_headers(cafcass))
        assert (response.status_code, response.mimetype) == (400, "application/problem+json"), cursor
        assert [e["code"] for e in response.get_json()["errors"]] == ["invalid_cursor"]
    court = make_partner("court")
    assert client.get("/v1/feed", headers=auth_headers(court)).status_code == 403
    assert (
        client.get("/v1/feed", query_string={"limit": 501}, headers=auth_headers(cafcass)).status_code == 422
    )
