"""Each episodes rule made to fire, and kept quiet, on a small return."""

import pytest

from tests.adapters.ssda903_rules.cases import Case, hits
from tests.adapters.ssda903_rules.cases import episode as ep
from tests.adapters.ssda903_rules.cases import header as hd

H = [hd("1", DOB="2010-01-01")]


def one(rule, fire, quiet, DOB="2010-01-01"):
    """A firing and a quiet case of ``rule`` from one episode each (with the header of child 1)."""
    header = [hd("1", DOB=DOB)]
    return [
        Case(rule, {"header": header, "episodes": [ep(**fire)]}, [("1", 2)]),
        Case(rule, {"header": header, "episodes": [ep(**quiet)]}, []),
    ]


def two(rule, first, second, quiet_second, hit_row=3):
    """Cases of ``rule`` on a pair of episodes of child 1 (the hit on ``hit_row``, or on both rows when 0)."""
    rows = [2, 3] if hit_row == 0 else [hit_row]
    return [
        Case(rule, {"header": H, "episodes": [ep(**first), ep(**second)]}, [("1", n) for n in rows]),
        Case(rule, {"header": H, "episodes": [ep(**first), ep(**quiet_second)]}, []),
    ]


ENDED = {"decom": "2024-05-01", "DEC": "2024-06-01", "REC": "X1"}
CASES = [
    *one("143", {"RNE": "Q"}, {"RNE": "S"}),
    *one("144", {"LS": "Z9"}, {"LS": "C2"}),
    *one("145", {"CIN": None}, {"CIN": "N2"}),
    *one("146", {"PLACE": "Q1"}, {"PLACE": "U1"}),
    *one("149", {"REC": "E99"}, {"REC": None}),
    *one("178", {"PLACE_PROVIDER": "PR9"}, {"PLACE_PROVIDER": "PR0"}),
    # a provider given for a temporary placement or Z1, where DfE wants none
    *one("178", {"PLACE": "T1", "PLACE_PROVIDER": "PR1"}, {"PLACE": "T1", "PLACE_PROVIDER": None}),
    *one("1009", {"REASON_PLACE_CHANGE": "NOPE"}, {"REASON_PLACE_CHANGE": None}),
    *one("141", {"decom": "31/02/2024"}, {"decom": "2024-02-01"}),
    *one("147", {"DEC": "not a date"}, {"DEC": None}),
    Case("142", {"episodes": [ep(decom="2024-04-02"), ep(decom="2024-05-01")]}, [("1", 2)]),
    Case(
        "142", {"episodes": [ep(decom="2024-04-02", DEC="2024-05-01", REC="X1"), ep(decom="2024-05-01")]}, []
    ),
    *one("148", {"DEC": "2024-06-01"}, {"DEC": "2024-06-01", "REC": "E11"}),
    *one("213", {"PLACE": "T1", "PLACE_PROVIDER": "PR1"}, {"PLACE": "T1", "PLACE_PROVIDER": None}),
    *one("214", {"LS": "V3", "PL_POST": "AB1 2CD"}, {"LS": "V3", "PL_POST": None, "URN": None}),
    *one("217", {"PLACE": "A3", "RNE": "P"}, {"PLACE": "A3", "RNE": "T"}),
    *one("222", {"PLACE": "P1", "URN": "1234567"}, {"PLACE": "P1", "URN": "XXXXXXX"}),
    *one("218", {"PLACE": "K2", "URN": None}, {"PLACE": "P1", "URN": None}),
    *two("225", ENDED, {"decom": "2024-06-01", "RNE": "P"}, {"decom": "2024-06-01", "RNE": "L"}, hit_row=2),
    *one(
        "226",
        {"PLACE": "T2", "REASON_PLACE_CHANGE": "CARPL"},
        {"PLACE": "U1", "REASON_PLACE_CHANGE": "CARPL"},
    ),
    *one("302", {"decom": "2009-12-31"}, {"decom": "2010-01-01"}),
    *one("352", {"decom": "2028-01-01", "RNE": "S"}, {"decom": "2028-01-01", "RNE": "P"}),
    *one("353", {"decom": "1991-10-13"}, {"decom": "1991-10-14"}),
    *one("354", {"decom": "2025-04-01"}, {"decom": "2025-03-31"}),
    *one("355", {"DEC": "2024-05-01", "REC": "E11"}, {"DEC": "2024-05-02", "REC": "E11"}),
    *one("356", {"DEC": "2024-04-30", "REC": "E11"}, {"DEC": "2024-05-02", "REC": "E11"}),
    *one("357", {"RNE": "P"}, {"RNE": "S"}),
    *one("358", {"LS": "J1", "decom": "2019-12-31"}, {"LS": "J1", "decom": "2020-01-01"}),
    *one(
        "361", {"LS": "L1", "DEC": "2024-05-05", "REC": "X1"}, {"LS": "L1", "DEC": "2024-05-04", "REC": "X1"}
    ),
    *one(
        "362", {"LS": "L2", "DEC": "2024-05-23", "REC": "X1"}, {"LS": "L2", "DEC": "2024-05-22", "REC": "X1"}
    ),
    *one(
        "363", {"LS": "L3", "DEC": "2024-05-09", "REC": "X1"}, {"LS": "L3", "DEC": "2024-05-08", "REC": "X1"}
    ),
    *one(
        "364",
        {"LS": "J2", "DEC": "2024-05-23", "REC": "E13"},
        {"LS": "J2", "DEC": "2024-05-22", "REC": "E13"},
    ),
    # a run of two J2 episodes, 12 and 10 days, one ending where the next starts
    Case(
        "364",
        {
            "episodes": [
                ep(decom="2024-05-01", LS="J2", DEC="2024-05-13", REC="X1"),
                ep(decom="2024-05-13", LS="J2", DEC="2024-05-23", REC="E13"),
            ]
        },
        [("1", 2), ("1", 3)],
    ),
    # an open J2 episode counts to 31 March
    Case("364", {"episodes": [ep(decom="2025-03-20", LS="J2")]}, []),
    *one(
        "365", {"LS": "V3", "DEC": "2024-05-19", "REC": "X1"}, {"LS": "V3", "DEC": "2024-05-18", "REC": "X1"}
    ),
    *one("359", {"LS": "V2", "PLACE": "K1"}, {"LS": "V2", "PLACE": "K2"}, DOB="2007-01-01"),
    *one("366", {"LS": "V3", "RNE": "P"}, {"LS": "V3", "RNE": "S"}),
    *one("370", {"PLACE": "P2", "decom": "2025-12-31"}, {"PLACE": "P2", "decom": "2026-01-01"}),
    *one("371", {"PLACE": "K3", "decom": "2025-12-31"}, {"PLACE": "K3", "decom": "2026-01-01"}),
    *one("372", {"PLACE": "R5", "decom": "2019-12-31"}, {"PLACE": "R5", "decom": "2020-01-01"}),
    *one("373", {"PLACE": "S1", "decom": "2013-12-31"}, {"PLACE": "S1", "decom": "2014-01-01"}),
    *one("374", {"PLACE": "P3", "decom": "2023-12-31"}, {"PLACE": "P3", "decom": "2024-01-01"}),
    *one(
        "375",
        {"PLACE": "T1", "DEC": "2024-06-13", "REC": "X1"},
        {"PLACE": "T1", "DEC": "2024-06-12", "REC": "X1"},
    ),
    *one(
        "376",
        {"PLACE": "T3", "DEC": "2024-05-23", "REC": "X1"},
        {"PLACE": "T3", "DEC": "2024-05-22", "REC": "X1"},
    ),
    *one(
        "379",
        {"PLACE": "T4", "DEC": "2024-05-09", "REC": "X1"},
        {"PLACE": "T4", "DEC": "2024-05-08", "REC": "X1"},
    ),
    *one("378", {"PLACE": "P1", "LS": "V2"}, {"PLACE": "P1", "LS": "C2"}),
    *one("380", {"PLACE": "T0", "RNE": "S"}, {"PLACE": "T0", "RNE": "P"}),
    # a legal status lasts across episodes following one another the same day, and while open to 31 March
    *two(
        "361",
        {"LS": "L1", "decom": "2024-05-01", "DEC": "2024-05-03", "REC": "X1"},
        {"LS": "L1", "decom": "2024-05-03", "DEC": "2024-05-05", "REC": "E13"},
        {"LS": "L1", "decom": "2024-05-03", "DEC": "2024-05-04", "REC": "E13"},
        0,
    ),
    *one("361", {"LS": "L1"}, {"LS": "L1", "DEC": "2024-05-04", "REC": "E13"}),
    *one("366", {"LS": "V3", "RNE": "L"}, {"LS": "V3", "RNE": "S"}),
    # the episode before a temporary placement gives no reason for placement change either
    *two(
        "226",
        {"REASON_PLACE_CHANGE": "CARPL", "DEC": "2024-06-01", "REC": "X1"},
        {"decom": "2024-06-01", "PLACE": "T1", "RNE": "P"},
        {"decom": "2024-06-01", "PLACE": "U1", "RNE": "P"},
    ),
    # a break before the collection year adds no days (nor takes any away)
    *two(
        "367",
        {"LS": "V3", "decom": "2023-01-01", "DEC": "2023-01-10", "REC": "E13"},
        {"LS": "V3", "decom": "2024-05-01", "DEC": "2024-07-19", "REC": "E13"},
        {"LS": "V3", "decom": "2024-05-01", "DEC": "2024-07-14", "REC": "E13"},
        0,
    ),
    *one("380", {"PLACE": "T0", "RNE": "L"}, {"PLACE": "T0", "RNE": "B"}),
    *one(
        "381",
        {"PLACE": "T0", "DEC": "2024-06-01", "REC": "E13"},
        {"PLACE": "T0", "DEC": "2024-06-01", "REC": "X1"},
    ),
    *one("382", {"PLACE": "T0", "LS": "V4"}, {"PLACE": "U1", "LS": "V4"}),
    *one("384", {"PLACE": "U4", "LS": "V3"}, {"PLACE": "U3", "LS": "V3"}),
    *one("385", {"DEC": "2025-04-01", "REC": "E13"}, {"DEC": "2025-03-31", "REC": "E13"}),
    *one("386", {"DEC": "2028-01-01", "REC": "E11"}, {"DEC": "2027-12-31", "REC": "E11"}),
    *one(
        "387",
        {"DEC": "2023-12-31", "REC": "E5", "decom": "2023-05-01"},
        {"DEC": "2024-01-01", "REC": "E5", "decom": "2023-05-01"},
    ),
    *one("389", {"DEC": "2025-12-31", "REC": "E7"}, {"DEC": "2026-01-01", "REC": "E7"}),
    *one("407", {"DEC": "2028-01-01", "REC": "E45"}, {"DEC": "2027-12-31", "REC": "E45"}),
    *one("460", {"DEC": "2027-12-31", "REC": "E17"}, {"DEC": "2028-01-01", "REC": "E17"}),
    *one("388", {"DEC": "2024-06-01", "REC": "X1"}, {"DEC": "2024-06-01", "REC": "E13"}),
    # an episode ending with another reason than X1 on the day the next starts (the child stays in care)
    *two("388", {"DEC": "2024-06-01", "REC": "E13"}, {"decom": "2024-06-01"}, {"decom": "2024-06-02"}, 2),
    *one(
        "390",
        {"PLACE": "U1", "DEC": "2024-06-01", "REC": "E11"},
        {"PLACE": "A3", "DEC": "2024-06-01", "REC": "E11"},
    ),
    *one("392b", {"HOME_POST": None}, {"HOME_POST": "AB1 2CD"}),
    *one("392c", {"PL_POST": "12345"}, {"PL_POST": "SW1A 1AA"}),
    *one("392d", {"PL_POST": "AB12CD"}, {"PL_POST": "AB1 2CE"}),
    *one("398", {"LS": "V3", "HOME_POST": "AB1 2CD"}, {"LS": "V3", "HOME_POST": None, "PL_POST": None}),
    *one("408", {"PLACE": "A6", "LS": "D1"}, {"PLACE": "A6", "LS": "E1"}),
    *one("445", {"LS": "D1", "decom": "2005-12-31"}, {"LS": "D1", "decom": "2005-12-30"}),
    *one("446", {"LS": "E1", "decom": "2005-12-29"}, {"LS": "E1", "decom": "2005-12-30"}),
    *one("451", {"LS": "D1"}, {"LS": "D1", "DEC": "2024-06-01", "REC": "E11"}),
    *one("526", {"PLACE_PROVIDER": None}, {"PLACE": "Z1", "PLACE_PROVIDER": None}),
    *one("527", {"PLACE_PROVIDER": "PR1", "PLACE": "R2"}, {"PLACE_PROVIDER": "PR1", "PLACE": "U1"}),
    *one("528", {"PLACE_PROVIDER": "PR2", "PLACE": "R5"}, {"PLACE_PROVIDER": "PR2", "PLACE": "U1"}),
    *one("529", {"PLACE_PROVIDER": "PR3", "PLACE": "K2"}, {"PLACE_PROVIDER": "PR3", "PLACE": "R1"}),
    *one("530", {"PLACE_PROVIDER": "PR4", "PLACE": "P1"}, {"PLACE_PROVIDER": "PR4", "PLACE": "K2"}),
    *one("531", {"PLACE_PROVIDER": "PR5", "PLACE": "P1"}, {"PLACE_PROVIDER": "PR5", "PLACE": "K2"}),
    *one("550", {"PLACE_PROVIDER": "PR0", "PLACE": "U1"}, {"PLACE_PROVIDER": "PR0", "PLACE": "P1"}),
    *two(
        "367",
        {"decom": "2024-04-01", "LS": "V3", "DEC": "2024-05-10", "REC": "X1"},
        {"decom": "2024-07-01", "LS": "V3", "DEC": "2024-08-10", "REC": "X1"},
        {"decom": "2024-07-01", "LS": "V3", "DEC": "2024-07-20", "REC": "X1"},
        hit_row=0,
    ),
    *two(
        "383",
        {"decom": "2024-04-02", "DEC": "2024-05-01", "REC": "X1", "PLACE": "U1"},
        {"decom": "2024-05-01", "PLACE": "T1"},
        {"decom": "2024-05-01", "PLACE": "U1"},
        hit_row=99,
    ),
    *two(
        "426",
        {"decom": "2024-04-02", "LS": "V3", "DEC": "2024-04-05", "REC": "E13"},
        {"decom": "2024-06-01", "LS": "V4"},
        {"decom": "2024-06-01", "LS": "V3"},
        hit_row=0,
    ),
    *two("431", ENDED, {"decom": "2024-06-01", "RNE": "S"}, {"decom": "2024-06-02", "RNE": "S"}),
    *two(
        "432",
        {**ENDED, "REC": "E13"},
        {"decom": "2024-06-01", "RNE": "P"},
        {"decom": "2024-06-01", "RNE": "S"},
    ),
    # any reason but S after care ended: L too
    *two(
        "432",
        {**ENDED, "REC": "E13"},
        {"decom": "2024-06-01", "RNE": "L"},
        {"decom": "2024-06-01", "RNE": "S"},
    ),
    *two("433", ENDED, {"decom": "2024-06-02", "RNE": "P"}, {"decom": "2024-06-01", "RNE": "P"}),
    # a continuation (L too) after an episode that has not ended
    *two(
        "433",
        {"decom": "2024-05-01"},
        {"decom": "2024-06-01", "RNE": "L"},
        {"decom": "2024-06-01", "RNE": "S"},
    ),
    *two("434", ENDED, {"decom": "2024-06-01", "RNE": "L"}, {"decom": "2024-06-01", "RNE": "L", "LS": "C1"}),
    *two(
        "435", ENDED, {"decom": "2024-06-01", "RNE": "P"}, {"decom": "2024-06-01", "RNE": "P", "PLACE": "U3"}
    ),
    *two(
        "435", ENDED, {"decom": "2024-06-01", "RNE": "T"}, {"decom": "2024-06-01", "RNE": "T", "PLACE": "U3"}
    ),
    *two(
        "436",
        ENDED,
        {"decom": "2024-06-01", "RNE": "U", "LS": "C1"},
        {"decom": "2024-06-01", "RNE": "U", "LS": "C1", "PLACE": "U3"},
    ),
    *two(
        "436",
        ENDED,
        {"decom": "2024-06-01", "RNE": "B", "LS": "C1"},
        {"decom": "2024-06-01", "RNE": "B", "LS": "C1", "PLACE": "U3"},
    ),
    *two("501", ENDED, {"decom": "2024-05-31"}, {"decom": "2024-06-01"}),
    *two("504", ENDED, {"decom": "2024-06-01", "RNE": "P", "CIN": "N2"}, {"decom": "2024-06-01", "RNE": "P"}),
    # care ended (E13) before the next episode: a new period, whose need may differ
    Case(
        "504",
        {"header": H, "episodes": [ep(**{**ENDED, "REC": "E13"}), ep(decom="2024-06-02", RNE="P", CIN="N2")]},
        [],
    ),
    *two("199", {**ENDED, "REC": "E11", "PLACE": "A3"}, {"decom": "2024-07-01"}, {"decom": "2024-05-02"}),
]
# 377 and 383 need three episodes
T3 = {"PLACE": "T3", "DEC": "2024-05-05", "REC": "X1"}
CASES += [
    Case(
        "377",
        {"episodes": [ep(decom=f"2024-0{m}-01", **T3) for m in (5, 6, 7)]},
        [("1", 2), ("1", 3), ("1", 4)],
    ),
    Case("377", {"episodes": [ep(decom=f"2024-0{m}-01", **T3) for m in (5, 6)]}, []),
    # any 12-month period, this collection year's or not
    Case(
        "377",
        {"episodes": [ep(decom=d, **T3) for d in ("2021-05-01", "2021-11-01", "2022-04-30", "2023-06-01")]},
        [("1", 2), ("1", 3), ("1", 4)],
    ),
    Case("377", {"episodes": [ep(decom=d, **T3) for d in ("2023-05-01", "2023-11-01", "2024-05-01")]}, []),
]
CASES = [c for c in CASES if not (c.rule == "383" and c.hits)] + [
    Case(
        "383",
        {
            "episodes": [
                ep(decom="2024-04-02", DEC="2024-05-01", REC="X1"),
                ep(decom="2024-05-01", PLACE="T1", DEC="2024-05-10", REC="X1"),
                ep(decom="2024-05-10", PLACE="U3"),
            ]
        },
        [("1", 3)],
    ),
    Case(
        "437",
        {"episodes": [ep(decom="2024-04-02", DEC="2024-05-01", REC="E2"), ep(decom="2024-06-01")]},
        [("1", 2)],
    ),
    Case(
        "437", {"episodes": [ep(decom="2024-04-02", DEC="2024-05-01", REC="E13"), ep(decom="2024-06-01")]}, []
    ),
]

