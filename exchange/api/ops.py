"""Operations: request ids and JSON logs, health checks, Prometheus metrics and the offline API docs page."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from importlib.resources import files
from typing import Any, TypeVar

import structlog
from flask import Blueprint, Flask, Response, current_app, g, request, send_from_directory
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

from exchange.api.protect import public
from exchange.db import db
from exchange.errors import NotFound, PayloadTooLarge

REQUESTS = Counter("exchange_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("exchange_http_request_seconds", "HTTP request latency", ["method", "route"])
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("exchange.http")

bp = Blueprint("ops", __name__)


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written (a test harness or a supervisor may swap it)."""

    def write(self, text: str) -> None:
        sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str) -> None:
    """JSON lines on stderr; Authlib's logger is never below INFO (it would log credentials at DEBUG)."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    logging.getLogger("authlib").setLevel(max(logging.INFO, logging.getLevelName(level)))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_Stderr()),
        cache_logger_on_first_use=True,
    )


F = TypeVar("F", bound=Callable[..., Any])
#: browsers keep to HTTPS for two years once they have seen it over HTTPS
HSTS = "max-age=63072000; includeSubDomains"
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def html_policy(page: str) -> str:
    """The Content-Security-Policy of an HTML answer that sets none (the performance pack): nothing from
    anywhere, scripts never, its own ``<style>`` blocks by their SHA-256, images only inline."""
    styles = (
        " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
            for block in STYLE_BLOCK.findall(page)
        )
        or "'none'"
    )
    return (
        f"default-src 'none'; style-src {styles}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


_LARGE_BODY = "_exchange_large_body"


def _start_request() -> None:
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if REQUEST_ID.match(supplied) else uuid.uuid4().hex
    g.started = time.perf_counter()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def large_body(view: F) -> F:
    """Let a view take bodies up to ``max_submission_bytes`` rather than ``max_body_bytes`` (innermost)."""
    setattr(view, _LARGE_BODY, True)
    return view


def _limit_body() -> None:
    """Each route's body limit, from ``Content-Length`` before anything reads the body (413); a body sent
    without one is cut off at the limit as it is read. ``request.max_content_length`` is the limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, _LARGE_BODY, False):
        request.max_content_length = current_app.config["EXCHANGE_SETTINGS"].max_submission_bytes
    limit = request.max_content_length
    if request.content_length is not None and limit is not None and request.content_length > limit:
        raise PayloadTooLarge("The body is over the size limit.")


def _finish_request(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    LATENCY.labels(request.method, route).observe(elapsed)
    principal = getattr(g, "principal", None)
    log.info(
        "request",
        method=request.method,
        route=route,
        status=response.status_code,
        ms=round(elapsed * 1000, 1),
        client_id=principal.client_id if principal else None,
    )
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure:  # over HTTPS (the proxy's X-Forwarded-Proto, when ProxyFix trusts it)
        response.headers["Strict-Transport-Security"] = HSTS
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = html_policy(response.get_data(as_text=True))
    structlog.contextvars.clear_contextvars()
    return response


@bp.get("/health/live")
@public
def live() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/health/ready")
@public
def ready() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not ready
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def _scraper_allowed() -> bool:
    allowed = os.environ.get("EXCHANGE_METRICS_ALLOW", "127.0.0.1/32,::1/128")
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net.strip()) for net in allowed.split(",") if net.strip())


@bp.get("/metrics")
@public
def prometheus() -> Response:
    if not _scraper_allowed():
        raise NotFound()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)


#: Swagger UI 5 (it reads OpenAPI 3.1) as the ``flask-swagger-ui`` wheel ships it: swagger-api/swagger-ui's
#: ``dist`` build, with its Apache-2.0 ``LICENSE`` and its ``VERSION``; only the two files below are served
SWAGGER_UI = files("flask_swagger_ui").joinpath("dist")
SWAGGER_UI_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})
DOCS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Family Justice Exchange API</title><link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/docs.js"></script></body></html>"""
# validatorUrl null: Swagger UI would otherwise send the document to an outside validator for its badge
DOCS_SCRIPT = "window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: '#ui', validatorUrl: null});"
#: the page's scripts and styles are its own files; Swagger UI sets inline styles and data: images
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@bp.get("/docs")
@public
def docs() -> Response:
    response = Response(DOCS_PAGE, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@bp.get("/docs/static/<path:name>")
@public
def docs_static(name: str) -> Response:
    if name == "docs.js":
        return Response(DOCS_SCRIPT, mimetype="text/javascript")
    if name not in SWAGGER_UI_FILES:
        raise NotFound()
    return send_from_directory(SWAGGER_UI, name, max_age=3600)


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.before_request(_limit_body)
    app.after_request(_finish_request)
    app.register_blueprint(bp)
