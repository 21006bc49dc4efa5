"""The production server: gunicorn with several workers, metrics counted across all of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from benchmarks._harness import free_port

ROOT = Path(__file__).resolve().parents[1]
LIVE_COUNTER = re.compile(
    r'exchange_http_requests_total\{method="GET",route="/health/live",status="200"\} (\S+)'
)


def served(base: str) -> float:
    """The /health/live answers counted by /metrics, summed over every worker."""
    counted = LIVE_COUNTER.search(requests.get(f"{base}/metrics", timeout=5).text)
    return float(counted.group(1)) if counted else 0.0


def live(base: str) -> int:
    return requests.get(f"{base}/health/live", headers={"Connection": "close"}, timeout=10).status_code


def test_gunicorn_workers_share_prometheus_counters(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    counters = tmp_path / "prometheus"
    counters.mkdir()
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": database_url,
        "EXCHANGE_BIND": f"127.0.0.1:{port}",
        "EXCHANGE_WORKERS": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(counters),
        "EXCHANGE_LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "config/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                live(base)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        before, sent = served(base), 0
        # concurrent clients on new connections, until more than one worker has answered
        with ThreadPoolExecutor(8) as pool:
            for _ in range(5):
                assert set(pool.map(lambda _: live(base), range(80))) == {200}
                sent += 80
                if len(list(counters.glob("counter_*.db"))) >= 2:
                    break
        assert len(list(counters.glob("counter_*.db"))) >= 2
        assert served(base) - before == sent
    finally:
        server.terminate()
        server.wait(timeout=30)
