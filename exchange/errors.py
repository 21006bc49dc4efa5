"""Every error the exchange answers with, and the one place that turns each into RFC 9457 problem+json.

    Exception
     └── Problem                      any status; ``type``, ``title``, ``status``, ``detail``
          ├── BadRequest              400
          ├── Unauthorized            401  + WWW-Authenticate: Bearer error=…  (RFC 6750)
          ├── Forbidden               403  insufficient_scope
          ├── NotFound                404  also another organisation's object (never 403: ids can't be probed)
          ├── MethodNotAllowed        405  + Allow
          ├── NotAcceptable           406
          ├── Conflict                409
          ├── PayloadTooLarge         413
          ├── UnsupportedMediaType    415
          ├── ValidationFailed        422  + ``errors``: [{pointer, code, message}]
          └── TooManyRequests         429
    werkzeug HTTPException (routing 404, 405, 413 …)  → the same shape, by status
    anything else                                      → 500, logged with the request id, never shown

No stack trace, SQL, file path or personal data is ever put in a problem: details are fixed texts or
codes, and validation messages name fields, never their values. ``ProblemSchema`` documents the shape
in /openapi.json.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, g, json
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from exchange import audit
from exchange.db import db

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("exchange.errors")


class Problem(Exception):
    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        audit_action: str | None = None,
        resource_type: str | None = None,
        resource_ids: tuple[str, ...] = (),
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.audit_action = audit_action
        self.resource_type = resource_type
        self.resource_ids = resource_ids
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        body = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, *, error: str = "invalid_token", **kwargs: Any) -> None:
        challenge = 'Bearer realm="exchange"' if error == "" else f'Bearer realm="exchange", error="{error}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge}, **kwargs)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"

    def __init__(self, detail: str | None = None, *, scope: str | None = None, **kwargs: Any) -> None:
        header = 'Bearer realm="exchange", error="insufficient_scope"' + (
            f', scope="{scope}"' if scope else ""
        )
        super().__init__(detail, headers={"WWW-Authenticate": header}, **kwargs)


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(Problem):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class NotAcceptable(Problem):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(Problem):
    status, slug, title = 422, "validation", "The request is not valid"


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ProblemErrorSchema(Schema):
    """One validation fault; a submission's faults also carry their ``position``."""

    class Meta:
        unknown = INCLUDE

    pointer = fields.String(required=True, metadata={"description": "JSON pointer (RFC 6901)."})
    code = fields.String(required=True, metadata={"description": "A stable rule code."})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members (e.g. OAuth's ``error``) may follow."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"format": "uri-reference"})
    title = fields.String(required=True)
    status = fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599})
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemErrorSchema))


#: how an ``alt_response`` documents a problem answer in /openapi.json
PROBLEM_DOC: dict[str, Any] = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


_BY_STATUS = {cls.status: cls for cls in Problem.__subclasses__()}


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem.body()), status=problem.status, mimetype=PROBLEM_JSON)
    response.headers.update(problem.headers)
    return response


def _from_http_exception(error: HTTPException) -> Problem:
    data = getattr(error, "data", None) or {}
    if error.code == 422 and "messages" in data:
        return ValidationFailed("The request is not valid.", errors=pointer_errors(data["messages"]))
    cls = _BY_STATUS.get(error.code or 500, Problem)
    problem = cls(error.description)  # werkzeug's fixed texts, or the one the view raised
    problem.status = error.code or 500
    if cls is Problem:
        problem.title = error.name
        problem.slug = error.name.lower().replace(" ", "-")
    if error.code == 405 and error.valid_methods:
        problem.headers["Allow"] = ", ".join(error.valid_methods)
        problem.detail = f"This URL answers {', '.join(sorted(set(error.valid_methods) - {'OPTIONS'}))} only."
    return problem


def pointer_errors(messages: Any, pointer: str = "", code: str = "invalid") -> list[dict[str, Any]]:
    """Flatten marshmallow/webargs messages into [{pointer, code, message}] with JSON pointers."""
    if isinstance(messages, dict):
        out: list[dict[str, Any]] = []
        for key, value in messages.items():
            if key in {"json", "query", "headers", "form", "files", "view_args"} and not pointer:
                out.extend(pointer_errors(value, "", code))
            else:
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                out.extend(
                    pointer_errors(value, f"{pointer}/{escaped}" if key != "_schema" else pointer, code)
                )
        return out
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return [{"pointer": pointer, "code": _code_for(m, code), "message": m} for m in messages]
        return [e for m in messages for e in pointer_errors(m, pointer, code)]
    return [{"pointer": pointer, "code": code, "message": str(messages)}]


def _code_for(message: str, default: str) -> str:
    if message == "Unknown field.":
        return "unknown_field"
    if message.startswith("Missing data"):
        return "required"
    return default


def _audit_denial(problem: Problem) -> None:
    db.session.rollback()
    audit.record(
        problem.audit_action or "access.denied",
        f"denied_{problem.status}",
        resource_type=problem.resource_type,
        resource_ids=problem.resource_ids,
        detail={"reason": problem.detail},
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

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return _problem(_from_http_exception(error))

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
