"""Shared by the adapter tests: where samples and reference files are, synthetic canonical cases, and the
per-adapter ``LARGE_INPUTS`` hook of the contract suite (``test_contract.py``).

To put a new adapter under the contract suite:

* inbound: add ``LARGE_INPUTS["<adapter name>"] = function(n) -> bytes``, returning one document in the
  adapter's format that the adapter parses to at least ``n`` ``Record`` objects and no error (the suite feeds
  it a few thousand, through a stream that watches every read), and put at least one sample whose file
  name starts with ``valid`` in ``samples/<adapter name>/``;
* outbound: nothing; the suite renders ``canonical_cases(n)``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from schemas.upn import check_letter
from tests.fixtures import SAMPLES

# a fixed namespace, so the synthetic ids are the same in every run
SYNTHETIC = uuid.UUID("5d1c3a52-9b7e-4c1e-8f51-0f6d2c2b9a10")


def synthetic_upn(la_number: str, serial: int) -> str:
    """A made-up UPN with a correct check letter: LA number, 8-digit serial, final digit 0."""
    body = f"{la_number}{serial:08d}0"
    return check_letter("?" + body) + body


def canonical_case(index: int) -> dict[str, Any]:
    """A synthetic public-law case in the output shape (``schemas.case.CaseSchema``), as JSON types."""

    def ident(kind: str, number: int = 0) -> str:
        return str(uuid.uuid5(SYNTHETIC, f"{kind}-{index}-{number}"))

    received = date(2025, 1, 6) + timedelta(days=index % 300)
    issued = received + timedelta(days=1)
    children = [
        {
            "id": ident("child", number),
            "la_child_id": f"SYN-{index}-{number}",
            "upn": synthetic_upn("202", index * 10 + number),
            "date_of_birth": (issued - timedelta(days=400 + 365 * number)).isoformat(),
            "sex": "MFU"[number % 3],
            "ethnicity": "NOBT",
            "timetable_deadline": (issued + timedelta(weeks=26)).isoformat(),
        }
        for number in range(1 + index % 3)
    ]
    return {
        "id": ident("case"),
        "reference": f"SYN-{index:06d}",
        "court_case_number": f"LV25C{index % 100000:05d}",
        "law": "public",
        "application_type": "C110A",
        "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
        "applicant_la": "202",
        "court": "115",
        "dfj_area": "CENTRAL_LONDON",
        "region": "London",
        "date_received": received.isoformat(),
        "date_issued": issued.isoformat(),
        "hearing_urgency": "STANDARD",
        "threshold_reasons": ["noCare"],
        "risks": ["NEGLECT"],
        "children": children,
        "respondents": [
            {
                "id": ident("party"),
                "role": "respondent",
                "relationship_to_child": "Mother",
                "first_name": "Synthetic",
                "last_name": f"Parent{index}",
                "address_confidential": True,
            }
        ],
        "hearings": [
            {
                "id": ident("hearing"),
                "type": "CASE_MANAGEMENT",
                "starts_at": f"{(issued + timedelta(days=14)).isoformat()}T10:00:00+00:00",
                "status": "listed",
            }
        ],
        "orders_made": [
            {
                "id": ident("order"),
                "type": "INTERIM_CARE_ORDER",
                "child_ids": [children[0]["id"]],
                "made_on": issued.isoformat(),
                "interim": True,
            }
        ],
        "state": "PREPARE_FOR_HEARING",
        "version": 1,
        "updated_at": f"{issued.isoformat()}T12:00:00Z",
    }


def canonical_cases(n: int) -> Iterator[dict[str, Any]]:
    return (canonical_case(index) for index in range(n))


def canonical_input_case(index: int) -> dict[str, Any]:
    """The same synthetic case in the input shape (``CaseInputSchema``): no exchange ids or derived fields."""
    case = canonical_case(index)
    la_child_ids = {child["id"]: child["la_child_id"] for child in case["children"]}
    for name in ("id", "dfj_area", "region", "version", "updated_at"):
        del case[name]
    for part in ("children", "respondents", "hearings", "orders_made"):
        for item in case[part]:
            del item["id"]
    for order in case["orders_made"]:
        order["child_ids"] = [la_child_ids[child_id] for child_id in order["child_ids"]]
    return case


def _canonical_json_large(n: int) -> bytes:
    return json.dumps({"cases": [canonical_input_case(index) for index in range(n)]}).encode()


def _hmcts_fpl_ccd_large(n: int) -> bytes:
    case = (SAMPLES / "hmcts-fpl-ccd" / "valid-case-management.json").read_bytes()
    return b"[" + b",".join([case] * n) + b"]"


def _cin_census_large(n: int) -> bytes:
    """The 2026 sample with its first child n times (the header is one more record)."""
    document = (SAMPLES / "cin-census" / "valid-census-2026-preproceedings.xml").read_bytes()
    start, end = document.index(b"<Child>"), document.index(b"</Child>") + len(b"</Child>")
    tail = document.rindex(b"</Child>") + len(b"</Child>")
    return document[:start] + document[start:end] * n + document[tail:]


def _ssda903_large(n: int) -> bytes:
    """An SSDA903 header table of n synthetic children."""
    rows = (f"{100000 + i},{1 + i % 2},01/02/2015,WBRI,{synthetic_upn('202', i)},,\n" for i in range(n))
    return ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n" + "".join(rows)).encode()


#: adapter name -> function(n) -> one document in that adapter's format holding at least n records
LARGE_INPUTS: dict[str, Callable[[int], bytes]] = {
    "canonical-json": _canonical_json_large,
    "cin-census": _cin_census_large,
    "hmcts-fpl-ccd": _hmcts_fpl_ccd_large,
    "ssda903": _ssda903_large,
}
