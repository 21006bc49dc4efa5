"""`GET /v1/code-lists[/{name}]`: public reference data in the list shape every list has."""

from __future__ import annotations


def test_index_names_every_list_with_its_source(client):
    body = client.get("/v1/code-lists").get_json()
    assert body["next_cursor"] is None
    names = {item["name"]: item for item in body["items"]}
    assert {"hearing_types", "cancellation_reasons", "legal_statuses"} <= set(names)
    assert names["cancellation_reasons"]["licence"].startswith("MIT")


def test_one_list_carries_its_entries(client):
    body = client.get("/v1/code-lists/cancellation_reasons").get_json()
    entries = {e["code"]: e for e in body["items"]}
    assert entries["LA1"]["agency"] == "LocalAuthority" and body["next_cursor"] is None


def test_unknown_list_is_404(client):
    answer = client.get("/v1/code-lists/nonesuch")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
