"""The authorization server and resource protection, through the real token endpoint.

Good tokens are always obtained from ``/oauth/token``; the bad ones below are made to look like
something an attacker (or a stale client) would send, and every one must fail closed and be audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from joserfc import jws, jwt
from joserfc.jwk import ECKey
from sqlalchemy import event, select
from werkzeug.serving import make_server

from exchange.api.access import visible_or_404
from exchange.api.oauth_server import authorization_server
from exchange.api.protect import current_principal, requires
from exchange.auth import tokens
from exchange.db import db
from exchange.models import AuditEvent, OAuthClient, RevokedToken, UsedAssertion
from exchange.settings import ConfigurationError, Settings
from tests.conftest import ISSUER, ExchangeKey, Partner, basic_auth, cli, client_assertion, request_token

THINGS = {"thing-a": "owner-org"}


@pytest.fixture
def protected(app: Flask) -> None:
    """A resource behind the real guard, owned by one organisation: the mechanism every API uses."""
    bp = Blueprint("things", __name__)

    @bp.get("/things/<thing_id>")
    @requires("cases:read")
    def read(thing_id: str) -> dict[str, Any]:
        owner = visible_or_404("thing", thing_id, THINGS.get(thing_id), lambda p, o: p.org_id == o)
        return {"id": thing_id, "owner": owner, "client": current_principal().client_id}

    @bp.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {"never": "reached"}

    app.register_blueprint(bp)


def audit_events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    db.session.rollback()
    return list(db.session.scalars(query))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def owner(make_partner: Callable[..., Partner]) -> Partner:
    return make_partner("local_authority", org_id="owner-org")


def test_secret_client_gets_a_token_and_uses_it(
    client: FlaskClient, owner: Partner, protected: None, exchange_key: ExchangeKey
) -> None:
    response = request_token(client, owner)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert set(body["scope"].split()) == {"cases:submit", "cases:read"}
    assert response.headers["Cache-Control"] == "no-store"
    token = body["access_token"]
    header = jws.extract_compact(token.encode()).headers()
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt" and header["kid"]
    claims = jwt.decode(token, exchange_key.public).claims
    assert claims["aud"] == "https://family-justice-exchange/api" and claims["iss"] == ISSUER
    assert claims["exp"] - claims["iat"] == 300
    assert claims["org"] == "owner-org" and claims["org_kind"] == "local_authority"
    read = client.get("/things/thing-a", headers=bearer(token))
    assert read.status_code == 200 and read.get_json()["client"] == owner.client_id
    assert [e.outcome for e in audit_events("auth.token_issued")] == ["success"]


def test_secret_is_stored_only_as_a_hash(owner: Partner) -> None:
    stored = db.session.get(OAuthClient, owner.client_id)
    assert owner.secret and owner.secret not in (stored.secret_hash or "")
    assert stored.check_client_secret(owner.secret) and not stored.check_client_secret(owner.secret + "x")


def test_private_key_jwt_client_gets_a_token(
    client: FlaskClient, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner("cafcass", private_key_jwt=True)
    assert partner.secret is None
    response = request_token(client, partner, scope="feed:read")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"] == "feed:read"


def test_authlib_client_over_real_http(
    app: Flask, make_partner: Callable[..., Partner], protected: None
) -> None:
    """Authlib's own OAuth2Session with private_key_jwt against the exchange served over loopback."""
    partner = make_partner("local_authority", org_id="owner-org", private_key_jwt=True)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        session = OAuth2Session(
            partner.client_id, partner.private_key, token_endpoint_auth_method="private_key_jwt"
        )
        # the exchange's issuer is the audience of assertions, wherever it is reached
        session.register_client_auth_method(PrivateKeyJWT(f"{ISSUER}/oauth/token", alg="ES256"))
        token = session.fetch_token(f"{base}/oauth/token", grant_type="client_credentials")
        assert token["expires_in"] == 300
        assert session.get(f"{base}/things/thing-a").json()["client"] == partner.client_id
    finally:
        server.shutdown()
        thread.join()


