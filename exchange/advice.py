"""Advice requests from a court to Cafcass: the request (``request_advice``: its Idempotency-Key, the date
and court rules, storing and routing it), the lifecycle, due dates in working days, routing, and the
outbox event every change writes in its own transaction.

Lifecycle (an action on a status it does not start from raises a ``DomainError`` conflict, 409)::

    received --route--> routed --acknowledge--> acknowledged --answer--> answered
                          |  \\__________________answer_____________________/^
                          |        (routed or acknowledged) --mark_overdue--> overdue --answer--^
                          +-- withdraw (from any open status) --> withdrawn

An overdue request may still be acknowledged (it stays overdue: the lateness is the fact that matters)
and answered. ``answered`` and ``withdrawn`` are final.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange import audit, clock, idempotency
from exchange.delivery import outbox
from exchange.errors import DomainError
from exchange.models import Advice, AdviceRequest, Case, Organisation
from exchange.reference import Reference
from exchange.working_days import HolidaysUnknown, add_working_days
from schemas import error_codes as codes
from schemas.advice import CaseDetails

OPEN_STATUSES = ("received", "routed", "acknowledged", "overdue")
SECTION_37 = "section_37_report"

#: action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "route": {"received": "routed"},
    "acknowledge": {"routed": "acknowledged", "overdue": "overdue"},
    "answer": {"routed": "answered", "acknowledged": "answered", "overdue": "answered"},
    "withdraw": {s: "withdrawn" for s in OPEN_STATUSES},
    "mark_overdue": {"routed": "overdue", "acknowledged": "overdue"},
}
EVENTS = {
    "route": "advice.requested",
    "acknowledge": "advice.acknowledged",
    "answer": "advice.answered",
    "withdraw": "advice.withdrawn",
    "mark_overdue": "advice.overdue",
}
PAST = {
    "route": "routed",
    "acknowledge": "acknowledged",
    "answer": "answered",
    "withdraw": "withdrawn",
    "mark_overdue": "marked overdue",
}
#: who is told of each action: the Cafcass side, the court side, or both
AUDIENCE = {
    "route": ("cafcass",),
    "acknowledge": ("court",),
    "answer": ("court",),
    "withdraw": ("cafcass",),
    "mark_overdue": ("cafcass", "court"),
}


class AdviceFault(DomainError):
    """A request the rules refuse (422): a stable ``code``, a message without personal data, a pointer."""


def due_date(
    advice_type: str, hearing_date: date | None, given: date | None, on: date, reference: Reference
) -> date:
    """When the advice is due: the court's date if it gave one, else the configured default for the type;
    never later than the type's ``weeks_at_most`` (a section 37 report: 8 weeks, s37(4)), and a given
    date beyond it is refused. Working days beyond the bank-holiday calendar are refused (422), naming
    its last year.

    A safeguarding letter is due the configured number of working days (3) before the first hearing; if
    that day has already passed the letter is due ``on`` the day of the request.
    """
    rule = reference.advice_due[advice_type]
    limit = on + timedelta(weeks=rule["weeks_at_most"]) if "weeks_at_most" in rule else None
    if given is not None:
        if limit is not None and given > limit:
            raise AdviceFault(
                codes.DUE_DATE_TOO_LATE,
                f"This report is due within {rule['weeks_at_most']} weeks of the request.",
                "/due_date",
            )
        return given
    holidays = reference.bank_holidays
    try:
        if "working_days_before_hearing" in rule:
            if hearing_date is None:
                raise AdviceFault(
                    codes.HEARING_DATE_REQUIRED,
                    "A safeguarding letter needs the first hearing's date or a due date.",
                    "/hearing_date",
                )
            return max(on, add_working_days(hearing_date, -rule["working_days_before_hearing"], holidays))
        due = add_working_days(on, rule["working_days_after_request"], holidays)
    except HolidaysUnknown:
        raise AdviceFault(
            codes.HOLIDAYS_NOT_KNOWN,
            f"Working days are known up to the end of {holidays.years[-1]}: give a due date.",
            "/hearing_date" if hearing_date is not None else "/due_date",
        ) from None
    return min(due, limit) if limit is not None else due


def recipient_for(
    session: Session, advice_type: str, court_code: str, la_code: str | None, reference: Reference
) -> str:
    """Who answers a request: for a section 37 report the applicant LA's organisation (the LA writes it,
    Children Act 1989 s37), else the Cafcass service of the child's LA (``routing.json``)."""
    if advice_type == SECTION_37:
        org_id = (
            session.scalar(
                select(Organisation.id)
                .where(Organisation.kind == "local_authority", Organisation.la_code == la_code)
                .order_by(Organisation.id)
                .limit(1)
            )
            if la_code
            else None
        )
        if org_id is None:
            raise AdviceFault(
                codes.SECTION_37_NO_LOCAL_AUTHORITY,
                "A section 37 report is written by the child's local authority: name one the exchange knows.",
                "/case/local_authority",
            )
        return org_id
    try:
        return reference.advice_recipient(court_code, la_code)
    except KeyError:
        raise AdviceFault(
            codes.CASE_COURT_UNKNOWN, "The court is not a known family court.", "/case/court"
        ) from None


