"""Outbound adapter ``cafcass-api``: canonical cases rendered as the HMCTS FPL Cafcass API ``GET /cases``.

``render(records)`` takes canonical output cases (SPEC §2, with exchange ids) and streams one JSON
document ``{"cases": [...], "total": n}``. Every case in it validates against the shipped copy of the
API's JSON Schema, ``schemas/hmcts/fpl-cafcassAPICaseSchema.json``, whose enumerations the adapter reads
so that it only ever writes values the schema accepts:

* ``id`` is a number, as the schema requires: the case's ``reference`` when that is a 16-digit CCD case
  id, else the top 53 bits of the exchange's case UUID (a safe integer for any JSON reader);
  ``exchangeId`` carries the exchange's UUID beside it (the schema allows extra properties).
* The live API never returns cases in ``Open``, ``RETURNED`` or ``Deleted``, nor private-law cases: such
  cases are left out (``total`` counts the cases written). ``CLOSED`` is written ``Closed`` (the
  schema's spelling); a case without a state is ``Submitted``.
* ``createdDate`` (the date received, midnight in London) and ``lastModified`` (``updated_at``) are
  CCD-style UTC date-times without offset; hearing ``startDate`` and ``endDate`` are Europe/London wall
  times without offset, as CCD stores them.
* LA codes go back to HMCTS letter codes through the reference data's ``hmcts_la_code``
  (``applicantLA`` is null when none maps); hearing status ``adjourned``/``vacated`` become
  ``ADJOURNED``/``VACATED`` (listed and held hearings carry no status); cancellation reason codes
  become the schema's labels (codes the schema has no label for are left out); sex M/F becomes
  MALE/FEMALE (U: no gender).
* A respondent's address is written only when ``address_confidential`` is explicitly false; otherwise
  ``contactDetailsHidden`` is true and no address is written, whatever the field policy let through.
* Children's names are written when the field policy let them through (court and Cafcass see them).
  ``risks`` is not written: the schema's ``risks`` object is malformed and disagrees with the live API
  (lists of occurrences).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from importlib.resources import files
from typing import Any

from adapters.base import Adapter, Places
from schemas import code_lists

SCHEMA_FILE = files("schemas") / "hmcts" / "fpl-cafcassAPICaseSchema.json"
JURISDICTION = "PUBLICLAW"
CASE_TYPE = "CARE_SUPERVISION_EPO"
CCD_ID = re.compile(r"[1-9]\d{15}")
#: canonical state -> the schema's state; states missing here are not returned by the live API
STATES = {
    "Submitted": "Submitted",
    "Gatekeeping": "Gatekeeping",
    "GATEKEEPING_LISTING": "GATEKEEPING_LISTING",
    "PREPARE_FOR_HEARING": "PREPARE_FOR_HEARING",
    "FINAL_HEARING": "FINAL_HEARING",
    "CLOSED": "Closed",
}
SEX = {"M": "MALE", "F": "FEMALE"}
HEARING_STATUS = {"adjourned": "ADJOURNED", "vacated": "VACATED"}
CANCELLATION_LABELS = {e["code"]: e["label"] for e in code_lists.get("cancellation_reasons")}
#: canonical address keys -> the API's address keys
ADDRESS_KEYS = {
    "line1": "addressLine1",
    "line2": "addressLine2",
    "line3": "addressLine3",
    "post_town": "postTown",
    "county": "county",
    "postcode": "postcode",
    "country": "country",
}


@cache
def case_schema() -> dict[str, Any]:
    """The JSON Schema of one case of the ``cases`` array."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["properties"]["cases"]["items"]


def _enum(*path: str) -> frozenset[Any]:
    node = case_schema()["properties"]["caseData"]
    for key in path:
        node = node["properties"][key] if key != "items" else node["items"]
    return frozenset(value for value in node["enum"] if value is not None)


@cache
def _vocabulary() -> dict[str, frozenset[Any]]:
    return {
        "application_types": _enum("applicationType"),
        "orders": _enum("ordersSought", "items"),
        "hearing_types": _enum("hearingDetails", "items", "type"),
        "cancellation_labels": _enum("hearingDetails", "items", "cancellationReason"),
        "living_situations": _enum("children", "items", "livingSituation"),
    }


def la_letter_codes(places: Places) -> dict[str, str]:
    """The exchange's LA code -> the HMCTS letter code the schema accepts for ``applicantLA``."""
    codes: dict[str, str] = {}
    for letter in sorted(_enum("applicantLA")):
        la = places.hmcts_la_code(letter)
        if la:
            codes.setdefault(la, letter)  # two letters for one LA: the first in sort order
    return codes


