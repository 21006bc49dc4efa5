"""Pre-aggregation: every write to a case replaces what that case contributes to ``metric_counts``.

Plain row scans are too slow for a board's ten-year pack (DOMAIN.md), so each case's contribution is
kept up to date as it is written. A session listener (``listen``, which ``create_app`` calls through
``exchange.metrics.init_app``) sees every ``Case`` the session flushes (new,
changed or deleted, whichever code wrote it through the ORM), works out the case's facts (``facts_of``),
and when they differ from the facts stored for it adds the difference of the two contributions
(``contributions``) to the counts, in the same transaction. ``rebuild`` recomputes everything from the
cases (after a bulk load that bypassed the ORM, or to check the counts).

Definitions (SPEC §6, DOMAIN.md, FCSQ): the care measures count section 31 applications only (a care or
supervision order sought; ``law`` "public" in the counts), while an EPO-only application counts as "epo" and
any other public-law application as "pl_other", each only as started. Duration in whole weeks from issue to
the first final disposal; within 26 weeks means at most 182 days; a case is open at a month's end when
issued on or before it and neither disposed nor ended by it (closed, or every child given an outcome such
as consolidation, without a final disposal); PLO hearings are late when the latest hearing of the type
(not vacated) is more than 24 / 140 / 182 days after issue, or when there is none and the case is already
older than that. Private law ends where FCSQ ends it: the final order that disposes of the last child.
A court transfer splits a case's figures: what happens before the transfer date counts in the old DFJ area,
from it on in the new one (the open stocks move at the end of the transfer's month); national is one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Insert, delete, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from exchange import clock, signals
from exchange.db import EncodedJSON, insert_many, upsert
from exchange.metrics.periods import month_end, month_of
from exchange.models import Case
from exchange.models.metrics import MetricCaseFacts, MetricCount
from exchange.store.cases import CLOSED_STATE
from schemas.case import S31_ORDERS

NATIONAL = "national"
WITHIN_26_WEEKS_DAYS = 182
OVER_100_WEEKS_DAYS = 700
#: open-case age bands: (category, the largest age in days that still falls in it)
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("up_to_26_weeks", 182),
    ("26_to_52_weeks", 364),
    ("52_to_78_weeks", 546),
    ("78_to_100_weeks", OVER_100_WEEKS_DAYS),
    ("over_100_weeks", None),
)
#: PLO milestones: (measure, hearing type, the last day from issue that is on time)
PLO_MILESTONES: tuple[tuple[str, str, int], ...] = (
    ("plo_late_cmh", "CASE_MANAGEMENT", 24),
    ("plo_late_irh", "ISSUE_RESOLUTION", 140),
    ("plo_late_final", "FINAL", 182),
)
_PLO_TYPES = frozenset(hearing_type for _, hearing_type, _ in PLO_MILESTONES)
HEARINGS_TAKEN_PLACE = frozenset({"held", "adjourned"})
NOT_RECORDED = "NotRecorded"
FLOW_MEASURES = ("started", "disposed", "hearings", "vacated", "final_order", "order_mix")
DEFINITIVE_OUTCOMES = frozenset({"FINAL_ORDER", "REFUSAL", "WITHDRAWN", "NO_ORDER"})
#: final orders by type in s31 cases (the final-order mix); any other final order counts as OTHER
ORDER_MIX = (
    "CARE_ORDER",
    "SUPERVISION_ORDER",
    "PLACEMENT_ORDER",
    "SPECIAL_GUARDIANSHIP_ORDER",
    "childArrangementsOrder",
    "OTHER",
)
#: orders that end no case (urgent or investigative), left out of the mix
NOT_FINAL = frozenset({"EMERGENCY_PROTECTION_ORDER", "CHILD_ASSESSMENT_ORDER", "CHILD_RECOVERY_ORDER"})
STOCK_MEASURES = ("open", "open_age", *(m for m, _, _ in PLO_MILESTONES))
_DELTAS = "metric_deltas"
#: the key of a built case's ``ahead`` (``signals.case_built``) under which its facts and contributions wait
_AHEAD = "metric_facts"
Key = tuple[str, str, str, int, str, int]  # scope, law, measure, month, category, weeks


@dataclass(frozen=True)
class CaseFacts:
    """What the measures need of one case; dates are local (Europe/London) calendar dates."""

    area: str
    law: str  # "public" (s31 care and supervision), "epo", "pl_other" (other public law) or "private"
    issued: date | None
    disposed: date | None
    children: int
    hearings_taken_place: int
    plo_hearings: tuple[date | None, ...]  # the latest of each PLO milestone's type, in PLO_MILESTONES order
    final_order: date | None
    vacated: tuple[tuple[date, str], ...]  # (hearing date, agency blamed)
    #: closed, or every child given an outcome: no longer open from this date, even without a final disposal
    ended: date | None = None
    #: court transfers: (date, the DFJ area from that date), oldest first; ``area`` holds before the first
    moves: tuple[tuple[date, str], ...] = ()
    orders: tuple[tuple[date, str, int], ...] = ()  # final orders: (made on, ORDER_MIX category, children)

    def as_json(self) -> dict[str, Any]:
        """The facts as JSON (what ``from_json`` reads), field by field: no generic deep copy."""
        day = _day_json
        return {
            "area": self.area,
            "law": self.law,
            "issued": day(self.issued),
            "disposed": day(self.disposed),
            "children": self.children,
            "hearings_taken_place": self.hearings_taken_place,
            "plo_hearings": [day(d) for d in self.plo_hearings],
            "final_order": day(self.final_order),
            "vacated": [[d.isoformat(), agency] for d, agency in self.vacated],
            "ended": day(self.ended),
            "moves": [[d.isoformat(), area] for d, area in self.moves],
            "orders": [[d.isoformat(), kind, n] for d, kind, n in self.orders],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseFacts:
        day = _parse_day
        return cls(
            area=data["area"],
            law=data["law"],
            issued=day(data["issued"]),
            disposed=day(data["disposed"]),
            children=data["children"],
            hearings_taken_place=data["hearings_taken_place"],
            plo_hearings=tuple(day(d) for d in data["plo_hearings"]),
            final_order=day(data["final_order"]),
            vacated=tuple((date.fromisoformat(d), agency) for d, agency in data["vacated"]),
            ended=day(data.get("ended")),
            moves=tuple((date.fromisoformat(d), area) for d, area in data.get("moves", ())),
            orders=tuple((date.fromisoformat(d), kind, n) for d, kind, n in data.get("orders", ())),
        )

    def area_on(self, day: date) -> str:
        """The DFJ area the case counted in on ``day`` (the court transfers decide)."""
        area = self.area
        for moved_on, to in self.moves:
            if moved_on <= day:
                area = to
        return area

    @property
    def left(self) -> date | None:
        """The day the case stopped being open: its first final disposal, or its end without one."""
        return min(filter(None, (self.disposed, self.ended)), default=None)


def _day_json(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def facts_of(case: Case | Any) -> CaseFacts:
    """The facts of a case as its columns and child and hearing rows hold them now (a ``Case``, or what
    ``signals.cases_inserted`` sends, which reads the same)."""
    latest: dict[str, date] = {}  # PLO hearing type -> its latest day (not vacated)
    vacated = []
    taken_place = 0
    for h in case.hearings:
        taken_place += h.status in HEARINGS_TAKEN_PLACE
        if not h.starts_at:
            continue
        day = h.starts_at.astimezone(clock.LONDON).date()
        if h.status == "vacated":
            vacated.append((day, h.cancellation_agency or NOT_RECORDED))
        elif h.type in _PLO_TYPES and (h.type not in latest or day > latest[h.type]):
            latest[h.type] = day
    document = case.document or {}
    transfers = document.get("transfers") or []
    return CaseFacts(
        area=(transfers[0]["from_dfj_area"] if transfers else case.dfj_area) or "",
        law=_law(case.law, document.get("orders_sought") or ()),
        issued=case.date_issued,
        disposed=case.first_disposal_date,
        children=len(case.children),
        hearings_taken_place=taken_place,
        plo_hearings=tuple(latest.get(hearing_type) for _, hearing_type, _ in PLO_MILESTONES),
        final_order=_private_end(case),
        vacated=tuple(sorted(vacated)),
        ended=_ended(case),
        moves=tuple((date.fromisoformat(t["on"]), t["dfj_area"]) for t in transfers),
        orders=tuple(
            sorted(
                (
                    date.fromisoformat(o["made_on"]),
                    o["type"] if o["type"] in ORDER_MIX else "OTHER",
                    len(o.get("child_ids") or ()),
                )
                for o in document.get("orders_made") or ()
                if not o.get("interim") and o["type"] not in NOT_FINAL
            )
        ),
    )


def _law(law: str, orders_sought: Iterable[str]) -> str:
    """The FCSQ class of a case: s31 care and supervision ("public"), EPO only, other public law, private."""
    if law != "public":
        return law
    sought = set(orders_sought)
    if sought & S31_ORDERS:
        return "public"
    return "epo" if "EMERGENCY_PROTECTION_ORDER" in sought else "pl_other"


def _ended(case: Case) -> date | None:
    """When a case ended, disposed or not: its closure date; else, once every child has an outcome
    (consolidated and housekeeping too) or the case is closed, its last outcome date; a case closed with
    neither date was never open."""
    if case.closed_date is not None:
        return case.closed_date
    decided = [c.outcome_date for c in case.children if c.outcome and c.outcome_date]
    if case.state == CLOSED_STATE:
        return max(decided, default=case.date_issued)
    if case.children and len(decided) == len(case.children):
        return max(decided)
    return None


def _private_end(case: Case) -> date | None:
    """FCSQ's private-law end point: the day the last child's final disposal came, when a final order was
    among them (a case withdrawn or refused for every child has no time to final order)."""
    children = case.children
    if not children or not all(c.outcome in DEFINITIVE_OUTCOMES and c.outcome_date for c in children):
        return None
    if not any(c.outcome == "FINAL_ORDER" for c in children):
        return None
    return max(c.outcome_date for c in children if c.outcome_date is not None)


def age_band(days: int) -> str:
    for category, upper in AGE_BANDS:
        if upper is None or days <= upper:
            return category
    raise AssertionError("the last band is open-ended")


def _open_states(facts: CaseFacts, month: int) -> set[tuple[str, str, str]]:
    """The (scope, measure, category) stock states of a case open at the end of ``month``."""
    assert facts.issued is not None
    end = month_end(month)
    age = (end - facts.issued).days
    states = {("open", ""), ("open_age", age_band(age))}
    for (measure, _, limit), held in zip(PLO_MILESTONES, facts.plo_hearings, strict=True):
        if ((held - facts.issued).days if held else age) > limit:
            states.add((measure, ""))
    scopes = [s for s in (facts.area_on(end), NATIONAL) if s]
    return {(scope, measure, category) for scope in scopes for measure, category in states}


#: a day past each age (in days) past which a case open at a month's end may change stock state: an age band
#: ends or a PLO milestone's limit passes (``_stock_changes`` looks only at the months where one is crossed)
_STATE_TURNS = tuple(
    timedelta(days=age + 1)
    for age in sorted({upper for _, upper in AGE_BANDS if upper is not None} | {m[2] for m in PLO_MILESTONES})
)


def _stock_changes(facts: CaseFacts) -> Iterator[tuple[int, str, str, str, int]]:
    """(month, scope, measure, category, +1/-1): the case entering and leaving each stock state, month by
    month, in its DFJ area at each month's end and nationally.

    After ``OVER_100_WEEKS_DAYS`` (and the last transfer) every state is fixed, so the changes end there.
    Between its first month and then the states change only in the month its age at the month's end first
    passes an age of ``_STATE_TURNS`` or in a transfer's month, so only those months are looked at: the
    other months would yield nothing.
    """
    issued = facts.issued
    assert issued is not None
    first = month_of(issued)
    leaves = month_of(facts.left) if facts.left else None
    moved = [month_of(day) for day, _ in facts.moves]
    settled = max([month_of(issued + timedelta(days=OVER_100_WEEKS_DAYS + 1)), *moved])
    stop = settled + 1 if leaves is None else min(leaves, settled + 1)
    # month_end(m) - issued > age exactly when m >= month_of(issued + age + 1 day)
    turns = {first, *moved, *(month_of(issued + turn) for turn in _STATE_TURNS)}
    before: set[tuple[str, str, str]] = set()
    for month in sorted(m for m in turns if first <= m < stop):
        now = _open_states(facts, month)
        for scope, measure, category in before - now:
            yield month, scope, measure, category, -1
        for scope, measure, category in now - before:
            yield month, scope, measure, category, 1
        before = now
    if leaves is not None and leaves >= first:
        for scope, measure, category in before:
            yield leaves, scope, measure, category, -1


def contributions(facts: CaseFacts | None) -> dict[tuple[Key, str], int]:
    """What one case adds to ``metric_counts``: {(key, "n" or "total"): amount}, for its area and national
    (a plain dict: it pickles and unpickles in C; ``Counter.update`` takes it as it takes a ``Counter``)."""
    out: dict[tuple[Key, str], int] = {}
    if facts is None or facts.issued is None:
        return out
    law, issued = facts.law, facts.issued
    get = out.get
    # the scopes of a case never transferred, found once
    fixed = None if facts.moves else tuple(s for s in (facts.area, NATIONAL) if s)
    # what each flow measure adds: (measure, day, n, total, category, weeks)
    flows = [("started", issued, 1, facts.children, "", 0)]
    if law == "private":
        if facts.final_order:
            days = max(0, (facts.final_order - issued).days)
            flows.append(("final_order", facts.final_order, 1, 0, "", days // 7))
    elif law == "public":  # EPO and other public-law applications count only as started (FCSQ)
        if facts.disposed:
            days = max(0, (facts.disposed - issued).days)
            flows.append(("disposed", facts.disposed, 1, int(days <= WITHIN_26_WEEKS_DAYS), "", days // 7))
            flows.append(("hearings", facts.disposed, facts.hearings_taken_place, 0, "", 0))
        flows += [("vacated", day, 1, 0, agency, 0) for day, agency in facts.vacated]
        flows += [("order_mix", day, children, 0, category, 0) for day, category, children in facts.orders]
    for measure, day, n, total, category, weeks in flows:
        month = month_of(day)
        for scope in fixed or [s for s in (facts.area_on(day), NATIONAL) if s]:
            key = (scope, law, measure, month, category, weeks)
            out[key, "n"] = get((key, "n"), 0) + n
            out[key, "total"] = get((key, "total"), 0) + total
    if law == "public":
        for month, scope, measure, category, change in _stock_changes(facts):
            key = (scope, law, measure, month, category, 0)
            out[key, "n"] = get((key, "n"), 0) + change
    return out


def _rows(deltas: Counter[tuple[Key, str]]) -> list[dict[str, Any]]:
    merged: dict[Key, list[int]] = {}
    for (key, field), amount in deltas.items():
        if amount:
            amounts = merged.get(key)
            if amounts is None:
                amounts = merged[key] = [0, 0]
            amounts[field == "total"] = amount
    # sorted, so that concurrent writers on PostgreSQL lock the rows in one order and never deadlock
    return [
        {
            "scope": scope,
            "law": law,
            "measure": measure,
            "month": month,
            "category": category,
            "weeks": weeks,
            "n": n,
            "total": total,
        }
        for (scope, law, measure, month, category, weeks), (n, total) in sorted(merged.items())
    ]


def add_counts(connection: Connection, deltas: Counter[tuple[Key, str]]) -> None:
    """Add ``deltas`` to ``metric_counts`` (an upsert: SQLite and PostgreSQL share the ON CONFLICT form)."""
    rows = _rows(deltas)
    if rows:
        insert_many(connection, _adding(connection), rows)


#: ``add_counts``' upsert, made once for each dialect (``insert_many`` keeps its rendering by it)
_ADDING: dict[str, Insert] = {}


def _adding(connection: Connection) -> Insert:
    dialect = connection.dialect.name
    if dialect not in _ADDING:
        table = MetricCount.__table__
        statement = upsert(connection, table)
        _ADDING[dialect] = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={"n": table.c.n + statement.excluded.n, "total": table.c.total + statement.excluded.total},
        )
    return _ADDING[dialect]


def _subtract(
    new: Mapping[tuple[Key, str], int], old: Mapping[tuple[Key, str], int]
) -> Counter[tuple[Key, str]]:
    difference = Counter(new)
    for key, amount in old.items():
        difference[key] -= amount
    return difference


def _track_cases(session: Session, _context: Any, _instances: Any) -> None:
    changed = [o for o in session.new if isinstance(o, Case)]
    changed += [o for o in session.dirty if isinstance(o, Case) and session.is_modified(o)]
    deleted = [o for o in session.deleted if isinstance(o, Case)]
    if not changed and not deleted:
        return
    deltas: Counter[tuple[Key, str]] = session.info.setdefault(_DELTAS, Counter())
    with session.no_autoflush:
        for case in changed + deleted:
            stored = None if case in session.new else session.get(MetricCaseFacts, case.id)
            old = CaseFacts.from_json(stored.facts) if stored is not None else None
            new = None if case in deleted else facts_of(case)
            if old == new:
                continue
            deltas.update(_subtract(contributions(new), contributions(old)))
            if new is None:
                continue  # the facts row goes with the case (ON DELETE CASCADE)
            if stored is None:
                session.add(MetricCaseFacts(case=case, facts=new.as_json()))
            else:
                stored.facts = new.as_json()


def _apply_deltas(session: Session, _context: Any) -> None:
    deltas = session.info.pop(_DELTAS, None)
    if deltas:
        add_counts(session.connection(), deltas)


def _drop_deltas(session: Session) -> None:
    session.info.pop(_DELTAS, None)


def _ahead(case: Any) -> tuple[str, dict[tuple[Key, str], int]]:
    """A new case's facts as the JSON text their column holds (``json.dumps``: a checking process encodes
    them, not the storing process) and contributions (a plain dict); both unpickle in C in the storing
    process (a ``Counter`` would go through its Python constructor)."""
    facts = facts_of(case)
    return json.dumps(facts.as_json()), contributions(facts)


def _track_built(_sender: Any, *, case: Any, ahead: dict[str, Any], **_: Any) -> None:
    """A case built as a new one (``signals.case_built``), perhaps in a checking process: its facts and
    contributions are worked out now, not in the process that stores it."""
    ahead[_AHEAD] = _ahead(case)


def _track_inserted(_sender: Any, *, session: Session, cases: Iterable[Any], **_: Any) -> None:
    """The facts and counts of cases inserted without the ORM (``signals.cases_inserted``), in one
    multi-row insert and one upsert; each case's as worked out when it was built, if they were."""
    deltas: Counter[tuple[Key, str]] = Counter()
    facts_rows = []
    for case in cases:
        ahead = getattr(case, "ahead", None) or {}
        facts, contributed = ahead[_AHEAD] if _AHEAD in ahead else _ahead(case)
        deltas.update(contributed)
        facts_rows.append({"case_id": case.id, "facts": EncodedJSON(facts)})
    if facts_rows:
        connection = session.connection()
        insert_many(connection, MetricCaseFacts.__table__, facts_rows)
        add_counts(connection, deltas)