def may_see(org: Organisation, request: AdviceRequest) -> bool:
    """Each side sees only its own: the requesting court, and the Cafcass service (or, for a section 37
    report, the local authority) it was routed to."""
    if org.kind == "court":
        return request.court_org_id == org.id
    if org.kind == "cafcass":
        return request.routed_to == org.service
    if org.kind == "local_authority":
        return request.routed_to == org.id
    return False


def visible_to(org: Organisation) -> ColumnElement[bool]:
    """``may_see`` as a filter of the requests ``org`` may list."""
    if org.kind == "court":
        return AdviceRequest.court_org_id == org.id
    if org.kind == "cafcass":
        return AdviceRequest.routed_to == org.service
    if org.kind == "local_authority":
        return AdviceRequest.routed_to == org.id
    return false()


def _audience(session: Session, request: AdviceRequest, action: str) -> list[str]:
    org_ids: list[str] = []
    if "cafcass" in AUDIENCE[action]:
        if request.type == SECTION_37:
            org_ids.append(request.routed_to)
        else:
            org_ids += session.scalars(
                select(Organisation.id).where(
                    Organisation.kind == "cafcass", Organisation.service == request.routed_to
                )
            ).all()
    if "court" in AUDIENCE[action]:
        org_ids.append(request.court_org_id)
    return org_ids


def _check(request: AdviceRequest, action: str) -> str:
    target = TRANSITIONS[action].get(request.status)
    if target is None or (action == "acknowledge" and request.acknowledged_at is not None):
        raise DomainError(
            codes.ADVICE_STATUS,
            f"An advice request that is {request.status} cannot be {PAST[action]}.",
            kind="conflict",
            audit_action=f"advice.{action}",
            resource_type="advice_request",
            resource_ids=(str(request.id),),
        )
    return target


def transition(session: Session, request: AdviceRequest, action: str, now: datetime | None = None) -> None:
    """Apply ``action`` or raise a conflict; write its outbox event in the same session."""
    request.status = _check(request, action)
    now = now or clock.now()
    request.updated_at = now
    stamp = {"acknowledge": "acknowledged_at", "mark_overdue": "overdue_at", "withdraw": "withdrawn_at"}
    if action in stamp:
        setattr(request, stamp[action], now)
    session.flush()
    outbox.enqueue(
        session,
        _audience(session, request, action),
        EVENTS[action],
        as_dict(request),
        [request.id, *([request.case_id] if request.case_id else [])],
    )


def answer(session: Session, request: AdviceRequest, advice: Advice) -> None:
    """Attach Cafcass's advice and move the request to ``answered`` (a conflict if it cannot be)."""
    _check(request, "answer")
    request.advice = advice
    transition(session, request, "answer", advice.answered_at)


