"""`POST /v1/submissions`, `GET /v1/submissions/{id}`, its findings: intake over HTTP (`exchange.pipeline`).

The body is spooled (memory, then a temporary file) and hashed as it is read, within
``max_submission_bytes`` (413 beyond), a limit of its own, larger than other routes' ``max_body_bytes``, so
that a whole statutory return fits; a ``Content-Encoding: gzip`` body is inflated incrementally under the
same cap, so a gzip bomb answers 413 without being inflated. The answer is 201 with the result (inline),
202 with ``Location`` (the worker's), or, when every record was rejected, a 422 problem whose ``errors``
are the report and whose ``submission`` is the receipt. A repeated ``Idempotency-Key`` gets the first
answer again with ``Idempotent-Replayed: true``. ``collection_year`` names a statutory return's year (an
SSDA903 return is then checked against the submitter's own return of the year before, which the receipt's
``previous_submissions`` names, and with the tables of this year's return its earlier submissions gave, which
``same_year_tables`` names; ``exchange.pipeline``). ``/findings`` lists every finding (a DfE rule that a
stored record of a statutory return breaks) a page at a time, or all of them as CSV with
``Accept: text/csv``; like the submission itself, only the submitting organisation sees them.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from flask import Response, jsonify, request, stream_with_context, url_for
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.http import parse_options_header

from exchange import audit, csv_out, cursors, idempotency, pipeline
from exchange.api import context
from exchange.api.access import visible_or_404
from exchange.api.blueprint import Blueprint
from exchange.api.ops import large_body
from exchange.api.protect import current_principal, requires
from exchange.bodies import Body, TooLarge
from exchange.db import db
from exchange.errors import (
    PROBLEM_DOC,
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from exchange.models import Submission
from exchange.store import findings as finding_store
from exchange.store import submissions as store
from schemas.openapi import SUBMISSION_BODY

blp = Blueprint("submissions", __name__, url_prefix="/v1/submissions", description="Submit partner data.")
READ_CHUNK = 64 * 1024


class SubmitQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    atomic = fields.Boolean(
        load_default=False, metadata={"description": "Store nothing unless every record is valid."}
    )
    collection_year = fields.Integer(
        metadata={
            "description": "A statutory return's collection year, the year the collection ends (2025 for "
            "2024-25): its rules run, and for SSDA903 the rules comparing with the LA's own return of the "
            "year before (its latest submissions of that year). One the adapter has rules for "
            "(SSDA903: 2024, 2025), else 422 unknown_collection_year. Without it, an SSDA903 return is "
            "read with every year's codes and the latest rules, and last year's return is not read."
        }
    )


class FaultSchema(Schema):
    position = fields.Dict(
        metadata={"description": "pointer (JSON), line and xpath (XML), or row and column (CSV)"}
    )
    code = fields.String(metadata={"description": "A stable rule code."})
    severity = fields.String(
        metadata={"enum": ["error", "query"], "description": "A finding's DfE severity (findings only)."}
    )
    record = fields.String(
        allow_none=True,
        metadata={"description": "A finding's LA child id; null for a rule about the whole return."},
    )
    message = fields.String()


class SubmissionSchema(Schema):
    id = fields.UUID()
    sha256 = fields.String()
    received_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    status = fields.String(metadata={"enum": ["processing", "accepted", "partially_accepted", "rejected"]})
    adapter = fields.String()
    atomic = fields.Boolean()
    collection_year = fields.Integer(
        allow_none=True, metadata={"description": "The collection year named on submission, else null."}
    )
    previous_submissions = fields.List(
        fields.String(),
        allow_none=True,
        metadata={
            "description": "Ids of the submitter's submissions read as last year's return (SSDA903 with a "
            "collection_year); [] when none was found (a query finding ssda903.previous_return_absent "
            "then says the rules comparing with it were not run); null otherwise."
        },
    )
    same_year_tables = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        metadata={
            "description": "The tables of this collection year's return read with this submission from the "
            "submitter's earlier submissions of the year (each table: the id of the submission that gave it; "
            "SSDA903 with a collection_year): the rules reading a table of this submission ran across them, "
            "and a finding in one of their rows names its table. {} when none was read; null otherwise."
        },
    )
    records = fields.Integer(
        metadata={
            "description": "Data records read so far (a return's header is not one); accepted + rejected."
        }
    )
    accepted = fields.Integer()
    rejected = fields.Integer()
    findings = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Findings by severity (error, query): DfE rules broken by stored records."},
    )
    report = fields.List(
        fields.Nested(FaultSchema),
        metadata={"description": "The first 1000 items: faults of rejected records and findings."},
    )
    stored_ids = fields.List(
        fields.String(), metadata={"description": "Ids of what was stored (at most 1000)."}
    )
    receipt = fields.String(
        metadata={"description": "Compact JWS over the receipt fields; verify with /oauth/jwks."}
    )


def _body() -> Body:
    """The request body spooled (memory, then a temporary file) and hashed as it is read."""
    limit = request.max_content_length  # this route's own (exchange.api.ops.large_body)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise UnsupportedMediaType("Only gzip content encoding is accepted.")
    chunks = _received(request.stream)
    try:
        return Body.spool(_inflated(chunks) if encoding == "gzip" else chunks, limit)
    except TooLarge:
        raise PayloadTooLarge("The body is over the size limit (once decompressed, if gzip).") from None


def _received(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(READ_CHUNK):
        yield chunk


def _inflated(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The gzip stream inflated ``READ_CHUNK`` at a time, so a bomb stops at the limit, not in memory."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        for chunk in chunks:
            pending = chunk
            while pending and not inflater.eof:
                yield inflater.decompress(pending, READ_CHUNK)
                pending = inflater.unconsumed_tail
        if not inflater.eof:
            raise BadRequest("The gzip body is truncated.")
    except zlib.error:
        raise BadRequest("The body is not valid gzip.") from None


@blp.route("", methods=["POST"])
@blp.arguments(SubmitQuerySchema, location="query", unknown=RAISE)
@blp.response(201, SubmissionSchema, description="Processed inline.")
@blp.alt_response(202, schema=SubmissionSchema, description="Stored; the worker processes it (see Location).")
@blp.alt_response(409, **PROBLEM_DOC, description=idempotency.CONFLICT)
@blp.alt_response(413, **PROBLEM_DOC, description="Body (or inflated body) over the limit.")
@blp.alt_response(415, **PROBLEM_DOC, description="No adapter for the Content-Type.")
@blp.alt_response(
    422,
    **PROBLEM_DOC,
    description="Every record rejected (a body that is not JSON is one fault), the profile missing or "
    "unknown (``profiles`` names those that read the media type), or a collection_year the adapter has no "
    "rules for (unknown_collection_year; ``collection_years`` names those it has).",
)
@blp.doc(
    requestBody=SUBMISSION_BODY,
    # listed here too: a documented ``parameters`` list replaces the one ``arguments`` makes
    parameters=[idempotency.PARAMETER, {"in": "query", "schema": SubmitQuerySchema}],
)
@requires("cases:submit")
@large_body
def submit(query: dict[str, Any]) -> Any:
    """Submit one case, a batch or a statutory return; the adapter follows Content-Type and its profile."""
    media_type, options = parse_options_header(request.headers.get("Content-Type", ""))
    if not media_type:
        raise UnsupportedMediaType("A Content-Type is required.")
    key = idempotency.checked_key(request.headers.get(idempotency.HEADER))
    # 415/422 before reading the body
    year = query.get("collection_year")
    pipeline.select_adapter(media_type, options.get("profile"), context.reference(), year)
    principal = current_principal()
    with _body() as body:
        submission = pipeline.submit(
            principal.org,
            principal.client_id,
            body,
            media_type,
            options.get("profile"),
            session=db.session(),
            settings=context.settings(),
            idempotency_key=key,
            atomic=query["atomic"],
            collection_year=year,
        )
    headers = {"Location": url_for("submissions.show", submission_id=submission.id)}
    if submission.replayed:
        headers["Idempotent-Replayed"] = "true"
    if submission.answer_status == 422:
        raise ValidationFailed(
            "The submission was rejected: no record was stored.",
            errors=[{"pointer": f["position"].get("pointer", ""), **f} for f in submission.report],
            headers=headers,
            submission=SubmissionSchema().dump(pipeline.summary(submission)),
        )
    # a replay of a submission still processing (its first request died mid-way, or is still running)
    # is 202: the worker finishes it, and Location says where to look
    status = 202 if submission.status == "processing" else submission.answer_status
    return pipeline.summary(submission), status, headers


class FindingsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(validate=validate.Length(1, 200))
    severity = fields.String(
        validate=validate.OneOf(["error", "query"]),
        metadata={"description": "Only findings of this severity."},
    )
    code = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"),
        metadata={"description": "Only findings of this rule, e.g. cin.8535Q."},
    )


class FindingsPageSchema(Schema):
    items = fields.List(fields.Nested(FaultSchema))
    next_cursor = fields.String(allow_none=True)


def _visible(submission_id: str) -> Submission:
    try:
        found = store.get(db.session(), uuid.UUID(submission_id))
    except ValueError:
        found = None
    return visible_or_404("submission", submission_id, found, lambda p, s: s.org_id == p.org_id)


@blp.route("/<submission_id>", endpoint="show", methods=["GET"])
@blp.response(200, SubmissionSchema)
@requires("cases:submit")
def show(submission_id: str) -> Any:
    """A submission's status, counts, progress and per-record report (the submitting organisation only)."""
    submission = _visible(submission_id)
    audit.record("submission.read", "success", resource_type="submission", resource_ids=[submission.id])
    db.session.commit()
    return pipeline.summary(submission)


