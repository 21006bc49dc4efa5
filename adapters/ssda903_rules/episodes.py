"""SSDA903 rules about the episodes table (and the child's age from the header)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from adapters.ssda903_rules.common import (
    ADOPTED,
    ADOPTION_PLACEMENTS,
    CONTINUATION,
    FREEING_ENDED,
    RESPITE,
    TEMPORARY,
    code_rule,
    codes,
    date_rule,
)
from adapters.ssda903_rules.engine import Hit, Return, add_years, age, day, rule

for _code, _column, _required in (
    ("143", "RNE", True),
    ("144", "LS", True),
    ("145", "CIN", True),
    ("146", "PLACE", True),
    ("149", "REC", False),
    ("1009", "REASON_PLACE_CHANGE", False),
):
    code_rule(_code, "episodes", _column, required=_required)
date_rule("141", "episodes", "DECOM", required=True)
date_rule("147", "episodes", "DEC", required=False)

POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")
#: the start of the 2023 change to placement types (P2 and unregistered H5 ended)
OCTOBER_2023 = date(2023, 10, 28)


def each(ret: Return, test, column: str) -> Iterator[Hit]:
    """A hit on ``column`` of every episode for which ``test(row)`` holds."""
    for row in ret.rows("episodes"):
        if test(row):
            yield Hit(row, column)


def days(row) -> int | None:
    """Days from DECOM to DEC (None while either is missing)."""
    start, end = day(row.get("DECOM")), day(row.get("DEC"))
    return None if start is None or end is None else (end - start).days


def age_at(ret: Return, row, column: str) -> int | None:
    when = day(row.get(column))
    return None if when is None else age(ret.dob(row.get("CHILD")), when)


def lasted_over(code_column: str, codes: frozenset[str], limit: int):
    """A check: an episode whose ``code_column`` is one of ``codes`` lasted more than ``limit`` days."""
    return lambda ret: each(
        ret, lambda row: row.get(code_column) in codes and (days(row) or 0) > limit, "DEC"
    )


def status_lasted_over(ret: Return, status: str, limit: int) -> Iterator[Hit]:
    """Every episode of a legal status held for more than ``limit`` days: the status lasts across episodes
    that follow one another the same day with it (a change of placement does not end it), and one still
    held lasts at least to the collection's end."""
    for _, rows in ret.children("episodes"):
        run: list = []
        for row, after in zip(rows, [*rows[1:], None], strict=True):
            if row.get("LS") != status or day(row.get("DECOM")) is None:
                continue
            run.append(row)
            end = day(row.get("DEC"))
            follows = after is not None and after.get("LS") == status and day(after.get("DECOM")) == end
            if end is not None and follows:
                continue
            if ((end or ret.end) - day(run[0]["DECOM"])).days > limit:
                yield from (Hit(held, "DEC") for held in run)
            run = []


def younger(ret: Return, places: frozenset[str], years: int):
    """A test: placed in one of ``places`` before the age of ``years`` at the episode's start."""
    return lambda row: (
        row.get("PLACE") in places and (a := age_at(ret, row, "DECOM")) is not None and a < years
    )


@rule("142")
def open_before_new(ret: Return) -> Iterator[Hit]:
    for row, _ in ret.pairs("episodes"):
        if row.get("DEC") is None:
            yield Hit(row, "DEC")


@rule("148")
def ceased_and_reason(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (row.get("DEC") is None) != (row.get("REC") is None), "DEC")


@rule("213")
def provider_not_required(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: row.get("PLACE") in TEMPORARY and row.get("PLACE_PROVIDER") is not None,
        "PLACE_PROVIDER",
    )


@rule("214")
def location_not_required(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: row.get("LS") in RESPITE and (row.get("PL_POST") or row.get("URN")) is not None,
        "PL_POST",
    )


@rule("217")
def foster_to_adopt_reason(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("PLACE") in ("A3", "A5")
            and (day(row.get("DECOM")) or date.min) >= date(2015, 4, 1)
            and row.get("RNE") not in ("S", "T", "U")
        ),
        "RNE",
    )


