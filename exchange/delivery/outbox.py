"""The transactional outbox: events written as ``Delivery`` rows in the session that made the change.

A change and its deliveries commit or roll back together; the worker sends them later. Each row is one
event for one subscription, with its body serialised once (``{"type", "timestamp", "data"}``, the
Standard Webhooks payload shape), so every attempt and replay signs the same bytes under the same id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.models import Delivery, WebhookSubscription


def subscriptions(session: Session, org_ids: Iterable[str], event_type: str) -> list[WebhookSubscription]:
    """The active subscriptions of ``org_ids`` to ``event_type``."""
    wanted = set(org_ids)
    if not wanted:
        return []
    rows = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.org_id.in_(wanted), WebhookSubscription.disabled_at.is_(None)
        )
    )
    return [s for s in rows if event_type in (s.events or [])]


def body_for(event_type: str, data: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {"type": event_type, "timestamp": at.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def enqueue(
    session: Session,
    org_ids: Iterable[str],
    event_type: str,
    data: dict[str, Any],
    resource_ids: Iterable[Any] = (),
) -> list[Delivery]:
    """One delivery per subscription of ``org_ids`` to ``event_type``, all carrying the same ``data``."""
    return enqueue_each(session, {org: data for org in org_ids}, event_type, resource_ids)


def enqueue_each(
    session: Session,
    data_by_org: dict[str, dict[str, Any]],
    event_type: str,
    resource_ids: Iterable[Any] = (),
) -> list[Delivery]:
    """Like ``enqueue``, with a payload of its own for each organisation (filtered for what it may see)."""
    now = clock.now()
    ids = [str(r) for r in resource_ids]
    rows = [
        Delivery(
            subscription_id=sub.id,
            org_id=sub.org_id,
            event_type=event_type,
            body=body_for(event_type, data_by_org[sub.org_id], now),
            resource_ids=ids,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for sub in subscriptions(session, data_by_org, event_type)
    ]
    session.add_all(rows)
    return rows
