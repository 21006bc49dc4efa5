"""The pages of each kind of organisation, each on the same services as the API (no rule is copied here):

- a court asks for advice on one of its cases (``exchange.advice.request_advice``, the body checked by the
  API's own ``AdviceRequestIn``), sees the due date those rules give before sending, lists its requests
  and reads the answer;
- Cafcass sees its inbox (soonest due first, overdue flagged), acknowledges and answers (the API's
  ``AdviceIn`` checks the answer, ``exchange.advice`` moves the request on);
- a local authority uploads a case file or a CIN census return through the intake (``pipeline.submit``,
  as ``POST /v1/submissions``), watches its progress (the worker's staged records, the page refreshing
  itself), sees its receipt and every stored finding (the API's finding store and cursor, filtered by
  severity and rule; all of them as the API's CSV) and its history;
- a board reads its figures from the protected publication (``exchange.metrics.publication``, as
  ``GET /v1/metrics``): the period asked for is checked by the API's own ``MetricsQuery``, the areas by
  its ``allowed_areas`` (another area's figures are a 404), the CSV is the API's and the pack the API's;
- every object is found through the services' own ``may_see``/``visible_to``: anything else is a 404.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from functools import partial
from itertools import chain
from typing import Any
from urllib.parse import urlencode

from flask import Response, redirect, render_template, request, stream_with_context, url_for
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import select

from adapters import ssda903
from adapters.base import Position
from exchange import advice as lifecycle
from exchange import clock, csv_out, cursors, pipeline
from exchange.api import advice as advice_api
from exchange.api import context
from exchange.api import metrics as metrics_api
from exchange.api.access import shown_or_404
from exchange.api.advice import AdviceIn
from exchange.api.ops import large_body
from exchange.bodies import Body
from exchange.db import db
from exchange.errors import DomainError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from exchange.metrics import charts, pack, publication, relations, report
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.disclosure import HIDDEN, NOT_PUBLISHED
from exchange.metrics.measures import MEASURES
from exchange.metrics.periods import format_month, period_of, periods_between
from exchange.models import AdviceRequest, Case, Submission
from exchange.store import cases as case_store
from exchange.store import findings as finding_store
from exchange.store import submissions as submission_store
from exchange.web import PageForm, blueprint, org, page, person
from schemas import code_lists, error_codes
from schemas.advice import AdviceRequestIn

bp = blueprint("pages")
EVERY_KIND = ("local_authority", "court", "cafcass", "lfjb", "fjb")


def labels(name: str) -> dict[str, str]:
    return {entry["code"]: entry["label"] for entry in code_lists.get(name)}


#: each kind of organisation's first page
FIRST_PAGES = {
    "court": "pages.advice_requests",
    "cafcass": "pages.inbox",
    "local_authority": "pages.submissions",
    "lfjb": "pages.figures",
    "fjb": "pages.figures",
}


@bp.get("/")
@page(EVERY_KIND)
def home() -> Any:
    return redirect(url_for(FIRST_PAGES[org().kind]))


def _request(request_id: uuid.UUID) -> AdviceRequest:
    found = db.session.get(AdviceRequest, request_id)
    return shown_or_404("advice_request", request_id, found, lambda r: lifecycle.may_see(org(), r))


def _case(case_id: uuid.UUID) -> Case:
    found = db.session.get(Case, case_id)
    return shown_or_404("case", case_id, found, lambda c: case_store.may_see(org(), c))


@bp.get("/advice-requests")
@page(("court",))
def advice_requests() -> Any:
    rows = db.session.scalars(
        select(AdviceRequest)
        .where(lifecycle.visible_to(org()))
        .order_by(AdviceRequest.created_at.desc(), AdviceRequest.id)
        .limit(200)
    ).all()
    case_ids = sorted({r.case_id for r in rows if r.case_id})
    found = db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids)))
    references = {case_id: reference for case_id, reference in found}
    return render_template(
        "court/requests.html",
        rows=rows,
        references=references,
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
    )


@bp.get("/advice-requests/<uuid:request_id>")
@page(("court",))
def advice_request(request_id: uuid.UUID) -> Any:
    item = _request(request_id)
    return render_template(
        "court/request.html",
        item=item,
        details=described(item.case_details),
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
    )


#: what the form says when the API's schema refuses a field (by the field's id on the page)
MESSAGES = {
    "case_id": "Select the case",
    "type": "Select what you are asking for",
    "hearing_date": "Enter a real date for the hearing",
    "case-court": "Select the court",
    "case-application_type": "Select the application",
    "case-local_authority": "Select the child's local authority from the list",
    "case-children": "Enter the date of birth and sex of at least one child",
}
#: the rules' faults said for the page, by their code
FAULTS = {error_codes.DATE_IN_PAST: "The hearing date must be today or in the future"}
#: a case not in the exchange is a private-law one (the API's ``CaseDetails``)
DETAILS_LAW = "private"
MAX_CHILDREN = 20


def _date(form: Any, prefix: str) -> str | None:
    """A GOV.UK date input's day, month and year as an ISO date (as typed when it is no date: the schema
    refuses it and names the field), None when left empty."""
    parts = [(form.get(f"{prefix}-{p}") or "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return None
    try:
        return date(*(int(p) for p in parts)).isoformat()
    except ValueError:
        return "-".join(parts)


def _child_slots(form: Any) -> int:
    """How many children the form has room for (``children``: one, until "Add another child")."""
    asked = form.get("children", "")
    return min(max(int(asked) if asked.isdigit() else 1, 1), MAX_CHILDREN)


def _children(form: Any) -> list[dict[str, str]]:
    """The children of a case not in the exchange, each child left wholly empty left out."""
    found = []
    for i in range(_child_slots(form)):
        child = {
            "date_of_birth": _date(form, f"case-children-{i}-date_of_birth"),
            "sex": form.get(f"case-children-{i}-sex"),
        }
        if any(child.values()):
            found.append({k: v for k, v in child.items() if v})
    return found


def _form_body(form: Any) -> dict[str, Any]:
    """The request body the API would receive, from the form (empty fields left out): a case in the
    exchange by its id, or a private-law case's minimal details."""
    body: dict[str, Any] = {}
    if form.get("case_source") == "details":
        details = {"law": DETAILS_LAW, "children": _children(form)}
        for name in ("court", "application_type", "local_authority"):
            if value := (form.get(f"case-{name}") or "").strip():
                details[name] = value
        body["case"] = details
    for name in ("case_id", "type", "question"):
        if name == "case_id" and "case" in body:
            continue
        if value := (form.get(name) or "").strip():
            body[name] = value
    if hearing_date := _date(form, "hearing_date"):
        body["hearing_date"] = hearing_date
    if form.get("urgent") == "yes":
        body["urgent"] = True
    return body


