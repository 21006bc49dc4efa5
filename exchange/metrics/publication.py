"""The protected publication: every board figure, decided once, stored, and read by each request.

``publish`` computes every measure of every scope over the calendar (whole years from the first month
with data, at most ``YEARS`` years back, to the current year, by month, quarter and year), protects the
whole table at once (``exchange.metrics.relations``, ``exchange.metrics.disclosure``) and replaces the
stored publication in one transaction, so a reader sees the old one or the new one, never a mix. Each
stored row holds the cells of one measure, area and period, already rendered as JSON and as CSV, so a
request only reads rows and joins them: its work is bounded by the rows it asks for, whatever the size
of the data.

The worker (``exchange.worker``) publishes again when the data's state (``source_state``) differs
from the one the publication was made from and has stopped changing for a quiet spell (debounced). The
pre-aggregates (``exchange.metrics.aggregates``) are already kept up to date case by case; the protection
starts from the previous publication's (``disclosure.protection``): its hidden cells are carried forward,
only the blocks whose cells changed are solved again, and the audit of the whole table answers every
unchanged block from before. That previous protection is kept in the publishing process, for the
publication it made (a restarted worker, or one whose peer published since, protects from scratch). The
stored rows are then brought up to date incrementally: only the rows whose rendered text changed are
written.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from exchange import clock, csv_out
from exchange.db import serialize
from exchange.metrics import disclosure, relations
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import MEASURES, compute, scopes
from exchange.metrics.periods import Period, month_of
from exchange.metrics.report import COLUMNS
from exchange.models import AdviceRequest, Case, MetricCount, PreProceedings
from exchange.models.advice import Advice
from exchange.models.metrics import MetricPublication, MetricPublicationCell
from exchange.reference import Reference

POSITION = {name: n for n, name in enumerate(MEASURES)}
_BATCH = 5000
#: the calendar reaches back to January this many years before the current year (at least 60 whole months
#: before today, the longest request); older figures are not published
YEARS = 5
_LOCK_KEY = 0x6D657472  # the PostgreSQL advisory lock of publishing: two workers take turns
#: database -> (the stored publication's stamp, its protection): what the next publication starts from
_PREVIOUS: dict[str, tuple[tuple[Any, ...], disclosure.Protection]] = {}


def source_state(session: Session, today: date | None = None) -> str:
    """What the figures depend on, cheaply: the rows and latest change of each source, and the year."""
    parts = [
        session.execute(select(func.count(), func.max(Case.updated_at))).one(),
        session.execute(select(func.count(), func.max(AdviceRequest.updated_at))).one(),
        session.execute(select(func.count(), func.max(Advice.answered_at))).one(),
        session.execute(select(func.count(), func.max(PreProceedings.start_date))).one(),
        ((today or clock.today()).year,),
    ]
    return "|".join(",".join(str(v) for v in row) for row in parts)


def _first_month(session: Session, today: date) -> int:
    """The calendar's first month: the first with data, but no earlier than ``YEARS`` whole years back."""
    firsts = [
        session.scalar(select(func.min(MetricCount.month))),
        session.scalar(select(func.min(AdviceRequest.created_at))),
        session.scalar(select(func.min(PreProceedings.start_date))),
    ]
    months = [f if isinstance(f, int) else month_of(f) for f in firsts if f is not None]
    return max(min([*months, month_of(today) - 12]), (today.year - YEARS) * 12)


def build(
    session: Session,
    reference: Reference,
    today: date | None = None,
    previous: disclosure.Protection | None = None,
) -> tuple[relations.Publication, disclosure.Protection, list[Period]]:
    """Every figure of the calendar, and its protection (from ``previous``'s where given)."""
    today = today or clock.today()
    calendar = relations.calendar(_first_month(session, today), month_of(today))
    raws = []
    for periods in calendar.values():
        by_label = {p.label: p for p in periods}
        raws += [(by_label[raw.period], raw) for raw in compute(session, periods, reference)]
    areas = [s for s in scopes(reference) if s != NATIONAL]
    publication = relations.build(raws, areas, [p.key for p in calendar["month"]])
    return publication, disclosure.protection(publication.table, previous), calendar["month"]


