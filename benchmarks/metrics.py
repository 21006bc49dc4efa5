"""The board figures at the national volume, served, beside DuckDB over the same per-case facts.

Data: the demo's synthetic generator without its court transfers (``tests.metrics.national``: the cases
and their metric facts, stored fast, no intake pipeline) at ``EXCHANGE_BENCH_SCALE`` of the national
volume (1.0 by default: 16,000 care and 50,000 private-law cases a year) over ``EXCHANGE_BENCH_YEARS``
years (10 by default; every label says the real scale and number of years). Figures:

- publishing from scratch (every measure, area and period protected at once, and stored), in-process;
- served by gunicorn (2 workers, ``EXCHANGE_BENCH_PORT`` or a free port), with real OAuth tokens: a
  ``GET /v1/metrics?period=month`` of 60 months and every measure for a local board (its area and
  national) and for the national board (every area and national), and the quarterly pack (HTML);
- ``/health/live`` while three 60-month requests of the national board run at once, beside its idle
  latency in the same run;
- bringing the publication up to date after 1,000 changed cases (each disposed of and closed 30 days
  later: their pre-aggregate changes, then publishing again, from the previous publication's
  protection), in-process, beside publishing from scratch in the same run.

Baseline, in the same run: for the update, publishing from scratch; for the rest, DuckDB computing the
same measures for the same areas and national from the same per-case facts exported to Parquet (it scans;
no pre-aggregation): sums, means, percentages, the MoJ median, open-case stocks, age bands and PLO counts,
returning every figure. Before timing, DuckDB's figures are checked equal to every published (not
suppressed or withheld) cell of the 60 months and of the pack's five quarters: counts, bands and medians
exactly, rates by their numerator and denominator exactly and their value within one step of the rounding
(at a tie DuckDB rounds half away from zero, Python to the even float). The advice and pre-proceedings
measures are not compared: they come from other sources than the cases (advice requests, the CIN census),
which this data set does not hold.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import requests

from benchmarks._harness import Exchange, exchange, postgres_available, report
from exchange import create_app, reference
from exchange.db import db
from exchange.metrics import aggregates, disclosure, publication
from exchange.metrics.measures import MEASURES, scopes
from exchange.metrics.periods import Period, month_start, parse_quarter, periods_between
from tests.metrics import national

YEARS = int(os.environ.get("EXCHANGE_BENCH_YEARS", "10"))
SCALE = float(os.environ.get("EXCHANGE_BENCH_SCALE", "1.0"))
PORT = int(os.environ.get("EXCHANGE_BENCH_PORT", "0"))
SEED, TODAY = 2024, date(2025, 7, 1)
AREA, QUARTER = "BIRMINGHAM", "2025Q1"
RUNS = 7
CHANGED = 1000
CONCURRENT = 3
SCRATCH = "publishing from scratch"
UPDATE = f"bringing the publication up to date after {CHANGED:,} changed cases"
REFERENCE = reference.load()
#: measures of other sources than the cases: not in this data set, so not compared
OTHER_SOURCES = (
    "advice_requests",
    "advice_on_time_pct",
    "pre_proceedings_started",
    "pre_proceedings_to_court_pct",
)


def generate() -> tuple[list[dict], Counter, list[aggregates.CaseFacts]]:
    rows, facts, totals = [], [], Counter()
    for row, fact in national.synthetic(REFERENCE, SEED, YEARS, TODAY, SCALE):
        rows.append(row)
        facts.append(fact)
        totals.update(aggregates.contributions(fact))
    return rows, totals, facts


def median_ms(action: Callable[[], Any], runs: int = RUNS) -> float:
    action()  # warm-up: templates, statement cache, connections
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def sixty_months() -> list[Period]:
    last = parse_quarter(QUARTER).last_month
    return periods_between("month", last - 59, last)


def pack_quarters() -> list[Period]:
    quarter = parse_quarter(QUARTER)
    return [quarter.shifted(-n) for n in range(4, -1, -1)]


DUCKDB_QUERY = """
WITH p(label, first, last) AS (VALUES {periods}),
scoped AS (SELECT *, area AS scope FROM cases WHERE list_contains($areas, area)
           UNION ALL SELECT *, 'national' FROM cases),
