"""No usable private key in the database (issue 15): the keys live in the key store, and a database
reader holds nothing that signs. The PKCS#11 backend is tested on SoftHSM2 when it is installed."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text

from exchange import clock, create_app, migrations, people
from exchange.auth import keys
from exchange.cli import main
from exchange.cli.demo import _demo_key_store
from exchange.db import Base, db
from exchange.keystore import KeyStoreError
from exchange.keystore import pkcs11 as pkcs11_store
from exchange.keystore.envelope import EnvelopeStore, generate_kek
from exchange.models import (
    AuditCheckpoint,
    IdentityProvider,
    RevokedToken,
    SigningKey,
    UsedAssertion,
    UsedDpopProof,
)
from exchange.worker import Worker
from tests.conftest import ISSUER, Partner, cli, make_keys
from tests.security.test_token_binding import CASES, dpop_token, proof

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


def _values(node: Any) -> Iterator[Any]:
    """Every value in a row's column, JSON opened up to its leaves and objects."""
    if isinstance(node, str) and node[:1] in "{[":
        with contextlib.suppress(ValueError):
            node = json.loads(node)
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)


def dump(url: str) -> list[Any]:
    """Every value of every table in the database (read back as it is, not through the models), as a
    database reader or a backup has them."""
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = [Table(name, MetaData(), autoload_with=conn) for name in inspect(conn).get_table_names()]
        assert {table.name for table in tables} >= set(Base.metadata.tables)
        values = [
            value
            for table in tables
            for row in conn.execute(select(*table.columns))
            for column in row
            for value in _values(column)
        ]
    engine.dispose()
    return values


def private_material(values: list[Any]) -> list[str]:
    """What in ``values`` would sign: a JWK with a private part, a PEM private key, a private EC key."""
    found = []
    for value in values:
        if isinstance(value, dict) and "d" in value and "kty" in value:
            found.append(f"private JWK {value.get('kid')}")
        if isinstance(value, dict) and value.get("kty"):
            try:
                if ECKey.import_key(value).is_private:
                    found.append("an importable private key")
            except (JoseError, ValueError, TypeError, KeyError):
                pass
        text_value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if "PRIVATE KEY" in text_value:
            found.append("a PEM private key")
    return found


def _used_exchange(
    client: FlaskClient, runner: Any, make_partner: Callable[..., Partner], token_for: Callable[..., str]
) -> None:
    """Every kind of client, token, rotation and checkpoint the exchange keeps rows for."""
    la = make_partner("local_authority", org_id="scan-la")
    signed = make_partner("court", org_id="scan-court", private_key_jwt=True)
    token = token_for(la)
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token_for(signed)
    key = ECKey.generate_key("P-256")
    bound = dpop_token(client, la, key)["access_token"]
    headers = {"Authorization": f"DPoP {bound}", "DPoP": proof(key, "GET", CASES, bound)}
    assert client.get("/v1/cases", headers=headers).status_code == 200
    assert client.post("/oauth/revoke", data={"token": token}, headers=_basic(la)).status_code == 200
    cli(runner, "keys", "rotate", "--purpose", "token")
    cli(runner, "keys", "rotate", "--purpose", "audit")
    cli(runner, "audit", "checkpoint")


def _basic(partner: Partner) -> dict[str, str]:
    raw = f"{partner.client_id}:{partner.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_no_table_of_a_used_exchange_holds_a_private_key(
    app: Flask,
    client: FlaskClient,
    runner: Any,
    database_url: str,
    make_partner: Callable[..., Partner],
    token_for: Callable[..., str],
    key_encryption_key: str,
) -> None:
    _used_exchange(client, runner, make_partner, token_for)
    values = dump(database_url)
    assert private_material(values) == []
    # nor the private scalar of any key the store holds, in any spelling
    kek = EnvelopeStore(key_encryption_key)
    rows = db.session.scalars(select(SigningKey)).all()
    assert {row.purpose for row in rows} == {keys.TOKEN, keys.AUDIT} and len(rows) == 4
    haystack = "\n".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    for row in rows:
        scalar = kek.signer(row.kid, row.key_ref)._private.private_numbers().private_value
        raw = scalar.to_bytes(32, "big")
        for spelling in (base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), raw.hex(), str(scalar)):
            assert spelling not in haystack


