"""What the crash test and the soak share: a real exchange (gunicorn in its own process group, `exchange
worker` processes) on the test database, operated through the `exchange` CLI, and memory readings.

Every wait is bounded: a process that does not start, stop or die in time fails the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from benchmarks._harness import BIN, ROOT, Exchange, free_port
from exchange.delivery import secret_store, targets

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def on_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture
def exchange_env(database_url: str, tmp_path: Path) -> Iterator[Exchange]:
    """The test database (emptied by ``database_url``), given a signing key by `exchange db upgrade`."""
    ex = Exchange(database_url, tmp_path)
    ex.env |= {
        # one key-encryption key file for the webhook secrets in every process, the CLI's included
        secret_store.KEY_ENV: str(secret_store.create_key_file(tmp_path / "webhook-secrets.key")),
        targets.LOOPBACK_ENV: "1",  # the test's receiver is on 127.0.0.1
        # every process's checkpoints go to the test's own witness file, which `audit verify` reads
        "EXCHANGE_AUDIT_WITNESS": str(tmp_path / "audit-witness.jsonl"),
        # a dead worker's delivery claims expire in a minute and a half, not six (batch * timeout + 60 s)
        "EXCHANGE_WEBHOOK_TIMEOUT": "2",
        "EXCHANGE_WEBHOOK_BATCH": "8",
    }
    ex.cli("db", "upgrade")
    yield ex


def _group_alive(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that are not zombies."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # fields after the command's closing parenthesis: state ppid pgrp …
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            alive.append(int(entry.name))
    return alive


def rss_kib(pid: int) -> int | None:
    """Resident memory of ``pid`` in KiB (VmRSS), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Group:
    """A command in a process group of its own, so that SIGKILL reaches the process and its children."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    @property
    def pids(self) -> list[int]:
        return _group_alive(self.process.pid) if self.process else []

    def kill(self) -> None:
        """SIGKILL the whole group at once; fails unless every process of it is gone in time."""
        assert self.process is not None
        pgid = self.process.pid
        os.killpg(pgid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while survivors := _group_alive(pgid):
            assert time.monotonic() < deadline, f"{self.name}: {survivors} outlived SIGKILL"
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL what is left after ``STOP_TIMEOUT``."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()


class Server(Group):
    """gunicorn (config/gunicorn.conf.py) on a fixed loopback port that survives restarts."""

    def __init__(self, ex: Exchange, workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **ex.env,
            "EXCHANGE_BIND": f"127.0.0.1:{self.port}",
            "EXCHANGE_WORKERS": str(workers),
            "EXCHANGE_ISSUER": self.url,
        }
        ex.env = env  # tokens name this issuer: the CLI must agree
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "wsgi:app"]
        super().__init__("gunicorn", command, env, log)

    def start(self) -> None:
        super().start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/health/ready", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready in {START_TIMEOUT} s: {self.log.read_text()[-3000:]}")


def worker(ex: Exchange, log: Path, name: str = "worker") -> Group:
    return Group(name, [str(BIN / "exchange"), "worker", "--idle", "0.2"], ex.env, log)
