"""The cafcass-api adapter: every rendered case validates against the HMCTS Cafcass API JSON Schema.

Round trip: each hmcts-fpl-ccd sample -> canonical input case -> canonical output case (ids, derived
fields, the field policy for Cafcass applied) -> cafcass-api response.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import jsonschema
import pytest

from adapters.base import Record
from adapters.cafcass_api import SCHEMA_FILE, CafcassApiAdapter, case_schema
from adapters.hmcts_fpl_ccd import HmctsFplCcdAdapter
from exchange import reference
from exchange.field_policy import filter_case
from schemas.case import CaseInputSchema, CaseSchema
from tests.fixtures import FIXTURES, SAMPLES

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

REFERENCE = FIXTURES

VARIANTS = ("valid-case-management", "epo", "confidential-address", "progressed", "bare-case-data", "list")
RESPONSE_SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def canonical_inputs(name: str) -> list[dict[str, Any]]:
    body = (SAMPLES / "hmcts-fpl-ccd" / f"{name}.json").read_bytes()
    return [r.data for r in HmctsFplCcdAdapter(PLACES).parse(io.BytesIO(body)) if isinstance(r, Record)]


def as_output(case: dict[str, Any]) -> dict[str, Any]:
    """What the store would hand out for ``case``: exchange ids and derived fields, checked by CaseSchema."""
    loaded = CaseInputSchema().load(case)
    ids = {child["la_child_id"]: str(uuid.uuid4()) for child in loaded["children"]}
    court = PLACES.courts[loaded["court"]]
    output = {
        **CaseInputSchema().dump(loaded),
        "id": str(uuid.uuid4()),
        "dfj_area": court.dfj_area,
        "region": court.region,
        "version": 1,
        "updated_at": "2025-07-01T09:30:00+00:00",
    }
    output["children"] = [{**c, "id": ids[c["la_child_id"]]} for c in output["children"]]
    for key in ("respondents", "hearings", "orders_made"):
        output[key] = [{**item, "id": str(uuid.uuid4())} for item in output.get(key) or ()]
    for order in output["orders_made"]:
        order["child_ids"] = [ids[i] for i in order["child_ids"]]
    return CaseSchema().dump(CaseSchema().load(output))


def render(cases: list[dict[str, Any]]) -> dict[str, Any]:
    return json.loads(b"".join(CafcassApiAdapter(PLACES).render(cases)))


def output_of(name: str) -> dict[str, Any]:
    [case] = canonical_inputs(name)
    return as_output(case)


def test_shipped_schema_is_the_hmcts_file() -> None:
    shipped = SCHEMA_FILE.read_bytes()
    assert shipped == (REFERENCE / "hmcts" / "fpl-cafcassAPICaseSchema.json").read_bytes()


@pytest.mark.parametrize("name", VARIANTS)
def test_round_trip_validates_against_the_cafcass_api_schema(name: str) -> None:
    inputs = canonical_inputs(name)
    assert inputs
    response = render([filter_case(as_output(case), "cafcass", PLACES.field_policy) for case in inputs])
    jsonschema.validate(response, RESPONSE_SCHEMA)
    for case in response["cases"]:
        jsonschema.validate(case, case_schema())
    assert response["total"] == len(response["cases"]) == len(inputs)


def test_case_management_rendering() -> None:
    case = output_of("valid-case-management")
    [rendered] = render([case])["cases"]
    assert rendered["id"] == 1700000000000001  # the CCD case id comes back
    assert rendered["exchangeId"] == case["id"]
    assert (rendered["state"], rendered["jurisdiction"], rendered["caseTypeId"]) == (
        "PREPARE_FOR_HEARING",
        "PUBLICLAW",
        "CARE_SUPERVISION_EPO",
    )
    assert rendered["createdDate"] == "2025-06-01T23:00:00.000"  # midnight in London, in UTC
    assert rendered["lastModified"] == "2025-07-01T09:30:00.000"
    data = rendered["caseData"]
    assert data["applicantLA"] == "SA"
    assert (data["familyManCaseNumber"], data["dateSubmitted"], data["dateOfCourtIssue"]) == (
        "SA25C50001",
        "2025-06-02",
        "2025-06-04",
    )
    assert data["ordersSought"] == ["CARE_ORDER"]
    assert data["caseManagementLocation"] == {"region": "7"}
    assert [c["gender"] for c in data["children"]] == ["MALE", "MALE", "MALE", "FEMALE"]
    assert data["respondents"][0]["address"]["postTown"] == "Reading"
    assert [(h["type"], h["startDate"]) for h in data["hearingDetails"]] == [
        ("FURTHER_CASE_MANAGEMENT", "2050-01-01T15:15:00"),
        ("CASE_MANAGEMENT", "2012-11-03T13:34:00"),
    ]


def test_progressed_hearings_carry_hmcts_status_and_reason_labels() -> None:
    hearings = render([output_of("progressed")])["cases"][0]["caseData"]["hearingDetails"]
    by_type = {h["type"]: h for h in hearings}
    assert "status" not in by_type["CASE_MANAGEMENT"]  # held: the API has no status for it
    assert by_type["FINAL"]["status"] == "ADJOURNED"
    assert by_type["FINAL"]["cancellationReason"] == "Interpreter not available"
    assert by_type["ISSUE_RESOLUTION"]["status"] == "VACATED"
    assert by_type["ISSUE_RESOLUTION"]["cancellationReason"] == "No timetable for the child"
    assert by_type["ISSUE_RESOLUTION"]["startDate"] == "2025-10-06T10:00:00"  # back to London wall time


def test_a_reason_the_schema_has_no_label_for_is_left_out() -> None:
    case = output_of("progressed")
    case["hearings"][2]["cancellation_reason"] = "JU3"  # the schema lacks it (drift)
    response = render([case])
    jsonschema.validate(response, RESPONSE_SCHEMA)
    assert "cancellationReason" not in response["cases"][0]["caseData"]["hearingDetails"][2]


@pytest.mark.parametrize(
    ("state", "rendered"),
    [
        ("CLOSED", "Closed"),
        ("Gatekeeping", "Gatekeeping"),
        ("FINAL_HEARING", "FINAL_HEARING"),
        (None, "Submitted"),
    ],
)
def test_states_take_the_schema_spelling(state: str | None, rendered: str) -> None:
    case = output_of("valid-case-management")
    case["state"] = state
    assert render([case])["cases"][0]["state"] == rendered


def test_cases_the_live_api_never_returns_are_left_out() -> None:
    kept = output_of("valid-case-management")
    left_out = [
        {**kept, "state": "Open"},
        {**kept, "state": "RETURNED"},
        {**kept, "state": "Deleted"},
        {**kept, "law": "private", "application_type": "C100"},
    ]
    response = render([*left_out, kept])
    assert response["total"] == 1
    assert response["cases"][0]["exchangeId"] == kept["id"]


def test_ids_without_a_ccd_reference_are_safe_integers_from_the_uuid() -> None:
    case = output_of("valid-case-management")
    del case["reference"]  # the field policy keeps the submitter's reference from Cafcass
    rendered = render([case])["cases"][0]
    assert rendered["id"] == uuid.UUID(case["id"]).int >> 75
    assert 0 < rendered["id"] < 2**53


def test_an_la_without_a_letter_code_renders_null() -> None:
    case = output_of("valid-case-management")
    case["applicant_la"] = "420"  # Isles of Scilly: no HMCTS letter code
    response = render([case])
    jsonschema.validate(response, RESPONSE_SCHEMA)
    assert response["cases"][0]["caseData"]["applicantLA"] is None


def test_a_confidential_address_is_never_rendered() -> None:
    case = filter_case(output_of("confidential-address"), "cafcass", PLACES.field_policy)
    assert case["respondents"][0]["address"]  # Cafcass may see it: the adapter must still drop it
    body = b"".join(CafcassApiAdapter(PLACES).render([case])).decode()
    for line in case["respondents"][0]["address"].values():
        assert line not in body
    respondent = json.loads(body)["cases"][0]["caseData"]["respondents"][0]
    assert respondent["contactDetailsHidden"] is True
    assert "address" not in respondent


def test_an_address_without_a_confidentiality_flag_is_not_rendered() -> None:
    case = output_of("valid-case-management")
    del case["respondents"][0]["address_confidential"]
    respondent = render([case])["cases"][0]["caseData"]["respondents"][0]
    assert "address" not in respondent


def test_render_streams_one_chunk_per_case() -> None:
    case = output_of("epo")
    chunks = list(CafcassApiAdapter(PLACES).render(iter([case, case, case])))
    assert len(chunks) == 5  # opening, three cases, closing
    assert json.loads(b"".join(chunks))["total"] == 3


def test_nothing_to_render_is_an_empty_response() -> None:
    response = render([])
    jsonschema.validate(response, RESPONSE_SCHEMA)
    assert response == {"cases": [], "total": 0}
