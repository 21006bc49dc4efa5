"""The `/v1` REST API and the authorization server's endpoints: flask-smorest blueprints, documented in
`/openapi.json` (OpenAPI 3.1).

Every error answer is RFC 9457 ``application/problem+json`` with the shape ``exchange.errors`` produces, and
is documented so: flask-smorest's default error responses (``default`` and each status it names) are described
with ``ProblemSchema``, those that every operation shares once here (``PROBLEMS``), and each operation names
the ones it can give (``exchange.api.blueprint`` adds 401/403/404/413/429 from what the exchange enforces).
Every operation needs an OAuth 2.0 bearer token with the scope its ``security`` names, unless that is ``[]``.
"""

from __future__ import annotations

import http
from typing import Any

import apispec_oneofschema
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from exchange.api import advice, cases, code_lists, feed, metrics, oauth, submissions
from exchange.api.blueprint import OAUTH2
from exchange.errors import PROBLEM_JSON, ProblemSchema
from exchange.models.orgs import SCOPES
from schemas import openapi as request_bodies


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


#: the problem answers operations share: what each means here, and the headers it carries
PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    401: (
        "No bearer token, or one that is expired, revoked or not valid.",
        {"WWW-Authenticate": _header('Bearer realm="exchange", with error="invalid_token" for a bad token.')},
    ),
    403: (
        "The token does not carry the scope this operation needs.",
        {"WWW-Authenticate": _header('Bearer error="insufficient_scope" and the scope that is needed.')},
    ),
    404: ("No such object, or one the caller may not see (the same answer: ids cannot be probed).", {}),
    413: ("The body is over the size limit.", {}),
    415: ("The body's media type is not one this operation reads.", {}),
    422: ("The request is not valid: `errors` gives each fault with a JSON pointer and a code.", {}),
    429: ("Over the rate limit: try again later.", {"Retry-After": _header("Seconds to wait.")}),
}


class ExchangeApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """flask-smorest's per-status and default error responses, as problem+json (not its JSON shape)."""
        for status in http.HTTPStatus:
            description, headers = PROBLEMS.get(status, (status.phrase, {}))
            response: dict[str, Any] = {"description": description}
            if headers:
                response["headers"] = headers
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An RFC 9457 problem.", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def register_api(app: Flask) -> Api:
    # the oneofschema plugin documents a OneOfSchema (the events) as the oneOf of its type schemas
    api = ExchangeApi(app, spec_kwargs={"marshmallow_plugin": apispec_oneofschema.MarshmallowPlugin()})
    issuer = app.config["EXCHANGE_SETTINGS"].issuer
    api.spec.options["servers"] = [{"url": issuer}]
    api.spec.components.security_scheme(
        OAUTH2,
        {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials (RFC 6749 §4.4): the client authenticates with "
            "client_secret_basic or private_key_jwt (RFC 7523) and gets a bearer token for its scopes.",
            "flows": {"clientCredentials": {"tokenUrl": f"{issuer}/oauth/token", "scopes": SCOPES}},
        },
    )
    api.spec.components.security_scheme(oauth.CLIENT_SECRET_BASIC, oauth.CLIENT_SECRET_BASIC_SCHEME)
    request_bodies.register(api.spec)
    for blueprint in (oauth.bp, advice.bp, feed.bp, submissions.blp, cases.blp, code_lists.blp, metrics.bp):
        api.register_blueprint(blueprint)
    return api
