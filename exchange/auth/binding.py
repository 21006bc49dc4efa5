"""Tokens bound to their client: every protected request checks its token against the client register.

The register answers from a per-process cache kept at most ``TTL`` seconds (and forgotten at once, in the
process that changes a client), so a revoked client, a rotated credential, a token whose ``org`` or scopes
are not its client's, and a token of a client that does not exist all stop within ``TTL`` everywhere.
The token endpoint authenticates clients from the same register (``ClientRegister.client``), so a revoked
or rotated client gets no new token after ``TTL`` seconds at most either.
A DPoP-bound token (``cnf.jkt``) is accepted only with a fresh proof of its key (``exchange.auth.dpop``);
a client registered ``--dpop`` has no other kind.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from exchange.auth import dpop
from exchange.auth.tokens import AccessToken, InvalidToken
from exchange.models import OAuthClient

#: how long a process trusts what it read of a client
TTL = 5.0
EXTENSION = "exchange.register"


def credential_digest(client: OAuthClient) -> str:
    """What a token records of the credential its client authenticated with (``cred``): a rotation changes
    it, and the client's older tokens stop."""
    material = client.secret_hash or json.dumps(client.jwks, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ClientState:
    client_id: str
    org_id: str
    scopes: frozenset[str]
    revoked: bool
    dpop_required: bool
    credential: str


class ClientRegister:
    """The clients as this process last read them (at most ``TTL`` seconds ago)."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, ClientState | None]] = {}
        self._clients: dict[str, tuple[float, OAuthClient]] = {}

    def get(self, session: Session, client_id: str) -> ClientState | None:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(client_id)
        if seen is not None and now - seen[0] <= self.ttl:
            return seen[1]
        client = session.get(OAuthClient, client_id)
        state = None
        if client is not None:
            state = ClientState(
                client.client_id,
                client.org_id,
                frozenset(client.scope.split()),
                client.revoked_at is not None,
                client.dpop_required,
                credential_digest(client),
            )
        with self._lock:
            self._seen[client_id] = (now, state)
        return state

    def client(self, session: Session, client_id: str) -> OAuthClient | None:
        """The registered client ``client_id`` as read at most ``TTL`` seconds ago, detached from every
        session (read it, never change it); an id not registered is looked up again each time, so a client
        is known as soon as it is added and strangers' ids take no room."""
        now = time.monotonic()
        with self._lock:
            seen = self._clients.get(client_id)
        if seen is not None and now - seen[0] <= self.ttl:
            return seen[1]
        client = session.get(OAuthClient, client_id)  # its organisation comes with it (joined)
        if client is None:
            return None
        # out of the session, so that nothing it does (a rollback expires what it holds) reaches the copy
        session.expunge(client.org)
        session.expunge(client)
        with self._lock:
            self._clients[client_id] = (now, client)
        return client

    def forget(self, client_id: str) -> None:
        with self._lock:
            self._seen.pop(client_id, None)
            self._clients.pop(client_id, None)


def check(
    access: AccessToken,
    state: ClientState | None,
    *,
    scheme: str,
    token: str,
    proof: str | None,
    method: str,
    url: str,
    session: Session,
) -> ClientState:
    """``state`` if ``access`` is a live token of that client, presented as its binding demands; else
    ``InvalidToken`` (or ``dpop.InvalidProof``)."""
    if state is None:
        raise InvalidToken("unknown client", client_id=access.client_id)
    refused = _refusal(access.claims, state)
    if refused:
        raise InvalidToken(refused, client_id=access.client_id)
    jkt = (access.claims.get("cnf") or {}).get("jkt")
    if jkt is None:
        if scheme != "bearer":
            raise InvalidToken("a bearer token sent as DPoP", client_id=access.client_id)
        if state.dpop_required:
            raise InvalidToken("this client's tokens must be DPoP-bound", client_id=access.client_id)
        return state
    if scheme != "dpop":
        raise InvalidToken("a DPoP-bound token sent as a bearer token", client_id=access.client_id)
    if dpop.check(proof, method=method, url=url, session=session, access_token=token) != jkt:
        raise dpop.InvalidProof("the DPoP proof is signed by another key than the token is bound to")
    return state


def _refusal(claims: dict[str, Any], state: ClientState) -> str | None:
    if state.revoked:
        return "the client is revoked"
    if claims.get("cred") != state.credential:
        return "the client's credentials were rotated since"
    if claims.get("org") != state.org_id:
        return "the organisation is not the client's"
    if not set(claims.get("scope", "").split()) <= state.scopes:
        return "scopes beyond the client's"
    return None
