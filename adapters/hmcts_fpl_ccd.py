"""Inbound adapter ``hmcts-fpl-ccd``: HMCTS Family Public Law CCD case data to canonical cases.

Accepted bodies (``application/json; profile=hmcts-fpl-ccd``), read with ijson one case at a time:

* one case, or a JSON array of cases; a case is either
* an envelope ``{"id", "state", "caseData" | "case_data" | "data": {...}}`` (the shapes of the HMCTS
  playwright fixtures, of CCD's case details and of CCD's search results), or
* a bare ``caseData`` object (any object without one of those three keys holding an object).

Each case becomes one canonical case (SPEC §2 input shape); the mapping tables are the module
constants below, and ``docs/mappings.md`` says how final decisions, closure and court transfers map.
``reference`` is the CCD case id when the envelope carries one, else the FamilyMan case number, else the
first child's CCD element id. A case that cannot be mapped yields one ``RecordError`` (its first fault)
with a JSON pointer into the body and a stable ``hmcts.*`` code; messages never repeat a submitted value.
A body that is not well-formed JSON, or whose top level is neither an object nor an array, raises
``FormatError``.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

import ijson

from adapters.base import Adapter, FormatError, Places, Position, Record, RecordError
from schemas import code_lists
from schemas import error_codes as codes

ENVELOPE_KEYS = ("caseData", "case_data", "data")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: FamilyMan case numbers: court letters, year, case type letter, serial (LV22P70768)
FAMILYMAN_NUMBER = re.compile(r"[A-Z]{2}\d{2}[A-Z]\d{5}")

#: CCD states, kept as CCD spells them but matched without regard to case (the EPO fixture has GATEKEEPING)
STATES = {state.upper(): state for state in code_lists.codes("case_states")}
CLOSED = "CLOSED"
ORDER_TYPES = frozenset(e["code"] for e in code_lists.get("order_types") if e["law"] == "public")
#: orderCollection[].orderType (FPL ``Order`` enum) -> (canonical order type, interim); others are not mapped
ORDERS_MADE = {
    "C23_EMERGENCY_PROTECTION_ORDER": ("EMERGENCY_PROTECTION_ORDER", False),
    "C32_CARE_ORDER": ("CARE_ORDER", False),
    "C32A_CARE_ORDER": ("CARE_ORDER", False),
    "C33_INTERIM_CARE_ORDER": ("INTERIM_CARE_ORDER", True),
    "C35A_SUPERVISION_ORDER": ("SUPERVISION_ORDER", False),
    "C35B_INTERIM_SUPERVISION_ORDER": ("INTERIM_SUPERVISION_ORDER", True),
    "C37_EDUCATION_SUPERVISION_ORDER": ("EDUCATION_SUPERVISION_ORDER", False),
    "C39_CHILD_ASSESSMENT_ORDER": ("CHILD_ASSESSMENT_ORDER", False),
    "C34A_CONTACT_WITH_A_CHILD_IN_CARE": ("CONTACT_WITH_CHILD_IN_CARE", False),
    "C34B_REFUSAL_OF_CONTACT_WITH_A_CHILD_IN_CARE": ("REFUSE_CONTACT_WITH_CHILD", False),
    "C29_RECOVERY_OF_A_CHILD": ("CHILD_RECOVERY_ORDER", False),
    "C32B_DISCHARGE_OF_CARE_ORDER": ("OTHER", False),
    "C43A_SPECIAL_GUARDIANSHIP_ORDER": ("SPECIAL_GUARDIANSHIP_ORDER", False),
    "A70_PLACEMENT_ORDER": ("PLACEMENT_ORDER", False),
}
#: hearing.hearingUrgencyType (current form, code list hearing_urgencies) or hearing.timeFrame (older form)
URGENCY = {
    **{code: code for code in code_lists.codes("hearing_urgencies")},
    "Same day": "SAME_DAY",
    "Within 2 days": "URGENT",
    "Within 7 days": "URGENT",
    "Within 12 days": "URGENT",
    "Within 18 days": "STANDARD",
}
#: risks: the current list whatKindOfRiskAndHarmToChildren (code list ``risks``), or the older Yes/No flags
RISK_FLAGS = {
    "neglect": "NEGLECT",
    "sexualAbuse": "SEXUAL_ABUSE",
    "physicalHarm": "PHYSICAL_HARM",
    "emotionalHarm": "EMOTIONAL_HARM",
}
#: children1[].party.gender (ChildGender, and the older Male/Female) -> sex; absent -> U
SEX = {
    "boy": "M",
    "male": "M",
    "girl": "F",
    "female": "F",
    "they identify in another way": "U",
    "other": "U",
}
#: hearing status (FixedList HearingStatus) -> canonical; none: ``held`` once it has ended, else ``listed``
HEARING_STATUS = {
    hmcts: e["code"] for e in code_lists.get("hearing_statuses") for hmcts in e["hmcts_statuses"]
}
#: cancellation reason label -> code: CCD stores the code, older data and the Cafcass API the label
CANCELLATION_CODES = {e["label"]: e["code"] for e in code_lists.get("cancellation_reasons")}
#: CCD address keys -> canonical address keys
ADDRESS_KEYS = {
    "AddressLine1": "line1",
    "AddressLine2": "line2",
    "AddressLine3": "line3",
    "PostTown": "post_town",
    "County": "county",
    "PostCode": "postcode",
    "Country": "country",
}


class _Fault(Exception):
    """The first fault found in one case: becomes that case's RecordError."""

    def __init__(self, pointer: str, code: str, message: str) -> None:
        super().__init__(message)
        self.pointer, self.code, self.message = pointer, code, message


