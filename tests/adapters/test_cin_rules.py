"""Every DfE CIN rule of ``adapters.cin_rules``: a clean child keeps all quiet, one change makes each fire.

Each case is (rule, change): the change, applied to a copy of the clean child (or of the return's tally
for rules about the whole return), must make that rule fire; the clean child must make none fire.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from adapters.base import Position
from adapters.cin_rules import RULES, Census, Checks, rules_for
from adapters.cin_rules.engine import Tally, features, prepared

CENSUS = Census(2026, date(2026, 3, 31), date(2026, 3, 31))
UPN = "A202123456785"  # its check letter is put right below


def _valid_upn() -> str:
    from schemas.upn import check_letter

    return check_letter(UPN) + UPN[1:]


def clean_child() -> dict[str, Any]:
    return {
        "la_code": "202",
        "collection_year": 2026,
        "la_child_id": "C1",
        "upn": _valid_upn(),
        "former_upn": None,
        "upn_unknown": None,
        "date_of_birth": "2015-06-01",
        "expected_date_of_birth": None,
        "sex": "F",
        "gender_current": None,
        "date_of_death": None,
        "ethnicity": "WBRI",
        "disabilities": ["MOB"],
        "cin_episodes": [
            {
                "referral_date": "2025-05-01",
                "referral_source": "1A",
                "primary_need": "N1",
                "closure_date": "2025-12-01",
                "reason_for_closure": "RC1",
                "date_of_initial_cpc": None,
                "referral_nfa": False,
                "assessments": [
                    {
                        "start_date": "2025-05-02",
                        "internal_review_date": None,
                        "authorisation_date": "2025-05-20",
                        "factors": ["1B", "2B"],
                    }
                ],
                "cin_plans": [{"start_date": "2025-06-01", "end_date": "2025-08-01"}],
                "section47_enquiries": [
                    {
                        "start_date": "2025-05-02",
                        "initial_cpc_target": "2025-08-11",
                        "date_of_initial_cpc": "2025-08-11",
                        "icpc_not_required": False,
                    }
                ],
                "child_protection_plans": [
                    {
                        "start_date": "2025-08-11",
                        "end_date": "2025-11-01",
                        "initial_category_of_abuse": "NEG",
                        "latest_category_of_abuse": "NEG",
                        "number_of_previous_cpp": 0,
                        "reviews": ["2025-10-01"],
                    }
                ],
                "pre_proceedings": {
                    "pp_start_date": "2025-09-01",
                    "lbp_sent_date": "2025-09-05",
                    "fgdm_meeting_offer": "1",
                    "fgdm_meeting_facilitated": "0",
                    "initial_pp_meeting_date": "2025-09-20",
                    "review_meetings_count": 2,
                    "step_decision_date": "2025-11-01",
                    "pp_outcome": "A",
                    "court_application_date": "2025-11-10",
                    "letter_init_cp_date": "2025-11-12",
                },
            }
        ],
    }


def fired(child: dict[str, Any], rule_id: str, census: Census = CENSUS) -> list[str]:
    """What ``rule_id`` reports on ``child``: a list, as the engine takes from every rule (not a generator,
    whose making costs as much as most rules' work)."""
    found = RULES[rule_id].check(prepared(child), census)  # type: ignore[call-arg,arg-type]
    assert isinstance(found, list), rule_id
    return found


def ep(child: dict[str, Any]) -> dict[str, Any]:
    return child["cin_episodes"][0]


def pp(child: dict[str, Any]) -> dict[str, Any]:
    return ep(child)["pre_proceedings"]


def second_episode(child: dict[str, Any], **changes: Any) -> None:
    child["cin_episodes"].append({**copy.deepcopy(ep(child)), **changes})


Change = Callable[[dict[str, Any]], Any]
CASES: dict[str, Change] = {
    "1510": lambda c: c.update(upn=("B" if c["upn"][0] == "A" else "A") + c["upn"][1:]),
    "1530": lambda c: c.update(upn="A999" + c["upn"][4:]),
    "1540": lambda c: c.update(upn=c["upn"][:6] + "AB" + c["upn"][8:]),
    "1550": lambda c: c.update(upn=c["upn"][:12] + "I"),
    "1560Q": lambda c: c.update(former_upn="A999123456785"),
    "1570": lambda c: c.update(la_child_id="C" * 21),
    "1580": lambda c: c.update(la_child_id="C-1"),
    "8520": lambda c: c.update(date_of_birth="2026-04-01"),
    "8525Q": lambda c: c.update(expected_date_of_birth="2026-05-01"),
    "8530Q": lambda c: c.update(date_of_birth=None, expected_date_of_birth="2027-06-01", sex="U"),
    "8535Q": lambda c: c.update(date_of_death="2014-01-01"),
    "8545Q": lambda c: c.update(date_of_death="2024-01-01"),
    "8750": lambda c: c.update(date_of_birth=None, expected_date_of_birth="2026-06-01", sex="F"),
    "8770Q": lambda c: c.update(upn=None),
    "8772": lambda c: c.update(upn=None, upn_unknown="UN7"),
    "8775Q": lambda c: c.update(date_of_birth="1990-01-01"),
    "8790": lambda c: c.update(disabilities=["NONE", "MOB"]),
    "8794": lambda c: c.update(disabilities=["MOB", "MOB"]),
    "2990": lambda c: ep(c).update(reason_for_closure="RC8"),
    "2991Q": lambda c: ep(c).update(assessments=[]),
    "8555Q": lambda c: c.update(date_of_death="2025-04-20"),
    "8569Q": lambda c: ep(c).update(referral_nfa=True, referral_date="2025-01-01"),
    "8585Q": lambda c: ep(c).update(reason_for_closure="RC2"),
    "8600": lambda c: ep(c).update(referral_date="2026-04-01"),
    "8606": lambda c: c.update(date_of_birth="2026-03-01"),
    "8610": lambda c: ep(c).update(primary_need=None),
    "8620": lambda c: ep(c).update(closure_date="2026-04-02"),
    "8630": lambda c: ep(c).update(closure_date="2025-04-01"),
    "8805": lambda c: ep(c).update(reason_for_closure=None),
    "8810": lambda c: ep(c).update(closure_date=None),
    "8815": lambda c: (ep(c).update(closure_date=None, reason_for_closure=None), second_episode(c)),
    "8816": lambda c: (
        ep(c).update(closure_date=None, reason_for_closure=None),
        second_episode(c, referral_date="2026-01-01"),
    ),
    "8820": lambda c: second_episode(c, referral_date="2025-11-01", closure_date="2026-01-01"),
    "8825Q": lambda c: ep(c).update(reason_for_closure="RC9", assessments=[]),
    "8831": lambda c: ep(c).update(referral_nfa=True),
    "8565": lambda c: ep(c).update(closure_date="2025-09-01"),
    "8867": lambda c: ep(c)["assessments"][0].update(authorisation_date=None, factors=[]),
    "8868": lambda c: ep(c)["section47_enquiries"][0].update(date_of_initial_cpc=None),
    "1103": lambda c: ep(c)["assessments"][0].update(start_date="2025-04-01"),
    "8608": lambda c: ep(c)["assessments"][0].update(authorisation_date="2025-05-01"),
    "8614": lambda c: ep(c)["assessments"][0].update(authorisation_date=None),
    "8670Q": lambda c: ep(c)["assessments"][0].update(authorisation_date=None, factors=[]),
    "8696": lambda c: ep(c)["assessments"][0].update(authorisation_date="2026-04-05"),
    "8736": lambda c: (
        ep(c).update(referral_date="2025-01-01"),
        ep(c)["assessments"][0].update(start_date="2025-02-01", authorisation_date=None, factors=[]),
    ),
    "8863Q": lambda c: ep(c)["assessments"].append(dict(ep(c)["assessments"][0], start_date="2025-05-10")),
    "8869": lambda c: ep(c)["assessments"][0].update(factors=["21", "1B"]),
    "8873Q": lambda c: ep(c)["assessments"][0].update(factors=["21"]),
    "8896": lambda c: ep(c)["assessments"].extend(
        [dict(ep(c)["assessments"][0], authorisation_date=None, factors=[])] * 2
    ),
    "8897Q": lambda c: ep(c)["assessments"][0].update(factors=[]),
    "8898": lambda c: ep(c)["assessments"][0].update(factors=["1B", "1B"]),
    "8945Q": lambda c: ep(c)["assessments"][0].update(factors=["18A"]),
    "8950Q": lambda c: ep(c)["assessments"][0].update(factors=["19A"]),
    "4000": lambda c: ep(c).update(referral_nfa=True),
    "4001": lambda c: (
        ep(c)["cin_plans"][0].update(end_date=None),
        ep(c)["child_protection_plans"][0].update(end_date=None),
    ),
    "4003": lambda c: ep(c)["cin_plans"][0].update(end_date="2025-10-05"),
    "4004": lambda c: ep(c)["cin_plans"].extend([{"start_date": "2025-06-02", "end_date": None}] * 2),
    "4008": lambda c: c.update(date_of_death="2025-05-15"),
    "4009Q": lambda c: c.update(date_of_death="2025-07-01"),
    "4010": lambda c: ep(c)["cin_plans"][0].update(start_date="2026-04-02", end_date=None),
    "4011": lambda c: ep(c)["cin_plans"][0].update(end_date="2025-05-30"),
    "4012Q": lambda c: ep(c)["cin_plans"][0].update(end_date="2025-06-01"),
    "4013": lambda c: ep(c)["cin_plans"][0].update(end_date="2026-04-02"),
    "4014": lambda c: ep(c)["cin_plans"].append({"start_date": "2025-07-01", "end_date": "2025-07-20"}),
    "4015": lambda c: ep(c)["cin_plans"][0].update(start_date="2025-04-20"),
    "1104": lambda c: ep(c)["section47_enquiries"][0].update(date_of_initial_cpc="2025-04-28"),
    "2884": lambda c: ep(c).update(date_of_initial_cpc="2025-08-11"),
    "2889": lambda c: ep(c)["section47_enquiries"][0].update(start_date="2025-04-28"),
    "8615": lambda c: ep(c)["section47_enquiries"][0].update(start_date="2025-08-12"),
    "8675Q": lambda c: ep(c)["section47_enquiries"][0].update(date_of_initial_cpc=None),
    "8715": lambda c: ep(c)["section47_enquiries"][0].update(date_of_initial_cpc="2026-04-06"),
    "8740": lambda c: (
        ep(c).update(referral_date="2025-01-01"),
        ep(c)["section47_enquiries"][0].update(start_date="2025-02-03", date_of_initial_cpc=None),
    ),
    "8839": lambda c: ep(c)["section47_enquiries"].extend(
        [dict(ep(c)["section47_enquiries"][0], date_of_initial_cpc=None)] * 2
    ),
    "8870Q": lambda c: ep(c)["section47_enquiries"][0].update(initial_cpc_target="2025-08-09"),
    "8875": lambda c: ep(c)["section47_enquiries"][0].update(date_of_initial_cpc="2025-08-09"),
    "8890": lambda c: ep(c)["section47_enquiries"].append(
        dict(ep(c)["section47_enquiries"][0], start_date="2025-05-05", date_of_initial_cpc="2025-08-12")
    ),
    "2885": lambda c: ep(c)["child_protection_plans"][0].update(start_date="2025-08-12"),
    "2885Q": lambda c: ep(c)["child_protection_plans"][0].update(start_date="2025-08-12"),
    "4016": lambda c: ep(c)["cin_plans"].append({"start_date": "2025-09-01", "end_date": None}),
    "4017": lambda c: ep(c)["cin_plans"][0].update(end_date="2025-09-01"),
    "9000Q": lambda c: pp(c).update(pp_start_date=None),
    "9005": lambda c: pp(c).update(pp_start_date="2025-03-31"),
    "9006": lambda c: pp(c).update(lbp_sent_date="2025-08-31"),
    "9007": lambda c: pp(c).update(fgdm_meeting_offer=None),
    "9008": lambda c: pp(c).update(initial_pp_meeting_date="2026-04-01"),
    "9009": lambda c: pp(c).update(step_decision_date="2025-08-01"),
    "9010Q": lambda c: pp(c).update(fgdm_meeting_facilitated=None),
    "9011": lambda c: pp(c).update(pp_outcome="D"),
    "9012": lambda c: pp(c).update(court_application_date="2025-10-31"),
    "9013": lambda c: pp(c).update(letter_init_cp_date="2025-11-09"),
    "9015Q": lambda c: pp(c).update(review_meetings_count=None),
    "1105": lambda c: ep(c)["child_protection_plans"][0].update(start_date="2025-04-20"),
    "8720": lambda c: ep(c)["child_protection_plans"][0].update(start_date="2026-04-02", end_date=None),
    "8832": lambda c: ep(c).update(referral_nfa=True),
    "8840": lambda c: ep(c)["child_protection_plans"][0].update(end_date="2025-08-11"),
    "8841": lambda c: ep(c)["child_protection_plans"][0].update(reviews=["2025-08-11"]),
    "8915": lambda c: c.update(date_of_death="2025-08-01"),
    "8920": lambda c: c.update(date_of_death="2025-10-20"),
    "8925": lambda c: ep(c)["child_protection_plans"][0].update(end_date="2025-08-01"),
    "8930": lambda c: ep(c)["child_protection_plans"][0].update(end_date="2026-04-02"),
    "8935": lambda c: ep(c)["child_protection_plans"].extend(
        [dict(ep(c)["child_protection_plans"][0], end_date=None)] * 2
    ),
    "8940": lambda c: ep(c)["child_protection_plans"].append(
        dict(ep(c)["child_protection_plans"][0], start_date="2025-09-01")
    ),
}
RETURN_CASES: dict[str, Callable[[Tally], Any]] = {
    "2886Q": lambda t: t.__dict__.update(born=100, born_without_sex=3),
    "2887Q": lambda t: t.disability_codes.difference_update({"HAND"}),
    "2888Q": lambda t: t.__dict__.update(with_several_disabilities=0),
    "8995Q": lambda t: t.__dict__.update(with_pre_proceedings=0),
    "2883": lambda t: t.__dict__.update(protection_plans_starting=3, conferences_held=2),
}
#: rules checked elsewhere than their function: the header (100), across children (1520, 8510)
ELSEWHERE = {"100", "1520", "8510"}


def clean_tally() -> Tally:
    codes = {"MOB", "HAND", "COMM", "LD", "HEAR", "VIS", "BEH", "AUT"}
    return Tally(
        children=10,
        born=10,
        born_without_sex=0,
        disability_codes=codes,
        with_disability=5,
        with_several_disabilities=2,
        with_pre_proceedings=1,
        protection_plans_starting=2,
        conferences_held=2,
    )


def test_every_rule_has_a_case_that_fires_it() -> None:
    assert set(RULES) == set(CASES) | set(RETURN_CASES) | ELSEWHERE


@pytest.mark.parametrize("rule_id", sorted(set(CASES)))
def test_the_clean_child_keeps_the_rule_quiet_and_the_change_makes_it_fire(rule_id: str) -> None:
    assert fired(clean_child(), rule_id) == []
    child = clean_child()
    CASES[rule_id](child)
    census = Census(2024, date(2024, 3, 31)) if rule_id == "8750" else CENSUS
    if rule_id == "8750":  # GenderCurrent before 2025: 0 is an unborn child's only code
        child.update(gender_current="1")
    assert fired(child, rule_id, census), rule_id


def test_a_rule_fires_only_on_children_with_what_it_needs() -> None:
    """The engine skips a rule for a child without its ``needs``: so no rule may fire on such a child. Every
    rule is run on every case's child (and the clean one); where it fires, the child has what it needs."""
    children = [clean_child()]
    for change in CASES.values():
        children.append(clean_child())
        change(children[-1])
    assert any(not features(child) >= {"date_of_death"} for child in children)
    for child in children:
        has = features(child)
        for rule_id in CASES:
            if fired(child, rule_id):
                assert RULES[rule_id].needs <= has, rule_id
    assert sum(bool(RULES[rule_id].needs) for rule_id in CASES) > 60


@pytest.mark.parametrize("rule_id", sorted(RETURN_CASES))
def test_return_rules_fire_on_their_tally_only(rule_id: str) -> None:
    tally = clean_tally()
    assert RULES[rule_id].check(tally, CENSUS) is False  # type: ignore[call-arg,arg-type]
    RETURN_CASES[rule_id](tally)
    assert RULES[rule_id].check(tally, CENSUS) is True  # type: ignore[call-arg,arg-type]


def _checks(year: int = 2026, reference_date: str = "2026-03-31") -> Checks:
    checks = Checks()
    list(checks.header({"collection_year": year, "reference_date": reference_date}, Position(line=2)))
    return checks


def test_a_wrong_check_letter_is_1510_even_when_the_la_number_is_unknown() -> None:
    child = clean_child()
    child["upn"] = "B999000000100"  # its check letter is A
    assert fired(child, "1510") == fired(child, "1530") == ["/ChildIdentifiers/UPN"]
    child["upn"] = "A99900000010Z"  # Z is a recognised character 13, weighed in the check letter
    assert fired(child, "1510") == ["/ChildIdentifiers/UPN"]


def test_the_header_reference_date_must_be_31_march_of_the_year() -> None:
    good = Checks()
    bad = Checks()
    header = {"collection_year": 2026, "reference_date": "2026-03-31"}
    assert list(good.header(header, Position(line=2))) == []
    [finding] = bad.header(
        {**header, "reference_date": "2025-03-31"}, Position(line=2, xpath="/Message/Header")
    )
    assert (finding.code, finding.record) == ("cin.100", None)


def test_a_repeated_la_child_id_is_8510_on_both_and_a_repeated_upn_1520_on_the_repeat() -> None:
    checks = _checks()
    first, second = clean_child(), clean_child()
    out = list(checks.child(first, None, Position(line=10, xpath="/Message/Children/Child[1]")))
    assert out == []
    out = list(checks.child(second, None, Position(line=40, xpath="/Message/Children/Child[2]")))
    assert sorted((f.code, f.position.xpath) for f in out) == [
        ("cin.1520", "/Message/Children/Child[2]/ChildIdentifiers/UPN"),
        ("cin.8510", "/Message/Children/Child[1]/ChildIdentifiers/LAchildID"),
        ("cin.8510", "/Message/Children/Child[2]/ChildIdentifiers/LAchildID"),
    ]
    third = dict(clean_child(), la_child_id="C3", upn=None, upn_unknown="UN2")
    assert list(checks.child(third, None, Position(line=70, xpath="/Message/Children/Child[3]"))) == []


@pytest.mark.parametrize("year", range(2017, 2028))
def test_each_year_has_its_rules(year: int) -> None:
    ids = {r.id for r in rules_for(year)}
    assert {"8510", "8600", "8940"} <= ids
    assert ("1570" in ids) == (year >= 2025)
    assert ("2885" in ids, "2885Q" in ids, "9005" in ids) == (year < 2027, year == 2027, year == 2027)


def test_pre_proceedings_rules_look_only_at_the_blocks_given() -> None:
    child = clean_child()
    ep(child)["pre_proceedings"] = None
    block_rules = [r.id for r in rules_for(2027) if r.id.startswith("90")]
    assert len(block_rules) == 11 and [r for r in block_rules if fired(child, r)] == []
    for rule_id in ("9006", "9009", "9012", "9013"):  # the earlier date missing: only the census year counts
        child = clean_child()
        pp(child).update(pp_start_date=None, step_decision_date=None, court_application_date=None)
        assert fired(child, rule_id) == [], rule_id


def test_readings_of_dfe_wording_shared_with_the_peer_validator() -> None:
    child = clean_child()
    ep(child).update(date_of_initial_cpc="2024-01-06")  # a CIN-details conference: not 1104, 8715, 8875
    assert fired(child, "1104") == fired(child, "8715") == fired(child, "8875") == []
    assert fired(child, "2884") == []  # two conferences on different days are two conferences
    child = clean_child()
    ep(child)["cin_plans"].append({"start_date": "2025-08-01", "end_date": "2025-08-05"})  # on the last day
    assert fired(child, "4014") == ["/CINdetails[1]/CINPlanDates[2]/CINPlanStartDate"]
    child = clean_child()
    ep(child)["section47_enquiries"][0].update(date_of_initial_cpc=None)
    assert fired(child, "2885") == ["/CINdetails[1]/ChildProtectionPlans[1]/CPPstartDate"]
    ep(child)["section47_enquiries"] = []
    ep(child).update(date_of_initial_cpc="2025-08-11")  # no enquiry: the CIN details' conference counts
    assert fired(child, "2885") == []
    child = clean_child()
    child.update(date_of_birth="2001-01-01")  # over 25 at the reference date, but the case closed before
    assert fired(child, "8775Q", Census(2027, date(2027, 3, 31))) == []
    ep(child).update(closure_date=None)
    assert fired(child, "8775Q", Census(2027, date(2027, 3, 31))) == ["/ChildIdentifiers/PersonBirthDate"]
    child = clean_child()
    ep(child).update(closure_date="2025-08-20")  # a CPP review or start after closing is not DfE's 8565
    ep(child)["child_protection_plans"][0].update(end_date="2025-08-15", reviews=["2025-09-01"])
    ep(child)["cin_plans"][0].update(end_date="2025-07-01")
    assert fired(child, "8565") == []


def test_8820_lets_one_episode_start_the_day_another_closes_and_an_open_nfa_referral_overlap_nothing() -> (
    None
):
    child = clean_child()
    second_episode(child, referral_date="2025-12-01", closure_date=None, reason_for_closure=None)
    assert fired(child, "8820") == []
    child = clean_child()
    ep(child).update(closure_date=None, reason_for_closure=None, referral_nfa=True)
    second_episode(child, referral_date="2025-06-01", referral_nfa=False)
    assert fired(child, "8820") == []
    ep(child).update(referral_nfa=False)
    assert fired(child, "8820") == [""]


def test_2883_counts_plans_and_conferences_of_the_census_year_across_the_return() -> None:
    checks = _checks()
    child = clean_child()
    list(checks.child(child, None, Position(line=1, xpath="/Message/Children/Child[1]")))
    assert (checks.tally.protection_plans_starting, checks.tally.conferences_held) == (1, 1)
    ep(child)["section47_enquiries"][0].update(date_of_initial_cpc="2025-03-01")  # before the census year
    list(
        checks.child(
            dict(child, la_child_id="C2"), None, Position(line=2, xpath="/Message/Children/Child[2]")
        )
    )
    assert [f.code for f in checks.finish() if f.code == "cin.2883"] == ["cin.2883"]


def test_a_cin_plan_and_a_protection_plan_opening_during_each_other() -> None:
    child = clean_child()
    ep(child)["cin_plans"] = [{"start_date": "2025-08-11", "end_date": None}]  # the day the CPP starts
    assert fired(child, "4016") == ["/CINdetails[1]/CINPlanDates[1]/CINPlanStartDate"]
    assert fired(child, "4017") == ["/CINdetails[1]/ChildProtectionPlans[1]/CPPstartDate"]
    ep(child)["cin_plans"] = [{"start_date": "2025-11-01", "end_date": None}]  # the day the CPP ends
    assert fired(child, "4016") == [] and fired(child, "4017") == []
