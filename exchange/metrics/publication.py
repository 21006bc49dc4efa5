"""The protected publication: every board figure, decided once, stored, and read by each request.

``publish`` computes every measure of every scope over the calendar (whole years from the first month
with data to the current year, by month, quarter and year), protects the whole table at once
(``exchange.metrics.relations``, ``exchange.metrics.disclosure``) and replaces the stored publication in
one transaction, so a reader sees the old one or the new one, never a mix. Each stored row holds the
cells of one measure, area and period, already rendered as JSON and as CSV, so a request only reads rows
and joins them: its work is bounded by the rows it asks for, whatever the size of the data.

The worker (``exchange.worker``) calls ``refresh``: when the data's state (``source_state``) differs
from the one the publication was made from, and has stopped changing for a quiet spell, it publishes
again. The pre-aggregates (``exchange.metrics.aggregates``) are already kept up to date case by case; the
protection is decided again over the whole table, because suppression is one decision for everything.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from exchange.db import utcnow
from exchange.metrics import disclosure, relations
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import MEASURES, compute, scopes
from exchange.metrics.periods import Period, month_of
from exchange.metrics.report import COLUMNS, csv_safe
from exchange.models import AdviceRequest, Case, MetricCount, PreProceedings
from exchange.models.advice import Advice
from exchange.models.metrics import MetricPublication, MetricPublicationCell

POSITION = {name: n for n, name in enumerate(MEASURES)}
_BATCH = 5000
_LOCK_KEY = 0x6D657472  # the PostgreSQL advisory lock of publishing


def source_state(session: Session, today: date | None = None) -> str:
    """What the figures depend on, cheaply: the rows and latest change of each source, and the year."""
    parts = [
        session.execute(select(func.count(), func.max(Case.updated_at))).one(),
        session.execute(select(func.count(), func.max(AdviceRequest.updated_at))).one(),
        session.execute(select(func.count(), func.max(Advice.answered_at))).one(),
        session.execute(select(func.count(), func.max(PreProceedings.start_date))).one(),
        ((today or date.today()).year,),
    ]
    return "|".join(",".join(str(v) for v in row) for row in parts)


def _first_month(session: Session, today: date) -> int:
    firsts = [
        session.scalar(select(func.min(MetricCount.month))),
        session.scalar(select(func.min(AdviceRequest.created_at))),
        session.scalar(select(func.min(PreProceedings.start_date))),
    ]
    months = [f if isinstance(f, int) else month_of(f) for f in firsts if f is not None]
    return min([*months, month_of(today) - 12])


def build(
    session: Session, today: date | None = None
) -> tuple[relations.Publication, set[int], list[Period]]:
    """Every figure of the calendar, with the variables protection hides."""
    today = today or date.today()
    calendar = relations.calendar(_first_month(session, today), month_of(today))
    raws = []
    for periods in calendar.values():
        by_label = {p.label: p for p in periods}
        raws += [(by_label[raw.period], raw) for raw in compute(session, periods)]
    areas = [s for s in scopes() if s != NATIONAL]
    publication = relations.build(raws, areas, [p.key for p in calendar["month"]])
    return publication, disclosure.protect(publication.table), calendar["month"]


def publish(session: Session, today: date | None = None, source: str | None = None) -> MetricPublication:
    """Make the publication again from the data as it is, and store it (commits)."""
    started = time.perf_counter()
    source = source or source_state(session, today)
    publication, hidden, months = build(session, today)
    rows: dict[tuple[str, str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for period, raw in publication.raws:
        rows[period.kind, raw.area, period.key, POSITION[raw.measure]].append(
            publication.cell(period, raw, hidden)
        )
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # two workers publishing at once take turns
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    connection.execute(delete(MetricPublicationCell))
    batch = []
    for (kind, area, key, position), cells in rows.items():
        batch.append(
            {
                "kind": kind,
                "area": area,
                "period": key,
                "position": position,
                "measure": cells[0]["measure"],
                "json": ",".join(json.dumps(c, separators=(",", ":")) for c in cells),
                "csv": _csv_rows(cells),
            }
        )
        if len(batch) == _BATCH:
            connection.execute(insert(MetricPublicationCell), batch)
            batch = []
    if batch:
        connection.execute(insert(MetricPublicationCell), batch)
    state = session.get(MetricPublication, 1) or MetricPublication(id=1)
    state.published_at = utcnow()
    state.first_month, state.last_month = months[0].key, months[-1].key
    state.source = source
    state.seconds = time.perf_counter() - started
    session.add(state)
    session.commit()
    return state


def _csv_rows(cells: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([csv_safe(c[name]) for name in COLUMNS] for c in cells)
    return out.getvalue()


def current(session: Session) -> MetricPublication | None:
    return session.get(MetricPublication, 1)


def refresh(session: Session, today: date | None = None) -> MetricPublication | None:
    """Publish again when the data has changed since the current publication; None when it has not."""
    source = source_state(session, today)
    state = current(session)
    if state is not None and state.source == source:
        session.rollback()
        return None
    return publish(session, today, source)


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
