"""The machinery of the CIN rules: the registry, the census period, and ``Checks`` (one per file read)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from itertools import compress
from operator import itemgetter
from typing import Any

from adapters.base import Finding, Position
from schemas import code_lists
from schemas.upn import upn_faults

#: the collection years (the year each census ends) DfE's catalogue covers; earlier years use the oldest set
FIRST_YEAR, LAST_YEAR = 2017, 2027

ChildCheck = Callable[[dict[str, Any], "Census"], list[str]]
ReturnCheck = Callable[["Tally", "Census"], bool]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    #: DfE's message by the first collection year it was worded so
    messages: tuple[tuple[int, str], ...]
    years: range
    check: ChildCheck | ReturnCheck
    #: True for a rule about the return as a whole (no record)
    whole_return: bool = False
    #: what a child must have for the rule to be able to fire (``FEATURES``); a child without it is skipped
    needs: frozenset[str] = frozenset()

    @property
    def code(self) -> str:
        return f"cin.{self.id}"

    def message(self, year: int) -> str:
        texts = [text for since, text in self.messages if since <= year]
        return texts[-1] if texts else self.messages[0][1]


RULES: dict[str, Rule] = {}
#: what the rules of one child share, built once per child (``prepared``): under ``EPISODES`` (xpath, episode)
#: for each episode, and under each key of ``GROUPS`` (xpath, episode, group) for each group of that kind
EPISODES = "_episodes"
ASSESSMENTS, CIN_PLANS, SECTION47, PROTECTION_PLANS = GROUP_KEYS = (
    "_assessments",
    "_cin_plans",
    "_section47_enquiries",
    "_child_protection_plans",
)
#: each group's key in the child, its element and the key of its list in an episode
GROUPS = tuple(
    zip(
        GROUP_KEYS,
        ("Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans"),
        ("assessments", "cin_plans", "section47_enquiries", "child_protection_plans"),
        strict=True,
    )
)

#: a child's features: each says whether the child has something (an episode with assessments, a date of
#: death, more than one episode...) that a rule needs in order to fire
EPISODE_GROUPS = (
    "assessments",
    "cin_plans",
    "section47_enquiries",
    "child_protection_plans",
    "pre_proceedings",
    "closure_date",
    "reason_for_closure",
    "referral_nfa",
    "date_of_initial_cpc",
)
CHILD_ITEMS = ("date_of_death", "upn", "former_upn", "upn_unknown", "expected_date_of_birth", "disabilities")
#: an episode with more than one assessment or section 47 enquiry, or with no assessment, or no primary need
#: code, or a closure date without a reason for closure or the other way round; an assessment not completed
#: (no authorisation date) or without factors, a section 47 enquiry still open (``is_open_s47``); a child
#: with more than one CIN plan, child protection plan or disability (across its episodes)
GROUP_STATES = (
    "several_assessments",
    "several_section47",
    "episode_without_assessment",
    "episode_without_primary_need",
    "closure_or_reason_alone",
    "open_assessment",
    "assessment_without_factors",
    "open_section47",
    "several_cin_plans",
    "several_protection_plans",
    "several_disabilities",
)
#: codes that rules single out: assessment factors (21 "no factors identified" and the retired 18A and
#: 19A), reasons for closure (RC8 and RC9 closed after assessment, RC2 died)
SINGLED_OUT_FACTORS = frozenset({"21", "18A", "19A"})
CLOSED_AFTER_ASSESSMENT = ("RC8", "RC9")
#: the features of codes and identifiers: an assessment with a factor of ``SINGLED_OUT_FACTORS``, an episode
#: closed after assessment or because the child died, the disability code NONE, no UPN, an LA child id longer
#: than 20 characters or not only ASCII letters and digits, a UPN with a fault (``schemas.upn.upn_faults``,
#: which most are not)
CODES = (
    "singled_out_factor",
    "closed_after_assessment",
    "closed_on_death",
    "disability_none",
    "no_upn",
    "odd_la_child_id",
)
#: every feature
FEATURES = (*EPISODE_GROUPS, *CHILD_ITEMS, *GROUP_STATES, *CODES, "several_episodes", "faulty_upn")


_episode_groups = itemgetter(*EPISODE_GROUPS)
_child_items = itemgetter(*CHILD_ITEMS)


def is_open_s47(s47: dict[str, Any]) -> bool:
    """A section 47 enquiry with no initial conference held and none said not to be required."""
    return not s47["date_of_initial_cpc"] and not s47["icpc_not_required"]


def features(child: dict[str, Any]) -> frozenset[str]:
    return examined(child)[0]


def prepared(child: dict[str, Any], **values: Any) -> dict[str, Any]:
    return examined(child, **values)[1]


def examined(child: dict[str, Any], **values: Any) -> tuple[frozenset[str], dict[str, Any]]:
    """The child's features (``FEATURES``), and a copy of it with ``values`` added and what its rules share
    (``EPISODES``, and each key of ``GROUPS``: an empty tuple when the child has no group of that kind), both
    from one pass over its episodes and their groups (plain loops: cheaper than comprehensions here)."""
    found = set(compress(CHILD_ITEMS, _child_items(child)))
    add = found.add
    upn = child["upn"]
    if not upn:
        add("no_upn")
    elif upn_faults(upn, code_lists.codes("upn_la_numbers")):
        add("faulty_upn")
    la_child_id = child["la_child_id"]
    if len(la_child_id) > 20 or not (la_child_id.isascii() and la_child_id.isalnum()):
        add("odd_la_child_id")
    disabilities = child["disabilities"]
    if len(disabilities) > 1:
        add("several_disabilities")
    if "NONE" in disabilities:
        add("disability_none")
    episodes: list[tuple[str, dict[str, Any]]] = []
    assessments_of: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    plans_of: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    enquiries_of: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    protection_of: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    number = 0
    for episode in child["cin_episodes"]:
        number += 1  # noqa: SIM113 - cheaper than enumerate, as below
        where = f"/CINdetails[{number}]"
        episodes.append((where, episode))
        found.update(compress(EPISODE_GROUPS, _episode_groups(episode)))
        assessments, enquiries = episode["assessments"], episode["section47_enquiries"]
        if len(assessments) > 1:
            add("several_assessments")
        elif not assessments:
            add("episode_without_assessment")
        if len(enquiries) > 1:
            add("several_section47")
        if not episode["primary_need"]:
            add("episode_without_primary_need")
        reason = episode["reason_for_closure"]
        if bool(reason) != bool(episode["closure_date"]):
            add("closure_or_reason_alone")
        if reason in CLOSED_AFTER_ASSESSMENT:
            add("closed_after_assessment")
        elif reason == "RC2":
            add("closed_on_death")
        n = 0
        for assessment in assessments:
            n += 1  # noqa: SIM113
            assessments_of.append((f"{where}/Assessments[{n}]", episode, assessment))
            if not assessment["authorisation_date"]:
                add("open_assessment")
            factors = assessment["factors"]
            if not factors:
                add("assessment_without_factors")
            elif not SINGLED_OUT_FACTORS.isdisjoint(factors):
                add("singled_out_factor")
        n = 0
        for plan in episode["cin_plans"]:
            n += 1  # noqa: SIM113
            plans_of.append((f"{where}/CINPlanDates[{n}]", episode, plan))
        n = 0
        for enquiry in enquiries:
            n += 1  # noqa: SIM113
            enquiries_of.append((f"{where}/Section47[{n}]", episode, enquiry))
            if is_open_s47(enquiry):
                add("open_section47")
        n = 0
        for plan in episode["child_protection_plans"]:
            n += 1  # noqa: SIM113
            protection_of.append((f"{where}/ChildProtectionPlans[{n}]", episode, plan))
    if number > 1:
        add("several_episodes")
    if len(plans_of) > 1:
        add("several_cin_plans")
    if len(protection_of) > 1:
        add("several_protection_plans")
    shared = {
        **child,
        **values,
        EPISODES: episodes,
        ASSESSMENTS: assessments_of or (),
        CIN_PLANS: plans_of or (),
        SECTION47: enquiries_of or (),
        PROTECTION_PLANS: protection_of or (),
    }
    return frozenset(found), shared


def _register(
    rule_id: str,
    message: str | dict[int, str],
    years: range,
    check: Any,
    whole_return: bool,
    needs: Iterable[str] = (),
) -> None:
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} declared twice")
    messages = tuple(sorted(message.items())) if isinstance(message, dict) else ((FIRST_YEAR, message),)
    severity = "query" if rule_id.endswith("Q") else "error"
    unknown = set(needs) - set(FEATURES)
    if unknown:
        raise ValueError(f"rule {rule_id} needs unknown features {sorted(unknown)}")
    RULES[rule_id] = Rule(rule_id, severity, messages, years, check, whole_return, frozenset(needs))


def rule(
    rule_id: str,
    message: str | dict[int, str],
    since: int = FIRST_YEAR,
    until: int = LAST_YEAR,
    needs: Iterable[str] = (),
) -> Callable[[ChildCheck], ChildCheck]:
    """Declare a rule on one child, for the collection years ``since`` to ``until`` (inclusive). ``needs``
    names what a child must have for the rule to fire (``FEATURES``): a child without it is not checked,
    which is what keeps a hundred rules cheap (``tests/adapters/test_cin_rules.py`` shows that a child
    without it never fires the rule)."""

    def register(check: ChildCheck) -> ChildCheck:
        _register(rule_id, message, range(since, until + 1), check, False, needs)
        return check

    return register


def return_rule(
    rule_id: str, message: str | dict[int, str], since: int = FIRST_YEAR, until: int = LAST_YEAR
) -> Callable[[ReturnCheck], ReturnCheck]:
    """Declare a rule on the return as a whole: its function says whether the return breaks it."""

    def register(check: ReturnCheck) -> ReturnCheck:
        _register(rule_id, message, range(since, until + 1), check, True)
        return check

    return register


def rules_for(year: int) -> list[Rule]:
    return [r for r in RULES.values() if year in r.years or (year < FIRST_YEAR and FIRST_YEAR in r.years)]


@dataclass(frozen=True)
class Census:
    """One collection: its year (the year it ends), reference date (its last day) and first day, the two
    days also as ISO dates (``first_day``, ``last_day``), as a child's dates are held."""

    year: int
    reference_date: date
    header_reference_date: date | None = None

    @cached_property
    def start(self) -> date:
        return self.reference_date.replace(year=self.reference_date.year - 1) + timedelta(days=1)

    @cached_property
    def first_day(self) -> str:
        return self.start.isoformat()

    @cached_property
    def last_day(self) -> str:
        return self.reference_date.isoformat()

    def within(self, day: str) -> bool:
        """Whether the ISO date ``day`` falls within the census year."""
        return self.first_day <= day <= self.last_day

    @classmethod
    def of(cls, header: dict[str, Any]) -> Census:
        year = header["collection_year"]
        given = date.fromisoformat(header["reference_date"]) if header.get("reference_date") else None
        return cls(year, given or date(year, 3, 31), given)


