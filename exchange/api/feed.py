"""``GET /v1/feed`` [feed:read]: every case version the caller may see, in commit order (SPEC §3).

Cafcass reads English cases, Cafcass Cymru Welsh ones (``store.cases.visible_to``); each version's
document passes through the field policy for the caller's kind. Versions are ordered by
``CaseVersion.feed_seq``, which the case store assigns at commit under a database-wide lock, so a
version with a lower number is always committed before one with a higher number is: a reader that asks
for "after N" never skips one, across pages and restarts.

The cursor (``exchange.cursors``, kind ``f``) holds the last ``feed_seq`` read.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from exchange import audit, cursors
from exchange.api import context, profiles
from exchange.api.blueprint import Blueprint
from exchange.api.protect import current_principal, requires
from exchange.db import db
from exchange.errors import PROBLEM_DOC
from exchange.models import Case, CaseVersion
from exchange.store import cases as case_store
from schemas.base import StrictSchema, bounded_string
from schemas.case import CaseSchema

bp = Blueprint("feed", __name__, url_prefix="/v1/feed", description="The change feed of case versions.")
MAX_LIMIT = 500


class FeedQuery(StrictSchema):
    cursor = bounded_string(200)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LIMIT))


class FeedItemSchema(Schema):
    """One committed case version; ``case`` as the field policy shows it to the caller's kind."""

    case_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    committed_at = fields.AwareDateTime(required=True)
    case = fields.Nested(CaseSchema, required=True)


class FeedPageSchema(Schema):
    items = fields.List(fields.Nested(FeedItemSchema), required=True)
    next_cursor = fields.String(
        required=True, metadata={"description": "Where to resume, also once the feed is read to its end."}
    )


@bp.route("")
@bp.arguments(FeedQuery, location="query", as_kwargs=True)
@bp.response(200, FeedPageSchema)
@bp.alt_response(400, **PROBLEM_DOC, description="A cursor this list did not issue (invalid_cursor).")
@bp.alt_response(406, **PROBLEM_DOC, description="An outbound profile the caller may not use.")
@requires("feed:read")
def feed(limit: int, cursor: str | None = None) -> ResponseReturnValue:
    """Case versions after the cursor, oldest first: ``{"items", "next_cursor"}``; with ``Accept:
    application/json; profile=cafcass-api``, each version's case in HMCTS's Cafcass API shape:
    ``{"cases", "total", "next_cursor"}``."""
    principal = current_principal()
    (after,) = cursors.decode("f", cursor, cursors.count) if cursor else (0,)
    rows = db.session.execute(
        select(CaseVersion, Case)
        .join(Case, Case.id == CaseVersion.case_id)
        .where(CaseVersion.feed_seq > after, case_store.visible_to(principal.org))
        .order_by(CaseVersion.feed_seq)
        .limit(limit)
    ).all()
    policy = context.reference().field_policy
    items = [
        {
            "case_id": str(version.case_id),
            "version": version.version,
            "event_type": version.event_type,
            "committed_at": version.committed_at.isoformat(),
            "case": case_store.view(version.document, principal.org, policy),
        }
        for version, _case in rows
    ]
    # a full page may have more behind it; a short one ends the feed for now, and the caller resumes
    # from the same cursor later, so the last cursor is returned either way once anything was read
    last = rows[-1][0].feed_seq if rows else after
    audit.record(
        "feed.read",
        "success",
        resource_type="case",
        resource_ids=[str(v.case_id) for v, _ in rows],
        detail={"items": len(items)},
    )
    db.session.commit()
    next_cursor = cursors.encode("f", last)
    profile = profiles.requested()
    if profile is not None:
        rendered = profiles.render(profile, principal.org, [item["case"] for item in items])
        response = jsonify({**rendered, "next_cursor": next_cursor})
        response.mimetype = profiles.media_type(profile)
        return response
    return jsonify({"items": items, "next_cursor": next_cursor})
