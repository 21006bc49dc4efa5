"""The authorization server's HTTP endpoints: token, introspection, revocation, JWKS and RFC 8414 metadata.

Authlib reads the form bodies itself (an OAuth error is RFC 6749's, kept inside an RFC 9457 problem), so the
bodies and answers are documented here for /openapi.json only: the schemas below are never used to parse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, json, request
from marshmallow import Schema, fields

from exchange import audit
from exchange.api.blueprint import Blueprint, refuse_other_media_types
from exchange.api.oauth_server import ASSERTION_SPENT, authorization_server, spend_again, spend_before_commit
from exchange.api.problems import problem_response
from exchange.api.protect import failure_counter, public
from exchange.auth import dpop, keys
from exchange.db import db
from exchange.errors import PROBLEM_JSON, BadRequest, Problem, ProblemSchema
from exchange.models.orgs import KIND_SCOPES

bp = Blueprint("oauth", __name__, description="The OAuth 2.0 authorization server (client credentials).")
FORM = "application/x-www-form-urlencoded"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: the security scheme of the client's own authentication at the token, introspection and revocation endpoints
CLIENT_SECRET_BASIC = "clientSecretBasic"  # noqa: S105 - a scheme's name, not a secret
CLIENT_SECRET_BASIC_SCHEME = {
    "type": "http",
    "scheme": "basic",
    "description": "client_secret_basic: the client id and secret. A private_key_jwt client sends "
    "client_assertion_type and client_assertion in the form instead.",
}
CLIENT_AUTHENTICATION = [{CLIENT_SECRET_BASIC: []}, {}]

_OAUTH_TITLES = {
    "invalid_client": "Client authentication failed",
    "invalid_dpop_proof": "Invalid DPoP proof",
    "invalid_grant": "Invalid grant",
    "invalid_request": "Invalid token request",
    "invalid_scope": "Scope not allowed",
    "unauthorized_client": "Client not allowed this grant",
    "unsupported_grant_type": "Unsupported grant type",
    "unsupported_token_type": "Unsupported token type",
}


class ClientAssertionSchema(Schema):
    client_assertion_type = fields.String(metadata={"enum": [JWT_BEARER]})
    client_assertion = fields.String(
        metadata={
            "description": "private_key_jwt (RFC 7523): a JWT signed ES256 with the client's registered key; "
            "iss and sub the client id, aud the issuer or the token URL, at most 300 s after iat, jti once."
        }
    )


class TokenRequestSchema(ClientAssertionSchema):
    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials"]})
    scope = fields.String(
        metadata={"description": "Space-separated scopes, some of the client's; by default all of them."}
    )


class TokenSchema(Schema):
    access_token = fields.String(
        required=True,
        metadata={
            "description": "A JWT: a Bearer token, or (token_type DPoP) one bound to the key of the DPoP "
            "proof sent with the request, to be sent as `Authorization: DPoP …` with a fresh proof each call."
        },
    )
    token_type = fields.String(required=True, metadata={"enum": ["Bearer", "DPoP"]})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})
    scope = fields.String(required=True, metadata={"description": "The scopes granted, space-separated."})


class TokenOfClientSchema(ClientAssertionSchema):
    token = fields.String(required=True, metadata={"description": "An access token of this client."})
    token_type_hint = fields.String(metadata={"enum": ["access_token"]})


class IntrospectionSchema(Schema):
    """RFC 7662; ``active`` false, alone, for a token expired, revoked, not valid or not the caller's."""

    active = fields.Boolean(required=True)
    token_type = fields.String(metadata={"enum": ["Bearer", "DPoP"]})
    scope = fields.String()
    client_id = fields.String()
    sub = fields.String()
    aud = fields.String()
    iss = fields.String()
    exp = fields.Integer()
    iat = fields.Integer()
    jti = fields.String()
    org = fields.String(metadata={"description": "The client's organisation."})
    cnf = fields.Dict(metadata={"description": "A DPoP-bound token's key thumbprint (jkt)."})


