"""The pages of each kind of organisation, each on the same services as the API (no rule is copied here):

- a court asks for advice on one of its cases (``exchange.advice.request_advice``, the body checked by the
  API's own ``AdviceRequestIn``), sees the due date those rules give before sending, lists its requests
  and reads the answer;
- every object is found through the services' own ``may_see``/``visible_to``: anything else is a 404.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Any

from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from exchange import advice as lifecycle
from exchange import clock
from exchange.api import context
from exchange.db import db
from exchange.errors import DomainError, NotFound
from exchange.models import AdviceRequest, Case
from exchange.store import cases as case_store
from exchange.web import PageForm, blueprint, org, page, person
from schemas import code_lists
from schemas.advice import AdviceRequestIn

bp = blueprint("pages")
EVERY_KIND = ("local_authority", "court", "cafcass", "lfjb", "fjb")


def labels(name: str) -> dict[str, str]:
    return {entry["code"]: entry["label"] for entry in code_lists.get(name)}


@bp.get("/")
@page(EVERY_KIND)
def home() -> Any:
    if org().kind == "court":
        return redirect(url_for("pages.advice_requests"))
    return render_template("home.html")


def _request(request_id: uuid.UUID) -> AdviceRequest:
    found = db.session.get(AdviceRequest, request_id)
    if found is None or not lifecycle.may_see(org(), found):
        raise NotFound(
            "There is no advice request with that id.",
            audit_action="access.foreign_object" if found is not None else "access.unknown_object",
            resource_type="advice_request",
            resource_ids=(str(request_id),),
        )
    return found


def _case(case_id: uuid.UUID) -> Case:
    found = db.session.get(Case, case_id)
    if found is None or not case_store.may_see(org(), found):
        raise NotFound(
            "There is no case with that id.",
            audit_action="access.foreign_object" if found is not None else "access.unknown_object",
            resource_type="case",
            resource_ids=(str(case_id),),
        )
    return found


@bp.get("/advice-requests")
@page(("court",))
def advice_requests() -> Any:
    rows = db.session.scalars(
        select(AdviceRequest)
        .where(lifecycle.visible_to(org()))
        .order_by(AdviceRequest.created_at.desc(), AdviceRequest.id)
        .limit(200)
    ).all()
    return render_template(
        "court/requests.html",
        rows=rows,
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
    )


@bp.get("/advice-requests/<uuid:request_id>")
@page(("court",))
def advice_request(request_id: uuid.UUID) -> Any:
    return render_template(
        "court/request.html",
        item=_request(request_id),
        types=labels("advice_request_types"),
        statuses=labels("advice_request_statuses"),
    )


#: the form's fields, in the order of the page, and where the API's JSON pointer names each
FIELDS = {"case_id": "case_id", "type": "type", "question": "question", "hearing_date": "hearing_date"}


def _form_body(form: Any) -> dict[str, Any]:
    """The request body the API would receive, from the form (empty fields left out)."""
    body: dict[str, Any] = {}
    for name in ("case_id", "type", "question"):
        if value := (form.get(name) or "").strip():
            body[name] = value
    parts = [(form.get(f"hearing_date-{p}") or "").strip() for p in ("year", "month", "day")]
    if any(parts):
        try:
            body["hearing_date"] = date(*(int(p) for p in parts)).isoformat()
        except ValueError:
            body["hearing_date"] = "-".join(parts)  # refused by the schema, which names the field
    if form.get("urgent") == "yes":
        body["urgent"] = True
    return body


def _errors_of(error: ValidationError) -> dict[str, str]:
    messages = error.normalized_messages()
    found = {}
    for name, message in messages.items():
        text = message[0] if isinstance(message, list) else str(message)
        found[FIELDS.get(name, "type")] = {
            "case_id": "Select the case",
            "type": "Select what you are asking for",
            "hearing_date": "Enter a real date for the hearing",
        }.get(name, str(text))
    return found


def _check(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], date | None]:
    """The body loaded by the API's schema, the errors to show, and the due date the rules give."""
    # the API's other form, a private-law case's details instead of its id, is not offered here
    missing = {} if "case_id" in body else {"case_id": "Select the case"}
    try:
        data = AdviceRequestIn().load(body)
    except ValidationError as error:
        return {}, {**missing, **_errors_of(error)}, None
    if missing:
        return data, missing, None
    _case(data["case_id"])  # a case the court may not see is a 404, as in the API
    today = clock.today()
    if data.get("hearing_date") and data["hearing_date"] < today:
        return data, {"hearing_date": "The hearing date must be today or in the future"}, None
    try:
        due = lifecycle.due_date(data["type"], data.get("hearing_date"), None, today, context.reference())
    except lifecycle.AdviceFault as fault:
        field = fault.pointer.strip("/")
        return data, {field if field in FIELDS else "hearing_date": fault.message}, None
    return data, {}, due


def _court_cases() -> list[Case]:
    return list(
        db.session.scalars(
            select(Case).where(case_store.visible_to(org())).order_by(Case.reference).limit(500)
        )
    )


@bp.route("/advice-requests/new", methods=["GET", "POST"])
@page(("court",), role="editor")
def new_advice_request() -> Any:
    form = PageForm()
    errors: dict[str, str] = {}
    body = _form_body(request.form) if request.method == "POST" else {}
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
                    case=_case(data["case_id"]),
                    types=labels("advice_request_types"),
                    key=uuid.uuid4().hex,
                )
    return render_template(
        "court/new.html",
        form=form,
        errors=errors,
        body=body,
        cases=_court_cases(),
        types=labels("advice_request_types"),
    ), (400 if errors else 200)


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
        return render_template(
            "court/new.html",
            form=form,
            errors={"type": fault.message},
            body=body,
            cases=_court_cases(),
            types=labels("advice_request_types"),
        ), 400
    return redirect(url_for("pages.advice_request", request_id=made.id, sent=1))
