"""Flask extensions created once and bound to each app by ``init_app`` (the Flask tutorial's pattern).

The rate limiter keys a request by its bearer token only when this process has verified that token
(``remember_verified``, called by ``exchange.api.protect`` on success); any other request, with no token
or a made-up one, is limited by the caller's address (``request.remote_addr``, which ``ProxyFix`` sets
from the trusted proxies' ``X-Forwarded-For``). The check runs before any other ``before_request``, so a
flood of strangers is answered 429 before a token is parsed or the database is touched. The token
endpoint has a stricter limit of its own (``token_rate_limit``), by address alone whatever the request
carries; it is the same one check, so each request is counted against exactly one limit, once.
"""

from __future__ import annotations

import hashlib
import threading
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: how many verified tokens a process remembers (older ones fall back to the address until seen again)
MAX_VERIFIED = 10_000
#: the view limited by ``token_rate_limit`` and by address alone
TOKEN_ENDPOINT = "oauth.token"  # noqa: S105 - a view's name, not a secret
_verified: dict[str, float] = {}
_verified_lock = threading.Lock()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "dpop") else ""


def remember_verified(token: str, expires_at: float) -> None:
    """``token`` verified: limit its next requests by the token, until it expires."""
    with _verified_lock:
        if len(_verified) >= MAX_VERIFIED:
            now = time.time()
            for digest in [d for d, exp in _verified.items() if exp <= now] or list(_verified)[:1]:
                del _verified[digest]
        _verified[_digest(token)] = expires_at


def address_key() -> str:
    return f"addr:{get_remote_address()}"


def _rate_key() -> str:
    """Per bearer token once verified (a token is one client's for at most 15 minutes), else per address.

    The token's digest is looked up, never decoded: a made-up token cannot choose its own budget."""
    token = _bearer() if request.endpoint != TOKEN_ENDPOINT else ""
    if token:
        digest = _digest(token)
        if _verified.get(digest, 0.0) > time.time():
            return "token:" + digest
    return address_key()


def _limit() -> str:
    settings = current_app.config["EXCHANGE_SETTINGS"]
    return settings.token_rate_limit if request.endpoint == TOKEN_ENDPOINT else settings.rate_limit


def retry_after() -> int:
    """Seconds until the limit this request broke lets the caller in again (for a 429's ``Retry-After``)."""
    breached = limiter.current_limit
    return max(1, int(breached.reset_at - time.time())) if breached else 1


# limits are read from the current app on every request: one Limiter serves every app the process builds.
# Each route's count is its own (Flask-Limiter scopes a default limit by endpoint).
# No X-RateLimit-* headers: each would cost every request another round trip to the counters' storage;
# a 429 still says when to come back (``Retry-After``, set where the problem is answered)
limiter = Limiter(key_func=_rate_key, default_limits=[_limit], headers_enabled=False)
