"""Submissions: raw bodies (once per SHA-256, in chunks), intake rows, worker leases, staged records."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from exchange import clock
from exchange.bodies import CHUNK, Body
from exchange.db import upsert
from exchange.models import RawBody, RawBodyChunk, StagedRecord, Submission

#: a worker that has not renewed its lease for this long is presumed dead; another takes over
LEASE = timedelta(minutes=5)
#: the lease of a small body (at most ``inline_submission_bytes``): its request runs within gunicorn's 30 s
#: timeout, so past this the process handling it is dead and a worker takes it over without a long wait
SHORT_LEASE = timedelta(seconds=60)


def store_body(session: Session, body: Body) -> None:
    """Insert the body, a chunk at a time, unless a body with the same SHA-256 is stored already (by
    anyone, concurrently: the one whose row went in writes the chunks, in the same transaction)."""
    inserted = session.execute(
        upsert(session, RawBody)
        .values(sha256=body.sha256, size=body.size)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(RawBody.sha256)
    ).first()
    if inserted is None:
        return
    for seq, chunk in enumerate(body.chunks()):
        session.execute(insert(RawBodyChunk).values(sha256=body.sha256, seq=seq, data=chunk))


def open_body(session: Session, sha256: str) -> BinaryIO:
    """A stored body as a readable binary file that fetches one chunk at a time through ``session``."""
    return io.BufferedReader(_StoredBody(session, sha256), buffer_size=CHUNK)


class _StoredBody(io.RawIOBase):
    def __init__(self, session: Session, sha256: str) -> None:
        self._session, self._sha256 = session, sha256
        self._seq, self._chunk, self._offset = 0, b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._chunk):
            chunk = self._session.scalar(
                select(RawBodyChunk.data).where(
                    RawBodyChunk.sha256 == self._sha256, RawBodyChunk.seq == self._seq
                )
            )
            if chunk is None:
                return 0
            self._seq, self._chunk, self._offset = self._seq + 1, chunk, 0
        size = min(len(buffer), len(self._chunk) - self._offset)
        buffer[:size] = self._chunk[self._offset : self._offset + size]
        self._offset += size
        return size


def body_size(session: Session, sha256: str) -> int:
    return session.scalars(select(RawBody.size).where(RawBody.sha256 == sha256)).one()


def by_idempotency_key(session: Session, org_id: str, key: str) -> Submission | None:
    return session.scalar(
        select(Submission).where(Submission.org_id == org_id, Submission.idempotency_key == key)
    )


def processed_returns(session: Session, org_id: str, adapter: str, collection_year: int) -> list[Submission]:
    """The organisation's own submissions through ``adapter`` for ``collection_year`` that stored records,
    newest first (only the submitter's: another organisation's return is never read)."""
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.org_id == org_id,
                Submission.adapter == adapter,
                Submission.collection_year == collection_year,
                Submission.status.in_(("accepted", "partially_accepted")),
            )
            .order_by(Submission.completed_at.desc(), Submission.received_at.desc())
        )
    )


def get(session: Session, submission_id: uuid.UUID) -> Submission | None:
    return session.get(Submission, submission_id)


def lease_for(size: int, small: int) -> timedelta:
    """``SHORT_LEASE`` for a body of at most ``small`` bytes (seconds of work), else ``LEASE``."""
    return SHORT_LEASE if size <= small else LEASE


def claim_next(session: Session, small: int, now: datetime | None = None) -> Submission | None:
    """Lease the oldest submission still processing whose lease is free or expired (SKIP LOCKED on PG),
    for ``lease_for`` its body's size: a worker that dies holding a small one is not waited for long."""
    now = now or clock.now()
    row = session.execute(
        select(Submission, RawBody.size)
        .join(RawBody, RawBody.sha256 == Submission.sha256)
        .where(
            Submission.status == "processing",
            or_(Submission.lease_until.is_(None), Submission.lease_until < now),
        )
        .order_by(Submission.received_at)
        .limit(1)
        .with_for_update(skip_locked=True, of=Submission)
    ).first()
    if row is None:
        return None
    submission, size = row
    submission.lease_until = now + lease_for(size, small)
    return submission


def hold(session: Session, submission_id: uuid.UUID) -> None:
    """Lock the submission's row until this transaction ends, so no worker claims it meanwhile whatever
    its lease says (PostgreSQL: ``claim_next`` skips locked rows; SQLite: the open write transaction
    already keeps every other writer out). Inline processing holds it from its first write to its outcome."""
    session.execute(select(Submission.id).where(Submission.id == submission_id).with_for_update())


def renew(session: Session, submission_id: uuid.UUID, records: int, lease: timedelta = LEASE) -> None:
    """Extend (or set) the lease and show the records read so far."""
    session.execute(
        update(Submission)
        .where(Submission.id == submission_id)
        .values(lease_until=clock.now() + lease, records=records)
    )


def stage(session: Session, submission_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Keep validated records (``seq``, ``kind``, ``position``, ``data``) until the stream is read."""
    session.add_all(StagedRecord(submission_id=submission_id, **row) for row in rows)


def staged_count(session: Session, submission_id: uuid.UUID) -> int:
    """How many validated records the worker has staged so far for the submission."""
    return (
        session.scalar(
            select(func.count()).select_from(StagedRecord).where(StagedRecord.submission_id == submission_id)
        )
        or 0
    )


def staged(session: Session, submission_id: uuid.UUID, batch: int = 500) -> Iterator[StagedRecord]:
    """The staged records in stream order, read a batch at a time."""
    last = -1
    while True:
        rows = session.scalars(
            select(StagedRecord)
            .where(StagedRecord.submission_id == submission_id, StagedRecord.seq > last)
            .order_by(StagedRecord.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def drop_staged(session: Session, submission_id: uuid.UUID) -> None:
    session.execute(delete(StagedRecord).where(StagedRecord.submission_id == submission_id))
