"""`exchange idp` and `exchange user`: providers stored with their secret sealed by the key store, people
mapped to an organisation and a role, sign-in matching by subject then e-mail, page sessions' limits."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from exchange import clock, people
from exchange.db import db
from exchange.delivery import secret_store
from exchange.keystore import KeyStoreError, envelope
from exchange.models import AuditEvent, IdentityProvider, PageSession, Person
from tests.conftest import cli


def _court(runner: FlaskCliRunner) -> str:
    cli(runner, "org", "add", "--id", "court-a", "--kind", "court", "--court-code", "115")
    return "court-a"


def test_idp_set_stores_the_secret_encrypted_and_lists_without_it(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(secret_store.KEY_ENV, raising=False)  # the key store seals it, not that key
    secret_store.reset()
    org = _court(runner)
    secret = "s3cret-value-for-the-provider"
    cli(
        runner,
        "idp",
        "set",
        "--org",
        org,
        "--issuer",
        "https://idp.example/",
        "--client-id",
        "exchange",
        "--client-secret",
        secret,
    )
    provider = db.session.get(IdentityProvider, org)
    assert provider.issuer == "https://idp.example"
    assert secret.encode() not in provider.client_secret_sealed
    assert provider.client_secret_sealed.startswith(envelope.SEALED.encode())
    assert people.client_secret(provider) == secret
    listed = cli(runner, "idp", "list", "--json")
    assert listed == [
        {"org_id": org, "issuer": "https://idp.example", "client_id": "exchange", "role_claim": None}
    ]
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "operator.idp_set")).one()
    assert secret not in json.dumps(audited.detail)


def test_idp_set_refuses_plain_http_elsewhere_and_unknown_orgs(runner: FlaskCliRunner) -> None:
    org = _court(runner)
    result = runner.invoke(
        args=[
            "idp",
            "set",
            "--org",
            org,
            "--issuer",
            "http://idp.example",
            "--client-id",
            "x",
            "--client-secret",
            "y",
        ]
    )
    assert result.exit_code == 2 and "https" in result.output
    result = runner.invoke(
        args=[
            "idp",
            "set",
            "--org",
            "nobody",
            "--issuer",
            "https://idp.example",
            "--client-id",
            "x",
            "--client-secret",
            "y",
        ]
    )
    assert result.exit_code == 2 and "no organisation" in result.output


def test_user_add_list_remove(runner: FlaskCliRunner) -> None:
    org = _court(runner)
    added = cli(
        runner, "user", "add", "--org", org, "--email", "Adviser@Court.example", "--role", "editor", "--json"
    )
    assert added["role"] == "editor"
    again = runner.invoke(
        args=["user", "add", "--org", org, "--email", "adviser@court.example", "--role", "viewer"]
    )
    assert again.exit_code == 2
    bad = runner.invoke(args=["user", "add", "--org", org, "--role", "viewer"])
    assert bad.exit_code == 2 and "subject" in bad.output
    listed = cli(runner, "user", "list", "--org", org, "--json")
    assert [(p["email"], p["role"]) for p in listed] == [("adviser@court.example", "editor")]
    raw_id, _row = people.open_session(db.session, {}, uuid.UUID(added["id"]))
    db.session.commit()
    cli(runner, "user", "remove", added["id"])
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    assert people.live_session(db.session, raw_id) is None


def test_a_person_is_found_by_subject_then_verified_email_then_role_claim(runner: FlaskCliRunner) -> None:
    org = _court(runner)
    cli(
        runner,
        "idp",
        "set",
        "--org",
        org,
        "--issuer",
        "https://idp.example",
        "--client-id",
        "x",
        "--client-secret",
        "y",
        "--role-claim",
        "exchange_role",
    )
    by_sub = people.add_person(db.session, org, "viewer", subject="sub-1")
    by_mail = people.add_person(db.session, org, "editor", email="a@court.example")
    provider = db.session.get(IdentityProvider, org)
    assert people.person_for(db.session, provider, {"sub": "sub-1", "email": "a@court.example"}) is by_sub
    assert people.person_for(db.session, provider, {"sub": "sub-2", "email": "A@court.example"}) is by_mail
    assert (
        people.person_for(
            db.session, provider, {"sub": "sub-3", "email": "a@court.example", "email_verified": False}
        )
        is None
    )
    assert people.person_for(db.session, provider, {"sub": "sub-4", "exchange_role": "admin"}) is None
    admitted = people.person_for(db.session, provider, {"sub": "sub-5", "exchange_role": "viewer"})
    assert admitted is not None and (admitted.subject, admitted.role) == ("sub-5", "viewer")


def test_page_sessions_end_after_30_idle_minutes_or_8_hours(runner: FlaskCliRunner) -> None:
    raw_id, row = people.open_session(db.session, {"k": 1})
    db.session.commit()
    assert row.id_hash != raw_id and raw_id not in row.data
    now = clock.now()
    assert people.live_session(db.session, raw_id, now + timedelta(minutes=29)) is row
    row.last_seen_at = now + timedelta(hours=7, minutes=50)
    assert people.live_session(db.session, raw_id, now + timedelta(hours=7, minutes=59)) is row
    assert people.live_session(db.session, raw_id, now + timedelta(hours=8, minutes=1)) is None
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PageSession)) == 0
    assert people.live_session(db.session, "made-up") is None


def test_a_sealed_secret_opens_only_for_its_own_organisation(runner: FlaskCliRunner) -> None:
    for org_id, code in (("court-a", "115"), ("court-b", "117")):
        cli(runner, "org", "add", "--id", org_id, "--kind", "court", "--court-code", code)
        idp = [
            "--issuer",
            "https://idp.example",
            "--client-id",
            org_id,
            "--client-secret",
            f"secret-{org_id}",
        ]
        cli(runner, "idp", "set", "--org", org_id, *idp)
    mine, other = db.session.get(IdentityProvider, "court-a"), db.session.get(IdentityProvider, "court-b")
    other.client_secret_sealed = mine.client_secret_sealed  # copied by someone who can write the database
    with pytest.raises(KeyStoreError):
        people.client_secret(other)
    assert people.client_secret(mine) == "secret-court-a"


def test_a_secret_sealed_before_the_key_store_held_them_is_still_read(
    runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secret_store.KEY_ENV, str(secret_store.create_key_file(tmp_path / "webhook.key")))
    secret_store.reset()
    cli(runner, "org", "add", "--id", "court-a", "--kind", "court", "--court-code", "115")
    idp = ["--issuer", "https://idp.example", "--client-id", "exchange", "--client-secret", "new"]
    cli(runner, "idp", "set", "--org", "court-a", *idp)
    provider = db.session.get(IdentityProvider, "court-a")
    provider.client_secret_sealed = secret_store.seal("configured-earlier")
    assert people.client_secret(provider) == "configured-earlier"
    secret_store.reset()