class HmctsFplCcdAdapter(Adapter):
    name = "hmcts-fpl-ccd"
    description = "HMCTS Family Public Law CCD caseData JSON (one case, an envelope, or a list)"
    media_types = ("application/json",)
    inbound = True

    def parse(self, stream: BinaryIO) -> Iterator[Record | RecordError]:
        reader = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
        first = _first_byte(reader)
        if first == b"[":
            items: Iterator[Any] = ijson.items(reader, "item", use_float=True)
            pointers: Iterator[str] = (f"/{n}" for n in itertools.count())
        elif first == b"{":
            items, pointers = ijson.items(reader, "", use_float=True), iter([""])
        else:
            raise FormatError(
                codes.HMCTS_NOT_A_CASE, "the body must be one CCD case object or an array of them"
            )
        try:
            for item, pointer in zip(items, pointers, strict=False):
                yield _record(item, pointer, self.places)
        except ijson.JSONError:
            # ijson's own message quotes the body, which may hold personal data
            raise FormatError(codes.HMCTS_MALFORMED_JSON, "the body is not well-formed JSON") from None
        except UnicodeDecodeError:
            raise FormatError(codes.HMCTS_INVALID_UTF8, "the body is not valid UTF-8") from None


def _first_byte(reader: Any) -> bytes:
    """The first byte that is not whitespace or a UTF-8 BOM, left unread in ``reader``."""
    while True:
        head = reader.peek(64)[:64]
        if not head:
            return b""
        skipped = len(head) - len(head.lstrip(b" \t\r\n\xef\xbb\xbf"))
        if skipped < len(head):
            reader.read(skipped)
            return head[skipped : skipped + 1]
        reader.read(skipped)


def _record(item: Any, pointer: str, places: Places) -> Record | RecordError:
    try:
        return Record("case", to_canonical(item, places, pointer), Position(pointer=pointer))
    except _Fault as fault:
        return RecordError(Position(pointer=fault.pointer), fault.code, fault.message)


