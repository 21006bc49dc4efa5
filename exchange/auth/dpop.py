"""DPoP proofs (RFC 9449), checked with joserfc: Authlib has no DPoP support yet (authlib/authlib#315 is
open; pull request #808 is a work in progress), so the checks are here, for the token endpoint and for
every resource.

A proof is a JWT with ``typ`` ``dpop+jwt``, signed ES256 by the public key in its own ``jwk`` header; it
names the request it is for (``htm``, ``htu``), was made at most ``WINDOW`` seconds ago (``iat``), is used
once (``jti``, spent in the database per proof key until its window closes) and, at a resource, carries the
hash of the access token it accompanies (``ath``). Its key's thumbprint (``jkt``) is what a DPoP-bound
token names in ``cnf.jkt``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from exchange import clock
from exchange.db import upsert
from exchange.keystore import b64url
from exchange.models import UsedDpopProof

ALGORITHMS = ["ES256"]
#: a proof is accepted this many seconds after its ``iat`` (and ``LEEWAY`` before it)
WINDOW = 60
LEEWAY = 10  # FAPI 2.0 §5.4: up to 10 s in the future
MAX_JTI_LENGTH = 200


class InvalidProof(Exception):
    """The DPoP proof is missing or not acceptable; ``reason`` is safe to log and to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the access token."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def _normal_url(url: str) -> str:
    """``url`` without query or fragment, scheme and host lower case, no default port (RFC 9449 §4.3)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", "", ""))


def check(
    proof: str | None, *, method: str, url: str, session: Session, access_token: str | None = None
) -> str:
    """The thumbprint (``jkt``) of the key of ``proof`` for this request, its ``jti`` now spent; else
    ``InvalidProof``."""
    if not proof:
        raise InvalidProof("a DPoP proof is required")
    try:
        header = jws.extract_compact(proof.encode("ascii")).headers()
    except (JoseError, UnicodeError, ValueError):
        raise InvalidProof("the DPoP proof is malformed") from None
    if header.get("typ") != "dpop+jwt" or header.get("alg") not in ALGORITHMS:
        raise InvalidProof("the DPoP proof must be typ dpop+jwt, signed ES256")
    try:
        key = ECKey.import_key(header.get("jwk"))
    except (JoseError, TypeError, ValueError, KeyError):
        raise InvalidProof("the DPoP proof's jwk is not an EC public key") from None
    if key.is_private:
        raise InvalidProof("the DPoP proof's jwk holds a private key")
    try:
        claims = jwt.decode(proof, key, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError):
        raise InvalidProof("the DPoP proof's signature does not verify") from None
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise InvalidProof("the DPoP proof needs a jti")
    if claims.get("htm") != method:
        raise InvalidProof("the DPoP proof is for another method (htm)")
    if not isinstance(claims.get("htu"), str) or _normal_url(claims["htu"]) != _normal_url(url):
        raise InvalidProof("the DPoP proof is for another URL (htu)")
    now = clock.now().timestamp()
    if not isinstance(iat, int | float) or iat > now + LEEWAY or now - iat > WINDOW:
        raise InvalidProof(f"the DPoP proof is older than {WINDOW} s or not yet valid (iat)")
    if access_token is not None and claims.get("ath") != token_hash(access_token):
        raise InvalidProof("the DPoP proof is for another access token (ath)")
    jkt = key.thumbprint()
    table = UsedDpopProof.__table__
    expires = datetime.fromtimestamp(iat + WINDOW + LEEWAY, UTC)
    statement = upsert(session, table).values(jkt=jkt, jti=jti, expires_at=expires)
    if session.execute(statement.on_conflict_do_nothing().returning(table.c.jti)).first() is None:
        raise InvalidProof("the DPoP proof was used before (jti)")
    session.commit()  # spent now, whatever the request then does
    return jkt
