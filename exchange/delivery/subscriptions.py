"""Registering a partner's webhook endpoint: which organisation, where, for which events, and its secret."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from exchange.delivery import secret_store, targets
from exchange.models import Organisation, WebhookSubscription
from exchange.models.delivery import EVENT_TYPES


class SubscriptionError(ValueError):
    """The subscription cannot be registered; the message says why (no secret, no personal data)."""


def add(session: Session, org_id: str, url: str, events: Sequence[str]) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (``whsec_…``), which is returned here once and only here.

    The URL must be https to a public address (``targets.resolve``; checked again at every delivery)."""
    if session.get(Organisation, org_id) is None:
        raise SubscriptionError(f"no organisation {org_id!r}")
    try:
        targets.resolve(url)
    except targets.TargetRefused as refused:
        raise SubscriptionError(str(refused)) from None
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if not events or unknown:
        raise SubscriptionError(f"events must be some of: {' '.join(EVENT_TYPES)}")
    secret = secret_store.new_secret()
    row = WebhookSubscription(
        org_id=org_id, url=url, events=sorted(set(events)), secret_ciphertext=secret_store.seal(secret)
    )
    session.add(row)
    session.flush()
    return row, secret