def _forge(key: Any, header: dict[str, Any], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "https://family-justice-exchange/api",
        "sub": "c",
        "client_id": "c",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "cases:read",
        "org": "owner-org",
    }
    claims.update(overrides)
    if isinstance(key, ExchangeKey):
        return key.encode(header, claims)
    return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_jws(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def _hmac_with_public_key(key: ECKey) -> str:
    """The algorithm-confusion attack: HS256 keyed with the public key (libraries refuse to make it)."""
    now = int(time.time())
    header = {"alg": "HS256", "typ": "at+jwt", "kid": key.kid}
    claims = {
        "iss": ISSUER,
        "aud": "https://family-justice-exchange/api",
        "org": "owner-org",
        "client_id": "c",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "cases:read",
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
    signature = hmac.new(key.as_pem(private=False), signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{_b64(signature)}"


BAD_TOKENS: dict[str, Callable[[ECKey], str]] = {
    "expired": lambda key: _forge(
        key,
        {"alg": "ES256", "typ": "at+jwt", "kid": key.kid},
        iat=int(time.time()) - 900,
        exp=int(time.time()) - 600,
    ),
    "wrong_aud": lambda key: _forge(
        key, {"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, aud="https://elsewhere"
    ),
    "wrong_iss": lambda key: _forge(
        key, {"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, iss="https://evil"
    ),
    "alg_none": lambda key: _raw_jws(
        {"alg": "none", "typ": "at+jwt", "kid": key.kid},
        {
            "iss": ISSUER,
            "aud": "https://family-justice-exchange/api",
            "org": "owner-org",
            "exp": int(time.time()) + 300,
        },
        b"",
    ),
    "hs256_with_public_key": lambda key: _hmac_with_public_key(key),
    "missing_typ": lambda key: _forge(key, {"alg": "ES256", "kid": key.kid}),
    "unknown_key": lambda key: _forge(
        ECKey.generate_key("P-256", auto_kid=True),
        {"alg": "ES256", "typ": "at+jwt", "kid": "rotated-out-key"},
    ),
    "garbage": lambda key: "not-a-token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_fail_closed_and_are_audited(
    client: FlaskClient, owner: Partner, protected: None, kind: str, exchange_key: ExchangeKey
) -> None:
    token = BAD_TOKENS[kind](exchange_key)
    response = client.get("/things/thing-a", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="exchange", error="invalid_token"')
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401
    assert [e.outcome for e in audit_events("access.denied")] == ["denied_401"]


def test_missing_token_is_401_with_a_bare_challenge(client: FlaskClient, protected: None) -> None:
    response = client.get("/things/thing-a")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="exchange"'


def test_token_in_query_string_is_refused(
    client: FlaskClient, owner: Partner, protected: None, token_for: Callable[..., str]
) -> None:
    token = token_for(owner)
    response = client.get(f"/things/thing-a?access_token={token}")
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]
    assert [e.outcome for e in audit_events("auth.token_in_query")] == ["denied_400"]


def test_wrong_scope_is_403_and_audited(
    client: FlaskClient, owner: Partner, protected: None, token_for: Callable[..., str]
) -> None:
    response = client.get("/things/thing-a", headers=bearer(token_for(owner, scope="cases:submit")))
    assert response.status_code == 403
    assert 'error="insufficient_scope", scope="cases:read"' in response.headers["WWW-Authenticate"]
    assert [e.outcome for e in audit_events("access.denied")] == ["denied_403"]


def test_view_without_declared_scope_denies_every_token(
    client: FlaskClient, owner: Partner, protected: None, token_for: Callable[..., str]
) -> None:
    assert client.get("/undeclared", headers=bearer(token_for(owner))).status_code == 403


def test_another_organisations_object_is_404_like_a_missing_one(
    client: FlaskClient, make_partner: Callable[..., Partner], protected: None, token_for: Callable[..., str]
) -> None:
    stranger = make_partner("local_authority", options=("--la-code", "203"))
    headers = bearer(token_for(stranger))
    foreign = client.get("/things/thing-a", headers=headers)
    missing = client.get("/things/thing-zzz", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    events = audit_events()
    assert [(e.action, e.resource_ids) for e in events if e.action.startswith("access.")] == [
        ("access.foreign_object", ["thing-a"]),
        ("access.unknown_object", ["thing-zzz"]),
    ]
    assert all(e.org_id == stranger.org_id for e in events if e.action.startswith("access."))


def test_client_assertion_cannot_be_replayed(
    client: FlaskClient, make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner("cafcass", private_key_jwt=True)
    assertion = client_assertion(partner)
    data = {
        "grant_type": "client_credentials",
        "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert client.post("/oauth/token", data=data).status_code == 200
    replay = client.post("/oauth/token", data=data)
    assert replay.status_code in (400, 401)
    assert replay.get_json()["error"] == "invalid_client"
    # not to be kept by a cache, as every answer of the token endpoint (RFC 6749 §5.1)
    assert (replay.headers["Cache-Control"], replay.headers["Pragma"]) == ("no-store", "no-cache")
    assert db.session.scalar(select(UsedAssertion.jti).where(UsedAssertion.client_id == partner.client_id))
    assert [e.outcome for e in audit_events("auth.token_denied")] == ["failure"]


def test_a_token_request_writes_only_the_spent_assertion_and_its_event_after_the_token_is_made(
    client: FlaskClient, make_partner: Callable[..., Partner], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the first write takes the database's write lock until the commit: the token is signed and
    its answer made before it, so that the lock is held for the two inserts and nothing else."""
    partner = make_partner("cafcass", private_key_jwt=True)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert (
        client.post("/oauth/token", data={**data, "client_assertion": client_assertion(partner)}).status_code
        == 200
    )
    steps: list[str] = []
    for module, name in ((tokens, "issue"), (authorization_server, "handle_response")):
        made = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _made=made, _name=name, **k: steps.append(_name) or _made(*a, **k)
        )
    engine = db.engine
    listeners = {
        "before_cursor_execute": lambda _c, _cur, statement, *_: steps.append(
            statement.split("(")[0].strip()
        ),
        "commit": lambda *_: steps.append("COMMIT"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        assert (
            client.post(
                "/oauth/token", data={**data, "client_assertion": client_assertion(partner)}
            ).status_code
            == 200
        )
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    assert steps[:2] == ["issue", "handle_response"]  # before the transaction's first statement
    written = [s for s in steps[2:] if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert written == ["INSERT INTO used_assertions", "INSERT INTO audit_events"]
    assert steps[-1] == "COMMIT"


@pytest.mark.parametrize(
    "claims",
    [
        {"iat": -301, "exp": 60},  # issued more than 300 s ago
        {"iat": -400, "exp": 3600},  # a long exp does not extend it
        {"iat": 120, "exp": 300},  # issued in the future
        {"aud": "https://somewhere-else/oauth/token"},
    ],
)
def test_stale_or_misdirected_assertions_are_refused(
    client: FlaskClient, make_partner: Callable[..., Partner], claims: dict[str, Any]
) -> None:
    partner = make_partner("cafcass", private_key_jwt=True)
    now = int(time.time())  # times are offsets from the moment the test runs, not from collection
    claims = {name: now + value if name in ("iat", "exp") else value for name, value in claims.items()}
    response = request_token(client, partner, **claims)
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] == "invalid_client"


def test_assertion_without_iat_is_refused(client: FlaskClient, make_partner: Callable[..., Partner]) -> None:
    partner = make_partner("cafcass", private_key_jwt=True)
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256", "kid": partner.private_key.kid},
        {
            "iss": partner.client_id,
            "sub": partner.client_id,
            "aud": f"{ISSUER}/oauth/token",
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        },
        partner.private_key,
    )
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
    )
    assert response.status_code in (400, 401) and "iat" in response.get_json()["detail"]


def test_wrong_secret_and_scope_beyond_the_client(client: FlaskClient, owner: Partner) -> None:
    wrong = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic_auth(owner.client_id, "not-the-secret"),
    )
    assert wrong.status_code == 401 and wrong.mimetype == "application/problem+json"
    assert wrong.get_json()["error"] == "invalid_client"
    beyond = request_token(client, owner, scope="metrics:read")
    assert beyond.status_code == 400 and beyond.get_json()["error"] == "invalid_scope"


def test_revoked_client_gets_no_token(client: FlaskClient, owner: Partner, runner: Any) -> None:
    cli(runner, "client", "revoke", "--client", owner.client_id)
    assert request_token(client, owner).status_code in (400, 401)


def test_revoked_token_is_refused_everywhere(
    app: Flask,
    client: FlaskClient,
    owner: Partner,
    protected: None,
    token_for: Callable[..., str],
    database_url: str,
) -> None:
    token = token_for(owner)
    assert client.get("/things/thing-a", headers=bearer(token)).status_code == 200
    revoked = client.post(
        "/oauth/revoke", data={"token": token}, headers=basic_auth(owner.client_id, owner.secret)
    )
    assert revoked.status_code == 200
    assert client.get("/things/thing-a", headers=bearer(token)).status_code == 401
    # a second app on the same database (another process, in production) refuses it too, at once
    from exchange import create_app

    other = create_app({"database_url": database_url, "issuer": ISSUER})
    with other.app_context():
        assert db.session.scalar(select(RevokedToken).limit(1)) is not None
    other_client = other.test_client()
    assert other_client.post(
        "/oauth/introspect", data={"token": token}, headers=basic_auth(owner.client_id, owner.secret)
    ).get_json() == {"active": False}


def test_introspection_answers_only_the_tokens_owner(
    client: FlaskClient, owner: Partner, make_partner: Callable[..., Partner], token_for: Callable[..., str]
) -> None:
    token = token_for(owner)
    mine = client.post(
        "/oauth/introspect", data={"token": token}, headers=basic_auth(owner.client_id, owner.secret)
    )
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["active"] is True and body["client_id"] == owner.client_id and body["org"] == "owner-org"
    other = make_partner("court")
    theirs = client.post(
        "/oauth/introspect", data={"token": token}, headers=basic_auth(other.client_id, other.secret)
    )
    assert theirs.get_json() == {"active": False}


def test_key_rotation_keeps_old_tokens_valid(
    client: FlaskClient, owner: Partner, protected: None, runner: Any, token_for: Callable[..., str]
) -> None:
    old = token_for(owner)
    old_kid = jws.extract_compact(old.encode()).headers()["kid"]
    new_kid = cli(runner, "keys", "rotate", "--json")["kid"]
    new = token_for(owner)
    assert jws.extract_compact(new.encode()).headers()["kid"] == new_kid != old_kid
    for token in (old, new):
        assert client.get("/things/thing-a", headers=bearer(token)).status_code == 200
    published = {k["kid"] for k in client.get("/oauth/jwks").get_json()["keys"]}
    assert {old_kid, new_kid} <= published
    assert all("d" not in k for k in client.get("/oauth/jwks").get_json()["keys"])


def test_oauth_endpoints_refuse_query_parameters(client: FlaskClient, owner: Partner) -> None:
    response = client.post(
        "/oauth/token?grant_type=client_credentials",
        data={"grant_type": "client_credentials"},
        headers=basic_auth(owner.client_id, owner.secret),
    )
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_metadata_describes_the_server(client: FlaskClient) -> None:
    body = client.get("/.well-known/oauth-authorization-server").get_json()
    assert body["issuer"] == ISSUER and body["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]


def test_token_rate_limit_is_stricter(database_url: str, owner: Partner) -> None:
    from exchange import create_app

    app = create_app({"database_url": database_url, "issuer": ISSUER, "token_rate_limit": "3 per minute"})
    client = app.test_client()
    statuses = [request_token(client, owner).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("lifetime", ["0", "901", "abc"])
def test_token_lifetime_is_bounded(lifetime: str) -> None:
    with pytest.raises(ConfigurationError, match="EXCHANGE_TOKEN_LIFETIME"):
        Settings.load(environ={"EXCHANGE_TOKEN_LIFETIME": lifetime})


def test_authlib_logger_never_below_info(app: Flask) -> None:
    import logging

    assert logging.getLogger("authlib").getEffectiveLevel() >= logging.INFO