def _field_ids(messages: dict[Any, Any], prefix: str = "") -> dict[str, str]:
    """The ids of the page's fields that the schema's (nested) messages name, each with its message."""
    found = {}
    for name, message in messages.items():
        field = f"{prefix}-{name}" if prefix else str(name)
        if isinstance(message, dict):
            found.update(_field_ids(message, field))
        elif field.endswith("-date_of_birth"):
            found[field] = f"Enter child {int(field.split('-')[2]) + 1}'s date of birth as a real date"
        elif field.endswith("-sex"):
            found[field] = f"Select child {int(field.split('-')[2]) + 1}'s sex"
        else:
            found[field if field in MESSAGES else "type"] = MESSAGES.get(field, str(message[0]))
    return found


def _fault_field(fault: DomainError) -> dict[str, str]:
    """A rule's fault, on the field its JSON pointer names (the hearing date when none on the page does)."""
    field = fault.pointer.strip("/").replace("/", "-")
    on_page = field if field in MESSAGES else "hearing_date" if field == "due_date" else "type"
    return {on_page: FAULTS.get(fault.code, fault.message)}


def _check(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], date | None]:
    """The body loaded by the API's schema, the errors to show, and the due date the rules give."""
    missing = {} if {"case_id", "case"} & set(body) else {"case_id": MESSAGES["case_id"]}
    try:
        data = AdviceRequestIn().load(body)
    except ValidationError as error:
        return {}, {**missing, **_field_ids(error.normalized_messages())}, None
    if missing:
        return data, missing, None
    today = clock.today()
    reference = context.reference()
    try:
        # a case the court may not see is a 404, as in the API
        court_code, la_code, _details = lifecycle.about(org(), data, _case, today)
        lifecycle.recipient_for(db.session(), data["type"], court_code, la_code, reference)
        due = lifecycle.due_date(data["type"], data.get("hearing_date"), None, today, reference)
    except lifecycle.AdviceFault as fault:
        return data, _fault_field(fault), None
    return data, {}, due


def _court_cases() -> list[Case]:
    return list(
        db.session.scalars(
            select(Case).where(case_store.visible_to(org())).order_by(Case.reference).limit(500)
        )
    )


def _date_items(value: str | None, failed: Any) -> list[dict[str, str]]:
    """A GOV.UK date input's day, month and year, with what was typed (an ISO date, or as typed)."""
    parts = (value or "").split("-")
    shown = dict(zip(("year", "month", "day"), parts, strict=True)) if len(parts) == 3 else {}
    error = " govuk-input--error" if failed else ""
    return [
        {"name": name, "classes": f"govuk-input--width-{width}{error}", "value": shown.get(name, "")}
        for name, width in (("day", 2), ("month", 2), ("year", 4))
    ]


