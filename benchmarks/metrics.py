"""One DFJ area's full quarterly pack over a 10-year national data set, on SQLite and PostgreSQL.

Data: the demo's synthetic generator at the full national volume (16,000 care and 50,000 private-law
cases a year, 10 years: about 660,000 cases). For the benchmark only, cases are not sent through the
intake pipeline (that would take hours): each is turned into its stored form by the case store's own
``build_document`` and ``_fill_columns``, its metric facts by ``aggregates.facts_of``, and the rows are
bulk-inserted (cases and the monthly pre-aggregates; child and hearing rows are left out: no measure
reads them at query time). The figure: the time to compute the pack (every measure for the area and
national over five quarters, disclosure control over the whole table, the HTML with its charts).

Baseline, in the same run: DuckDB computing the same measures for the area and national over the same
per-case facts and vacated hearings exported to Parquet (no pre-aggregation: it scans).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert

from benchmarks._harness import exchange, postgres_available, report
from exchange import create_app, reference
from exchange.db import db
from exchange.demo import Generator, create_partners
from exchange.metrics import aggregates, pack
from exchange.metrics.periods import month_start, parse_quarter
from exchange.models import Case
from exchange.store import cases as case_store

YEARS = int(os.environ.get("EXCHANGE_BENCH_YEARS", "10"))  # fewer only to try the benchmark out
SEED, TODAY, NOW = 2024, date(2025, 7, 1), datetime(2025, 7, 1, tzinfo=UTC)
AREA, QUARTER = "BIRMINGHAM", "2025Q1"
RUNS = 7
REFERENCE = reference.load()


def generate() -> tuple[list[dict], Counter, list[dict], list[dict]]:
    """Case rows, their summed contributions, and the per-case facts and vacated hearings for Parquet."""
    rows, facts_rows, vacated = [], [], []
    totals: Counter = Counter()
    for _, data in Generator(SEED, YEARS, TODAY, 1.0, REFERENCE).cases():
        case = Case(id=case_store.new_id(), org_id="", version=1, created_at=NOW, updated_at=NOW)
        document = case_store.build_document(case.id, data, None, REFERENCE)
        case_store._fill_columns(case, document)
        facts = aggregates.facts_of(case)
        totals.update(aggregates.contributions(facts))
        rows.append(
            {c.name: getattr(case, c.key) for c in Case.__table__.columns} | {"document": {"synthetic": True}}
        )
        facts_rows.append(
            {
                "area": facts.area,
                "law": facts.law,
                "issued": facts.issued,
                "disposed": facts.disposed,
                "children": facts.children,
                "held": facts.hearings_taken_place,
                "cmh": facts.plo_hearings[0],
                "irh": facts.plo_hearings[1],
                "final": facts.plo_hearings[2],
                "final_order": facts.final_order,
            }
        )
        vacated += [{"area": facts.area, "law": facts.law, "day": d, "agency": a} for d, a in facts.vacated]
    return rows, totals, facts_rows, vacated


def load(url: str, rows: list[dict], totals: Counter) -> None:
    app = create_app({"database_url": url})
    with app.app_context():
        _, submitters = create_partners(db.session, REFERENCE)
        org_of = {area: org.id for area, (org, _) in submitters.items()}
        fallback = next(iter(org_of.values()))
        for start in range(0, len(rows), 5000):
            chunk = [r | {"org_id": org_of.get(r["dfj_area"], fallback)} for r in rows[start : start + 5000]]
            db.session.execute(insert(Case.__table__), chunk)
        aggregates.add_counts(db.session.connection(), totals)
        db.session.commit()


def time_pack(url: str) -> float:
    app = create_app({"database_url": url})
    quarter = parse_quarter(QUARTER)
    with app.test_request_context():
        pack.render_html(db.session, AREA, quarter, REFERENCE)  # warm-up: templates, statement cache
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            pack.render_html(db.session, AREA, quarter, REFERENCE)
            times.append(time.perf_counter() - start)
        db.session.remove()
    return statistics.median(times) * 1000


DUCKDB_QUERY = """
WITH q(label, first, last) AS (VALUES {quarters}),
scoped AS (SELECT *, area AS scope FROM cases WHERE area = $area UNION ALL SELECT *, 'national' FROM cases),
started AS (SELECT scope, label, law, count(*) n, sum(children) c
            FROM scoped JOIN q ON issued BETWEEN first AND last
            GROUP BY ALL),
