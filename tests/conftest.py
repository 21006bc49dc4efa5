"""Shared fixtures: a fresh app on a migrated database for every test, and real OAuth clients and tokens.

Tests run on SQLite by default and on PostgreSQL when ``EXCHANGE_TEST_DATABASE_URL`` is set. The schema
is always built by the Alembic migrations (never ``create_all``), once per session; each test then gets
an empty copy (SQLite: a copy of the migrated file; PostgreSQL: every table truncated).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from joserfc import jws
from joserfc.jwk import ECKey
from sqlalchemy import create_engine, text

from exchange import create_app, migrations
from exchange.auth import keys
from exchange.cli import main
from exchange.db import Base, db
from exchange.delivery import secret_store, targets
from exchange.keystore.envelope import generate_kek

ROOT = Path(__file__).resolve().parents[1]
#: what made-up ``*.example`` webhook hosts resolve to in tests: a public address (nothing listens there
#: for the tests, and without a network a connection to it fails at once)
PUBLIC_ADDRESS = "93.184.215.14"
PG_URL = os.environ.get("EXCHANGE_TEST_DATABASE_URL")
ISSUER = "http://exchange.test"
TOKEN_URL = f"{ISSUER}/oauth/token"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run every migration once: into a template SQLite file, or into a clean PostgreSQL schema."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrations.upgrade(PG_URL)
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{template}")
    return str(template)


@pytest.fixture(scope="session", autouse=True)
def key_encryption_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The key-encryption key of the test key store (envelope encryption), named by the environment as an
    operator names it, so that every app a test builds (and every command it runs) finds it."""
    path = tmp_path_factory.mktemp("kek") / "key-encryption.key"
    generate_kek(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXCHANGE_KEY_ENCRYPTION_KEY", str(path))
        yield str(path)


def make_keys(app: Flask) -> None:
    """A token key and an audit key in the app's key store, as `exchange db upgrade` makes them."""
    ring = app.extensions[keys.EXTENSION]
    for purpose in keys.PURPOSES:
        keys.create_key(db.session, ring.store, purpose)
    db.session.commit()
    ring.invalidate()


@dataclass(frozen=True)
class ExchangeKey:
    """The exchange's current token key as the forgery tests use it: through the app's key store (the
    private key itself is never at hand), to sign tokens whose claims the exchange must still refuse."""

    ring: keys.KeyRing

    @property
    def public(self) -> ECKey:
        kid = jws.extract_compact(self.ring.sign(keys.TOKEN, {}, b"").encode()).headers()["kid"]
        return next(key for key in self.ring.key_set(keys.TOKEN).keys if key.kid == kid)

    @property
    def kid(self) -> str:
        return self.public.kid

    def as_pem(self, private: bool = False) -> bytes:
        assert not private, "the private key never leaves the key store"
        return self.public.as_pem(private=False)

    def encode(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        return self.ring.sign(keys.TOKEN, header, json.dumps(claims).encode())


@pytest.fixture
def exchange_key(app: Flask) -> ExchangeKey:
    return ExchangeKey(app.extensions[keys.EXTENSION])


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    if PG_URL:
        engine = create_engine(PG_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = tmp_path / "exchange.db"
    shutil.copy(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def webhook_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test's own webhook-secrets key file and audit witness file (in the environment: the workers and
    servers a test starts inherit them), loopback receivers allowed, and made-up ``*.example`` hosts
    resolving to a public address."""
    folder = tmp_path_factory.mktemp("instance-files")
    monkeypatch.setenv("EXCHANGE_AUDIT_WITNESS", str(folder / "audit-witness.jsonl"))
    key = secret_store.create_key_file(folder / "webhook-secrets.key")
    monkeypatch.setenv(secret_store.KEY_ENV, str(key))
    monkeypatch.setenv(targets.LOOPBACK_ENV, "1")
    real = targets.lookup
    monkeypatch.setattr(
        targets,
        "lookup",
        lambda host, port: [PUBLIC_ADDRESS] if host.endswith(".example") else real(host, port),
    )
    secret_store.reset()
    yield key
    secret_store.reset()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "database_url": database_url,
            "issuer": ISSUER,
            "token_rate_limit": "100000 per minute",
            "rate_limit": "100000 per minute",
        }
    )
    app.config["TESTING"] = True
    with app.app_context():
        make_keys(app)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class ExchangeRunner(FlaskCliRunner):
    """Invokes the `exchange` command line (not the app's bare ``flask`` group) against the test app."""

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:
        return super().invoke(cli or main, args, **kwargs)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return ExchangeRunner(app)


@dataclass
class Partner:
    """An organisation with one OAuth client, as an operator registers them through the CLI."""

    org_id: str
    kind: str
    client_id: str
    secret: str | None
    private_key: ECKey | None = None


def cli(runner: FlaskCliRunner, *args: str) -> Any:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


ORG_OPTIONS = {
    "local_authority": ("--la-code", "202"),
    "court": ("--court-code", "115"),
    "cafcass": ("--service", "cafcass"),
    "lfjb": ("--dfj-area", "CENTRAL_LONDON"),
    "fjb": (),
}
KIND_SCOPES = {
    "local_authority": "cases:submit cases:read",
    "court": "cases:read advice:request",
    "cafcass": "cases:read feed:read advice:respond",
    "lfjb": "metrics:read",
    "fjb": "metrics:read",
}


@pytest.fixture
def make_partner(runner: FlaskCliRunner, tmp_path: Path) -> Callable[..., Partner]:
    def make(
        kind: str = "local_authority",
        *,
        org_id: str | None = None,
        options: tuple[str, ...] | None = None,
        scopes: str | None = None,
        private_key_jwt: bool = False,
        dpop: bool = False,
    ) -> Partner:
        org_id = org_id or f"{kind.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
        cli(
            runner,
            "org",
            "add",
            "--id",
            org_id,
            "--kind",
            kind,
            *(ORG_OPTIONS[kind] if options is None else options),
        )
        args = ["client", "add", "--org", org_id, "--scopes", scopes or KIND_SCOPES[kind], "--json"]
        args += ["--dpop"] if dpop else []
        key = None
        if private_key_jwt:
            key = ECKey.generate_key("P-256", auto_kid=True)
            jwks = tmp_path / f"{org_id}.jwks.json"
            jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
            args += ["--jwks", str(jwks)]
        created = cli(runner, *args)
        return Partner(org_id, kind, created["client_id"], created["client_secret"], key)

    return make


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@dataclass
class _AssertionAuth:
    client_id: str
    client_secret: ECKey


def client_assertion(partner: Partner, **claims: Any) -> str:
    """A private_key_jwt assertion made by Authlib's client-side signer (extra ``claims`` override)."""
    signer = PrivateKeyJWT(TOKEN_URL, claims=claims or None, alg="ES256")
    return signer.sign(_AssertionAuth(partner.client_id, partner.private_key), TOKEN_URL)


def request_token(
    client: FlaskClient, partner: Partner, scope: str | None = None, **assertion_claims: Any
) -> Any:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    if partner.private_key is not None:
        data["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        data["client_assertion"] = client_assertion(partner, **assertion_claims)
        return client.post("/oauth/token", data=data)
    return client.post("/oauth/token", data=data, headers=basic_auth(partner.client_id, partner.secret or ""))


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[..., str]:
    def token(partner: Partner, scope: str | None = None) -> str:
        response = request_token(client, partner, scope)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["access_token"]

    return token


@pytest.fixture
def auth_headers(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def headers(partner: Partner, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(partner, scope)}"}

    return headers