def _new_form(form: PageForm, errors: dict[str, str], body: dict[str, Any], children: int) -> Any:
    reference = context.reference()
    anchors = {
        field: f"#{field}-day" if field.endswith("date_of_birth") or field == "hearing_date" else f"#{field}"
        for field in errors
    }
    return render_template(
        "court/new.html",
        form=form,
        errors=errors,
        anchors={**anchors, "form": "#case_source", "case-children": "#case-children-0-date_of_birth-day"},
        body=body,
        details=body.get("case") or {},
        children=max(children, len((body.get("case") or {}).get("children", ()))),
        cases=_court_cases(),
        types=labels("advice_request_types"),
        courts=[
            (code, reference.courts[code].name if code in reference.courts else code)
            for code in org().court_codes or []
        ],
        applications=[
            (e["code"], e["label"]) for e in code_lists.get("application_types") if e["law"] == DETAILS_LAW
        ],
        local_authorities=sorted(
            ((la.code, la.name) for la in reference.local_authorities.values()), key=lambda x: x[1]
        ),
        sexes=labels("sexes"),
        date_items=_date_items,
    ), (400 if errors else 200)


def described(details: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The summary rows of a case not in the exchange (the minimal details its request gave)."""
    if not details:
        return []
    reference = context.reference()
    court = reference.courts.get(details.get("court", ""))
    la = reference.local_authorities.get(details.get("local_authority") or "")
    sexes = labels("sexes")
    children = [
        f"Born {date.fromisoformat(c['date_of_birth']).strftime('%-d %B %Y')}, {sexes[c['sex']].lower()}"
        for c in details.get("children", ())
    ]
    return [
        {"key": {"text": "Case"}, "value": {"text": "A private-law case not in the exchange"}},
        {"key": {"text": "Court"}, "value": {"text": court.name if court else details.get("court")}},
        {
            "key": {"text": "Application"},
            "value": {"text": labels("application_types").get(details.get("application_type"), "")},
        },
        {"key": {"text": "Local authority"}, "value": {"text": la.name if la else "Not given"}},
        {"key": {"text": "Children"}, "value": {"text": "; ".join(children)}},
    ]


@bp.route("/advice-requests/new", methods=["GET", "POST"])
@page(("court",), role="editor")
def new_advice_request() -> Any:
    form = PageForm()
    errors: dict[str, str] = {}
    body = _form_body(request.form) if request.method == "POST" else {}
    children = _child_slots(request.form)
    if request.method == "POST" and request.form.get("add_child"):  # GOV.UK's "add another", without script
        return _new_form(form, {}, body, min(children + 1, MAX_CHILDREN))
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = {"form": "The form was out of date. Check your answers and continue again."}
        else:
            data, errors, due = _check(body)
            if not errors:
                return render_template(
                    "court/check.html",
                    form=form,
                    body=body,
                    body_json=json.dumps(body),
                    due=due,
                    case=_case(data["case_id"]) if "case_id" in data else None,
                    details=described(body.get("case")),
                    types=labels("advice_request_types"),
                    key=uuid.uuid4().hex,
                )
    return _new_form(form, errors, body, children)


@bp.post("/advice-requests/send")
@page(("court",), role="editor")
def send_advice_request() -> Any:
    form = PageForm()
    if not form.validate_on_submit():
        return redirect(url_for("pages.new_advice_request"))
    raw = request.form.get("body", "{}")
    try:
        body = json.loads(raw)
        data = AdviceRequestIn().load(body)
    except (ValueError, ValidationError):
        return redirect(url_for("pages.new_advice_request"))
    key = (request.form.get("key") or "")[:64] or None
    try:
        made, _replayed = lifecycle.request_advice(
            db.session(),
            org(),
            f"web:{person().id}",
            data,
            body_sha256=hashlib.sha256(raw.encode()).hexdigest(),
            idempotency_key=key,
            reference=context.reference(),
            find_case=_case,
        )
    except DomainError as fault:
        db.session.rollback()
        return _new_form(form, _fault_field(fault), body, 1)
    return redirect(url_for("pages.advice_request", request_id=made.id, sent=1))


# --- Cafcass: the inbox of advice requests routed to the service ---------------------------------------


@bp.get("/inbox")
@page(("cafcass",))
def inbox() -> Any:
    """The service's requests, open ones first and the soonest due first; overdue ones flagged."""
    rows = db.session.scalars(
        select(AdviceRequest)
        .where(lifecycle.visible_to(org()))
        .order_by(
            AdviceRequest.status.in_(lifecycle.OPEN_STATUSES).desc(), AdviceRequest.due_date, AdviceRequest.id
        )
        .limit(200)
    ).all()
    return render_template(
        "cafcass/inbox.html",
        rows=rows,
        today=clock.today(),
        open_statuses=lifecycle.OPEN_STATUSES,
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
    )


def _inbox_page(item: AdviceRequest, form: PageForm, errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "cafcass/request.html",
        item=item,
        details=described(item.case_details),
        form=form,
        errors=errors,
        values=request.form,
        today=clock.today(),
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
        attachment_mb=_attachment_mb(),
    ), status


def _attachment_mb() -> str:
    return f"{advice_api.attachment_limit() / (1024 * 1024):g}"


@bp.get("/inbox/<uuid:request_id>")
@page(("cafcass",))
def inbox_request(request_id: uuid.UUID) -> Any:
    return _inbox_page(_request(request_id), PageForm(), {})


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    """A value of the case as the page says it."""
    if value is None:
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "None"
    if isinstance(value, dict):
        return ", ".join(_text(v) for v in value.values() if v is not None) or "None"
    return str(value)


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _rows(fields: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"key": {"text": _label(name)}, "value": {"text": _text(value)}}
        for name, value in fields.items()
        if not _records(value)
    ]