def to_canonical(case: Any, places: Places, pointer: str = "") -> dict[str, Any]:
    """One canonical case (SPEC §2 input shape) from one CCD case; raises ``_Fault`` on the first fault."""
    if not isinstance(case, dict):
        raise _Fault(pointer, codes.HMCTS_NOT_AN_OBJECT, "a case must be a JSON object")
    key = next((k for k in ENVELOPE_KEYS if isinstance(case.get(k), dict)), None)
    data, at = (case[key], f"{pointer}/{key}") if key else (case, pointer)
    envelope = case if key else {}

    canonical: dict[str, Any] = {
        "date_received": _date_submitted(data, at),
        "reference": _reference(envelope, data, pointer),
        "law": "public",
        "application_type": "C1" if data.get("c1Application") == "Yes" else "C110A",
        "orders_sought": _orders_sought(data, at),
        "applicant_la": _applicant_la(data, at, places),
        "court": _court(data, at, places),
        "children": [_child(i, c, p) for i, c, p in _elements(data, "children1", at)],
        "respondents": [_respondent(r, p) for _, r, p in _elements(data, "respondents1", at)],
        "hearings": [
            *(_hearing(h, p, places) for _, h, p in _elements(data, "hearingDetails", at)),
            *(_hearing(h, p, places) for _, h, p in _elements(data, "cancelledHearingDetails", at)),
        ],
    }
    child_ids = [child["la_child_id"] for child in canonical["children"]]
    orders = (_order(o, p, child_ids) for _, o, p in _elements(data, "orderCollection", at))
    canonical["orders_made"] = [order for order in orders if order]
    state = _state(envelope, pointer)
    optional = {
        "court_case_number": _familyman_number(data),
        "date_issued": _date(data.get("dateOfIssue"), f"{at}/dateOfIssue", "hmcts.date_of_issue"),
        "hearing_urgency": _urgency(data, at),
        "threshold_reasons": _threshold_reasons(data, at),
        "risks": _risks(data, at),
        "state": state,
        "closed_date": _closed_date(data, at, canonical["children"]) if state == CLOSED else None,
        "transferred_on": _transferred_on(data, at),
    }
    canonical.update({k: v for k, v in optional.items() if v not in (None, [])})
    return canonical


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _date(value: Any, pointer: str, code: str) -> str | None:
    """An ISO 8601 calendar date, or None when absent; a present but invalid value is a fault."""
    if value is None or value == "":
        return None
    try:
        if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        field = pointer.rsplit("/", 1)[-1]
        raise _Fault(pointer, code, f"{field} must be a date in the form YYYY-MM-DD") from None


def _familyman_number(data: dict[str, Any]) -> str | None:
    """``familyManCaseNumber`` when it is one (HMCTS's templates hold the placeholder ``Familyman``)."""
    number = _text(data.get("familyManCaseNumber"))
    return number if number and FAMILYMAN_NUMBER.fullmatch(number) else None


def _reference(envelope: dict[str, Any], data: dict[str, Any], pointer: str) -> str:
    ccd_id = envelope.get("id")
    if isinstance(ccd_id, int) and not isinstance(ccd_id, bool):
        return str(ccd_id)
    if _text(ccd_id):
        return ccd_id.strip()
    number = _familyman_number(data)
    if number:
        return number
    # CCD gives each child element an id for the case's life: the first child's names the case
    children = data.get("children1")
    first = children[0] if isinstance(children, list) and children else None
    child_id = _text(first.get("id")) if isinstance(first, dict) else None
    if child_id:
        return f"ccd-child-{child_id}"
    raise _Fault(
        pointer,
        codes.HMCTS_REFERENCE,
        "the case has no CCD case id (envelope 'id'), familyManCaseNumber or child element id",
    )


def _orders_sought(data: dict[str, Any], at: str) -> list[str]:
    orders = data.get("orders")
    types = orders.get("orderType") if isinstance(orders, dict) else None
    if not isinstance(types, list) or not types:
        raise _Fault(f"{at}/orders/orderType", codes.HMCTS_ORDER_TYPE, "at least one order type is required")
    for n, value in enumerate(types):
        if value not in ORDER_TYPES:
            raise _Fault(f"{at}/orders/orderType/{n}", codes.HMCTS_ORDER_TYPE, "not an HMCTS order type")
    return list(dict.fromkeys(types))


def _applicant_la(data: dict[str, Any], at: str, places: Places) -> str:
    letters = _text(data.get("caseLocalAuthority"))
    if letters is None:
        raise _Fault(
            f"{at}/caseLocalAuthority", codes.HMCTS_LOCAL_AUTHORITY, "caseLocalAuthority is required"
        )
    code = places.hmcts_la_code(letters)
    if code is None:
        raise _Fault(
            f"{at}/caseLocalAuthority",
            codes.HMCTS_LOCAL_AUTHORITY,
            "caseLocalAuthority is not a local-authority code the exchange knows",
        )
    return code


