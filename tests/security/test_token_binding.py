"""Tokens bound to their client and sender (issue 15): the client register is checked on every request,
DPoP (RFC 9449) binds a token to its holder's key, and a client assertion is spent once it authenticates.

Every token here comes from the token endpoint, except in the forgery tests, which sign with the exchange's
own token key through its key store: what a thief of that key could make, refused all the same.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from exchange import audit
from exchange.auth import binding, tokens
from exchange.auth.dpop import token_hash
from exchange.db import db
from exchange.models import AuditEvent
from tests.conftest import ExchangeKey, Partner, basic_auth, cli, client_assertion, request_token

CASES = "http://localhost/v1/cases"
TOKEN_URL = "http://localhost/oauth/token"


def proof(key: ECKey, method: str, url: str, token: str | None = None, **claims: Any) -> str:
    """A DPoP proof as a client makes one (``claims`` override)."""
    body = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
    if token is not None:
        body["ath"] = token_hash(token)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, {**body, **claims}, key, algorithms=["ES256"])


def dpop_token(client: FlaskClient, partner: Partner, key: ECKey) -> dict[str, Any]:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**_basic(partner), "DPoP": proof(key, "POST", TOKEN_URL)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _basic(partner: Partner) -> dict[str, str]:
    return basic_auth(partner.client_id, partner.secret or "")


def _denials() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")))


@pytest.fixture
def la(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner("local_authority", org_id="bound-la")


# --- the client register -----------------------------------------------------------------------------
def test_a_revoked_clients_token_stops_at_once_and_its_use_is_audited_with_the_client(
    client: FlaskClient, la: Partner, token_for: Callable[..., str], runner: Any
) -> None:
    token = token_for(la)
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    cli(runner, "client", "revoke", "--client", la.client_id)
    refused = client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "revoked" in refused.get_json()["detail"]
    assert [e.client_id for e in _denials()] == [la.client_id]


def test_a_revoked_token_is_audited_with_its_client(
    client: FlaskClient, la: Partner, token_for: Callable[..., str]
) -> None:
    token = token_for(la)
    revoked = client.post("/oauth/revoke", data={"token": token}, headers=_basic(la))
    assert revoked.status_code == 200
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert [(e.client_id, e.org_id) for e in _denials()] == [(la.client_id, None)]


def test_a_rotated_clients_older_tokens_stop(
    client: FlaskClient, la: Partner, token_for: Callable[..., str], runner: Any
) -> None:
    token = token_for(la)
    rotated = cli(runner, "client", "rotate", "--client", la.client_id, "--json")
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    la.secret = rotated["client_secret"]
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token_for(la)}"}).status_code == 200


def test_another_process_sees_a_revocation_within_the_cache_lifetime(
    app: Flask, client: FlaskClient, la: Partner, token_for: Callable[..., str], runner: Any
) -> None:
    register = app.extensions[binding.EXTENSION]
    token = token_for(la)
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    register.forget = lambda client_id: None  # as in another process: this one is not told
    cli(runner, "client", "revoke", "--client", la.client_id)
    assert register.ttl <= 5
    register.ttl = 0  # the cached entry has aged past its lifetime
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("another_org", {"org": "bound-other-la", "org_kind": "local_authority"}),
        ("no_such_client", {"client_id": "nobody", "sub": "nobody"}),
        ("scope_beyond", {"scope": "cases:read cases:submit feed:read"}),
        ("ten_years", {"exp": int(time.time()) + 10 * 365 * 86400}),
    ],
)
def test_a_token_signed_with_the_exchanges_own_key_but_not_its_clients_is_refused(
    client: FlaskClient,
    make_partner: Callable[..., Partner],
    la: Partner,
    token_for: Callable[..., str],
    exchange_key: ExchangeKey,
    name: str,
    changes: dict[str, Any],
) -> None:
    """The review's forgeries, made with the real token key (as only a thief of the key store could)."""
    make_partner("local_authority", org_id="bound-other-la", options=("--la-code", "203"))
    genuine = jwt.decode(token_for(la), exchange_key.public, algorithms=["ES256"]).claims
    forged = exchange_key.encode({"typ": "at+jwt"}, {**genuine, "jti": uuid.uuid4().hex, **changes})
    response = client.get("/v1/cases", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, name


# --- DPoP ----------------------------------------------------------------------------------------------
def test_a_token_asked_for_with_a_proof_is_bound_to_its_key(
    client: FlaskClient, la: Partner, exchange_key: ExchangeKey
) -> None:
    key = ECKey.generate_key("P-256")
    issued = dpop_token(client, la, key)
    assert issued["token_type"] == "DPoP"
    token = issued["access_token"]
    claims = jwt.decode(token, exchange_key.public, algorithms=["ES256"]).claims
    assert claims["cnf"] == {"jkt": key.thumbprint()}
    good = client.get(
        "/v1/cases", headers={"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", CASES, token)}
    )
    assert good.status_code == 200
    introspected = client.post("/oauth/introspect", data={"token": token}, headers=_basic(la)).get_json()
    assert introspected["token_type"] == "DPoP" and introspected["cnf"] == {"jkt": key.thumbprint()}


