"""The board figures over a 10-year national data set, on SQLite and PostgreSQL, beside DuckDB.

Data: the demo's synthetic generator at the full national volume (16,000 care and 50,000 private-law
cases a year; ``EXCHANGE_BENCH_YEARS`` years, 10 by default, printed in every label), stored fast by
``tests.metrics.national`` (cases and the monthly pre-aggregates; no intake pipeline). Figures:

- publishing from scratch (every measure, area and period protected at once);
- the quarterly pack of one area, and the 60-month request of every measure for one area and national
  (``publication.rows`` and the join the view sends), both read from the publication;
- bringing the publication up to date after 1,000 changed cases (their pre-aggregate changes, then
  publishing again).

Baseline, in the same run: DuckDB computing the pack's measures for the area and national from the same
per-case facts exported to Parquet (it scans; no pre-aggregation). Before timing, DuckDB's national
monthly cases issued and disposed and the quarter's MoJ median are checked equal to the exchange's.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._harness import exchange, postgres_available, report
from exchange import create_app
from exchange.db import db
from exchange.metrics import aggregates, measures, pack, publication
from exchange.metrics.periods import month_start, parse_quarter, periods_between
from tests.metrics import national

YEARS = int(os.environ.get("EXCHANGE_BENCH_YEARS", "10"))  # fewer only to try the benchmark out
SEED, TODAY = 2024, date(2025, 7, 1)
AREA, QUARTER = "BIRMINGHAM", "2025Q1"
RUNS = 7
CHANGED = 1000


def generate() -> tuple[list[dict], Counter, list[aggregates.CaseFacts]]:
    rows, facts, totals = [], [], Counter()
    for row, fact in national.synthetic(SEED, YEARS, TODAY, 1.0, private_share=1.0):
        rows.append(row)
        facts.append(fact)
        totals.update(aggregates.contributions(fact))
    return rows, totals, facts


def median_ms(action) -> float:
    action()  # warm-up: templates, statement cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def time_exchange(url: str, rows: list[dict], totals: Counter, facts: list) -> dict[str, float]:
    app = create_app({"database_url": url})
    out = {}
    with app.test_request_context():
        national.store(db.session, rows, totals)
        start = time.perf_counter()
        state = publication.publish(db.session, TODAY)
        out["publish"] = (time.perf_counter() - start) * 1000
        quarter = parse_quarter(QUARTER)
        out["pack"] = median_ms(lambda: pack.render_html(db.session, AREA, quarter, state))
        months = periods_between("month", quarter.last_month - 59, quarter.last_month)
        out["60 months"] = median_ms(
            lambda: ",".join(r.json for r in publication.rows(db.session, months, [AREA, "national"]))
        )
        out["check"] = _exchange_values(db.session, months)
        # 1,000 cases change (each disposal 30 days later): their pre-aggregate changes, then publishing
        changed = [f for f in facts if f.disposed][:CHANGED]
        start = time.perf_counter()
        deltas: Counter = Counter()
        for f in changed:
            deltas.update(aggregates.contributions(replace(f, disposed=f.disposed + timedelta(days=30))))
            deltas.subtract(aggregates.contributions(f))
        aggregates.add_counts(db.session.connection(), deltas)
        db.session.commit()
        publication.publish(db.session, TODAY)
        out["update"] = (time.perf_counter() - start) * 1000
        db.session.remove()
    return out


def _exchange_values(session, months) -> dict:
    raws = measures.compute(session, months, ["care_cases_started", "care_cases_disposed"])
    quarter = parse_quarter(QUARTER)
    [median] = [
        r.value for r in measures.compute(session, [quarter], ["care_median_weeks"]) if r.area == "national"
    ]
    return {
        "started": {
            r.period: r.value for r in raws if r.area == "national" and r.measure == "care_cases_started"
        },
        "disposed": {
            r.period: r.value for r in raws if r.area == "national" and r.measure == "care_cases_disposed"
        },
        "median": median,
    }


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


def duckdb_values(con: duckdb.DuckDBPyConnection) -> dict:
    quarter = parse_quarter(QUARTER)
    first, last = month_start(quarter.first_month), quarter.end
    started = dict(
        con.execute(
            "SELECT strftime(issued, '%Y-%m'), count(*) FROM cases WHERE law = 'public' GROUP BY ALL"
        ).fetchall()
    )
    disposed = dict(
        con.execute(
            "SELECT strftime(disposed, '%Y-%m'), count(*) FROM cases"
            " WHERE law = 'public' AND disposed IS NOT NULL GROUP BY ALL"
        ).fetchall()
    )
    # the MoJ median: the largest value of the lower NTILE(2) half when odd, the two middle values' mean
    weeks = sorted(
        w
        for (w,) in con.execute(
            "SELECT (disposed - issued) // 7 FROM cases WHERE law = 'public' AND disposed BETWEEN $1 AND $2",
            [first, last],
        ).fetchall()
    )
    n = len(weeks)
    median = weeks[(n + 1) // 2 - 1] if n % 2 else (weeks[n // 2 - 1] + weeks[n // 2]) / 2
    return {"started": started, "disposed": disposed, "median": median}


def time_duckdb(facts: list, workdir: Path) -> tuple[float, duckdb.DuckDBPyConnection]:
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
    quarter = parse_quarter(QUARTER)
    periods = [quarter.shifted(-n) for n in range(4, -1, -1)]
    values = ", ".join(f"('{p}', DATE '{month_start(p.first_month)}', DATE '{p.end}')" for p in periods)
    query = DUCKDB_QUERY.format(quarters=values)
    return median_ms(lambda: con.execute(query, {"area": AREA}).fetchall()), con


def main() -> None:
    started = time.perf_counter()
    rows, totals, facts = generate()
    label = f"{YEARS} years national"
    print(
        f"generated {len(rows):,} synthetic cases over {YEARS} years in {time.perf_counter() - started:.0f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        baseline, con = time_duckdb(facts, Path(tmp))
        expected = duckdb_values(con)
        for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
            with exchange(kind) as ex:
                figures = time_exchange(ex.database_url, rows, totals, facts)
            got = figures.pop("check")
            assert got["median"] == expected["median"], (got["median"], expected["median"])
            for what in ("started", "disposed"):
                assert all(expected[what].get(p, 0) == n for p, n in got[what].items()), what
            for what, figure in figures.items():
                report(
                    f"{what}, {AREA} {QUARTER}, {label}, {kind}",
                    figure,
                    "ms",
                    "DuckDB pack over Parquet",
                    baseline,
                )


if __name__ == "__main__":
    main()