def test_a_database_reader_cannot_sign_a_token_the_exchange_accepts(
    app: Flask,
    client: FlaskClient,
    runner: Any,
    database_url: str,
    make_partner: Callable[..., Partner],
    token_for: Callable[..., str],
    tmp_path: Path,
) -> None:
    """The review's forgery, again: every key-like object in a full dump is public, and the sealed keys
    do not open without the key-encryption key (another one is refused, it does not guess)."""
    _used_exchange(client, runner, make_partner, token_for)
    la_token = token_for(make_partner("local_authority", org_id="victim-la", options=("--la-code", "203")))
    genuine = jwt.decode(la_token, KeySet.import_key_set(client.get("/oauth/jwks").get_json())).claims
    dumped_keys = [v for v in dump(database_url) if isinstance(v, dict) and v.get("kty") == "EC"]
    assert dumped_keys
    for found in dumped_keys:
        key = ECKey.import_key(found)
        assert not key.is_private
        with pytest.raises(JoseError):  # a public key signs nothing
            jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, genuine, key, ["ES256"])
    stranger_kek = tmp_path / "stranger.key"
    generate_kek(stranger_kek)
    for row in db.session.scalars(select(SigningKey)):
        with pytest.raises(KeyStoreError, match="does not open"):
            EnvelopeStore(str(stranger_kek)).signer(row.kid, row.key_ref)
    # a key stolen as a whole ("alg none", another key under the real kid) is refused at the door
    stranger = ECKey.generate_key("P-256")
    kid = jws.extract_compact(la_token.encode()).headers()["kid"]
    forged = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": kid}, genuine, stranger, ["ES256"])
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_sealed_key_copied_onto_another_row_does_not_open(app: Flask, key_encryption_key: str) -> None:
    token, audit_key = (
        db.session.scalar(select(SigningKey).where(SigningKey.purpose == purpose))
        for purpose in keys.PURPOSES
    )
    with pytest.raises(KeyStoreError):
        EnvelopeStore(key_encryption_key).signer(token.kid, audit_key.key_ref)