def _refusals(key: ECKey, token: str) -> tuple[dict[str, dict[str, str]], str]:
    stranger = ECKey.generate_key("P-256")
    replayed = proof(key, "GET", CASES, token)
    return {
        "as_bearer": {"Authorization": f"Bearer {token}", "DPoP": proof(key, "GET", CASES, token)},
        "without_proof": {"Authorization": f"DPoP {token}"},
        "replayed": {"Authorization": f"DPoP {token}", "DPoP": replayed},
        "another_url": {"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", f"{CASES}/x", token)},
        "another_method": {"Authorization": f"DPoP {token}", "DPoP": proof(key, "POST", CASES, token)},
        "another_token": {"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", CASES, "other")},
        "no_ath": {"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", CASES)},
        "stale": {
            "Authorization": f"DPoP {token}",
            "DPoP": proof(key, "GET", CASES, token, iat=int(time.time()) - 120),
        },
        "another_key": {"Authorization": f"DPoP {token}", "DPoP": proof(stranger, "GET", CASES, token)},
        "garbage": {"Authorization": f"DPoP {token}", "DPoP": "not-a-proof"},
    }, replayed


def test_a_bound_token_is_refused_without_a_fresh_proof_of_its_key(client: FlaskClient, la: Partner) -> None:
    key = ECKey.generate_key("P-256")
    token = dpop_token(client, la, key)["access_token"]
    refusals, replayed = _refusals(key, token)
    first = client.get("/v1/cases", headers={"Authorization": f"DPoP {token}", "DPoP": replayed})
    assert first.status_code == 200
    for name, headers in refusals.items():
        response = client.get("/v1/cases", headers=headers)
        assert response.status_code == 401, name
        assert response.mimetype == "application/problem+json", name
    proofless = client.get("/v1/cases", headers=refusals["without_proof"])
    assert proofless.headers["WWW-Authenticate"].startswith('DPoP realm="exchange", algs="ES256"')


def test_a_bearer_token_is_not_accepted_as_dpop(
    client: FlaskClient, la: Partner, token_for: Callable[..., str]
) -> None:
    key = ECKey.generate_key("P-256")
    token = token_for(la)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", CASES, token)}
    assert client.get("/v1/cases", headers=headers).status_code == 401


