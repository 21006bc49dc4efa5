"""The `/v1` REST API: one flask-smorest blueprint per resource, documented in `/openapi.json`.

Every error answer is documented once, here, for every operation: flask-smorest's default error
responses (``default`` and each status it names) are described as RFC 9457 ``application/problem+json``
with the shape ``exchange.errors`` produces, so a client (or Schemathesis) can check any error against
the spec. Every operation needs an OAuth 2.0 bearer token unless it says ``security: []``.
"""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from exchange.api import advice, cases, code_lists, feed, metrics, submissions
from exchange.errors import PROBLEM_JSON, ProblemSchema


class ExchangeApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """flask-smorest's per-status and default error responses, as problem+json (not its JSON shape)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An RFC 9457 problem.", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def register_api(app: Flask) -> Api:
    api = ExchangeApi(app)
    api.spec.components.security_scheme(
        "oauth2",
        {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}}},
    )
    api.spec.options["security"] = [{"oauth2": []}]
    for blueprint in (advice.bp, feed.bp, submissions.blp, cases.blp, code_lists.blp, metrics.bp):
        api.register_blueprint(blueprint)
    return api
