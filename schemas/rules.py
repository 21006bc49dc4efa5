"""Business rules on a canonical case and on progression events, each with a stable code and message.

The rules run after the schema has loaded the record (so every field has its type and every code is on
its list); they look across fields and at reference data. Rules that need the database (the submitting
LA is the applicant LA, a partner reference already used by another submission, an event's effect on
the stored case) are the pipeline's.

Rule codes are lower case, dotted ``<subject>.<fault>`` (``hearing.before_issue``). Where a DfE validation
rule exists, the code is ``cin.<DfE rule id>`` (``cin.1510``: UPN check letter), so it can be looked up in
the DfE catalogue; ``upn.length`` has no DfE id (the census XSD enforces it). A code and its message never
change meaning; a new rule gets a new code.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from schemas import code_lists
from schemas import error_codes as codes
from schemas.base import Fault
from schemas.case import S31_AGE_LIMIT, S31_ORDERS
from schemas.upn import upn_faults

__all__ = ["Fault", "case_faults", "event_faults"]


def case_faults(case: Mapping[str, Any], *, today: date, courts: Collection[str]) -> list[Fault]:
    """Every rule ``case`` breaks, in field order; pointers are relative to the case (``/children/0/upn``).

    ``case`` is a submitted case as ``CaseInputSchema`` loads it (orders name children by
    ``la_child_id``); dates may be ``date`` objects or ISO strings. ``courts`` holds the known FamilyMan
    court codes (the reference data's ``courts``).
    """
    faults: list[Fault] = []
    issued = _date(case.get("date_issued"))
    received = _date(case.get("date_received"))

    if case["applicant_la"] not in code_lists.codes("la_codes"):
        faults.append(
            Fault("/applicant_la", codes.CASE_APPLICANT_LA_UNKNOWN, "The applicant LA code is not known.")
        )
    application_law = {e["code"]: e["law"] for e in code_lists.get("application_types")}
    if application_law.get(case["application_type"], case["law"]) != case["law"]:
        faults.append(
            Fault(
                "/application_type",
                codes.CASE_APPLICATION_TYPE_LAW,
                "The application type is not for this law.",
            )
        )
    for name in ("court", "transferred_from"):
        if case.get(name) is not None and case[name] not in courts:
            faults.append(
                Fault(f"/{name}", codes.CASE_COURT_UNKNOWN, "The court code is not a known family court.")
            )
    for name in ("date_received", "date_issued", "closed_date", "transferred_on"):
        value = _date(case.get(name))
        if value is not None and value > today:
            faults.append(Fault(f"/{name}", codes.CASE_DATE_IN_FUTURE, "The date is in the future."))
    if issued is not None and received is not None and issued < received:
        faults.append(
            Fault(
                "/date_issued",
                codes.CASE_ISSUED_BEFORE_RECEIVED,
                "The case was issued before it was received.",
            )
        )
    closed = _date(case.get("closed_date"))
    if closed is not None and issued is not None and closed < issued:
        faults.append(
            Fault("/closed_date", codes.CASE_CLOSED_BEFORE_ISSUE, "The case was closed before it was issued.")
        )

    faults += _child_faults(case.get("children", []), today)
    if S31_ORDERS & set(case.get("orders_sought", [])):
        faults += _s31_age_faults(case.get("children", []), issued or received)
    faults += _hearing_faults(case.get("hearings", []), issued)
    child_ids = {child["la_child_id"] for child in case.get("children", [])}
    for index, order in enumerate(case.get("orders_made", [])):
        made_on = _date(order["made_on"])
        if issued is not None and made_on < issued:
            faults.append(
                Fault(
                    f"/orders_made/{index}/made_on",
                    codes.ORDER_BEFORE_ISSUE,
                    "The order was made before issue.",
                )
            )
        for position, child_id in enumerate(order["child_ids"]):
            if child_id not in child_ids:
                faults.append(
                    Fault(
                        f"/orders_made/{index}/child_ids/{position}",
                        codes.ORDER_UNKNOWN_CHILD,
                        "The order names a child who is not in this case.",
                    )
                )
    return faults


def _child_faults(children: list[Mapping[str, Any]], today: date) -> list[Fault]:
    faults: list[Fault] = []
    seen: set[str] = set()
    upn_la_numbers = code_lists.codes("upn_la_numbers")
    for index, child in enumerate(children):
        if child["la_child_id"] in seen:
            faults.append(
                Fault(
                    f"/children/{index}/la_child_id",
                    codes.CHILD_DUPLICATE_LA_CHILD_ID,
                    "Another child of this case has the same la_child_id.",
                )
            )
        seen.add(child["la_child_id"])
        if child.get("upn") is not None:
            for rule, message in upn_faults(child["upn"], upn_la_numbers):
                code = rule if not rule.isdigit() else f"cin.{rule}"
                faults.append(Fault(f"/children/{index}/upn", code, message))
        if _date(child["date_of_birth"]) > today:
            faults.append(
                Fault(
                    f"/children/{index}/date_of_birth",
                    codes.CHILD_BORN_IN_FUTURE,
                    "The birth date is in the future.",
                )
            )
    return faults


def _s31_age_faults(children: list[Mapping[str, Any]], at_issue: date | None) -> list[Fault]:
    """Children Act 1989 s31(3): a child who has reached 17 by issue (or receipt) cannot be the subject of
    a care or supervision order."""
    if at_issue is None:
        return []
    faults = []
    for index, child in enumerate(children):
        born = _date(child["date_of_birth"])
        if born is not None and _age(born, at_issue) >= S31_AGE_LIMIT:
            faults.append(
                Fault(
                    f"/children/{index}/date_of_birth",
                    codes.CHILD_TOO_OLD_FOR_CARE_ORDER,
                    "A care or supervision order is sought for a child aged 17 or more at issue.",
                )
            )
    return faults


def _age(born: date, on: date) -> int:
    """Whole years of age ``on`` a date (a 29 February birthday comes on 1 March in other years)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _hearing_faults(hearings: list[Mapping[str, Any]], issued: date | None) -> list[Fault]:
    faults: list[Fault] = []
    for index, hearing in enumerate(hearings):
        starts_at = _instant(hearing["starts_at"])
        if issued is not None and starts_at.date() < issued:
            faults.append(
                Fault(
                    f"/hearings/{index}/starts_at",
                    codes.HEARING_BEFORE_ISSUE,
                    "The hearing starts before issue.",
                )
            )
        if hearing.get("ends_at") is not None and _instant(hearing["ends_at"]) < starts_at:
            faults.append(
                Fault(
                    f"/hearings/{index}/ends_at",
                    codes.HEARING_ENDS_BEFORE_START,
                    "The hearing ends before it starts.",
                )
            )
        if hearing.get("cancellation_reason") is not None and hearing["status"] in ("listed", "held"):
            faults.append(
                Fault(
                    f"/hearings/{index}/cancellation_reason",
                    codes.HEARING_UNEXPECTED_CANCELLATION_REASON,
                    "Only a vacated or adjourned hearing has a cancellation reason.",
                )
            )
    return faults


def event_faults(event: Mapping[str, Any], case: Mapping[str, Any], *, today: date) -> list[Fault]:
    """Every rule ``event`` (as ``load_event`` returns it) breaks against the stored ``case`` (output shape).

    Pointers are relative to the event. Checks that the hearings and children it names belong to the case,
    that it did not happen in the future, and that what it dates is not before the case's issue.
    """
    faults: list[Fault] = []
    if _instant(event["occurred_at"]).date() > today:
        faults.append(Fault("/occurred_at", codes.EVENT_IN_FUTURE, "The event is dated in the future."))
    if "on" in event and _date(event["on"]) > today:
        faults.append(Fault("/on", codes.EVENT_IN_FUTURE, "The event is dated in the future."))
    hearing_ids = {str(hearing["id"]) for hearing in case.get("hearings", [])}
    if "hearing_id" in event and str(event["hearing_id"]) not in hearing_ids:
        faults.append(Fault("/hearing_id", codes.EVENT_UNKNOWN_HEARING, "The hearing is not in this case."))
    child_ids = {str(child["id"]) for child in case.get("children", [])}
    named = [("/child_id", event["child_id"])] if "child_id" in event else []
    named += [(f"/child_ids/{i}", child) for i, child in enumerate(event.get("child_ids", []))]
    named += [
        (f"/order/child_ids/{i}", child)
        for i, child in enumerate(event.get("order", {}).get("child_ids", []))
    ]
    for pointer, child_id in named:
        if str(child_id) not in child_ids:
            faults.append(Fault(pointer, codes.EVENT_UNKNOWN_CHILD, "The child is not in this case."))
    issued = _date(case.get("date_issued"))
    if issued is not None:
        dated = [
            ("/order/made_on", _date(event.get("order", {}).get("made_on"))),
            ("/hearing/starts_at", _date(event.get("hearing", {}).get("starts_at"))),
            ("/outcome_date", _date(event.get("outcome_date"))),
            ("/closed_date", _date(event.get("closed_date"))),
            ("/withdrawn_on", _date(event.get("withdrawn_on"))),
            ("/on", _date(event.get("on"))),
        ]
        for pointer, value in dated:
            if value is not None and value < issued:
                faults.append(
                    Fault(
                        pointer,
                        codes.EVENT_BEFORE_ISSUE,
                        "The event dates something before the case's issue.",
                    )
                )
    return faults


def _date(value: date | str | None) -> date | None:
    """A date from a loaded value or its ISO form; an instant gives the date of its own offset."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    return datetime.fromisoformat(value).date() if "T" in value.upper() else date.fromisoformat(value)


def _instant(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
