"""Proofs signed by the exchange (compact JWS, ES256), verifiable with `/oauth/jwks`: submission receipts
by the token key, audit checkpoints by the audit key (never the token key). A partner (or an auditor) can
check later that the exchange said exactly this, with nothing but the public JWK set.
"""

from __future__ import annotations

import json
from typing import Any

from exchange.auth.keys import AUDIT, TOKEN, bound


def sign_checkpoint(payload: bytes) -> str:
    """An audit checkpoint's signature, by the audit key."""
    return bound().sign(AUDIT, {"typ": "JOSE"}, payload)


def sign_claims(claims: dict[str, Any], typ: str = "receipt+jwt") -> str:
    """``claims`` as sorted compact JSON, signed."""
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":"), default=str).encode()
    return bound().sign(TOKEN, {"typ": typ}, payload)
