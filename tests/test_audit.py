"""The hash-chained audit trail: tampering of any kind is found, named, and the chain head is signed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from joserfc import jws
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select, update

from exchange import audit
from exchange.db import db
from exchange.models import AuditCheckpoint, AuditEvent, AuditResource
from tests.conftest import Partner, cli, request_token
from tests.delivery.helpers import subscribe


@pytest.fixture
def chain(runner: FlaskCliRunner, make_partner: Callable[..., Partner]) -> list[AuditEvent]:
    """A few operator commands, each an audited event."""
    for kind in ("local_authority", "court", "cafcass"):
        make_partner(kind)
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert len(events) >= 6
    return events


def verify(runner: FlaskCliRunner) -> tuple[int, dict]:
    result = runner.invoke(args=["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.output)


def test_intact_chain_verifies(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    code, report = verify(runner)
    assert code == 0 and report["intact"] and report["checked"] == len(chain)
    assert chain[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))


def test_the_chain_stays_whole_when_many_tokens_are_issued_at_once(
    app: Flask, runner: FlaskCliRunner, chain: list[AuditEvent], make_partner: Callable[..., Partner]
) -> None:
    partner = make_partner("court", org_id="busy-court", private_key_jwt=True)

    def issue(_: int) -> int:
        return request_token(app.test_client(), partner).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(issue, range(24))) == [200] * 24
    db.session.rollback()
    issued = db.session.scalars(select(AuditEvent.seq).where(AuditEvent.action == "auth.token_issued")).all()
    assert len(issued) == 24
    stored = db.session.scalar(select(func.count()).select_from(AuditEvent))
    code, report = verify(runner)
    assert code == 0 and report["intact"] and report["checked"] == stored > len(chain) + 24


def test_altered_event_is_named(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    target = chain[2]
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == target.seq).values(outcome="tampered"))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and not report["intact"]
    assert report["first_fault"].startswith(f"event {target.seq} ({target.id}): altered")


def test_deleted_event_is_named(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    target = chain[3]
    db.session.execute(delete(AuditResource).where(AuditResource.event_seq == target.seq))
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == target.seq))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and report["first_fault"].startswith(f"event {target.seq}: missing")


def test_swapped_events_are_named(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    first, second = chain[1], chain[2]
    columns = (
        "id",
        "occurred_at",
        "action",
        "outcome",
        "client_id",
        "org_id",
        "resource_type",
        "resource_ids",
        "request_id",
        "detail",
        "prev_hash",
        "hash",
    )
    a = {c: getattr(first, c) for c in columns}
    b = {c: getattr(second, c) for c in columns}
    # swap contents through a placeholder id to keep the unique constraint
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == first.seq).values(id=uuid.uuid4()))
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == second.seq).values(**a))
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == first.seq).values(**b))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and report["first_fault"].startswith(f"event {first.seq} ")


def test_truncation_after_a_checkpoint_is_found(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    assert "checkpoint at event" in cli(runner, "audit", "checkpoint")
    head = db.session.scalar(select(AuditCheckpoint.seq))
    db.session.execute(delete(AuditResource).where(AuditResource.event_seq >= head))
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq >= head))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and "truncated" in report["first_fault"]


def test_rewritten_chain_fails_the_signed_checkpoint(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    cli(runner, "audit", "checkpoint")
    # an attacker who recomputes every hash after an edit still cannot re-sign the checkpoint
    rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    rows[1].outcome = "rewritten"
    prev = rows[0].hash
    for row in rows[1:]:
        row.prev_hash = prev
        row.hash = prev = audit.event_hash(row)
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and "checkpoint" in report["first_fault"]


def test_checkpoint_signature_is_checked(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    cli(runner, "audit", "checkpoint")
    row = db.session.scalar(select(AuditCheckpoint))
    header, payload, signature = row.signature.split(".")
    row.signature = f"{header}.{payload}.{signature[::-1]}"
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and "checkpoint" in report["first_fault"]


def test_operator_commands_are_audited(runner: FlaskCliRunner, chain: list[AuditEvent]) -> None:
    actions = [e.action for e in chain]
    assert actions.count("operator.org_add") == 3 and actions.count("operator.client_add") == 3
    assert all(e.client_id == "operator" for e in chain)


def test_events_carry_no_secrets(chain: list[AuditEvent], make_partner: Callable[..., Partner]) -> None:
    partner = make_partner("court")
    stored = " ".join(
        str(e.detail) + " ".join(e.resource_ids) for e in db.session.scalars(select(AuditEvent))
    )
    assert partner.secret and partner.secret not in stored


# --- witnesses: the trail cannot be rolled back or re-signed unseen (issue 15) ------------------------


def _witness_file(app) -> Path:  # type: ignore[no-untyped-def]
    return Path(app.config["EXCHANGE_SETTINGS"].audit_witness)


def test_each_checkpoint_is_appended_to_the_witness_file(app, runner, chain) -> None:
    cli(runner, "audit", "checkpoint")
    cli(runner, "org", "add", "--id", "fjb-late", "--kind", "fjb")
    cli(runner, "audit", "checkpoint")
    lines = [json.loads(line) for line in _witness_file(app).read_text().splitlines()]
    stored = list(db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))
    assert [(w["seq"], w["head_hash"], w["signature"]) for w in lines] == [
        (c.seq, c.head_hash, c.signature) for c in stored
    ]
    code, report = verify(runner)
    assert code == 0 and report["witness"]["seq"] == stored[-1].seq and report["witness"]["fault"] is None


def test_deleting_the_newest_checkpoint_and_the_events_after_an_earlier_one_is_found(runner, chain) -> None:
    """No key needed: the database alone is consistent again, and only the witness remembers."""
    cli(runner, "audit", "checkpoint")
    earlier = db.session.scalar(select(func.max(AuditCheckpoint.seq)))
    cli(runner, "org", "add", "--id", "fjb-late", "--kind", "fjb")
    cli(runner, "audit", "checkpoint")
    newest = db.session.scalar(select(func.max(AuditCheckpoint.seq)))
    assert newest > earlier
    db.session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.seq > earlier))
    db.session.execute(delete(AuditResource).where(AuditResource.event_seq > earlier))
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq > earlier))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and report["first_fault"] is None  # the chain in the database is whole
    assert report["witness"]["fault"].startswith(
        f"the chain is shorter than the checkpoint witnessed at event {newest} "
    )
    assert report["witness"]["fault"].endswith(f"it ends at event {earlier}")


def _rewrite_and_sign_again(outcome: str) -> None:
    """What an attacker holding the checkpoint key does: edit an event, recompute every hash after it,
    and sign every checkpoint again over the new hashes (with the exchange's own signing call)."""
    rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    rows[1].outcome = outcome
    prev = rows[0].hash
    for row in rows[1:]:
        row.prev_hash = prev
        row.hash = prev = audit.event_hash(row)
    by_seq = {r.seq: r.hash for r in rows}
    for checkpoint in db.session.scalars(select(AuditCheckpoint)):
        checkpoint.head_hash = by_seq[checkpoint.seq]
        checkpoint.signature = audit.sign_checkpoint(
            audit.checkpoint_payload(checkpoint.seq, checkpoint.head_hash, checkpoint.signed_at)
        )
    db.session.commit()


def test_a_rewritten_and_signed_again_chain_is_caught_by_the_witness(runner, chain) -> None:
    cli(runner, "audit", "checkpoint")
    signed = db.session.scalar(select(AuditCheckpoint.seq))
    _rewrite_and_sign_again("rewritten")
    code, report = verify(runner)
    assert report["first_fault"] is None  # with the key, the database vouches for itself
    assert code == 1 and not report["intact"]
    assert report["witness"]["fault"].startswith(
        f"event {signed} differs from the checkpoint witnessed at event {signed} "
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "does not match its witness" in result.output


def test_a_checkpoint_signed_again_over_the_same_head_is_caught(runner, chain) -> None:
    cli(runner, "audit", "checkpoint")
    stored = db.session.scalar(select(AuditCheckpoint))
    stored.signed_at = stored.signed_at + timedelta(seconds=1)
    stored.signature = audit.sign_checkpoint(
        audit.checkpoint_payload(stored.seq, stored.head_hash, stored.signed_at)
    )
    db.session.commit()
    code, report = verify(runner)
    assert code == 1 and report["first_fault"] is None
    assert report["witness"]["fault"].endswith("was removed or signed again in the database")


def test_a_forged_witness_line_is_refused(app, runner, chain) -> None:
    cli(runner, "audit", "checkpoint")
    path = _witness_file(app)
    line = json.loads(path.read_text())
    line["head_hash"] = "f" * 64
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n")
    code, report = verify(runner)
    assert code == 1 and report["witness"]["fault"].endswith(
        "does not verify against the exchange's public keys"
    )
    path.write_text(path.read_text() + "not json\n")
    code, report = verify(runner)
    assert code == 1 and "is not a checkpoint" in report["witness"]["fault"]


def test_deleting_case_lookup_rows_is_named(runner, chain) -> None:
    """`audit show --case` reads the lookup rows: deleting them hides who saw a case, so they are checked."""
    looked_up = next(e for e in chain if e.resource_ids)
    resource = looked_up.resource_ids[0]
    shown = cli(runner, "audit", "show", "--case", resource, "--json")
    assert looked_up.seq in [e["seq"] for e in shown]
    db.session.execute(delete(AuditResource).where(AuditResource.resource_id == resource))
    db.session.commit()
    code, report = verify(runner)
    assert code == 1
    assert report["first_fault"] == (
        f"event {looked_up.seq} ({looked_up.id}): "
        "its case-lookup rows differ from its resource ids (deleted or altered)"
    )


def test_a_checkpoint_reaches_subscribers_and_verifies_with_the_public_jwks_alone(
    client, runner, make_partner
) -> None:
    from exchange.models import Delivery

    cafcass = make_partner("cafcass")
    subscribe(runner, cafcass.org_id, "https://partner.example/hooks", "audit.checkpoint")
    cli(runner, "audit", "checkpoint")
    delivery = db.session.scalars(select(Delivery).where(Delivery.event_type == "audit.checkpoint")).one()
    data = json.loads(delivery.body)["data"]
    # what a partner does, with nothing but the published keys (docs/security.md)
    jwks = KeySet.import_key_set(client.get("/oauth/jwks").get_json())
    signed = jws.deserialize_compact(data["signature"], jwks, algorithms=["ES256"])
    assert json.loads(signed.payload) == {k: data[k] for k in ("seq", "head_hash", "signed_at")}
    head = db.session.get(AuditEvent, data["seq"])
    assert head is not None and head.hash == data["head_hash"]