@bp.get("/cases/<uuid:case_id>")
@page(("cafcass",))
def case(case_id: uuid.UUID) -> Any:
    """A case as ``GET /v1/cases/{id}`` gives it to Cafcass: the field policy's view (``cases.view``), every
    field it passes and nothing else; a case routed to another service is a 404, audited."""
    shown = case_store.view(_case(case_id).document, org(), context.reference().field_policy)
    lists = [
        (_label(name), [_rows(item) for item in value]) for name, value in shown.items() if _records(value)
    ]
    return render_template("cafcass/case.html", case_id=case_id, rows=_rows(shown), lists=lists)


@bp.post("/inbox/<uuid:request_id>/acknowledge")
@page(("cafcass",), role="editor")
def acknowledge(request_id: uuid.UUID) -> Any:
    item = _request(request_id)
    form = PageForm()
    if not form.validate_on_submit():
        return _inbox_page(item, form, {"form": "The form was out of date. Try again."}, 400)
    try:
        lifecycle.transition(db.session, item, "acknowledge")
    except DomainError as refused:
        db.session.rollback()
        return _inbox_page(_request(request_id), form, {"form": refused.message}, 409)
    lifecycle.record(db.session(), "acknowledge", item)
    db.session.commit()
    return redirect(url_for("pages.inbox_request", request_id=item.id))


#: what the answer form says when the API's check of its attachment refuses the file
ATTACHMENT_REFUSED = {
    PayloadTooLarge: "The file must be smaller than {mb} MB",
    UnsupportedMediaType: "The file must be a PDF",
}


def _pdf() -> bytes | None:
    """The answer form's PDF, if one was chosen, checked as the API checks it (``checked_pdf``)."""
    file = request.files.get("attachment")
    if file is None or not file.filename:
        return None
    return advice_api.checked_pdf(file.stream.read(advice_api.attachment_limit() + 1))


@bp.post("/inbox/<uuid:request_id>/answer")
@page(("cafcass",), role="editor")
def answer(request_id: uuid.UUID) -> Any:
    """The advice, checked by the API's own ``AdviceIn`` and its PDF by the API's own ``checked_pdf``."""
    item = _request(request_id)
    form = PageForm()
    if not form.validate_on_submit():
        return _inbox_page(item, form, {"form": "The form was out of date. Try again."}, 400)
    body: dict[str, Any] = {
        name: value for name in ("summary", "recommendation") if (value := request.form.get(name, "").strip())
    }
    if request.form.get("risk_identified") in ("yes", "no"):
        body["risk_identified"] = request.form["risk_identified"] == "yes"
    errors: dict[str, str] = {}
    try:
        data = AdviceIn().load(body)
    except ValidationError as error:
        messages = {"summary": "Enter the advice", "risk_identified": "Say whether a risk was identified"}
        errors = {name: messages.get(name, "Check this answer") for name in error.normalized_messages()}
    try:
        pdf = _pdf()
    except (PayloadTooLarge, UnsupportedMediaType) as refused:
        errors["attachment"] = ATTACHMENT_REFUSED[type(refused)].format(mb=_attachment_mb())
    if errors:
        return _inbox_page(item, form, errors, 400)
    try:
        lifecycle.give_advice(db.session(), item, org().id, data, pdf)
    except DomainError as refused:
        db.session.rollback()
        return _inbox_page(_request(request_id), form, {"form": refused.message}, 409)
    db.session.commit()
    return redirect(url_for("pages.inbox_request", request_id=item.id))


