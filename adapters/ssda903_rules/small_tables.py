"""SSDA903 rules within one of the smaller tables: uasc, reviews, oc2, oc3, ad1, placed_for_adoption, missing,
previous_permanence and sw_episodes (with the child's date of birth where a rule needs an age)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from adapters.ssda903_rules.common import code_rule, date_rule
from adapters.ssda903_rules.engine import Hit, Return, add_years, age, day, rule

Row = dict[str, Any]

for _code, _table, _column, _required in (
    ("1006", "missing", "MISSING", False),
    ("114", "ad1", "FOSTER_CARE", False),
    ("176", "ad1", "SEX_ADOPTR", False),
    ("177", "ad1", "LS_ADOPTR", False),
    ("120", "placed_for_adoption", "REASON_PLACED_CEASED", False),
    ("131", "oc3", "IN_TOUCH", False),
    ("132", "oc3", "ACTIV", False),
    ("133", "oc3", "ACCOM", False),
    ("167", "reviews", "REVIEW_CODE", True),
    ("196", "oc2", "SDQ_REASON", False),
    ("631", "previous_permanence", "PREV_PERM", False),
    ("SW13STG1", "sw_episodes", "SW_REASON", False),
):
    code_rule(_code, _table, _column, required=_required)

for _code, _table, _column, _required in (
    ("104", "uasc", "DUC", False),
    ("112", "ad1", "DATE_INT", False),
    ("113", "ad1", "DATE_MATCH", False),
    ("115", "placed_for_adoption", "DATE_PLACED", False),
    ("116", "placed_for_adoption", "DATE_PLACED_CEASED", False),
    ("166", "reviews", "REVIEW", True),
    ("1004", "missing", "MIS_START", False),
    ("1005", "missing", "MIS_END", False),
    ("SW04STG1", "sw_episodes", "SW_DECOM", False),
    ("SW05STG1", "sw_episodes", "SW_DEC", False),
):
    date_rule(_code, _table, _column, required=_required)

OC2_HEALTH = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
OC2_ITEMS = ("CONVICTED", "HEALTH_CHECK", *OC2_HEALTH, "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
AD1_ITEMS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
OC3_ITEMS = ("IN_TOUCH", "ACTIV", "ACCOM")
COUPLE = frozenset({"MM", "FF", "MF"})
SAME_SEX = frozenset({"MM", "FF"})


def where(table: str, column: str, test: Callable[[Row], bool]) -> Callable[[Return], Iterator[Hit]]:
    """A check: a hit on ``column`` of every row of ``table`` for which ``test(row)`` holds."""
    return lambda ret: (Hit(row, column) for row in ret.rows(table) if test(row))


def given(row: Row, *columns: str) -> bool:
    """Any of ``columns`` is filled in."""
    return any(row.get(column) is not None for column in columns)


def blank(row: Row, *columns: str) -> bool:
    """Any of ``columns`` is blank."""
    return any(row.get(column) is None for column in columns)


def all_or_none(row: Row, columns: tuple[str, ...]) -> bool:
    """The row has some of ``columns`` but not all."""
    return given(row, *columns) and blank(row, *columns)


def dob(ret: Return, row: Row):
    return ret.dob(row.get("CHILD")) or day(row.get("DOB"))


def age_at(ret: Return, row: Row, when) -> int | None:
    return age(dob(ret, row), when)


def ordered(ret: Return, table: str, column: str) -> Iterator[tuple[Row, Row]]:
    """Each row of ``table`` with the next of the same child, in order of the date ``column``."""
    for rows in ret.by_child(table).values():
        dated = sorted((row for row in rows if day(row.get(column))), key=lambda row: row[column])
        yield from zip(dated, dated[1:], strict=False)


# uasc

rule("304")(
    lambda ret: where(
        "uasc",
        "DUC",
        lambda row: (b := dob(ret, row)) is not None and (day(row.get("DUC")) or b) > add_years(b, 18),
    )(ret)
)

# reviews

rule("440")(
    lambda ret: where(
        "reviews",
        "REVIEW_CODE",
        lambda row: (
            row.get("REVIEW_CODE") == "PN0"
            and (when := day(row.get("REVIEW"))) is not None
            and (born := dob(ret, row)) is not None
            and when > add_years(born, 4)
        ),
    )(ret)
)
rule("441")(
    lambda ret: where(
        "reviews",
        "REVIEW_CODE",
        lambda row: (
            row.get("REVIEW_CODE") not in (None, "PN0")
            and (when := day(row.get("REVIEW"))) is not None
            and (a := age_at(ret, row, when)) is not None
            and a < 4
        ),
    )(ret)
)

# oc2

rule("180")(
    where(
        "oc2",
        "SDQ_SCORE",
        lambda row: row.get("SDQ_SCORE") is not None and not 0 <= int(row["SDQ_SCORE"]) <= 40,
    )
)
rule("181")(where("oc2", "CONVICTED", lambda row: any(row.get(c) not in (None, "0", "1") for c in OC2_ITEMS)))
rule("182")(where("oc2", "IMMUNISATIONS", lambda row: given(row, *OC2_ITEMS) and blank(row, *OC2_HEALTH)))
rule("158")(
    where(
        "oc2",
        "INTERVENTION_OFFERED",
        lambda row: row.get("INTERVENTION_RECEIVED") == "1" and given(row, "INTERVENTION_OFFERED"),
    )
)
rule("159")(
    where(
        "oc2",
        "INTERVENTION_OFFERED",
        lambda row: (
            row.get("SUBSTANCE_MISUSE") == "1"
            and row.get("INTERVENTION_RECEIVED") == "0"
            and blank(row, "INTERVENTION_OFFERED")
        ),
    )
)
rule("192")(
    where(
        "oc2",
        "INTERVENTION_RECEIVED",
        lambda row: row.get("SUBSTANCE_MISUSE") == "1" and blank(row, "INTERVENTION_RECEIVED"),
    )
)
rule("193")(
    where(
        "oc2",
        "INTERVENTION_RECEIVED",
        lambda row: (
            row.get("SUBSTANCE_MISUSE") != "1" and given(row, "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
        ),
    )
)
rule("197a")(where("oc2", "SDQ_REASON", lambda row: given(row, "SDQ_SCORE") and given(row, "SDQ_REASON")))
rule("544")(where("oc2", "CONVICTED", lambda row: given(row, "CONVICTED") and blank(row, *OC2_HEALTH)))
rule("547")(where("oc2", "HEALTH_CHECK", lambda row: given(row, "HEALTH_CHECK") and blank(row, *OC2_HEALTH)))


def oc2_age(test: Callable[[int | None, int | None], bool], column: str, *needs: str):
    """A check on oc2: ``test(age at the start, age at the end)`` holds and any of ``needs`` is given."""

    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows("oc2"):
            born = dob(ret, row)
            if born is not None and given(row, *needs) and test(age(born, ret.start), age(born, ret.end)):
                yield Hit(row, column)

    return check


rule("157")(
    lambda ret: (
        hit
        for hit in oc2_age(lambda first, last: first >= 4 and last <= 16, "SDQ_REASON", "SDQ_REASON")(ret)
        if hit.row.get("SDQ_REASON") == "SDQ1"  # DfE names the reason: SDQ1 (no score for the child's age)
    )
)
rule("188")(oc2_age(lambda first, last: last < 4, "SDQ_SCORE", "SDQ_SCORE", "SDQ_REASON"))
rule("189")(oc2_age(lambda first, last: first >= 17, "SDQ_SCORE", "SDQ_SCORE", "SDQ_REASON"))
rule("542")(oc2_age(lambda first, last: last < 10, "CONVICTED", "CONVICTED"))


@rule("546")
def health_check_over_5(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc2"):
        born = dob(ret, row)
        cohort = row["CHILD"] in ret.twelve_months
        if born is not None and given(row, "HEALTH_CHECK") and cohort and add_years(born, 5) <= ret.end:
            yield Hit(row, "HEALTH_CHECK")


# oc3

rule("153")(where("oc3", "IN_TOUCH", lambda row: all_or_none(row, OC3_ITEMS)))
rule("344")(
    where(
        "oc3", "ACTIV", lambda row: row.get("IN_TOUCH") in ("DIED", "RHOM") and given(row, "ACTIV", "ACCOM")
    )
)
rule("345")(
    where(
        "oc3",
        "ACTIV",
        lambda row: row.get("IN_TOUCH") == "YES" and "0" in (row.get("ACTIV"), row.get("ACCOM")),
    )
)


@rule("391")
def care_leaver_age(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        born = dob(ret, row)
        if born is not None and (add_years(born, 17) > ret.end or add_years(born, 22) <= ret.start):
            yield Hit(row, "DOB")


@rule("3001")
def seventeen_with_former_carers(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        born = dob(ret, row)
        if (
            born is not None
            and ret.start <= add_years(born, 17) <= ret.end
            and str(row.get("ACCOM") or "")[:1] == "Z"
        ):
            yield Hit(row, "ACCOM")


@rule("347")
def foyer_under_18(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        born = dob(ret, row)
        if born is not None and add_years(born, 18) > ret.end and row.get("ACCOM") in ("T1", "T2"):
            yield Hit(row, "ACCOM")


# ad1

rule("175")(
    where(
        "ad1",
        "NB_ADOPTR",
        lambda row: row.get("NB_ADOPTR") is not None and str(row["NB_ADOPTR"]) not in ("1", "2"),
    )
)
rule("151")(where("ad1", "DATE_INT", lambda row: all_or_none(row, AD1_ITEMS)))
rule("333")(
    where(
        "ad1",
        "DATE_INT",
        lambda row: (
            (start := day(row.get("DATE_INT"))) is not None
            and (match := day(row.get("DATE_MATCH"))) is not None
            and start > match
        ),
    )
)
rule("511")(
    where(
        "ad1",
        "SEX_ADOPTR",
        lambda row: str(row.get("NB_ADOPTR")) == "2" and row.get("SEX_ADOPTR") not in COUPLE,
    )
)
rule("514")(
    where("ad1", "SEX_ADOPTR", lambda row: row.get("LS_ADOPTR") == "L0" and row.get("SEX_ADOPTR") in COUPLE)
)
rule("517")(
    where("ad1", "SEX_ADOPTR", lambda row: row.get("LS_ADOPTR") == "L3" and row.get("SEX_ADOPTR") != "MF")
)
rule("518")(
    where(
        "ad1",
        "SEX_ADOPTR",
        lambda row: row.get("LS_ADOPTR") == "L4" and row.get("SEX_ADOPTR") not in SAME_SEX,
    )
)
rule("519")(
    where(
        "ad1",
        "SEX_ADOPTR",
        lambda row: row.get("LS_ADOPTR") == "L2" and row.get("SEX_ADOPTR") in ("M1", "F1"),
    )
)
# L11, a different-sex married couple: DfE's condition is that the adopters' sexes are MF
rule("520")(
    where("ad1", "SEX_ADOPTR", lambda row: row.get("LS_ADOPTR") == "L11" and row.get("SEX_ADOPTR") != "MF")
)
rule("524")(
    where(
        "ad1",
        "SEX_ADOPTR",
        lambda row: row.get("LS_ADOPTR") == "L12" and row.get("SEX_ADOPTR") not in SAME_SEX,
    )
)

# placed_for_adoption

rule("119")(
    where(
        "placed_for_adoption",
        "DATE_PLACED_CEASED",
        lambda row: all_or_none(row, ("DATE_PLACED_CEASED", "REASON_PLACED_CEASED")),
    )
)
rule("522")(
    where(
        "placed_for_adoption",
        "DATE_PLACED",
        lambda row: (
            (placed := day(row.get("DATE_PLACED"))) is not None
            and (ceased := day(row.get("DATE_PLACED_CEASED"))) is not None
            and placed > ceased
        ),
    )
)
rule("563")(
    where(
        "placed_for_adoption",
        "DATE_PLACED",
        lambda row: blank(row, "DATE_PLACED") and given(row, "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    )
)


@rule("579")
def decisions_overlap(ret: Return) -> Iterator[Hit]:
    for before, row in ordered(ret, "placed_for_adoption", "DATE_PLACED"):
        ceased = day(before.get("DATE_PLACED_CEASED"))
        if ceased is None or ceased > row["DATE_PLACED"]:
            yield Hit(row, "DATE_PLACED")


@rule("583")
def earlier_decision_not_revoked(ret: Return) -> Iterator[Hit]:
    for before, _ in ordered(ret, "placed_for_adoption", "DATE_PLACED"):
        if blank(before, "DATE_PLACED_CEASED"):
            yield Hit(before, "DATE_PLACED_CEASED")


def against_last_year(test: Callable[[Row, Row], bool]):
    """A check: this year's decision to place for adoption and last year's latest one, as ``test`` says."""

    def check(ret: Return) -> Iterator[Hit]:
        for child, rows in ret.children("placed_for_adoption"):
            last = [
                row for row in ret.previous.of("placed_for_adoption", child) if day(row.get("DATE_PLACED"))
            ]
            if not last:
                continue
            latest = max(last, key=lambda row: row["DATE_PLACED"])
            yield from (
                Hit(row, "DATE_PLACED") for row in rows if day(row.get("DATE_PLACED")) and test(row, latest)
            )

    return check


rule("560", previous=True)(
    against_last_year(
        lambda now, then: now["DATE_PLACED"] != then["DATE_PLACED"] and blank(then, "DATE_PLACED_CEASED")
    )
)
rule("561", previous=True)(
    against_last_year(
        lambda now, then: now["DATE_PLACED"] == then["DATE_PLACED"] and given(then, "DATE_PLACED_CEASED")
    )
)
rule("584", previous=True)(
    against_last_year(
        lambda now, then: (
            now["DATE_PLACED"] != then["DATE_PLACED"]
            and given(then, "DATE_PLACED_CEASED")
            and now["DATE_PLACED"] < (day(then.get("DATE_PLACED_CEASED")) or now["DATE_PLACED"])
        )
    )
)


@rule("559", previous=True)
def decision_not_in_last_return(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("placed_for_adoption"):
        placed = day(row.get("DATE_PLACED"))
        if placed is not None and placed < ret.start:
            earlier = {
                day(last.get("DATE_PLACED"))
                for last in ret.previous.of("placed_for_adoption", row.get("CHILD"))
            }
            if placed not in earlier:
                yield Hit(row, "DATE_PLACED")


# missing

rule("564")(where("missing", "MIS_START", lambda row: given(row, "MISSING") and blank(row, "MIS_START")))
rule("565")(where("missing", "MISSING", lambda row: given(row, "MIS_START") and blank(row, "MISSING")))
rule("566")(where("missing", "MISSING", lambda row: given(row, "MIS_END") and blank(row, "MISSING")))
rule("567")(
    where(
        "missing",
        "MIS_END",
        lambda row: (
            (start := day(row.get("MIS_START"))) is not None
            and (end := day(row.get("MIS_END"))) is not None
            and end < start
        ),
    )
)
rule("570")(
    lambda ret: where("missing", "MIS_START", lambda row: (day(row.get("MIS_START")) or ret.start) > ret.end)(
        ret
    )
)
rule("571")(
    lambda ret: where(
        "missing",
        "MIS_END",
        lambda row: (end := day(row.get("MIS_END"))) is not None and not ret.start <= end <= ret.end,
    )(ret)
)
rule("586")(
    lambda ret: where(
        "missing",
        "MIS_START",
        lambda row: (
            (start := day(row.get("MIS_START"))) is not None
            and (born := dob(ret, row)) is not None
            and start < born
        ),
    )(ret)
)


@rule("574")
def missing_overlap(ret: Return) -> Iterator[Hit]:
    for before, row in ordered(ret, "missing", "MIS_START"):
        end = day(before.get("MIS_END"))
        if end is None or end > row["MIS_START"]:
            yield Hit(row, "MIS_START")


@rule("576", previous=True)
def open_missing_not_carried(ret: Return) -> Iterator[Hit]:
    for child, rows in ret.previous.children("missing"):
        starts = {day(row.get("MIS_START")) for row in ret.of("missing", child)}
        opened = [row for row in rows if blank(row, "MIS_END") and day(row.get("MIS_START"))]
        here = ret.header(child)
        if here is not None and any(row["MIS_START"] not in starts for row in opened):
            yield Hit(here, "CHILD")


# previous_permanence

rule("635")(
    where(
        "previous_permanence",
        "PREV_PERM",
        lambda row: row.get("PREV_PERM") == "Z1" and given(row, "DATE_PERM", "LA_PERM"),
    )
)

# sw_episodes

rule("SW02STG1")(
    where(
        "sw_episodes", "SW_ID", lambda row: given(row, "SW_ID") and str(row["SW_ID"])[:2] not in ("SW", "XX")
    )
)
rule("SW03STG1")(
    where(
        "sw_episodes",
        "SW_ID",
        lambda row: blank(row, "SW_ID", "SW_DECOM") or (given(row, "SW_DEC") and blank(row, "SW_REASON")),
    )
)
rule("SW06STG2")(
    lambda ret: where(
        "sw_episodes", "SW_DECOM", lambda row: (day(row.get("SW_DECOM")) or ret.start) > ret.end
    )(ret)
)
rule("SW07STG2")(
    lambda ret: where(
        "sw_episodes",
        "SW_DEC",
        lambda row: (end := day(row.get("SW_DEC"))) is not None and not ret.start <= end <= ret.end,
    )(ret)
)
rule("SW09STG2")(
    where(
        "sw_episodes",
        "SW_DEC",
        lambda row: day(row.get("SW_DEC")) is not None and day(row.get("SW_DEC")) == day(row.get("SW_DECOM")),
    )
)
rule("SW14STG2")(where("sw_episodes", "SW_DEC", lambda row: blank(row, "SW_DEC") and given(row, "SW_REASON")))
rule("SW15STG2")(
    where("sw_episodes", "SW_REASON", lambda row: given(row, "SW_DEC") and blank(row, "SW_REASON"))
)


@rule("SW108STG2")
def sw_open_before_new(ret: Return) -> Iterator[Hit]:
    for before, _ in ordered(ret, "sw_episodes", "SW_DECOM"):
        if blank(before, "SW_DEC"):
            yield Hit(before, "SW_DEC")


@rule("SW10STG2")
def sw_overlap(ret: Return) -> Iterator[Hit]:
    for before, row in ordered(ret, "sw_episodes", "SW_DECOM"):
        end = day(before.get("SW_DEC"))
        if end is not None and row["SW_DECOM"] < end:
            yield Hit(row, "SW_DECOM")


def sw_against_last_year(column: str):
    """A check: this year's first social worker episode differs in ``column`` from last year's open one."""

    def check(ret: Return) -> Iterator[Hit]:
        for child, rows in ret.previous.children("sw_episodes"):
            opened = [row for row in rows if blank(row, "SW_DEC") and day(row.get("SW_DECOM"))]
            now = sorted(
                (row for row in ret.of("sw_episodes", child) if day(row.get("SW_DECOM"))),
                key=lambda r: r["SW_DECOM"],
            )
            if opened and now and now[0].get(column) != opened[-1].get(column):
                yield Hit(now[0], column)

    return check


rule("SW16aSTG2", previous=True)(sw_against_last_year("SW_ID"))
rule("SW16bSTG2", previous=True)(sw_against_last_year("SW_DECOM"))
rule("SW16cSTG2", previous=True)(sw_against_last_year("SW_REASON"))