@rule("217t")
def p2_ended(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: row.get("PLACE") == "P2" and (day(row.get("DECOM")) or date.min) >= OCTOBER_2023,
        "PLACE",
    )


@rule("230")
def h5_needs_urn(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("PLACE") == "H5"
            and row.get("URN") is None
            and (day(row.get("DEC")) or date.max) >= OCTOBER_2023
        ),
        "URN",
    )


def urn_exempt(year: int) -> frozenset[str]:
    """Placement types that have no Ofsted URN (before 2024-25 also P2 and H5, which then ended)."""
    exempt = frozenset({"P1", "P3", "R1", "R2", "R5", "Z1"}) | TEMPORARY
    return exempt | {"H5", "P2"} if year < 2025 else exempt


@rule("222")
def urn_not_for_placement(ret: Return) -> Iterator[Hit]:
    exempt = urn_exempt(ret.year)
    yield from each(
        ret, lambda row: row.get("PLACE") in exempt and row.get("URN") not in (None, "XXXXXXX"), "URN"
    )


@rule("218")
def urn_required(ret: Return) -> Iterator[Hit]:
    exempt = urn_exempt(ret.year)
    yield from each(
        ret,
        lambda row: (
            row.get("PLACE") not in exempt
            and row.get("URN") is None
            and (day(row.get("DEC")) or ret.start) >= ret.start
        ),
        "URN",
    )


@rule("225")
def place_change_reason_required(ret: Return) -> Iterator[Hit]:
    for row, after in ret.pairs("episodes"):
        if (
            row.get("REC") == "X1"
            and after.get("RNE") in ("P", "B", "T")
            and row.get("PLACE") not in TEMPORARY
            and after.get("PLACE") not in TEMPORARY
            and row.get("REASON_PLACE_CHANGE") is None
        ):
            yield Hit(row, "REASON_PLACE_CHANGE")


@rule("226")
def place_change_reason_not_required(ret: Return) -> Iterator[Hit]:
    """DfE: for a temporary placement the reason for placement change is blank in the episode and in the
    one before it (a temporary placement is no change of the child's placement)."""
    for _, rows in ret.children("episodes"):
        for before, row in zip([None, *rows], rows, strict=False):
            reasons = [row.get("REASON_PLACE_CHANGE"), before and before.get("REASON_PLACE_CHANGE")]
            if row.get("PLACE") in TEMPORARY and any(reason is not None for reason in reasons):
                yield Hit(row, "REASON_PLACE_CHANGE")


@rule("302")
def before_birth(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            (start := day(row.get("DECOM"))) is not None
            and (born := ret.dob(row.get("CHILD"))) is not None
            and start < born
        ),
        "DECOM",
    )


@rule("352")
def started_at_18(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("RNE") == "S" and (age_at(ret, row, "DECOM") or 0) >= 18, "DECOM"
    )


@rule("353")
def before_1991(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (day(row.get("DECOM")) or date.max) < date(1991, 10, 14), "DECOM")


@rule("354")
def starts_after_year(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (day(row.get("DECOM")) or date.min) > ret.end, "DECOM")


@rule("355")
def under_a_day(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: days(row) == 0, "DEC")


@rule("356")
def ceased_before_start(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (days(row) or 0) < 0, "DEC")


@rule("357")
def first_episode_starts_care(ret: Return) -> Iterator[Hit]:
    earlier = ret.previous.by_child("episodes") if ret.previous else {}
    for child, rows in ret.children("episodes"):
        first = rows[0]
        start = day(first.get("DECOM"))
        if child not in earlier and start is not None and start >= ret.start and first.get("RNE") != "S":
            yield Hit(first, "RNE")


@rule("358")
def youth_justice_under_10(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("LS") in ("J1", "J2", "J3") and (a := age_at(ret, row, "DECOM")) is not None and a < 10
        ),
        "LS",
    )


