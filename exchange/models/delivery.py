"""Webhook subscriptions and the transactional outbox of deliveries (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id
from exchange.models.audit import SequenceId

EVENT_TYPES = (
    "advice.requested",
    "advice.acknowledged",
    "advice.answered",
    "advice.withdrawn",
    "advice.overdue",
    "case.changed",
    "audit.checkpoint",
)
DELIVERY_STATUSES = ("pending", "delivered", "dead")


class WebhookSubscription(Base):
    """One organisation's endpoint for some event types; its signing secret is stored encrypted."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the HMAC key, encrypted under the key-encryption key kept outside the database
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    """An outbox row: one event for one subscription, written in the transaction that made the change."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    #: the ``webhook-id``: the same on every attempt and replay, so receivers can drop repeats
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    #: the exact body sent, serialised once so every attempt signs the same bytes
    body: Mapped[str] = mapped_column(Text)
    resource_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    #: a short code (timeout, connection_error, http_503 …), never a response body
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def summary(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "org_id": self.org_id,
            "subscription_id": str(self.subscription_id),
            "event_type": self.event_type,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }
