"""Every DfE CIN census validation rule the exchange checks: one function per rule, in DfE's module order.

Wording is DfE's (the rules catalogue, ``tests/fixtures/cin/cin_validator_rules_catalogue_extracted.csv``);
years are collection years (the year the census ends). Dates in the child are ISO strings (``YYYY-MM-DD``),
which compare as the dates do: a rule compares them as they are (and with the census's ``first_day`` and
``last_day``), and reads them with ``_d`` only for date arithmetic or a weekday. "Within the census year" is
from the census's first day to its reference date, both included.
Working days are Monday to Friday (as DfE's own tool and the peer validator count them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from adapters.cin_rules.engine import (
    ASSESSMENTS,
    CIN_PLANS,
    EPISODES,
    PROTECTION_PLANS,
    SECTION47,
    Census,
    Tally,
    is_open_s47,
    return_rule,
    rule,
)
from schemas import code_lists
from schemas.upn import upn_faults

SEX_FROM_YEAR = 2025
Child = dict[str, Any]


def _d(value: str | None, _read: Any = date.fromisoformat) -> date | None:
    # no cache: reading an ISO date is cheaper than a cache's miss, and dates of birth rarely repeat
    return _read(value) if value else None


@lru_cache(maxsize=64)
def _weekdays_before(day: date, count: int) -> str:
    """The day ``count`` working days (Monday to Friday) before ``day``, as an ISO date."""
    while count:
        day -= timedelta(days=1)
        count -= day.weekday() < 5
    return day.isoformat()


@lru_cache(maxsize=64)
def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@lru_cache(maxsize=16)
def _school_age_born_by(first_year: int) -> date:
    """Born on or before this day, a child is of school age in the census starting in ``first_year``."""
    return _years_before(date(first_year - 1, 8, 31), 5)


def _unborn(child: Child) -> bool:
    return not child["date_of_birth"] and bool(child["expected_date_of_birth"])


def _more_than_one(items: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether more than one of ``items`` passes ``test`` (one item or none is not looked through)."""
    return len(items) > 1 and sum(map(test, items)) > 1


def _starting_during_another(groups: list[dict[str, Any]], end: Any) -> list[int]:
    """The 1-based numbers of the groups that start while another (started earlier, or the same day and
    listed first) has not ended: ``end(group)`` is its end date, or None while it is ongoing."""
    flagged: list[int] = []
    if len(groups) < 2:
        return flagged
    for number, group in enumerate(groups, start=1):
        for other_number, other in enumerate(groups, start=1):
            if other_number == number:
                continue
            earlier = other["start_date"] < group["start_date"] or (
                other["start_date"] == group["start_date"] and other_number < number
            )
            ended = end(other)
            if earlier and (ended is None or group["start_date"] < ended):
                flagged.append(number)
                break
    return flagged


def _overlap(periods: list[tuple[date, date | None]]) -> bool:
    """Whether two of the periods (start, end or None when open) overlap: one starts before another ends."""
    ordered = sorted(periods, key=lambda p: p[0])
    return any(end is None or later[0] < end for (_, end), later in zip(ordered, ordered[1:], strict=False))


def _outside_year(
    groups: list[tuple[str, Any, dict[str, Any]]], key: str, tag: str, census: Census
) -> list[str]:
    """The ``tag`` of each group (xpath, episode, group) whose date ``key``, when given, falls outside the
    census year (8696, 8715, 4013, 8930): ``census.within``, written out (run for most children)."""
    found: list[str] = []
    first, last = census.first_day, census.last_day
    for where, _, group in groups:
        day = group[key]
        if day and not first <= day <= last:
            found.append(f"{where}/{tag}")
    return found


# --- Header -----------------------------------------------------------------------------------------
# rule 100 (Reference Date is incorrect) is checked on the header by ``engine.Checks.header``
@return_rule("100", "Reference Date is incorrect")
def rule_100(tally: Tally, census: Census) -> bool:
    return False  # the header is checked when read (``Checks.header``): a return-level rule with no tally


# --- ChildIdentifiers -------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _upn_rule_ids(upn: str) -> frozenset[str]:
    """The DfE rules a UPN breaks, worked out once for the four rules that ask."""
    return frozenset(code for code, _ in upn_faults(upn, code_lists.codes("upn_la_numbers")))


def _upn_rule(rule_id: str) -> Any:
    def check(child: Child, census: Census) -> list[str]:
        found: list[str] = []
        upn = child["upn"]
        if upn and rule_id in _upn_rule_ids(upn):
            found.append("/ChildIdentifiers/UPN")
        return found

    return check


rule("1510", "UPN invalid (wrong check letter at character 1)", needs=("faulty_upn",))(_upn_rule("1510"))
rule("1530", "UPN invalid (characters 2-4 not a recognised LA code)", needs=("faulty_upn",))(
    _upn_rule("1530")
)
rule("1540", "UPN invalid (characters 5-12 not all numeric)", needs=("faulty_upn",))(_upn_rule("1540"))
rule("1550", "UPN invalid (character 13 not a recognised value)", needs=("faulty_upn",))(_upn_rule("1550"))


@rule("1520", "More than one record with the same UPN.")
def rule_1520(child: Child, census: Census) -> list[str]:
    return []  # compares children: ``Checks`` reports it on every child sharing a UPN


@rule("8510", "More than one child record with the same LA Child ID")
def rule_8510(child: Child, census: Census) -> list[str]:
    return []  # compares children: ``Checks`` reports it on every child sharing an LA child id


@rule(
    "1560Q",
    "Please check and either amend or provide a reason: Former UPN wrongly formatted",
    needs=("former_upn",),
)
def rule_1560q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    former = child["former_upn"]
    if former and upn_faults(former, code_lists.codes("upn_la_numbers")):
        found.append("/ChildIdentifiers/FormerUPN")
    return found


