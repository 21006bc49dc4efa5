"""The hash-chained audit trail: tampering of any kind is found, named, and the chain head is signed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select, update

from exchange import audit
from exchange.db import db
from exchange.models import AuditCheckpoint, AuditEvent, AuditResource
from tests.conftest import Partner, cli


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