@bp.get("/advice-requests/<uuid:request_id>/advice.pdf")
@page(("court", "cafcass"))
def advice_pdf(request_id: uuid.UUID) -> Any:
    """The advice's PDF, to either side of the request (as the API's GET .../advice/attachment)."""
    item = _request(request_id)
    if item.advice is None or item.advice.attachment_sha256 is None:
        shown_or_404("advice_attachment", request_id, None, lambda _: False)
    lifecycle.record(db.session(), "attachment_read", item)
    return Response(
        item.advice.attachment,
        mimetype=advice_api.PDF_TYPE,
        headers={"Content-Disposition": f'attachment; filename="advice-{item.id}.pdf"'},
    )


# --- Local authority: upload, the receipt and its findings, the history ---------------------------------

#: what an LA uploads from the page, and how the intake reads it: the API's Content-Type (None: told from
#: the file's first bytes, a zip of tables, XML or CSV, by ``ssda903.media_type_of``) and profile
UPLOADS = {
    "case_file": ("application/json", None, "A case file (JSON, the exchange's canonical cases)"),
    "cin_census": ("application/xml", "cin-census", "A CIN census return (XML)"),
    "ssda903": (None, "ssda903", "An SSDA903 return (a zip of its CSV tables, one CSV table, or XML)"),
}
#: the faults of a rejected file the upload page's error summary lists (its receipt lists them all)
REFUSALS_SHOWN = 10


#: a finding's severities as the receipt's filter names them
SEVERITIES = {"error": "Errors", "query": "Queries"}
#: the findings the receipt lists at a time
FINDINGS_ROWS = 50
#: seconds between the progress page's own refreshes (``<meta http-equiv="refresh">``, no script)
PROGRESS_REFRESH = 5


def _submission(submission_id: uuid.UUID) -> Submission:
    found = submission_store.get(db.session(), submission_id)
    return shown_or_404("submission", submission_id, found, lambda s: s.org_id == org().id)


def _years() -> dict[str, tuple[int, ...]]:
    """The collection years each kind of upload may name (the years its adapter has rules for)."""
    reference = context.reference()
    return {
        kind: pipeline.select_adapter(media_type or "text/csv", profile, reference).collection_years
        for kind, (media_type, profile, _label) in UPLOADS.items()
    }


def _history(form: PageForm, errors: dict[str, str], rejected: Submission | None = None) -> str:
    """The upload form (as it was sent, when refused: the kind and year chosen kept; a ``rejected`` file's
    faults in the error summary, with a link to its receipt) and the history."""
    rows = db.session.scalars(
        select(Submission)
        .where(Submission.org_id == org().id)
        .order_by(Submission.received_at.desc(), Submission.id)
        .limit(100)
    ).all()
    return render_template(
        "la/submissions.html",
        rows=rows,
        form=form,
        uploads=UPLOADS,
        collection_years=sorted({year for years in _years().values() for year in years}),
        values=request.form,
        errors=errors,
        rejected=rejected,
    )


def _where(position: dict[str, Any] | None) -> str:
    """A fault's or finding's position as the adapters say it: its JSON pointer, its (table's) row and
    column, or its line and xpath."""
    return str(Position(**(position or {})))


def _return_rows(made: Submission) -> list[dict[str, Any]]:
    """The receipt's rows for a statutory return read with a collection year: the year, and links to the
    submissions it was checked against (last year's return) and with (this year's tables sent earlier)."""
    if made.collection_year is None:
        return []
    link = Markup('<a class="govuk-link" href="{}">{}</a>').format
    last_year = [
        link(url_for(".submission", submission_id=given), f"submission {number}")
        for number, given in enumerate(made.previous_submissions or [], start=1)
    ]
    tables = [
        link(url_for(".submission", submission_id=given), table)
        for table, given in sorted((made.same_year_tables or {}).items())
    ]
    rows = [
        {
            "key": {"text": "Collection year"},
            "value": {"text": f"{made.collection_year - 1} to {made.collection_year}"},
        }
    ]
    if made.previous_submissions is not None:
        said = (
            Markup(", ").join(last_year)
            if last_year
            else "None found: the rules comparing with it were not run"
        )
        rows.append({"key": {"text": "Checked against last year's return"}, "value": {"html": said}})
    if made.same_year_tables is not None:
        said = Markup(", ").join(tables) if tables else "None"
        rows.append(
            {"key": {"text": "Checked with this year's tables sent earlier"}, "value": {"html": said}}
        )
    return rows


