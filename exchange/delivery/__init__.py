"""Delivery to partners (SPEC §5): subscriptions, the transactional outbox, signing, sending and replay.

Modules: ``outbox`` (events written in the changing transaction), ``case_events`` (the ``case.changed``
receiver of ``signals.case_changed``, connected on import), ``signing`` (Standard Webhooks headers),
``secret_store`` (signing secrets encrypted at rest), ``sender`` (leases, backoff, dead letters, replay),
``subscriptions`` (registering an endpoint).
"""

from exchange.delivery import case_events as case_events  # noqa: F401 - connects the case.changed receiver
