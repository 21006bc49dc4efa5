"""Each rule within one of the smaller tables made to fire, and kept quiet."""

import pytest

from tests.adapters.ssda903_rules.cases import Case, hits
from tests.adapters.ssda903_rules.cases import episode as ep
from tests.adapters.ssda903_rules.cases import header as hd
from tests.adapters.ssda903_rules.cases import table_row as tr

H = [hd("1", DOB="2010-01-01")]  # 14 at the start of 2024-25, 15 at its end


def one(rule, table, fire, quiet, dob="2010-01-01", quiet_dob=None, episodes=()):
    """A firing and a quiet case of ``rule`` from one row of ``table`` for child 1 (born on ``dob``)."""
    return [
        Case(
            rule,
            {"header": [hd("1", DOB=dob)], "episodes": list(episodes), table: [tr("1", **fire)]},
            [("1", 2)],
        ),
        Case(
            rule,
            {
                "header": [hd("1", DOB=quiet_dob or dob)],
                "episodes": list(episodes),
                table: [tr("1", **quiet)],
            },
            [],
        ),
    ]


COHORT = [ep(decom="2023-01-01")]  # looked after since before the year: 12 months at 31 March


def pair(rule, table, first, second, quiet_second, hit_row=3, previous=None):
    return [
        Case(rule, {table: [tr("1", **first), tr("1", **second)]}, [("1", hit_row)]),
        Case(rule, {table: [tr("1", **first), tr("1", **quiet_second)]}, []),
    ]


