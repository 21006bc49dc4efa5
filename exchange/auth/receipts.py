"""Detached proofs signed by the exchange's current key (compact JWS, ES256), verifiable with `/oauth/jwks`.

Used for submission receipts and audit checkpoints: a partner (or an auditor) can check later that the
exchange said exactly this, with nothing but the public JWK set.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jws

from exchange.auth.keys import keyring


def sign_payload(payload: bytes, typ: str = "JOSE") -> str:
    key = keyring.signing_key()
    return jws.serialize_compact(
        {"alg": "ES256", "kid": key.kid, "typ": typ}, payload, key, algorithms=["ES256"]
    )


def sign_claims(claims: dict[str, Any], typ: str = "receipt+jwt") -> str:
    """``claims`` as sorted compact JSON, signed."""
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":"), default=str).encode()
    return sign_payload(payload, typ)