LAST = {
    "episodes": [
        ep(decom="2023-05-01", RNE="S", LS="C2", CIN="N1", PLACE="U1", PLACE_PROVIDER="PR1", URN="1")
    ]
}
for rule_id, column, other in (
    ("503A", "RNE", "P"),
    ("503B", "LS", "C1"),
    ("503C", "CIN", "N2"),
    ("503D", "PLACE", "U3"),
    ("503E", "PLACE_PROVIDER", "PR2"),
    ("503F", "URN", "2"),
):
    same = ep(decom="2023-05-01", URN="1")
    CASES += [
        Case(rule_id, {"episodes": [{**same, column: other}]}, [("1", 2)], previous=LAST),
        Case(rule_id, {"episodes": [same]}, [], previous=LAST),
    ]
CASES += [
    Case("502", {"episodes": [ep(decom="2023-05-02")]}, [("1", 2)], previous=LAST),
    Case("502", {"episodes": [ep(decom="2023-05-01")]}, [], previous=LAST),
    Case("562", {"episodes": [ep(decom="2023-06-01")]}, [("1", 2)], previous=LAST),
    Case("562", {"episodes": [ep(decom="2023-05-01")]}, [], previous=LAST),
    Case("NoE", {"episodes": [ep("2", decom="2023-06-01")]}, [("2", 2)], previous=LAST),
    Case("NoE", {"episodes": [ep("1", decom="2023-05-01")]}, [], previous=LAST),
    Case("357", {"episodes": [ep(decom="2024-06-01", RNE="P")]}, [], previous=LAST, id="known-last-year"),
    Case("217t", {"episodes": [ep(PLACE="P2", decom="2023-10-28")]}, [("1", 2)], year=2024),
    Case("217t", {"episodes": [ep(PLACE="P2", decom="2023-10-27")]}, [], year=2024),
    Case("230", {"episodes": [ep(PLACE="H5", decom="2023-10-01")]}, [("1", 2)], year=2024),
    Case(
        "230", {"episodes": [ep(PLACE="H5", decom="2023-09-01", DEC="2023-10-27", REC="E13")]}, [], year=2024
    ),
]
CASES = [c for c in CASES if not (c.rule == "370" or c.rule == "371")] + [
    Case("370", {"header": H, "episodes": [ep(PLACE="P2", decom="2025-12-31")]}, [("1", 2)], year=2024),
    Case("370", {"header": H, "episodes": [ep(PLACE="P2", decom="2026-01-01")]}, [], year=2024),
    Case("371", {"header": H, "episodes": [ep(PLACE="K3", decom="2025-12-31")]}, [("1", 2)]),
    Case("371", {"header": H, "episodes": [ep(PLACE="H5", decom="2026-01-01")]}, [], year=2024),
]


# the return from a temporary placement is a change of placement only (RNE P)
CASES += [
    Case(
        "383",
        {
            "header": H,
            "episodes": [
                ep(decom="2024-04-02", DEC="2024-05-01", REC="X1", PLACE="U1"),
                ep(decom="2024-05-01", DEC="2024-05-08", REC="X1", PLACE="T1", RNE="P"),
                ep(decom="2024-05-08", PLACE="U1", RNE=rne),
            ],
        },
        expected,
        id=f"return-{rne}",
    )
    for rne, expected in (("L", [("1", 3)]), ("P", []))
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_episode_rule(case):
    assert hits(case) == sorted(case.hits)
