"""Webhook signing secrets at rest: HMAC keys must be readable to sign, so they are encrypted, not hashed.

Each subscription's secret is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``)
under a key-encryption key that never enters the database: ``EXCHANGE_WEBHOOK_SECRETS_KEY`` (a Fernet key;
set it in production, the same in every web and worker process), or else a key file
``webhook-secrets.key`` in the instance folder (``Settings.instance_path``, which ``delivery.init_app``
hands to ``init_app`` here), created once with mode 0600, for a single-machine deployment. A copy of the
database alone therefore discloses no secret. Rotating the key-encryption key means decrypting with
the old key and encrypting with the new one (not automated yet).
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "EXCHANGE_WEBHOOK_SECRETS_KEY"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


class SecretUnavailable(RuntimeError):
    """A stored secret cannot be decrypted: the key-encryption key is not the one it was stored under."""


#: the instance folder of the app that was built last (``init_app``); the key file is read or made there
_instance: dict[str, Path] = {}


def init_app(instance_path: str) -> None:
    """Keep the key file in ``instance_path`` (the key is read again on its next use)."""
    _instance["path"] = Path(instance_path)
    reset()


def _key_file() -> Path:
    if "path" not in _instance:
        raise SecretUnavailable(f"no {KEY_ENV} and no instance folder: build the app (create_app) first")
    return _instance["path"] / "webhook-secrets.key"


@cache
def _fernet() -> Fernet:
    key = os.environ.get(KEY_ENV)
    if not key:
        path = _key_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
        key = path.read_text().strip()
    return Fernet(key.encode())


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
