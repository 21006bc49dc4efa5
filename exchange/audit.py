"""The audit trail (SPEC §7): every authentication, read, write, denial and operator command.

``record`` queues an event on the session; when that session commits, the queued events are chained
(each stores the SHA-256 of its canonical form and the previous event's hash) under a database-wide
lock, so the chain follows commit order across processes. ``verify`` recomputes the chain and names
the first event that was altered, deleted or reordered, or whose case-lookup rows (``audit_resources``,
what ``audit show --case`` reads) no longer match the resource ids its hash covers; ``checkpoint`` signs
the head with the audit key (``exchange.auth.receipts.sign_checkpoint``), so a rewrite of the whole
chain shows too, and ``exchange.witness`` copies each checkpoint out of the database, so a rollback or a
re-signing shows as well.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange import clock
from exchange.auth import keys
from exchange.auth.receipts import sign_checkpoint
from exchange.db import db, insert_many, is_postgresql
from exchange.models import AuditCheckpoint, AuditEvent, AuditResource, SigningKey

GENESIS = "0" * 64
CHAIN_LOCK = 7_201_001
_PENDING = "audit_pending"
#: who acts, for events that do not say: ``actor(name)`` for ``client_id``, ``org_id``, ``request_id`` or
#: ``address`` (the caller's network address), None when unknown (``init_app`` sets it; the app's names
#: the request's caller)
Actor = Callable[[str], str | None]
_actor: list[Actor] = [lambda _name: None]


def record(
    action: str,
    outcome: str,
    *,
    client_id: str | None = None,
    org_id: str | None = None,
    resource_type: str | None = None,
    resource_ids: Iterable[Any] = (),
    detail: dict[str, Any] | None = None,
    session: Session | None = None,
    address: str | None = None,
) -> None:
    """Queue an event on ``session`` (the request's by default); it is written when the session commits.

    ``detail`` must never hold personal data: ids, codes and counts only.
    """
    actor = _actor[0]
    session = session or db.session()
    session.info.setdefault(_PENDING, []).append(
        {
            "id": str(uuid.uuid4()),
            "occurred_at": clock.now(),
            "action": action,
            "outcome": outcome,
            "client_id": client_id or actor("client_id"),
            "org_id": org_id or actor("org_id"),
            "resource_type": resource_type,
            "resource_ids": [str(r) for r in resource_ids],
            "request_id": actor("request_id"),
            "address": address or actor("address"),
            "detail": detail or {},
        }
    )


def canonical(event_fields: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields as sorted, compact JSON."""
    return json.dumps(event_fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def _hashed_fields(row: AuditEvent | SimpleNamespace) -> dict[str, Any]:
    fields = {
        "seq": row.seq,
        "id": str(row.id),
        "occurred_at": row.occurred_at.isoformat(),
        "action": row.action,
        "outcome": row.outcome,
        "client_id": row.client_id,
        "org_id": row.org_id,
        "resource_type": row.resource_type,
        "resource_ids": list(row.resource_ids or []),
        "request_id": row.request_id,
        "detail": row.detail or {},
        "prev_hash": row.prev_hash,
    }
    if row.address is not None:  # events from before addresses were kept hash as they did
        fields["address"] = row.address
    return fields


def event_hash(row: AuditEvent | SimpleNamespace) -> str:
    return hashlib.sha256(canonical(_hashed_fields(row))).hexdigest()


_HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
#: PostgreSQL: the chain lock, then the head, sent together; the second statement takes its snapshot once
#: the first holds the lock (READ COMMITTED), so it sees every event committed before
_LOCK_THEN_HEAD = (
    f"SELECT pg_advisory_xact_lock({CHAIN_LOCK}); "
    f"{_HEAD.compile(dialect=postgresql.dialect(), compile_kwargs={'literal_binds': True})}"
)


#: SQLite: the head, as the driver's text (a statement rendered once; every audited commit reads it)
_HEAD_SQLITE = str(_HEAD.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def _locked_head(session: Session) -> tuple[int, str]:
    """The chain's head (sequence number and hash), read once this transaction holds the chain lock: on
    PostgreSQL in one round trip with the lock, as the lock is held until the commit."""
    if is_postgresql(session):
        with session.connection().connection.cursor() as cursor:
            cursor.execute(_LOCK_THEN_HEAD)
            cursor.nextset()
            head = cursor.fetchone()
    else:  # SQLite's write transactions run one at a time (``exchange.db``): no lock to take
        head = session.connection().exec_driver_sql(_HEAD_SQLITE).first()
    return (head[0], head[1]) if head else (0, GENESIS)


def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    seq, prev = _locked_head(session)
    events, resources = [], []
    for item in pending:
        seq += 1
        row = SimpleNamespace(**item, seq=seq, prev_hash=prev)  # hashed as the stored row will be
        row.hash = prev = event_hash(row)
        events.append({**vars(row), "id": uuid.UUID(item["id"])})
        resources += [{"event_seq": seq, "resource_id": rid} for rid in dict.fromkeys(item["resource_ids"])]
    # the driver's own inserts on the session's connection: the chain sits on every audited commit, which
    # holds SQLite's write lock (or the chain lock) while it runs, so it skips the ORM and Core's work per row
    connection = session.connection()
    insert_many(connection, AuditEvent.__table__, events)
    if resources:
        insert_many(connection, AuditResource.__table__, resources)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def init_app(_app: Any = None, actor: Actor | None = None) -> None:
    """Chain the queued events into the trail whenever a session commits (and drop them on rollback);
    ``actor()`` names who acts when an event does not (the app passes the request's caller)."""
    if actor is not None:
        _actor[0] = actor
    for name, listener in (("before_commit", _append_pending), ("after_rollback", _drop_pending)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


@dataclass(frozen=True)
class ChainFault:
    seq: int
    event_id: str | None
    problem: str

    def __str__(self) -> str:
        return f"event {self.seq}" + (f" ({self.event_id})" if self.event_id else "") + f": {self.problem}"


def _events(session: Session, batch: int = 5000) -> Iterator[tuple[AuditEvent, set[str]]]:
    """Every event in order, with the resource ids of its case-lookup rows."""
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        lookup: dict[int, set[str]] = {}
        for seq, resource_id in session.execute(
            select(AuditResource.event_seq, AuditResource.resource_id).where(
                AuditResource.event_seq > last, AuditResource.event_seq <= rows[-1].seq
            )
        ):
            lookup.setdefault(seq, set()).add(resource_id)
        for row in rows:
            yield row, lookup.get(row.seq, set())
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session, verify_signature: Any = None) -> tuple[int, ChainFault | None]:
    """Recompute the chain: (events checked, the first fault or None).

    ``verify_signature(checkpoint) -> bool`` checks each checkpoint's signature when given.
    """
    checkpoints = {c.seq: c for c in session.scalars(select(AuditCheckpoint))}
    expected_seq, prev, count = 1, GENESIS, 0
    for row, looked_up in _events(session):
        if row.seq != expected_seq:
            return count, ChainFault(expected_seq, None, f"missing (next stored event is {row.seq})")
        if row.prev_hash != prev:
            return count, ChainFault(
                row.seq,
                str(row.id),
                "does not follow the event before it (reordered or an earlier one removed)",
            )
        if event_hash(row) != row.hash:
            return count, ChainFault(row.seq, str(row.id), "altered (its hash does not match its content)")
        if looked_up != set(row.resource_ids or []):
            return count, ChainFault(
                row.seq, str(row.id), "its case-lookup rows differ from its resource ids (deleted or altered)"
            )
        checkpoint = checkpoints.pop(row.seq, None)
        if checkpoint is not None and (
            checkpoint.head_hash != row.hash or (verify_signature and not verify_signature(checkpoint))
        ):
            return count, ChainFault(row.seq, str(row.id), "does not match the signed checkpoint")
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    if checkpoints:
        seq = min(checkpoints)
        return count, ChainFault(seq, None, "signed by a checkpoint but missing (the chain was truncated)")
    return count, None


def checkpoint_keys(session: Session) -> KeySet:
    """Every public key that ever signed a checkpoint: the audit keys, and the keys from before the key
    store (``/oauth/jwks`` publishes the current ones)."""
    purposes = (keys.AUDIT, keys.LEGACY)
    rows = session.scalars(select(SigningKey).where(SigningKey.purpose.in_(purposes))).all()
    return KeySet.import_key_set({"keys": [{**r.public_jwk, "kid": r.kid} for r in rows]})


def checkpoint_payload(seq: int, head_hash: str, signed_at: datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return canonical({"seq": seq, "head_hash": head_hash, "signed_at": signed_at.isoformat()})


def checkpoint(session: Session, sign: Callable[[bytes], str] = sign_checkpoint) -> AuditCheckpoint | None:
    """Sign the current head (``sign(payload_bytes) -> compact JWS``) unless it is already signed."""
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if head is None or session.get(AuditCheckpoint, head.seq) is not None:
        return None
    signed_at = clock.now()
    payload = checkpoint_payload(head.seq, head.hash, signed_at)
    row = AuditCheckpoint(seq=head.seq, head_hash=head.hash, signed_at=signed_at, signature=sign(payload))
    session.add(row)
    return row


def checkpoint_payload_matches(row: AuditCheckpoint, key_set: Any) -> bool:
    """The checkpoint's signature verifies against ``key_set`` and covers exactly its fields."""
    try:
        obj = jws.deserialize_compact(row.signature, key_set, algorithms=["ES256"])
    except (JoseError, ValueError):
        return False
    return obj.payload == checkpoint_payload(row.seq, row.head_hash, row.signed_at)


def events_for(session: Session, resource_id: str, limit: int = 1000) -> list[AuditEvent]:
    """Every event that touched ``resource_id``, oldest first: "who saw this child's case, when"."""
    query = (
        select(AuditEvent)
        .join(AuditResource, AuditResource.event_seq == AuditEvent.seq)
        .where(AuditResource.resource_id == resource_id)
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    return list(session.scalars(query))