flows AS (
  SELECT 'care_cases_started' m, scope, label, NULL cat, count(*)::DOUBLE v,
         NULL::BIGINT num, NULL::BIGINT den
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'public' GROUP BY ALL
  UNION ALL SELECT 'epo_cases_started', scope, label, NULL, count(*), NULL, NULL
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'epo' GROUP BY ALL
  UNION ALL SELECT 'other_public_cases_started', scope, label, NULL, count(*), NULL, NULL
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'pl_other' GROUP BY ALL
  UNION ALL SELECT 'care_children_started', scope, label, NULL, sum(children), NULL, NULL
  FROM scoped JOIN p ON issued BETWEEN first AND last WHERE law = 'public' GROUP BY ALL
  UNION ALL SELECT 'private_cases_started', scope, label, NULL, count(*), NULL, NULL
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
                    AND (ended IS NULL OR ended > last)
  WHERE law = 'public' GROUP BY ALL),
events AS (
  SELECT e.scope, label, kind, cat, sum(n) n
  FROM (SELECT *, area AS scope FROM events WHERE list_contains($areas, area)
        UNION ALL SELECT *, 'national' FROM events) e
  JOIN p ON day BETWEEN first AND last WHERE law = 'public' GROUP BY ALL)
SELECT * FROM flows
UNION ALL SELECT 'care_cases_disposed', scope, label, NULL, n, NULL, NULL FROM disposed
UNION ALL SELECT 'care_mean_weeks', scope, label, NULL, round(w / n, 1), w, n FROM disposed
UNION ALL SELECT 'care_duration_band', scope, label, NULL,
  CASE WHEN floor(round(w / n, 1) + 0.5) <= 26 THEN 'green'
       WHEN floor(round(w / n, 1) + 0.5) <= 29 THEN 'amber' ELSE 'red' END, w, n FROM disposed
UNION ALL SELECT 'care_median_weeks', scope, label, NULL, med, NULL, n FROM disposed
UNION ALL SELECT 'care_pct_within_26_weeks', scope, label, NULL, round(100 * within_26 / n, 1),
  within_26, n FROM disposed
UNION ALL SELECT 'hearings_per_disposed_case', scope, label, NULL, round(h / n, 1), h, n FROM disposed
UNION ALL SELECT 'private_mean_weeks_to_final_order', scope, label, NULL, round(w / n, 1), w, n FROM orders
UNION ALL SELECT 'care_open_cases', scope, label, NULL, n, NULL, NULL FROM open
UNION ALL SELECT 'care_open_over_100_weeks', scope, label, NULL, b5, NULL, NULL FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, 'up_to_26_weeks', b1, NULL, NULL FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '26_to_52_weeks', b2, NULL, NULL FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '52_to_78_weeks', b3, NULL, NULL FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, '78_to_100_weeks', b4, NULL, NULL FROM open
UNION ALL SELECT 'care_open_age_profile', scope, label, 'over_100_weeks', b5, NULL, NULL FROM open
UNION ALL SELECT 'plo_late_cmh', scope, label, NULL, cmh, NULL, NULL FROM open
UNION ALL SELECT 'plo_late_irh', scope, label, NULL, irh, NULL, NULL FROM open
UNION ALL SELECT 'plo_late_final', scope, label, NULL, fin, NULL, NULL FROM open
UNION ALL SELECT 'vacated_hearings_by_agency', scope, label, cat, n, NULL, NULL FROM events
  WHERE kind = 'vacated'
