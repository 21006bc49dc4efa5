"""SSDA903 rules about the header table: the child's identity, motherhood, UPN, and last year's header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from adapters.ssda903_rules.common import RESPITE, code_rule, date_rule
from adapters.ssda903_rules.engine import Hit, Return, add_years, age, day, rule

code_rule("101", "header", "SEX", required=True)
code_rule("103", "header", "ETHNIC", required=True)
code_rule("165", "header", "MOTHER", required=False)
date_rule("102", "header", "DOB", required=True)
date_rule("171", "header", "MC_DOB", required=False)

UPN = re.compile(r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-Z]|UN[1-5]")
UNKNOWN_UPN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})


def each(ret: Return, test, column: str) -> Iterator[Hit]:
    for row in ret.rows("header"):
        if test(row):
            yield Hit(row, column)


def looked_after_in_year(ret: Return, child) -> bool:
    """An episode of the child (not respite) overlaps the collection year."""
    return any(
        row.get("LS") not in RESPITE
        and (day(row.get("DECOM")) or ret.end) <= ret.end
        and (day(row.get("DEC")) or ret.end) >= ret.start
        for row in ret.of("episodes", child)
    )


@rule("168")
def upn_form(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("UPN") is None or not UPN.fullmatch(str(row["UPN"])), "UPN")


@rule("174")
def boy_with_child(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("SEX") == "M" and row.get("MC_DOB") is not None, "MC_DOB")


@rule("301")
def born_after_year(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: (day(row.get("DOB")) or ret.end) > ret.end, "DOB")


@rule("351")
def over_25(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: (born := day(row.get("DOB"))) is not None and add_years(born, 25) < ret.start, "DOB"
    )


@rule("209")
def school_age_un1(ret: Return) -> Iterator[Hit]:
    def breaks(row) -> bool:
        years = age(day(row.get("DOB")), ret.start)
        return row.get("UPN") == "UN1" and years is not None and 5 <= years <= 16

    yield from each(ret, breaks, "UPN")


@rule("210")
def week_looked_after_un4(ret: Return) -> Iterator[Hit]:
    week_before = ret.end - timedelta(days=7)
    yield from each(
        ret,
        lambda row: (
            row.get("UPN") == "UN4"
            and ret.looked_after_on(row.get("CHILD"), week_before)
            and ret.looked_after_on(row.get("CHILD"), ret.end)
        ),
        "UPN",
    )


@rule("442")
def upn_blank(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret, lambda row: row.get("UPN") is None and looked_after_in_year(ret, row.get("CHILD")), "UPN"
    )


@rule("611")
def mother_without_child_dob(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: row.get("MOTHER") == "1" and row.get("MC_DOB") is None, "MC_DOB")


@rule("612")
def child_dob_not_mother(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        # "indicates child is not a mother": 0 or blank (another value is 165's fault, not this rule's)
        lambda row: (
            row.get("SEX") == "F" and row.get("MC_DOB") is not None and row.get("MOTHER") in (None, "0")
        ),
        "MOTHER",
    )


@rule("620")
def mother_under_11(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("MOTHER") == "1"
            and (years := age(day(row.get("DOB")), ret.start)) is not None
            and years < 11
        ),
        "MOTHER",
    )


@rule("621")
def younger_than_her_child(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            (child := day(row.get("MC_DOB"))) is not None
            and (born := day(row.get("DOB"))) is not None
            and child <= born
        ),
        "MC_DOB",
    )


@rule("625")
def child_born_after_year_or_care(ret: Return) -> Iterator[Hit]:
    def breaks(row) -> bool:
        born = day(row.get("MC_DOB"))
        if born is None:
            return False
        ends = [day(e.get("DEC")) for e in ret.of("episodes", row.get("CHILD"))]
        last = ends[-1] if ends else None
        return born > ret.end or (last is not None and born > last)

    yield from each(ret, breaks, "MC_DOB")


@rule("393")
def mother_not_completed(ret: Return) -> Iterator[Hit]:
    yield from each(
        ret,
        lambda row: (
            row.get("SEX") == "F"
            and row.get("MOTHER") is None
            and any(e.get("LS") not in RESPITE for e in ret.of("episodes", row.get("CHILD")))
        ),
        "MOTHER",
    )


@rule("607")
def ceased_mother_not_completed(ret: Return) -> Iterator[Hit]:
    def ceased_in_year(child) -> bool:
        return any(
            e.get("LS") not in RESPITE
            and e.get("REC") not in (None, "X1")
            and ret.start <= (day(e.get("DEC")) or ret.start - timedelta(days=1)) <= ret.end
            for e in ret.of("episodes", child)
        )

    yield from each(
        ret,
        lambda row: (
            row.get("SEX") == "F"
            and row.get("MOTHER") is None
            and (years := age(day(row.get("DOB")), ret.end)) is not None
            and years >= 11
            and ceased_in_year(row.get("CHILD"))
        ),
        "MOTHER",
    )


@rule("628")
def care_leaver_motherhood(ret: Return) -> Iterator[Hit]:
    care_leavers = ret.by_child("oc3")
    yield from each(
        ret,
        lambda row: (
            row.get("MOTHER") is not None
            and row.get("CHILD") in care_leavers
            and not ret.of("episodes", row.get("CHILD"))
        ),
        "MOTHER",
    )


@rule("EPI")
def no_episodes(ret: Return) -> Iterator[Hit]:
    yield from each(ret, lambda row: not ret.of("episodes", row.get("CHILD")), "CHILD")


def duplicated(table: str):
    """A check: the child has more than one row in ``table`` (each of its rows is a hit)."""

    def check(ret: Return) -> Iterator[Hit]:
        for child, rows in ret.children(table):
            if child is not None and len(rows) > 1:
                yield from (Hit(row, "CHILD") for row in rows)

    return check


def not_in_header(table: str):
    """A check: a row of ``table`` is about a child the header table does not hold."""

    def check(ret: Return) -> Iterator[Hit]:
        known = ret.by_child("header")
        yield from (Hit(row, "CHILD") for row in ret.rows(table) if row.get("CHILD") not in known)

    return check


def differs_from_header(table: str, column: str):
    """A check: ``column`` of a row of ``table`` differs from the child's header row (both given)."""

    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows(table):
            first = ret.header(row.get("CHILD")) or {}
            if None not in (first.get(column), row.get(column)) and first.get(column) != row.get(column):
                yield Hit(row, column)

    return check


