"""The authorization server's HTTP endpoints: token, introspection, revocation, JWKS and RFC 8414 metadata."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, json, request

from exchange import audit
from exchange.api.problems import problem_response
from exchange.auth.keys import keyring
from exchange.auth.protect import public
from exchange.auth.server import authorization_server
from exchange.db import db
from exchange.errors import BadRequest, Problem
from exchange.extensions import limiter
from exchange.models.orgs import KIND_SCOPES

bp = Blueprint("oauth", __name__)

_OAUTH_TITLES = {
    "invalid_client": "Client authentication failed",
    "invalid_grant": "Invalid grant",
    "invalid_request": "Invalid token request",
    "invalid_scope": "Scope not allowed",
    "unauthorized_client": "Client not allowed this grant",
    "unsupported_grant_type": "Unsupported grant type",
    "unsupported_token_type": "Unsupported token type",
}


@bp.before_request
def _no_query_parameters() -> None:
    if request.path.startswith("/oauth/") and request.query_string:
        raise BadRequest("The OAuth endpoints take no query-string parameters.")


def _as_problem(response: Response, action: str) -> Response:
    """Authlib's RFC 6749 error body, kept as members of an RFC 9457 problem; success passes through."""
    if response.status_code < 400:
        return response
    body: dict[str, Any] = json.loads(response.get_data() or b"{}")
    error = str(body.get("error", "invalid_request"))
    problem = Problem(
        body.get("error_description") or _OAUTH_TITLES.get(error, "OAuth error"),
        error=error,
        error_description=body.get("error_description", ""),
    )
    problem.status = response.status_code
    problem.title = _OAUTH_TITLES.get(error, "OAuth error")
    problem.slug = f"oauth-{error.replace('_', '-')}"
    db.session.rollback()
    audit.record(action, "failure", client_id=getattr(g, "oauth_client_id", None), detail={"error": error})
    db.session.commit()
    out = problem_response(problem)
    for name in ("WWW-Authenticate", "Cache-Control", "Pragma"):
        if name in response.headers:
            out.headers[name] = response.headers[name]
    return out


@bp.post("/oauth/token")
@public
@limiter.limit(lambda: current_app.config["EXCHANGE_SETTINGS"].token_rate_limit)
def token() -> Response:
    return _as_problem(authorization_server.create_token_response(), "auth.token_denied")


@bp.post("/oauth/introspect")
@public
def introspect() -> Response:
    return _as_problem(
        authorization_server.create_endpoint_response("introspection"), "auth.introspect_denied"
    )


@bp.post("/oauth/revoke")
@public
def revoke() -> Response:
    return _as_problem(authorization_server.create_endpoint_response("revocation"), "auth.revoke_denied")


@bp.get("/oauth/jwks")
@public
def jwks() -> Response:
    response = current_app.response_class(
        json.dumps(keyring.public_jwks()), mimetype="application/jwk-set+json"
    )
    response.cache_control.max_age = 60
    return response


@bp.get("/.well-known/oauth-authorization-server")
@public
def metadata() -> dict[str, Any]:
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
        "response_types_supported": [],
    }
