"""``/v1/advice-requests``: courts ask Cafcass for advice, Cafcass acknowledges and answers (SPEC §2, §3).

A court [advice:request] asks about a case at one of its courts (``case_id``; any other case answers 404)
or, for a private-law case not held here, gives the minimal ``case`` details. ``Idempotency-Key`` makes a
retry safe: the same key with the same body answers the original request, with another body 409. Cafcass
[advice:respond] acknowledges and answers the requests routed to its service (a section 37 report is routed
to the applicant local authority, which answers it with the same scope); the court may withdraw.
Each side lists and reads only its own requests (everyone else gets 404).

The advice's optional PDF travels inside the JSON body, base64-encoded (``attachment.content``): one
body, one schema and one idempotent write, at the cost of a third more bytes on the wire. It is limited
to ``ADVICE_ATTACHMENT_MAX_BYTES`` decoded (413) and must start with ``%PDF-`` (415).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, or_, select

from exchange import advice as lifecycle
from exchange import audit, cursors, idempotency
from exchange.api import context
from exchange.api.access import visible_or_404
from exchange.api.blueprint import OAUTH2, Blueprint
from exchange.api.protect import Principal, current_principal, requires
from exchange.db import db
from exchange.errors import (
    PROBLEM_DOC,
    Forbidden,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from exchange.models import AdviceRequest, Case
from exchange.store import cases as case_store
from schemas import error_codes as codes
from schemas.advice import AdviceRequestIn, CaseDetails
from schemas.base import StrictBoolean, StrictSchema, bounded_string, code

bp = Blueprint(
    "advice",
    __name__,
    url_prefix="/v1/advice-requests",
    description="Advice requests from courts to Cafcass.",
)
DEFAULT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
PDF_TYPE = "application/pdf"


class AttachmentIn(StrictSchema):
    filename = bounded_string(200)
    #: base64; bounded by the body limit and checked against the attachment limit once decoded (413)
    content = fields.String(required=True)


class AdviceIn(StrictSchema):
    summary = bounded_string(20000, required=True)
    recommendation = bounded_string(20000)
    risk_identified = StrictBoolean(required=True)
    recommended_next_hearing = bounded_string(100)
    attachment = fields.Nested(AttachmentIn)


class AdviceAttachmentSchema(Schema):
    """Where to fetch the advice's PDF, and what to expect there."""

    media_type = fields.String(required=True, metadata={"enum": ["application/pdf"]})
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    sha256 = fields.String(required=True)
    href = fields.String(required=True, metadata={"format": "uri-reference"})


class AdviceSchema(Schema):
    """Cafcass's answer (``exchange.advice.as_dict``)."""

    request_id = fields.UUID(required=True)
    summary = fields.String(required=True)
    recommendation = fields.String(required=True, allow_none=True)
    risk_identified = fields.Boolean(required=True)
    recommended_next_hearing = fields.String(required=True, allow_none=True)
    answered_at = fields.AwareDateTime(required=True)
    attachment = fields.Nested(AdviceAttachmentSchema, required=True, allow_none=True)


class AdviceRequestSchema(Schema):
    """A request as both sides see it (``exchange.advice.as_dict``): every key, ``null`` when unset."""

    id = fields.UUID(required=True)
    case_id = fields.UUID(required=True, allow_none=True)
    case = fields.Nested(CaseDetails, required=True, allow_none=True)
    court = fields.String(required=True)
    type = code("advice_request_types", required=True)
    question = fields.String(required=True, allow_none=True)
    hearing_date = fields.Date(required=True, allow_none=True)
    due_date = fields.Date(required=True)
    urgent = fields.Boolean(required=True)
    status = code("advice_request_statuses", required=True)
    routed_to = fields.String(required=True, metadata={"enum": ["cafcass", "cafcass_cymru"]})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    acknowledged_at = fields.AwareDateTime(required=True, allow_none=True)
    advice = fields.Nested(AdviceSchema, required=True, allow_none=True)


