"""Webhook signing secrets at rest: HMAC keys must be readable to sign, so they are encrypted, not hashed.

Each subscription's secret is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``)
under a key-encryption key that never enters the database: the file named by
``EXCHANGE_WEBHOOK_SECRETS_KEY`` (one Fernet key; the same file, or a copy, for every web and worker
process; ``exchange webhooks new-key FILE`` writes one with mode 0600, and the demo keeps one in its
instance folder). Nothing is ever created silently: without the setting, or with a file that is missing
or holds no key, whatever needs the key stops with one line saying so, and a key that is not the one a
secret was stored under is ``SecretUnavailable``. A copy of the database alone therefore discloses no
secret. Rotating the key-encryption key means decrypting with the old key and encrypting with the new
one (not automated yet).
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from exchange.settings import ConfigurationError

KEY_ENV = "EXCHANGE_WEBHOOK_SECRETS_KEY"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


class SecretUnavailable(RuntimeError):
    """A stored secret cannot be decrypted: the key-encryption key is not the one it was stored under."""


def create_key_file(path: str | Path) -> Path:
    """Write a new key-encryption key to ``path`` (mode 0600); an existing file is never overwritten
    (``FileExistsError``)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(Fernet.generate_key() + b"\n")
    return path


@cache
def _fernet() -> Fernet:
    name = os.environ.get(KEY_ENV, "")
    if not name:
        raise ConfigurationError(
            f"{KEY_ENV} is not set: name the file that holds the webhook-secrets key "
            "(`exchange webhooks new-key FILE` writes one)"
        )
    try:
        key = Path(name).read_bytes().strip()
    except OSError as error:
        raise ConfigurationError(f"{KEY_ENV} names {name}, which cannot be read ({error.strerror})") from None
    try:
        return Fernet(key)
    except ValueError:
        raise ConfigurationError(f"{KEY_ENV} names {name}, which holds no webhook-secrets key") from None


def reset() -> None:
    """Forget the cached key-encryption key (tests that change the environment)."""
    _fernet.cache_clear()


def new_secret() -> str:
    """A fresh 256-bit signing secret in the Standard Webhooks form ``whsec_<base64>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def seal(secret: str) -> bytes:
    return _fernet().encrypt(secret.encode())


def unseal(ciphertext: bytes) -> str:
    try:
        return _fernet().decrypt(ciphertext).decode()
    except InvalidToken:
        raise SecretUnavailable("a webhook secret cannot be decrypted with the configured key") from None
