"""Where the exchange's private keys live: never in the database.

A key store makes ES256 (P-256) keys and signs with them; the database keeps only each key's public JWK
and its ``key_ref``, which is useless without the store:

- ``envelope`` (the default): the private key sealed with AES-256-GCM under a key-encryption key read
  from the file named by ``EXCHANGE_KEY_ENCRYPTION_KEY`` (``key_ref`` is the sealed key);
- ``pkcs11``: the private key is generated inside a PKCS#11 token (an HSM; SoftHSM2 in CI) and never
  leaves it (``key_ref`` is its label in the token).

The store also seals the few secrets the exchange must present in clear to someone else (an identity
provider's client secret: ``exchange.people``), with AES-256-GCM under the key-encryption key, or under an
AES key made inside the PKCS#11 token, bound to what each is the secret of.

A store is opened lazily: a command that signs nothing needs no key-encryption key, and one that does
stops with one line naming the setting when the key cannot be read.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from joserfc.jwk import ECKey

from exchange.settings import ConfigurationError, Settings

BACKENDS = ("envelope", "pkcs11")
NONCE = 12


def associated(context: str) -> bytes:
    """The AEAD's associated data of a sealed secret: its context, apart from any key's ``kid``."""
    return f"secret:{context}".encode()


class KeyStoreError(ConfigurationError):
    """The key store cannot be used (a key-encryption key missing or unreadable, a token absent)."""


class Signer(Protocol):
    """One private key of a store: ``sign`` answers the raw ES256 signature (r || s, 64 bytes)."""

    def sign(self, data: bytes) -> bytes: ...


class KeyStore(Protocol):
    backend: str

    def generate(self, purpose: str) -> tuple[dict[str, Any], str]:
        """A new P-256 key for ``purpose``: its public JWK (``kid`` its thumbprint) and its ``key_ref``."""
        ...

    def signer(self, kid: str, key_ref: str) -> Signer:
        """The private key that ``generate`` answered ``kid`` and ``key_ref`` for."""
        ...

    def seal(self, secret: bytes, context: str) -> str:
        """``secret`` (one the exchange must present, e.g. an identity provider's client secret) sealed
        with AES-256-GCM under the store's own key, bound to ``context`` (what it is the secret of)."""
        ...

    def unseal(self, sealed: str, context: str) -> bytes:
        """What ``seal`` sealed for ``context`` (``KeyStoreError`` if it was sealed for another context or
        under another key)."""
        ...


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(x: int, y: int) -> dict[str, Any]:
    """The public JWK of a P-256 point, with its RFC 7638 thumbprint as ``kid``."""
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(x.to_bytes(32, "big")),
        "y": b64url(y.to_bytes(32, "big")),
    }
    return {**jwk, "kid": ECKey.import_key(jwk).thumbprint()}


def open_store(settings: Settings) -> KeyStore:
    """The key store ``settings`` name (nothing is read until a key is made or used)."""
    if settings.key_store == "pkcs11":
        from exchange.keystore.pkcs11 import Pkcs11Store

        return Pkcs11Store(settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_pin)
    from exchange.keystore.envelope import EnvelopeStore

    return EnvelopeStore(settings.key_encryption_key)