def _court(data: dict[str, Any], at: str, places: Places) -> str:
    court = data.get("court")
    code = court.get("code") if isinstance(court, dict) else None
    code = str(code) if isinstance(code, int) and not isinstance(code, bool) else _text(code)
    if code is None and court is None:
        # older FPL cases carry no court: FPL looked it up by the LA, as the reference data does here
        code = places.hmcts_la_court(_text(data.get("caseLocalAuthority")) or "")
    if code is None:
        raise _Fault(
            f"{at}/court/code", codes.HMCTS_COURT, "the court's FamilyMan code (court.code) is required"
        )
    if code not in places.courts:
        raise _Fault(
            f"{at}/court/code", codes.HMCTS_COURT, "court.code is not a family court the exchange knows"
        )
    return code


def _date_submitted(data: dict[str, Any], at: str) -> str:
    submitted = _date(data.get("dateSubmitted"), f"{at}/dateSubmitted", codes.HMCTS_DATE_SUBMITTED)
    if submitted is None:
        raise _Fault(f"{at}/dateSubmitted", codes.HMCTS_DATE_SUBMITTED, "dateSubmitted is required")
    return submitted


def _urgency(data: dict[str, Any], at: str) -> str | None:
    hearing = data.get("hearing")
    if not isinstance(hearing, dict):
        return None
    for key in ("hearingUrgencyType", "timeFrame"):
        value = hearing.get(key)
        if value is None or value == "" or (key == "timeFrame" and value == "Other"):
            continue
        if value not in URGENCY:
            raise _Fault(f"{at}/hearing/{key}", codes.HMCTS_HEARING_URGENCY, "not an HMCTS hearing urgency")
        return URGENCY[value]
    return None


def _threshold_reasons(data: dict[str, Any], at: str) -> list[str]:
    grounds = data.get("grounds")
    reasons = grounds.get("thresholdReason") if isinstance(grounds, dict) else None
    if reasons is None:
        return []
    if not isinstance(reasons, list):
        raise _Fault(f"{at}/grounds/thresholdReason", codes.HMCTS_THRESHOLD_REASON, "must be a list")
    for n, value in enumerate(reasons):
        if value not in code_lists.codes("threshold_reasons"):
            raise _Fault(
                f"{at}/grounds/thresholdReason/{n}", codes.HMCTS_THRESHOLD_REASON, "not an HMCTS ground"
            )
    return list(dict.fromkeys(reasons))


def _risks(data: dict[str, Any], at: str) -> list[str]:
    risks = data.get("risks")
    if not isinstance(risks, dict):
        return []
    kinds = risks.get("whatKindOfRiskAndHarmToChildren")
    if isinstance(kinds, list):
        for n, value in enumerate(kinds):
            if value not in code_lists.codes("risks"):
                raise _Fault(
                    f"{at}/risks/whatKindOfRiskAndHarmToChildren/{n}",
                    codes.HMCTS_RISK,
                    "not an HMCTS risk code",
                )
        return list(dict.fromkeys(kinds))
    return [code for flag, code in RISK_FLAGS.items() if risks.get(flag) == "Yes"]


def _transferred_on(data: dict[str, Any], at: str) -> str | None:
    """``court.dateTransferred`` (a CCD LocalDateTime, or a date): when the case came to its court."""
    court = data.get("court")
    moved = court.get("dateTransferred") if isinstance(court, dict) else None
    if moved is None or moved == "":
        return None
    day = moved[:10] if isinstance(moved, str) else moved
    return _date(day, f"{at}/court/dateTransferred", codes.HMCTS_COURT)


