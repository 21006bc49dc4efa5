"""Mixed traffic against a running exchange, bounded in requests and time: the soak's load generator.

Every partner uses real OAuth tokens (client_secret_basic, refreshed before they expire): the local
authority submits single care cases with an ``Idempotency-Key`` (now and then repeating one, which must
replay), lists and reads its cases; Cafcass reads the feed page by page, acknowledges and answers advice
requests that the court asks for; the board pulls its metrics. Every answer is timed per operation and
checked against the statuses that operation may give; anything else is an error, kept with its status.

Only loopback servers are loaded. Run it alone with `python -m benchmarks.load` (a fresh SQLite exchange
under gunicorn; ``LOAD_SECONDS``, default 30); ``tests/reliability/test_soak.py`` runs it for minutes.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks._harness import Exchange, exchange
from tests.api.conftest import care_case  # the synthetic case the API tests use

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: renew a token this long before the server's 300 s lifetime ends
TOKEN_MARGIN = 60.0
REQUEST_TIMEOUT = 30.0
AREA = "CENTRAL_LONDON"
#: (operation, weight); an advice round is three requests (ask, acknowledge, answer)
MIX: tuple[tuple[str, float], ...] = (
    ("submit", 4),
    ("submit_replay", 1),
    ("case_list", 1),
    ("case_read", 3),
    ("feed", 2),
    ("advice", 1),
    ("metrics", 1),
)
PARTNERS = {
    # kind: (org id, org options, scopes)
    "local_authority": ("load-camden", ("--la-code", "202"), "cases:submit cases:read"),
    "court": ("load-court", ("--court-code", "115"), "cases:read advice:request"),
    "cafcass": ("load-cafcass", ("--service", "cafcass"), "cases:read feed:read advice:respond"),
    "lfjb": ("load-board", ("--dfj-area", AREA), "metrics:read"),
}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str


def provision(ex: Exchange) -> dict[str, Credentials]:
    """One organisation and client per kind the load uses, registered through the `exchange` CLI."""
    made = {}
    for kind, (org_id, options, scopes) in PARTNERS.items():
        ex.cli("org", "add", "--id", org_id, "--kind", kind, *options)
        created = ex.cli_json("client", "add", "--org", org_id, "--scopes", scopes)
        made[kind] = Credentials(created["client_id"], created["client_secret"])
    return made


class Tokens:
    """Bearer tokens per partner kind, fetched on first use and renewed before they expire."""

    def __init__(self, url: str, credentials: dict[str, Credentials]) -> None:
        self.url, self.credentials = url, credentials
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def header(self, kind: str, renew: bool = False) -> dict[str, str]:
        with self._lock:
            token, until = self._tokens.get(kind, ("", 0.0))
            if renew or time.monotonic() > until:
                c = self.credentials[kind]
                answer = requests.post(
                    f"{self.url}/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(c.client_id, c.secret),
                    timeout=REQUEST_TIMEOUT,
                )
                answer.raise_for_status()
                body = answer.json()
                token = body["access_token"]
                until = time.monotonic() + body["expires_in"] - TOKEN_MARGIN
                self._tokens[kind] = (token, until)
        return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Sample:
    op: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float
    ok: bool


@dataclass
class LoadReport:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, op: str | None = None) -> int:
        return sum(1 for s in self.samples if op is None or s.op == op)

    def percentiles(self, op: str) -> tuple[float, float, float]:
        """(p50, p90, p99) in milliseconds of ``op``'s answers."""
        times = sorted(s.seconds * 1000 for s in self.samples if s.op == op)
        if len(times) < 2:
            return (times[0],) * 3 if times else (float("nan"),) * 3
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        return cuts[49], cuts[89], cuts[98]

    def table(self) -> str:
        """One line per operation: count, errors, p50/p90/p99."""
        lines = [f"{'operation':<18}{'count':>7}{'errors':>8}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}"]
        for op in sorted({s.op for s in self.samples}):
            p50, p90, p99 = self.percentiles(op)
            errors = sum(1 for s in self.samples if s.op == op and not s.ok)
            lines.append(f"{op:<18}{self.count(op):>7}{errors:>8}{p50:>10.1f}{p90:>10.1f}{p99:>10.1f}")
        return "\n".join(lines)


