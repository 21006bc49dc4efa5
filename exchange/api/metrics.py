"""``/v1/metrics`` [metrics:read]: the boards' disclosure-controlled measures, as JSON, CSV or the pack.

An LFJB sees its own DFJ area(s) and national; the FJB every area. Asking for an area the caller may not
see answers 404, exactly like an unknown object (SPEC §1: ids cannot be probed), and is audited; an area
code that is not a DFJ area at all is a 422. Every pull is audited with the areas, periods and measures.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import NotAcceptable

from exchange import audit, clock, csv_out
from exchange.api import context
from exchange.api.blueprint import Blueprint
from exchange.api.protect import current_principal, requires
from exchange.db import db
from exchange.errors import PROBLEM_DOC, NotFound, ServiceUnavailable, ValidationFailed
from exchange.metrics import pack, publication, report
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.disclosure import HIDDEN, PUBLISHED, SUPPRESSED, WITHHELD
from exchange.metrics.measures import MEASURES, scopes
from exchange.metrics.periods import (
    MONTHS_IN,
    PERIOD_KINDS,
    format_month,
    month_of,
    parse_month,
    parse_quarter,
    periods_between,
)
from exchange.models import MetricPublication, Organisation
from schemas import error_codes as codes
from schemas.base import StrictSchema, bounded_string

bp = Blueprint(
    "metrics", __name__, url_prefix="/v1/metrics", description="Board metrics (disclosure-controlled)."
)
MAX_PERIODS = 60
CSV_TYPE, HTML_TYPE, PDF_TYPE = "text/csv", "text/html", "application/pdf"
#: seconds a caller is asked to wait before the first publication is made
RETRY_AFTER = 30


def _month(text: str) -> None:
    try:
        parse_month(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _quarter(text: str) -> None:
    try:
        parse_quarter(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _area(text: str) -> None:
    if text not in scopes(context.reference()):
        raise ValidationError("Not a DFJ area code (see /v1/metrics/areas) or 'national'.")


class MetricsQuery(StrictSchema):
    area = bounded_string(64, validate=_area)
    from_ = bounded_string(7, data_key="from", validate=_month)
    to = bounded_string(7, validate=_month)
    period = fields.String(load_default="quarter", validate=validate.OneOf(PERIOD_KINDS))
    measure = bounded_string(1000)

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        for name in (data.get("measure") or "").split(","):
            if name and name not in MEASURES:
                raise ValidationError("Not a measure (see the metrics documentation).", "measure")
        first, last = months_asked(data)
        if first > last:
            raise ValidationError("'from' must not be after 'to'.", "from")
        if (last - first) // MONTHS_IN[data["period"]] + 1 > MAX_PERIODS:
            raise ValidationError(f"At most {MAX_PERIODS} periods in one request.", "to")


class PackQuery(StrictSchema):
    area = bounded_string(64, required=True, validate=_area)
    quarter = bounded_string(6, required=True, validate=_quarter)


class CellSchema(Schema):
    """One disclosure-controlled cell (``exchange.metrics.report``); the CSV has the same columns."""

    measure = fields.String(required=True, metadata={"enum": sorted(MEASURES)})
    category = fields.String(required=True, allow_none=True)
    area = fields.String(required=True, metadata={"description": "A DFJ area code or 'national'."})
    period = fields.String(required=True)
    # a count, a rate or a band label, or HIDDEN where suppressed
    value = fields.Raw(required=True, metadata={"type": ["number", "string"]})
    numerator = fields.Raw(required=True, allow_none=True, metadata={"type": ["integer", "string"]})
    denominator = fields.Raw(required=True, allow_none=True, metadata={"type": ["integer", "string"]})
    status = fields.String(
        required=True,
        metadata={
            "enum": [PUBLISHED, SUPPRESSED, WITHHELD],
            "description": f"A suppressed or withheld figure reads '{HIDDEN}'.",
        },
    )


class CellsSchema(Schema):
    published_at = fields.DateTime(
        required=True, metadata={"description": "When the figures were published (UTC)."}
    )
    cells = fields.List(fields.Nested(CellSchema), required=True)


class AreaSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    board_area = fields.Boolean(required=True, metadata={"description": "Has its own local board."})


class AreaPageSchema(Schema):
    items = fields.List(fields.Nested(AreaSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={"description": "Always null."})


def months_asked(data: dict[str, Any]) -> tuple[int, int]:
    """The months asked for; by default the four quarters before this one."""
    this_quarter_start = month_of(clock.today()) // 3 * 3
    last = parse_month(data["to"]) if data.get("to") else this_quarter_start - 1
    first = parse_month(data["from_"]) if data.get("from_") else last - 11
    return first, last


def allowed_areas(org: Organisation, asked: str | None) -> list[str]:
    """The areas to answer: the one asked (if ``org`` may see it) or every one it may see, and national."""
    mine = report.visible_areas(org, context.reference())
    if asked is None:
        return [*mine, NATIONAL]
    if asked != NATIONAL and asked not in mine:
        raise NotFound(
            "There are no metrics for that area.",
            audit_action="metrics.foreign_area",
            resource_type="dfj_area",
            resource_ids=(asked,),
        )
    return [asked]


def _audit(action: str, areas: list[str], detail: dict[str, Any]) -> None:
    audit.record(action, "success", resource_type="dfj_area", resource_ids=areas, detail=detail)
    db.session.commit()


def covering_publication(first: int, last: int) -> MetricPublication:
    """The current publication, which must cover the months asked for (503 before the first one)."""
    state = publication.current(db.session)
    if state is None:
        raise ServiceUnavailable(
            "The board figures are being published for the first time; try again shortly.",
            retry_after=RETRY_AFTER,
        )
    if first < state.first_month or last > state.last_month:
        covered = f"{format_month(state.first_month)} to {format_month(state.last_month)}"
        raise ValidationFailed(
            f"The figures are published for {covered}.",
            errors=[{"pointer": "/from", "code": codes.NOT_PUBLISHED, "message": f"Within {covered}."}],
        )
    return state


def csv_text(rows: list[Any]) -> str:
    """The stored cells as CSV: the header and each row's stored CSV lines."""
    return next(csv_out.lines(report.COLUMNS, [])) + "".join(r.csv for r in rows)


