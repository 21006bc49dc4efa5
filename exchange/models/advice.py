"""Advice requests (court -> Cafcass) and the advice that answers them (SPEC §2).

Types and statuses are the code lists ``advice_request_types`` and ``advice_request_statuses``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id


class AdviceRequest(Base):
    __tablename__ = "advice_requests"
    __table_args__ = (
        UniqueConstraint("court_org_id", "idempotency_key", name="uq_advice_requests_idempotency"),
        Index("ix_advice_requests_status_due", "status", "due_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    #: the requesting court's organisation: the only court that sees the request
    court_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the request body, to tell a repeat from another body under the same key
    body_sha256: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: the minimal details of a private-law case not held here (law, court, application_type, children)
    case_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    court: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(40))
    question: Mapped[str | None] = mapped_column(Text)
    hearing_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    #: the service it is routed to: "cafcass" (England) or "cafcass_cymru" (Wales)
    #: the Cafcass service (``cafcass``, ``cafcass_cymru``), or the applicant LA's organisation id for a
    #: section 37 report
    routed_to: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    advice: Mapped[Advice | None] = relationship(lazy="selectin", uselist=False)


class Advice(Base):
    """Cafcass's answer to one request; the optional PDF is kept beside it."""

    __tablename__ = "advice"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advice_requests.id", ondelete="CASCADE"), primary_key=True
    )
    answered_by_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    summary: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(Text)
    risk_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    recommended_next_hearing: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