class AdviceRequestPageSchema(Schema):
    items = fields.List(fields.Nested(AdviceRequestSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ListQuery(StrictSchema):
    status = code("advice_request_statuses")
    cursor = bounded_string(300)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


#: who may read advice requests: cases:read with either side's advice scope (``_require_advice_scope``)
ADVICE_READERS = {
    "security": [{OAUTH2: ["cases:read", "advice:request"]}, {OAUTH2: ["cases:read", "advice:respond"]}]
}


def _require_advice_scope(principal: Principal) -> None:
    if not principal.scopes & {"advice:request", "advice:respond"}:
        raise Forbidden(
            "Reading advice requests needs advice:request or advice:respond.", scope="advice:request"
        )


def _load(request_id: uuid.UUID, lock: bool = False) -> AdviceRequest:
    obj = db.session.get(AdviceRequest, request_id, with_for_update=lock)
    return visible_or_404("advice_request", request_id, obj, lambda p, r: lifecycle.may_see(p.org, r))


def _record(action: str, obj: AdviceRequest, detail: dict[str, Any] | None = None) -> None:
    lifecycle.record(db.session(), action, obj, detail)


def _invalid(pointer: str, code_: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "The request is not valid.", errors=[{"pointer": pointer, "code": code_, "message": message}]
    )


def _case(case_id: uuid.UUID) -> Case:
    found = db.session.get(Case, case_id)
    return visible_or_404("case", case_id, found, lambda p, c: case_store.may_see(p.org, c))


@bp.route("", methods=["POST"])
@bp.arguments(AdviceRequestIn)
@bp.response(201, AdviceRequestSchema, description="Made, or the original request again on a retry.")
@bp.alt_response(404, **PROBLEM_DOC, description="case_id names no case at the caller's courts.")
@bp.alt_response(409, **PROBLEM_DOC, description=idempotency.CONFLICT)
@bp.doc(parameters=[idempotency.PARAMETER])
@requires("advice:request")
def create(data: dict[str, Any]) -> ResponseReturnValue:
    """Ask Cafcass for advice on a case at one of the caller's courts (201, or the original on a retry)."""
    principal = current_principal()
    obj, replayed = lifecycle.request_advice(
        db.session(),
        principal.org,
        principal.client_id,
        data,
        body_sha256=hashlib.sha256(request.get_data()).hexdigest(),
        idempotency_key=idempotency.checked_key(request.headers.get(idempotency.HEADER)),
        reference=context.reference(),
        find_case=_case,
    )
    response = jsonify(lifecycle.as_dict(obj))
    response.status_code = 201
    response.headers["Location"] = f"/v1/advice-requests/{obj.id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.route("", methods=["GET"])
@bp.arguments(ListQuery, location="query", as_kwargs=True)
@bp.response(200, AdviceRequestPageSchema)
@bp.alt_response(400, **PROBLEM_DOC, description="A cursor this list did not issue (invalid_cursor).")
@bp.doc(**ADVICE_READERS)
@requires("cases:read")
def list_requests(limit: int, status: str | None = None, cursor: str | None = None) -> ResponseReturnValue:
    """The caller's own requests, oldest first: ``{"items", "next_cursor"}``."""
    principal = current_principal()
    _require_advice_scope(principal)
    query = select(AdviceRequest).where(lifecycle.visible_to(principal.org))
    if status:
        query = query.where(AdviceRequest.status == status)
    if cursor:
        created_at, after_id = cursors.decode("a", cursor, cursors.instant, cursors.identifier)
        query = query.where(
            or_(
                AdviceRequest.created_at > created_at,
                and_(AdviceRequest.created_at == created_at, AdviceRequest.id > after_id),
            )
        )
    rows = db.session.scalars(
        query.order_by(AdviceRequest.created_at, AdviceRequest.id).limit(limit + 1)
    ).all()
    more, rows = len(rows) > limit, rows[:limit]
    audit.record(
        "advice.list",
        "success",
        resource_type="advice_request",
        resource_ids=[r.id for r in rows],
        detail={"items": len(rows)},
    )
    db.session.commit()
    next_cursor = cursors.encode("a", rows[-1].created_at, rows[-1].id) if more else None
    return jsonify({"items": [lifecycle.as_dict(r) for r in rows], "next_cursor": next_cursor})


@bp.route("/<uuid:request_id>", methods=["GET"])
@bp.response(200, AdviceRequestSchema)
@bp.doc(**ADVICE_READERS)
@requires("cases:read")
def get_request(request_id: uuid.UUID) -> ResponseReturnValue:
    """One request, as either side sees it."""
    _require_advice_scope(current_principal())
    obj = _load(request_id)
    _record("read", obj)
    db.session.commit()
    return jsonify(lifecycle.as_dict(obj))


def _act(request_id: uuid.UUID, action: str) -> ResponseReturnValue:
    obj = _load(request_id, lock=True)
    lifecycle.transition(db.session, obj, action)
    _record(action, obj)
    db.session.commit()
    return jsonify(lifecycle.as_dict(obj))


@bp.route("/<uuid:request_id>/acknowledge", methods=["POST"])
@bp.response(200, AdviceRequestSchema)
@bp.alt_response(409, **PROBLEM_DOC, description="Not in a state that can be acknowledged.")
@requires("advice:respond")
def acknowledge(request_id: uuid.UUID) -> ResponseReturnValue:
    """Cafcass has the request in hand (409 unless routed, or overdue and not yet acknowledged)."""
    return _act(request_id, "acknowledge")


@bp.route("/<uuid:request_id>/withdraw", methods=["POST"])
@bp.response(200, AdviceRequestSchema)
@bp.alt_response(409, **PROBLEM_DOC, description="Already answered or withdrawn.")
@requires("advice:request")
def withdraw(request_id: uuid.UUID) -> ResponseReturnValue:
    """The court no longer needs the advice (409 once answered or withdrawn)."""
    return _act(request_id, "withdraw")


def attachment_limit() -> int:
    """The most bytes an advice's PDF may have (``ADVICE_ATTACHMENT_MAX_BYTES``)."""
    return int(current_app.config.get("ADVICE_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def checked_pdf(content: bytes) -> bytes:
    """``content`` if it is a PDF within the limit: otherwise 413, or 415 (the API's and the pages' check)."""
    limit = attachment_limit()
    if len(content) > limit:
        raise PayloadTooLarge(f"The attachment is larger than {limit} bytes.")
    if not content.startswith(PDF_MAGIC):
        raise UnsupportedMediaType("The attachment must be a PDF.")
    return content


def _attachment(data: dict[str, Any]) -> bytes:
    try:
        content = base64.b64decode(data["content"], validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("/attachment/content", codes.INVALID_BASE64, "Not base64.") from None
    return checked_pdf(content)


@bp.route("/<uuid:request_id>/advice", methods=["POST"])
@bp.arguments(AdviceIn)
@bp.response(201, AdviceRequestSchema, description="The request, answered.")
@bp.alt_response(409, **PROBLEM_DOC, description="Withdrawn or already answered.")
@bp.alt_response(413, **PROBLEM_DOC, description="The attachment is over the limit.")
@bp.alt_response(415, **PROBLEM_DOC, description="The attachment is not a PDF.")
@requires("advice:respond")
def give_advice(data: dict[str, Any], request_id: uuid.UUID) -> ResponseReturnValue:
    """Cafcass's advice, with an optional PDF (409 if withdrawn or already answered)."""
    obj = _load(request_id, lock=True)
    content = _attachment(data["attachment"]) if "attachment" in data else None
    lifecycle.give_advice(db.session(), obj, current_principal().org_id, data, content)
    db.session.commit()
    response = jsonify(lifecycle.as_dict(obj))
    response.status_code = 201
    return response


@bp.route("/<uuid:request_id>/advice/attachment", methods=["GET"])
@bp.response(200, {"type": "string", "format": "binary"}, content_type=PDF_TYPE, description="The PDF.")
@bp.doc(**ADVICE_READERS)
@requires("cases:read")
def attachment(request_id: uuid.UUID) -> ResponseReturnValue:
    """The advice's PDF, to either side of the request."""
    _require_advice_scope(current_principal())
    obj = _load(request_id)
    if obj.advice is None or obj.advice.attachment_sha256 is None:
        visible_or_404("advice_attachment", request_id, None, lambda p, r: False)
    _record("attachment_read", obj)
    db.session.commit()
    return Response(
        obj.advice.attachment,
        mimetype=PDF_TYPE,
        headers={"Content-Disposition": f'attachment; filename="advice-{obj.id}.pdf"'},
    )
