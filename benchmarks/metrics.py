"""The board figures over a national data set, on SQLite and PostgreSQL, beside DuckDB.

Data: the demo's synthetic generator at the full national volume (16,000 care and 50,000 private-law
cases a year), ``EXCHANGE_BENCH_YEARS`` years (10 by default; the real number is printed in every
label), stored fast by ``tests.metrics.national`` (cases and the monthly pre-aggregates; no intake
pipeline). Figures:

- publishing from scratch (every measure, area and period protected at once, and stored);
- the quarterly pack of one area and the 60-month request of every measure for one area and national,
  both read from the publication (``publication.rows`` and the join the view sends);
- bringing the publication up to date after 1,000 changed cases (their pre-aggregate changes, then
  publishing again: the protection decided again, only the rows that changed written).

Baseline, in the same run: DuckDB computing the same measures for the same area and national over the
same per-case facts exported to Parquet (it scans; no pre-aggregation), for the pack's five quarters and
for the 60 months, returning every figure (so that no part of the query can be skipped). Before timing,
DuckDB's figures for the 60 months (counts, open-case stocks and age bands, the PLO counts, the mean and
the MoJ median) are checked equal to the exchange's own computation of the same cells.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._harness import exchange, postgres_available, report
from exchange import create_app, reference
from exchange.db import db
from exchange.metrics import aggregates, measures, pack, publication
from exchange.metrics.periods import Period, month_start, parse_quarter, periods_between
from tests.metrics import national

YEARS = int(os.environ.get("EXCHANGE_BENCH_YEARS", "10"))  # fewer only where ten take too long
SEED, TODAY = 2024, date(2025, 7, 1)
AREA, QUARTER = "BIRMINGHAM", "2025Q1"
RUNS = 7
CHANGED = 1000
REFERENCE = reference.load()
CHECKED = (
    "care_cases_started",
    "care_children_started",
    "care_cases_disposed",
    "care_mean_weeks",
    "care_median_weeks",
    "care_open_cases",
    "care_open_over_100_weeks",
    "care_open_age_profile",
    "plo_late_cmh",
    "plo_late_irh",
    "plo_late_final",
    "private_cases_started",
    "vacated_hearings_by_agency",
)


def generate() -> tuple[list[dict], Counter, list[aggregates.CaseFacts]]:
    rows, facts, totals = [], [], Counter()
    for row, fact in national.synthetic(REFERENCE, SEED, YEARS, TODAY, 1.0):
        rows.append(row)
        facts.append(fact)
        totals.update(aggregates.contributions(fact))
    return rows, totals, facts


def median_ms(action: Callable[[], Any]) -> float:
    action()  # warm-up: templates, statement cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def sixty_months() -> list[Period]:
    last = parse_quarter(QUARTER).last_month
    return periods_between("month", last - 59, last)


def time_exchange(
    url: str, rows: list[dict], totals: Counter, facts: list, verify: Callable[[dict], None]
) -> dict[str, float]:
    app = create_app({"database_url": url})
    out = {}
    with app.test_request_context():
        national.store(db.session, REFERENCE, rows, totals)
        months = sixty_months()
        verify(
            {
                (c.measure, c.area, c.period, c.category): c.value
                for c in measures.compute(db.session, months, REFERENCE, CHECKED)
                if c.area in (AREA, "national")
            }
        )
        start = time.perf_counter()
        state = publication.publish(db.session, REFERENCE, TODAY)
        out["publishing from scratch"] = (time.perf_counter() - start) * 1000
        quarter = parse_quarter(QUARTER)
        out[f"the pack of {AREA} {QUARTER}"] = median_ms(
            lambda: pack.render_html(db.session, AREA, quarter, REFERENCE, state)
        )
        out[f"60 months of every measure, {AREA} and national"] = median_ms(
            lambda: ",".join(r.json for r in publication.rows(db.session, months, [AREA, "national"]))
        )
        # 1,000 cases change (each disposal 30 days later): their pre-aggregate changes, then publishing
        changed = [f for f in facts if f.disposed][:CHANGED]
        start = time.perf_counter()
        deltas: Counter = Counter()
        for f in changed:
            deltas.update(aggregates.contributions(replace(f, disposed=f.disposed + timedelta(days=30))))
            deltas.subtract(aggregates.contributions(f))
        aggregates.add_counts(db.session.connection(), deltas)
        db.session.commit()
        publication.publish(db.session, REFERENCE, TODAY)
        out[f"bringing the publication up to date after {CHANGED:,} changed cases"] = (
            time.perf_counter() - start
        ) * 1000
        db.session.remove()
    return out


DUCKDB_QUERY = """
WITH p(label, first, last) AS (VALUES {periods}),
scoped AS (SELECT *, area AS scope FROM cases WHERE area = $area UNION ALL SELECT *, 'national' FROM cases),
flows AS (
  SELECT 'care_cases_started' m, scope, label, NULL cat, count(*)::DOUBLE v
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'public' GROUP BY ALL
  UNION ALL SELECT 'care_children_started', scope, label, NULL, sum(children)
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'public' GROUP BY ALL
  UNION ALL SELECT 'private_cases_started', scope, label, NULL, count(*)
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'private' GROUP BY ALL),
disposed AS (
  SELECT scope, label, count(*) n, sum((disposed - issued) // 7) w, median((disposed - issued) // 7) med,
         sum(CASE WHEN disposed - issued <= 182 THEN 1 ELSE 0 END) within_26, sum(held) h
  FROM scoped JOIN p ON disposed BETWEEN first AND last WHERE law = 'public' GROUP BY ALL),
orders AS (
  SELECT scope, label, count(*) n, sum((final_order - issued) // 7) w
  FROM scoped JOIN p ON final_order BETWEEN first AND last WHERE law = 'private' GROUP BY ALL),
open AS (
  SELECT scope, label, count(*) n,
         count(*) FILTER (WHERE last - issued <= 182) b1,
         count(*) FILTER (WHERE last - issued > 182 AND last - issued <= 364) b2,
         count(*) FILTER (WHERE last - issued > 364 AND last - issued <= 546) b3,
         count(*) FILTER (WHERE last - issued > 546 AND last - issued <= 700) b4,
         count(*) FILTER (WHERE last - issued > 700) b5,
         count(*) FILTER (WHERE coalesce(cmh - issued, last - issued) > 24) cmh,
         count(*) FILTER (WHERE coalesce(irh - issued, last - issued) > 140) irh,
         count(*) FILTER (WHERE coalesce(final - issued, last - issued) > 182) fin
  FROM scoped JOIN p ON issued <= last AND (disposed IS NULL OR disposed > last)
  WHERE law = 'public' GROUP BY ALL),
vac AS (
  SELECT v.scope, label, agency, count(*) n
  FROM (SELECT *, area AS scope FROM vacated WHERE area = $area UNION ALL SELECT *, 'national' FROM vacated) v
  JOIN p ON day BETWEEN first AND last WHERE law = 'public' GROUP BY ALL)
SELECT * FROM flows
UNION ALL SELECT 'care_cases_disposed', scope, label, NULL, n FROM disposed
UNION ALL SELECT 'care_mean_weeks', scope, label, NULL, round(w / n, 1) FROM disposed
UNION ALL SELECT 'care_median_weeks', scope, label, NULL, med FROM disposed
UNION ALL SELECT 'care_pct_within_26_weeks', scope, label, NULL, round(100 * within_26 / n, 1) FROM disposed
UNION ALL SELECT 'hearings_per_disposed_case', scope, label, NULL, round(h / n, 1) FROM disposed
UNION ALL SELECT 'private_mean_weeks_to_final_order', scope, label, NULL, round(w / n, 1) FROM orders
UNION ALL SELECT 'care_open_cases', scope, label, NULL, n FROM open
UNION ALL SELECT 'care_open_over_100_weeks', scope, label, NULL, b5 FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, 'up_to_26_weeks', b1 FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '26_to_52_weeks', b2 FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '52_to_78_weeks', b3 FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '78_to_100_weeks', b4 FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, 'over_100_weeks', b5 FROM open
UNION ALL SELECT 'plo_late_cmh', scope, label, NULL, cmh FROM open
UNION ALL SELECT 'plo_late_irh', scope, label, NULL, irh FROM open
UNION ALL SELECT 'plo_late_final', scope, label, NULL, fin FROM open
UNION ALL SELECT 'vacated_hearings_by_agency', scope, label, agency, n FROM vac
"""


def duckdb_query(periods: Sequence[Period]) -> str:
    values = ", ".join(f"('{p}', DATE '{month_start(p.first_month)}', DATE '{p.end}')" for p in periods)
    return DUCKDB_QUERY.format(periods=values)


def duckdb_connection(facts: list, workdir: Path) -> duckdb.DuckDBPyConnection:
    facts_rows = [
        {
            "area": f.area,
            "law": f.law,
            "issued": f.issued,
            "disposed": f.disposed,
            "children": f.children,
            "held": f.hearings_taken_place,
            "cmh": f.plo_hearings[0],
            "irh": f.plo_hearings[1],
            "final": f.plo_hearings[2],
            "final_order": f.final_order,
        }
        for f in facts
    ]
    vacated = [{"area": f.area, "law": f.law, "day": d, "agency": a} for f in facts for d, a in f.vacated]
    pq.write_table(pa.Table.from_pylist(facts_rows), workdir / "cases.parquet")
    pq.write_table(pa.Table.from_pylist(vacated), workdir / "vacated.parquet")
    con = duckdb.connect()
    for name in ("cases", "vacated"):  # a temporary file of this run, not input
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{workdir / name}.parquet'")  # noqa: S608
    return con


def check(con: duckdb.DuckDBPyConnection, raw: dict) -> None:
    """DuckDB's figures for the 60 months equal the exchange's (a figure DuckDB has no row for is 0)."""
    got = {
        (m, scope, label, cat): v
        for m, scope, label, cat, v in con.execute(duckdb_query(sixty_months()), {"area": AREA}).fetchall()
    }
    wrong = [(key, value, got.get(key)) for key, value in raw.items() if (value or 0) != (got.get(key) or 0)]
    assert not wrong, wrong[:10]


def main() -> None:
    started = time.perf_counter()
    rows, totals, facts = generate()
    label = f"{YEARS} year{'s' if YEARS != 1 else ''} national"
    print(f"generated {len(rows):,} synthetic cases over {label} in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb_connection(facts, Path(tmp))
        quarter = parse_quarter(QUARTER)
        pack_query = duckdb_query([quarter.shifted(-n) for n in range(4, -1, -1)])
        month_query = duckdb_query(sixty_months())
        baselines = {
            "pack": median_ms(lambda: con.execute(pack_query, {"area": AREA}).fetchall()),
            "60 months": median_ms(lambda: con.execute(month_query, {"area": AREA}).fetchall()),
        }
        for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
            with exchange(kind) as ex:
                figures = time_exchange(ex.database_url, rows, totals, facts, lambda raw: check(con, raw))
            for what, figure in figures.items():
                baseline = "pack" if what.startswith("the pack") else "60 months"
                report(
                    f"{what}, {label}, {kind}",
                    figure,
                    "ms",
                    f"DuckDB over Parquet, the {baseline} measures",
                    baselines[baseline],
                )


if __name__ == "__main__":
    main()
