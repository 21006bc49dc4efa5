"""The production server: gunicorn with several workers, metrics counted across all of them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


@contextmanager
def gunicorn_serving(database_url: str, tmp_path: Path, workers: int) -> Iterator[tuple[str, Path]]:
    """gunicorn with ``config/gunicorn.conf.py`` on a free port: its base URL and its counters folder."""
    port = free_port()
    counters = tmp_path / "prometheus"
    counters.mkdir()
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": database_url,
        "EXCHANGE_BIND": f"127.0.0.1:{port}",
        "EXCHANGE_WORKERS": str(workers),
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
        yield base, counters
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_workers_share_prometheus_counters(database_url: str, tmp_path: Path) -> None:
    with gunicorn_serving(database_url, tmp_path, workers=3) as (base, counters):
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


def test_gunicorn_names_no_server_and_answers_its_own_errors_as_problems(
    database_url: str, tmp_path: Path
) -> None:
    with gunicorn_serving(database_url, tmp_path, workers=1) as (base, _):
        answer = requests.get(f"{base}/health/live", timeout=10)
        assert answer.status_code == 200 and "Server" not in answer.headers
        port = int(base.rsplit(":", 1)[1])
        for raw in (b"NOT A REQUEST LINE\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                conn.sendall(raw)
                received = b""
                while chunk := conn.recv(65536):
                    received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:])
            assert lines[0].startswith("HTTP/1.1 400 ") and "Server" not in headers
            assert headers["Content-Type"] == "application/problem+json"
            problem = json.loads(body)
            assert problem["status"] == 400 and problem["type"] == "/problems/bad-request"
            assert b"NOT A REQUEST" not in body and b"Bad Header" not in body  # nothing of the request


def test_one_worker_answers_the_liveness_probe_while_another_request_is_unfinished(
    database_url: str, tmp_path: Path
) -> None:
    """A worker holds several requests at once (threads): a request still arriving, as a long one still
    running would, does not keep ``/health/live`` waiting (a synchronous worker would block on it)."""
    with gunicorn_serving(database_url, tmp_path, workers=1) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as unfinished:
            unfinished.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line yet
            assert [live(base) for _ in range(3)] == [200] * 3
            unfinished.sendall(b"Connection: close\r\n\r\n")
            assert unfinished.recv(65536).startswith(b"HTTP/1.1 200 ")