for _code, _table in (
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
    rule(_code)(not_in_header(_table))

for _code, _table in (
    ("INT11", "ad1"),
    ("INT12", "placed_for_adoption"),
    ("INT13", "missing"),
    ("INT14", "oc2"),
    ("INT15", "oc3"),
    ("INT16", "previous_permanence"),
    ("INT17", "reviews"),
    ("INT18", "uasc"),
):
    rule(_code)(differs_from_header(_table, "DOB"))
rule("INT21")(differs_from_header("uasc", "SEX"))

for _code, _table in (
    ("INT31", "ad1"),
    ("INT32", "header"),
    ("INT33", "oc2"),
    ("INT34", "oc3"),
    ("INT35", "previous_permanence"),
    ("INT36", "uasc"),
):
    rule(_code)(duplicated(_table))


def against_last_year(column: str, test=lambda now, then: now != then):
    """A check: ``column`` of the header disagrees with last year's header for the same child (both given)."""

    def check(ret: Return) -> Iterator[Hit]:
        for row in ret.rows("header"):
            last = ret.previous.header(row.get("CHILD")) or {}
            if None not in (row.get(column), last.get(column)) and test(row.get(column), last.get(column)):
                yield Hit(row, column)

    return check


rule("202", previous=True)(against_last_year("SEX"))
rule("203", previous=True)(against_last_year("DOB"))
rule("204", previous=True)(against_last_year("ETHNIC"))
rule("207", previous=True)(against_last_year("MOTHER", lambda now, then: then == "1" and now != "1"))
rule("208", previous=True)(
    against_last_year("UPN", lambda now, then: now != then and UNKNOWN_UPN.isdisjoint({now, then}))
)
rule("624", previous=True)(against_last_year("MC_DOB"))


@rule("626", previous=True)
def mother_status_contradicts_last_year(ret: Return) -> Iterator[Hit]:
    for row in ret.rows("header"):
        last = ret.previous.header(row.get("CHILD")) or {}
        born = day(row.get("MC_DOB"))
        if row.get("MOTHER") == "1" and last.get("MOTHER") == "0" and born is not None and born < ret.start:
            yield Hit(row, "MOTHER")
