"""`make demo`'s load: three years of the synthetic nation through the real intake, beside the bare insert
floor, on SQLite (what the demo runs on).

- **demo load**: ``exchange.demo.load`` — canonical-json batches submitted through ``pipeline.submit`` as each
  area's LA (body stored, parsed, every case checked by its schema and rules, stored with its version, feed
  row, audit events and metric counts; the batches read and checked in forked processes while the loader
  stores those checked before) — on a fresh database migrated by ``exchange db upgrade``; cases per second
  of wall time, per CPU second of the loading process and its checking processes together (steadier on
  a busy machine), and per CPU second of the storing (loading) process alone, the one that cannot be
  spread over the CPUs (with the whole CPU time over the CPUs, the least wall time on an idle machine: the
  estimate printed for the whole nation, at this run's rates); the census returns and advice requests the
  demo adds are loaded after it, untimed, for the figures;
- **floor**, same run: the rows that load left in the case tables (``cases``, ``case_children``,
  ``case_hearings``, ``case_versions``, ``metric_case_facts``, ``metric_counts``) read back and inserted into
  another fresh database, opened as the exchange opens one (``exchange.db.make_engine``), with SQLAlchemy
  Core ``executemany``, 1,000 rows a statement, in one transaction, nothing else.

Then the national figures of the last whole year (``exchange.demo.figures``). ``--scale`` (default: the demo's
own, ``exchange.demo.DEFAULT_SCALE``; 1 is the whole nation) and ``--years`` (3) choose the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from sqlalchemy import create_engine, insert, select

from benchmarks._harness import Exchange, exchange, report
from exchange import clock, create_app, demo
from exchange.db import db, make_engine
from exchange.models import Case, CaseChild, CaseHearing, CaseVersion, Organisation
from exchange.models.metrics import MetricCaseFacts, MetricCount

TABLES = [t.__table__ for t in (Case, CaseChild, CaseHearing, CaseVersion, MetricCaseFacts, MetricCount)]
ROWS_A_STATEMENT = 1000
#: cases in three years of the whole synthetic nation, with the history before the window (docs/metrics.md)
NATION_CASES = 246_000


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the load's checking processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def load(loaded: Exchange, scale: float, years: int) -> tuple[dict, float, float, float, dict]:
    """The demo's load of cases into the exchange ``loaded`` (its database, its key store): its counts,
    wall, CPU and the storing process's CPU seconds; then (untimed) the census returns and advice requests
    the demo adds, and the figures."""
    app = create_app(
        {"database_url": loaded.database_url, "key_encryption_key": str(loaded.key_encryption_key)}
    )
    with app.app_context():
        settings = app.config["EXCHANGE_SETTINGS"]
        _, submitters = demo.create_partners(db.session, settings.reference)
        today = clock.today()
        started, cpu, storing = time.perf_counter(), _cpu(), time.process_time()
        totals = demo.load(
            submitters, session=db.session(), settings=settings, seed=1, years=years, today=today, scale=scale
        )
        elapsed, cpu, storing = time.perf_counter() - started, _cpu() - cpu, time.process_time() - storing
        demo.submit_census(submitters, session=db.session(), settings=settings, seed=1, scale=scale)
        courts = demo.area_courts(db.session, settings.reference)
        demo.ask_for_advice(db.session(), settings, courts, seed=1, today=today)
        figures = demo.figures(db.session, settings.reference, today)
        db.session.remove()
        db.engine.dispose()
    return totals, elapsed, cpu, storing, figures


def floor(source_url: str, target_url: str) -> tuple[float, float, int]:
    """Wall and CPU seconds to insert every row of the case tables of ``source_url`` into ``target_url``,
    and the rows."""
    # the target as the exchange opens its database (its pragmas: WAL, foreign keys, page cache)
    source, target = create_engine(source_url), make_engine(target_url)
    with source.connect() as reading:
        tables = [(t, [dict(r._mapping) for r in reading.execute(select(t))]) for t in TABLES]
        organisations = [dict(r._mapping) for r in reading.execute(select(Organisation.__table__))]
    with target.begin() as writing:  # untimed: the organisations the cases belong to (foreign keys)
        writing.execute(insert(Organisation.__table__), organisations)
    started, cpu = time.perf_counter(), time.process_time()
    with target.begin() as writing:
        for table, rows in tables:
            for at in range(0, len(rows), ROWS_A_STATEMENT):
                writing.execute(insert(table), rows[at : at + ROWS_A_STATEMENT])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    source.dispose()
    target.dispose()
    return elapsed, cpu, sum(len(rows) for _, rows in tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=demo.DEFAULT_SCALE)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    with exchange("sqlite") as loaded, exchange("sqlite") as bare:
        totals, seconds, cpu, storing, figures = load(loaded, args.scale, args.years)
        if totals["accepted"] != totals["cases"]:
            raise RuntimeError(f"not every synthetic case was accepted: {totals}")
        floor_seconds, floor_cpu, rows = floor(loaded.database_url, bare.database_url)
    cases = totals["cases"]
    print(
        f"SYNTHETIC demo data: scale {args.scale} of the nation, {args.years} years, {cases:,} cases in "
        f"{totals['submissions']} submissions ({rows:,} rows in the case tables); load {seconds:.1f} s "
        f"wall, {cpu:.1f} s CPU, of which {storing:.1f} s in the storing process"
    )
    floor_name = "Core executemany of the same rows into the same tables"
    report(
        "demo load through the intake, SQLite", cases / seconds, "cases/s", floor_name, cases / floor_seconds
    )
    report(
        "  the same per CPU second, the loader's and its checking processes' (steadier on a busy machine)",
        cases / cpu,
        "cases/s",
        f"{floor_name}, per CPU second",
        cases / floor_cpu,
    )
    report(
        "  the same per CPU second of the storing process alone",
        cases / storing,
        "cases/s",
        f"{floor_name}, per CPU second",
        cases / floor_cpu,
    )
    # the whole nation, at these rates, on an idle machine of this many CPUs: the storing process's time, or
    # the whole CPU time spread over the CPUs, whichever is longer
    nation = NATION_CASES / cases * max(storing, cpu / (os.cpu_count() or 1))
    print(
        f"estimate for the whole nation ({NATION_CASES:,} cases) at this run's rates on {os.cpu_count()} idle"
        f" CPUs: {nation:.0f} s"
    )
    print(f"figures of {figures.pop('year')}, national: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
