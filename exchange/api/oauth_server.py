"""The authorization server: Authlib's client-credentials grant with two client authentication methods.

- ``client_secret_basic``: the secret is compared with its stored SHA-256.
- ``private_key_jwt`` (RFC 7523): an ES256 assertion signed with a key of the client's registered JWK set;
  ``iat`` is required and the assertion is accepted for at most ``assertion_max_lifetime`` seconds after it
  (whatever longer ``exp`` a client library puts in it), and its ``jti`` is spent in the database (a
  primary key) in the transaction that records the token's audit event (or as soon as it authenticates,
  at introspection and revocation), and again after the rollback of a request that failed once it had
  authenticated (``spend_again``), so a replay fails in every process and no token is sent for one.

A DPoP proof (``exchange.auth.dpop``) sent with the token request binds the token to its key.

An unknown client, a wrong secret and an assertion whose signature does not verify all get the same 401
``invalid_client`` (``NOT_AUTHENTICATED``), so no answer tells whether a client id exists; only a caller
whose assertion verified is told what else is wrong with it (its ``iat``, ``jti``, audience).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidScopeError, OAuth2Error, grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app, g
from flask import request as http_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from exchange import audit
from exchange.api.limiter import TOKEN_ENDPOINT
from exchange.auth import binding, tokens
from exchange.auth.binding import credential_digest
from exchange.db import db, insert_one, upsert
from exchange.models import OAuthClient, UsedAssertion

CLIENT_AUTH_METHODS = ["client_secret_basic", JWTBearerClientAssertion.CLIENT_AUTH_METHOD]
MAX_JTI_LENGTH = 200
NOT_AUTHENTICATED = "The client is unknown or its credentials are wrong."
ASSERTION_SPENT = "JWT ID is used before."  # Authlib's words for an assertion's jti seen before
#: seconds an assertion's ``iat`` may lie in the future (FAPI 2.0 §5.4: accept up to 10)
CLOCK_SKEW = 10


def _settings() -> Any:
    return current_app.config["EXCHANGE_SETTINGS"]


def query_client(client_id: str) -> OAuthClient | None:
    """The registered client, from the register kept at most ``binding.TTL`` seconds (``ClientRegister``)."""
    if not isinstance(client_id, str) or len(client_id) > 64:
        return None
    client = current_app.extensions[binding.EXTENSION].client(db.session(), client_id)
    if client is not None:
        g.oauth_client_id = client.client_id
    return client


def _not_authenticated() -> InvalidClientError:
    return InvalidClientError(status_code=401, description=NOT_AUTHENTICATED)


def authenticate_client_secret_basic(query_client: Any, request: Any) -> OAuthClient | None:
    """Authlib's ``client_secret_basic``, but an unknown client and a wrong secret get the same answer."""
    client_id, client_secret = extract_basic_authorization(request.headers)
    if not (client_id and client_secret):
        return None  # not this method: Authlib tries the next
    client = query_client(client_id)
    if client is None or not client.check_client_secret(client_secret):
        raise _not_authenticated()
    return client


@lru_cache(maxsize=1024)
def _key_set(jwks_json: str) -> KeySet:
    """Parsed once per distinct JWK set (keyed by content, so a rotated set is parsed afresh)."""
    return KeySet.import_key_set(json.loads(jwks_json))


class PrivateKeyJWT(JWTBearerClientAssertion):
    def __call__(self, query_client: Any, request: Any) -> OAuthClient | None:
        def known(client_id: str) -> OAuthClient:
            client = query_client(client_id)
            if client is None:
                raise _not_authenticated()
            return client

        return super().__call__(known, request)

    def get_audiences(self) -> list[str]:
        issuer = _settings().issuer
        return [issuer, f"{issuer}/oauth/token"]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        if not client.jwks:
            raise _not_authenticated()  # a client with a secret: no different from an unknown one
        return _key_set(json.dumps(client.jwks, sort_keys=True))

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=["ES256"])
        except JoseError:
            raise _not_authenticated() from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: dict[str, Any]) -> None:
        iat = claims.get("iat")
        if not isinstance(iat, int):
            raise InvalidClientError(description="Missing or invalid claim: 'iat'")
        now = time.time()
        lifetime = _settings().assertion_max_lifetime
        if iat > now + self.leeway or now - iat > lifetime:
            raise InvalidClientError(
                description=f"The assertion is older than {lifetime} s or not yet valid."
            )
        super().verify_claims(claims)

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            return False
        # kept past the last moment the assertion could be accepted
        expires = datetime.fromtimestamp(
            claims["iat"] + _settings().assertion_max_lifetime + self.leeway, UTC
        )
        # a request that fails after this spends it all the same (``spend_again``)
        g.spent_assertion = {"client_id": claims["sub"], "jti": jti, "expires_at": expires}
        if http_request.endpoint == TOKEN_ENDPOINT:
            g.assertion_unspent = True
            return True  # spent by ``spend_before_commit``, with the token's audit event
        return _spend(db.session(), g.spent_assertion)