def _closed_date(data: dict[str, Any], at: str, children: list[dict[str, Any]]) -> str:
    """A closed case's date: ``closeCaseTabField.date`` (FPL's close-case event), else the last child's
    final decision date; a closed case with neither is a fault (it could not leave the open figures)."""
    for key in ("closeCaseTabField", "closeCase"):
        closing = data.get(key)
        if isinstance(closing, dict) and closing.get("date"):
            return _date(closing["date"], f"{at}/{key}/date", codes.HMCTS_CLOSE_DATE)  # type: ignore[return-value]
    decided = [child["outcome_date"] for child in children if child.get("outcome_date")]
    if decided:
        return max(decided)
    raise _Fault(
        f"{at}/closeCaseTabField/date",
        codes.HMCTS_CLOSE_DATE,
        "a CLOSED case needs its close date or its children's final decision dates",
    )


def _state(envelope: dict[str, Any], pointer: str) -> str | None:
    state = envelope.get("state")
    if state is None:
        return None
    if not isinstance(state, str) or state.upper() not in STATES:
        raise _Fault(f"{pointer}/state", codes.HMCTS_STATE, "not a CCD state of a care case")
    return STATES[state.upper()]


def _elements(data: dict[str, Any], key: str, at: str) -> Iterator[tuple[str | None, dict[str, Any], str]]:
    """Each CCD collection element's ``id``, ``value`` and pointer; a malformed element is a fault."""
    elements = data.get(key)
    if elements is None:
        return
    if not isinstance(elements, list):
        raise _Fault(f"{at}/{key}", codes.HMCTS_COLLECTION, "a CCD collection must be a list")
    for n, element in enumerate(elements):
        value = element.get("value") if isinstance(element, dict) else None
        if not isinstance(value, dict):
            raise _Fault(
                f"{at}/{key}/{n}", codes.HMCTS_COLLECTION, "a CCD collection element needs a 'value' object"
            )
        yield _text(element.get("id")), value, f"{at}/{key}/{n}/value"


def _child(element_id: str | None, child: dict[str, Any], at: str) -> dict[str, Any]:
    """A child; its CCD element id is the submitter's id for it (``la_child_id``)."""
    if element_id is None:
        raise _Fault(at.removesuffix("/value"), codes.HMCTS_CHILD_ID, "a child needs its CCD element id")
    party = child.get("party") if isinstance(child.get("party"), dict) else {}
    gender = _text(party.get("gender"))
    sex = SEX.get(gender.lower()) if gender else "U"
    if sex is None:
        raise _Fault(f"{at}/party/gender", codes.HMCTS_CHILD_GENDER, "not an HMCTS child gender")
    born = _date(party.get("dateOfBirth"), f"{at}/party/dateOfBirth", codes.HMCTS_CHILD_DATE_OF_BIRTH)
    if born is None:
        raise _Fault(
            f"{at}/party/dateOfBirth", codes.HMCTS_CHILD_DATE_OF_BIRTH, "a child's dateOfBirth is required"
        )
    result: dict[str, Any] = {"la_child_id": element_id, "date_of_birth": born, "sex": sex}
    for source, target in (("firstName", "first_name"), ("lastName", "last_name")):
        if _text(party.get(source)):
            result[target] = _text(party.get(source))
    result.update(_final_decision(child, at))
    living = _text(party.get("livingSituation"))
    if living:
        if living not in code_lists.codes("living_situations"):
            raise _Fault(
                f"{at}/party/livingSituation", codes.HMCTS_LIVING_SITUATION, "not an HMCTS living situation"
            )
        result["living_situation"] = living
    return result


def _final_decision(child: dict[str, Any], at: str) -> dict[str, str]:
    """``finalDecisionReason`` and ``finalDecisionDate`` (FPL's record-final-decisions event) as the
    child's ``outcome`` and ``outcome_date``: both or neither."""
    reason, decided = _text(child.get("finalDecisionReason")), child.get("finalDecisionDate")
    if reason is None and not decided:
        return {}
    if reason not in code_lists.codes("child_outcomes"):
        raise _Fault(
            f"{at}/finalDecisionReason", codes.HMCTS_CHILD_FINAL_DECISION, "not an HMCTS final decision"
        )
    day = _date(decided, f"{at}/finalDecisionDate", codes.HMCTS_CHILD_FINAL_DECISION)
    if day is None:
        raise _Fault(
            f"{at}/finalDecisionDate", codes.HMCTS_CHILD_FINAL_DECISION, "a final decision needs its date"
        )
    return {"outcome": reason, "outcome_date": day}


