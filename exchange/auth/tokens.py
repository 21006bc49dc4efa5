"""RFC 9068 JWT access tokens: issued ES256 with a ``kid``, verified strictly, revocable at once."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select

from exchange.auth.keys import TOKEN, bound
from exchange.db import db
from exchange.models import OAuthClient, RevokedToken
from exchange.settings import Settings

ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}
CLOCK_LEEWAY = 5


class InvalidToken(Exception):
    """The access token is not acceptable; ``reason`` is safe to log and to show. ``client_id`` names the
    client of a token whose signature verified (so that its refusal is audited with it)."""

    def __init__(self, reason: str, client_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client_id = client_id


@dataclass(frozen=True)
class AccessToken:
    """A verified access token's claims, with what Authlib's introspection and revocation ask of a token."""

    claims: dict[str, Any]

    @property
    def jti(self) -> str:
        return self.claims["jti"]

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.claims.get("scope", "").split())

    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims["exp"], UTC)

    def is_expired(self) -> bool:
        return self.claims["exp"] < time.time()

    def is_revoked(self) -> bool:
        return False  # a revoked token never becomes an AccessToken: ``verify`` refuses it

    def check_client(self, client: OAuthClient) -> bool:
        return client.client_id == self.client_id

    @property
    def jkt(self) -> str | None:
        """The thumbprint of the DPoP key the token is bound to (``cnf.jkt``), if it is."""
        return (self.claims.get("cnf") or {}).get("jkt")

    def get_scope(self) -> str:
        return self.claims.get("scope", "")


def issue(
    settings: Settings, client: OAuthClient, scope: str, credential: str, jkt: str | None = None
) -> tuple[str, int]:
    """A signed access token for ``client`` and its lifetime in seconds, by ``settings``' issuer, audience
    and lifetime: ``credential`` records what the client authenticated with (``cred``), ``jkt`` the DPoP
    key the token is bound to (``cnf.jkt``)."""
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": client.client_id,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + settings.token_lifetime,
        "jti": uuid.uuid4().hex,
        "scope": scope,
        "org": client.org.id,
        "org_kind": client.org.kind,
        "cred": credential,
    }
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return bound().sign(TOKEN, {"typ": "at+jwt"}, payload), settings.token_lifetime


def verify(settings: Settings, token: str) -> AccessToken:
    """The claims of ``token`` if it is a live access token of this exchange (``settings``' issuer and
    audience), else ``InvalidToken``."""
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, UnicodeError, ValueError):
        raise InvalidToken("malformed token") from None
    if header.get("alg") != "ES256":
        raise InvalidToken("unsupported algorithm")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise InvalidToken("not an access token (typ)")
    kid = header.get("kid")
    key = bound().verification_key(kid, TOKEN) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken("unknown signing key")
    try:
        decoded = jwt.decode(token, key, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
            client_id={"essential": True},
        ).validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(error.error or "invalid token") from None
    access = AccessToken(decoded.claims)
    claims = decoded.claims
    if not isinstance(claims["iat"], int) or claims["exp"] - claims["iat"] > settings.token_lifetime:
        raise InvalidToken("longer-lived than the exchange issues", client_id=access.client_id)
    if db.session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == access.jti)):
        raise InvalidToken("revoked", client_id=access.client_id)
    return access


def revoke(access: AccessToken) -> None:
    """Refuse ``access`` from now on, in every process (the check reads the database)."""
    if db.session.get(RevokedToken, access.jti) is None:
        db.session.add(RevokedToken(jti=access.jti, expires_at=access.expires_at()))