def give_advice(
    session: Session, request: AdviceRequest, org_id: str, data: Mapping[str, Any], pdf: bytes | None
) -> Advice:
    """``org_id``'s advice (``data``: the loaded ``POST /v1/advice-requests/{id}/advice`` body, ``pdf`` its
    checked attachment) on ``request``, which it answers (a conflict if it cannot be); audited."""
    advice = Advice(
        request_id=request.id,
        answered_by_org_id=org_id,
        summary=data["summary"],
        recommendation=data.get("recommendation"),
        risk_identified=data["risk_identified"],
        recommended_next_hearing=data.get("recommended_next_hearing"),
        answered_at=clock.now(),
        attachment=pdf,
        attachment_size=len(pdf) if pdf is not None else None,
        attachment_sha256=hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
    )
    answer(session, request, advice)
    record(
        session, "answer", request, {"attachment": pdf is not None, "risk_identified": advice.risk_identified}
    )
    return advice


def open_request(
    session: Session, request: AdviceRequest, reference: Reference, la_code: str | None = None
) -> AdviceRequest:
    """Store a new request (status ``received``) and route it at once (``recipient_for``; ``la_code`` is
    the child's local authority when known)."""
    request.status = "received"
    request.routed_to = recipient_for(session, request.type, request.court, la_code, reference)
    session.add(request)
    session.flush()
    transition(session, request, "route")
    return request


def ask(
    session: Session,
    court_org_id: str,
    client_id: str,
    data: Mapping[str, Any],
    *,
    court: str,
    la_code: str | None = None,
    case_details: dict[str, Any] | None,
    body_sha256: str,
    idempotency_key: str | None = None,
    on: date,
    reference: Reference,
) -> AdviceRequest:
    """A court's new request (``data``: the loaded ``POST /v1/advice-requests`` body, about ``court`` and
    the child's LA ``la_code`` when known): its due date by ``reference``'s rules, stored and routed at once
    (``AdviceFault`` if the rules refuse it)."""
    now = clock.now()
    return open_request(
        session,
        AdviceRequest(
            court_org_id=court_org_id,
            client_id=client_id,
            idempotency_key=idempotency_key,
            body_sha256=body_sha256,
            case_id=data.get("case_id"),
            case_details=case_details,
            court=court,
            type=data["type"],
            question=data.get("question"),
            hearing_date=data.get("hearing_date"),
            due_date=due_date(data["type"], data.get("hearing_date"), data.get("due_date"), on, reference),
            urgent=data.get("urgent", False),
            created_at=now,
            updated_at=now,
        ),
        reference,
        la_code,
    )


def record(
    session: Session, action: str, request: AdviceRequest, detail: dict[str, Any] | None = None
) -> None:
    """Audit ``advice.{action}`` on ``request`` (and its case), by whoever acts in ``session``'s request."""
    audit.record(
        f"advice.{action}",
        "success",
        resource_type="advice_request",
        resource_ids=[request.id, *([request.case_id] if request.case_id else [])],
        detail=detail or {},
        session=session,
    )


def _earlier(session: Session, court_org_id: str, key: str, body_sha256: str) -> AdviceRequest | None:
    """The court's request made with ``key``, if any, audited as replayed (a 409 if its body differs)."""
    earlier = session.scalar(
        select(AdviceRequest).where(
            AdviceRequest.court_org_id == court_org_id, AdviceRequest.idempotency_key == key
        )
    )
    if earlier is None:
        return None
    idempotency.same_request(
        earlier.id,
        idempotency.fingerprint(earlier.body_sha256),
        idempotency.fingerprint(body_sha256),
        resource_type="advice_request",
        action="advice",
    )
    record(session, "request_replayed", earlier)
    session.commit()
    return earlier


def about(
    court: Organisation, data: Mapping[str, Any], find_case: Callable[[uuid.UUID], Case], on: date
) -> tuple[str, str | None, dict[str, Any] | None]:
    """What a court's request (the loaded ``POST /v1/advice-requests`` body) is about, once the rules allow
    it: the court's code, the child's LA when known, and the minimal details of a case not held here.

    The dates must not be before ``on``; a ``case_id`` is looked up by ``find_case`` (which refuses a case
    the caller may not see); the minimal ``case`` details must be at one of the court's courts.
    """
    for field in ("hearing_date", "due_date"):
        if field in data and data[field] < on:
            raise AdviceFault(codes.DATE_IN_PAST, "The date is in the past.", f"/{field}")
    if "case_id" in data:
        case = find_case(data["case_id"])
        return case.court, case.applicant_la, None
    details = CaseDetails().dump(data["case"])
    if details["court"] not in (court.court_codes or []):
        raise AdviceFault(codes.NOT_YOUR_COURT, "The case must be at one of your courts.", "/case/court")
    return details["court"], details.get("local_authority"), details