def _refusals(made: Submission) -> dict[str, str]:
    """A rejected file's faults (the API's 422 problem's ``errors``) as the error summary says them, each
    on the file field: the first ``REFUSALS_SHOWN``, where in the file, and how many more the receipt has."""
    faults = made.report or []
    said = [
        (f"{where}: " if (where := _where(fault.get("position"))) else "") + fault.get("message", "")
        for fault in faults[:REFUSALS_SHOWN]
    ]
    errors = {"file": "The file was rejected: no record was stored"}
    errors.update((f"file-{n}", text[:1].upper() + text[1:]) for n, text in enumerate(said, start=1))
    if len(faults) > REFUSALS_SHOWN:
        errors["file-more"] = f"{len(faults) - REFUSALS_SHOWN} more faults are on the file's receipt"
    return errors


@bp.get("/submissions")
@page(("local_authority",))
def submissions() -> Any:
    return _history(PageForm(), {})


@bp.post("/submissions")
@page(("local_authority",), role="editor")
@large_body
def upload() -> Any:
    """The file goes through the intake exactly as ``POST /v1/submissions`` would take it."""
    form = PageForm()
    kind = request.form.get("kind", "")
    year = request.form.get("collection_year", "")
    file = request.files.get("file")
    errors = {}
    if not form.validate_on_submit():
        errors["file"] = "The form was out of date. Choose the file again."
    elif kind not in UPLOADS:
        errors["kind"] = "Select what the file is"
    elif year and not (years := _years()[kind]):
        errors["collection_year"] = "Leave the collection year empty: only an SSDA903 return names one"
    elif year and year not in map(str, years):
        errors["collection_year"] = "Select a collection year from the list"
    elif file is None or not file.filename:
        errors["file"] = "Choose a file to upload"
    if errors:
        return _history(form, errors), 400
    media_type, profile, _label = UPLOADS[kind]
    chunks = iter(lambda: file.stream.read(64 * 1024), b"")  # type: ignore[union-attr]
    first = next(chunks, b"")
    with Body.spool(chain([first], chunks), request.max_content_length) as body:
        made = pipeline.submit(
            org(),
            f"web:{person().id}",
            body,
            media_type or ssda903.media_type_of(first),
            profile,
            session=db.session(),
            settings=context.settings(),
            collection_year=int(year) if year else None,
        )
    if made.answer_status == 422:  # refused whole, or every record: the API's 422 problem
        return _history(form, _refusals(made), rejected=made), 422
    return redirect(url_for("pages.submission", submission_id=made.id))


@bp.get("/submissions/<uuid:submission_id>")
@page(("local_authority",))
def submission(submission_id: uuid.UUID) -> Any:
    """The progress while the worker reads the file (the page refreshes itself), then the receipt: the
    rejected records and every stored finding, a page at a time on the API's cursor, by severity and rule."""
    found = _submission(submission_id)
    session = db.session()
    if found.status == "processing":
        staged = submission_store.staged_count(session, found.id)
        return render_template("la/progress.html", item=found, staged=staged, refresh=PROGRESS_REFRESH)
    rule_codes = finding_store.codes(session, found.id)
    severity, code, errors = _finding_filter(rule_codes)
    shown: dict[str, Any] = {"rows": [], "previous": None, "next": None}
    if not errors:
        try:
            shown = _findings_page(found.id, severity, code)
        except DomainError:
            errors["findings"] = "That page of findings does not exist: start again from the first page"
    return render_template(
        "la/submission.html",
        item=found,
        return_rows=_return_rows(found),
        severity=severity,
        code=code,
        severities=SEVERITIES,
        rule_codes=rule_codes,
        errors=errors,
        where=_where,
        **shown,
    ), (400 if errors else 200)


def _finding_filter(rule_codes: list[str]) -> tuple[str, str, dict[str, str]]:
    """The request's severity and rule filter over a submission's findings, and what is wrong with it."""
    severity, code = request.args.get("severity", ""), request.args.get("code", "")
    errors = {}
    if severity and severity not in SEVERITIES:
        errors["severity"] = "Select errors, queries or every severity"
    if code and code not in rule_codes:
        errors["code"] = "Select a rule that this submission's findings break"
    return severity, code, errors


def _findings_page(submission_id: uuid.UUID, severity: str, code: str) -> dict[str, Any]:
    """The findings after the API's ``cursor`` (the first ones without), or the page before ``before``; the
    links to the pages either side, keeping the filter."""
    filters = {"severity": severity or None, "code": code or None}
    session = db.session()
    if "before" in request.args:
        before = cursors.decode("findings-before", request.args["before"], cursors.count)[0]
        rows, earlier = finding_store.page(session, submission_id, FINDINGS_ROWS, 0, before=before, **filters)
        later = bool(rows)
    else:
        cursor = request.args.get("cursor")
        after = cursors.decode("findings", cursor, cursors.count)[0] if cursor is not None else 0
        rows, later = finding_store.page(session, submission_id, FINDINGS_ROWS, after, **filters)
        earlier = after > 0 and bool(rows)
    kept = {name: value for name, value in (("severity", severity), ("code", code)) if value}

    def link(name: str, kind: str, seq: int) -> str:
        return "?" + urlencode({**kept, name: cursors.encode(kind, seq)})

    return {
        "rows": [finding_store.view(row) for row in rows],
        "previous": link("before", "findings-before", rows[0].seq) if earlier else None,
        "next": link("cursor", "findings", rows[-1].seq) if later else None,
    }