_LISTENERS = (
    ("before_flush", _track_cases),
    ("after_flush_postexec", _apply_deltas),
    ("after_rollback", _drop_deltas),
)


def listen() -> None:
    """Keep the counts in step with every session's case changes (``exchange.metrics.init_app`` calls it)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    signals.case_built.connect(_track_built)
    signals.cases_inserted.connect(_track_inserted)


def rebuild(session: Session, batch: int = 2000) -> int:
    """Recompute every case's facts and all the counts from the cases; the number of cases read."""
    connection = session.connection()
    connection.execute(delete(MetricCount))
    connection.execute(delete(MetricCaseFacts))
    totals: Counter[tuple[Key, str]] = Counter()
    seen = 0
    for cases in _batches(session, batch):
        facts_rows = []
        for case in cases:
            facts = facts_of(case)
            totals.update(contributions(facts))
            facts_rows.append({"case_id": case.id, "facts": facts.as_json()})
        insert_many(connection, MetricCaseFacts.__table__, facts_rows)
        seen += len(cases)
        session.expunge_all()
    add_counts(connection, totals)
    return seen


def _batches(session: Session, size: int) -> Iterable[list[Case]]:
    last = None
    while True:
        query = select(Case).order_by(Case.id).limit(size)
        if last is not None:
            query = query.where(Case.id > last)
        cases = list(session.scalars(query))
        if not cases:
            return
        yield cases
        last = cases[-1].id
