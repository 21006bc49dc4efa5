"""Submissions: the raw body (content-addressed), the submission row and its per-record report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id
from exchange.models.audit import SequenceId

STATUSES = ("processing", "accepted", "partially_accepted", "rejected")


class RawBody(Base):
    """A body exactly as received, stored once per SHA-256 whoever sends it again; its bytes are in
    ``RawBodyChunk`` rows, so neither storing nor reading it needs the whole body in memory."""

    __tablename__ = "raw_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)


class RawBodyChunk(Base):
    """One piece of a raw body; the pieces in ``seq`` order are the body."""

    __tablename__ = "raw_body_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("raw_bodies.sha256", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key", name="uq_submissions_idempotency"),
        Index("ix_submissions_return", "org_id", "adapter", "collection_year"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(ForeignKey("raw_bodies.sha256"), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    #: the adapter chosen for the body (its profile name)
    adapter: Mapped[str] = mapped_column(String(64))
    atomic: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), index=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: findings (DfE rules broken by stored records) by severity: {"error": n, "query": n}
    findings: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: rejected records: [{position, code, message}] (bounded; the counts are always complete)
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ids of the records stored, e.g. the case ids created or updated
    stored_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    receipt: Mapped[str | None] = mapped_column(String(4000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: worker lease for large submissions processed in the background
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the HTTP status of the first answer (201 or 202), repeated to an idempotent replay
    answer_status: Mapped[int] = mapped_column(Integer, default=201)
    #: the collection year a statutory return is for (the year the collection ends), as the submitter named
    #: it; None when not named (an SSDA903 return is then read with every year's codes and the latest rules)
    collection_year: Mapped[int | None] = mapped_column(Integer)
    #: ids of the submissions read as last year's return (SSDA903 with a collection year; [] when none was
    #: found and the rules comparing with last year were not run), else None
    previous_submissions: Mapped[list[str] | None] = mapped_column(JSON)
    #: each table of this year's return read with this one from the submitter's earlier submissions of the
    #: year, with the id of the submission that gave it (SSDA903 with a collection year; {} when none was),
    #: else None
    same_year_tables: Mapped[dict[str, str] | None] = mapped_column(JSON)

    #: set (not stored) on the submission ``pipeline.submit`` returns for a repeated Idempotency-Key
    replayed = False


class StagedRecord(Base):
    """A validated record of a large submission, kept until the whole stream has been read.

    The worker stages records in short transactions (so progress is visible and memory stays flat)
    and applies them in one final transaction, so a fault late in the stream stores nothing.
    """

    __tablename__ = "staged_records"
    __table_args__ = (Index("ix_staged_records_submission", "submission_id", "seq"),)

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    position: Mapped[dict[str, Any]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
