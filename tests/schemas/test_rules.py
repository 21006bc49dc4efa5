"""Business rules: each rule at its boundary, with its stable code and pointer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from exchange import reference
from schemas.case import CaseInputSchema
from schemas.events import load_event
from schemas.rules import Fault, case_faults, event_faults
from tests.schemas.conftest import VALID_UPN, care_case

TODAY = date(2025, 6, 1)
COURTS = reference.load().courts


def faults(case: dict[str, Any], today: date = TODAY) -> list[Fault]:
    return case_faults(CaseInputSchema().load(case), today=today, courts=COURTS)


def codes_at(case: dict[str, Any], today: date = TODAY) -> set[tuple[str, str]]:
    return {(fault.pointer, fault.code) for fault in faults(case, today)}


def test_the_synthetic_case_breaks_no_rule() -> None:
    assert faults(care_case()) == []


def test_rules_read_json_strings_as_well_as_loaded_values() -> None:
    bad = care_case(date_issued="2025-01-05")
    assert case_faults(bad, today=TODAY, courts=COURTS) == faults(bad)


@pytest.mark.parametrize(
    ("upn", "code"),
    [
        (VALID_UPN, None),
        ("B202000000100", "cin.1510"),  # wrong check letter
        ("A20200000010", "upn.length"),
        ("A2020000001000", "upn.length"),
        ("A202ABCDEFGH0", "cin.1540"),
        ("A999000000100", "cin.1530"),  # 999 is no LA number
        ("A20200000010I", "cin.1550"),  # I is no check letter
    ],
)
def test_upn_rules(upn: str, code: str | None) -> None:
    case = care_case()
    case["children"][0]["upn"] = upn
    expected = {("/children/0/upn", code)} if code else set()
    assert codes_at(case) == expected


def test_a_upn_breaking_two_dfe_rules_reports_both() -> None:
    case = care_case()
    case["children"][0]["upn"] = "B999000000100"  # no LA number, and its check letter is A
    assert codes_at(case) == {("/children/0/upn", "cin.1530"), ("/children/0/upn", "cin.1510")}


def test_upns_of_terminated_welsh_and_pseudo_las_are_accepted() -> None:
    from schemas.upn import check_letter

    for number in ("837", "681", "001", "705"):  # Bournemouth until 2019; a Welsh LA; two pseudo LAs
        upn = check_letter("?" + number + "000001230") + number + "000001230"
        case = care_case()
        case["children"][0]["upn"] = upn
        assert faults(case) == []


@pytest.mark.parametrize(
    ("code", "known"), [("202", True), ("W06000015", True), ("999", False), ("W06000007", False)]
)
def test_the_applicant_la_must_exist(code: str, known: bool) -> None:
    found = codes_at(care_case(applicant_la=code))
    assert (("/applicant_la", "case.applicant_la_unknown") in found) is not known


def test_the_court_must_be_a_known_family_court() -> None:
    assert codes_at(care_case(court="999")) == {("/court", "case.court_unknown")}


def test_the_application_type_must_be_for_the_law() -> None:
    assert codes_at(care_case(application_type="C100")) == {
        ("/application_type", "case.application_type_law")
    }
    private = care_case(law="private", application_type="C100", orders_sought=["childArrangementsOrder"])
    assert faults(private) == []


def test_a_child_born_today_is_fine_tomorrow_is_the_future() -> None:
    case = care_case()
    case["children"][1]["date_of_birth"] = "2025-06-01"
    assert faults(case) == []
    case["children"][1]["date_of_birth"] = "2025-06-02"
    assert codes_at(case) == {("/children/1/date_of_birth", "child.born_in_future")}


def test_case_dates_may_not_be_in_the_future() -> None:
    assert faults(care_case(closed_date="2025-06-01")) == []
    assert codes_at(care_case(closed_date="2025-06-02")) == {("/closed_date", "case.date_in_future")}


def test_issue_on_the_day_of_receipt_is_fine_the_day_before_is_not() -> None:
    assert faults(care_case(date_received="2025-01-07")) == []
    found = codes_at(care_case(date_received="2025-01-08"))
    assert found == {("/date_issued", "case.issued_before_received")}


def test_hearings_start_on_or_after_issue_in_their_own_offset() -> None:
    case = care_case()
    case["hearings"][0]["starts_at"] = "2025-01-07T00:00:00+00:00"
    assert faults(case) == []
    # 00:30 UTC on the 7th is still the 6th where the hearing is written (UTC-1)
    case["hearings"][0]["starts_at"] = "2025-01-06T23:30:00-01:00"
    assert codes_at(case) == {("/hearings/0/starts_at", "hearing.before_issue")}


def test_a_hearing_ends_after_it_starts() -> None:
    case = care_case()
    case["hearings"][1]["ends_at"] = case["hearings"][1]["starts_at"]
    assert faults(case) == []
    case["hearings"][1]["ends_at"] = "2025-05-12T09:59:59+01:00"
    assert codes_at(case) == {("/hearings/1/ends_at", "hearing.ends_before_start")}


def test_only_vacated_or_adjourned_hearings_have_a_cancellation_reason() -> None:
    case = care_case()
    case["hearings"][1]["status"] = "adjourned"
    assert faults(case) == []
    case["hearings"][0]["cancellation_reason"] = "HM1"
    found = codes_at(case)
    assert found == {("/hearings/0/cancellation_reason", "hearing.unexpected_cancellation_reason")}


def test_orders_are_made_on_or_after_issue() -> None:
    case = care_case()
    case["orders_made"][0]["made_on"] = "2025-01-06"
    assert codes_at(case) == {("/orders_made/0/made_on", "order.before_issue")}


def test_without_an_issue_date_nothing_is_before_issue() -> None:
    case = care_case()
    del case["date_issued"]
    case["orders_made"][0]["made_on"] = "2024-12-01"
    assert faults(case) == []


def test_orders_name_children_of_the_case() -> None:
    case = care_case()
    case["orders_made"][0]["child_ids"] = ["C-2", "C-9"]
    assert codes_at(case) == {("/orders_made/0/child_ids/1", "order.unknown_child")}


def test_la_child_ids_are_unique_within_a_case() -> None:
    case = care_case()
    case["children"][1]["la_child_id"] = "C-1"
    case["orders_made"][0]["child_ids"] = ["C-1"]
    assert codes_at(case) == {("/children/1/la_child_id", "child.duplicate_la_child_id")}


def test_closed_before_issue() -> None:
    found = codes_at(care_case(closed_date="2025-01-06"))
    assert found == {("/closed_date", "case.closed_before_issue")}


def test_faults_carry_stable_messages() -> None:
    case = care_case(court="999")
    assert faults(case) == [
        Fault("/court", "case.court_unknown", "The court code is not a known family court.")
    ]


STORED = {
    "date_issued": "2025-01-07",
    "children": [{"id": "0b7a1f0e-2a51-4d4c-9d4f-1f7c4c6b8a01"}],
    "hearings": [{"id": "5e3d7c1a-8f7a-4b8e-9a51-3c2e1d0f9b02"}],
}


def check(event: dict[str, Any], today: date = TODAY) -> set[tuple[str, str]]:
    loaded = load_event({"occurred_at": "2025-03-01T09:00:00Z", **event})
    return {(fault.pointer, fault.code) for fault in event_faults(loaded, STORED, today=today)}


def test_events_naming_the_cases_own_children_and_hearings_pass() -> None:
    child, hearing = STORED["children"][0]["id"], STORED["hearings"][0]["id"]
    assert check({"type": "hearing.vacated", "hearing_id": hearing, "cancellation_reason": "CA1"}) == set()
    outcome = {
        "type": "child.outcome_recorded",
        "child_id": child,
        "outcome": "REFUSAL",
        "outcome_date": "2025-01-07",
    }
    assert check(outcome) == set()


def test_events_naming_other_childrens_or_hearings_ids() -> None:
    other = str(uuid.uuid4())
    assert check({"type": "hearing.held", "hearing_id": other}) == {("/hearing_id", "event.unknown_hearing")}
    extension = {
        "type": "timetable.extended",
        "child_ids": [STORED["children"][0]["id"], other],
        "extension_weeks": 4,
        "extension_reason": "TimetableForChild",
    }
    assert check(extension) == {("/child_ids/1", "event.unknown_child")}
    order = {
        "type": "order.made",
        "order": {"type": "CARE_ORDER", "child_ids": [other], "made_on": "2025-06-01"},
    }
    assert check(order) == {("/order/child_ids/0", "event.unknown_child")}


def test_events_dating_something_before_issue_or_happening_in_the_future() -> None:
    assert check({"type": "case.closed", "closed_date": "2025-01-06"}) == {
        ("/closed_date", "event.before_issue")
    }
    listed = {"type": "hearing.listed", "hearing": {"type": "FINAL", "starts_at": "2025-01-06T10:00:00Z"}}
    assert check(listed) == {("/hearing/starts_at", "event.before_issue")}
    assert check({"type": "case.withdrawn", "withdrawn_on": "2025-02-01"}, today=date(2025, 2, 28)) == {
        ("/occurred_at", "event.in_future")
    }