@dataclass
class Tally:
    """What the return-level rules need, counted as children stream past."""

    children: int = 0
    born: int = 0
    born_without_sex: int = 0
    disability_codes: set[str] = field(default_factory=set)
    with_disability: int = 0
    with_several_disabilities: int = 0
    with_pre_proceedings: int = 0
    #: for 2883: child protection plans starting, and initial conferences held, within the census year
    protection_plans_starting: int = 0
    conferences_held: int = 0


class Checks:
    """The rules of one file: ``header`` once, ``child`` for each valid child, then ``finish``."""

    def __init__(self) -> None:
        self.census: Census | None = None
        self.rules: list[Rule] = []
        self.tally = Tally()
        #: for 8510 and 1520: a 64-bit fingerprint of each LA child id (UPN) seen -> where its first child
        #: is (packed: child number, line), or -1 once reported; one small int pair per child, never the id
        self.child_ids: dict[int, int] = {}
        self.upns: dict[int, int] = {}
        self.count = 0
        #: each rule's code, severity and message of the census year, by rule id (``_finding``)
        self.said: dict[str, tuple[str, str, str]] = {}

    def header(self, header: dict[str, Any], position: Position) -> Iterator[Finding]:
        self.census = Census.of(header)
        self.said = {}
        self.rules = rules_for(self.census.year)
        self.child_rules = [r for r in self.rules if not r.whole_return and r.id not in ("8510", "1520")]
        #: the rules a child with those features can break, worked out once per set of features
        self.rules_by_features: dict[frozenset[str], list[tuple[ChildCheck, Rule]]] = {}
        #: the rules that compare children, when the year has them
        self.repeat_rules = {r.id: r for r in self.rules if r.id in ("8510", "1520")}
        #: for each of them that the year has: the rule, the fingerprints seen, the key compared and its xpath
        self.repeat_checks = [
            (self.repeat_rules[rule_id], seen, name, where)
            for rule_id, seen, name, where in (
                ("8510", self.child_ids, "la_child_id", "/ChildIdentifiers/LAchildID"),
                ("1520", self.upns, "upn", "/ChildIdentifiers/UPN"),
            )
            if rule_id in self.repeat_rules
        ]
        if (
            "100" in RULES
            and RULES["100"] in self.rules
            and self.census.header_reference_date != date(self.census.year, 3, 31)
        ):
            yield self._finding(RULES["100"], None, position, "/CollectionDetails/ReferenceDate")

    def child(self, data: dict[str, Any], gender: str | None, position: Position) -> list[Finding]:
        """The findings of one valid child (a list: most children have none)."""
        census = self.census
        assert census is not None  # a child is only read after the header
        has, child = examined(data, gender_current=gender)
        rules = self.rules_by_features.get(has)
        if rules is None:
            rules = self.rules_by_features[has] = [(r.check, r) for r in self.child_rules if r.needs <= has]  # type: ignore[misc]
        findings = []
        for check, r in rules:
            breaches = check(child, census)  # type: ignore[arg-type]
            if breaches:
                findings += [self._finding(r, data["la_child_id"], position, where) for where in breaches]
        self._repeats(data, position, findings)
        self._count(child, has)
        return findings

    def _repeats(self, data: dict[str, Any], position: Position, findings: list[Finding]) -> None:
        """8510 on every child sharing an LA child id (the first one too); 1520 on every child whose UPN an
        earlier child holds, added to ``findings``. Only a fingerprint and a packed (child number, line) are
        kept per child, never an id; so the first holder of a UPN, whose LA child id is not kept, is not
        named by 1520."""
        self.count += 1
        for r, seen, name, where in self.repeat_checks:
            key = data.get(name)
            if key is None:
                continue
            rule_id = r.id
            fingerprint = hash((rule_id, key))
            first = seen.get(fingerprint)
            if first is None:
                seen[fingerprint] = (self.count << 32) | (position.line or 0)
                continue
            if first >= 0 and rule_id == "8510":
                number, line = first >> 32, first & 0xFFFFFFFF
                at = Position(line=line or None, xpath=f"/Message/Children/Child[{number}]")
                findings.append(self._finding(r, data["la_child_id"], at, where))
                seen[fingerprint] = -1
            findings.append(self._finding(r, data["la_child_id"], position, where))

    def _count(self, child: dict[str, Any], has: frozenset[str]) -> None:
        tally = self.tally
        tally.children += 1
        if child.get("date_of_birth"):
            tally.born += 1
            unknown = (
                child["gender_current"] == "0" if child["gender_current"] is not None else child["sex"] == "U"
            )
            tally.born_without_sex += unknown
        if "disabilities" in has:
            codes = [c for c in child["disabilities"] if c and c != "NONE"]
            tally.disability_codes.update(codes)
            tally.with_disability += bool(codes)
            tally.with_several_disabilities += len(set(codes)) > 1
        tally.with_pre_proceedings += "pre_proceedings" in has
        first, last = self.census.first_day, self.census.last_day
        for _, _, plan in child[PROTECTION_PLANS]:
            tally.protection_plans_starting += first <= plan["start_date"] <= last
        if "date_of_initial_cpc" in has:
            for episode in child["cin_episodes"]:
                day = episode["date_of_initial_cpc"]
                tally.conferences_held += bool(day) and first <= day <= last
        for _, _, enquiry in child[SECTION47]:
            day = enquiry["date_of_initial_cpc"]
            tally.conferences_held += bool(day) and first <= day <= last

    def finish(self) -> Iterator[Finding]:
        if self.census is None:
            return
        for r in self.rules:
            if r.whole_return and r.check(self.tally, self.census):  # type: ignore[call-arg,arg-type]
                yield self._finding(r, None, Position(xpath="/Message/Children"), "")

    def _finding(self, r: Rule, record: str | None, position: Position, where: str) -> Finding:
        assert self.census is not None
        said = self.said.get(r.id)
        if said is None:
            said = self.said[r.id] = (r.code, r.severity, r.message(self.census.year))
        code, severity, message = said
        return Finding(
            code,
            severity,
            record,
            Position(line=position.line, xpath=(position.xpath or "") + where),
            message,
        )