class CafcassApiAdapter(Adapter):
    name = "cafcass-api"
    description = "HMCTS FPL Cafcass API GET /cases response (public-law cases)"
    media_types = ("application/json",)
    outbound = True

    def render(self, records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
        yield b'{"cases":['
        total = 0
        for record in records:
            case = to_cafcass_case(record, self.places)
            if case is None:
                continue
            yield (b"," if total else b"") + _dumps(case)
            total += 1
        yield b'],"total":' + str(total).encode() + b"}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_cafcass_case(case: dict[str, Any], places: Places) -> dict[str, Any] | None:
    """One case of the API's ``cases`` array, or None for a case the live API would not return."""
    state = STATES.get(case.get("state") or "Submitted")
    if state is None or case.get("law", "public") != "public":
        return None
    created = case.get("date_received")
    return {
        "id": _numeric_id(case),
        "exchangeId": str(case["id"]),
        "jurisdiction": JURISDICTION,
        "state": state,
        "caseTypeId": CASE_TYPE,
        "createdDate": _ccd_timestamp(created, places.zone),
        "lastModified": _ccd_timestamp(case.get("updated_at") or created, places.zone),
        "caseData": _case_data(case, places),
    }


def _numeric_id(case: dict[str, Any]) -> int:
    reference = str(case.get("reference") or "")
    if CCD_ID.fullmatch(reference):
        return int(reference)
    return uuid.UUID(str(case["id"])).int >> 75


def _ccd_timestamp(value: Any, zone: tzinfo) -> str:
    """A date or RFC 3339 instant as CCD writes its timestamps: UTC, no offset, milliseconds (a date or a
    wall time is taken in ``zone``)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=zone)
    else:
        text = str(value)
        moment = datetime.fromisoformat(text) if "T" in text else datetime.fromisoformat(text + "T00:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _wall_time(value: Any, zone: tzinfo) -> str:
    """An instant as a CCD LocalDateTime: the wall time in ``zone``, no offset."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def _iso_date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _case_data(case: dict[str, Any], places: Places) -> dict[str, Any]:
    vocabulary = _vocabulary()
    data: dict[str, Any] = {
        "citizenIsApplicant": False,
        "applicantLA": la_letter_codes(places).get(case.get("applicant_la") or ""),
        "ordersSought": [o for o in case.get("orders_sought") or () if o in vocabulary["orders"]],
        "children": [_child(child) for child in case.get("children") or ()],
        "respondents": [_respondent(party) for party in case.get("respondents") or ()],
        "hearingDetails": [_hearing(hearing, places.zone) for hearing in case.get("hearings") or ()],
    }
    if case.get("application_type") in vocabulary["application_types"]:
        data["applicationType"] = case["application_type"]
    if case.get("court_case_number"):
        data["familyManCaseNumber"] = case["court_case_number"]
    if case.get("date_received"):
        data["dateSubmitted"] = _iso_date(case["date_received"])
    if case.get("date_issued"):
        data["dateOfCourtIssue"] = _iso_date(case["date_issued"])
    court = places.courts.get(case.get("court") or "")
    if court and court.region_id:
        data["caseManagementLocation"] = {"region": court.region_id}
    return data


def _child(child: dict[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for source, target in (("first_name", "firstName"), ("last_name", "lastName")):
        if child.get(source):
            rendered[target] = child[source]
    if child.get("date_of_birth"):
        rendered["dateOfBirth"] = _iso_date(child["date_of_birth"])
    if child.get("sex") in SEX:
        rendered["gender"] = SEX[child["sex"]]
    if child.get("living_situation") in _vocabulary()["living_situations"]:
        rendered["livingSituation"] = child["living_situation"]
    return rendered


def _respondent(party: dict[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for source, target in (
        ("first_name", "firstName"),
        ("last_name", "lastName"),
        ("relationship_to_child", "relationshipToChild"),
    ):
        if party.get(source):
            rendered[target] = party[source]
    # fails closed: only an explicit False lets an address out
    if party.get("address_confidential") is not False:
        rendered["contactDetailsHidden"] = True
        return rendered
    rendered["contactDetailsHidden"] = False
    address = {ADDRESS_KEYS[k]: v for k, v in (party.get("address") or {}).items() if k in ADDRESS_KEYS and v}
    if address:
        rendered["address"] = address
    return rendered


def _hearing(hearing: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    vocabulary = _vocabulary()
    kind = hearing.get("type")
    rendered: dict[str, Any] = {"type": kind if kind in vocabulary["hearing_types"] else "OTHER"}
    if hearing.get("id"):
        rendered["id"] = str(hearing["id"])
    if hearing.get("starts_at"):
        rendered["startDate"] = _wall_time(hearing["starts_at"], zone)
    if hearing.get("ends_at"):
        rendered["endDate"] = _wall_time(hearing["ends_at"], zone)
    if hearing.get("status") in HEARING_STATUS:
        rendered["status"] = HEARING_STATUS[hearing["status"]]
    reason = hearing.get("cancellation_reason")
    code = reason.get("code") if isinstance(reason, dict) else reason
    label = CANCELLATION_LABELS.get(code or "")
    if label in vocabulary["cancellation_labels"]:
        rendered["cancellationReason"] = label
    return rendered