#: the insert that spends a ``jti``, per dialect: made once (``insert_one`` caches its rendering by it)
_SPEND: dict[str, Any] = {}


def _spend(session: Any, spent: dict[str, Any]) -> bool:
    """Insert the assertion's ``jti`` unless it is there already: whether it was fresh."""
    connection = session.connection()
    statement = _SPEND.get(connection.dialect.name)
    if statement is None:
        table = UsedAssertion.__table__
        # RETURNING tells a fresh insert from a conflict on both databases (rowcount does not, on psycopg)
        statement = upsert(connection, table).on_conflict_do_nothing().returning(table.c.jti)
        _SPEND[connection.dialect.name] = statement
    return insert_one(connection, statement, spent).first() is not None


def spend_before_commit(session: Any) -> bool:
    """Spend the assertion a token request authenticated with, as the last statement before the request's
    commit (on SQLite the insert takes the write lock, held from then until the commit: never while the
    token is signed or its answer made); whether it was fresh (if not, no token may be sent)."""
    if not g.pop("assertion_unspent", False):
        return True
    return _spend(session, g.spent_assertion)


def spend_again(session: Any) -> None:
    """After a rollback: spend again the assertion this request authenticated with, if it did."""
    g.pop("assertion_unspent", None)
    spent = g.pop("spent_assertion", None)
    if spent is not None:
        _spend(session, spent)


class InvalidDpopProofError(OAuth2Error):
    """RFC 9449 §5: the token request's DPoP proof is missing (for a client that must send one)."""

    error = "invalid_dpop_proof"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if self.request.client.dpop_required and g.get("dpop_jkt") is None:
            raise InvalidDpopProofError(description="This client's tokens are DPoP-bound: send a DPoP proof.")

    def validate_requested_scope(self) -> None:
        requested = set((self.request.payload.scope or "").split())
        if requested - set(self.request.client.scope.split()):
            raise InvalidScopeError()


def generate_token(
    grant_type: str,
    client: OAuthClient,
    user: Any = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = False,
) -> dict[str, Any]:
    granted = client.get_allowed_scope(scope)
    jkt = g.get("dpop_jkt")  # set by the token view from a valid DPoP proof
    access_token, lifetime = tokens.issue(
        current_app.config["EXCHANGE_SETTINGS"], client, granted, credential_digest(client), jkt
    )
    token_type = "DPoP" if jkt else "Bearer"
    return {"token_type": token_type, "access_token": access_token, "expires_in": lifetime, "scope": granted}


def save_token(token: dict[str, Any], request: Any) -> None:
    """Tokens are self-contained JWTs: nothing to store but the audit event and the spent ``jti``, both
    written in the one commit of the request (``exchange.api.oauth``), after the token is signed."""
    client = request.client
    audit.record(
        "auth.token_issued",
        "success",
        client_id=client.client_id,
        org_id=client.org_id,
        detail={"scope": token["scope"]},
    )


def _query_token(token_string: str, token_type_hint: str | None) -> tokens.AccessToken | None:
    try:
        return tokens.verify(current_app.config["EXCHANGE_SETTINGS"], token_string)
    except tokens.InvalidToken:
        return None


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> tokens.AccessToken | None:
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token: tokens.AccessToken, client: OAuthClient, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: tokens.AccessToken) -> dict[str, Any]:
        claims = token.claims
        bound = {"cnf": claims["cnf"]} if token.jkt else {}
        return {
            "active": True,
            "token_type": "DPoP" if token.jkt else "Bearer",
            **{k: claims[k] for k in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "org")},
            **bound,
        }


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> tokens.AccessToken | None:
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token: tokens.AccessToken, request: Any) -> None:
        tokens.revoke(token)
        audit.record(
            "auth.token_revoked",
            "success",
            client_id=request.client.client_id,
            org_id=request.client.org_id,
            resource_type="token",
            resource_ids=[token.jti],
        )


def create_server() -> AuthorizationServer:
    server = AuthorizationServer(query_client=query_client, save_token=save_token)
    server.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
    private_key_jwt = PrivateKeyJWT(leeway=CLOCK_SKEW)
    server.register_client_auth_method(JWTBearerClientAssertion.CLIENT_AUTH_METHOD, private_key_jwt)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(Introspection)
    server.register_endpoint(Revocation)
    return server


authorization_server = create_server()
