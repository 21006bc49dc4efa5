"""The `/v1` REST API: one flask-smorest blueprint per resource, documented in `/openapi.json`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from exchange.api import advice, cases, code_lists, feed, metrics, submissions


def register_api(app: Flask) -> Api:
    api = Api(app)
    api.spec.components.security_scheme(
        "oauth2",
        {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}}},
    )
    for blueprint in (advice.bp, feed.bp, submissions.blp, cases.blp, code_lists.blp, metrics.bp):
        api.register_blueprint(blueprint)
    return api