@rule("359")
def over_18_not_section_20_5(ret: Return) -> Iterator[Hit]:
    """An open episode of a child 18 before 31 March, unless section 20(5) (V2) in a community home (K2)."""

    def breaks(row) -> bool:
        born = ret.dob(row.get("CHILD"))
        return (
            born is not None
            and row.get("DEC") is None
            and add_years(born, 18) < ret.end
            and not (row.get("LS") == "V2" and row.get("PLACE") == "K2")
        )

    yield from each(ret, breaks, "LS")


for _code, _ls, _limit in (
    ("361", "L1", 3),
    ("362", "L2", 21),
    ("363", "L3", 7),
    ("365", "V3", 17),
):
    rule(_code)(lambda ret, ls=_ls, limit=_limit: status_lasted_over(ret, ls, limit))

for _code, _place, _limit in (("375", "T1", 42), ("376", "T3", 21), ("379", "T4", 7)):
    rule(_code)(lasted_over("PLACE", frozenset({_place}), _limit))

for _code, _places, _years in (
    ("370", {"P2"}, 16),
    ("371", {"H5", "K3"}, 16),
    ("372", {"R5"}, 10),
    ("373", {"S1"}, 4),
    ("374", {"P3"}, 14),
):
    rule(_code)(
        lambda ret, places=frozenset(_places), years=_years: each(ret, younger(ret, places, years), "PLACE")
    )


@rule("364")
def pace_over_21_days(ret: Return) -> Iterator[Hit]:
    """Runs of PACE (J2) episodes, one starting as the last ends, over 21 days (an open one to 31 March)."""
    for _, rows in ret.children("episodes"):
        run: list = []
        for row in [*rows, None]:
            joined = run and row is not None and day(row.get("DECOM")) == day(run[-1].get("DEC"))
            if row is not None and row.get("LS") == "J2" and (joined or not run):
                run.append(row)
                continue
            spans = [(day(r.get("DEC")) or ret.end) - day(r.get("DECOM")) for r in run if day(r.get("DECOM"))]
            if sum(span.days for span in spans) > 21:
                yield from (Hit(r, "DEC") for r in run)
            run = [row] if row is not None and row.get("LS") == "J2" else []


@rule("366")
def respite_placement_change(ret: Return) -> Iterator[Hit]:
    # DfE: a respite episode starts its own break (RNE S); any other reason is a change within one
    yield from each(ret, lambda row: row.get("LS") == "V3" and row.get("RNE") not in (None, "S"), "RNE")


@rule("367")
def respite_over_75_days(ret: Return) -> Iterator[Hit]:
    for _, rows in ret.children("episodes"):
        respite = [row for row in rows if row.get("LS") == "V3" and day(row.get("DECOM"))]
        # the days of each break within the collection year (none for a break outside it)
        within = (
            (min(day(row.get("DEC")) or ret.end, ret.end) - max(day(row.get("DECOM")), ret.start)).days
            for row in respite
        )
        total = sum(max(0, days) for days in within)
        if total > 75:
            yield from (Hit(row, "DEC") for row in respite)


@rule("377")
def holiday_placements(ret: Return) -> Iterator[Hit]:
    # DfE: no more than two T3 placements in any 12-month period: each T3 episode with two others of the
    # child starting within a year of one start (counted whatever the collection year)
    for _, rows in ret.children("episodes"):
        holidays = [row for row in rows if row.get("PLACE") == "T3" and day(row.get("DECOM")) is not None]
        flagged: set[int] = set()
        for first, row in enumerate(holidays):
            window = [
                index
                for index in range(first, len(holidays))
                if day(holidays[index]["DECOM"]) < add_years(day(row["DECOM"]), 1)
            ]
            if len(window) > 2:
                flagged.update(window)
        yield from (Hit(holidays[index], "PLACE") for index in sorted(flagged))


@rule("378")
def parents_under_section_20(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("PLACE") == "P1" and row.get("LS") == "V2", "PLACE")


@rule("380")
def care_starts_temporary(ret: Return) -> Iterator[Hit]:
    # DfE: a placement of T0-T4 may follow a change of placement only (P, B), never open a period of care
    yield from each(
        ret, lambda row: row.get("RNE") not in (None, "P", "B") and row.get("PLACE") in TEMPORARY, "PLACE"
    )


