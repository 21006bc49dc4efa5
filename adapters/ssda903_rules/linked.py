"""SSDA903 rules across tables: a table's rows read against the child's episodes (and last year's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from adapters.ssda903_rules.common import ADOPTED, ADOPTION_PLACEMENTS, RESPITE
from adapters.ssda903_rules.engine import Hit, Return, add_years, age, day, rule
from adapters.ssda903_rules.small_tables import AD1_ITEMS, OC2_HEALTH, OC2_ITEMS, OC3_ITEMS, blank, given

Row = dict[str, Any]
FOSTER = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
#: previous permanence options were first collected for care starting on or after this day
PERMANENCE_FROM = date(2016, 4, 1)


def last_episode(ret: Return, child) -> Row | None:
    rows = ret.of("episodes", child)
    return rows[-1] if rows else None


def ceased(row: Row | None) -> bool:
    """The episode ended the child's care (a reason other than a new episode)."""
    return row is not None and row.get("REC") not in (None, "X1")


def care_start(ret: Return, child) -> date | None:
    """The start of the child's latest period of care in the return (its last RNE S episode, or its first)."""
    rows = ret.of("episodes", child)
    starts = [day(row.get("DECOM")) for row in rows if row.get("RNE") == "S"] or [
        day(row.get("DECOM")) for row in rows[:1]
    ]
    return starts[-1] if starts else None


def adoption_placement(ret: Return, child) -> Row | None:
    """The child's first episode placed for adoption (A3 to A6)."""
    return next((row for row in ret.of("episodes", child) if row.get("PLACE") in ADOPTION_PLACEMENTS), None)


def adopted_in_year(ret: Return, child) -> Row | None:
    """The episode that ended with the child's adoption in the collection year."""
    return next(
        (
            row
            for row in ret.of("episodes", child)
            if row.get("REC") in ADOPTED and ret.start <= (day(row.get("DEC")) or date.min) <= ret.end
        ),
        None,
    )


def starts(ret: Return, child) -> Iterator[date]:
    """The start dates of the child's episodes (undated ones left out)."""
    return (start for row in ret.of("episodes", child) if (start := day(row.get("DECOM"))) is not None)


def rows_where(table: str, column: str, test: Callable[[Return, Row], bool]):
    """A check: a hit on ``column`` of every row of ``table`` for which ``test(ret, row)`` holds."""
    return lambda ret: (Hit(row, column) for row in ret.rows(table) if test(ret, row))


def latest_placed(ret: Return, child) -> Row | None:
    rows = [row for row in ret.of("placed_for_adoption", child) if day(row.get("DATE_PLACED"))]
    return max(rows, key=lambda row: row["DATE_PLACED"]) if rows else None


# care leavers (oc3) against episodes

rule("1000")(
    rows_where("oc3", "IN_TOUCH", lambda ret, row: (last_episode(ret, row["CHILD"]) or {}).get("REC") == "E2")
)
rule("1011")(
    rows_where("oc3", "IN_TOUCH", lambda ret, row: (last_episode(ret, row["CHILD"]) or {}).get("REC") == "E3")
)
rule("134")(
    rows_where(
        "oc3", "IN_TOUCH", lambda ret, row: any(given(ad, *AD1_ITEMS) for ad in ret.of("ad1", row["CHILD"]))
    )
)
rule("1014")(
    rows_where("uasc", "DUC", lambda ret, row: given(row, "DUC") and bool(ret.of("oc3", row["CHILD"])))
)
rule("215")(
    rows_where(
        "oc2",
        "CONVICTED",
        lambda ret, row: (
            given(row, *OC2_ITEMS) and any(given(oc3, *OC3_ITEMS) for oc3 in ret.of("oc3", row["CHILD"]))
        ),
    )
)


def birthday_in_year(ret: Return, child, years: int) -> date | None:
    born = ret.dob(child)
    when = add_years(born, years) if born else None
    return when if when is not None and ret.start <= when <= ret.end else None


