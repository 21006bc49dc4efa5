"""What a view or a command needs of the app in use: its settings, and its reference data."""

from __future__ import annotations

from flask import current_app

from exchange.reference import EXTENSION, Reference
from exchange.settings import Settings


def settings() -> Settings:
    """The app's settings."""
    return current_app.config["EXCHANGE_SETTINGS"]


def reference() -> Reference:
    """The app's reference data (courts, areas, routing, field policy, bank holidays), which ``create_app``
    keeps in ``app.extensions``."""
    return current_app.extensions[EXTENSION]