@rule("381")
def care_ends_temporary(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("REC") not in (None, "X1") and row.get("PLACE") in TEMPORARY, "PLACE"
    )


@rule("382")
def respite_temporary(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("LS") in RESPITE and row.get("PLACE") in TEMPORARY, "PLACE")


@rule("383")
def temporary_returns(ret: Return) -> Iterator[Hit]:
    for _, rows in ret.children("episodes"):
        for before, row, after in zip(rows, rows[1:], rows[2:], strict=False):
            # the return is a change of placement only (RNE P) back to the placement before
            back = after.get("RNE") == "P" and before.get("PLACE") == after.get("PLACE")
            if row.get("PLACE") in TEMPORARY and not back:
                yield Hit(row, "PLACE")


@rule("384")
def respite_long_term_foster(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("LS") in RESPITE and row.get("PLACE") in ("U1", "U4"), "PLACE")


@rule("385")
def ceased_after_year(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (day(row.get("DEC")) or date.min) > ret.end, "DEC")


def ceased_at_age(reasons: frozenset[str], test):
    """A check: the episode ceased for one of ``reasons`` at an age for which ``test(age)`` holds."""

    def check(ret: Return) -> Iterator[Hit]:
        yield from each(
            ret,
            lambda row: row.get("REC") in reasons and (a := age_at(ret, row, "DEC")) is not None and test(a),
            "REC",
        )

    return check


rule("386")(ceased_at_age(ADOPTED, lambda a: a >= 18))
rule("387")(ceased_at_age(frozenset({"E5", "E6"}), lambda a: a < 14))
rule("389")(ceased_at_age(frozenset({"E7"}), lambda a: a < 16))
rule("407")(ceased_at_age(frozenset({"E45", "E46", "E47", "E48"}), lambda a: a >= 18))
rule("460")(ceased_at_age(frozenset({"E17"}), lambda a: a < 18))


@rule("178")
def placement_provider(ret: Return) -> Iterator[Hit]:
    """DfE: a provider given must be a valid code, and none is given for a placement of T0-T4 or Z1."""
    valid = codes("episodes", "PLACE_PROVIDER", ret.year)
    yield from each(
        ret,
        lambda row: (
            row.get("PLACE_PROVIDER") is not None
            and (row["PLACE_PROVIDER"] not in valid or row.get("PLACE") in TEMPORARY | {"Z1"})
        ),
        "PLACE_PROVIDER",
    )


@rule("388")
def no_continuation(ret: Return) -> Iterator[Hit]:
    """DfE's three cases: an X1 episode without one starting the day it ends; an episode ending with
    another reason although the next starts that day (the child stays looked after: X1 is due); the
    child's last episode ending X1."""
    for _, rows in ret.children("episodes"):
        for row, after in zip(rows, [*rows[1:], None], strict=True):
            end, reason = day(row.get("DEC")), row.get("REC")
            if end is None or reason is None:
                continue
            continues = after is not None and day(after.get("DECOM")) == end
            if (reason == "X1") != continues:
                yield Hit(row, "REC")


@rule("390")
def adopted_not_placed(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("REC") in ADOPTED and row.get("PLACE") not in ADOPTION_PLACEMENTS, "REC"
    )


def looked_after_placed(row) -> bool:
    return row.get("LS") not in RESPITE and row.get("PLACE") not in TEMPORARY | {"Z1"}


@rule("392b")
def no_postcodes(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            looked_after_placed(row)
            and row.get("CHILD") not in ret.uasc_children
            and (row.get("HOME_POST") is None or row.get("PL_POST") is None)
        ),
        "HOME_POST",
    )


@rule("392c")
def invalid_postcodes(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("episodes"):
        for column in ("HOME_POST", "PL_POST"):
            value = row.get(column)
            if value is not None and not POSTCODE.fullmatch(str(value).upper()):
                yield Hit(row, column)


def postcode(value) -> str | None:
    return None if value is None else str(value).replace(" ", "").upper()


@rule("392d")
def home_is_placement(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("PLACE") != "P1"
            and postcode(row.get("HOME_POST")) is not None
            and postcode(row.get("HOME_POST")) == postcode(row.get("PL_POST"))
        ),
        "PL_POST",
    )