def _respondent(respondent: dict[str, Any], at: str) -> dict[str, Any]:
    party = respondent.get("party") if isinstance(respondent.get("party"), dict) else {}
    result: dict[str, Any] = {"role": "respondent"}
    for source, target in (("firstName", "first_name"), ("lastName", "last_name")):
        if _text(party.get(source)):
            result[target] = _text(party.get(source))
    relationship = _text(party.get("relationshipToChild"))
    if relationship:
        result["relationship_to_child"] = relationship
    # either flag hides the address: contactDetailsHidden (older form) or hideAddress (current form)
    result["address_confidential"] = "Yes" in (party.get("contactDetailsHidden"), party.get("hideAddress"))
    address = party.get("address")
    if isinstance(address, dict):
        lines = {ADDRESS_KEYS[k]: _text(v) for k, v in address.items() if k in ADDRESS_KEYS and _text(v)}
        if lines:
            result["address"] = lines
    return result


def _instant(value: Any, pointer: str, places: Places) -> str:
    """A CCD LocalDateTime (a wall time in ``places.zone``, Europe/London) as RFC 3339 with its offset."""
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Fault(pointer, codes.HMCTS_HEARING_DATE, "must be a date and time in ISO 8601 form") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=places.zone)
    return moment.isoformat()


def _hearing(hearing: dict[str, Any], at: str, places: Places) -> dict[str, Any]:
    kind = hearing.get("type")
    if kind not in code_lists.codes("hearing_types"):
        raise _Fault(f"{at}/type", codes.HMCTS_HEARING_TYPE, "not an HMCTS hearing type")
    starts_at = _instant(hearing.get("startDate"), f"{at}/startDate", places)
    ends_at = _instant(hearing.get("endDate"), f"{at}/endDate", places) if hearing.get("endDate") else None
    status = hearing.get("status")
    if status is None:
        ended = datetime.fromisoformat(ends_at or starts_at) <= places.now()
        canonical_status = "held" if ended else "listed"
    elif status in HEARING_STATUS:
        canonical_status = HEARING_STATUS[status]
    else:
        raise _Fault(f"{at}/status", codes.HMCTS_HEARING_STATUS, "not an HMCTS hearing status")
    result: dict[str, Any] = {"type": kind, "starts_at": starts_at, "status": canonical_status}
    if ends_at:
        result["ends_at"] = ends_at
    reason = _text(hearing.get("cancellationReason"))
    if reason:
        code = CANCELLATION_CODES.get(reason, reason)
        if code not in code_lists.codes("cancellation_reasons"):
            raise _Fault(
                f"{at}/cancellationReason", codes.HMCTS_CANCELLATION_REASON, "not an HMCTS reason code"
            )
        result["cancellation_reason"] = code
    return result


def _order(order: dict[str, Any], at: str, case_child_ids: list[str]) -> dict[str, Any] | None:
    """An order made, or None for an order type outside ``ORDERS_MADE`` (procedural orders).

    It concerns the children its ``children`` collection names by CCD element id, or every child of the
    case when it names none.
    """
    mapped = ORDERS_MADE.get(order.get("orderType"))  # type: ignore[arg-type]
    if mapped is None:
        return None
    kind, interim = mapped
    result: dict[str, Any] = {"type": kind, "interim": interim}
    made_on = _date(order.get("approvalDate"), f"{at}/approvalDate", codes.HMCTS_ORDER_DATE)
    if made_on is None and isinstance(order.get("approvalDateTime"), str):
        made_on = _date(order["approvalDateTime"][:10], f"{at}/approvalDateTime", codes.HMCTS_ORDER_DATE)
    if made_on is None:
        raise _Fault(f"{at}/approvalDate", codes.HMCTS_ORDER_DATE, "an order made needs its approval date")
    result["made_on"] = made_on
    named = [child_id for child_id, _, _ in _elements(order, "children", at)]
    if any(child_id not in case_child_ids for child_id in named):
        raise _Fault(
            f"{at}/children", codes.HMCTS_ORDER_CHILD, "an order names a child the case does not have"
        )
    result["child_ids"] = named or list(case_child_ids)
    return result