OC2_FULL = {"IMMUNISATIONS": "1", "TEETH_CHECK": "1", "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0"}
CASES = [
    *one("1006", "missing", {"MISSING": "X"}, {"MISSING": "M"}),
    *one("114", "ad1", {"FOSTER_CARE": "2"}, {"FOSTER_CARE": "1"}),
    *one("176", "ad1", {"SEX_ADOPTR": "XX"}, {"SEX_ADOPTR": "MF"}),
    *one("177", "ad1", {"LS_ADOPTR": "L9"}, {"LS_ADOPTR": "L0"}),
    *one("120", "placed_for_adoption", {"REASON_PLACED_CEASED": "RD9"}, {"REASON_PLACED_CEASED": "RD1"}),
    *one("131", "oc3", {"IN_TOUCH": "MAYBE"}, {"IN_TOUCH": "YES"}),
    *one("132", "oc3", {"ACTIV": "Z9"}, {"ACTIV": "F1"}),
    *one("133", "oc3", {"ACCOM": "Q1"}, {"ACCOM": "B1"}),
    *one("167", "reviews", {"REVIEW_CODE": None}, {"REVIEW_CODE": "PN1"}),
    *one("196", "oc2", {"SDQ_REASON": "SDQ9"}, {"SDQ_REASON": "SDQ1"}),
    *one("631", "previous_permanence", {"PREV_PERM": "P9"}, {"PREV_PERM": "P1"}),
    *one("SW13STG1", "sw_episodes", {"SW_REASON": "NOPE"}, {"SW_REASON": "MANAGE"}),
    *one("104", "uasc", {"DUC": "31/13/2024"}, {"DUC": "2024-12-01"}),
    *one("112", "ad1", {"DATE_INT": "x"}, {"DATE_INT": "2024-05-01"}),
    *one("113", "ad1", {"DATE_MATCH": "x"}, {"DATE_MATCH": "2024-05-01"}),
    *one("115", "placed_for_adoption", {"DATE_PLACED": "x"}, {"DATE_PLACED": "2024-05-01"}),
    *one("116", "placed_for_adoption", {"DATE_PLACED_CEASED": "x"}, {"DATE_PLACED_CEASED": None}),
    *one("166", "reviews", {"REVIEW": None}, {"REVIEW": "2024-05-01"}),
    *one("1004", "missing", {"MIS_START": "x"}, {"MIS_START": "2024-05-01"}),
    *one("1005", "missing", {"MIS_END": "x"}, {"MIS_END": "2024-05-01"}),
    *one("SW04STG1", "sw_episodes", {"SW_DECOM": "x"}, {"SW_DECOM": "2024-05-01"}),
    *one("SW05STG1", "sw_episodes", {"SW_DEC": "x"}, {"SW_DEC": "2024-05-01"}),
    *one("304", "uasc", {"DUC": "2028-01-02"}, {"DUC": "2028-01-01"}),
    *one(
        "440",
        "reviews",
        {"REVIEW": "2024-05-01", "REVIEW_CODE": "PN0"},
        {"REVIEW": "2024-05-01", "REVIEW_CODE": "PN1"},
    ),
    *one(
        "441",
        "reviews",
        {"REVIEW": "2024-05-01", "REVIEW_CODE": "PN1"},
        {"REVIEW": "2024-05-01", "REVIEW_CODE": "PN0"},
        dob="2021-01-01",
    ),
    *one("180", "oc2", {"SDQ_SCORE": 41}, {"SDQ_SCORE": 40}),
    *one("181", "oc2", {"TEETH_CHECK": "2"}, {"TEETH_CHECK": "1"}),
    *one("182", "oc2", {"CONVICTED": "0"}, {"CONVICTED": "0", **OC2_FULL}),
    *one(
        "158",
        "oc2",
        {"INTERVENTION_RECEIVED": "1", "INTERVENTION_OFFERED": "0"},
        {"INTERVENTION_RECEIVED": "1"},
    ),
    *one(
        "159",
        "oc2",
        {"SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "0"},
        {"SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "0", "INTERVENTION_OFFERED": "1"},
    ),
    *one("192", "oc2", {"SUBSTANCE_MISUSE": "1"}, {"SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "1"}),
    *one("193", "oc2", {"SUBSTANCE_MISUSE": "0", "INTERVENTION_OFFERED": "1"}, {"SUBSTANCE_MISUSE": "0"}),
    *one("197a", "oc2", {"SDQ_SCORE": 10, "SDQ_REASON": "SDQ2"}, {"SDQ_SCORE": 10}),
    *one("544", "oc2", {"CONVICTED": "0"}, {"CONVICTED": "0", **OC2_FULL}),
    *one("547", "oc2", {"HEALTH_CHECK": "0"}, {"HEALTH_CHECK": "0", **OC2_FULL}),
    *one("157", "oc2", {"SDQ_REASON": "SDQ1"}, {"SDQ_REASON": "SDQ1"}, quiet_dob="2007-01-01"),
    *one("157", "oc2", {"SDQ_REASON": "SDQ1"}, {"SDQ_REASON": "SDQ2"}),  # DfE names SDQ1 alone
    *one("188", "oc2", {"SDQ_SCORE": 5}, {"SDQ_SCORE": 5}, dob="2021-04-01", quiet_dob="2021-03-31"),
    *one(
        "189", "oc2", {"SDQ_REASON": "SDQ2"}, {"SDQ_REASON": "SDQ2"}, dob="2007-04-01", quiet_dob="2007-04-02"
    ),
    *one("542", "oc2", {"CONVICTED": "0"}, {"CONVICTED": "0"}, dob="2015-04-01", quiet_dob="2010-01-01"),
    *one("546", "oc2", {"HEALTH_CHECK": "1"}, {"HEALTH_CHECK": "1"}, quiet_dob="2020-04-01", episodes=COHORT),
    *one("153", "oc3", {"IN_TOUCH": "YES"}, {"IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"}),
    *one("344", "oc3", {"IN_TOUCH": "DIED", "ACTIV": "F1"}, {"IN_TOUCH": "DIED"}),
    *one(
        "345",
        "oc3",
        {"IN_TOUCH": "YES", "ACTIV": "0", "ACCOM": "B1"},
        {"IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"},
    ),
    *one("391", "oc3", {}, {}, dob="2008-04-01", quiet_dob="2008-03-31"),
    *one("3001", "oc3", {"ACCOM": "Z1"}, {"ACCOM": "B1"}, dob="2007-06-01"),
    *one("347", "oc3", {"ACCOM": "T1"}, {"ACCOM": "B1"}, dob="2007-06-01"),
    *one("175", "ad1", {"NB_ADOPTR": 3}, {"NB_ADOPTR": 2}),
    *one(
        "151",
        "ad1",
        {"DATE_INT": "2024-05-01"},
        {
            "DATE_INT": "2024-05-01",
            "DATE_MATCH": "2024-06-01",
            "FOSTER_CARE": "0",
            "NB_ADOPTR": 1,
            "SEX_ADOPTR": "F1",
            "LS_ADOPTR": "L0",
        },
    ),
    *one(
        "333",
        "ad1",
        {"DATE_INT": "2024-06-02", "DATE_MATCH": "2024-06-01"},
        {"DATE_INT": "2024-06-01", "DATE_MATCH": "2024-06-01"},
    ),
    *one("511", "ad1", {"NB_ADOPTR": 2, "SEX_ADOPTR": "M1"}, {"NB_ADOPTR": 2, "SEX_ADOPTR": "MM"}),
    *one("514", "ad1", {"LS_ADOPTR": "L0", "SEX_ADOPTR": "MF"}, {"LS_ADOPTR": "L0", "SEX_ADOPTR": "F1"}),
    *one("517", "ad1", {"LS_ADOPTR": "L3", "SEX_ADOPTR": "FF"}, {"LS_ADOPTR": "L3", "SEX_ADOPTR": "MF"}),
    *one("518", "ad1", {"LS_ADOPTR": "L4", "SEX_ADOPTR": "MF"}, {"LS_ADOPTR": "L4", "SEX_ADOPTR": "FF"}),
    *one("519", "ad1", {"LS_ADOPTR": "L2", "SEX_ADOPTR": "M1"}, {"LS_ADOPTR": "L2", "SEX_ADOPTR": "MM"}),
    *one("520", "ad1", {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MM"}, {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MF"}),
    *one("520", "ad1", {"LS_ADOPTR": "L11", "SEX_ADOPTR": "F1"}, {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MF"}),
    *one("524", "ad1", {"LS_ADOPTR": "L12", "SEX_ADOPTR": "MF"}, {"LS_ADOPTR": "L12", "SEX_ADOPTR": "MM"}),
    *one(
        "119",
        "placed_for_adoption",
        {"DATE_PLACED_CEASED": "2024-06-01"},
        {"DATE_PLACED_CEASED": "2024-06-01", "REASON_PLACED_CEASED": "RD1"},
    ),
    *one(
        "522",
        "placed_for_adoption",
        {"DATE_PLACED": "2024-06-02", "DATE_PLACED_CEASED": "2024-06-01"},
        {"DATE_PLACED": "2024-06-01", "DATE_PLACED_CEASED": "2024-06-01"},
    ),
    *one(
        "563",
        "placed_for_adoption",
        {"REASON_PLACED_CEASED": "RD1"},
        {"DATE_PLACED": "2024-05-01", "REASON_PLACED_CEASED": "RD1"},
    ),
    *pair(
        "579",
        "placed_for_adoption",
        {"DATE_PLACED": "2024-05-01", "DATE_PLACED_CEASED": "2024-06-01"},
        {"DATE_PLACED": "2024-05-31"},
        {"DATE_PLACED": "2024-06-01"},
    ),
    *pair(
        "583",
        "placed_for_adoption",
        {"DATE_PLACED": "2024-05-01"},
        {"DATE_PLACED": "2024-07-01"},
        {"DATE_PLACED": None},
        hit_row=2,
    ),
    *one("564", "missing", {"MISSING": "M"}, {"MISSING": "M", "MIS_START": "2024-05-01"}),
    *one("565", "missing", {"MIS_START": "2024-05-01"}, {"MISSING": "A", "MIS_START": "2024-05-01"}),
    *one("566", "missing", {"MIS_END": "2024-05-01"}, {"MISSING": "A", "MIS_END": "2024-05-01"}),
    *one(
        "567",
        "missing",
        {"MIS_START": "2024-05-02", "MIS_END": "2024-05-01"},
        {"MIS_START": "2024-05-01", "MIS_END": "2024-05-01"},
    ),
    *one("570", "missing", {"MIS_START": "2025-04-01"}, {"MIS_START": "2025-03-31"}),
    *one("571", "missing", {"MIS_END": "2024-03-31"}, {"MIS_END": "2024-04-01"}),
    *one("586", "missing", {"MIS_START": "2009-12-31"}, {"MIS_START": "2010-01-01"}),
    *pair(
        "574",
        "missing",
        {"MIS_START": "2024-05-01", "MIS_END": "2024-05-03"},
        {"MIS_START": "2024-05-02"},
        {"MIS_START": "2024-05-03"},
    ),
    *one(
        "635",
        "previous_permanence",
        {"PREV_PERM": "Z1", "LA_PERM": "202"},
        {"PREV_PERM": "P1", "LA_PERM": "202"},
    ),
    *one("SW02STG1", "sw_episodes", {"SW_ID": "AB123"}, {"SW_ID": "SW123"}),
    *one("SW03STG1", "sw_episodes", {"SW_DECOM": "2024-05-01"}, {"SW_ID": "SW1", "SW_DECOM": "2024-05-01"}),
    *one("SW06STG2", "sw_episodes", {"SW_DECOM": "2025-04-01"}, {"SW_DECOM": "2025-03-31"}),
    *one("SW07STG2", "sw_episodes", {"SW_DEC": "2025-04-01"}, {"SW_DEC": "2025-03-31"}),
    *one(
        "SW09STG2",
        "sw_episodes",
        {"SW_DECOM": "2024-05-01", "SW_DEC": "2024-05-01"},
        {"SW_DECOM": "2024-05-01", "SW_DEC": "2024-05-02"},
    ),
    *one("SW14STG2", "sw_episodes", {"SW_REASON": "MANAGE"}, {"SW_REASON": "MANAGE", "SW_DEC": "2024-05-02"}),
    *one(
        "SW15STG2", "sw_episodes", {"SW_DEC": "2024-05-02"}, {"SW_REASON": "MANAGE", "SW_DEC": "2024-05-02"}
    ),
    *pair(
        "SW108STG2",
        "sw_episodes",
        {"SW_DECOM": "2024-05-01"},
        {"SW_DECOM": "2024-06-01"},
        {"SW_DECOM": None},
        hit_row=2,
    ),
    *pair(
        "SW10STG2",
        "sw_episodes",
        {"SW_DECOM": "2024-05-01", "SW_DEC": "2024-06-01"},
        {"SW_DECOM": "2024-05-31"},
        {"SW_DECOM": "2024-06-01"},
    ),
]

LAST_PLACED = {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01")]}
LAST_REVOKED = {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01", DATE_PLACED_CEASED="2024-03-01")]}
LAST_MISSING = {"missing": [tr("1", MISSING="M", MIS_START="2024-03-30")]}
LAST_SW = {"sw_episodes": [tr("1", SW_ID="SW1", SW_DECOM="2024-01-01", SW_REASON="MANAGE")]}
CASES += [
    Case(
        "560", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-02-01")]}, [("1", 2)], previous=LAST_PLACED
    ),
    Case("560", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01")]}, [], previous=LAST_PLACED),
    Case(
        "561", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01")]}, [("1", 2)], previous=LAST_REVOKED
    ),
    Case("561", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01")]}, [], previous=LAST_PLACED),
    Case(
        "584", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-02-01")]}, [("1", 2)], previous=LAST_REVOKED
    ),
    Case("584", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-05-01")]}, [], previous=LAST_REVOKED),
    Case(
        "559", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-02-01")]}, [("1", 2)], previous=LAST_PLACED
    ),
    Case("559", {"placed_for_adoption": [tr("1", DATE_PLACED="2024-01-01")]}, [], previous=LAST_PLACED),
    Case("576", {"header": H, "missing": []}, [("1", 2)], previous=LAST_MISSING),
    Case(
        "576",
        {"header": H, "missing": [tr("1", MISSING="M", MIS_START="2024-03-30")]},
        [],
        previous=LAST_MISSING,
    ),
]
for rule_id, column, other in (
    ("SW16aSTG2", "SW_ID", "SW2"),
    ("SW16bSTG2", "SW_DECOM", "2024-01-02"),
    ("SW16cSTG2", "SW_REASON", "OTHERS"),
):
    same = tr("1", SW_ID="SW1", SW_DECOM="2024-01-01", SW_REASON="MANAGE")
    CASES += [
        Case(rule_id, {"sw_episodes": [{**same, column: tr(x=other)["x"]}]}, [("1", 2)], previous=LAST_SW),
        Case(rule_id, {"sw_episodes": [same]}, [], previous=LAST_SW),
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_table_rule(case):
    assert hits(case) == sorted(case.hits)
