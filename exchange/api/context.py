"""What a view needs of the app that serves it: its settings, which carry the reference data."""

from __future__ import annotations

from flask import current_app

from exchange.reference import Reference
from exchange.settings import Settings


def settings() -> Settings:
    """The serving app's settings."""
    return current_app.config["EXCHANGE_SETTINGS"]


def reference() -> Reference:
    """The serving app's reference data (courts, areas, routing, field policy, bank holidays)."""
    return settings().reference
