"""Each header rule (and each check across tables against the header) made to fire, and kept quiet."""

import pytest

from tests.adapters.ssda903_rules.cases import Case, hits, table_row
from tests.adapters.ssda903_rules.cases import episode as ep
from tests.adapters.ssda903_rules.cases import header as hd

OPEN = [ep("1", "2024-01-01")]


def one(rule, fire, quiet, episodes=(), **tables):
    """A firing and a quiet case of ``rule`` from one header row of child 1."""
    return [
        Case(rule, {"header": [hd(**fire)], "episodes": list(episodes), **tables}, [("1", 2)]),
        Case(rule, {"header": [hd(**quiet)], "episodes": list(episodes), **tables}, []),
    ]


def last_year(rule, column, now, then, same):
    return [
        Case(
            rule, {"header": [hd(**{column: now})]}, [("1", 2)], previous={"header": [hd(**{column: then})]}
        ),
        Case(rule, {"header": [hd(**{column: now})]}, [], previous={"header": [hd(**{column: same})]}),
    ]


CASES = [
    *one("101", {"SEX": "X"}, {"SEX": "F"}),
    *one("103", {"ETHNIC": None}, {"ETHNIC": "WBRI"}),
    *one("165", {"MOTHER": "2"}, {"MOTHER": "0"}),
    *one("102", {"DOB": None}, {"DOB": "2010-01-01"}),
    *one("171", {"MC_DOB": "32/01/2020"}, {"MC_DOB": None}),
    *one("168", {"UPN": "I123456789012"}, {"UPN": "UN3"}),
    *one("174", {"SEX": "M", "MC_DOB": "2024-01-01"}, {"SEX": "F", "MC_DOB": "2024-01-01", "MOTHER": "1"}),
    *one("301", {"DOB": "2025-04-01"}, {"DOB": "2025-03-31"}),
    *one("351", {"DOB": "1999-03-31"}, {"DOB": "1999-04-01"}),
    *one("209", {"UPN": "UN1", "DOB": "2015-01-01"}, {"UPN": "UN1", "DOB": "2021-01-01"}),
    *one("210", {"UPN": "UN4"}, {"UPN": "UN3"}, OPEN),
    *one("442", {"UPN": None}, {"UPN": "UN3"}, OPEN),
    *one("611", {"SEX": "F", "MOTHER": "1"}, {"SEX": "F", "MOTHER": "1", "MC_DOB": "2024-01-01"}),
    *one(
        "612",
        {"SEX": "F", "MOTHER": "0", "MC_DOB": "2024-01-01"},
        {"SEX": "F", "MOTHER": "1", "MC_DOB": "2024-01-01"},
    ),
    # a blank MOTHER indicates no mother; a value off the list (1.0) does not say she is not (165 does)
    *one("612", {"SEX": "F", "MC_DOB": "2024-01-01"}, {"SEX": "F", "MOTHER": "1.0", "MC_DOB": "2024-01-01"}),
    *one("620", {"MOTHER": "1", "DOB": "2013-04-02"}, {"MOTHER": "1", "DOB": "2013-04-01"}),
    *one("621", {"MC_DOB": "2010-01-01"}, {"MC_DOB": "2024-01-01"}),
    *one("625", {"MC_DOB": "2025-04-01"}, {"MC_DOB": "2025-03-31"}),
    *one("393", {"SEX": "F", "MOTHER": None}, {"SEX": "F", "MOTHER": "0"}, OPEN),
    *one(
        "607",
        {"SEX": "F", "MOTHER": None},
        {"SEX": "F", "MOTHER": "0"},
        [ep("1", "2024-01-01", DEC="2024-06-01", REC="E13")],
    ),
    *one(
        "628", {"MOTHER": "0"}, {"MOTHER": None}, oc3=[table_row("1", IN_TOUCH="YES", ACTIV="F1", ACCOM="S2")]
    ),
    *one("EPI", {}, {}),
    *last_year("202", "SEX", "M", "F", "M"),
    *last_year("203", "DOB", "2010-01-01", "2010-01-02", "2010-01-01"),
    *last_year("204", "ETHNIC", "WBRI", "WIRI", "WBRI"),
    *last_year("207", "MOTHER", "0", "1", "0"),
    *last_year("208", "UPN", "A123456789012", "B123456789012", "UN1"),
    *last_year("624", "MC_DOB", "2020-01-01", "2020-01-02", "2020-01-01"),
    Case(
        "626",
        {"header": [hd(SEX="F", MOTHER="1", MC_DOB="2024-01-01")]},
        [("1", 2)],
        previous={"header": [hd(SEX="F", MOTHER="0")]},
    ),
    Case(
        "626",
        {"header": [hd(SEX="F", MOTHER="1", MC_DOB="2024-06-01")]},
        [],
        previous={"header": [hd(SEX="F", MOTHER="0")]},
    ),
    Case("INT32", {"header": [hd(), hd()]}, [("1", 2), ("1", 3)]),
    Case("INT32", {"header": [hd("1"), hd("2")]}, []),
]
# EPI's quiet case needs an episode
CASES = [c for c in CASES if not (c.rule == "EPI" and not c.hits)] + [
    Case("EPI", {"header": [hd()], "episodes": OPEN}, [])
]

for rule_id, table in (
    ("INT01", "ad1"),
    ("INT02", "placed_for_adoption"),
    ("INT03", "episodes"),
    ("INT04", "missing"),
    ("INT05", "oc2"),
    ("INT06", "oc3"),
    ("INT07", "previous_permanence"),
    ("INT08", "reviews"),
    ("INT09", "uasc"),
):
    CASES += [
        Case(rule_id, {"header": [hd("1")], table: [table_row("2", DECOM=None)]}, [("2", 2)]),
        Case(rule_id, {"header": [hd("1")], table: [table_row("1", DECOM=None)]}, []),
    ]
for rule_id, table, column in (
    ("INT11", "ad1", "DOB"),
    ("INT12", "placed_for_adoption", "DOB"),
    ("INT13", "missing", "DOB"),
    ("INT14", "oc2", "DOB"),
    ("INT15", "oc3", "DOB"),
    ("INT16", "previous_permanence", "DOB"),
    ("INT17", "reviews", "DOB"),
    ("INT18", "uasc", "DOB"),
    ("INT21", "uasc", "SEX"),
):
    same = hd()[column]
    other = "F" if column == "SEX" else "2011-01-01"
    CASES += [
        Case(rule_id, {"header": [hd()], table: [table_row("1", **{column: other})]}, [("1", 2)]),
        Case(rule_id, {"header": [hd()], table: [table_row("1", **{column: same})]}, []),
    ]
for rule_id, table in (
    ("INT31", "ad1"),
    ("INT33", "oc2"),
    ("INT34", "oc3"),
    ("INT35", "previous_permanence"),
    ("INT36", "uasc"),
):
    CASES += [
        Case(rule_id, {table: [table_row("1"), table_row("1")]}, [("1", 2), ("1", 3)]),
        Case(rule_id, {table: [table_row("1"), table_row("2")]}, []),
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_header_rule(case):
    assert hits(case) == sorted(case.hits)
