"""The one place that turns every error into an RFC 9457 problem+json answer (see ``exchange.errors``).

``register`` installs the handlers: a ``Problem`` as it is, a ``DomainError`` through ``errors.as_problem``,
a werkzeug ``HTTPException`` (routing 404, 405, 413 …) by its status, anything else as a 500 logged with
the request id and never shown. A 401, a 403 or a problem naming an ``audit_action`` is audited (401s
aggregated per address and minute by ``exchange.auth.failures``).
"""

from __future__ import annotations

import structlog
from flask import Flask, Response, g, json, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from exchange import audit
from exchange.api.access import audited_id
from exchange.api.limiter import retry_after
from exchange.api.protect import failure_counter
from exchange.db import db
from exchange.errors import (
    BY_STATUS,
    PROBLEM_JSON,
    DomainError,
    Problem,
    ValidationFailed,
    as_problem,
    pointer_errors,
)

log = structlog.get_logger("exchange.errors")


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem.body()), status=problem.status, mimetype=PROBLEM_JSON)
    response.headers.update(problem.headers)
    return response


def _from_http_exception(error: HTTPException) -> Problem:
    data = getattr(error, "data", None) or {}
    if error.code == 422 and "messages" in data:
        return ValidationFailed("The request is not valid.", errors=pointer_errors(data["messages"]))
    cls = BY_STATUS.get(error.code or 500, Problem)
    problem = cls(error.description)  # werkzeug's fixed texts, or the one the view raised
    problem.status = error.code or 500
    if cls is Problem:
        problem.title = error.name
        problem.slug = error.name.lower().replace(" ", "-")
    if error.code == 405 and error.valid_methods:
        problem.headers["Allow"] = ", ".join(error.valid_methods)
        problem.detail = f"This URL answers {', '.join(sorted(set(error.valid_methods) - {'OPTIONS'}))} only."
    return problem


def _audit_denial(problem: Problem) -> None:
    """Audit a refusal: a 403 with its target (method, route and the ids in the path), a 401 in full only
    when it is the caller's first this minute (``auth.failures``: the rest are counted)."""
    if problem.status == 401 and not failure_counter().audited_in_full(request.remote_addr):
        return
    resource_type, resource_ids = problem.resource_type, problem.resource_ids
    detail: dict[str, object] = {"reason": problem.detail}
    if problem.status == 403:
        rule = request.url_rule.rule if request.url_rule else request.path[:200]
        detail["target"] = f"{request.method} {rule}"
        if not resource_ids and request.view_args:
            resource_type = request.endpoint
            resource_ids = tuple(audited_id(v) for v in request.view_args.values())
    db.session.rollback()
    audit.record(
        problem.audit_action or "access.denied",
        f"denied_{problem.status}",
        resource_type=resource_type,
        resource_ids=resource_ids,
        detail=detail,
    )
    db.session.commit()


def _where(error: BaseException) -> str:
    """Module and line where ``error`` was raised: enough to find it, with no path, values or stack."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_globals.get('__name__', '?')}:{tb.tb_lineno}" if tb else "?"


def register(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        if error.audit_action or error.status in (401, 403):
            _audit_denial(error)
        return problem_response(error)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return _problem(as_problem(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        problem = _from_http_exception(error)
        if isinstance(error, RateLimitExceeded):
            problem.headers["Retry-After"] = str(retry_after())
        return _problem(problem)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.error(
            "unhandled_error",
            error_type=type(error).__name__,
            at=_where(error),
            request_id=getattr(g, "request_id", None),
        )
        db.session.rollback()
        return problem_response(Problem("The exchange could not complete the request; it has been logged."))