@blp.route("/<submission_id>/findings", endpoint="findings", methods=["GET"])
@blp.arguments(FindingsQuerySchema, location="query", unknown=RAISE)
# the lowest decorator's description of a status wins when flask-smorest merges their media types
@blp.alt_response(200, schema={"type": "string"}, content_type=csv_out.MEDIA_TYPE, success=True)
@blp.response(200, FindingsPageSchema, description="A page of findings, or all of them as CSV (Accept).")
@blp.alt_response(400, **PROBLEM_DOC, description="A cursor this list did not issue (invalid_cursor).")
@requires("cases:submit")
def findings(query: dict[str, Any], submission_id: str) -> Any:
    """Every finding of a submission in the order found, or those of one ``severity`` and/or rule ``code``:
    ``{"items", "next_cursor"}``, or CSV (the cursor belongs to the filter it was issued under)."""
    submission = _visible(submission_id)
    as_csv = (
        request.accept_mimetypes.best_match(["application/json", csv_out.MEDIA_TYPE]) == csv_out.MEDIA_TYPE
    )
    audit.record(
        "submission.findings_read",
        "success",
        resource_type="submission",
        resource_ids=[submission.id],
        detail={"format": "csv" if as_csv else "json"},
    )
    db.session.commit()
    session = db.session()
    filters = {"severity": query.get("severity"), "code": query.get("code")}
    if as_csv:
        rows = finding_store.csv_rows(session, submission.id, **filters)
        return Response(
            stream_with_context(csv_out.lines(finding_store.COLUMNS, rows)), mimetype=csv_out.MEDIA_TYPE
        )
    after = cursors.decode("findings", query["cursor"], cursors.count)[0] if "cursor" in query else 0
    rows, more = finding_store.page(session, submission.id, query["limit"], after, **filters)
    return jsonify(
        {
            "items": [finding_store.view(row) for row in rows],
            "next_cursor": cursors.encode("findings", rows[-1].seq) if more else None,
        }
    )
