"""Soak (issue 7, part 5): mixed traffic from ``benchmarks.load`` for ``EXCHANGE_SOAK_SECONDS`` (default 600)
against gunicorn and one `exchange worker` on the test database: no error, the memory of every process
flat, latency percentiles per operation printed.

Memory is each process's VmRSS, read every ``SAMPLE_SECONDS``; "flat" means the median of the last third of
the run is within ``GROWTH_FRACTION`` (plus ``GROWTH_SLACK_KIB`` for small processes) of the median of the
first third, for every process, and no process was replaced (a gunicorn worker restarted is a failure).
"""

from __future__ import annotations

import os
import statistics
import threading
from pathlib import Path

import pytest

from benchmarks._harness import Exchange
from benchmarks.load import Load, provision
from tests.reliability.conftest import Group, Server, rss_kib, worker

SOAK_SECONDS = float(os.environ.get("EXCHANGE_SOAK_SECONDS", "600"))
SAMPLE_SECONDS = 3.0
GROWTH_FRACTION = 0.10
GROWTH_SLACK_KIB = 8 * 1024


def sample_memory(groups: list[Group], stop: threading.Event) -> dict[int, list[int]]:
    """VmRSS (KiB) of every process of ``groups``, every ``SAMPLE_SECONDS`` until ``stop``."""
    readings: dict[int, list[int]] = {}
    while not stop.wait(SAMPLE_SECONDS):
        for group in groups:
            for pid in group.pids:
                if (rss := rss_kib(pid)) is not None:
                    readings.setdefault(pid, []).append(rss)
    return readings


@pytest.mark.slow
def test_soak_mixed_traffic_without_error_or_memory_growth(exchange_env: Exchange, tmp_path: Path) -> None:
    ex = exchange_env
    credentials = provision(ex)
    server = Server(ex, workers=2, log=tmp_path / "gunicorn.log")
    background = worker(ex, tmp_path / "worker.log")
    server.start()
    background.start()
    stop = threading.Event()
    readings: dict[int, list[int]] = {}
    sampler = threading.Thread(
        target=lambda: readings.update(sample_memory([server, background], stop)), daemon=True
    )
    try:
        first_pids = sorted(server.pids + background.pids)
        sampler.start()
        report = Load(server.url, credentials, prefix="SOAK").run(SOAK_SECONDS, threads=6)
        last_pids = sorted(server.pids + background.pids)
    finally:
        stop.set()
        sampler.join(SAMPLE_SECONDS * 4)
        background.stop()
        server.stop()

    kind = "PostgreSQL" if ex.database_url.startswith("postgresql") else "SQLite"
    print(f"\nsoak: {SOAK_SECONDS:.0f} s on {kind}, 6 clients, gunicorn 2 workers + 1 worker")
    print(report.table())
    print(f"{'pid':>8}{'samples':>9}{'first third MiB':>17}{'last third MiB':>16}{'growth':>9}")
    growth: dict[int, tuple[float, float]] = {}
    for pid, series in sorted(readings.items()):
        third = max(1, len(series) // 3)
        first, last = statistics.median(series[:third]), statistics.median(series[-third:])
        growth[pid] = (first, last)
        print(
            f"{pid:>8}{len(series):>9}{first / 1024:>17.1f}{last / 1024:>16.1f}{(last - first) / first:>9.1%}"
        )
    print(f"errors: {len(report.errors)}", *report.errors[:20], sep="\n  ")

    assert not report.errors
    assert report.count() > SOAK_SECONDS  # more than one operation a second: the load really ran
    assert {s.op for s in report.samples} >= {"submit", "case_read", "feed", "advice_answer", "metrics"}
    assert first_pids == last_pids, "a process was replaced during the soak"
    assert len(readings) == len(first_pids) and all(len(s) >= 6 for s in readings.values())
    for pid, (first, last) in growth.items():
        assert last <= first * (1 + GROWTH_FRACTION) + GROWTH_SLACK_KIB, f"process {pid} grew"
