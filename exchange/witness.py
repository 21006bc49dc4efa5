"""Witnesses of the audit trail outside the database, so that it cannot be rolled back or rewritten unseen
(the signed tree heads of Certificate Transparency, RFC 9162, kept by others than the log).

Each signed checkpoint (the chain's length ``seq``, its head hash, when, and the signature) is, once
committed, appended as one JSON line to the witness file ``EXCHANGE_AUDIT_WITNESS`` (``Settings.
audit_witness``; opened append-only, flushed to disk; keep it on another host or an append-only mount in
production), and queued in the same transaction as an ``audit.checkpoint`` webhook for every partner
that subscribes. Someone who can write the database but not those copies can delete the newest
checkpoint and the events after an earlier one, or rewrite events and sign again with any key they
hold, and ``audit.verify`` alone cannot tell; ``check`` compares the database with the latest witnessed
checkpoint and names it: the chain is shorter than it, differs at its event, or carries another
signature for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.delivery import outbox
from exchange.models import AuditCheckpoint, AuditEvent, WebhookSubscription

EVENT = "audit.checkpoint"
#: how much of the file's end is read for its last line (a line is well under 1 kB)
_TAIL_BYTES = 16 * 1024


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as the witnesses hold it: what partners receive and the witness file's lines say."""

    seq: int
    head_hash: str
    signed_at: str
    signature: str

    @classmethod
    def of(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(row.seq, row.head_hash, row.signed_at.isoformat(), row.signature)

    def __str__(self) -> str:
        return f"the checkpoint witnessed at event {self.seq} (signed {self.signed_at})"

    def verifies(self, key_set: Any) -> bool:
        """The signature verifies against ``key_set`` and covers exactly these fields."""
        try:
            obj = jws.deserialize_compact(self.signature, key_set, algorithms=["ES256"])
            signed_at = datetime.fromisoformat(self.signed_at)
        except (JoseError, ValueError):
            return False
        return obj.payload == audit.checkpoint_payload(self.seq, self.head_hash, signed_at)


class WitnessError(Exception):
    """The witness file cannot be read as checkpoints; the message says where."""


def sign_head(session: Session, witness_file: str) -> AuditCheckpoint | None:
    """Sign the chain's head (unless it is signed already), queue its ``audit.checkpoint`` webhooks, commit,
    then append it to ``witness_file``: after the commit, so the file never holds a checkpoint the
    database does not."""
    row = audit.checkpoint(session)
    if row is None:
        session.commit()
        return None
    witnessed = Checkpoint.of(row)
    subscribers = session.scalars(
        select(WebhookSubscription.org_id).where(WebhookSubscription.disabled_at.is_(None)).distinct()
    )
    outbox.enqueue(session, list(subscribers), EVENT, asdict(witnessed))
    session.commit()
    append(witness_file, witnessed)
    return row


def append(witness_file: str, checkpoint: Checkpoint) -> None:
    line = json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":")) + "\n"
    fd = os.open(witness_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def latest(witness_file: str) -> Checkpoint | None:
    """The last checkpoint in ``witness_file``; None when the file does not exist or is empty."""
    path = Path(witness_file)
    if not path.exists():
        return None
    with path.open("rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - _TAIL_BYTES))
        lines = f.read().splitlines()
    if not lines:
        return None
    try:
        fields = json.loads(lines[-1])
        return Checkpoint(
            int(fields["seq"]), str(fields["head_hash"]), str(fields["signed_at"]), str(fields["signature"])
        )
    except (ValueError, KeyError, TypeError):
        raise WitnessError(f"the last line of the witness file {witness_file} is not a checkpoint") from None


def check(session: Session, witnessed: Checkpoint, key_set: Any) -> str | None:
    """How the database differs from ``witnessed`` (naming it), or None when it holds it unchanged."""
    if not witnessed.verifies(key_set):
        return f"{witnessed} does not verify against the exchange's public keys"
    head_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == witnessed.seq))
    if head_hash is None:
        length = session.scalar(select(func.max(AuditEvent.seq))) or 0
        return f"the chain is shorter than {witnessed}: it ends at event {length}"
    if head_hash != witnessed.head_hash:
        return f"event {witnessed.seq} differs from {witnessed}"
    stored = session.get(AuditCheckpoint, witnessed.seq)
    if stored is None or Checkpoint.of(stored) != witnessed:
        return f"{witnessed} was removed or signed again in the database"
    return None
