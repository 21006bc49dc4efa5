"""The machinery of the SSDA903 rules: the catalogue, the rule registry, and one return indexed for the rules.

A rule is registered once, by ``@rule(id)`` on a small function in the module of its main table. The function
takes the current return (``Return``; the previous year's is ``ret.previous``, or None) and yields ``Hit``
objects: the offending row and the column of the offending cell. Its message, severity and the years it
applies to come from DfE's catalogue (``903_<yyyy>_<yy>_rule_info.csv``, shipped beside this module), never
from the function, so the wording is DfE's and no value from the file can enter it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from importlib.resources import files
from typing import Any, NamedTuple

#: the key of a row's number (as a spreadsheet shows it; the header is row 1) in every row given to ``run``
ROW = "_row"
#: the key of the rule ids a row was rejected for by the reader (its findings leave them out)
FAULTS = "_faults"
#: the key of the table a row is in, when the reader names it (each finding's position carries it)
TABLE = "_table"

#: catalogue file per collection year, the year being the one in which the collection ends on 31 March
CATALOGUE_FILES = {2024: "903_2023_24_rule_info.csv", 2025: "903_2024_25_rule_info.csv"}

#: the table names ``run`` takes, and the SSDA903 adapter's names of three of them (``ALIASES``)
TABLES = (
    "header",
    "episodes",
    "reviews",
    "uasc",
    "oc2",
    "oc3",
    "ad1",
    "placed_for_adoption",
    "previous_permanence",
    "missing",
    "sw_episodes",
)
ALIASES = {
    "placed_adoption": "placed_for_adoption",
    "prev_perm": "previous_permanence",
    "social_worker": "sw_episodes",
}

#: date columns, by name in any table: parsed once per run
DATE_COLUMNS = frozenset(
    {
        "DOB",
        "MC_DOB",
        "DECOM",
        "DEC",
        "DUC",
        "DATE_INT",
        "DATE_MATCH",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "DATE_PERM",
        "MIS_START",
        "MIS_END",
        "REVIEW",
        "SW_DECOM",
        "SW_DEC",
    }
)
#: the pre-2025 sex codes, read as the 2025 ones
SEX_CODES = {"1": "M", "2": "F"}


class Invalid(str):
    """A date cell whose text is no date: kept (rules on validity see it), never compared as a date."""


@dataclass(frozen=True)
class Entry:
    """A rule as DfE's catalogue gives it for one year."""

    id: str
    message: str
    severity: str


@cache
def catalogue(year: int) -> dict[str, Entry]:
    """DfE's rules for the collection ending in March of ``year``, by id (ValueError for a year without)."""
    if year not in CATALOGUE_FILES:
        raise ValueError(f"no SSDA903 rule catalogue for the collection year ending in {year}")
    text = files("adapters.ssda903_rules").joinpath(CATALOGUE_FILES[year]).read_text(encoding="utf-8")
    entries = {}
    for line in csv.DictReader(text.splitlines()):
        code, message = line["Rule code"].strip(), " ".join(line["Rule message"].split())
        entries[code] = Entry(code, message, severity(code, message))
    return entries


def severity(code: str, message: str) -> str:
    """``query`` for a Q-suffixed code or a rule DfE words as a warning, else ``error``."""
    return "query" if code.endswith("Q") or message.startswith("WARNING") else "error"


class Hit(NamedTuple):
    """One offending cell: its row (a normalised row of ``Return``) and column."""

    row: Mapping[str, Any]
    column: str


