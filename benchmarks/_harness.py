"""What every benchmark shares: a real exchange under gunicorn on a fresh database, and one way to report.

Run each benchmark as `python -m benchmarks.NAME` from the project root (`make bench` runs them all).

A benchmark prints its figure beside a baseline measured in the same run, and their ratio, so that
the number means something on whatever machine runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from exchange.keystore.envelope import generate_kek

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379"
PG_URL = os.environ.get("EXCHANGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def report(what: str, figure: float, unit: str, baseline_name: str, baseline: float) -> None:
    """One line: the figure, its baseline from the same run, and figure/baseline."""
    ratio = figure / baseline if baseline else float("nan")
    print(
        f"{what}: {figure:,.1f} {unit}  |  baseline ({baseline_name}): {baseline:,.1f} {unit}"
        f"  |  ratio {ratio:.2f}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return False


class Exchange:
    """A database migrated by `exchange db upgrade`, operated through the `exchange` command line."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.env = {
            **os.environ,
            "EXCHANGE_DATABASE_URL": database_url,
            "EXCHANGE_LOG_LEVEL": "WARNING",
            "EXCHANGE_RATE_LIMIT": "1000000 per minute",
            "EXCHANGE_TOKEN_RATE_LIMIT": "1000000 per minute",
        }
        if redis_available():
            # as in production: counters shared by every worker (in-memory counters are per process)
            self.env["EXCHANGE_RATE_LIMIT_STORAGE"] = REDIS_URL
        self.workdir = workdir
        # the key store's key-encryption key, as an operator keeps it: a file outside the database
        self.key_encryption_key = workdir / "key-encryption.key"
        generate_kek(self.key_encryption_key)
        self.env["EXCHANGE_KEY_ENCRYPTION_KEY"] = str(self.key_encryption_key)
        self.url = ""

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "exchange"), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"exchange {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def cli_json(self, *args: str) -> dict:
        return json.loads(self.cli(*args, "--json"))

    @contextmanager
    def served(self, workers: int = 2, port: int | None = None) -> Iterator[str]:
        port = port or free_port()
        env = {
            **self.env,
            "EXCHANGE_BIND": f"127.0.0.1:{port}",
            "EXCHANGE_WORKERS": str(workers),
            "EXCHANGE_ISSUER": f"http://127.0.0.1:{port}",
        }
        self.env = env
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "config" / "gunicorn.conf.py"),
                "--chdir",
                str(ROOT),
                "wsgi:app",
            ],
            env=env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{self.url}/health/ready", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not become ready")
            yield self.url
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def exchange(kind: str = "sqlite") -> Iterator[Exchange]:
    """A migrated exchange database: a temporary SQLite file, or the PostgreSQL test database emptied."""
    workdir = Path(tempfile.mkdtemp(prefix="exchange-bench-"))
    try:
        if kind == "sqlite":
            url = f"sqlite:///{workdir / 'exchange.db'}"
        else:
            import psycopg

            url = PG_URL
            with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
        ex = Exchange(url, workdir)
        ex.cli("db", "upgrade")
        yield ex
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
