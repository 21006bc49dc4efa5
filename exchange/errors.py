"""Every error the exchange answers with: the domain's one error, and the RFC 9457 problems it becomes.

Below the HTTP layer every refusal is a ``DomainError(code, message, pointer, kind)``: ``code`` is
declared once in ``schemas.error_codes``, ``kind`` says what sort of refusal it is, and ``STATUS`` maps
each kind to the HTTP status ``as_problem`` gives it (``exchange.api.problems`` answers problem+json).

    Exception
     ├── DomainError                  code, message, pointer, kind  (no HTTP: services, stores, the CLI)
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
          ├── TooManyRequests         429
          └── ServiceUnavailable      503  + Retry-After  (the board figures before their first publication)
    werkzeug HTTPException (routing 404, 405, 413 …)  → the same shape, by status
    anything else                                      → 500, logged with the request id, never shown

No stack trace, SQL, file path or personal data is ever put in a problem: details are fixed texts or
codes, and validation messages name fields, never their values; an ``errors`` list stops after
``MAX_LISTED_ERRORS`` faults with an ``errors_truncated`` entry, "and N more". ``ProblemSchema``
documents the shape in /openapi.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import INCLUDE, Schema, fields

from schemas import error_codes as codes

PROBLEM_JSON = "application/problem+json"
#: a problem lists at most this many faults, then one ``errors_truncated`` entry saying how many more
MAX_LISTED_ERRORS = 100


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
            body["errors"] = listed(self.errors)
        body.update(self.extensions)
        return body


def listed(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``errors`` up to ``MAX_LISTED_ERRORS``; past it, the first ones and an entry saying how many more
    (a body with 200,000 unknown fields must not answer a list the size of the body)."""
    if len(errors) <= MAX_LISTED_ERRORS:
        return errors
    more = len(errors) - MAX_LISTED_ERRORS
    marker = {"pointer": "", "code": codes.ERRORS_TRUNCATED, "message": f"and {more} more"}
    return [*errors[:MAX_LISTED_ERRORS], marker]


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(
        self,
        detail: str | None = None,
        *,
        error: str = "invalid_token",
        scheme: str = "bearer",
        **kwargs: Any,
    ) -> None:
        # a DPoP challenge names the proof algorithms (RFC 9449 §7.1)
        challenge = 'DPoP realm="exchange", algs="ES256"' if scheme == "dpop" else 'Bearer realm="exchange"'
        if error:
            challenge += f', error="{error}"'
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


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Not available yet"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **kwargs)


#: a domain error's kind -> the HTTP status it is answered with
STATUS = {
    "bad_request": 400,
    "invalid": 422,
    "conflict": 409,
    "not_found": 404,
    "unsupported": 415,
    "too_large": 413,
}


class DomainError(Exception):
    """A rule of the exchange refused what was asked (no HTTP here; ``as_problem`` makes the answer).

    ``code`` is one of ``schemas.error_codes``; ``message`` never holds a value from the request, only names;
    ``pointer`` is the JSON pointer (RFC 6901) of what is at fault, "" for the whole; ``kind`` is a key of
    ``STATUS``. ``detail`` replaces the problem's generic detail; ``audit_action`` and the resource name
    the audit event a refusal that must be audited records; ``extensions`` are members the problem adds
    (e.g. the ``profiles`` that read a body).
    """

    def __init__(
        self,
        code: str,
        message: str,
        pointer: str = "",
        kind: str = "invalid",
        *,
        detail: str | None = None,
        audit_action: str | None = None,
        resource_type: str | None = None,
        resource_ids: tuple[str, ...] = (),
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        if kind not in STATUS:
            raise ValueError(f"unknown kind of domain error: {kind}")
        super().__init__(message)
        self.code, self.message, self.pointer, self.kind = code, message, pointer, kind
        self.detail = detail
        self.audit_action, self.resource_type, self.resource_ids = audit_action, resource_type, resource_ids
        self.extensions = dict(extensions or {})

    @property
    def status(self) -> int:
        return STATUS[self.kind]


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


BY_STATUS = {cls.status: cls for cls in Problem.__subclasses__()}


def as_problem(error: DomainError) -> Problem:
    """The problem a domain error is answered with: a 400 or 422 lists it in ``errors``, others give its
    message."""
    members = {
        "audit_action": error.audit_action,
        "resource_type": error.resource_type,
        "resource_ids": error.resource_ids,
        **error.extensions,
    }
    cls = BY_STATUS[error.status]
    if error.kind in ("bad_request", "invalid"):
        fault = {"pointer": error.pointer, "code": error.code, "message": error.message}
        return cls(error.detail or "The request is not valid.", errors=[fault], **members)
    return cls(error.detail or error.message, **members)


def pointer_errors(messages: Any, pointer: str = "", code: str = codes.INVALID) -> list[dict[str, Any]]:
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
        return codes.UNKNOWN_FIELD
    if message.startswith("Missing data"):
        return codes.REQUIRED
    return default


def raw_problem(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 answer with a problem+json body, for a server that answers before the app can
    (gunicorn's own refusals of a request it cannot parse, ``config/gunicorn.conf.py``): the status and
    its fixed text only, never anything of the request."""
    cls = BY_STATUS.get(status, Problem)
    body = {
        "type": f"/problems/{cls.slug if cls is not Problem else 'http-' + str(status)}",
        "title": cls.title if cls is not Problem else reason,
        "status": status,
        "detail": f"The server could not read the request ({reason}).",
    }
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
        f"Content-Length: {len(payload)}\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + payload
