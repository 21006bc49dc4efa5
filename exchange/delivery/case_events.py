"""``case.changed`` deliveries: a receiver of ``signals.case_changed`` that writes outbox rows in the sender's
session, one per subscribed organisation entitled to see the case (``store.cases.may_see``), each payload
filtered by the field policy for that organisation's kind (a confidential address never reaches another
party).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from exchange.delivery import outbox
from exchange.models import Case, CaseVersion, Organisation, WebhookSubscription
from exchange.reference import FieldPolicy
from exchange.signals import case_changed
from exchange.store import cases as case_store

EVENT = "case.changed"
_SUBSCRIBED = "case_changed_subscribers"


def _subscribed(session: Session) -> list[Organisation]:
    """The organisations with an active subscription, read once per transaction and without a flush:
    a batch of cases then costs one query, not one query and one flush per case."""
    transaction = session.get_transaction()
    cached = session.info.get(_SUBSCRIBED)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    with session.no_autoflush:
        organisations = list(
            session.scalars(
                select(Organisation)
                .where(
                    Organisation.id.in_(
                        select(WebhookSubscription.org_id).where(WebhookSubscription.disabled_at.is_(None))
                    )
                )
                .order_by(Organisation.id)
            )
        )
    session.info[_SUBSCRIBED] = (transaction, organisations)
    return organisations


def _on_case_changed(
    _sender: Any,
    *,
    session: Session | scoped_session[Session],
    case: Case,
    version: CaseVersion,
    policy: FieldPolicy,
    **_: Any,
) -> None:
    if isinstance(session, scoped_session):
        session = session()
    subscribed = _subscribed(session)
    if not subscribed:
        return  # nobody to tell (as a bulk load's cases mostly find)
    data_by_org = {
        org.id: {
            "case_id": str(case.id),
            "version": version.version,
            "event_type": version.event_type,
            "case": case_store.view(version.document, org, policy),
        }
        for org in subscribed
        if case_store.may_see(org, case)
    }
    outbox.enqueue_each(session, data_by_org, EVENT, [case.id])


def connect() -> None:
    """Send ``case.changed`` deliveries for every case change from now on (``exchange.delivery.init_app``)."""
    case_changed.connect(_on_case_changed)