@rule("1007")
def still_looked_after_at_birthday(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        for years in (17, 18):
            when = birthday_in_year(ret, row["CHILD"], years)
            if when is not None and ret.looked_after_on(row["CHILD"], when):
                yield Hit(row, "IN_TOUCH")
                break


@rule("1016")
def ceased_after_birthday(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        last = last_episode(ret, row["CHILD"])
        end = day((last or {}).get("DEC"))
        for years in (17, 18):
            when = birthday_in_year(ret, row["CHILD"], years)
            if when is not None and ceased(last) and end is not None and end > when:
                yield Hit(row, "IN_TOUCH")
                break


@rule("1012")
def other_data_without_episodes(ret: Return) -> Iterator[Hit]:
    for child in ret.by_child("oc3"):
        if ret.of("episodes", child):
            continue
        for table in ("ad1", "placed_for_adoption", "missing", "reviews", "oc2", "previous_permanence"):
            yield from (Hit(row, "CHILD") for row in ret.of(table, child))


def all_episodes(ret: Return, child) -> list[Row]:
    """The child's episodes of this year and last, each start date once (this year's copy kept)."""
    seen: dict[Any, Row] = {}
    for row in [*ret.previous.of("episodes", child), *ret.of("episodes", child)]:
        seen[day(row.get("DECOM")) or id(row)] = row
    return sorted(seen.values(), key=lambda row: day(row.get("DECOM")) or date.min)


@rule("1001", previous=True)
def not_a_care_leaver(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        born = ret.dob(row["CHILD"])
        if born is None or add_years(born, 20) <= ret.end:
            continue
        episodes = all_episodes(ret, row["CHILD"])
        at_14, at_16 = add_years(born, 14), add_years(born, 16)
        after_14 = after_16 = 0
        for episode in episodes:
            start, end = day(episode.get("DECOM")), day(episode.get("DEC")) or ret.end
            if start is None or episode.get("LS") in RESPITE:
                continue
            after_14 += max(0, (end - max(start, at_14)).days)
            after_16 += max(0, (end - max(start, at_16)).days)
        adopted = bool(episodes) and episodes[-1].get("REC") in ADOPTED
        if adopted or after_14 < 91 or after_16 < 1:
            yield Hit(row, "IN_TOUCH")


@rule("1002", previous=True)
def care_leaver_without_care(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        if not ret.of("episodes", row["CHILD"]) and not ret.previous.of("episodes", row["CHILD"]):
            yield Hit(row, "IN_TOUCH")


@rule("1010", previous=True)
def open_last_year_no_episodes(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("oc3"):
        last = last_episode(ret.previous, row["CHILD"])
        if last is not None and last.get("DEC") is None and not ret.of("episodes", row["CHILD"]):
            yield Hit(row, "IN_TOUCH")


# children looked after for 12 months (oc2) against episodes


def oc2_rule(column: str, test: Callable[[Return, Row, bool, int | None, int | None], bool]):
    """A check on oc2: ``test(ret, row, in the 12-month cohort, age at the start, age at the end)``."""

    def check(ret: Return) -> Iterator[Hit]:
        cohort = ret.twelve_months
        for row in ret.rows("oc2"):
            born = ret.dob(row["CHILD"]) or day(row.get("DOB"))
            if test(ret, row, row["CHILD"] in cohort, age(born, ret.start), age(born, ret.end)):
                yield Hit(row, column)

    return check


rule("185")(
    oc2_rule("SDQ_SCORE", lambda ret, row, cohort, first, last: not cohort and given(row, "SDQ_SCORE"))
)
rule("190")(
    oc2_rule("CONVICTED", lambda ret, row, cohort, first, last: not cohort and given(row, *OC2_ITEMS))
)
rule("198")(
    oc2_rule("SDQ_REASON", lambda ret, row, cohort, first, last: not cohort and given(row, "SDQ_REASON"))
)
rule("191")(
    oc2_rule("IMMUNISATIONS", lambda ret, row, cohort, first, last: cohort and blank(row, *OC2_HEALTH))
)
rule("186")(
    oc2_rule(
        "SDQ_SCORE",
        lambda ret, row, cohort, first, last: (
            cohort
            and first is not None
            and first >= 4
            and last < 17
            and not given(row, "SDQ_SCORE", "SDQ_REASON")
        ),
    )
)
rule("197B")(
    oc2_rule(
        "SDQ_REASON",
        lambda ret, row, cohort, first, last: (
            cohort
            and first is not None
            and (first == 4 or last == 17)
            and not given(row, "SDQ_SCORE", "SDQ_REASON")
        ),
    )
)
rule("543")(
    oc2_rule(
        "CONVICTED",
        lambda ret, row, cohort, first, last: (
            cohort and last is not None and last >= 10 and blank(row, "CONVICTED")
        ),
    )
)
rule("545")(
    oc2_rule(
        "HEALTH_CHECK",
        lambda ret, row, cohort, first, last: (
            cohort and last is not None and last < 5 and blank(row, "HEALTH_CHECK")
        ),
    )
)


@rule("187")
def cohort_with_leaving_or_adoption(ret: Return) -> Iterator[Hit]:
    for child in ret.twelve_months:
        yield from (Hit(row, "IN_TOUCH") for row in ret.of("oc3", child) if given(row, *OC3_ITEMS))
        yield from (Hit(row, "DATE_INT") for row in ret.of("ad1", child) if given(row, *AD1_ITEMS))


# adoption (ad1, placed_for_adoption) against episodes

rule("184")(
    rows_where(
        "placed_for_adoption",
        "DATE_PLACED",
        lambda ret, row: (
            (placed := day(row.get("DATE_PLACED"))) is not None
            and (born := ret.dob(row["CHILD"])) is not None
            and placed < born
        ),
    )
)
rule("1003")(
    rows_where(
        "placed_for_adoption",
        "DATE_PLACED",
        lambda ret, row: (
            (placed := day(row.get("DATE_PLACED"))) is not None
            and (start := care_start(ret, row["CHILD"])) is not None
            and placed < start
        ),
    )
)


@rule("117")
def decision_after_year_or_care(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("placed_for_adoption"):
        last = last_episode(ret, row["CHILD"])
        limit = min(ret.end, day(last.get("DEC")) or ret.end) if ceased(last) else ret.end
        for column in ("DATE_PLACED", "DATE_PLACED_CEASED"):
            if (day(row.get(column)) or date.min) > limit:
                yield Hit(row, column)


@rule("118")
def revoked_before_year_or_care(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("placed_for_adoption"):
        revoked = day(row.get("DATE_PLACED_CEASED"))
        start = care_start(ret, row["CHILD"])
        if revoked is not None and (revoked < ret.start or (start is not None and revoked < start)):
            yield Hit(row, "DATE_PLACED_CEASED")


rule("331")(
    rows_where(
        "ad1",
        "DATE_MATCH",
        lambda ret, row: (
            (match := day(row.get("DATE_MATCH"))) is not None
            and (placed := adoption_placement(ret, row["CHILD"])) is not None
            and adopted_in_year(ret, row["CHILD"]) is not None
            and match > (day(placed.get("DECOM")) or date.max)
        ),
    )
)
rule("334")(
    rows_where(
        "ad1",
        "DATE_INT",
        lambda ret, row: (
            (decided := day(row.get("DATE_INT"))) is not None
            and (start := care_start(ret, row["CHILD"])) is not None
            and decided < start
        ),
    )
)
rule("521")(
    rows_where(
        "ad1",
        "DATE_INT",
        lambda ret, row: (
            (decided := day(row.get("DATE_INT"))) is not None
            and (placed := adoption_placement(ret, row["CHILD"])) is not None
            and decided > (day(placed.get("DECOM")) or date.max)
        ),
    )
)
rule("523")(
    rows_where(
        "ad1",
        "DATE_INT",
        lambda ret, row: (
            (decided := day(row.get("DATE_INT"))) is not None
            and (placed := latest_placed(ret, row["CHILD"])) is not None
            and placed["DATE_PLACED"] != decided
        ),
    )
)
rule("525")(
    rows_where(
        "ad1",
        "DATE_INT",
        lambda ret, row: (
            given(row, *AD1_ITEMS)
            and any(given(p, "DATE_PLACED_CEASED") for p in ret.of("placed_for_adoption", row["CHILD"]))
        ),
    )
)
rule("602")(rows_where("ad1", "CHILD", lambda ret, row: adopted_in_year(ret, row["CHILD"]) is None))


@rule("335")
def foster_carer_adoption(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("ad1"):
        placed = adopted_in_year(ret, row["CHILD"])
        place = (placed or {}).get("PLACE")
        if (row.get("FOSTER_CARE") == "0" and place in ("A3", "A5")) or (
            row.get("FOSTER_CARE") == "1" and place in ("A4", "A6")
        ):
            yield Hit(row, "FOSTER_CARE")


@rule("582")
def matched_on_adoption_day(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("ad1"):
        episode = adopted_in_year(ret, row["CHILD"])
        end = day(episode.get("DEC")) if episode else None
        if end is not None and end == day(row.get("DATE_MATCH")):
            yield Hit(row, "DATE_MATCH")


@rule("601")
def adopted_without_ad1(ret: Return) -> Iterator[Hit]:
    for child in ret.by_child("episodes"):
        episode = adopted_in_year(ret, child)
        if episode is not None and not any(not blank(row, *AD1_ITEMS) for row in ret.of("ad1", child)):
            yield Hit(episode, "REC")


@rule("336")
def adoption_not_from_foster(ret: Return) -> Iterator[Hit]:
    for before, row in ret.pairs("episodes"):
        if (
            row.get("PLACE") in ("A3", "A5")
            and row.get("RNE") != "S"
            and before.get("PLACE") not in FOSTER | {"A3", "A5"}
        ):
            yield Hit(row, "PLACE")


@rule("516")
def special_guardianship_not_fostered(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("episodes"):
        if row.get("REC") in ("E45", "E46") and row.get("PLACE") not in FOSTER:
            yield Hit(row, "PLACE")


def without_decision(test: Callable[[Row], bool], column: str):
    """A check: an episode for which ``test`` holds, of a child with no decision to place for adoption."""

    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows("episodes"):
            decided = any(given(p, "DATE_PLACED") for p in ret.of("placed_for_adoption", row.get("CHILD")))
            if test(row) and not decided:
                yield Hit(row, column)

    return check


rule("551")(without_decision(lambda row: row.get("PLACE") in ADOPTION_PLACEMENTS, "PLACE"))


@rule("553")
def placement_order_without_decision(ret: Return) -> Iterator[Hit]:
    """An E1 episode with no decision to place for adoption; while it is open, a decision marked revoked."""
    yield from without_decision(lambda row: row.get("LS") == "E1", "LS")(ret)
    for child, rows in ret.children("episodes"):
        if any(row.get("LS") == "E1" and row.get("DEC") is None for row in rows):
            for placed in ret.of("placed_for_adoption", child):
                if given(placed, "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"):
                    yield Hit(placed, "DATE_PLACED_CEASED")


rule("555")(without_decision(lambda row: row.get("LS") == "D1", "LS"))


def decision_after(test: Callable[[Row], bool]):
    """A check: the decision to place for adoption came after the first episode for which ``test`` holds."""

    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows("placed_for_adoption"):
            first = next((e for e in ret.of("episodes", row["CHILD"]) if test(e)), None)
            placed = day(row.get("DATE_PLACED"))
            if first is not None and placed is not None and placed > (day(first.get("DECOM")) or date.max):
                yield Hit(row, "DATE_PLACED")

    return check


rule("552")(decision_after(lambda row: row.get("PLACE") in ADOPTION_PLACEMENTS))
rule("554")(decision_after(lambda row: row.get("LS") == "E1"))
rule("556")(decision_after(lambda row: row.get("LS") == "D1"))


@rule("557")
def left_care_not_adopted(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("placed_for_adoption"):
        last = last_episode(ret, row["CHILD"])
        if (
            ceased(last)
            and last.get("REC") not in ADOPTED
            and blank(row, "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")
        ):
            yield Hit(row, "DATE_PLACED_CEASED")


@rule("558")
def adopted_but_revoked(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("placed_for_adoption"):
        last = last_episode(ret, row["CHILD"])
        if last is not None and last.get("REC") in ADOPTED and given(row, "DATE_PLACED_CEASED"):
            yield Hit(row, "DATE_PLACED_CEASED")


# missing against episodes


@rule("575")
def placement_ended_missing_open(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("missing"):
        start = day(row.get("MIS_START"))
        if start is None or given(row, "MIS_END"):
            continue
        for episode in ret.of("episodes", row["CHILD"]):
            begun, ended = day(episode.get("DECOM")), day(episode.get("DEC"))
            if begun is not None and ended is not None and begun <= start < ended:
                yield Hit(row, "MIS_END")
                break


@rule("577")
def ceased_missing_open(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("missing"):
        if blank(row, "MIS_END") and ceased(last_episode(ret, row["CHILD"])):
            yield Hit(row, "MIS_END")


@rule("578")
def missing_after_care(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("missing"):
        last = last_episode(ret, row["CHILD"])
        start = day(row.get("MIS_START"))
        if ceased(last) and start is not None and start > (day(last.get("DEC")) or date.max):
            yield Hit(row, "MIS_START")


@rule("581")
def missing_before_care(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("missing"):
        episodes = ret.of("episodes", row["CHILD"])
        start = day(row.get("MIS_START"))
        first = day(episodes[0].get("DECOM")) if episodes else None
        if start is not None and first is not None and start < first:
            yield Hit(row, "MIS_START")


@rule("580")
def missing_when_ceased_not_e8(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("episodes"):
        end = day(row.get("DEC"))
        if not ceased(row) or end is None or row.get("REC") == "E8":
            continue
        for missing in ret.of("missing", row.get("CHILD")):
            start, back = day(missing.get("MIS_START")), day(missing.get("MIS_END"))
            if start is not None and start <= end and (back is None or back > end):
                yield Hit(row, "REC")
                break


# previous permanence against episodes

rule("630")(
    lambda ret: (
        Hit(row, "RNE")
        for row in ret.rows("episodes")
        if row.get("RNE") == "S"
        and (day(row.get("DECOM")) or date.min) >= ret.start
        and not ret.of("previous_permanence", row.get("CHILD"))
    )
)
rule("632")(
    rows_where(
        "previous_permanence",
        "DATE_PERM",
        lambda ret, row: (
            (when := day(row.get("DATE_PERM"))) is not None
            and (start := care_start(ret, row["CHILD"])) is not None
            and when > start
        ),
    )
)
rule("634")(
    rows_where(
        "previous_permanence",
        "PREV_PERM",
        lambda ret, row: (
            # DfE: then at least one episode starts on or after 1 April 2016 (a later episode is enough)
            given(row, "PREV_PERM", "LA_PERM", "DATE_PERM")
            and (latest := max(starts(ret, row["CHILD"]), default=None)) is not None
            and latest < PERMANENCE_FROM
        ),
    )
)


# respite only: motherhood and reviews not wanted


@rule("399")
def respite_only_with_mother_or_reviews(ret: Return) -> Iterator[Hit]:
    for child, episodes in ret.children("episodes"):
        if not all(row.get("LS") in RESPITE for row in episodes):
            continue
        yield from (Hit(row, "MOTHER") for row in ret.of("header", child) if given(row, "MOTHER"))
        yield from (
            Hit(row, "REVIEW") for row in ret.of("reviews", child) if given(row, "REVIEW", "REVIEW_CODE")
        )


# social worker episodes against episodes


def sw_sorted(ret: Return, child) -> list[Row]:
    return sorted(
        (row for row in ret.of("sw_episodes", child) if day(row.get("SW_DECOM"))),
        key=lambda row: row["SW_DECOM"],
    )


@rule("SW01STG1")
def looked_after_without_social_worker(ret: Return) -> Iterator[Hit]:
    for child, episodes in ret.children("episodes"):
        if ret.looked_after_on(child, ret.end) and not ret.of("sw_episodes", child):
            yield Hit(episodes[-1], "DEC")


@rule("SW11STG2")
def social_worker_ended_early(ret: Return) -> Iterator[Hit]:
    for child in ret.by_child("sw_episodes"):
        rows = sw_sorted(ret, child)
        end = day(rows[-1].get("SW_DEC")) if rows else None
        if end is not None and end < ret.end and ret.looked_after_on(child, ret.end):
            yield Hit(rows[-1], "SW_DEC")


@rule("SW12STG2")
def social_worker_year_not_covered(ret: Return) -> Iterator[Hit]:
    for child in ret.by_child("sw_episodes"):
        rows = sw_sorted(ret, child)
        if rows and ret.looked_after_on(child, ret.end) and rows[0]["SW_DECOM"] > ret.start:
            yield Hit(rows[0], "SW_DECOM")
