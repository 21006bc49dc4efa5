"""Accepted submissions per second, and p50/p99 latency, of realistic single-case JSON submissions through
gunicorn on SQLite and on PostgreSQL.

Baseline, measured in the same run on the same server (``floor_app``: the exchange plus one benchmark
route): an authenticated request that does one INSERT and one COMMIT. Aim: at least half the floor.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import requests

from benchmarks._harness import BIN, ROOT, Exchange, exchange, free_port, postgres_available, report
from tests.api.conftest import care_case  # the synthetic case the API tests use

REQUESTS = 1500
THREADS = 8
WORKERS = 2


@contextmanager
def floor_server(ex: Exchange) -> Iterator[str]:
    """gunicorn serving ``benchmarks/floor_app.py`` (exchange + floor route) on ``ex``'s database."""
    port = free_port()
    env = {**ex.env, "EXCHANGE_ISSUER": f"http://127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "--chdir", str(ROOT)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "benchmarks.floor_app:app"]
    process = subprocess.Popen(
        command, env=env, cwd=ex.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not become ready") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def token(url: str, client_id: str, secret: str) -> str:
    answer = requests.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def load(
    url: str, path: str, bodies: list[bytes], bearer: str, ok: Callable[[requests.Response], bool]
) -> tuple[float, list[float]]:
    """(successful requests per second, latencies in seconds) of POSTing every body, ``THREADS`` at a time."""
    sessions = [requests.Session() for _ in range(THREADS)]
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}

    def post(i: int) -> tuple[bool, float]:
        start = time.perf_counter()
        answer = sessions[i % THREADS].post(f"{url}{path}", data=bodies[i], headers=headers, timeout=60)
        return ok(answer), time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(post, range(len(bodies))))
    elapsed = time.perf_counter() - start
    succeeded = sum(1 for good, _ in results if good)
    if succeeded != len(bodies):
        sys.exit(f"{path}: only {succeeded} of {len(bodies)} requests succeeded")
    return succeeded / elapsed, [latency for _, latency in results]


def accepted(answer: requests.Response) -> bool:
    return answer.status_code == 201 and answer.json()["status"] == "accepted"


def bodies(prefix: str, n: int) -> list[bytes]:
    return [json.dumps(care_case(reference=f"{prefix}-{i:06d}")).encode() for i in range(n)]


def percentile(latencies: list[float], q: int) -> float:
    return statistics.quantiles(latencies, n=100)[q - 1] * 1000


def main() -> None:
    for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
        with exchange(kind) as ex:
            ex.cli("org", "add", "--id", "camden", "--kind", "local_authority", "--la-code", "202")
            client = ex.cli_json("client", "add", "--org", "camden", "--scopes", "cases:submit cases:read")
            with floor_server(ex) as url:
                bearer = token(url, client["client_id"], client["client_secret"])
                load(url, "/v1/submissions", bodies("WARM", 100), bearer, accepted)  # imports, pools, keys
                load(url, "/bench/floor", [b"{}"] * 100, bearer, lambda a: a.status_code == 204)
                rate, latencies = load(url, "/v1/submissions", bodies("RUN", REQUESTS), bearer, accepted)
                floor, floor_latencies = load(
                    url, "/bench/floor", [b"{}"] * REQUESTS, bearer, lambda a: a.status_code == 204
                )
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        f50, f99 = percentile(floor_latencies, 50), percentile(floor_latencies, 99)
        print(
            f"{kind}: submissions p50 {p50:.1f} ms, p99 {p99:.1f} ms  |"
            f"  floor p50 {f50:.1f} ms, p99 {f99:.1f} ms"
        )
        report(
            f"accepted single-case submissions, gunicorn {WORKERS} workers, {THREADS} clients, {kind}",
            rate,
            "req/s",
            "authenticated INSERT+COMMIT, same server",
            floor,
        )


if __name__ == "__main__":
    os.environ.setdefault("EXCHANGE_LOG_LEVEL", "WARNING")
    main()
