"""The hmcts-fpl-ccd adapter on the HMCTS fixtures and the variants derived from them (samples/README.md)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.base import FormatError, Record, RecordError
from adapters.hmcts_fpl_ccd import HmctsFplCcdAdapter
from exchange import clock, reference
from schemas.case import CaseInputSchema
from tests.fixtures import FIXTURES
from tests.fixtures import SAMPLES as OWN

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

REFERENCE = FIXTURES
SAMPLES = OWN / "hmcts-fpl-ccd"
VALID = ("valid-case-management", "epo", "confidential-address", "progressed", "bare-case-data")


def parse(body: bytes) -> list[Record | RecordError]:
    return list(HmctsFplCcdAdapter(PLACES).parse(io.BytesIO(body)))


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


def only_record(name: str) -> dict[str, Any]:
    [result] = parse(sample(name))
    assert isinstance(result, Record), result
    return result.data


PERSONAL = {
    "firstName",
    "lastName",
    "dateOfBirth",
    "placeOfBirth",
    "AddressLine1",
    "AddressLine2",
    "PostCode",
}


def personal(value: Any, key: str = "") -> set[str]:
    """Every name, birth date, place and address line in a CCD case."""
    if isinstance(value, dict):
        return set().union(set(), *(personal(v, k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(set(), *(personal(v, key) for v in value))
    return {value} if key in PERSONAL and isinstance(value, str) and value else set()


@pytest.mark.parametrize("fixture", ["caseWithHearingDetails", "caseWithEPO"])
def test_hmcts_template_placeholder_date_is_a_record_fault(fixture: str) -> None:
    body = (REFERENCE / "hmcts" / f"fpl-ccd-caseData-{fixture}.json").read_bytes()
    [error] = parse(body)
    assert isinstance(error, RecordError)
    assert error.code == "hmcts.date_submitted"
    assert error.position.pointer == "/caseData/dateSubmitted"
    assert "TO BE FILLED" not in error.message


def test_case_management_maps_every_field() -> None:
    assert only_record("valid-case-management") == {
        "reference": "1700000000000001",
        "court_case_number": "SA25C50001",
        "law": "public",
        "application_type": "C110A",
        "orders_sought": ["CARE_ORDER"],
        "applicant_la": "W06000011",  # SA: Swansea
        "court": "344",
        "date_received": "2025-06-02",
        "date_issued": "2025-06-04",
        "hearing_urgency": "SAME_DAY",
        "threshold_reasons": ["noCare"],
        "state": "PREPARE_FOR_HEARING",
        "children": [
            {
                "la_child_id": "5c578fcc-7e41-45b0-82f7-46c38a769cb3",
                "first_name": "Timothy",
                "last_name": "Jones",
                "sex": "M",
                "date_of_birth": "2015-08-01",
            },
            {
                "la_child_id": "cc792469-47f1-4cc8-8979-6b36bcf6b0a6",
                "first_name": "John",
                "last_name": "Black",
                "sex": "M",
                "date_of_birth": "2016-09-02",
            },
            {
                "la_child_id": "d56b23ee-ca80-42cc-bf9f-2e65cec00985",
                "first_name": "William",
                "last_name": "Black",
                "sex": "M",
                "date_of_birth": "2017-10-01",
            },
            {
                "la_child_id": "2135caa3-62d1-4692-99a9-3524397c6b05",
                "first_name": "Sarah",
                "last_name": "Black",
                "sex": "F",
                "date_of_birth": "2010-05-02",
            },
        ],
        "respondents": [
            {
                "role": "respondent",
                "first_name": "Joe",
                "last_name": "Bloggs",
                "relationship_to_child": "Uncle",
                "address_confidential": False,
                "address": {
                    "line1": "Flat 2",
                    "line2": "Caversham House 15-17",
                    "line3": "Church Road",
                    "post_town": "Reading",
                    "postcode": "RG4 7AA",
                    "country": "United Kingdom",
                },
            }
        ],
        "hearings": [
            {
                "type": "FURTHER_CASE_MANAGEMENT",
                "starts_at": "2050-01-01T15:15:00+00:00",
                "ends_at": "2050-01-02T16:30:00+00:00",
                "status": "listed",
            },
            {
                "type": "CASE_MANAGEMENT",
                "starts_at": "2012-11-03T13:34:00+00:00",
                "ends_at": "2012-11-03T14:34:00+00:00",
                "status": "held",
            },
        ],
        "orders_made": [],
    }


def test_a_hearing_without_a_status_has_been_held_once_it_ended_by_the_exchange_clock(monkeypatch) -> None:
    def statuses() -> list[str]:
        return [h["status"] for h in only_record("valid-case-management")["hearings"]]

    assert statuses() == ["listed", "held"]
    # the adapter reads the one clock through its places: past the hearing's end (16:30 GMT), it was held
    monkeypatch.setattr(clock, "now", lambda: datetime(2050, 1, 2, 16, 30, 1, tzinfo=UTC))
    assert statuses() == ["held", "held"]
    monkeypatch.setattr(clock, "now", lambda: datetime(2050, 1, 2, 16, 29, 59, tzinfo=UTC))
    assert statuses() == ["listed", "held"]


def test_epo_application() -> None:
    case = only_record("epo")
    assert case["state"] == "Gatekeeping"  # the fixture's GATEKEEPING, as CCD spells the state
    assert case["orders_sought"] == ["EMERGENCY_PROTECTION_ORDER"]
    assert (case["court"], case["applicant_la"]) == ("117", "W06000011")
    assert case["hearing_urgency"] == "STANDARD"
    assert case["threshold_reasons"] == ["beyondControl", "noCare"]
    assert case["children"] == [
        {
            "la_child_id": "8a77f413-2e2e-403f-b7ed-af8b7d830010",
            "first_name": "child",
            "last_name": "One",
            "sex": "F",
            "date_of_birth": "2000-04-12",
            "living_situation": "Living with other family or friends",
        }
    ]
    assert "address" not in case["respondents"][0]  # the fixture's respondent address is empty


def test_confidential_address_is_flagged_for_the_field_policy() -> None:
    [respondent] = only_record("confidential-address")["respondents"]
    assert respondent["address_confidential"] is True


def test_progressed_case_hearings_orders_and_risks() -> None:
    case = only_record("progressed")
    assert case["state"] == "FINAL_HEARING"
    assert [(h["type"], h["status"], h.get("cancellation_reason")) for h in case["hearings"]] == [
        ("FURTHER_CASE_MANAGEMENT", "listed", None),
        ("CASE_MANAGEMENT", "held", None),
        ("FINAL", "adjourned", "HM3"),  # given by its label
        ("ISSUE_RESOLUTION", "vacated", "LA7"),
    ]
    # British Summer Time: the CCD wall time carries +01:00
    assert case["hearings"][3]["starts_at"] == "2025-10-06T10:00:00+01:00"
    # the blank order (C21) is not an order the canonical model records
    assert case["orders_made"] == [
        {
            "type": "INTERIM_CARE_ORDER",
            "interim": True,
            "made_on": "2025-06-05",
            "child_ids": ["5c578fcc-7e41-45b0-82f7-46c38a769cb3"],
        }
    ]
    assert case["risks"] == ["NEGLECT", "EMOTIONAL_HARM"]


@pytest.mark.parametrize("name", VALID)
def test_every_produced_case_loads_through_the_canonical_input_schema(name: str) -> None:
    case = only_record(name)
    assert CaseInputSchema().load(case)["reference"] == case["reference"]


def test_an_order_naming_no_children_concerns_every_child() -> None:
    body = json.loads(sample("progressed"))
    del body["caseData"]["orderCollection"][0]["value"]["children"]
    [result] = parse(json.dumps(body).encode())
    assert len(result.data["orders_made"][0]["child_ids"]) == 4  # type: ignore[union-attr]


def test_bare_case_data_is_referenced_by_its_familyman_number() -> None:
    case = only_record("bare-case-data")
    assert case["reference"] == "SA25C50001"
    assert "state" not in case


def without_court_and_la_court(name: str) -> bytes:
    """A sample whose case names no court, of an LA (BIR) the reference data gives no court for."""
    case = json.loads(sample(name))
    case["caseData"]["caseLocalAuthority"] = "BIR"
    return json.dumps(case).encode()


def test_a_case_without_a_court_is_at_its_las_court() -> None:
    case = only_record("fault-missing-court")  # HMCTS's case-management template names no court
    assert (case["applicant_la"], case["court"]) == ("W06000011", "344")  # Swansea's, hmcts_la_codes.json


def test_a_list_yields_one_result_per_case_in_order() -> None:
    cases = json.loads(sample("list"))
    cases[2] = json.loads(without_court_and_la_court("fault-missing-court"))
    results = parse(json.dumps(cases).encode())
    assert [type(r).__name__ for r in results] == ["Record", "Record", "RecordError"]
    assert [r.data["reference"] for r in results[:2]] == ["1700000000000001", "1700000000000002"]  # type: ignore[union-attr]
    assert results[0].position.pointer == "/0"
    assert (results[2].code, results[2].position.pointer) == ("hmcts.court", "/2/caseData/court/code")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "code", "pointer"),
    [
        ("fault-missing-court", "hmcts.court", "/caseData/court/code"),
        ("fault-unknown-la", "hmcts.local_authority", "/caseData/caseLocalAuthority"),
    ],
)
def test_fault_variants(name: str, code: str, pointer: str) -> None:
    body = without_court_and_la_court(name) if name == "fault-missing-court" else sample(name)
    [error] = parse(body)
    assert isinstance(error, RecordError)
    assert (error.code, error.position.pointer) == (code, pointer)


def strings_in(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _patched(path: list[str | int], value: Any) -> bytes:
    case = json.loads(sample("valid-case-management"))
    node = case
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(case).encode()


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        (
            ["caseData", "children1", 0, "value", "party", "dateOfBirth"],
            "01/08/2015",
            "hmcts.child_date_of_birth",
        ),
        (["caseData", "children1", 1, "value", "party", "gender"], "Robot", "hmcts.child_gender"),
        (["caseData", "children1", 2, "value", "party", "dateOfBirth"], None, "hmcts.child_date_of_birth"),
        (["caseData", "children1", 3, "id"], None, "hmcts.child_id"),
        (["caseData", "orders", "orderType"], ["PARKING_FINE"], "hmcts.order_type"),
        (["caseData", "hearingDetails", 0, "value", "type"], "PICNIC", "hmcts.hearing_type"),
        (["caseData", "hearingDetails", 0, "value", "startDate"], "soon", "hmcts.hearing_date"),
        (["caseData", "hearingDetails", 0, "value", "status"], "POSTPONED", "hmcts.hearing_status"),
        (
            ["caseData", "hearingDetails", 0, "value", "cancellationReason"],
            "XX9",
            "hmcts.cancellation_reason",
        ),
        (["caseData", "court", "code"], "999", "hmcts.court"),
        (["caseData", "dateOfIssue"], "2025-02-30", "hmcts.date_of_issue"),
        (["state"], "PENDING", "hmcts.state"),
        (["caseData", "respondents1"], {"not": "a list"}, "hmcts.collection"),
    ],
)
def test_unmappable_values_are_record_faults_that_never_echo_the_data(
    path: list, value: Any, code: str
) -> None:
    body = _patched(path, value)
    [error] = parse(body)
    assert isinstance(error, RecordError)
    assert error.code == code
    assert error.position.pointer.startswith("/" + "/".join(map(str, path[:2])))
    assert not any(text in error.message for text in personal(json.loads(body)) | set(strings_in(value)))


def test_messages_never_carry_personal_data_for_any_fault_variant() -> None:
    for name in ("fault-missing-court", "fault-unknown-la", "list"):
        body = sample(name)
        for result in parse(body):
            if isinstance(result, RecordError):
                assert not any(text in result.message for text in personal(json.loads(body)))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'[{"caseData": {"dateSubmitted": "2025-06-02"', "hmcts.malformed_json"),
        (b'{"caseData": {}} {"caseData": {}}', "hmcts.malformed_json"),
        (b'"a string"', "hmcts.not_a_case"),
        (b"", "hmcts.not_a_case"),
        (b"  \n ", "hmcts.not_a_case"),
    ],
)
def test_unreadable_bodies_raise_format_error(body: bytes, code: str) -> None:
    with pytest.raises(FormatError) as raised:
        parse(body)
    assert raised.value.code == code
    assert "dateSubmitted" not in raised.value.message  # ijson's message would quote the body


def test_a_non_object_in_a_list_is_a_record_fault() -> None:
    results = parse(b"[" + sample("epo") + b', 42, "x"]')
    assert isinstance(results[0], Record)
    assert [(r.code, r.position.pointer) for r in results[1:]] == [  # type: ignore[union-attr]
        ("hmcts.not_an_object", "/1"),
        ("hmcts.not_an_object", "/2"),
    ]


def test_whitespace_and_bom_before_the_body_are_skipped() -> None:
    [result] = parse(b"\xef\xbb\xbf \n\t" + sample("epo"))
    assert isinstance(result, Record)


class CountingStream(io.RawIOBase):
    """A raw stream over ``data`` that counts the bytes handed out."""

    def __init__(self, data: bytes) -> None:
        self.data, self.given = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data[self.given : self.given + min(len(buffer), 8192)]
        buffer[: len(chunk)] = chunk
        self.given += len(chunk)
        return len(chunk)


def test_a_list_is_streamed_case_by_case() -> None:
    case = sample("epo")
    body = b"[" + b",".join([case] * 500) + b"]"
    stream = CountingStream(body)
    results = HmctsFplCcdAdapter(PLACES).parse(stream)  # type: ignore[arg-type]
    first = next(results)
    assert isinstance(first, Record)
    assert stream.given < len(body) / 10  # the first case came before most of the body was read
    assert sum(1 for _ in results) == 499