def test_a_dpop_client_gets_no_bearer_token(
    client: FlaskClient, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner("local_authority", org_id="dpop-la", dpop=True)
    refused = request_token(client, partner)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_dpop_proof"
    key = ECKey.generate_key("P-256")
    token = dpop_token(client, partner, key)["access_token"]
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", CASES, token)}
    assert client.get("/v1/cases", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("another_url", lambda key: proof(key, "POST", "http://localhost/oauth/introspect")),
        ("another_method", lambda key: proof(key, "GET", TOKEN_URL)),
        ("stale", lambda key: proof(key, "POST", TOKEN_URL, iat=int(time.time()) - 120)),
        (
            "private_jwk",
            lambda key: jwt.encode(
                {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=True)},
                {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())},
                key,
                algorithms=["ES256"],
            ),
        ),
        (
            "wrong_typ",
            lambda key: jwt.encode(
                {"typ": "JWT", "alg": "ES256", "jwk": key.as_dict(private=False)},
                {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())},
                key,
                algorithms=["ES256"],
            ),
        ),
    ],
)
def test_the_token_endpoint_refuses_a_bad_proof(
    client: FlaskClient, la: Partner, name: str, make: Callable[[ECKey], str]
) -> None:
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**_basic(la), "DPoP": make(ECKey.generate_key("P-256"))},
    )
    assert response.status_code == 400, name
    assert response.get_json()["error"] == "invalid_dpop_proof"


def test_a_token_request_proof_is_used_once(client: FlaskClient, la: Partner) -> None:
    key = ECKey.generate_key("P-256")
    once = proof(key, "POST", TOKEN_URL)
    headers = {**_basic(la), "DPoP": once}
    assert (
        client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=headers).status_code
        == 200
    )
    again = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_dpop_proof"


def test_the_metadata_names_the_dpop_algorithms(client: FlaskClient) -> None:
    assert client.get("/.well-known/oauth-authorization-server").get_json()[
        "dpop_signing_alg_values_supported"
    ] == ["ES256"]


# --- client assertions ---------------------------------------------------------------------------------
def test_an_assertion_is_spent_even_when_its_request_then_fails(
    client: FlaskClient, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner("local_authority", org_id="pkjwt-la", private_key_jwt=True)
    assertion = client_assertion(partner)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    failed = client.post("/oauth/token", data={**form, "scope": "metrics:read"})
    assert failed.status_code == 400 and failed.get_json()["error"] == "invalid_scope"
    again = client.post("/oauth/token", data=form)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_client"
    assert "used before" in again.get_json()["error_description"]


@pytest.mark.parametrize(
    ("module", "name"),
    [(tokens, "issue"), (audit, "event_hash")],  # the token not signed; the request's commit failing
)
def test_an_assertion_is_spent_when_its_request_fails_on_the_server(
    client: FlaskClient,
    make_partner: Callable[..., Partner],
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
) -> None:
    partner = make_partner("local_authority", org_id="pkjwt-la", private_key_jwt=True)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(partner),
    }

    def broken(*_args: Any) -> None:
        raise RuntimeError("the key store is down")

    with monkeypatch.context() as patch:
        patch.setattr(module, name, broken)
        failed = client.post("/oauth/token", data=form)
        assert failed.status_code == 500 and "access_token" not in failed.get_data(as_text=True)
    again = client.post("/oauth/token", data=form)
    assert again.status_code == 400 and "used before" in again.get_json()["error_description"]


@pytest.mark.parametrize("endpoint", ["/oauth/introspect", "/oauth/revoke"])
def test_an_assertion_used_at_introspection_or_revocation_is_spent(
    client: FlaskClient, make_partner: Callable[..., Partner], endpoint: str
) -> None:
    partner = make_partner("local_authority", org_id="pkjwt-la", private_key_jwt=True)
    form = {
        "token": "not-a-token-of-this-exchange",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(partner),
    }
    assert client.post(endpoint, data=form).status_code == 200
    again = client.post(endpoint, data=form)
    assert again.status_code in (400, 401) and again.get_json()["error"] == "invalid_client"


def test_the_password_grant_is_refused(client: FlaskClient, la: Partner) -> None:
    form = {"grant_type": "password", "username": "someone", "password": "secret"}
    response = client.post("/oauth/token", data=form, headers=_basic(la))
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"