class Load:
    """Mixed traffic from ``threads`` clients against ``url`` until ``seconds`` or ``max_requests``."""

    def __init__(self, url: str, credentials: dict[str, Credentials], *, prefix: str = "LOAD") -> None:
        host = urlsplit(url).hostname
        if host not in LOOPBACK:
            raise ValueError(f"the load generator only loads a loopback server, not {host!r}")
        self.url, self.prefix = url, prefix
        self.tokens = Tokens(url, credentials)
        self.report = LoadReport()
        self._lock = threading.Lock()
        self._cases: list[str] = []
        self._submitted: list[tuple[str, bytes]] = []  # (idempotency key, body) answered 201
        self._serial = 0
        self._feed_cursor: str | None = None
        self._sent = 0

    # --- one request -------------------------------------------------------------------------------
    def _call(
        self,
        http: requests.Session,
        op: str,
        kind: str,
        method: str,
        path: str,
        expect: tuple[int, ...],
        **kwargs: Any,
    ) -> requests.Response | None:
        headers = {**kwargs.pop("headers", {}), **self.tokens.header(kind)}
        start = time.perf_counter()
        try:
            answer = http.request(
                method, f"{self.url}{path}", headers=headers, timeout=REQUEST_TIMEOUT, **kwargs
            )
        except requests.RequestException as error:
            self._record(op, 0, time.perf_counter() - start, False, f"{op}: {type(error).__name__}")
            return None
        elapsed = time.perf_counter() - start
        if answer.status_code == 401:  # a token revoked or expired early: renew once, say so, go on
            self.tokens.header(kind, renew=True)
        ok = answer.status_code in expect
        detail = "" if ok else f"{op} {method} {path.split('?')[0]}: {answer.status_code} {answer.text[:200]}"
        self._record(op, answer.status_code, elapsed, ok, detail)
        return answer if ok else None

    def _record(self, op: str, status: int, seconds: float, ok: bool, error: str) -> None:
        with self._lock:
            self.report.samples.append(Sample(op, status, seconds, ok))
            if not ok:
                self.report.errors.append(error)

    # --- the operations ----------------------------------------------------------------------------
    def submit(self, http: requests.Session) -> None:
        with self._lock:
            self._serial += 1
            reference = f"{self.prefix}-{os.getpid()}-{self._serial:07d}"
        key = str(uuid.uuid4())
        body = json.dumps(care_case(reference=reference)).encode()
        answer = self._call(
            http,
            "submit",
            "local_authority",
            "POST",
            "/v1/submissions",
            (201,),
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        if answer is not None and answer.json()["status"] == "accepted":
            with self._lock:
                self._cases.extend(answer.json()["stored_ids"])
                self._submitted.append((key, body))

    def submit_replay(self, http: requests.Session) -> None:
        with self._lock:
            earlier = random.choice(self._submitted) if self._submitted else None
        if earlier is None:
            return self.submit(http)
        key, body = earlier
        answer = self._call(
            http,
            "submit_replay",
            "local_authority",
            "POST",
            "/v1/submissions",
            (201,),
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        if answer is not None and answer.headers.get("Idempotent-Replayed") != "true":
            self._record("submit_replay", answer.status_code, 0.0, False, "submit_replay: not a replay")
        return None

    def _a_case(self) -> str | None:
        with self._lock:
            return random.choice(self._cases) if self._cases else None

    def case_list(self, http: requests.Session) -> None:
        self._call(http, "case_list", "local_authority", "GET", "/v1/cases?limit=20", (200,))

    def case_read(self, http: requests.Session) -> None:
        case_id = self._a_case()
        if case_id is None:
            return self.case_list(http)
        self._call(http, "case_read", "local_authority", "GET", f"/v1/cases/{case_id}", (200,))
        return None

    def feed(self, http: requests.Session) -> None:
        with self._lock:
            cursor = self._feed_cursor
        path = "/v1/feed?limit=50" + (f"&cursor={cursor}" if cursor else "")
        answer = self._call(http, "feed", "cafcass", "GET", path, (200,))
        if answer is not None:
            with self._lock:
                self._feed_cursor = answer.json()["next_cursor"]

    def advice(self, http: requests.Session) -> None:
        case_id = self._a_case()
        if case_id is None:
            return self.submit(http)
        hearing = str(date.today() + timedelta(days=60))
        asked = self._call(
            http,
            "advice_request",
            "court",
            "POST",
            "/v1/advice-requests",
            (201,),
            json={"case_id": case_id, "type": "section_37_report", "hearing_date": hearing},
        )
        if asked is None:
            return None
        request_id = asked.json()["id"]
        path = f"/v1/advice-requests/{request_id}"
        if self._call(http, "advice_ack", "cafcass", "POST", f"{path}/acknowledge", (200,)) is not None:
            self._call(
                http,
                "advice_answer",
                "cafcass",
                "POST",
                f"{path}/advice",
                (201,),
                json={"summary": "Synthetic advice.", "risk_identified": False},
            )
        return None

    def metrics(self, http: requests.Session) -> None:
        self._call(http, "metrics", "lfjb", "GET", f"/v1/metrics?area={AREA}&period=quarter", (200,))

    # --- driving -----------------------------------------------------------------------------------
    def run(
        self,
        seconds: float,
        threads: int = 8,
        max_requests: int = 1_000_000,
        seed: int = 1,
        pause: Callable[[], float] = lambda: 0.0,
    ) -> LoadReport:
        """Run the mix from ``threads`` clients; stops at ``seconds`` or after ``max_requests`` operations.

        ``pause()`` seconds are slept between one client's operations (0: as fast as the server answers).
        """
        names, weights = zip(*MIX, strict=True)
        deadline = time.monotonic() + seconds

        def client(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            with requests.Session() as http:
                while time.monotonic() < deadline:
                    with self._lock:
                        if self._sent >= max_requests:
                            return
                        self._sent += 1
                    getattr(self, rng.choices(names, weights)[0])(http)
                    time.sleep(pause())

        workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            # a request is bounded by REQUEST_TIMEOUT; an advice round makes three
            worker.join(max(0.0, deadline - time.monotonic()) + 4 * REQUEST_TIMEOUT)
        if any(worker.is_alive() for worker in workers):
            self.report.errors.append("a load client did not stop in time")
        return self.report


def main() -> None:
    seconds = float(os.environ.get("LOAD_SECONDS", "30"))
    with exchange("sqlite") as ex:
        credentials = provision(ex)
        with ex.served(workers=2) as url:
            report = Load(url, credentials).run(seconds, threads=4)
    print(f"mixed load for {seconds:.0f} s, 4 clients, gunicorn 2 workers, SQLite")
    print(report.table())
    print(f"errors: {len(report.errors)}", *report.errors[:10], sep="\n  ")


if __name__ == "__main__":
    os.environ.setdefault("EXCHANGE_LOG_LEVEL", "WARNING")
    main()
