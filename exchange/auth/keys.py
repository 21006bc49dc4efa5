"""The exchange's ES256 signing keys: the newest signs, the retired ones verify until their tokens expire."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.db import db
from exchange.models import SigningKey

#: a retired key stays published this long: longer than any token or receipt check needs it
RETIRED_KEY_GRACE = timedelta(hours=1)
#: how often a process rereads the keys, so a rotation elsewhere is seen without a restart
RELOAD_SECONDS = 30.0


def create_key(session: Session) -> SigningKey:
    """A new signing key; the previous current key is retired (it keeps verifying for a while)."""
    now = clock.now()
    for key in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        key.retired_at = now
    private = ECKey.generate_key("P-256", auto_kid=True)
    row = SigningKey(kid=private.kid, private_jwk=private.as_dict(private=True), created_at=now)
    session.add(row)
    session.flush()
    return row


class KeyRing:
    """An in-process cache of the signing keys, reloaded every RELOAD_SECONDS or on an unknown ``kid``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._current: ECKey | None = None
        self._by_kid: dict[str, ECKey] = {}

    def _reload(self) -> None:
        cutoff = clock.now() - RETIRED_KEY_GRACE
        session = db.session()
        rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
        by_kid: dict[str, ECKey] = {}
        current: ECKey | None = None
        for row in rows:
            if row.retired_at is not None and row.retired_at < cutoff:
                continue
            key = ECKey.import_key(row.private_jwk)
            by_kid[row.kid] = key
            if row.retired_at is None:
                current = key
        with self._lock:
            self._by_kid, self._current, self._loaded_at = by_kid, current, time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            self._reload()

    def signing_key(self) -> ECKey:
        self._fresh()
        if self._current is None:
            self._reload()
        if self._current is None:
            raise RuntimeError("no signing key: run `exchange keys rotate` (or `exchange db upgrade`)")
        return self._current

    def verification_key(self, kid: str) -> ECKey | None:
        self._fresh()
        if kid not in self._by_kid:
            self._reload()
        return self._by_kid.get(kid)

    def public_jwks(self) -> dict[str, Any]:
        self._fresh()
        keys = [key.as_dict(private=False) | {"use": "sig", "alg": "ES256"} for key in self._by_kid.values()]
        return {"keys": keys}

    def key_set(self) -> KeySet:
        self._fresh()
        return KeySet(list(self._by_kid.values()))

    def invalidate(self) -> None:
        self._loaded_at = 0.0


keyring = KeyRing()