Check = Callable[["Return"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    check: Check
    previous: bool  # runs only when the previous year's return is given


RULES: dict[str, Rule] = {}


def rule(code: str, *, previous: bool = False) -> Callable[[Check], Check]:
    """Register ``check`` as DfE rule ``code`` (once: a second registration is a programming error)."""

    def register(check: Check) -> Check:
        if code in RULES:
            raise RuntimeError(f"SSDA903 rule {code} is registered twice")
        RULES[code] = Rule(code, check, previous)
        return check

    return register


def read_date(value: Any) -> Any:
    """A ``date`` from a date, an ISO text or a dd/mm/yyyy text; None when blank; else ``Invalid``."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = str(value).strip()
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return Invalid(text)


def normalise(row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with blank text as None, dates parsed and the old sex codes read as M/F."""
    out = dict(row)
    for name, value in row.items():
        if type(value) is str:
            text = value.strip()
            if not text:
                out[name] = None
            elif name in DATE_COLUMNS:
                out[name] = read_date(text)
            elif name == "SEX":
                out[name] = SEX_CODES.get(text, text)
            else:
                out[name] = text
        elif isinstance(value, datetime) and name in DATE_COLUMNS:
            out[name] = value.date()
    return out


def day(value: Any) -> date | None:
    """The value if it is a date, else None (blank or invalid)."""
    return value if isinstance(value, date) else None


def add_years(when: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 1 March when the later year has none)."""
    try:
        return when.replace(year=when.year + years)
    except ValueError:
        return date(when.year + years, 3, 1)


def age(dob: date | None, on: date) -> int | None:
    """Whole years of age on ``on``, or None without a date of birth."""
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


class TableAbsent(LookupError):
    """A rule read a table the return was not given: the rule does not run (DfE's tool skips it too)."""


class Return:
    """One SSDA903 return: every table's rows normalised (unless given so), and indexed by child once.

    Only the tables given are read; a rule reading another raises ``TableAbsent`` and is skipped, so one
    table sent alone runs that table's rules only. ``without(tables)`` is the same return with ``tables``
    withheld: reading one of them raises ``TableAbsent`` (``run_rules`` tells by it which rules read them).
    """

    def __init__(
        self,
        tables: Mapping[str, Sequence[Mapping[str, Any]]],
        year: int,
        previous: Return | None = None,
        *,
        normalised: bool = False,
    ) -> None:
        self.year = year
        self.start = date(year - 1, 4, 1)
        self.end = date(year, 3, 31)
        self.previous = previous
        self.tables: dict[str, list[dict[str, Any]]] = {}
        for name, rows in tables.items():
            table = ALIASES.get(name, name)
            if table not in TABLES:
                raise ValueError(f"{name} is not an SSDA903 table")
            self.tables.setdefault(table, []).extend(rows if normalised else map(normalise, rows))
        self._by_child: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        self.withheld: frozenset[str] = frozenset()

    def without(self, tables: Iterable[str]) -> Return:
        """This return (its rows shared, not copied) with ``tables`` withheld."""
        withheld = frozenset(ALIASES.get(name, name) for name in tables)
        other = Return({}, self.year, self.previous, normalised=True)
        other.tables = {name: rows for name, rows in self.tables.items() if name not in withheld}
        other.withheld = withheld
        return other

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in self.tables:
            raise TableAbsent(table)
        return self.tables[table]

    def has(self, table: str) -> bool:
        return bool(self.tables.get(table))

    def by_child(self, table: str) -> dict[Any, list[dict[str, Any]]]:
        """The rows of ``table`` per child, in file order (episodes: by start date, undated last)."""
        if table not in self._by_child:
            index: dict[Any, list[dict[str, Any]]] = {}
            for row in self.rows(table):
                index.setdefault(row.get("CHILD"), []).append(row)
            if table == "episodes":
                for rows in index.values():
                    rows.sort(
                        key=lambda row: (day(row.get("DECOM")) is None, day(row.get("DECOM")) or date.min)
                    )
            self._by_child[table] = index
        return self._by_child[table]

    def of(self, table: str, child: Any) -> list[dict[str, Any]]:
        return self.by_child(table).get(child, [])

    def header(self, child: Any) -> dict[str, Any] | None:
        rows = self.of("header", child)
        return rows[0] if rows else None

    def dob(self, child: Any) -> date | None:
        """The child's date of birth from its (first) header row, or None."""
        return self._dobs.get(child)

    @cached_property
    def _dobs(self) -> dict[Any, date | None]:
        return {child: day(rows[0].get("DOB")) for child, rows in self.by_child("header").items()}

    def children(self, table: str) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        return iter(self.by_child(table).items())

    @cached_property
    def uasc_children(self) -> frozenset[Any]:
        """Children with a row in the uasc table (the CSV return's only sign of UASC status); none when the
        table was not given, ``TableAbsent`` when it is withheld."""
        given = "uasc" in self.tables or "uasc" in self.withheld
        return frozenset(self.by_child("uasc")) if given else frozenset()

    def pairs(self, table: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each episode-like row with the next one of the same child (episodes in start order)."""
        for rows in self.by_child(table).values():
            yield from zip(rows, rows[1:], strict=False)

    def looked_after_on(self, child: Any, when: date) -> bool:
        """Whether an episode of the child is open on ``when`` (started on or before, not ceased before)."""
        for row in self.of("episodes", child):
            start, end = day(row.get("DECOM")), day(row.get("DEC"))
            if start is not None and start <= when and (end is None or end > when):
                return True
        return False

    @cached_property
    def twelve_months(self) -> frozenset[Any]:
        """Children looked after continuously for at least 12 months at 31 March (the OC2 cohort)."""
        return frozenset(child for child in self.by_child("episodes") if self.continuous_year(child))

    def continuous_year(self, child: Any) -> bool:
        """Looked after during the year, and no episode in it starts care (RNE S after 1 April), ends care
        (a reason other than X1, before 31 March) or is respite (V3/V4)."""
        during = False
        for row in self.of("episodes", child):
            start, end = day(row.get("DECOM")), day(row.get("DEC"))
            in_year = start is not None and start <= self.end and (end is None or end >= self.start)
            during = during or in_year
            enters = row.get("RNE") == "S" and start is not None and self.start < start <= self.end
            leaves = row.get("REC") != "X1" and end is not None and self.start <= end < self.end
            if enters or leaves or (in_year and row.get("LS") in ("V3", "V4")):
                return False
        return during


def run_rules(ret: Return, year: int, given: Iterable[str] | None = None) -> Iterator[tuple[Entry, Hit]]:
    """Each hit of ``year``'s rules on ``ret``. With ``given`` (the tables of ``ret`` one submission gave,
    the others having come from earlier submissions), only the rules that read one of ``given`` run: a rule
    that runs to its end with them withheld reads none of them, and its hits are not that submission's."""
    entries = catalogue(year)
    others = ret.without(given) if given is not None else None
    for code, entry in entries.items():
        registered = RULES.get(code)
        if registered is None or (registered.previous and ret.previous is None):
            continue
        try:
            if others is not None and not reads_withheld(registered, others):
                continue
            hits = list(registered.check(ret))
        except TableAbsent:
            continue
        for hit in hits:
            yield entry, hit


def reads_withheld(registered: Rule, ret: Return) -> bool:
    """Whether the rule reads one of ``ret``'s withheld tables (it stops at the first it cannot read)."""
    try:
        for _ in registered.check(ret):
            pass
    except TableAbsent as absent:
        return absent.args[0] in ret.withheld
    return False
