"""The exchange's ES256 keys: one for access tokens and receipts, another for audit checkpoints.

The private keys live in the key store (``exchange.keystore``), never in the database, which holds each
key's public JWK and its ``key_ref``. Per purpose the newest key signs and retired ones verify until
their tokens expire. ``create_app`` builds one ``KeyRing`` per app and keeps it as
``app.extensions["exchange.keyring"]``; the services that sign outside a request (receipts, the worker's
checkpoints) reach the ring of the app in use, as they reach its database (``bound()``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.db import db
from exchange.keystore import KeyStore, Signer, b64url
from exchange.models import SigningKey

TOKEN = "token"  # noqa: S105 - a key's purpose, not a secret
AUDIT = "audit"
LEGACY = "legacy"
#: the purposes a key is made for (``legacy`` keys, from before the key store, only verify)
PURPOSES = (TOKEN, AUDIT)
#: a retired key stays published this long: longer than any token or receipt check needs it
RETIRED_KEY_GRACE = timedelta(hours=1)
#: how often a process rereads the keys, so a rotation elsewhere is seen without a restart
RELOAD_SECONDS = 30.0
EXTENSION = "exchange.keyring"


def create_key(session: Session, store: KeyStore, purpose: str) -> SigningKey:
    """A new key for ``purpose`` in ``store``; the previous current one is retired (it keeps verifying)."""
    now = clock.now()
    current = select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
    for key in session.scalars(current):
        key.retired_at = now
    jwk, key_ref = store.generate(purpose)
    row = SigningKey(
        kid=jwk["kid"],
        purpose=purpose,
        backend=store.backend,
        public_jwk=jwk,
        key_ref=key_ref,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


class KeyRing:
    """An in-process cache of the keys, reloaded every RELOAD_SECONDS or on an unknown ``kid``."""

    def __init__(self, store: KeyStore, session: Callable[[], Session]) -> None:
        self.store = store
        self._session = session
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._current: dict[str, tuple[str, str | None]] = {}
        self._public: dict[str, tuple[str, ECKey]] = {}
        self._signers: dict[str, Signer] = {}

    def _reload(self) -> None:
        cutoff = clock.now() - RETIRED_KEY_GRACE
        rows = self._session().scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
        public: dict[str, tuple[str, ECKey]] = {}
        current: dict[str, tuple[str, str | None]] = {}
        for row in rows:
            if row.retired_at is not None and row.retired_at < cutoff:
                continue
            public[row.kid] = (row.purpose, ECKey.import_key(row.public_jwk))
            if row.retired_at is None and row.purpose in PURPOSES:
                current[row.purpose] = (row.kid, row.key_ref)
        with self._lock:
            self._public, self._current, self._loaded_at = public, current, time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            self._reload()

    def _signing(self, purpose: str) -> tuple[str, Signer]:
        self._fresh()
        if purpose not in self._current:
            self._reload()
        kid, key_ref = self._current.get(purpose, ("", None))
        if key_ref is None:
            raise RuntimeError(f"no {purpose} key: run `exchange db upgrade` (or `exchange keys rotate`)")
        signer = self._signers.get(kid)
        if signer is None:
            signer = self._signers[kid] = self.store.signer(kid, key_ref)
        return kid, signer

    def sign(self, purpose: str, header: dict[str, Any], payload: bytes) -> str:
        """A compact JWS (ES256) of ``payload`` by the current key of ``purpose`` (alg and kid added)."""
        kid, signer = self._signing(purpose)
        protected = b64url(json.dumps({"alg": "ES256", "kid": kid, **header}, separators=(",", ":")).encode())
        signing_input = f"{protected}.{b64url(payload)}"
        return f"{signing_input}.{b64url(signer.sign(signing_input.encode('ascii')))}"

    def verification_key(self, kid: str, purpose: str = TOKEN) -> ECKey | None:
        """The public key ``kid`` if it is a live key of ``purpose`` (an audit key never verifies a token)."""
        self._fresh()
        if kid not in self._public:
            self._reload()
        found = self._public.get(kid)
        return found[1] if found and found[0] == purpose else None

    def public_jwks(self) -> dict[str, Any]:
        """Every live public key, each with its ``kid``: the token keys, then the audit keys."""
        self._fresh()
        keys = [
            key.as_dict(private=False) | {"kid": kid, "use": "sig", "alg": "ES256"}
            for purpose in (TOKEN, AUDIT, LEGACY)
            for kid, (key_purpose, key) in self._public.items()
            if key_purpose == purpose
        ]
        return {"keys": keys}

    def key_set(self, purpose: str = TOKEN) -> KeySet:
        self._fresh()
        return KeySet([key for key_purpose, key in self._public.values() if key_purpose == purpose])

    def invalidate(self) -> None:
        self._loaded_at = 0.0


def bound() -> KeyRing:
    """The key ring of the app in use, found as its database is (``db.app_state``)."""
    return db.app_state(EXTENSION)