@rule("398")
def respite_postcodes(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: row.get("LS") in RESPITE and (row.get("HOME_POST") or row.get("PL_POST")) is not None,
        "HOME_POST",
    )


@rule("408")
def adoption_without_order(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("PLACE") in ("A5", "A6") and row.get("LS") != "E1", "LS")


@rule("426")
def both_respite_codes(ret: Return) -> Iterator[Hit]:
    for _, rows in ret.children("episodes"):
        statuses = {row.get("LS") for row in rows}
        if statuses >= RESPITE:
            yield from (Hit(row, "LS") for row in rows if row.get("LS") in RESPITE)


@rule("431")
def started_on_previous_end(ret: Return) -> Iterator[Hit]:
    for before, row in ret.pairs("episodes"):
        if (
            row.get("RNE") == "S"
            and day(before.get("DEC")) is not None
            and day(before.get("DEC")) == day(row.get("DECOM"))
        ):
            yield Hit(row, "RNE")


@rule("432")
def ceased_then_continued(ret: Return) -> Iterator[Hit]:
    for before, row in ret.pairs("episodes"):
        # DfE: the new episode's reason is "not started to be looked after": any but S (blank too)
        if before.get("REC") not in (None, "X1") and row.get("RNE") != "S":
            yield Hit(row, "RNE")


@rule("433")
def continuation_gap(ret: Return) -> Iterator[Hit]:
    for before, row in ret.pairs("episodes"):
        # an open (or undated) previous episode did not finish on the day this one starts either
        end = day(before.get("DEC"))
        if row.get("RNE") in CONTINUATION and (end is None or end != day(row.get("DECOM"))):
            yield Hit(row, "DECOM")


PLACEMENT = ("PLACE", "PLACE_PROVIDER", "PL_POST", "URN")


def placement_changed(before, row) -> bool:
    return any(before.get(column) != row.get(column) for column in PLACEMENT if column in row)


def new_episode_reason(reasons: frozenset[str], ls_changes: bool, placement_changes: bool):
    """A check: the RNE is one of ``reasons`` but the change of legal status or placement is not so."""

    def check(ret: Return) -> Iterator[Hit]:
        for before, row in ret.pairs("episodes"):
            if row.get("RNE") in reasons and (
                (before.get("LS") != row.get("LS")) != ls_changes
                or placement_changed(before, row) != placement_changes
            ):
                yield Hit(row, "RNE")

    return check


# DfE's reasons: L legal status only; P and T placement only (T: a placement with the same carer); B and U
# both (U: with the same carer)
rule("434")(new_episode_reason(frozenset({"L"}), ls_changes=True, placement_changes=False))
rule("435")(new_episode_reason(frozenset({"P", "T"}), ls_changes=False, placement_changes=True))
rule("436")(new_episode_reason(frozenset({"B", "U"}), ls_changes=True, placement_changes=True))


@rule("437")
def episodes_after_death(ret: Return) -> Iterator[Hit]:
    for before, _ in ret.pairs("episodes"):
        if before.get("REC") in ("E2", "E15"):
            yield Hit(before, "REC")


@rule("445")
def freeing_order_after_2005(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("LS") == "D1" and (day(row.get("DECOM")) or date.min) > FREEING_ENDED, "LS"
    )


@rule("446")
def placement_order_before_2005(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("LS") == "E1" and (day(row.get("DECOM")) or date.max) < FREEING_ENDED, "LS"
    )


@rule("451")
def still_freed(ret: Return) -> Iterator[Hit]:
    for _, rows in ret.children("episodes"):
        last = rows[-1]
        if last.get("LS") == "D1" and (last.get("DEC") is None or last.get("REC") == "X1"):
            yield Hit(last, "LS")


@rule("501")
def overlapping(ret: Return) -> Iterator[Hit]:
    for before, row in ret.pairs("episodes"):
        end, start = day(before.get("DEC")), day(row.get("DECOM"))
        if end is not None and start is not None and start < end:
            yield Hit(row, "DECOM")