disposed AS (SELECT scope, label, count(*) n, sum((disposed - issued) // 7) w,
             sum(CASE WHEN disposed - issued <= 182 THEN 1 ELSE 0 END) within_26, sum(held) h,
             quantile_disc((disposed - issued) // 7, 0.5) med
             FROM scoped JOIN q ON disposed BETWEEN first AND last WHERE law = 'public' GROUP BY ALL),
orders AS (SELECT scope, label, count(*) n, sum((final_order - issued) // 7) w
           FROM scoped JOIN q ON final_order BETWEEN first AND last WHERE law = 'private' GROUP BY ALL),
open AS (SELECT scope, label, count(*) n,
         count(*) FILTER (WHERE last - issued > 700) over_100,
         count(*) FILTER (WHERE last - issued <= 182) b1,
         count(*) FILTER (WHERE last - issued > 182 AND last - issued <= 364) b2,
         count(*) FILTER (WHERE last - issued > 364 AND last - issued <= 546) b3,
         count(*) FILTER (WHERE last - issued > 546 AND last - issued <= 700) b4,
         count(*) FILTER (WHERE coalesce(cmh - issued, last - issued) > 24) cmh,
         count(*) FILTER (WHERE coalesce(irh - issued, last - issued) > 140) irh,
         count(*) FILTER (WHERE coalesce(final - issued, last - issued) > 182) fin
         FROM scoped JOIN q ON issued <= last AND (disposed IS NULL OR disposed > last)
         WHERE law = 'public' GROUP BY ALL),
vac AS (SELECT v.scope, label, agency, count(*) n
        FROM (SELECT *, area AS scope FROM vacated WHERE area = $area
              UNION ALL SELECT *, 'national' FROM vacated) v
        JOIN q ON day BETWEEN first AND last WHERE law = 'public' GROUP BY ALL)
SELECT (SELECT count(*) FROM started), (SELECT count(*) FROM disposed), (SELECT count(*) FROM orders),
       (SELECT count(*) FROM open), (SELECT count(*) FROM vac)
"""


def time_duckdb(facts_rows: list[dict], vacated: list[dict], workdir: Path) -> float:
    pq.write_table(pa.Table.from_pylist(facts_rows), workdir / "cases.parquet")
    pq.write_table(pa.Table.from_pylist(vacated), workdir / "vacated.parquet")
    con = duckdb.connect()
    for name in ("cases", "vacated"):  # a temporary file of this run, not input
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{workdir / name}.parquet'")  # noqa: S608
    quarter = parse_quarter(QUARTER)
    periods = [quarter.shifted(-n) for n in range(4, -1, -1)]
    values = ", ".join(f"('{p}', DATE '{month_start(p.first_month)}', DATE '{p.end}')" for p in periods)
    query = DUCKDB_QUERY.format(quarters=values)
    con.execute(query, {"area": AREA}).fetchall()  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        con.execute(query, {"area": AREA}).fetchall()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    started = time.perf_counter()
    rows, totals, facts_rows, vacated = generate()
    print(
        f"generated {len(rows):,} synthetic cases over {YEARS} years in {time.perf_counter() - started:.0f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        baseline = time_duckdb(facts_rows, vacated, Path(tmp))
    for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
        with exchange(kind) as ex:
            load(ex.database_url, rows, totals)
            figure = time_pack(ex.database_url)
        report(
            f"quarterly pack of {AREA} {QUARTER}, 10 years national, {kind}",
            figure,
            "ms",
            "DuckDB over Parquet, same measures",
            baseline,
        )


if __name__ == "__main__":
    main()
