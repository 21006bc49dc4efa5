"""People who use the pages: each organisation's identity provider, its people (by the operator), and their
server-side page sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id

ROLES = ("viewer", "editor")


class IdentityProvider(Base):
    """The OpenID provider an organisation's people sign in with (one per organisation)."""

    __tablename__ = "identity_providers"

    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    #: the client secret, encrypted under the key-encryption key outside the database (``secret_store``)
    client_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: a claim whose value ``viewer`` or ``editor`` gives the role of a person the operator did not add
    role_claim: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Person(Base):
    """Someone of an organisation, known by the provider's ``sub`` or by e-mail, with a role."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("org_id", "subject", name="uq_people_org_subject"),
        UniqueConstraint("org_id", "email", name="uq_people_org_email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class PageSession(Base):
    """A signed-in browser: the cookie holds a random id, the database only its SHA-256."""

    __tablename__ = "page_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    #: what the pages keep between requests (the sign-in's state and PKCE verifier, the CSRF secret)
    data: Mapped[str] = mapped_column(String(4000), default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