def _answer(rows: list[Any], state: MetricPublication, as_csv: bool) -> Response:
    """The stored cells joined as they are: JSON ``{"published_at", "cells"}`` or CSV rows."""
    if as_csv:
        response = Response(csv_text(rows), mimetype=CSV_TYPE)
    else:
        stamp = publication.published_at(state)
        body = f'{{"published_at":"{stamp}","cells":[' + ",".join(r.json for r in rows) + "]}"
        response = Response(body, mimetype="application/json")
    response.last_modified = state.published_at
    return response


@bp.route("")
@bp.arguments(MetricsQuery, location="query", as_kwargs=True, unknown=RAISE)
# the lowest decorator's description of a status wins when flask-smorest merges their media types
@bp.alt_response(200, schema={"type": "string"}, content_type=CSV_TYPE, success=True)
@bp.response(200, CellsSchema, description="The cells as JSON, or as CSV with Accept: text/csv.")
@bp.alt_response(404, **PROBLEM_DOC, description="An area the caller may not see.")
@bp.alt_response(503, **PROBLEM_DOC, description="No publication yet; try again after Retry-After seconds.")
@requires("metrics:read")
def metrics(
    period: str, area: str | None = None, measure: str | None = None, **months: str
) -> ResponseReturnValue:
    """Disclosure-controlled cells ``{"published_at", "cells": [...]}``; CSV with ``Accept: text/csv``.

    The cells are read from the current publication (503 with ``Retry-After`` before the first one).
    By month, only national cells: an area's figures are published by quarter and by year.
    """
    areas = allowed_areas(current_principal().org, area)
    first, last = months_asked({"period": period, **months})
    periods = periods_between(period, first, last)  # type: ignore[arg-type]
    names = [m for m in (measure or "").split(",") if m] or list(MEASURES)
    state = covering_publication(periods[0].first_month, periods[-1].last_month)
    rows = publication.rows(db.session, periods, areas, names)
    as_csv = request.accept_mimetypes.best_match(["application/json", CSV_TYPE]) == CSV_TYPE
    _audit(
        "metrics.read",
        areas,
        {
            "period": period,
            "from": periods[0].label,
            "to": periods[-1].label,
            "measures": len(names),
            "format": "csv" if as_csv else "json",
        },
    )
    return _answer(rows, state, as_csv)


@bp.route("/areas")
@bp.response(200, AreaPageSchema)
@requires("metrics:read")
def areas() -> ResponseReturnValue:
    """The DFJ areas the caller may pull, and national: ``{"items": [...], "next_cursor": null}``."""
    reference = context.reference()
    names, board = reference.dfj_areas, reference.board_areas
    items = [
        {"code": code, "name": names[code], "board_area": code in board}
        for code in report.visible_areas(current_principal().org, reference)
    ]
    items.append({"code": NATIONAL, "name": "England and Wales", "board_area": False})
    _audit("metrics.areas", [i["code"] for i in items], {})
    return jsonify({"items": items, "next_cursor": None})


def pack_html(org: Organisation, area: str, quarter: str) -> str:
    """The pack of an area ``org`` may see (never national) for ``quarter``, from the publication, which
    must cover that quarter (earlier quarters before it are shown ``x``)."""
    if area == NATIONAL:
        raise NotFound("A pack is made for a DFJ area; national figures are in every pack.")
    allowed_areas(org, area)
    asked = parse_quarter(quarter)
    state = covering_publication(asked.first_month, asked.last_month)
    return pack.render_html(db.session, area, asked, context.reference(), state)


@bp.route("/pack")
@bp.arguments(PackQuery, location="query", as_kwargs=True, unknown=RAISE)
@bp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type=PDF_TYPE, success=True)
@bp.response(200, {"type": "string"}, content_type=HTML_TYPE, description="HTML, or PDF on request.")
@bp.alt_response(406, **PROBLEM_DOC, description="Neither text/html nor application/pdf is acceptable.")
@bp.alt_response(404, **PROBLEM_DOC, description="An area the caller may not see, or national.")
@bp.alt_response(503, **PROBLEM_DOC, description="No publication yet; try again after Retry-After seconds.")
@requires("metrics:read")
def performance_pack(area: str, quarter: str) -> ResponseReturnValue:
    """The quarterly performance pack: HTML (``Accept: text/html``, the default) or PDF."""
    wanted = (
        request.accept_mimetypes.best_match([HTML_TYPE, PDF_TYPE]) if request.accept_mimetypes else HTML_TYPE
    )
    if wanted is None:
        raise NotAcceptable("The pack is served as text/html or application/pdf.")
    html = pack_html(current_principal().org, area, quarter)
    _audit(
        "metrics.pack",
        [area, NATIONAL],
        {"quarter": quarter, "format": "pdf" if wanted == PDF_TYPE else "html"},
    )
    if wanted == PDF_TYPE:
        return Response(pack.render_pdf(html), mimetype=PDF_TYPE)
    return Response(html, mimetype=HTML_TYPE)