@bp.get("/submissions/<uuid:submission_id>/findings.csv")
@page(("local_authority",))
def findings_csv(submission_id: uuid.UUID) -> Any:
    """The findings the receipt shows (its severity and rule filter kept) as the API's CSV; a filter the
    receipt would refuse goes back to the receipt, which says what is wrong."""
    found = _submission(submission_id)
    session = db.session()
    severity, code, errors = _finding_filter(finding_store.codes(session, found.id))
    if errors:
        return redirect(url_for("pages.submission", submission_id=found.id, severity=severity, code=code))
    rows = finding_store.csv_rows(session, found.id, severity=severity or None, code=code or None)
    return Response(
        stream_with_context(csv_out.lines(finding_store.COLUMNS, rows)),
        mimetype=csv_out.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="findings-{found.id}.csv"'},
    )


# --- Boards: the area's figures from the protected publication -----------------------------------------

BOARDS = ("lfjb", "fjb")
#: the measures drawn as trends (the area's line and the national one), with the unit of their axis
TRENDS = (
    ("care_mean_weeks", "Weeks", None),
    ("care_pct_within_26_weeks", "Per cent", 100),
    ("advice_on_time_pct", "Per cent", 100),
)
#: the period picker's fields (each also the id the error summary links to)
PICKER = ("area", "period", "from", "to")
#: the API's messages said for the page (a month that is no month is said per field below)
PICKER_MESSAGES = {
    "'from' must not be after 'to'.": "The first month must not be after the last month",
    f"At most {metrics_api.MAX_PERIODS} periods in one request.": (
        f"Choose at most {metrics_api.MAX_PERIODS} months, quarters or years"
    ),
}


def _picker_errors(error: ValidationError) -> dict[str, str]:
    found = {}
    for name, message in error.normalized_messages().items():
        text = message[0] if isinstance(message, list) else str(message)
        if name == "area":
            text = "Select an area"
        elif name == "period":
            text = "Select months, quarters or years"
        elif text.startswith("expected a month"):
            text = (
                f"Enter the {'first' if name == 'from' else 'last'} month as a year and month, like 2025-01"
            )
        found[name if name in PICKER else "period"] = PICKER_MESSAGES.get(text, text)
    return found


def _category(name: str | None) -> str:
    if name is None:
        return ""
    return pack.BAND_LABELS.get(name) or pack.AGENCY_LABELS.get(name) or name.replace("_", " ").capitalize()


def _board_query() -> tuple[dict[str, Any], dict[str, str]]:
    """The period picker's answer, checked by the API's ``MetricsQuery``; the area by default: national
    for the national board, its own for a local one."""
    asked = {k: v.strip() for k in PICKER if (v := request.args.get(k, "")).strip()}
    try:
        query = metrics_api.MetricsQuery().load(asked)
    except ValidationError as error:
        return asked, _picker_errors(error)
    mine = report.visible_areas(org(), context.reference())
    query.setdefault("area", NATIONAL if org().kind == "fjb" or not mine else mine[0])
    return query, {}


def _areas_offered() -> list[tuple[str, str]]:
    names = context.reference().dfj_areas
    mine = [(code, names.get(code, code)) for code in report.visible_areas(org(), context.reference())]
    return [(NATIONAL, pack.NATIONAL_NAME), *mine] if org().kind == "fjb" else mine


