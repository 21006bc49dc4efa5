"""The Family Justice Exchange: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from exchange import audit, delivery, keystore, metrics, reference
from exchange.api import ops, protect
from exchange.api.limiter import limiter
from exchange.api.oauth_server import authorization_server, generate_token
from exchange.api.problems import register as register_problems
from exchange.auth import binding, keys
from exchange.db import db as database
from exchange.settings import Settings

API_DESCRIPTION = (
    "Validated, audited case-progression data between Cafcass, the family courts and local authorities. "
    "Every error is RFC 9457 application/problem+json."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from ``EXCHANGE_*`` variables, then ``config`` (tests), validated first.

    The settings carry the reference data (``settings.reference``), read from ``EXCHANGE_CONFIG_DIR`` or the
    shipped copy and checked as a whole: a fault in either stops the app before it is built. The app keeps
    its own state in ``app.extensions``: its engine and sessions (``exchange.db``) and the reference data
    its views and commands read (``exchange.api.context``).
    """
    settings = Settings.load(config)
    ops.configure_logging(settings.log_level)
    app = Flask(__name__, static_folder=None, instance_path=settings.instance_path)
    app.config.update(
        EXCHANGE_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        RATELIMIT_HEADERS_ENABLED=False,
        API_TITLE="Family Justice Exchange",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": API_DESCRIPTION}},
        JSON_SORT_KEYS=False,
    )
    if settings.proxy_fix:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_fix, x_proto=settings.proxy_fix, x_host=settings.proxy_fix
        )

    app.extensions[reference.EXTENSION] = settings.reference
    database.init_app(app, current_app)
    # the key ring reads no private key until it signs: a command that signs nothing needs no key store
    ring = keys.KeyRing(keystore.open_store(settings), app.extensions[database.EXTENSION].session)
    app.extensions[keys.EXTENSION] = ring
    app.extensions[binding.EXTENSION] = binding.ClientRegister()
    # cross-cutting behaviour, wired here and nowhere else: the audit chain, webhook deliveries for case
    # changes and the metric pre-aggregates follow every session's commits, from requests, workers or scripts
    audit.init_app(app, actor=protect.request_actor)
    delivery.init_app(app)
    metrics.init_app(app)
    limiter.init_app(app)
    authorization_server.init_app(app)
    authorization_server.register_token_generator("default", generate_token)
    ops.init_app(app)
    protect.init_app(app)
    from exchange.api import register_api

    register_api(app)
    from exchange import web

    web.init_app(app)
    register_problems(app)  # last: replaces flask-smorest's handler so every error has one shape
    return app
