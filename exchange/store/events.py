"""Progression events applied to a case: each type's transition, and the ones that are not allowed.

``apply_event`` takes an event loaded by ``schemas.events.load_event`` and either saves the case's next
version (``store.cases.save``) or raises ``CaseFault`` for a transition the case's state forbids: any
event on a closed case, an event older than the case's latest, a hearing that is unknown or no longer
listed, a child that is not in the case, an outcome already recorded, a case issued twice, a transfer to
the court the case is at.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from exchange import clock
from exchange.models import Case
from exchange.reference import Reference
from exchange.store.cases import CLOSED_STATE, STATUTORY_TIMETABLE, CaseFault, save, transfer
from schemas import error_codes as codes
from schemas import rules
from schemas.base import Fault

OPEN_HEARING = frozenset({"listed", "adjourned"})
#: states before case management: listing a hearing moves the case on
EARLY_STATES = frozenset({None, "Open", "Submitted", "Gatekeeping", "GATEKEEPING_LISTING"})

Document = dict[str, Any]


def _iso(value: Any) -> str:
    return value.isoformat()


def _hearing(document: Document, hearing_id: uuid.UUID) -> Document:
    for hearing in document.get("hearings", []):
        if hearing["id"] == str(hearing_id):
            if hearing.get("status") not in OPEN_HEARING:
                raise CaseFault(codes.HEARING_NOT_LISTED, "The hearing is no longer listed.", "/hearing_id")
            return hearing
    raise CaseFault(codes.EVENT_UNKNOWN_HEARING, "The case has no hearing with this id.", "/hearing_id")


def _children(document: Document, child_ids: list[uuid.UUID], pointer: str) -> list[Document]:
    by_id = {child["id"]: child for child in document["children"]}
    missing = [c for c in child_ids if str(c) not in by_id]
    if missing:
        raise CaseFault(codes.EVENT_UNKNOWN_CHILD, "The case has no child with this id.", pointer)
    return [by_id[str(c)] for c in child_ids]


def _issued(document: Document, event: Document) -> None:
    if document.get("date_issued"):
        raise CaseFault(codes.ALREADY_ISSUED, "The case has been issued already.", "/type")
    document["date_issued"] = _iso(event["date_issued"])
    if event.get("court_case_number"):
        document["court_case_number"] = event["court_case_number"]
    if document.get("state") in EARLY_STATES:
        document["state"] = "Gatekeeping"
    for child in document["children"]:
        child.setdefault("timetable_deadline", _iso(event["date_issued"] + STATUTORY_TIMETABLE))


def _hearing_listed(document: Document, event: Document) -> None:
    hearing = {key: _iso(value) for key, value in event["hearing"].items() if key != "type"}
    document.setdefault("hearings", []).append(
        {"id": str(uuid.uuid4()), "type": event["hearing"]["type"], **hearing, "status": "listed"}
    )
    if event["hearing"]["type"] == "FINAL":
        document["state"] = "FINAL_HEARING"
    elif document.get("state") in EARLY_STATES:
        document["state"] = "PREPARE_FOR_HEARING"


def _hearing_held(document: Document, event: Document) -> None:
    _hearing(document, event["hearing_id"])["status"] = "held"


def _hearing_vacated(document: Document, event: Document) -> None:
    hearing = _hearing(document, event["hearing_id"])
    hearing["status"] = "vacated"
    hearing["cancellation_reason"] = event["cancellation_reason"]


def _order_made(document: Document, event: Document) -> None:
    order = event["order"]
    _children(document, order["child_ids"], "/order/child_ids")
    document.setdefault("orders_made", []).append(
        {
            "id": str(uuid.uuid4()),
            "type": order["type"],
            "child_ids": [str(c) for c in order["child_ids"]],
            "made_on": _iso(order["made_on"]),
            "interim": order["interim"],
        }
    )


def _timetable_extended(document: Document, event: Document) -> None:
    if not document.get("date_issued"):
        raise CaseFault(
            codes.NOT_ISSUED, "A timetable runs from issue: the case has not been issued.", "/type"
        )
    issued = date.fromisoformat(document["date_issued"])
    for child in _children(document, event["child_ids"], "/child_ids"):
        deadline = child.get("timetable_deadline")
        current = date.fromisoformat(deadline) if deadline else issued + STATUTORY_TIMETABLE
        child["timetable_deadline"] = _iso(current + timedelta(weeks=event["extension_weeks"]))
        child["extension_reason"] = event["extension_reason"]


def _outcome_recorded(document: Document, event: Document) -> None:
    (child,) = _children(document, [event["child_id"]], "/child_id")
    if child.get("outcome"):
        raise CaseFault(codes.OUTCOME_RECORDED, "The child's outcome has been recorded already.", "/child_id")
    child["outcome"] = event["outcome"]
    child["outcome_date"] = _iso(event["outcome_date"])


def _closed(document: Document, event: Document) -> None:
    document["state"] = CLOSED_STATE
    document["closed_date"] = _iso(event["closed_date"])


def _withdrawn(document: Document, event: Document) -> None:
    document["state"] = CLOSED_STATE
    document["closed_date"] = _iso(event["withdrawn_on"])
    for child in document["children"]:
        if not child.get("outcome"):
            child["outcome"] = "WITHDRAWN"
            child["outcome_date"] = _iso(event["withdrawn_on"])


def _transferred(document: Document, event: Document, reference: Reference) -> None:
    transfer(document, event["court"], event["on"], reference)


TRANSITIONS: dict[str, Callable[[Document, Document], None]] = {
    "case.issued": _issued,
    "hearing.listed": _hearing_listed,
    "hearing.held": _hearing_held,
    "hearing.vacated": _hearing_vacated,
    "order.made": _order_made,
    "timetable.extended": _timetable_extended,
    "child.outcome_recorded": _outcome_recorded,
    "case.closed": _closed,
    "case.withdrawn": _withdrawn,
}


class EventInvalid(Exception):
    """The event breaks a rule of ``schemas.rules.event_faults`` (a date in the future, before issue…)."""

    def __init__(self, faults: list[Fault]) -> None:
        super().__init__("event breaks a rule")
        self.faults = faults


def apply_event(session: Session, case: Case, event: Document, reference: Reference) -> bool:
    """Apply one loaded event; True if it made a new version. A court transfer is placed by ``reference``.

    Raises ``CaseFault`` for a transition the case's state forbids (checked first: a conflict), then
    ``EventInvalid`` for the event's own faults against the case.
    """
    if case.state == CLOSED_STATE:
        raise CaseFault(codes.CASE_CLOSED, "The case is closed: it takes no more events.", "/type")
    if case.last_event_at is not None and event["occurred_at"] < case.last_event_at:
        raise CaseFault(
            codes.EVENT_OUT_OF_ORDER, "The event is older than the case's latest event.", "/occurred_at"
        )
    document = copy.deepcopy(case.document)
    if event["type"] == "case.transferred":
        _transferred(document, event, reference)
    else:
        TRANSITIONS[event["type"]](document, event)
    faults = rules.event_faults(event, case.document, today=clock.today())
    if faults:
        raise EventInvalid(faults)
    return save(session, case, document, event["type"], reference.field_policy, event_at=event["occurred_at"])
