"""Delivery to partners (SPEC §5): subscriptions, the transactional outbox, signing, sending and replay.

Modules: ``outbox`` (events written in the changing transaction), ``case_events`` (the ``case.changed``
receiver of ``signals.case_changed``, connected by ``init_app``), ``signing`` (Standard Webhooks headers),
``secret_store`` (signing secrets encrypted at rest), ``sender`` (leases, backoff, dead letters, replay),
``subscriptions`` (registering an endpoint).
"""

from __future__ import annotations

from typing import Any

from exchange.delivery import case_events, secret_store


def init_app(app: Any = None) -> None:
    """Connect the ``case.changed`` receiver: every case change then writes its webhook deliveries, whether
    it comes from a request, a worker or a script that built the app; and keep the webhook-secrets key
    file in the app's instance folder."""
    case_events.connect()
    if app is not None:
        secret_store.init_app(app.instance_path)
