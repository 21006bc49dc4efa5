"""People who sign in to the pages: each organisation's identity provider, the people the operator maps to
an organisation and a role, and the server-side page sessions (30 minutes idle, 8 hours at most).

A person is found by the provider's ``sub`` first, then by a verified e-mail; a provider configured with a
``role_claim`` may also admit someone the operator did not add, when that claim says ``viewer`` or
``editor``. A provider's client secret is sealed by the key store (``exchange.keystore``: under the
key-encryption key, or inside the PKCS#11 token), bound to its organisation. A page session's id lives
only in the browser's cookie: the database keeps its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.auth import keys
from exchange.delivery import secret_store
from exchange.models import IdentityProvider, Organisation, PageSession, Person
from exchange.models.people import ROLES

#: how every Fernet token begins (its version byte, 0x80, in URL-safe base64)
FERNET = b"gAAAAA"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
#: what a page may do with each role: a viewer reads, an editor also acts
EDITOR = "editor"


class PeopleError(ValueError):
    """An operator's input the rules refuse (a message without personal data)."""


def _org(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise PeopleError(f"no organisation {org_id}")
    return org


def set_provider(
    session: Session, org_id: str, issuer: str, client_id: str, secret: str, role_claim: str | None
) -> IdentityProvider:
    """Configure (or replace) ``org_id``'s identity provider; the secret is sealed by the key store."""
    _org(session, org_id)
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise PeopleError("the issuer must be an https:// address (http only on this machine)")
    provider = session.get(IdentityProvider, org_id) or IdentityProvider(org_id=org_id)
    provider.issuer = issuer.rstrip("/")
    provider.client_id = client_id
    provider.client_secret_sealed = keys.bound().store.seal(secret.encode(), _sealed_for(org_id)).encode()
    provider.role_claim = role_claim
    provider.updated_at = clock.now()
    session.add(provider)
    session.flush()
    return provider


def _sealed_for(org_id: str) -> str:
    """What a provider's sealed client secret is bound to: on another organisation's row it does not open."""
    return f"identity_provider:{org_id}:client_secret"


def client_secret(provider: IdentityProvider) -> str:
    """The provider's client secret, from the key store (``keys.bound().store``).

    A secret configured before the key store held them is Fernet-sealed with the webhook-secrets key
    (``exchange.delivery.secret_store``): it is still read, and ``exchange idp set`` seals it anew.
    """
    sealed = provider.client_secret_sealed
    if sealed.startswith(FERNET):
        return secret_store.unseal(sealed)
    return keys.bound().store.unseal(sealed.decode(), _sealed_for(provider.org_id)).decode()


def add_person(
    session: Session, org_id: str, role: str, *, subject: str | None = None, email: str | None = None
) -> Person:
    _org(session, org_id)
    if role not in ROLES:
        raise PeopleError(f"the role must be one of {', '.join(ROLES)}")
    if not subject and not email:
        raise PeopleError("give the provider's subject or the person's e-mail")
    email = email.strip().lower() if email else None
    clash = session.scalar(
        select(Person.id).where(
            Person.org_id == org_id,
            or_(Person.subject == subject if subject else False, Person.email == email if email else False),
        )
    )
    if clash is not None:
        raise PeopleError(f"person {clash} of {org_id} has that subject or e-mail")
    person = Person(org_id=org_id, role=role, subject=subject, email=email)
    session.add(person)
    session.flush()
    return person


def remove_person(session: Session, person_id: uuid.UUID) -> Person:
    """Remove a person, ending every page session of theirs at once."""
    person = session.get(Person, person_id)
    if person is None:
        raise PeopleError(f"no person {person_id}")
    session.execute(delete(PageSession).where(PageSession.person_id == person.id))
    session.delete(person)
    session.flush()
    return person


def person_for(session: Session, provider: IdentityProvider, claims: Mapping[str, Any]) -> Person | None:
    """The person ``claims`` (a verified ID token's) sign in as, at the provider's organisation, or None."""
    subject = str(claims.get("sub") or "")
    people = select(Person).where(Person.org_id == provider.org_id)
    person = session.scalar(people.where(Person.subject == subject)) if subject else None
    email = claims.get("email")
    if person is None and isinstance(email, str) and claims.get("email_verified", True) is not False:
        person = session.scalar(people.where(Person.email == email.strip().lower(), Person.subject.is_(None)))
    if person is None and provider.role_claim and claims.get(provider.role_claim) in ROLES and subject:
        person = add_person(session, provider.org_id, str(claims[provider.role_claim]), subject=subject)
    return person


def _hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def open_session(
    session: Session, data: Mapping[str, Any], person_id: uuid.UUID | None = None
) -> tuple[str, PageSession]:
    """A new page session holding ``data`` (for ``person_id`` once signed in): its raw id (for the cookie
    only) and its row."""
    raw_id = secrets.token_urlsafe(32)
    now = clock.now()
    row = PageSession(
        id_hash=_hash(raw_id),
        person_id=person_id,
        data=json.dumps(dict(data)),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    return raw_id, row


def _expired(now: datetime) -> ColumnElement[bool]:
    """The page sessions that have ended by ``now``: idle longer than ``IDLE`` or older than ``ABSOLUTE``."""
    return or_(PageSession.last_seen_at < now - IDLE, PageSession.created_at < now - ABSOLUTE)


def live_session(session: Session, raw_id: str, now: datetime | None = None) -> PageSession | None:
    """The page session ``raw_id`` names, or None when unknown, idle 30 minutes or 8 hours old (and then
    deleted)."""
    id_hash = _hash(raw_id)
    if session.execute(
        delete(PageSession).where(PageSession.id_hash == id_hash, _expired(now or clock.now()))
    ).rowcount:
        return None
    return session.get(PageSession, id_hash)


def sweep_sessions(session: Session, now: datetime) -> int:
    """Delete every page session that has ended by ``now`` (the worker's sweep: a session nobody uses again
    is not kept until its browser comes back); how many."""
    return session.execute(delete(PageSession).where(_expired(now))).rowcount


def end_session(session: Session, raw_id: str) -> None:
    session.execute(delete(PageSession).where(PageSession.id_hash == _hash(raw_id)))