def _board_figures(query: dict[str, Any]) -> dict[str, Any]:
    """The cells of the area and national over the periods asked, as the page shows them."""
    area = query["area"]
    metrics_api.allowed_areas(org(), area)  # another area's figures: a 404, audited
    first, last = metrics_api.months_asked(query)
    periods = periods_between(query["period"], first, last)
    state = metrics_api.covering_publication(periods[0].first_month, periods[-1].last_month)
    scopes = [area] if area == NATIONAL else [area, NATIONAL]
    names = {**context.reference().dfj_areas, NATIONAL: pack.NATIONAL_NAME}
    labels = [p.label for p in periods]
    by_key = {
        (c["measure"], c["category"], c["area"], c["period"]): c["value"]
        for c in publication.cells(db.session, periods, scopes)
    }

    def value(measure: str, category: str | None, scope: str, label: str) -> Any:
        """The published value; an area's month is not published (``x``), every other cell is."""
        if relations.coarsened(scope, periods[0]):  # the periods are of one kind
            return NOT_PUBLISHED
        return by_key[measure, category, scope, label]

    rows = []
    for measure, definition in MEASURES.items():
        for category in definition.categories or (None,):
            for scope in scopes:
                values = [value(measure, category, scope, label) for label in labels]
                rows.append(
                    {
                        "id": f"{measure}-{category or 'all'}-{scope}",
                        "title": definition.title + (f": {_category(category)}" if category else ""),
                        "scope": names.get(scope, scope),
                        "values": [pack.shown(measure, v) for v in values],
                    }
                )

    def series(measure: str) -> list[tuple[str, list[Any]]]:
        return [
            (names.get(s, s), [pack.number(value(measure, None, s, label)) for label in labels])
            for s in scopes
        ]

    trends = [
        {
            "measure": measure,
            "title": MEASURES[measure].title,
            "chart": charts.trend(
                f"trend-{measure}",
                f"{MEASURES[measure].title}, {' and '.join(names.get(s, s) for s in scopes)}",
                labels,
                series(measure),
                partial(pack.shown, measure),
                unit,
                limit=limit,
            ),
        }
        for measure, unit, limit in TRENDS
    ]
    latest = labels[-1]
    band = charts.duration_band(
        "duration-band",
        f"Mean duration in {latest} against the Cafcass bands",
        [(names.get(s, s), pack.number(value("care_mean_weeks", None, s, latest))) for s in scopes],
        partial(pack.shown, "care_mean_weeks"),
    )
    quarter = period_of("quarter", periods[-1].last_month)
    if quarter.last_month > periods[-1].last_month:
        quarter = quarter.shifted(-1)  # the pack is of a whole quarter
    return {
        "values": {
            "area": area,
            "period": query["period"],
            "from": format_month(first),
            "to": format_month(last),
        },
        "area_name": names.get(area, area),
        "labels": labels,
        "rows": rows,
        "trends": trends,
        "band": band,
        "latest": latest,
        "published_at": pack.stamp(state.published_at),
        "pack_quarter": quarter.label if area != NATIONAL else None,
    }


@bp.get("/figures")
@page(BOARDS)
def figures() -> Any:
    """The dashboard: trend charts, the duration band, every measure per period, the downloads."""
    query, errors = _board_query()
    shown: dict[str, Any] = {}
    if not errors:
        try:
            shown = _board_figures(query)
        except ValidationFailed as outside:  # months the publication does not cover
            errors = {"from": outside.detail}
    return render_template(
        "board/figures.html",
        values=shown.get("values") or query,
        errors=errors,
        areas=_areas_offered(),
        kinds={"month": "Months", "quarter": "Quarters", "year": "Years"},
        shown=shown,
        download=urlencode(shown["values"]) if shown else "",
        hidden=HIDDEN,
        not_published=NOT_PUBLISHED,
    ), (400 if errors else 200)


@bp.get("/figures.csv")
@page(BOARDS)
def figures_csv() -> Any:
    """The area's and national cells as the API's CSV (``GET /v1/metrics`` with ``Accept: text/csv``)."""
    query, errors = _board_query()
    if errors:
        return redirect(url_for("pages.figures", **request.args))
    area = query["area"]
    metrics_api.allowed_areas(org(), area)
    first, last = metrics_api.months_asked(query)
    periods = periods_between(query["period"], first, last)
    metrics_api.covering_publication(periods[0].first_month, periods[-1].last_month)
    scopes = [area] if area == NATIONAL else [area, NATIONAL]
    return Response(
        metrics_api.csv_text(publication.rows(db.session, periods, scopes)),
        mimetype=metrics_api.CSV_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="figures-{area}-{periods[0]}-{periods[-1]}.csv"'
        },
    )


@bp.get("/figures/pack")
@page(BOARDS)
def figures_pack() -> Any:
    """The API's quarterly pack of an area the board may see (never national), as HTML or PDF."""
    try:
        asked = metrics_api.PackQuery().load({k: request.args.get(k, "") for k in ("area", "quarter")})
    except ValidationError:
        return redirect(url_for("pages.figures"))
    area, quarter = asked["area"], asked["quarter"]
    html = metrics_api.pack_html(org(), area, quarter)
    as_pdf = request.args.get("format") == "pdf"
    name = f"pack-{area}-{quarter}.{'pdf' if as_pdf else 'html'}"
    return Response(
        pack.render_pdf(html) if as_pdf else html,
        mimetype=metrics_api.PDF_TYPE if as_pdf else metrics_api.HTML_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
