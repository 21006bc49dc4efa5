"""Metrics for the family justice boards."""

from __future__ import annotations

from typing import Any

from exchange.metrics import aggregates


def init_app(_app: Any = None) -> None:
    """Maintain the pre-aggregated counts on every commit that changes a case (requests, workers, scripts)."""
    aggregates.listen()
