"""Delivery to partners (SPEC §5): subscriptions, the transactional outbox, signing, sending and replay.

Modules: ``outbox`` (events written in the changing transaction), ``case_events`` (the ``case.changed``
receiver of ``signals.case_changed``, connected by ``init_app``), ``signing`` (Standard Webhooks headers),
``secret_store`` (signing secrets encrypted at rest), ``sender`` (leases, backoff, dead letters, replay),
``subscriptions`` (registering an endpoint), ``targets`` (https to a public address only).
"""

from __future__ import annotations

from typing import Any

from exchange.delivery import case_events


def init_app(_app: Any = None) -> None:
    """Connect the ``case.changed`` receiver: every case change then writes its webhook deliveries, whether
    it comes from a request, a worker or a script that built the app."""
    case_events.connect()
