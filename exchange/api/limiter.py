"""Flask extensions created once and bound to each app by ``init_app`` (the Flask tutorial's pattern)."""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def _rate_key() -> str:
    """Per bearer token (a token is one client's for at most 15 minutes), else per address.

    The token is hashed, not decoded: an unverified claim would let a caller spend another client's budget.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return f"addr:{get_remote_address()}"


def _default_limit() -> str:
    return current_app.config["EXCHANGE_SETTINGS"].rate_limit


# limits are read from the current app on every request: one Limiter serves every app the process builds
limiter = Limiter(key_func=_rate_key, default_limits=[_default_limit], headers_enabled=True)
