"""`/v1/cases`: list and read the cases the caller may see, their versions, and post progression events.

Every id goes through ``visible_or_404`` (a case of another organisation answers 404, as does an id
that is not a UUID), every answer through the field policy of the caller's kind, every read and write
into the audit trail. A case carries an ETag (the version as the caller's kind sees it): ``If-None-Match``
answers 304, ``If-Match`` on an event answers 412 when the case has moved on.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from flask import Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.exceptions import PreconditionFailed

from exchange import audit, cursors
from exchange.api import context, profiles
from exchange.api.access import visible_or_404
from exchange.api.blueprint import Blueprint
from exchange.api.protect import current_principal, requires
from exchange.db import db
from exchange.errors import PROBLEM_DOC, Conflict, ValidationFailed
from exchange.models import Case
from exchange.store import cases as store
from exchange.store.events import EventInvalid, apply_event
from schemas import case as case_schemas
from schemas import code_lists
from schemas.base import validation_faults
from schemas.events import AnyEventSchema
from schemas.openapi import EVENT_EXAMPLES

blp = Blueprint("cases", __name__, url_prefix="/v1/cases", description="Care cases and their progression.")
MAX_PAGE = 100


class CaseListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf(sorted(code_lists.codes("case_states"))))
    court = fields.String(validate=validate.Regexp(r"\d{3}\Z"))
    issued_from = fields.Date()
    issued_to = fields.Date()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE))
    cursor = fields.String(validate=validate.Length(1, 200))


class PageQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE))
    cursor = fields.String(validate=validate.Length(1, 200))


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(case_schemas.CaseSchema))
    next_cursor = fields.String(allow_none=True)


class VersionSchema(Schema):
    version = fields.Integer()
    event_type = fields.String()
    committed_at = fields.AwareDateTime()
    case = fields.Nested(case_schemas.CaseSchema)


class VersionPageSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))
    next_cursor = fields.String(allow_none=True)


class EventBodySchema(AnyEventSchema):
    """One progression event of any type; a body that breaks its schema is a 422 with the schemas' codes."""

    def load(self, data: Any, **kwargs: Any) -> Any:
        try:
            return super().load(data, **kwargs)
        except ValidationError as error:
            raise ValidationFailed(
                "The event is not valid.", errors=[asdict(f) for f in validation_faults(error)]
            ) from None


def _case(case_id: str, *, for_update: bool = False) -> Case:
    try:
        found = store.get(db.session(), uuid.UUID(case_id), for_update=for_update)
    except ValueError:
        found = None
    return visible_or_404("case", case_id, found, lambda p, c: store.may_see(p.org, c))


def _case_response(case: Case, status: int = 200) -> Response:
    org = current_principal().org
    response = jsonify(store.view(case.document, org, context.reference().field_policy))
    response.status_code = status
    response.set_etag(store.etag(case, org))
    return response


@blp.route("", methods=["GET"])
@blp.arguments(CaseListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, CasePageSchema)
@blp.alt_response(400, **PROBLEM_DOC, description="A cursor this list did not issue (invalid_cursor).")
@requires("cases:read")
def list_cases(query: dict[str, Any]) -> Any:
    """The cases the caller may see, oldest first, filtered by state, court and issue date."""
    org = current_principal().org
    where = store.CaseFilter(
        query.get("state"), query.get("court"), query.get("issued_from"), query.get("issued_to")
    )
    rows, next_cursor = store.page(db.session(), org, where, query["limit"], query.get("cursor"))
    audit.record("case.list", "success", resource_type="case", resource_ids=[c.id for c in rows])
    db.session.commit()
    policy = context.reference().field_policy
    return jsonify({"items": [store.view(c.document, org, policy) for c in rows], "next_cursor": next_cursor})


@blp.route("/<case_id>", methods=["GET"])
@blp.response(200, case_schemas.CaseSchema)
@blp.alt_response(304, description="Not modified (If-None-Match).")
@blp.alt_response(406, **PROBLEM_DOC, description="An outbound profile the caller may not use.")
@requires("cases:read")
def show(case_id: str) -> Any:
    """One case as the caller's kind may see it, with an ETag; with ``Accept: application/json;
    profile=cafcass-api``, as HMCTS's Cafcass API case shape (the case as the one element of ``cases``)."""
    case = _case(case_id)
    audit.record("case.read", "success", resource_type="case", resource_ids=[case.id])
    db.session.commit()
    org = current_principal().org
    profile = profiles.requested()
    if profile is not None:
        view = store.view(case.document, org, context.reference().field_policy)
        response = jsonify(profiles.render(profile, org, [view]))
        response.mimetype = profiles.media_type(profile)
        return response
    if store.etag(case, org) in request.if_none_match:
        response = Response(status=304)
        response.set_etag(store.etag(case, org))
        return response
    return _case_response(case)


@blp.route("/<case_id>/versions", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, VersionPageSchema)
@blp.alt_response(400, **PROBLEM_DOC, description="A cursor this list did not issue (invalid_cursor).")
@requires("cases:read")
def versions(query: dict[str, Any], case_id: str) -> Any:
    """Every version of the case, oldest first, each as the caller's kind may see it."""
    case = _case(case_id)
    org = current_principal().org
    (after,) = cursors.decode("v", query["cursor"], cursors.count) if "cursor" in query else (0,)
    rows = store.versions(db.session(), case, query["limit"] + 1, after)
    more, rows = len(rows) > query["limit"], rows[: query["limit"]]
    audit.record("case.versions_read", "success", resource_type="case", resource_ids=[case.id])
    db.session.commit()
    items = [
        {
            "version": v.version,
            "event_type": v.event_type,
            "committed_at": v.committed_at.isoformat(),
            "case": store.view(v.document, org, context.reference().field_policy),
        }
        for v in rows
    ]
    return jsonify({"items": items, "next_cursor": cursors.encode("v", rows[-1].version) if more else None})


@blp.route("/<case_id>/events", methods=["POST"])
@blp.arguments(
    EventBodySchema,
    description="One progression event: the schema its `type` names. Children and hearings are named by "
    "the ids GET /v1/cases/{case_id} gives them.",
    examples=EVENT_EXAMPLES,
)
@blp.response(200, case_schemas.CaseSchema, description="The case after the event.")
@blp.alt_response(409, **PROBLEM_DOC, description="The event is not allowed in the case's state.")
@blp.alt_response(412, **PROBLEM_DOC, description="If-Match does not match the case's ETag.")
@requires("cases:submit")
def post_event(event: dict[str, Any], case_id: str) -> Any:
    """Record a progression event; the case's new version is answered."""
    case = _case(case_id, for_update=True)
    org = current_principal().org
    if request.if_match and not request.if_match.contains(store.etag(case, org)):
        raise PreconditionFailed("The case has changed since the ETag given in If-Match.")
    try:
        changed = apply_event(db.session(), case, event, context.reference())
    except EventInvalid as invalid:
        db.session.rollback()
        raise ValidationFailed(
            "The event is not valid for this case.", errors=[asdict(f) for f in invalid.faults]
        ) from None
    except store.CaseFault as fault:
        db.session.rollback()
        raise Conflict(
            fault.message,
            errors=[{"pointer": fault.pointer, "code": fault.code, "message": fault.message}],
            audit_action="case.event_refused",
            resource_type="case",
            resource_ids=(str(case.id),),
        ) from None
    audit.record(
        "case.event",
        "success",
        resource_type="case",
        resource_ids=[case.id],
        detail={"type": event["type"], "version": case.version, "changed": changed},
    )
    db.session.commit()
    return _case_response(case)