UNION ALL SELECT 'care_final_order_mix', scope, label, cat, n, NULL, NULL FROM events WHERE kind = 'order'
"""
#: the rates: compared by numerator and denominator exactly, and by value within the rounding
RATES = frozenset({"percent", "ratio", "mean"})


def duckdb_query(periods: Sequence[Period]) -> str:
    values = ", ".join(f"('{p}', DATE '{month_start(p.first_month)}', DATE '{p.end}')" for p in periods)
    return DUCKDB_QUERY.format(periods=values)


def duckdb_connection(facts: list, workdir: Path) -> duckdb.DuckDBPyConnection:
    cases = [
        {
            "area": f.area,
            "law": f.law,
            "issued": f.issued,
            "disposed": f.disposed,
            "ended": f.ended,
            "children": f.children,
            "held": f.hearings_taken_place,
            "cmh": f.plo_hearings[0],
            "irh": f.plo_hearings[1],
            "final": f.plo_hearings[2],
            "final_order": f.final_order,
        }
        for f in facts
    ]
    events = [
        {"area": f.area, "law": f.law, "day": d, "kind": "vacated", "cat": a, "n": 1}
        for f in facts
        for d, a in f.vacated
    ] + [
        {"area": f.area, "law": f.law, "day": d, "kind": "order", "cat": c, "n": n}
        for f in facts
        for d, c, n in f.orders
    ]
    pq.write_table(pa.Table.from_pylist(cases), workdir / "cases.parquet")
    pq.write_table(pa.Table.from_pylist(events), workdir / "events.parquet")
    con = duckdb.connect()
    for name in ("cases", "events"):  # a temporary file of this run, not input
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{workdir / name}.parquet'")  # noqa: S608
    return con


def duckdb_figures(
    con: duckdb.DuckDBPyConnection, periods: Sequence[Period], areas: Sequence[str]
) -> list[tuple]:
    return con.execute(duckdb_query(periods), {"areas": list(areas)}).fetchall()


def check(con: duckdb.DuckDBPyConnection, published: Iterable[dict], periods: Sequence[Period]) -> int:
    """Every published cell of ``periods`` equals DuckDB's figure (none: 0); the number of cells compared."""
    cells = [
        c for c in published if c["status"] == disclosure.PUBLISHED and c["measure"] not in OTHER_SOURCES
    ]
    areas = sorted({c["area"] for c in cells} - {"national"})
    got = {
        # the band's text makes the union's value column text: the other values are read back as numbers
        (m, scope, label, cat): (v if m == "care_duration_band" else float(v), num, den)
        for m, scope, label, cat, v, num, den in duckdb_figures(con, periods, areas)
    }
    wrong = []
    for c in cells:
        key = (c["measure"], c["area"], c["period"], c["category"])
        value, numerator, denominator = got.get(key, (0, None, None))
        if MEASURES[c["measure"]].kind in RATES:
            same = (c["numerator"], c["denominator"]) == (numerator, denominator)
            if not same or abs(c["value"] - value) > 0.1 + 1e-9:
                wrong.append((key, c, got.get(key)))
        elif c["value"] != value or c["denominator"] not in (None, denominator):
            wrong.append((key, c, got.get(key)))
    assert not wrong, f"{len(wrong)} cells differ from DuckDB's, e.g. {wrong[:5]}"
    return len(cells)


def token(ex: Exchange, url: str, org_id: str, kind: str, *options: str) -> dict[str, str]:
    """A bearer header of a board client registered through the `exchange` command line."""
    ex.cli("org", "add", "--id", org_id, "--kind", kind, *options)
    client = ex.cli_json("client", "add", "--org", org_id, "--scopes", "metrics:read")
    answer = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=30,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def get(url: str, headers: dict[str, str], **params: str) -> requests.Response:
    answer = requests.get(url, headers=headers, params=params, timeout=60)
    assert answer.status_code == 200, (answer.status_code, answer.text[:300])
    return answer


def served_figures(ex: Exchange) -> tuple[dict[str, float], float, dict[str, list[float]]]:
    """The requests' median times, /health/live's idle median, and its times under each caller's load."""
    months = sixty_months()
    window = {"period": "month", "from": months[0].label, "to": months[-1].label}
    out = {}
    with ex.served(workers=2, port=PORT or None) as url:
        board = token(ex, url, "bench-board", "lfjb", "--dfj-area", AREA)
        nation = token(ex, url, "bench-national-board", "fjb")
        answer = get(f"{url}/v1/metrics", nation, **window)
        cells = len(answer.json()["cells"])
        out[f"GET /v1/metrics, 60 months of every measure, {AREA} and national"] = median_ms(
            lambda: get(f"{url}/v1/metrics", board, **window)
        )
        out[f"GET /v1/metrics, 60 months of every measure, every area and national ({cells:,} cells)"] = (
            median_ms(lambda: get(f"{url}/v1/metrics", nation, **window))
        )
        out[f"GET /v1/metrics/pack, {AREA} {QUARTER} (HTML)"] = median_ms(
            lambda: get(f"{url}/v1/metrics/pack", board, area=AREA, quarter=QUARTER)
        )
        live = f"{url}/health/live"
        idle = [_timed(lambda: requests.get(live, timeout=60)) for _ in range(20)]
        loaded = {
            caller: _live_under_load(live, lambda h=headers: get(f"{url}/v1/metrics", h, **window))
            for caller, headers in (("the local board's", board), ("the national board's", nation))
        }
    return out, statistics.median(idle), loaded


