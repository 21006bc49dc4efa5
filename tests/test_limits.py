"""Abuse limits that bind (issue 15): strangers are limited by address before any database work, the
token endpoint by address whatever the request carries, failed authentication is audited as a count per
address and minute, events record the caller's address, 403s their target, error lists are capped."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from exchange import clock, create_app
from exchange.db import db
from exchange.errors import MAX_LISTED_ERRORS
from exchange.models import AuditEvent
from tests.conftest import ISSUER, Partner, basic_auth, request_token


def limited_app(database_url: str, **settings: Any) -> Flask:
    config = {
        "database_url": database_url,
        "issuer": ISSUER,
        "rate_limit": "20 per minute",
        "token_rate_limit": "100 per minute",
        **settings,
    }
    return create_app(config)


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.seq)
    return list(db.session.scalars(query.where(AuditEvent.action == action) if action else query))


@pytest.fixture
def owner(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner("local_authority")


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement run while the test looks."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def made_up(n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer made-up-{n}-{uuid.uuid4().hex}"}


def test_a_flood_of_made_up_tokens_is_429_by_address_before_any_database_work(
    database_url: str, app: Flask, statements: list[str]
) -> None:
    client = limited_app(database_url).test_client()
    statuses = [client.get("/v1/cases", headers=made_up(n)).status_code for n in range(20)]
    assert statuses == [401] * 20  # each its own made-up token: one budget, the address's
    statements.clear()
    flood = [client.get("/v1/cases", headers=made_up(n)) for n in range(200)]
    assert {r.status_code for r in flood} == {429}
    assert flood[0].mimetype == "application/problem+json"
    assert statements == []  # no token parsed, no key read, no audit written
    # the trail holds one full event for the address's first failure this minute, not one per request
    assert len(events("access.denied")) == 1


def test_a_verified_token_has_a_budget_of_its_own(database_url: str, app: Flask, owner: Partner) -> None:
    client = limited_app(database_url).test_client()
    token = request_token(client, owner).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/cases", headers=headers).status_code == 200  # verified: limited by token now
    for n in range(30):
        client.get("/v1/cases", headers=made_up(n))
    assert client.get("/v1/cases", headers=made_up(99)).status_code == 429
    assert client.get("/v1/cases", headers=headers).status_code == 200


def test_the_token_endpoint_is_limited_by_address_whatever_the_request_carries(
    database_url: str, app: Flask, owner: Partner
) -> None:
    client = limited_app(database_url, token_rate_limit="3 per minute").test_client()
    data = {"grant_type": "client_credentials"}
    auth = basic_auth(owner.client_id, owner.secret or "")
    statuses = [
        client.post("/oauth/token", data=data, headers={**auth, "X-Forwarded-For": f"10.0.0.{n}"}).status_code
        for n in range(3)
    ]
    # a bearer header (the old per-token key) or another X-Forwarded-For (not trusted) changes nothing
    statuses += [
        client.post("/oauth/token", data=data, headers={**auth, **made_up(n)}).status_code for n in range(2)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_over_its_limit_the_token_endpoint_answers_429_before_any_database_work_and_spends_no_other_budget(
    database_url: str, app: Flask, owner: Partner, statements: list[str]
) -> None:
    limits = {"rate_limit": "2 per minute", "token_rate_limit": "2 per minute"}
    client = limited_app(database_url, **limits).test_client()
    assert [request_token(client, owner).status_code for _ in range(2)] == [200, 200]
    statements.clear()
    refused = request_token(client, owner)
    assert (refused.status_code, refused.mimetype) == (429, "application/problem+json")
    assert int(refused.headers["Retry-After"]) >= 1
    assert statements == []  # no client read, no assertion spent, nothing audited
    # the token requests were counted against the token endpoint's limit only: the address's budget for
    # the API is whole
    assert [client.get("/v1/cases").status_code for _ in range(3)] == [401, 401, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_key(database_url: str, app: Flask) -> None:
    client = limited_app(database_url, rate_limit="3 per minute", proxy_fix=1).test_client()

    def get(address: str) -> int:
        return client.get("/health/live", headers={"X-Forwarded-For": address}).status_code

    assert [get("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
    assert get("198.51.100.9") == 200
    untrusted = limited_app(database_url, rate_limit="3 per minute").test_client()
    assert [untrusted.get("/health/live", headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
            for n in range(4)] == [200, 200, 200, 429]  # fmt: skip


def test_failed_authentication_is_audited_as_a_count_per_address_and_minute(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(50):
        assert client.get("/v1/cases", headers=made_up(n)).status_code == 401
    [first] = events("access.denied")
    assert first.address == "127.0.0.1" and first.outcome == "denied_401"
    assert events("auth.failures_repeated") == []
    later = clock.now() + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/health/live").status_code == 200  # the next request writes the minute's count
    [count] = events("auth.failures_repeated")
    assert (count.address, count.detail["count"], count.outcome) == ("127.0.0.1", 49, "denied_401")
    assert count.detail["minute"] == (later - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
    assert len(events("access.denied")) == 1


def test_failed_client_authentication_at_the_token_endpoint_is_counted_too(
    client: FlaskClient, owner: Partner
) -> None:
    wrong = basic_auth(owner.client_id, "not-the-secret")
    for _ in range(10):
        assert (
            client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=wrong).status_code
            == 401
        )
    assert len(events("auth.token_denied")) == 1


def test_events_record_the_callers_address_as_the_proxy_gives_it(
    database_url: str, app: Flask, owner: Partner
) -> None:
    client = limited_app(database_url, proxy_fix=1).test_client()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**basic_auth(owner.client_id, owner.secret or ""), "X-Forwarded-For": "203.0.113.40"},
    )
    assert response.status_code == 200
    [issued] = events("auth.token_issued")
    assert issued.address == "203.0.113.40"


def test_a_403_is_audited_with_its_target(
    client: FlaskClient, make_partner: Callable[..., Partner], auth_headers: Callable[..., dict[str, str]]
) -> None:
    board = make_partner("lfjb")
    case_id = str(uuid.uuid4())
    assert client.get(f"/v1/cases/{case_id}", headers=auth_headers(board)).status_code == 403
    [denied] = events("access.denied")
    assert denied.outcome == "denied_403" and denied.detail["target"] == "GET /v1/cases/<case_id>"
    assert denied.resource_ids == [case_id] and denied.org_id == board.org_id


def test_a_body_of_200000_unknown_fields_answers_a_short_list(
    client: FlaskClient, make_partner: Callable[..., Partner], auth_headers: Callable[..., dict[str, str]]
) -> None:
    court = make_partner("court")
    body = json.dumps({f"unknown_{n}": 1 for n in range(200_000)})
    assert len(body) > 3_000_000
    response = client.post(
        "/v1/advice-requests",
        data=body,
        headers={**auth_headers(court), "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and len(response.get_data()) < 50_000
    errors = response.get_json()["errors"]
    assert len(errors) == MAX_LISTED_ERRORS + 1
    total = errors[-1]["message"]
    assert errors[-1]["code"] == "errors_truncated" and total.startswith("and ") and total.endswith(" more")
    assert int(total.split()[1]) + MAX_LISTED_ERRORS >= 200_000


def test_an_errors_list_under_the_cap_is_whole() -> None:
    from exchange.errors import ValidationFailed

    faults = [{"pointer": f"/{n}", "code": "invalid", "message": "m"} for n in range(MAX_LISTED_ERRORS)]
    assert ValidationFailed(errors=faults).body()["errors"] == faults


def test_no_event_is_written_for_an_answered_429(database_url: str, app: Flask) -> None:
    client = limited_app(database_url, rate_limit="2 per minute").test_client()
    for _ in range(10):
        client.get("/health/live")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