def publish(
    session: Session, reference: Reference, today: date | None = None, source: str | None = None
) -> MetricPublication:
    """Make the publication again from the data as it is, and store what changed (commits)."""
    started = time.perf_counter()
    source = source or source_state(session, today)
    publication, protection, months = build(session, reference, today, last_protection(session))
    hidden = protection.hidden
    grouped: dict[tuple[str, str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for period, raw in publication.raws:
        grouped[period.kind, raw.area, period.key, POSITION[raw.measure]].append(
            publication.cell(period, raw, hidden)
        )
    fresh = {
        key: ",".join(json.dumps(c, separators=(",", ":")) for c in cells) for key, cells in grouped.items()
    }
    serialize(session, _LOCK_KEY)
    t = MetricPublicationCell.__table__
    stored = {
        (row.kind, row.area, row.period, row.position): row.json
        for row in session.execute(select(t.c.kind, t.c.area, t.c.period, t.c.position, t.c.json))
    }
    gone = [key for key in stored if key not in fresh]
    changed = [key for key, text in fresh.items() if key in stored and stored[key] != text]
    added = [key for key in fresh if key not in stored]
    connection = session.connection()
    for start in range(0, len(gone), _BATCH):
        keys = gone[start : start + _BATCH]
        connection.execute(delete(t).where(tuple_(t.c.kind, t.c.area, t.c.period, t.c.position).in_(keys)))
    if changed:
        connection.execute(
            update(t)
            .where(
                t.c.kind == bindparam("k"),
                t.c.area == bindparam("a"),
                t.c.period == bindparam("p"),
                t.c.position == bindparam("n"),
            )
            .values(json=bindparam("j"), csv=bindparam("c")),
            [
                {"k": k[0], "a": k[1], "p": k[2], "n": k[3], "j": fresh[k], "c": _csv_rows(grouped[k])}
                for k in changed
            ],
        )
    rows = [
        {
            "kind": key[0],
            "area": key[1],
            "period": key[2],
            "position": key[3],
            "measure": grouped[key][0]["measure"],
            "json": fresh[key],
            "csv": _csv_rows(grouped[key]),
        }
        for key in added
    ]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(t), rows[start : start + _BATCH])
    state = session.get(MetricPublication, 1) or MetricPublication(id=1)
    state.published_at = clock.now()
    state.first_month, state.last_month = months[0].key, months[-1].key
    state.source = source
    state.seconds = time.perf_counter() - started
    session.add(state)
    session.commit()
    _PREVIOUS[_database(session)] = (_stamp(state), protection)
    return state


def _stamp(state: MetricPublication | None) -> tuple[Any, ...] | None:
    """What tells one stored publication from another (the time it took is as good as unique)."""
    return None if state is None else (state.source, state.seconds, state.first_month, state.last_month)


def last_protection(session: Session) -> disclosure.Protection | None:
    """The protection of the stored publication, if this process made it (what the next one starts from)."""
    stamp, protection = _PREVIOUS.get(_database(session), (None, None))
    return protection if stamp is not None and stamp == _stamp(current(session)) else None


def _database(session: Session) -> str:
    return session.get_bind().url.render_as_string()


def _csv_rows(cells: Iterable[dict[str, Any]]) -> str:
    return "".join(csv_out.row_lines([c[name] for name in COLUMNS] for c in cells))


def current(session: Session) -> MetricPublication | None:
    return session.get(MetricPublication, 1)


def rows(
    session: Session, periods: Sequence[Period], areas: Iterable[str], measures: Iterable[str] | None = None
) -> list[MetricPublicationCell]:
    """The stored rows of ``areas`` and ``measures`` (default: all) over ``periods`` (one kind)."""
    t = MetricPublicationCell.__table__
    query = select(t.c.json, t.c.csv).where(
        t.c.kind == periods[0].kind,
        t.c.period.between(periods[0].key, periods[-1].key),
        t.c.area.in_(list(areas)),
    )
    if measures is not None and set(measures) != set(MEASURES):
        query = query.where(t.c.measure.in_(list(measures)))
    return list(session.execute(query.order_by(t.c.kind, t.c.area, t.c.period, t.c.position)))


def cells(
    session: Session, periods: Sequence[Period], areas: Iterable[str], measures: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The published cells, as dicts (for the pack and the tests; the API sends the stored text)."""
    return json.loads("[" + ",".join(r.json for r in rows(session, periods, areas, measures)) + "]")


def published_at(state: MetricPublication) -> str:
    return _iso(state.published_at)


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")
