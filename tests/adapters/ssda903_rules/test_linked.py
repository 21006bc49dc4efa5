"""Each rule across tables made to fire, and kept quiet."""

import pytest

from tests.adapters.ssda903_rules.cases import Case, hits
from tests.adapters.ssda903_rules.cases import episode as ep
from tests.adapters.ssda903_rules.cases import header as hd
from tests.adapters.ssda903_rules.cases import table_row as tr

H = [hd("1", DOB="2010-01-01")]
H17 = [hd("1", DOB="2007-06-01")]  # 17 on 1 June 2024, in the 2024-25 year
COHORT = [ep(decom="2023-01-01")]  # looked after since before the year: 12 months at 31 March
NEW = [ep(decom="2024-05-01")]  # started in the year
ADOPTED = [ep(decom="2024-04-02", PLACE="A3", DEC="2024-10-01", REC="E11")]
OC3 = {"IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"}
OC2_FULL = {"IMMUNISATIONS": "1", "TEETH_CHECK": "1", "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0"}
AD1 = {
    "DATE_INT": "2024-04-10",
    "DATE_MATCH": "2024-05-01",
    "FOSTER_CARE": "1",
    "NB_ADOPTR": 1,
    "SEX_ADOPTR": "F1",
    "LS_ADOPTR": "L0",
}


def case(rule, fire, quiet, hit=("1", 2), previous=None):
    """A firing and a quiet case of ``rule``: two returns (table -> rows), the hit on ``hit``."""
    return [Case(rule, fire, [hit], previous=previous), Case(rule, quiet, [], previous=previous)]


