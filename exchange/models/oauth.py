"""OAuth 2.0 clients, the exchange's signing keys (public parts), revoked tokens, spent client assertions
and DPoP proofs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import clock
from exchange.db import Base, UTCDateTime
from exchange.models.orgs import Organisation

AUTH_SECRET = "client_secret_basic"  # noqa: S105 - a method name, not a secret
AUTH_PRIVATE_KEY_JWT = "private_key_jwt"


def hash_secret(secret: str) -> str:
    """SHA-256 of a secret. Secrets are 256-bit random strings, so a slow password hash adds nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    scope: Mapped[str] = mapped_column(String(400))
    auth_method: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: every token of this client must be DPoP-bound (RFC 9449): ``exchange client add --dpop``
    dpop_required: Mapped[bool] = mapped_column(Boolean, default=False)

    org: Mapped[Organisation] = relationship(lazy="joined")

    # Authlib's ClientMixin, the part the client-credentials grant and client authentication use
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scope.split())
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(sorted(s for s in scope.split() if s in allowed))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(
            self.secret_hash, hash_secret(client_secret)
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.revoked_at is not None:
            return False
        if method == "client_assertion_jwt":
            return self.auth_method == AUTH_PRIVATE_KEY_JWT
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class SigningKey(Base):
    """An ES256 key of the exchange, for one ``purpose`` (``token``: access tokens and receipts; ``audit``:
    checkpoints; ``legacy``: keys from before the key store, kept public-only to verify old signatures).

    The newest unretired key of a purpose signs; retired keys still verify for a while. Only the public JWK
    is stored: ``key_ref`` names the private key inside the key store (sealed, or a token label) and is
    useless without it (``exchange.keystore``).
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    backend: Mapped[str | None] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_ref: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UsedDpopProof(Base):
    """A DPoP proof ``jti`` already seen (RFC 9449 §11.1), per proof key, kept until its window closes."""

    __tablename__ = "used_dpop_proofs"

    jkt: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UsedAssertion(Base):
    """A client assertion ``jti`` already spent: the primary key makes it single-use across processes."""

    __tablename__ = "used_assertions"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