class JwkSetSchema(Schema):
    keys = fields.List(
        fields.Dict(), required=True, metadata={"description": "Public EC P-256 keys (JWK) with their kid."}
    )


class MetadataSchema(Schema):
    """RFC 8414 authorization server metadata."""

    issuer = fields.String(required=True)
    token_endpoint = fields.String(required=True)
    jwks_uri = fields.String(required=True)
    introspection_endpoint = fields.String(required=True)
    revocation_endpoint = fields.String(required=True)
    grant_types_supported = fields.List(fields.String(), required=True)
    token_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    token_endpoint_auth_signing_alg_values_supported = fields.List(fields.String(), required=True)
    introspection_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    revocation_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    scopes_supported = fields.List(fields.String(), required=True)
    dpop_signing_alg_values_supported = fields.List(fields.String(), required=True)
    response_types_supported = fields.List(fields.String(), required=True)


class OAuthProblemSchema(ProblemSchema):
    """An OAuth error (RFC 6749 §5.2) as an RFC 9457 problem: ``error`` and ``error_description`` kept."""

    error = fields.String(required=True, metadata={"enum": sorted(_OAUTH_TITLES)})
    error_description = fields.String(required=True)


def _form(schema: type[Schema], example: dict[str, str] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example:
        media["example"] = example
    return {"requestBody": {"required": True, "content": {FORM: media}}, "security": CLIENT_AUTHENTICATION}


#: how an OAuth endpoint's refusals are documented
OAUTH_PROBLEM = {"schema": OAuthProblemSchema, "content_type": PROBLEM_JSON}


@bp.before_request
def _form_bodies_only() -> None:
    if request.path.startswith("/oauth/") and request.query_string:
        raise BadRequest("The OAuth endpoints take no query-string parameters.")
    if request.method == "POST":  # RFC 6749 §3.2: the parameters are a form, whatever else is sent
        refuse_other_media_types(request, FORM.__eq__, FORM, error="invalid_request")


def _oauth_problem(status: int, error: str, description: str) -> Problem:
    problem = Problem(
        description or _OAUTH_TITLES.get(error, "OAuth error"), error=error, error_description=description
    )
    problem.status = status
    problem.title = _OAUTH_TITLES.get(error, "OAuth error")
    problem.slug = f"oauth-{error.replace('_', '-')}"
    return problem


def _respond(endpoint: Callable[[], Response], action: str) -> Response:
    """Authlib's answer, committed here once (with the client assertion it spent and its audit event); an
    error as an RFC 9457 problem keeping RFC 6749's members, after a rollback that keeps the assertion
    spent (also when the commit itself fails: no token is sent, and the assertion is spent all the same)."""
    g.pop("spent_assertion", None)  # this request's own only (``g`` outlives a request in a test's context)
    g.pop("assertion_unspent", None)
    try:
        response = endpoint()
        if response.status_code < 400:
            if spend_before_commit(db.session()):
                db.session.commit()
                return response
            status, error, description = 400, "invalid_client", ASSERTION_SPENT  # the token is never sent
        else:
            body: dict[str, Any] = json.loads(response.get_data() or b"{}")
            status, error = response.status_code, str(body.get("error", "invalid_request"))
            description = body.get("error_description", "")
    except Exception:
        _roll_back_keeping_the_assertion_spent()
        db.session.commit()
        raise
    out = _refuse(action, status, error, description)
    for name in ("WWW-Authenticate", "Cache-Control", "Pragma"):
        if name in response.headers:
            out.headers[name] = response.headers[name]
    return out


def _refuse(action: str, status: int, error: str, description: str) -> Response:
    """The OAuth error as a problem, after a rollback that keeps the assertion spent, audited (a failed
    authentication only while its address is under the aggregation threshold)."""
    problem = _oauth_problem(status, error, description)
    _roll_back_keeping_the_assertion_spent()
    if status != 401 or failure_counter().audited_in_full(request.remote_addr):
        audit.record(
            action, "failure", client_id=getattr(g, "oauth_client_id", None), detail={"error": error}
        )
    db.session.commit()
    return problem_response(problem)


def _roll_back_keeping_the_assertion_spent() -> None:
    db.session.rollback()
    spend_again(db.session())


@bp.post("/oauth/token")
@bp.response(200, TokenSchema, description="A bearer token (RFC 6749 §5.1).")
@bp.alt_response(
    400,
    **OAUTH_PROBLEM,
    description="invalid_request, invalid_scope, unsupported_grant_type, invalid_dpop_proof.",
)
@bp.alt_response(401, **OAUTH_PROBLEM, description="invalid_client: the client did not authenticate.")
@bp.doc(
    **_form(TokenRequestSchema, {"grant_type": "client_credentials", "scope": "cases:read"}),
    parameters=[
        {
            "in": "header",
            "name": "DPoP",
            "required": False,
            "schema": {"type": "string"},
            "description": "A DPoP proof (RFC 9449) for this request: the token is then bound to its key "
            "(token_type DPoP). Required for a client registered with --dpop.",
        }
    ],
)
@public
def token() -> Response:
    """A client credentials access token, for at most the client's scopes; DPoP-bound with a DPoP proof."""
    proof = request.headers.get("DPoP")
    g.dpop_jkt = None
    if proof is not None:
        try:
            g.dpop_jkt = dpop.check(proof, method="POST", url=request.base_url, session=db.session())
        except dpop.InvalidProof as error:
            return _refuse("auth.token_denied", 400, "invalid_dpop_proof", f"{error.reason}.")
    return _respond(authorization_server.create_token_response, "auth.token_denied")


@bp.post("/oauth/introspect")
@bp.response(200, IntrospectionSchema, description="RFC 7662: the token's claims, or only active false.")
@bp.alt_response(400, **OAUTH_PROBLEM, description="invalid_request: no token.")
@bp.alt_response(401, **OAUTH_PROBLEM, description="invalid_client: the client did not authenticate.")
@bp.doc(**_form(TokenOfClientSchema))
@public
def introspect() -> Response:
    """Whether one of the client's own tokens is active, and its claims (RFC 7662)."""
    return _respond(
        lambda: authorization_server.create_endpoint_response("introspection"), "auth.introspect_denied"
    )


@bp.post("/oauth/revoke")
@bp.response(200, {"type": "object"}, description="RFC 7009: revoked, or not a live token of the client.")
@bp.alt_response(400, **OAUTH_PROBLEM, description="invalid_request or unsupported_token_type.")
@bp.alt_response(401, **OAUTH_PROBLEM, description="invalid_client: the client did not authenticate.")
@bp.doc(**_form(TokenOfClientSchema))
@public
def revoke() -> Response:
    """Revoke one of the client's own tokens (RFC 7009); it is refused everywhere from then on."""
    return _respond(lambda: authorization_server.create_endpoint_response("revocation"), "auth.revoke_denied")


@bp.get("/oauth/jwks")
@bp.response(200, JwkSetSchema, content_type="application/jwk-set+json")
@public
def jwks() -> Response:
    """The public keys that sign access tokens and receipts, then those that sign audit checkpoints."""
    response = current_app.response_class(
        json.dumps(keys.bound().public_jwks()), mimetype="application/jwk-set+json"
    )
    response.cache_control.max_age = 60
    return response


@bp.get("/.well-known/oauth-authorization-server")
@bp.response(200, MetadataSchema)
@public
def metadata() -> dict[str, Any]:
    """The authorization server's metadata (RFC 8414)."""
    issuer = current_app.config["EXCHANGE_SETTINGS"].issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "scopes_supported": sorted(set().union(*KIND_SCOPES.values())),
        "dpop_signing_alg_values_supported": dpop.ALGORITHMS,
        "response_types_supported": [],
    }