@rule("1570", "LA Child ID must not be longer than 20 characters", since=2025, needs=("odd_la_child_id",))
def rule_1570(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if len(child["la_child_id"]) > 20:
        found.append("/ChildIdentifiers/LAchildID")
    return found


@rule(
    "1580",
    "LA Child ID must not contain any non-alphanumeric characters",
    since=2025,
    needs=("odd_la_child_id",),
)
def rule_1580(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if not (child["la_child_id"].isascii() and child["la_child_id"].isalnum()):
        found.append("/ChildIdentifiers/LAchildID")
    return found


@rule(
    "8520",
    "Date of Birth is after data collection period (must be on or before the end of the census period)",
)
def rule_8520(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    born = child["date_of_birth"]
    if born and born > census.last_day:
        found.append("/ChildIdentifiers/PersonBirthDate")
    return found


@rule("8525Q", "Either Date of Birth or Expected Date of Birth must be provided (but not both)")
def rule_8525q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if bool(child["date_of_birth"]) == bool(child["expected_date_of_birth"]):
        found.append("/ChildIdentifiers")
    return found


@rule(
    "8530Q",
    "Please check and either amend data or provide a reason: Expected Date of Birth is outside the expected "
    "range for this census (March to December of the Census Year end)",
    needs=("expected_date_of_birth",),
)
def rule_8530q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    expected = _d(child["expected_date_of_birth"])
    if expected is None:
        return found
    ref = census.reference_date
    latest = date(ref.year, ref.month + 9, ref.day) if ref.month <= 3 else ref + timedelta(days=275)
    if not ref - timedelta(days=30) <= expected <= latest:
        found.append("/ChildIdentifiers/ExpectedPersonBirthDate")
    return found


@rule(
    "8535Q",
    "Please check and either amend data or provide a reason: Child\u2019s date of death should not be prior "
    "to the date of birth",
    needs=("date_of_death",),
)
def rule_8535q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died, born = _d(child["date_of_death"]), _d(child["date_of_birth"])
    if died and born and died < born:
        found.append("/ChildIdentifiers/PersonDeathDate")
    return found


@rule(
    "8545Q",
    "Please check and either amend data or provide a reason: Child's date of death should be within the "
    "census year",
    needs=("date_of_death",),
)
def rule_8545q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = child["date_of_death"]
    if died and not census.within(died):
        found.append("/ChildIdentifiers/PersonDeathDate")
    return found


@rule(
    "8750",
    {2017: "Gender must equal 0 for an unborn child", 2025: "Sex must equal U for an unborn child"},
    needs=("expected_date_of_birth",),
)
def rule_8750(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if not _unborn(child):
        return found
    if census.year >= SEX_FROM_YEAR and child["sex"] != "U":
        found.append("/ChildIdentifiers/Sex")
    elif census.year < SEX_FROM_YEAR and child["gender_current"] != "0":
        found.append("/ChildIdentifiers/GenderCurrent")
    return found


@rule(
    "8770Q",
    {
        2017: "Please check and either amend data or provide a reason: "
        "UPN or reason UPN missing expected for "
        "a child who is more than 5 years old",
        2025: "Please check and either amend data or provide a reason: "
        "UPN is missing or reason UPN is missing "
        "or is UN1 for a child who is of school age.",
    },
    needs=("no_upn",),
)
def rule_8770q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    born = _d(child["date_of_birth"])
    if born is None or child["upn"]:
        return found
    if census.year >= SEX_FROM_YEAR:
        # of school age: five or older on the 31 August before the census began
        school_age = born <= _school_age_born_by(census.start.year)
        if school_age and child["upn_unknown"] in (None, "UN1"):
            found.append("/ChildIdentifiers")
    elif born < _years_before(census.reference_date, 5) and not child["upn_unknown"]:
        found.append("/ChildIdentifiers")
    return found


@rule(
    "8772",
    "UPN unknown reason is UN7 (Referral with no further action) but at least one CIN details is a referral "
    "going on to further action",
    needs=("upn_unknown",),
)
def rule_8772(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if child["upn_unknown"] == "UN7" and any(not e["referral_nfa"] for e in child["cin_episodes"]):
        found.append("/ChildIdentifiers/UPNunknown")
    return found


@rule("8775Q", "Please check and either amend data or provide a reason: Child is over 25 years old")
def rule_8775q(child: Child, census: Census) -> list[str]:
    """Over 25 at the reference date, with an episode open or closed after the 25th birthday."""
    found: list[str] = []
    born = _d(child["date_of_birth"])
    if born is None or born >= _years_before(census.reference_date, 25):
        return found
    twenty_five = (
        born.replace(year=born.year + 25) if (born.month, born.day) != (2, 29) else date(born.year + 25, 3, 1)
    )
    if any(not e["closure_date"] or _d(e["closure_date"]) > twenty_five for e in child["cin_episodes"]):  # type: ignore[operator]
        found.append("/ChildIdentifiers/PersonBirthDate")
    return found


@return_rule(
    "2886Q",
    {
        2017: "Please check and either amend or provide a reason: Percentage of children with no gender "
        "recorded is more than 2% (excluding unborns)",
        2025: "Please check and either amend or provide a reason: "
        "Percentage of children with no sex recorded "
        "is more than 2% (excluding unborns)",
    },
)
def rule_2886q(tally: Tally, census: Census) -> bool:
    return tally.born > 0 and tally.born_without_sex * 100 > 2 * tally.born


# --- ChildCharacteristics / Disabilities -------------------------------------------------------------
@return_rule(
    "2887Q",
    "Please check and either amend or provide a reason: Less than 8 disability codes have been used in your "
    "return",
)
def rule_2887q(tally: Tally, census: Census) -> bool:
    return tally.children > 0 and len(tally.disability_codes) < 8


@return_rule(
    "2888Q",
    "Please check and either amend or provide a reason: Only one disability code is recorded per child and "
    "multiple disabilities should be recorded where possible.",
)
def rule_2888q(tally: Tally, census: Census) -> bool:
    return tally.with_disability > 0 and tally.with_several_disabilities == 0


@rule("8790", "Disability information includes both None and other values", needs=("disability_none",))
def rule_8790(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    codes = child["disabilities"]
    if "NONE" in codes and any(code != "NONE" for code in codes):
        found.append("/ChildCharacteristics/Disabilities")
    return found


@rule("8794", "Child has two or more disabilities with the same code", needs=("several_disabilities",))
def rule_8794(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    codes = child["disabilities"]
    if len(set(codes)) < len(codes):
        found.append("/ChildCharacteristics/Disabilities")
    return found


# --- CINdetails --------------------------------------------------------------------------------------
def _activity(episode: dict[str, Any]) -> bool:
    """Whether anything but the referral is recorded on the episode (assessment aside)."""
    return bool(
        episode["cin_plans"]
        or episode["section47_enquiries"]
        or episode["child_protection_plans"]
        or episode["date_of_initial_cpc"]
    )


@rule(
    "2990",
    "Activity is recorded against a case marked as "
    "\u2018Case closed after assessment, no further action\u2019 "
    "or 'case closed after assessment, referred to early help'.",
    needs=("closed_after_assessment",),
)
def rule_2990(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["reason_for_closure"] in ("RC8", "RC9") and _activity(episode):
            found.append(where)
    return found


@rule(
    "2991Q",
    "Please check and either amend data or provide a reason: A Section 47 module is recorded and there is no "
    "assessment on the episode",
    needs=("section47_enquiries", "episode_without_assessment"),
)
def rule_2991q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["section47_enquiries"] and not episode["assessments"]:
            found.append(where)
    return found


@rule("8555Q", "Child cannot be referred after its recorded date of death", needs=("date_of_death",))
def rule_8555q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = _d(child["date_of_death"])
    for where, episode in child[EPISODES]:
        if died and _d(episode["referral_date"]) > died:  # type: ignore[operator]
            found.append(f"{where}/CINreferralDate")
    return found


@rule(
    "8569Q",
    "A case with referral date before one working day prior to the collection start date must not be flagged "
    "as a no further action case",
    needs=("referral_nfa",),
)
def rule_8569q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    cutoff = _weekdays_before(census.start, 1)
    for where, episode in child[EPISODES]:
        if episode["referral_nfa"] and episode["referral_date"] < cutoff:
            found.append(f"{where}/ReferralNFA")
    return found


@rule(
    "8585Q",
    "Please check and either amend or provide a reason: "
    "CIN episode shows Died as the Closure Reason, however "
    "child has no recorded Date of Death",
    needs=("closed_on_death",),
)
def rule_8585q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["reason_for_closure"] == "RC2" and not child["date_of_death"]:
            found.append(f"{where}/ReasonForClosure")
    return found


@rule("8600", "Child referral date missing or after data collection period")
def rule_8600(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["referral_date"] > census.last_day:
            found.append(f"{where}/CINreferralDate")
    return found


FORTY_WEEKS = timedelta(days=280)


@rule("8606", "Child referral date is more than 40 weeks before DOB or expected DOB")
def rule_8606(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    born = _d(child["date_of_birth"] or child["expected_date_of_birth"])
    if born is None:
        return found
    earliest = born - FORTY_WEEKS
    for where, episode in child[EPISODES]:
        if _d(episode["referral_date"]) < earliest:  # type: ignore[operator]
            found.append(f"{where}/CINreferralDate")
    return found


@rule(
    "8610",
    "Primary Need code is missing for a referral which led to further action.",
    needs=("episode_without_primary_need",),
)
def rule_8610(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if not episode["referral_nfa"] and not episode["primary_need"]:
            found.append(where)
    return found


@rule("8620", "CIN Closure Date present and does not fall within the Census year", needs=("closure_date",))
def rule_8620(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        closed = episode["closure_date"]
        if closed and not census.within(closed):
            found.append(f"{where}/CINclosureDate")
    return found


@rule(
    "8630", "CIN Closure Date is before CIN Referral Date for the same CIN episode", needs=("closure_date",)
)
def rule_8630(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        closed = episode["closure_date"]
        if closed and closed < episode["referral_date"]:
            found.append(f"{where}/CINclosureDate")
    return found


@rule(
    "8805",
    "A CIN case cannot have a CIN closure date without a Reason for Closure",
    needs=("closure_or_reason_alone",),
)
def rule_8805(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["closure_date"] and not episode["reason_for_closure"]:
            found.append(f"{where}/CINclosureDate")
    return found


@rule(
    "8810",
    "A CIN case cannot have a Reason for Closure without a CIN Closure Date",
    needs=("closure_or_reason_alone",),
)
def rule_8810(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["reason_for_closure"] and not episode["closure_date"]:
            found.append(f"{where}/ReasonForClosure")
    return found


def _open_further_action(child: Child) -> list[tuple[str, dict[str, Any]]]:
    return [(w, e) for w, e in child[EPISODES] if not e["closure_date"] and not e["referral_nfa"]]


@rule(
    "8815",
    "More than one open CIN Details episode (a module with no CIN Closure Date) has been provided for this "
    "child and case is not a referral with no further action.",
    needs=("several_episodes",),
)
def rule_8815(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    if len(_open_further_action(child)) > 1:
        found.append("")
    return found


@rule(
    "8816",
    "An open CIN episode is shown and case is not a referral with no further action, "
    "but it is not the latest "
    "episode.",
    needs=("several_episodes",),
)
def rule_8816(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    latest = max(e["referral_date"] for e in child["cin_episodes"])
    for where, episode in _open_further_action(child):
        if episode["referral_date"] < latest:
            found.append(where)
    return found


@rule("8820", "The dates on the CIN episodes for this child overlap", needs=("several_episodes",))
def rule_8820(child: Child, census: Census) -> list[str]:
    """An episode referred on or after another's referral and before its closure (or, while that one is
    open and not a referral with no further action, by the reference date). One episode may start the day
    another closes; an open referral with no further action overlaps nothing."""
    found: list[str] = []
    episodes = child["cin_episodes"]
    if len(episodes) < 2:
        return found
    for number, episode in enumerate(episodes):
        day = episode["referral_date"]
        for other_number, other in enumerate(episodes):
            if other_number == number or other["referral_date"] > day:
                continue
            if other["closure_date"] or not other["referral_nfa"]:
                end = other["closure_date"]
                if (day < end) if end else day <= census.last_day:
                    found.append("")
                    return found
    return found


@rule(
    "8825Q",
    "Please check and either amend data or provide a reason: Reason for Closure code RC8 (case closed after "
    "assessment) or RC9 (case closed after assessment, referred to early help) has been returned but there "
    "is no assessment present for the episode.",
    needs=("closed_after_assessment", "episode_without_assessment"),
)
def rule_8825q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["reason_for_closure"] in ("RC8", "RC9") and not episode["assessments"]:
            found.append(f"{where}/ReasonForClosure")
    return found


@rule(
    "8831",
    "Activity is recorded against a case marked as a referral with no further action",
    needs=("referral_nfa",),
)
def rule_8831(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["referral_nfa"] and (episode["assessments"] or _activity(episode)):
            found.append(where)
    return found


def _activity_after(episode: dict[str, Any], closed: str) -> bool:
    """Whether a date of DfE's list for 8565 falls after ``closed``: assessment start and authorisation, S47
    start, initial conference, CPP end, CIN plan start and end (not a CPP's start or reviews); a date not
    given is not after it. Checked one by one, stopping at the first (no list of dates is built)."""
    if (episode["date_of_initial_cpc"] or "") > closed:
        return True
    for a in episode["assessments"]:
        if (a["start_date"] or "") > closed or (a["authorisation_date"] or "") > closed:
            return True
    for p in episode["cin_plans"]:
        if (p["start_date"] or "") > closed or (p["end_date"] or "") > closed:
            return True
    for s in episode["section47_enquiries"]:
        if (s["start_date"] or "") > closed or (s["date_of_initial_cpc"] or "") > closed:
            return True
    return any((p["end_date"] or "") > closed for p in episode["child_protection_plans"])


@rule("8565", "Activity shown after a case has been closed", needs=("closure_date",))
def rule_8565(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        closed = episode["closure_date"]
        if not closed:
            continue
        if _activity_after(episode, closed):
            found.append(f"{where}/CINclosureDate")
    return found


@rule(
    "8867",
    "CIN episode is shown as closed, however Assessment is not shown as completed",
    needs=("closure_date", "open_assessment"),
)
def rule_8867(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["closure_date"] and any(not a["authorisation_date"] for a in episode["assessments"]):
            found.append(where)
    return found


@rule(
    "8868",
    "CIN episode is shown as closed, however Section 47 enquiry is not shown as completed by ICPC date or "
    "ICPC not required flag",
    needs=("closure_date", "open_section47"),
)
def rule_8868(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["closure_date"] and any(is_open_s47(s) for s in episode["section47_enquiries"]):
            found.append(where)
    return found


# --- Assessments -------------------------------------------------------------------------------------
@rule("1103", "The assessment start date cannot be before the referral date", needs=("assessments",))
def rule_1103(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode, assessment in child[ASSESSMENTS]:
        if assessment["start_date"] < episode["referral_date"]:
            found.append(f"{where}/AssessmentActualStartDate")
    return found


@rule("8608", "Assessment Start Date cannot be later than its End Date", needs=("assessments",))
def rule_8608(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        ended = assessment["authorisation_date"]
        if ended and assessment["start_date"] > ended:
            found.append(f"{where}/AssessmentActualStartDate")
    return found


@rule(
    "8614",
    "Parental or child factors at assessment should only be present for a completed assessment.",
    needs=("open_assessment",),
)
def rule_8614(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if assessment["factors"] and not assessment["authorisation_date"]:
            found.append(f"{where}/FactorsIdentifiedAtAssessment")
    return found


@rule(
    "8670Q",
    "Please check and either amend data or provide a reason: Assessment started more than 45 working days "
    "before the end of the census year. However, there is no Assessment end date.",
    needs=("open_assessment",),
)
def rule_8670q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    cutoff = _weekdays_before(census.reference_date, 45)
    for where, _, assessment in child[ASSESSMENTS]:
        if not assessment["authorisation_date"] and assessment["start_date"] < cutoff:
            found.append(f"{where}/AssessmentActualStartDate")
    return found


@rule("8696", "Assessment end date must fall within the census year", needs=("assessments",))
def rule_8696(child: Child, census: Census) -> list[str]:
    return _outside_year(child[ASSESSMENTS], "authorisation_date", "AssessmentAuthorisationDate", census)


@rule(
    "8736",
    "For an Assessment that has not been completed, the start date must fall within the census year",
    needs=("open_assessment",),
)
def rule_8736(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if not assessment["authorisation_date"] and not census.within(assessment["start_date"]):
            found.append(f"{where}/AssessmentActualStartDate")
    return found


@rule(
    "8863Q",
    "An Assessment is shown as starting when there is another Assessment ongoing.",
    needs=("several_assessments",),
)
def rule_8863q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        for number in _starting_during_another(episode["assessments"], lambda a: a["authorisation_date"]):
            found.append(f"{where}/Assessments[{number}]/AssessmentActualStartDate")
    return found


@rule(
    "8869",
    "The assessment factors code \u201c21\u201d cannot be used in conjunction with any other "
    "assessment factors.",
    needs=("singled_out_factor",),
)
def rule_8869(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if "21" in assessment["factors"] and len(set(assessment["factors"])) > 1:
            found.append(f"{where}/FactorsIdentifiedAtAssessment")
    return found


@rule(
    "8873Q",
    "Please check and either amend data or provide a reason: "
    "When there is only one assessment on the episode "
    "and the factors code \u201c21 No factors identified\u201d has been used for the completed "
    "assessment, the "
    "reason for closure \u2018RC8\u2019 or 'RC9' should be used.",
    needs=("singled_out_factor",),
)
def rule_8873q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        assessments = episode["assessments"]
        if (
            len(assessments) == 1
            and assessments[0]["authorisation_date"]
            and assessments[0]["factors"] == ["21"]
            and episode["closure_date"]
            and episode["reason_for_closure"] not in ("RC8", "RC9")
        ):
            found.append(f"{where}/ReasonForClosure")
    return found


@rule(
    "8896",
    "Within one CINDetails group there are 2 or more open Assessments groups",
    needs=("several_assessments", "open_assessment"),
)
def rule_8896(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if _more_than_one(episode["assessments"], lambda a: not a["authorisation_date"]):
            found.append(where)
    return found


@rule(
    "8897Q",
    "Parental or child factors at assessment information is missing from a completed assessment",
    needs=("assessment_without_factors",),
)
def rule_8897q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if assessment["authorisation_date"] and not assessment["factors"]:
            found.append(where)
    return found


@rule(
    "8898",
    "The assessment has more than one parental or child factors with the same code",
    needs=("assessments",),
)
def rule_8898(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if len(set(assessment["factors"])) < len(assessment["factors"]):
            found.append(f"{where}/FactorsIdentifiedAtAssessment")
    return found


@rule(
    "8945Q",
    "Please check and either amend data or provide a reason: the assessment factors code '18A' should not be "
    "used ('18B' or '18C' should be used instead)",
    since=2025,
    needs=("singled_out_factor",),
)
def rule_8945q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if "18A" in assessment["factors"]:
            found.append(f"{where}/FactorsIdentifiedAtAssessment")
    return found


@rule(
    "8950Q",
    "Please check and either amend data or provide a reason: the assessment factors code '19A' should not be "
    "used ('19B' or '19C' should be used instead)",
    since=2025,
    needs=("singled_out_factor",),
)
def rule_8950q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, assessment in child[ASSESSMENTS]:
        if "19A" in assessment["factors"]:
            found.append(f"{where}/FactorsIdentifiedAtAssessment")
    return found


# --- CINplanDates ------------------------------------------------------------------------------------
def _periods(groups: list[dict[str, Any]]) -> list[tuple[date, date | None]]:
    return [(_d(g["start_date"]), _d(g["end_date"])) for g in groups]  # type: ignore[misc]


def _during(day: date, start: date, end: date | None) -> bool:
    return start <= day and (end is None or day <= end)


@rule(
    "4000",
    "CIN Plan details provided for a referral with no further action",
    needs=("referral_nfa", "cin_plans"),
)
def rule_4000(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["referral_nfa"] and episode["cin_plans"]:
            found.append(where)
    return found


@rule(
    "4001",
    "A CIN Plan cannot run concurrently with a Child Protection Plan",
    needs=("cin_plans", "child_protection_plans"),
)
def rule_4001(child: Child, census: Census) -> list[str]:
    """An episode with an open child protection plan (no end date) cannot also have an open CIN plan (the
    overlap of dated plans is 4016 and 4017)."""
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if any(not p["end_date"] for p in episode["child_protection_plans"]) and any(
            not p["end_date"] for p in episode["cin_plans"]
        ):
            found.append(where)
    return found


def _opens_within(starts: list[date], periods: list[tuple[date, date | None]], census: Census) -> bool:
    """Whether one of ``starts`` falls within one of ``periods``: on or after its start and before its end
    (on or before the reference date while it is open)."""
    return any(
        begin <= day and (day < end if end else day <= census.reference_date)
        for day in starts
        for begin, end in periods
    )


def _child_plans(child: Child, name: str) -> list[tuple[date, date | None]]:
    return [period for e in child["cin_episodes"] for period in _periods(e[name])]


def _starting_within(child: Child, census: Census, plans: str, others: str, start: str) -> list[str]:
    """Each plan under ``plans`` (``CIN_PLANS`` or ``PROTECTION_PLANS``) that starts within a plan of the
    other kind of the child (its episodes' ``others``), by its ``start`` element (4016, 4017)."""
    other = _child_plans(child, others)
    if not other:
        return []
    return [
        f"{where}/{start}"
        for where, _, plan in child[plans]
        if _opens_within([_d(plan["start_date"])], other, census)  # type: ignore[list-item]
    ]


@rule(
    "4016",
    "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
    needs=("cin_plans", "child_protection_plans"),
)
def rule_4016(child: Child, census: Census) -> list[str]:
    return _starting_within(child, census, CIN_PLANS, "child_protection_plans", "CINPlanStartDate")


@rule(
    "4017",
    "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
    needs=("cin_plans", "child_protection_plans"),
)
def rule_4017(child: Child, census: Census) -> list[str]:
    return _starting_within(child, census, PROTECTION_PLANS, "cin_plans", "CPPstartDate")


@rule(
    "4003",
    "A CPP review date is shown as being held at the same time as an open CIN Plan.",
    needs=("cin_plans", "child_protection_plans"),
)
def rule_4003(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        plans = _periods(episode["cin_plans"])
        reviews = [_d(r) for p in episode["child_protection_plans"] for r in p["reviews"] if r]
        if any(_during(r, s, e) for r in reviews for s, e in plans):  # type: ignore[arg-type]
            found.append(where)
    return found


@rule(
    "4004",
    "This child is showing more than one open CIN Plan, i.e. with no End Date",
    needs=("several_cin_plans",),
)
def rule_4004(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if _more_than_one(episode["cin_plans"], lambda p: not p["end_date"]):
            found.append(where)
    return found


@rule(
    "4008",
    "CIN Plan shown as starting after the child\u2019s Date of Death.",
    needs=("date_of_death", "cin_plans"),
)
def rule_4008(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = _d(child["date_of_death"])
    for where, _, plan in child[CIN_PLANS]:
        if died and _d(plan["start_date"]) > died:  # type: ignore[operator]
            found.append(f"{where}/CINPlanStartDate")
    return found


@rule(
    "4009Q", "CIN Plan cannot end after the child\u2019s Date of Death", needs=("date_of_death", "cin_plans")
)
def rule_4009q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = _d(child["date_of_death"])
    for where, _, plan in child[CIN_PLANS]:
        ended = _d(plan["end_date"])
        if died and ended and ended > died:
            found.append(f"{where}/CINPlanEndDate")
    return found


@rule("4010", "CIN Plan start date is missing or out of data collection period", needs=("cin_plans",))
def rule_4010(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[CIN_PLANS]:
        if plan["start_date"] > census.last_day:
            found.append(f"{where}/CINPlanStartDate")
    return found


@rule("4011", "CIN Plan End Date earlier than Start Date", needs=("cin_plans",))
def rule_4011(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[CIN_PLANS]:
        if plan["end_date"] and plan["end_date"] < plan["start_date"]:
            found.append(f"{where}/CINPlanEndDate")
    return found


@rule(
    "4012Q",
    "Please check and either amend or provide a reason: "
    "CIN Plan shown as starting and ending on the same day",
    needs=("cin_plans",),
)
def rule_4012q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[CIN_PLANS]:
        if plan["end_date"] == plan["start_date"]:
            found.append(f"{where}/CINPlanEndDate")
    return found


@rule("4013", "CIN Plan end date must fall within the census year", needs=("cin_plans",))
def rule_4013(child: Child, census: Census) -> list[str]:
    return _outside_year(child[CIN_PLANS], "end_date", "CINPlanEndDate", census)


@rule("4014", "CIN Plan data contains overlapping dates", needs=("several_cin_plans",))
def rule_4014(child: Child, census: Census) -> list[str]:
    """A CIN plan of the child starting within another (from its start to its end, both included, or to the
    reference date while it is open)."""
    found: list[str] = []
    plans = [(w, _d(p["start_date"]), _d(p["end_date"])) for w, _, p in child[CIN_PLANS]]
    if len(plans) < 2:
        return found
    for where, start, _ in plans:
        if any(
            other != where and begin <= start <= (end or census.reference_date)  # type: ignore[operator]
            for other, begin, end in plans
        ):
            found.append(f"{where}/CINPlanStartDate")
    return found


@rule("4015", "The CIN Plan start date cannot be before the referral date", needs=("cin_plans",))
def rule_4015(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode, plan in child[CIN_PLANS]:
        if plan["start_date"] < episode["referral_date"]:
            found.append(f"{where}/CINPlanStartDate")
    return found


# --- Section47 ---------------------------------------------------------------------------------------
@rule(
    "1104",
    "The date of the initial child protection conference cannot be before the referral date",
    needs=("section47_enquiries",),
)
def rule_1104(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode, s47 in child[SECTION47]:
        day = s47["date_of_initial_cpc"]
        if day and day < episode["referral_date"]:
            found.append(f"{where}/DateOfInitialCPC")
    return found


@rule(
    "2884",
    "An initial child protection conference is recorded at both the S47 and CIN Details level and it should "
    "only be recorded in one",
    needs=("section47_enquiries", "date_of_initial_cpc"),
)
def rule_2884(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["date_of_initial_cpc"] and any(
            s["date_of_initial_cpc"] == episode["date_of_initial_cpc"] for s in episode["section47_enquiries"]
        ):
            found.append(f"{where}/DateOfInitialCPC")
    return found


@rule("2889", "The S47 start date cannot be before the referral date.", needs=("section47_enquiries",))
def rule_2889(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode, s47 in child[SECTION47]:
        if s47["start_date"] < episode["referral_date"]:
            found.append(f"{where}/S47ActualStartDate")
    return found


@rule(
    "8615",
    "Section 47 Enquiry Start Date must be present and cannot be later than the date of the initial Child "
    "Protection Conference",
    needs=("section47_enquiries",),
)
def rule_8615(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, s47 in child[SECTION47]:
        if s47["date_of_initial_cpc"] and s47["start_date"] > s47["date_of_initial_cpc"]:
            found.append(f"{where}/S47ActualStartDate")
    return found


@rule(
    "8675Q",
    "Please check and either amend data or provide a reason: S47 Enquiry started more than 15 working days "
    "before the end of the census year. However, there is no date of Initial Child Protection Conference.",
    needs=("open_section47",),
)
def rule_8675q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    cutoff = _weekdays_before(census.reference_date, 15)
    for where, _, s47 in child[SECTION47]:
        if is_open_s47(s47) and s47["start_date"] < cutoff:
            found.append(f"{where}/S47ActualStartDate")
    return found


@rule(
    "8715",
    "Date of Initial Child Protection Conference must fall within the census year",
    needs=("section47_enquiries",),
)
def rule_8715(child: Child, census: Census) -> list[str]:
    return _outside_year(child[SECTION47], "date_of_initial_cpc", "DateOfInitialCPC", census)


@rule(
    "8740",
    "For a Section 47 Enquiry that has not held the Initial Child Protection Conference by the end of the "
    "census year, the start date must fall within the census year",
    needs=("open_section47",),
)
def rule_8740(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, s47 in child[SECTION47]:
        if is_open_s47(s47) and not census.within(s47["start_date"]):
            found.append(f"{where}/S47ActualStartDate")
    return found


@rule(
    "8839",
    "Within one CINDetails group there are 2 or more open S47 Assessments",
    needs=("several_section47", "open_section47"),
)
def rule_8839(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if _more_than_one(episode["section47_enquiries"], is_open_s47):
            found.append(where)
    return found


@rule(
    "8870Q",
    "Please check and either amend or provide a reason: The Target Date for Initial Child Protection "
    "Conference should not be a weekend",
    needs=("section47_enquiries",),
)
def rule_8870q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, s47 in child[SECTION47]:
        target = _d(s47["initial_cpc_target"])
        if target and target.weekday() >= 5:
            found.append(f"{where}/InitialCPCtarget")
    return found


@rule(
    "8875",
    "The Date of Initial Child Protection Conference cannot be a weekend",
    needs=("section47_enquiries",),
)
def rule_8875(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, s47 in child[SECTION47]:
        day = s47["date_of_initial_cpc"]
        if day and _d(day).weekday() >= 5:  # type: ignore[union-attr]
            found.append(f"{where}/DateOfInitialCPC")
    return found


@rule(
    "8890",
    "A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing",
    needs=("several_section47",),
)
def rule_8890(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        ongoing = _starting_during_another(
            episode["section47_enquiries"],
            lambda s: s["date_of_initial_cpc"] or (s["start_date"] if s["icpc_not_required"] else None),
        )
        for number in ongoing:
            found.append(f"{where}/Section47[{number}]/S47ActualStartDate")
    return found


# --- ChildProtectionPlans ----------------------------------------------------------------------------
@return_rule(
    "2883",
    "There are more child protection plans starting than initial conferences taking place",
)
def rule_2883(tally: Tally, census: Census) -> bool:
    """Across the return: plans starting within the census year outnumber the conferences (CIN details and
    section 47) held within it."""
    return tally.protection_plans_starting > tally.conferences_held


@rule(
    "2885",
    "Child protection plan shown as starting a different day to the initial child protection conference.",
    until=2026,
    needs=("child_protection_plans",),
)
def rule_2885(child: Child, census: Census) -> list[str]:
    """A plan starting within the census year starts on the day of a conference of its episode: one of its
    section 47 enquiries (that needed one), or the CIN details' own when it has no section 47 enquiry."""
    found: list[str] = []
    for where, episode in child[EPISODES]:
        enquiries = [s for s in episode["section47_enquiries"] if not s["icpc_not_required"]]
        if enquiries:
            held = {s["date_of_initial_cpc"] for s in enquiries}
        else:
            held = {episode["date_of_initial_cpc"]} if not episode["section47_enquiries"] else set()
        for number, plan in enumerate(episode["child_protection_plans"], start=1):
            if census.within(plan["start_date"]) and plan["start_date"] not in held:
                found.append(f"{where}/ChildProtectionPlans[{number}]/CPPstartDate")
    return found


# from 2026-27 DfE reports the same check as a query
rule(
    "2885Q",
    "Please check and either amend or provide a reason: Child protection plan shown as starting a different "
    "day to the initial child protection conference.",
    since=2027,
    needs=("child_protection_plans",),
)(rule_2885)


@rule(
    "1105",
    "The child protection plan start date cannot be before the referral date",
    needs=("child_protection_plans",),
)
def rule_1105(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode, plan in child[PROTECTION_PLANS]:
        if plan["start_date"] < episode["referral_date"]:
            found.append(f"{where}/CPPstartDate")
    return found


@rule(
    "8720",
    "Child Protection Plan Start Date missing or out of data collection period",
    needs=("child_protection_plans",),
)
def rule_8720(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[PROTECTION_PLANS]:
        if plan["start_date"] > census.last_day:
            found.append(f"{where}/CPPstartDate")
    return found


@rule(
    "8832",
    "Child Protection details provided for a referral with no further action.",
    needs=("referral_nfa", "child_protection_plans"),
)
def rule_8832(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, episode in child[EPISODES]:
        if episode["referral_nfa"] and episode["child_protection_plans"]:
            found.append(where)
    return found


@rule("8840", "Child Protection Plan cannot start and end on the same day", needs=("child_protection_plans",))
def rule_8840(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[PROTECTION_PLANS]:
        if plan["end_date"] == plan["start_date"]:
            found.append(f"{where}/CPPendDate")
    return found


@rule(
    "8841",
    "The review date cannot be on the same day or before the Child protection Plan start date.",
    needs=("child_protection_plans",),
)
def rule_8841(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[PROTECTION_PLANS]:
        if any(review <= plan["start_date"] for review in plan["reviews"] if review):
            found.append(f"{where}/Reviews")
    return found


@rule(
    "8915",
    "Child Protection Plan shown as starting after the child\u2019s Date of Death",
    needs=("date_of_death", "child_protection_plans"),
)
def rule_8915(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = child["date_of_death"]
    for where, _, plan in child[PROTECTION_PLANS]:
        if died and plan["start_date"] > died:
            found.append(f"{where}/CPPstartDate")
    return found


@rule(
    "8920",
    "Child Protection Plan cannot end after the child\u2019s Date of Death",
    needs=("date_of_death", "child_protection_plans"),
)
def rule_8920(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    died = child["date_of_death"]
    for where, _, plan in child[PROTECTION_PLANS]:
        if died and plan["end_date"] and plan["end_date"] > died:
            found.append(f"{where}/CPPendDate")
    return found


@rule("8925", "Child Protection Plan End Date earlier than Start Date", needs=("child_protection_plans",))
def rule_8925(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, _, plan in child[PROTECTION_PLANS]:
        if plan["end_date"] and plan["end_date"] < plan["start_date"]:
            found.append(f"{where}/CPPendDate")
    return found


@rule(
    "8930",
    "Child Protection Plan End Date must fall within the census year",
    needs=("child_protection_plans",),
)
def rule_8930(child: Child, census: Census) -> list[str]:
    return _outside_year(child[PROTECTION_PLANS], "end_date", "CPPendDate", census)


@rule(
    "8935",
    "This child is showing more than one open Child Protection plan, i.e. with no End Date",
    needs=("several_protection_plans",),
)
def rule_8935(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    plans = [p for e in child["cin_episodes"] for p in e["child_protection_plans"]]
    if _more_than_one(plans, lambda p: not p["end_date"]):
        found.append("")
    return found


@rule("8940", "Child Protection Plan data contains overlapping dates", needs=("several_protection_plans",))
def rule_8940(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    plans = [p for e in child["cin_episodes"] for p in e["child_protection_plans"]]
    if len(plans) > 1 and _overlap(_periods(plans)):
        found.append("")
    return found


# --- PreProceedingsandFGDM (2026-27) ------------------------------------------------------------------
# DfE published no rule document for 2026-27 when these were written: ids, wording and conditions follow the
# item references (N00826 PPStartDate ... N00835 LetterInitCPDate) as the peer validator records them.
PRE_PROCEEDINGS_FROM = 2027
PP_OUTCOMES = frozenset({"A", "B", "C"})


def _blocks(child: Child) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, episode in child[EPISODES]:
        if episode.get("pre_proceedings"):
            yield f"{where}/PreProceedingsandFGDM", episode["pre_proceedings"]


@return_rule(
    "8995Q",
    "Please check and provide a reason why no module 5 (pre-proceedings and FGM) data has been provided for "
    "any child.",
    since=PRE_PROCEEDINGS_FROM,
)
def rule_8995q(tally: Tally, census: Census) -> bool:
    return tally.children > 0 and tally.with_pre_proceedings == 0


@rule(
    "9000Q",
    "Please check: If you do not yet collect this data, please leave this field blank and provide a reason.",
    since=PRE_PROCEEDINGS_FROM,
    needs=("pre_proceedings",),
)
def rule_9000q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, block in _blocks(child):
        if not block["pp_start_date"]:
            found.append(where)
    return found


def _date_rule(rule_id: str, message: str, field: str, tag: str, after: str | None = None) -> None:
    """A rule that a date of the block, when given, falls within the census year and (when ``after`` names
    another date of the block that is given) on or after that date."""

    def check(child: Child, census: Census) -> list[str]:
        found: list[str] = []
        for where, block in _blocks(child):
            day = block[field]
            if not day:
                continue
            earliest = block[after] if after else None
            if not census.within(day) or (earliest and day < earliest):
                found.append(f"{where}/{tag}")
        return found

    rule(rule_id, message, since=PRE_PROCEEDINGS_FROM, needs=("pre_proceedings",))(check)


_date_rule(
    "9005",
    "The date of the legal planning meeting or other decision making forum where the LA made the decision to "
    "commence pre-proceedings cannot fall outside the reporting year.",
    "pp_start_date",
    "PPStartDate",
)
_date_rule(
    "9006",
    "The date the letter before proceedings was sent must be within the reporting year and after the date "
    "pre-proceedings began.",
    "lbp_sent_date",
    "LBPSentDate",
    after="pp_start_date",
)


@rule(
    "9007",
    "You have confirmed that a letter before proceedings was sent. Please confirm whether or not a FGDM "
    "meeting was offered in the letter.",
    since=PRE_PROCEEDINGS_FROM,
    needs=("pre_proceedings",),
)
def rule_9007(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, block in _blocks(child):
        if block["lbp_sent_date"] and not block["fgdm_meeting_offer"]:
            found.append(f"{where}/LBPSentDate")
    return found


_date_rule(
    "9008",
    "The date of the first effective pre-proceedings meeting must be within the reporting year.",
    "initial_pp_meeting_date",
    "InitialPPMeetingDate",
)
_date_rule(
    "9009",
    "The date when the decision was made to step up or down must be on or after the date of the decision to "
    "begin pre-proceedings and must fall within the reporting year",
    "step_decision_date",
    "StepDecisionDate",
    after="pp_start_date",
)


@rule(
    "9010Q",
    "Please check: You have reported that a FGDM meeting was offered in the letter before proceedings. "
    "Please confirm whether or not a FGDM meeting was facilitated in the pre-proceedings period following "
    "this offer.",
    since=PRE_PROCEEDINGS_FROM,
    needs=("pre_proceedings",),
)
def rule_9010q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, block in _blocks(child):
        if block["fgdm_meeting_offer"] == "1" and not block["fgdm_meeting_facilitated"]:
            found.append(f"{where}/FGDMMeetingFac")
    return found


@rule(
    "9011",
    "The outcome of the pre-proceedings must be reported using a valid value",
    since=PRE_PROCEEDINGS_FROM,
    needs=("pre_proceedings",),
)
def rule_9011(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, block in _blocks(child):
        if block["pp_outcome"] and block["pp_outcome"] not in PP_OUTCOMES:
            found.append(f"{where}/PPOutcome")
    return found


_date_rule(
    "9012",
    "The date that the local authority submitted the court application to commence care proceedings must "
    "fall within the reporting year and be on or after the date of the decision to initiate care "
    "proceedings.",
    "court_application_date",
    "CourtAppDate",
    after="step_decision_date",
)
_date_rule(
    "9013",
    "The date on which the letter to initiate care proceedings was sent to parents/guardians must fall "
    "within the reporting year and be on or after the date when the local authority submitted the court "
    "application to commence care proceedings.",
    "letter_init_cp_date",
    "LetterInitCPDate",
    after="court_application_date",
)


@rule(
    "9015Q",
    "Please check: if review meetings were held  following the initial pre-proceedings meeting, the total "
    "number held should be reported.",
    since=PRE_PROCEEDINGS_FROM,
    needs=("pre_proceedings",),
)
def rule_9015q(child: Child, census: Census) -> list[str]:
    found: list[str] = []
    for where, block in _blocks(child):
        if block["initial_pp_meeting_date"] and block["review_meetings_count"] is None:
            found.append(f"{where}/ReviewMeetingsCount")
    return found
