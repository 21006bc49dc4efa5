"""Envelope encryption: each private key sealed with AES-256-GCM under one key-encryption key (KEK).

The KEK is 32 random bytes, base64 in a file of its own (``EXCHANGE_KEY_ENCRYPTION_KEY``, mode 0600),
kept outside the database and its backups. The sealed key is bound to its key (the AEAD's associated
data is its ``kid``), so a sealed key copied onto another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from exchange.keystore import NONCE, KeyStoreError, associated, public_jwk

SETTING = "EXCHANGE_KEY_ENCRYPTION_KEY"
PREFIX = "A256GCM."
SEALED = "A256GCM-secret."


def generate_kek(path: Path) -> None:
    """Write a new KEK to ``path`` (owner-only); an existing file is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")


class _Key:
    def __init__(self, private: ec.EllipticCurvePrivateKey) -> None:
        self._private = private

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self._private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class EnvelopeStore:
    backend = "envelope"

    def __init__(self, kek_path: str) -> None:
        self._path = kek_path
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def _kek(self) -> AESGCM:
        with self._lock:
            if self._aead is None:
                if not self._path:
                    raise KeyStoreError(
                        f"{SETTING} is not set: name the file that holds the key-encryption key"
                    )
                try:
                    key = base64.b64decode(Path(self._path).read_text().strip(), validate=True)
                except (OSError, UnicodeError, binascii.Error):
                    raise KeyStoreError(f"{SETTING}: the key-encryption key file cannot be read") from None
                if len(key) != 32:
                    raise KeyStoreError(f"{SETTING}: the file must hold 32 bytes, base64")
                self._aead = AESGCM(key)
            return self._aead

    def generate(self, purpose: str) -> tuple[dict[str, Any], str]:
        aead = self._kek()
        private = ec.generate_private_key(ec.SECP256R1())
        numbers = private.public_key().public_numbers()
        jwk = public_jwk(numbers.x, numbers.y)
        der = private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = secrets.token_bytes(12)
        sealed = nonce + aead.encrypt(nonce, der, jwk["kid"].encode())
        return jwk, PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def signer(self, kid: str, key_ref: str) -> _Key:
        aead = self._kek()
        try:
            sealed = base64.urlsafe_b64decode(key_ref.removeprefix(PREFIX))
            der = aead.decrypt(sealed[:12], sealed[12:], kid.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise KeyStoreError(
                f"{SETTING}: a signing key does not open with this key-encryption key"
            ) from None
        private = serialization.load_der_private_key(der, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"{SETTING}: a sealed signing key is not an EC key")
        return _Key(private)

    def seal(self, secret: bytes, context: str) -> str:
        nonce = secrets.token_bytes(NONCE)
        sealed = nonce + self._kek().encrypt(nonce, secret, associated(context))
        return SEALED + base64.urlsafe_b64encode(sealed).decode()

    def unseal(self, sealed: str, context: str) -> bytes:
        aead = self._kek()
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(SEALED))
            return aead.decrypt(raw[:NONCE], raw[NONCE:], associated(context))
        except (InvalidTag, ValueError, binascii.Error):
            raise KeyStoreError(
                f"{SETTING}: a sealed secret does not open with this key-encryption key"
            ) from None