def test_token_and_checkpoint_keys_are_separate(app: Flask, client: FlaskClient, runner: Any) -> None:
    assert client.get("/v1/cases").status_code == 401  # an audited event to sign
    cli(runner, "audit", "checkpoint")
    checkpoint = db.session.scalar(select(AuditCheckpoint))
    kid = jws.extract_compact(checkpoint.signature.encode()).headers()["kid"]
    purposes = {row.kid: row.purpose for row in db.session.scalars(select(SigningKey))}
    assert purposes[kid] == keys.AUDIT
    # published for partners to check checkpoints with, but never accepted on a token
    published = {key["kid"] for key in client.get("/oauth/jwks").get_json()["keys"]}
    assert set(purposes) == published
    assert app.extensions[keys.EXTENSION].verification_key(kid, keys.TOKEN) is None


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("missing", "EXCHANGE_KEY_ENCRYPTION_KEY: the key-encryption key file cannot be read"),
        ("short", "EXCHANGE_KEY_ENCRYPTION_KEY: the file must hold 32 bytes, base64"),
        ("unset", "EXCHANGE_KEY_ENCRYPTION_KEY is not set"),
    ],
)
def test_a_command_without_its_key_encryption_key_stops_with_one_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, message: str
) -> None:
    path = tmp_path / "kek"
    if setting == "short":
        path.write_text(base64.b64encode(b"too short").decode())
    monkeypatch.setenv("EXCHANGE_KEY_ENCRYPTION_KEY", "" if setting == "unset" else str(path))
    app = create_app({"database_url": database_url, "issuer": ISSUER})
    result = CliRunner().invoke(main, ["keys", "rotate"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1


def test_the_migration_retires_plaintext_keys_keeping_only_their_public_part(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    migrations.upgrade(url, "0006")
    private = ECKey.generate_key("P-256", auto_kid=True)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO signing_keys (kid, private_jwk, created_at) VALUES (:kid, :jwk, '2026-11-01')"),
            {"kid": private.kid, "jwk": json.dumps(private.as_dict(private=True))},
        )
    engine.dispose()
    migrations.upgrade(url)
    assert private_material(dump(url)) == []
    engine = create_engine(url)
    with engine.connect() as conn:
        purpose, public, retired = conn.execute(
            text("SELECT purpose, public_jwk, retired_at FROM signing_keys")
        ).one()
    engine.dispose()
    assert purpose == keys.LEGACY and retired is not None
    assert ECKey.import_key(json.loads(public)).thumbprint() == private.thumbprint()


def test_the_worker_purges_replay_guards_after_they_expire(app: Flask) -> None:
    now = clock.now()
    for age, name in ((timedelta(minutes=-1), "spent"), (timedelta(minutes=5), "live")):
        db.session.add_all(
            [
                UsedAssertion(client_id="c", jti=name, expires_at=now + age),
                UsedDpopProof(jkt="k", jti=name, expires_at=now + age),
                RevokedToken(jti=name, expires_at=now + age),
            ]
        )
    db.session.commit()
    assert Worker().purge(now) == 3
    for model in (UsedAssertion, UsedDpopProof, RevokedToken):
        assert db.session.scalars(select(model.jti)).all() == ["live"]


# --- PKCS#11 ---------------------------------------------------------------------------------------------
@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh SoftHSM2 token (skipped where SoftHSM2 is not installed: `make test` installs it as root)."""
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    label = f"exchange-{time.time_ns()}"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", "1234", "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )
    return {"key_store": "pkcs11", "pkcs11_module": module, "pkcs11_token": label, "pkcs11_pin": "1234"}


def test_keys_in_a_pkcs11_token_sign_tokens_and_checkpoints(
    softhsm: dict[str, str], database_url: str
) -> None:
    app = create_app({"database_url": database_url, "issuer": ISSUER, **softhsm})
    with app.app_context():
        make_keys(app)
        rows = db.session.scalars(select(SigningKey)).all()
        assert {row.backend for row in rows} == {"pkcs11"}
        assert all(row.key_ref.startswith("exchange-") for row in rows)  # a label, nothing secret
        runner = app.test_cli_runner()
        org = ["org", "add", "--id", "hsm-la", "--kind", "local_authority", "--la-code", "202"]
        assert runner.invoke(main, org).exit_code == 0
        added = runner.invoke(main, ["client", "add", "--org", "hsm-la", "--scopes", "cases:read", "--json"])
        created = json.loads(added.output)
        client = app.test_client()
        partner = Partner("hsm-la", "local_authority", created["client_id"], created["client_secret"])
        issued = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(partner)
        )
        token = issued.get_json()["access_token"]
        assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert runner.invoke(main, ["audit", "checkpoint"]).exit_code == 0
        verified = runner.invoke(main, ["audit", "verify", "--json"])
        assert json.loads(verified.output)["intact"] is True
        # an identity provider's client secret: sealed inside the token, under an AES key that stays there
        idp = ["--issuer", "https://idp.example", "--client-id", "exchange", "--client-secret", "hsm-secret"]
        assert runner.invoke(main, ["idp", "set", "--org", "hsm-la", *idp]).exit_code == 0
        provider = db.session.get(IdentityProvider, "hsm-la")
        assert provider.client_secret_sealed.startswith(pkcs11_store.SEALED.encode())
        assert people.client_secret(provider) == "hsm-secret"
        store = keys.bound().store
        with pytest.raises(KeyStoreError):
            store.unseal(provider.client_secret_sealed.decode(), "identity_provider:another:client_secret")
        with store.session() as session:
            key = session.get_key(label=pkcs11_store.SECRETS_KEY)
            assert (key[pkcs11.Attribute.SENSITIVE], key[pkcs11.Attribute.EXTRACTABLE]) == (True, False)
        assert private_material(dump(database_url)) == []
        db.session.remove()


def test_the_demo_makes_its_own_key_encryption_key_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXCHANGE_KEY_ENCRYPTION_KEY")
    instance = tmp_path / "instance"
    app = create_app({"database_url": database_url, "issuer": ISSUER, "instance_path": str(instance)})
    with app.app_context():
        _demo_key_store(app.config["EXCHANGE_SETTINGS"])
        made = instance / "key-encryption.key"
        assert made.stat().st_mode & 0o777 == 0o600
        first = made.read_text()
        make_keys(app)  # the demo's keys are sealed under it
        _demo_key_store(app.config["EXCHANGE_SETTINGS"])
        assert made.read_text() == first
        row = db.session.scalar(select(SigningKey).where(SigningKey.purpose == keys.TOKEN))
        assert EnvelopeStore(str(made)).signer(row.kid, row.key_ref).sign(b"x")
        db.session.remove()
