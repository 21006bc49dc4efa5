"""The code lists against the reference files they were taken from, and the module's interface."""

from __future__ import annotations

import csv
import json
import re

import pytest

from exchange import reference
from schemas import code_lists
from tests.schemas.conftest import REFERENCE

EXPECTED = {
    "advice_request_statuses",
    "advice_request_types",
    "application_types",
    "cancellation_reasons",
    "case_states",
    "child_outcomes",
    "disabilities",
    "ethnicities",
    "extension_reasons",
    "hearing_statuses",
    "hearing_types",
    "hearing_urgencies",
    "la_codes",
    "laws",
    "legal_statuses",
    "living_situations",
    "order_types",
    "party_roles",
    "risks",
    "sexes",
    "threshold_reasons",
    "upn_la_numbers",
}


def fpl(list_name: str) -> set[str]:
    lists = json.loads((REFERENCE / "hmcts" / "fpl-fixed-lists.json").read_text(encoding="utf-8"))["lists"]
    return {value["code"] for value in lists[list_name]["values"]}


def test_names_are_the_shipped_lists() -> None:
    assert set(code_lists.names()) == EXPECTED
    assert code_lists.names() == sorted(code_lists.names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_entry_has_a_unique_code_and_a_label(name: str) -> None:
    entries = code_lists.get(name)
    assert entries
    assert all(isinstance(e["code"], str) and e["code"] and isinstance(e["label"], str) for e in entries)
    assert len({e["code"] for e in entries}) == len(entries)
    assert code_lists.codes(name) == {e["code"] for e in entries}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_list_says_where_it_came_from(name: str) -> None:
    described = code_lists.describe(name)
    assert described["source"] and described["licence"] and described["description"]
    readme = (code_lists.DIRECTORY / "README.md").read_text(encoding="utf-8")
    assert f"`{name}`" in readme


def test_unknown_list() -> None:
    with pytest.raises(code_lists.UnknownCodeList):
        code_lists.get("colours")


def test_entries_are_copies_and_codes_are_cached() -> None:
    code_lists.get("sexes")[0]["code"] = "Z"
    assert code_lists.codes("sexes") == {"M", "F", "U"}
    assert code_lists.codes("sexes") is code_lists.codes("sexes")


@pytest.mark.parametrize(
    ("name", "fixed_list"),
    [
        ("hearing_urgencies", "HearingUrgencyTypeFixedList"),
        ("threshold_reasons", "GroundList"),
        ("risks", "RiskAndHarmToChildrenList"),
        ("child_outcomes", "close-case/ChildFinalDecision"),
        ("extension_reasons", "CaseExtensionReasonList"),
        ("living_situations", "LivingSituationList"),
    ],
)
def test_hmcts_lists_are_the_fixed_lists(name: str, fixed_list: str) -> None:
    assert code_lists.codes(name) == fpl(fixed_list)


def test_order_and_hearing_types() -> None:
    orders = {e["code"]: e["law"] for e in code_lists.get("order_types")}
    # the FPL list, plus the final orders a care case may end with that FPL's application form does not list
    added = {"PLACEMENT_ORDER", "SPECIAL_GUARDIANSHIP_ORDER"}
    assert {c for c, law in orders.items() if law == "public"} == fpl("OrderType") | added
    assert {c for c, law in orders.items() if law == "private"} == {
        "childArrangementsOrder",
        "prohibitedStepsOrder",
        "specificIssueOrder",
    }
    assert code_lists.codes("hearing_types") == fpl("HearingType") | {"OTHER"}


def test_cancellation_reasons_name_the_agency_they_blame() -> None:
    reasons = {e["code"]: e for e in code_lists.get("cancellation_reasons")}
    assert len(reasons) == 45
    assert reasons["LA7"]["agency"] == "LocalAuthority"
    assert reasons["CA1"]["agency"] == "Cafcass"
    assert (reasons["JU3"]["agency"], reasons["JU3"]["label"]) == ("HMCTS", "No Judge available")
    assert reasons["OT14"]["agency"] == "Other"
    assert {f"LA{n}" for n in range(1, 12)} <= set(reasons)


def test_hearing_statuses_cover_every_hmcts_status() -> None:
    statuses = code_lists.get("hearing_statuses")
    assert [s["code"] for s in statuses] == ["listed", "held", "adjourned", "vacated"]
    covered = [hmcts for s in statuses for hmcts in s["hmcts_statuses"]]
    assert sorted(covered) == sorted(fpl("HearingStatus"))


def test_case_states_are_the_ccd_states_in_display_order() -> None:
    states = json.loads((REFERENCE / "hmcts" / "fpl-ccd-State.json").read_text(encoding="utf-8"))
    expected = [s["ID"] for s in sorted(states, key=lambda s: s["DisplayOrder"])]
    assert [e["code"] for e in code_lists.get("case_states")] == expected
    assert {"Open", "Submitted", "Gatekeeping", "GATEKEEPING_LISTING", "CLOSED", "RETURNED"} <= set(expected)


def test_dfe_code_sets() -> None:
    assert code_lists.codes("sexes") == {"M", "F", "U"}
    ethnicities = code_lists.codes("ethnicities")
    assert len(ethnicities) == 20 and {"WBRI", "WROM", "MWBC", "BCRB", "CHNE", "REFU", "NOBT"} <= ethnicities
    assert "NONE" in code_lists.codes("disabilities") and "AUT" in code_lists.codes("disabilities")


def test_legal_statuses_are_the_ssda903_ls_codes() -> None:
    schema = (REFERENCE / "ssda903" / "schema" / "SSDA903_schema_2017.yml").read_text(encoding="utf-8")
    # the LS column's category list, up to its canbeblank line (no YAML parser is installed)
    block = re.search(r"\n\s+LS:\n\s+category:\n(.*?)\n\s+canbeblank", schema, re.S)
    assert block is not None
    assert code_lists.codes("legal_statuses") == set(re.findall(r'code: "(\w+)"', block.group(1)))
    labels = {e["code"]: e["label"] for e in code_lists.get("legal_statuses")}
    assert labels["C1"] == "Interim care order" and labels["C2"] == "Full care order"
    assert labels["E1"] == "Placement order granted"


def test_la_codes_are_the_live_english_las_and_the_welsh_ones() -> None:
    las = {e["code"]: e for e in code_lists.get("la_codes")}
    with (REFERENCE / "areas" / "dfe_las.csv").open(encoding="utf-8") as handle:
        live = {row["old_la_code"] for row in csv.DictReader(handle) if row["status"] == "live"}
    english = {code for code, e in las.items() if e["country"] == "England"}
    assert english == {code for code in live if re.fullmatch(r"\d{3}", code)} - {"702"}
    assert len(english) == 153 and len(las) == 175
    assert las["202"]["label"] == "Camden" and las["202"]["ons_code"] == "E09000007"
    cardiff = {"code": "W06000015", "label": "Cardiff", "country": "Wales", "ons_code": "W06000015"}
    assert las["W06000015"] == cardiff
    assert "837" not in las  # Bournemouth, terminated in 2019
    assert {"940", "941", "942", "943"} <= set(las)  # the 2021 and 2023 reorganisations


def test_la_codes_agree_with_the_operators_la_table() -> None:
    assert code_lists.codes("la_codes") == set(reference.load().local_authorities)


def test_upn_la_numbers_keep_terminated_las_and_add_wales_and_pseudo_las() -> None:
    numbers = code_lists.codes("upn_la_numbers")
    assert {"202", "837", "929", "702"} <= numbers
    assert {"001", "005", "701", "708"} <= numbers  # DfE's pseudo LAs (rule 1530)
    assert {str(n) for n in range(660, 682)} <= numbers
    assert {code for code in code_lists.codes("la_codes") if not code.startswith("W")} <= numbers


def test_spec_lists() -> None:
    assert code_lists.codes("laws") == {"public", "private"}
    assert code_lists.codes("advice_request_types") == {
        "safeguarding_letter",
        "section_7_report",
        "section_16a_risk_assessment",
        "rule_16_4_guardian",
        "case_management_advice",
        "child_impact_report",
        "section_37_report",
    }
    assert code_lists.codes("advice_request_statuses") == {
        "received",
        "routed",
        "acknowledged",
        "answered",
        "overdue",
        "withdrawn",
    }
    laws = {e["code"]: e["law"] for e in code_lists.get("application_types")}
    assert laws == {"C110A": "public", "C1": "public", "C100": "private"}