def request_advice(
    session: Session,
    court: Organisation,
    client_id: str,
    data: Mapping[str, Any],
    *,
    body_sha256: str,
    idempotency_key: str | None,
    reference: Reference,
    find_case: Callable[[uuid.UUID], Case],
) -> tuple[AdviceRequest, bool]:
    """A court's request for advice (``data``: the loaded ``POST /v1/advice-requests`` body), committed,
    and whether it is an earlier one answered again.

    A repeated ``idempotency_key`` with the same body gives the earlier request (with another body, a 409
    ``DomainError``), also when the same key is committed concurrently. Otherwise ``about`` checks what it is
    about, and the request is stored and routed.
    """
    key = idempotency_key
    if key and (earlier := _earlier(session, court.id, key, body_sha256)) is not None:
        return earlier, True
    today = clock.today()
    court_code, la_code, details = about(court, data, find_case, today)
    request = ask(
        session,
        court.id,
        client_id,
        data,
        court=court_code,
        la_code=la_code,
        case_details=details,
        body_sha256=body_sha256,
        idempotency_key=key,
        on=today,
        reference=reference,
    )
    record(session, "request", request, {"type": request.type, "routed_to": request.routed_to})
    try:
        session.commit()
    except IntegrityError:  # the same key, committed concurrently: answer as the retry it is
        session.rollback()
        earlier = _earlier(session, court.id, key, body_sha256) if key else None
        if earlier is None:
            raise
        return earlier, True
    return request, False


def mark_overdue(session: Session, on: date | None = None) -> list[uuid.UUID]:
    """Flag every open request whose due date has passed by ``on`` (today) and tell both sides."""
    on = on or clock.today()
    due = session.scalars(
        select(AdviceRequest)
        .where(AdviceRequest.status.in_(tuple(TRANSITIONS["mark_overdue"])), AdviceRequest.due_date < on)
        .order_by(AdviceRequest.due_date, AdviceRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    for request in due:
        transition(session, request, "mark_overdue")
        audit.record(
            "advice.overdue",
            "success",
            client_id="worker",
            org_id=request.court_org_id,
            resource_type="advice_request",
            resource_ids=[request.id, *([request.case_id] if request.case_id else [])],
            detail={"due_date": request.due_date.isoformat(), "type": request.type},
            session=session,
        )
    return [r.id for r in due]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def as_dict(request: AdviceRequest) -> dict[str, Any]:
    """The request as both sides see it (SPEC §2), with its advice once answered."""
    advice = request.advice
    return {
        "id": str(request.id),
        "case_id": str(request.case_id) if request.case_id else None,
        "case": request.case_details,
        "court": request.court,
        "type": request.type,
        "question": request.question,
        "hearing_date": _iso(request.hearing_date),
        "due_date": _iso(request.due_date),
        "urgent": request.urgent,
        "status": request.status,
        "routed_to": request.routed_to,
        "created_at": _iso(request.created_at),
        "updated_at": _iso(request.updated_at),
        "acknowledged_at": _iso(request.acknowledged_at),
        "advice": None
        if advice is None
        else {
            "request_id": str(request.id),
            "summary": advice.summary,
            "recommendation": advice.recommendation,
            "risk_identified": advice.risk_identified,
            "recommended_next_hearing": advice.recommended_next_hearing,
            "answered_at": _iso(advice.answered_at),
            "attachment": None
            if advice.attachment_sha256 is None
            else {
                "media_type": "application/pdf",
                "size": advice.attachment_size,
                "sha256": advice.attachment_sha256,
                "href": f"/v1/advice-requests/{request.id}/advice/attachment",
            },
        },
    }