CASES = [
    *case(
        "1000",
        {"episodes": [ep(DEC="2024-06-01", REC="E2")], "oc3": [tr(**OC3)]},
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "oc3": [tr(**OC3)]},
    ),
    *case(
        "1011",
        {"episodes": [ep(DEC="2024-06-01", REC="E3")], "oc3": [tr(**OC3)]},
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "oc3": [tr(**OC3)]},
    ),
    *case("134", {"oc3": [tr(**OC3)], "ad1": [tr(**AD1)]}, {"oc3": [tr(**OC3)], "ad1": [tr()]}),
    *case("1014", {"uasc": [tr(DUC="2024-06-01")], "oc3": [tr(**OC3)]}, {"uasc": [tr(DUC="2024-06-01")]}),
    *case(
        "215", {"oc2": [tr(CONVICTED="0")], "oc3": [tr(**OC3)]}, {"oc2": [tr(CONVICTED="0")], "oc3": [tr()]}
    ),
    *case(
        "1007",
        {"header": H17, "episodes": [ep(decom="2024-04-02")], "oc3": [tr(**OC3)]},
        {
            "header": H17,
            "episodes": [ep(decom="2024-04-02", DEC="2024-05-01", REC="E13")],
            "oc3": [tr(**OC3)],
        },
    ),
    *case(
        "1016",
        {
            "header": H17,
            "episodes": [ep(decom="2024-04-02", DEC="2024-07-01", REC="E13")],
            "oc3": [tr(**OC3)],
        },
        {
            "header": H17,
            "episodes": [ep(decom="2024-04-02", DEC="2024-05-01", REC="E13")],
            "oc3": [tr(**OC3)],
        },
    ),
    *case(
        "1012",
        {"oc3": [tr(**OC3)], "reviews": [tr(REVIEW="2024-06-01")]},
        {"oc3": [tr(**OC3)], "reviews": [tr(REVIEW="2024-06-01")], "episodes": NEW},
    ),
    *case(
        "185",
        {"header": H, "episodes": NEW, "oc2": [tr(SDQ_SCORE=10)]},
        {"header": H, "episodes": COHORT, "oc2": [tr(SDQ_SCORE=10)]},
    ),
    *case(
        "190",
        {"header": H, "episodes": NEW, "oc2": [tr(TEETH_CHECK="1")]},
        {"header": H, "episodes": COHORT, "oc2": [tr(TEETH_CHECK="1")]},
    ),
    *case(
        "198",
        {"header": H, "episodes": NEW, "oc2": [tr(SDQ_REASON="SDQ2")]},
        {"header": H, "episodes": COHORT, "oc2": [tr(SDQ_REASON="SDQ2")]},
    ),
    *case(
        "191",
        {"header": H, "episodes": COHORT, "oc2": [tr()]},
        {"header": H, "episodes": COHORT, "oc2": [tr(**OC2_FULL)]},
    ),
    *case(
        "186",
        {"header": H, "episodes": COHORT, "oc2": [tr()]},
        {"header": H, "episodes": COHORT, "oc2": [tr(SDQ_SCORE=12)]},
    ),
    *case(
        "197B",
        {"header": [hd(DOB="2020-01-01")], "episodes": COHORT, "oc2": [tr()]},
        {"header": [hd(DOB="2020-01-01")], "episodes": COHORT, "oc2": [tr(SDQ_REASON="SDQ2")]},
    ),
    *case(
        "543",
        {"header": H, "episodes": COHORT, "oc2": [tr()]},
        {"header": H, "episodes": COHORT, "oc2": [tr(CONVICTED="0")]},
    ),
    *case(
        "545",
        {"header": [hd(DOB="2021-01-01")], "episodes": COHORT, "oc2": [tr()]},
        {"header": [hd(DOB="2021-01-01")], "episodes": COHORT, "oc2": [tr(HEALTH_CHECK="1")]},
    ),
    *case("187", {"episodes": COHORT, "oc3": [tr(**OC3)]}, {"episodes": NEW, "oc3": [tr(**OC3)]}),
    *case(
        "184",
        {"header": H, "placed_for_adoption": [tr(DATE_PLACED="2009-12-31")]},
        {"header": H, "placed_for_adoption": [tr(DATE_PLACED="2010-01-01")]},
    ),
    *case(
        "1003",
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED="2024-04-30")]},
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")]},
    ),
    *case(
        "117",
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED="2025-04-01")]},
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED="2025-03-31")]},
    ),
    *case(
        "118",
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED_CEASED="2024-04-30")]},
        {"episodes": NEW, "placed_for_adoption": [tr(DATE_PLACED_CEASED="2024-05-01")]},
    ),
    *case(
        "331",
        {"episodes": ADOPTED, "ad1": [tr(DATE_MATCH="2024-04-03")]},
        {"episodes": ADOPTED, "ad1": [tr(DATE_MATCH="2024-04-02")]},
    ),
    *case(
        "334",
        {"episodes": NEW, "ad1": [tr(DATE_INT="2024-04-30")]},
        {"episodes": NEW, "ad1": [tr(DATE_INT="2024-05-01")]},
    ),
    *case(
        "521",
        {"episodes": ADOPTED, "ad1": [tr(DATE_INT="2024-04-03")]},
        {"episodes": ADOPTED, "ad1": [tr(DATE_INT="2024-04-02")]},
    ),
    *case(
        "523",
        {"ad1": [tr(DATE_INT="2024-04-03")], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
        {"ad1": [tr(DATE_INT="2024-04-02")], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case(
        "525",
        {
            "ad1": [tr(**AD1)],
            "placed_for_adoption": [tr(DATE_PLACED="2024-04-02", DATE_PLACED_CEASED="2024-05-01")],
        },
        {"ad1": [tr(**AD1)], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case("602", {"episodes": NEW, "ad1": [tr(**AD1)]}, {"episodes": ADOPTED, "ad1": [tr(**AD1)]}),
    *case(
        "335",
        {"episodes": ADOPTED, "ad1": [tr(**{**AD1, "FOSTER_CARE": "0"})]},
        {"episodes": ADOPTED, "ad1": [tr(**AD1)]},
    ),
    *case(
        "582",
        {"episodes": ADOPTED, "ad1": [tr(DATE_MATCH="2024-10-01")]},
        {"episodes": ADOPTED, "ad1": [tr(DATE_MATCH="2024-04-02")]},
    ),
    *case("601", {"episodes": ADOPTED, "ad1": [tr()]}, {"episodes": ADOPTED, "ad1": [tr(**AD1)]}),
    *case(
        "516",
        {"episodes": [ep(PLACE="R1", DEC="2024-06-01", REC="E45")]},
        {"episodes": [ep(PLACE="U1", DEC="2024-06-01", REC="E45")]},
    ),
    *case(
        "551",
        {"episodes": [ep(PLACE="A4")]},
        {"episodes": [ep(PLACE="A4")], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case(
        "553",
        {"episodes": [ep(LS="E1")]},
        {"episodes": [ep(LS="E1")], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case(
        "555",
        {"episodes": [ep(LS="D1")]},
        {"episodes": [ep(LS="D1")], "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case(
        "552",
        {"episodes": [ep(PLACE="A4")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-02")]},
        {"episodes": [ep(PLACE="A4")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")]},
    ),
    *case(
        "554",
        {"episodes": [ep(LS="E1")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-02")]},
        {"episodes": [ep(LS="E1")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")]},
    ),
    *case(
        "556",
        {"episodes": [ep(LS="D1")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-02")]},
        {"episodes": [ep(LS="D1")], "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")]},
    ),
    *case(
        "557",
        {
            "episodes": [ep(DEC="2024-06-01", REC="E13")],
            "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")],
        },
        {
            "episodes": [ep(DEC="2024-06-01", REC="E11")],
            "placed_for_adoption": [tr(DATE_PLACED="2024-05-01")],
        },
    ),
    *case(
        "558",
        {
            "episodes": ADOPTED,
            "placed_for_adoption": [tr(DATE_PLACED="2024-04-02", DATE_PLACED_CEASED="2024-05-01")],
        },
        {"episodes": ADOPTED, "placed_for_adoption": [tr(DATE_PLACED="2024-04-02")]},
    ),
    *case(
        "575",
        {"episodes": [ep(DEC="2024-06-01", REC="X1")], "missing": [tr(MISSING="M", MIS_START="2024-05-10")]},
        {
            "episodes": [ep(DEC="2024-06-01", REC="X1")],
            "missing": [tr(MISSING="M", MIS_START="2024-05-10", MIS_END="2024-05-11")],
        },
    ),
    *case(
        "577",
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "missing": [tr(MISSING="M", MIS_START="2024-05-10")]},
        {"episodes": NEW, "missing": [tr(MISSING="M", MIS_START="2024-05-10")]},
    ),
    *case(
        "578",
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "missing": [tr(MISSING="M", MIS_START="2024-06-02")]},
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "missing": [tr(MISSING="M", MIS_START="2024-06-01")]},
    ),
    *case(
        "581",
        {"episodes": NEW, "missing": [tr(MISSING="M", MIS_START="2024-04-30")]},
        {"episodes": NEW, "missing": [tr(MISSING="M", MIS_START="2024-05-01")]},
    ),
    *case(
        "580",
        {"episodes": [ep(DEC="2024-06-01", REC="E13")], "missing": [tr(MISSING="M", MIS_START="2024-05-30")]},
        {"episodes": [ep(DEC="2024-06-01", REC="E8")], "missing": [tr(MISSING="M", MIS_START="2024-05-30")]},
    ),
    *case("630", {"episodes": NEW}, {"episodes": NEW, "previous_permanence": [tr(PREV_PERM="Z1")]}),
    *case(
        "632",
        {"episodes": NEW, "previous_permanence": [tr(PREV_PERM="P1", DATE_PERM="2024-05-02")]},
        {"episodes": NEW, "previous_permanence": [tr(PREV_PERM="P1", DATE_PERM="2024-05-01")]},
    ),
    *case(
        "634",
        {"episodes": [ep(decom="2016-03-31")], "previous_permanence": [tr(PREV_PERM="P1")]},
        {"episodes": [ep(decom="2016-04-01")], "previous_permanence": [tr(PREV_PERM="P1")]},
    ),
    *case(  # a later episode from 1 April 2016 is enough, whenever the first started
        "634",
        {"episodes": [ep(decom="2015-05-01")], "previous_permanence": [tr(PREV_PERM="P1")]},
        {
            "episodes": [ep(decom="2015-05-01"), ep(decom="2016-05-01")],
            "previous_permanence": [tr(PREV_PERM="P1")],
        },
    ),
    *case(
        "399",
        {"header": [hd(MOTHER="0")], "episodes": [ep(LS="V3")]},
        {"header": [hd(MOTHER="0")], "episodes": NEW},
    ),
    *case(
        "SW01STG1",
        {"episodes": NEW},
        {"episodes": NEW, "sw_episodes": [tr(SW_ID="SW1", SW_DECOM="2024-05-01")]},
    ),
    *case(
        "SW11STG2",
        {"episodes": NEW, "sw_episodes": [tr(SW_DECOM="2024-05-01", SW_DEC="2025-03-30")]},
        {
            "episodes": [ep(DEC="2025-03-30", REC="E13")],
            "sw_episodes": [tr(SW_DECOM="2024-05-01", SW_DEC="2025-03-30")],
        },
    ),
    *case(
        "SW12STG2",
        {"episodes": COHORT, "sw_episodes": [tr(SW_DECOM="2024-05-01")]},
        {"episodes": COHORT, "sw_episodes": [tr(SW_DECOM="2024-04-01")]},
    ),
]

# care leavers against last year's episodes; the header says the child was born on 1 January 2007
LEAVER = {"header": [hd(DOB="2007-01-01")], "oc3": [tr(**OC3)]}
CASES += [
    Case(
        "1001",
        {**LEAVER, "episodes": [ep(decom="2023-01-01", DEC="2023-02-01", REC="E13")]},
        [("1", 2)],
        previous={"episodes": []},
    ),
    Case(
        "1001",
        {**LEAVER, "episodes": [ep(decom="2023-01-01", DEC="2023-06-01", REC="E13")]},
        [],
        previous={"episodes": []},
    ),
    Case("1002", LEAVER, [("1", 2)], previous={"episodes": []}),
    Case("1002", LEAVER, [], previous={"episodes": [ep(decom="2023-01-01", DEC="2023-06-01", REC="E13")]}),
    Case("1010", LEAVER, [("1", 2)], previous={"episodes": [ep(decom="2023-01-01")]}),
    Case("1010", LEAVER, [], previous={"episodes": [ep(decom="2023-01-01", DEC="2023-06-01", REC="E13")]}),
    # 553: a decision revoked while the placement order's episode is open
    Case(
        "553",
        {
            "episodes": [ep(LS="E1")],
            "placed_for_adoption": [
                tr(DATE_PLACED="2024-04-02", DATE_PLACED_CEASED="2024-06-01", REASON_PLACED_CEASED="RD1")
            ],
        },
        [("1", 2)],
    ),
    # 399 reviews too
    Case("399", {"episodes": [ep(LS="V4")], "reviews": [tr(REVIEW="2024-06-01")]}, [("1", 2)]),
    # 336: the episode before an adoption placement with its foster carers
    Case(
        "336",
        {
            "episodes": [
                ep(decom="2024-04-02", PLACE="K2", DEC="2024-05-01", REC="X1"),
                ep(decom="2024-05-01", RNE="P", PLACE="A5"),
            ]
        },
        [("1", 3)],
    ),
    Case(
        "336",
        {
            "episodes": [
                ep(decom="2024-04-02", PLACE="U4", DEC="2024-05-01", REC="X1"),
                ep(decom="2024-05-01", RNE="P", PLACE="A5"),
            ]
        },
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_linked_rule(case):
    assert hits(case) == sorted(case.hits)