@rule("504")
def category_of_need_changed(ret: Return) -> Iterator[Hit]:
    # an episode continues a period of care when another of the child's episodes ended on its start day
    # without ending care (X1) and it is not an S episode; otherwise it starts a period
    for _, rows in ret.children("episodes"):
        period_need: dict[
            date, str | None
        ] = {}  # end day of an X1 episode -> the need at the start of its period
        for row in rows:
            start, end = day(row.get("DECOM")), day(row.get("DEC"))
            need = row.get("CIN")
            if row.get("RNE") != "S" and start in period_need:
                need = period_need[start]
                if row.get("CIN") != need:
                    yield Hit(row, "CIN")
            if end is not None and row.get("REC") == "X1":
                period_need[end] = need


@rule("526")
def provider_missing(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: row.get("PLACE") not in TEMPORARY | {"Z1"} and row.get("PLACE_PROVIDER") is None,
        "PLACE_PROVIDER",
    )


for _code, _provider, _places in (
    ("527", "PR1", {"P1", "R2", "R5"}),
    ("528", "PR2", {"P1", "R2", "R5"}),
    ("529", "PR3", {"P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"}),
    ("530", "PR4", {"P1"}),
    ("531", "PR5", {"P1"}),
):
    rule(_code)(
        lambda ret, provider=_provider, places=frozenset(_places): each(
            ret,
            lambda row: row.get("PLACE_PROVIDER") == provider and row.get("PLACE") in places,
            "PLACE_PROVIDER",
        )
    )


@rule("550")
def pr0_not_parents(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("PLACE_PROVIDER") == "PR0" and row.get("PLACE") != "P1", "PLACE_PROVIDER"
    )


@rule("199")
def adopted_before(ret: Return) -> Iterator[Hit]:
    earlier = ret.previous.by_child("episodes") if ret.previous else {}
    for child, rows in ret.children("episodes"):
        adoptions = [
            day(row.get("DEC")) for row in [*earlier.get(child, []), *rows] if row.get("REC") in ADOPTED
        ]
        adopted = min((when for when in adoptions if when is not None), default=None)
        for row in rows:
            if adopted is not None and (day(row.get("DECOM")) or date.min) >= adopted:
                yield Hit(row, "CHILD")


def open_at_end(ret: Return) -> dict:
    """Each child's last episode of ``ret`` when it is still open (DEC blank)."""
    return {child: rows[-1] for child, rows in ret.children("episodes") if rows[-1].get("DEC") is None}


def against_last_year(column: str):
    """A check: this year's first episode differs in ``column`` from last year's open one."""

    def check(ret: Return) -> Iterator[Hit]:
        for child, last in open_at_end(ret.previous).items():
            rows = ret.of("episodes", child)
            if rows and rows[0].get(column) != last.get(column):
                yield Hit(rows[0], column)

    return check


for _code, _column in (
    ("502", "DECOM"),
    ("503A", "RNE"),
    ("503B", "LS"),
    ("503C", "CIN"),
    ("503D", "PLACE"),
    ("503E", "PLACE_PROVIDER"),
    ("503F", "URN"),
):
    rule(_code, previous=True)(against_last_year(_column))


@rule("562", previous=True)
def missing_continuous_episode(ret: Return) -> Iterator[Hit]:
    for child, rows in ret.children("episodes"):
        last = ret.previous.of("episodes", child)
        if not last:
            continue
        starts = {day(row.get("DECOM")) for row in last}
        for row in rows:
            start = day(row.get("DECOM"))
            if start is not None and start < ret.start and start not in starts:
                yield Hit(row, "DECOM")


@rule("NoE", previous=True)
def no_episodes_last_year(ret: Return) -> Iterator[Hit]:
    for child, rows in ret.children("episodes"):
        start = day(rows[0].get("DECOM"))
        if start is not None and start < ret.start and not ret.previous.of("episodes", child):
            yield Hit(rows[0], "DECOM")
