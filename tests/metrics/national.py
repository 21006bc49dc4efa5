"""The demo's synthetic national data, stored fast: for the attacker tests and ``benchmarks/metrics.py``.

Cases are not sent through the intake pipeline (that would take hours at full scale): each is turned
into its stored form by the case store's own ``build_document`` and ``_fill_columns``, its metric facts
by ``aggregates.facts_of``, and the rows are bulk-inserted (cases and the monthly pre-aggregates; child
and hearing rows are left out: no measure reads them once the facts are counted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from exchange.demo import Generator, create_partners
from exchange.metrics import aggregates
from exchange.models import Case
from exchange.reference import Reference
from exchange.store import cases as case_store


def synthetic(
    reference: Reference, seed: int, years: int, today: date, scale: float
) -> Iterator[tuple[dict[str, Any], aggregates.CaseFacts]]:
    """(case row, its metric facts) for every synthetic case of the demo's generator, without its transfers
    between areas: the attacker of ``tests.metrics.attacker`` takes the stock-flow identity as exact (no
    case leaving an area's stock but by disposal), the strongest guess a reader can make, and right on
    these cases."""
    now = datetime.combine(today, datetime.min.time(), UTC)
    for _, data in Generator(seed, years, today, scale, reference, transfer_share=0).cases():
        case = Case(id=case_store.new_id(), org_id="", version=1, created_at=now, updated_at=now)
        document = case_store.build_document(case.id, data, None, reference)
        case_store._fill_columns(case, document)
        case.document = document  # what the facts read besides the columns (the orders sought, transfers)
        row = {c.name: getattr(case, c.key) for c in Case.__table__.columns} | {
            "document": {"synthetic": True}
        }
        yield row, aggregates.facts_of(case)


def store(session: Session, reference: Reference, rows: list[dict[str, Any]], totals: Counter) -> None:
    """Insert the case rows (each owned by its area's demo LA) and their summed contributions; commits."""
    _, submitters = create_partners(session, reference)
    org_of = {area: org.id for area, (org, _) in submitters.items()}
    fallback = next(iter(org_of.values()))
    for start in range(0, len(rows), 5000):
        chunk = [r | {"org_id": org_of.get(r["dfj_area"], fallback)} for r in rows[start : start + 5000]]
        session.execute(insert(Case.__table__), chunk)
    aggregates.add_counts(session.connection(), totals)
    session.commit()


def load(session: Session, reference: Reference, seed: int, years: int, today: date, scale: float) -> int:
    """Generate and store the demo's data at ``scale``; the number of cases."""
    rows, totals = [], Counter()
    for row, facts in synthetic(reference, seed, years, today, scale):
        rows.append(row)
        totals.update(aggregates.contributions(facts))
    store(session, reference, rows, totals)
    return len(rows)