def _live_under_load(live: str, request: Callable[[], Any]) -> list[float]:
    """/health/live's times (ms) while ``CONCURRENT`` clients send ``request`` again and again."""
    stop, times = threading.Event(), []

    def load() -> None:
        while not stop.is_set():
            request()

    threads = [threading.Thread(target=load) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    for _ in range(20):
        times.append(_timed(lambda: requests.get(live, timeout=60)))
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    return times


def _timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def time_exchange(
    ex: Exchange, rows: list[dict], totals: Counter, facts: list, con: duckdb.DuckDBPyConnection
) -> tuple[dict[str, float], tuple[float, dict[str, list[float]]], int]:
    app = create_app({"database_url": ex.database_url})
    out = {}
    with app.test_request_context():
        start = time.perf_counter()
        national.store(db.session, REFERENCE, rows, totals)
        print(f"stored {len(rows):,} cases and their pre-aggregates in {time.perf_counter() - start:.0f} s")
        start = time.perf_counter()
        publication.publish(db.session, REFERENCE, TODAY)
        out[SCRATCH] = (time.perf_counter() - start) * 1000
        scratch = publication.last_protection(db.session)
        assert scratch is not None
        solved, audited = scratch.solved, scratch.audited
        areas = [s for s in scopes(REFERENCE) if s != "national"]
        compared = check(
            con, publication.cells(db.session, sixty_months(), [*areas, "national"]), sixty_months()
        )
        compared += check(
            con, publication.cells(db.session, pack_quarters(), [AREA, "national"]), pack_quarters()
        )
        db.session.remove()
    served, idle, loaded = served_figures(ex)
    out |= served
    with app.test_request_context():
        # 1,000 cases change (each disposed of, and closed, 30 days later): their pre-aggregates change,
        # then publishing again, from the previous publication's protection
        month = timedelta(days=30)
        changed = [f for f in facts if f.disposed][:CHANGED]
        start = time.perf_counter()
        deltas: Counter = Counter()
        for f in changed:
            later = replace(f, disposed=f.disposed + month, ended=f.ended and f.ended + month)
            deltas.update(aggregates.contributions(later))
            deltas.subtract(aggregates.contributions(f))
        aggregates.add_counts(db.session.connection(), deltas)
        db.session.commit()
        publication.publish(db.session, REFERENCE, TODAY)
        out[UPDATE] = (time.perf_counter() - start) * 1000
        update = publication.last_protection(db.session)
        assert update is not None
        print(
            f"the update offered the program {len(update.solved):,} cells (from scratch: {len(solved):,}) "
            f"and tested {update.audited} audit blocks (from scratch: {audited})"
        )
        db.session.remove()
    return out, (idle, loaded), compared


def main() -> None:
    started = time.perf_counter()
    rows, totals, facts = generate()
    label = f"{YEARS} year{'s' if YEARS != 1 else ''} at {SCALE:.0%} of the national volume"
    print(f"generated {len(rows):,} synthetic cases ({label}) in {time.perf_counter() - started:.0f} s")
    areas = [s for s in scopes(REFERENCE) if s != "national"]
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb_connection(facts, Path(tmp))
        baselines = {
            "pack": median_ms(lambda: duckdb_figures(con, pack_quarters(), [AREA])),
            "60 months, one area": median_ms(lambda: duckdb_figures(con, sixty_months(), [AREA])),
            "60 months, every area": median_ms(lambda: duckdb_figures(con, sixty_months(), areas)),
        }
        for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
            with exchange(kind) as ex:
                figures, live, compared = time_exchange(ex, rows, totals, facts, con)
            print(f"{kind}: {compared:,} published cells checked equal to DuckDB's before timing")
            for what, figure in figures.items():
                if what == UPDATE:
                    report(f"{what}, {label}, {kind}", figure, "ms", SCRATCH, figures[SCRATCH])
                    continue
                baseline = (
                    "pack"
                    if "pack" in what
                    else "60 months, every area"
                    if "every area" in what
                    else "60 months, one area"
                )
                report(
                    f"{what}, {label}, {kind}", figure, "ms", f"DuckDB, the {baseline}", baselines[baseline]
                )
            idle, loaded = live
            for caller, times in loaded.items():
                for what, figure in (("median", statistics.median(times)), ("slowest", max(times))):
                    report(
                        f"GET /health/live while {CONCURRENT} of {caller} 60-month requests run at once, "
                        f"{what} of 20, {label}, {kind}",
                        figure,
                        "ms",
                        "idle, median of 20",
                        idle,
                    )


if __name__ == "__main__":
    main()
