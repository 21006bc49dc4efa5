"""Crash test (issue 7, part 1): nothing acknowledged is lost, nothing is stored twice, every delivery
arrives and the feed has no gap, while gunicorn and the workers are SIGKILLed at random moments.

On PostgreSQL only (several processes writing at once is what it tests): gunicorn with several workers,
two `exchange worker` processes, a webhook receiver on loopback subscribed for ``case.changed``, and
dozens of submitters posting single canonical cases with an ``Idempotency-Key``, retrying a connection
error, a timeout or a 5xx with the same key and body. The server's whole process group and the workers
are killed with SIGKILL and restarted, ten times (``slow``) or twice (in `make test`). Then, after the
workers have drained, the counts are printed and checked against the database.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from flask import current_app
from sqlalchemy import create_engine, text
from standardwebhooks.webhooks import Webhook

from benchmarks._harness import Exchange
from benchmarks.load import Credentials, Tokens
from exchange import clock, pipeline
from exchange.db import db
from exchange.models import Submission
from exchange.store import submissions as store
from tests.api.conftest import care_case
from tests.delivery.helpers import Receiver
from tests.reliability.conftest import Server, on_postgresql, worker

#: an acknowledged submission's case, versions and deliveries must all be in place within this
DRAIN_TIMEOUT = 240.0
SUBMITTER_JOIN = 120.0


@dataclass
class Acknowledged:
    key: str
    reference: str
    receipt_id: str
    status_code: int


@dataclass
class Submitters:
    """Threads that each submit cases one after another until ``stop``, retrying each until answered."""

    url: str
    tokens: Tokens
    count: int
    per_thread: int
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    given_up: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, http: requests.Session, key: str, body: bytes) -> requests.Response | None:
        try:
            headers = {
                **self.tokens.header("local_authority"),
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            }
            return http.post(f"{self.url}/v1/submissions", data=body, headers=headers, timeout=30)
        except requests.RequestException as error:
            with self._lock:
                self.retries[type(error).__name__] += 1
            return None

    def _one(self, http: requests.Session, reference: str, deadline: float) -> None:
        key, body = str(uuid.uuid4()), json.dumps(care_case(reference=reference)).encode()
        while time.monotonic() < deadline:
            answer = self._post(http, key, body)
            if answer is not None and answer.status_code in (201, 202):
                with self._lock:
                    self.acknowledged.append(
                        Acknowledged(key, reference, answer.json()["id"], answer.status_code)
                    )
                return
            if answer is not None and answer.status_code < 500:
                with self._lock:
                    self.unexpected.append(f"{reference}: {answer.status_code} {answer.text[:300]}")
                return
            if answer is not None:
                with self._lock:
                    self.retries[f"http_{answer.status_code}"] += 1
            time.sleep(random.uniform(0.1, 0.4))  # the server is restarting
        with self._lock:
            self.given_up.append(reference)

    def _run(self, n: int, deadline: float) -> None:
        with requests.Session() as http:
            for i in range(self.per_thread):
                if self.stop.is_set():
                    return
                self._one(http, f"CRASH-{n:03d}-{i:04d}", deadline)

    def start(self, seconds: float) -> list[threading.Thread]:
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self._run, args=(n, deadline), daemon=True) for n in range(self.count)
        ]
        for thread in threads:
            thread.start()
        return threads


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks signature of one request, checked without the freshness window (the check
    runs after the run, and a retried delivery is signed anew at each attempt)."""
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], at, body.decode()).split(",", 1)[1]
    return expected in [s.split(",", 1)[1] for s in headers["webhook-signature"].split()]


def drained(engine, timeout: float) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Wait until no submission is processing and no delivery pending; the counts by state."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            processing = conn.scalar(text("SELECT count(*) FROM submissions WHERE status = 'processing'"))
            states = dict(conn.execute(text("SELECT status, count(*) FROM deliveries GROUP BY status")).all())
        if not processing and not states.get("pending"):
            return states
        assert time.monotonic() < deadline, f"not drained: {processing} processing, deliveries {states}"
        time.sleep(1)


def crash_run(ex: Exchange, tmp_path: Path, kills: int, submitters: int, per_thread: int) -> None:
    ex.cli("org", "add", "--id", "camden", "--kind", "local_authority", "--la-code", "202")
    ex.cli("org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass")
    la = ex.cli_json("client", "add", "--org", "camden", "--scopes", "cases:submit cases:read")
    cafcass = ex.cli_json("client", "add", "--org", "cafcass", "--scopes", "cases:read feed:read")
    receiver = Receiver().start()
    server = Server(ex, workers=4, log=tmp_path / "gunicorn.log")
    workers = [worker(ex, tmp_path / f"worker-{n}.log", f"worker-{n}") for n in range(2)]
    try:
        secret = ex.cli_json(
            "webhooks", "add", "--org", "cafcass", "--url", receiver.url, "--events", "case.changed"
        )["secret"]
        server.start()
        for w in workers:
            w.start()
        tokens = Tokens(
            server.url,
            {
                "local_authority": Credentials(la["client_id"], la["client_secret"]),
                "cafcass": Credentials(cafcass["client_id"], cafcass["client_secret"]),
            },
        )
        load = Submitters(server.url, tokens, submitters, per_thread)
        threads = load.start(seconds=kills * 20 + 120)
        rng = random.Random()
        for _ in range(kills):
            time.sleep(rng.uniform(0.5, 2.5))
            server.kill()
            time.sleep(rng.uniform(0.0, 0.5))
            server.start()
            time.sleep(rng.uniform(0.0, 1.5))
            for w in rng.sample(workers, rng.choice((1, 2))):
                w.kill()
                w.start()
        time.sleep(1.0)
        load.stop.set()
        for thread in threads:
            thread.join(SUBMITTER_JOIN)
        assert not any(t.is_alive() for t in threads), "a submitter did not finish in time"

        engine = create_engine(ex.database_url)
        try:
            states = drained(engine, DRAIN_TIMEOUT)
            with engine.connect() as conn:
                submissions = conn.execute(
                    text("SELECT id::text, idempotency_key, status FROM submissions WHERE org_id = 'camden'")
                ).all()
                cases = conn.execute(
                    text("SELECT reference, id::text FROM cases WHERE org_id = 'camden'")
                ).all()
                versions = conn.execute(
                    text("SELECT feed_seq, case_id::text, version FROM case_versions ORDER BY feed_seq")
                ).all()
                deliveries = conn.execute(text("SELECT id, body FROM deliveries")).all()
        finally:
            engine.dispose()

        feed: list[tuple[str, int]] = []
        cursor = None
        for _page in range(10_000):
            answer = requests.get(
                f"{server.url}/v1/feed",
                params={"limit": 37, **({"cursor": cursor} if cursor else {})},
                headers=tokens.header("cafcass"),
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            if not page["items"]:
                break
            feed += [(item["case_id"], item["version"]) for item in page["items"]]
            cursor = page["next_cursor"]
        audit = ex.cli_json("audit", "verify")  # exits 1 (raising here) unless the chain is intact
    finally:
        for w in workers:
            w.stop()
        server.stop()
        receiver.stop()

    by_id = {row.id: row for row in submissions}
    keys = Counter(row.idempotency_key for row in submissions)
    references = Counter(row.reference for row in cases)
    received = defaultdict(list)
    for r in receiver.received:
        received[r.webhook_id].append(r)
    outbox_ids = {f"msg_{row.id.hex}": row.body for row in deliveries}
    repeats = sum(len(rs) - 1 for rs in received.values())
    print(
        f"\ncrash test: {kills} kills of gunicorn ({server.starts} starts) and of the workers "
        f"({', '.join(str(w.starts) for w in workers)} starts); {submitters} submitters\n"
        f"  acknowledged {len(load.acknowledged)} (201: "
        f"{sum(a.status_code == 201 for a in load.acknowledged)}, 202: "
        f"{sum(a.status_code == 202 for a in load.acknowledged)}), client retries {dict(load.retries)}\n"
        f"  stored: {len(submissions)} submissions, {len(cases)} cases, {len(versions)} versions; "
        f"deliveries {states}\n"
        f"  receiver: {len(receiver.received)} requests, {len(received)} webhook-ids, {repeats} repeats\n"
        f"  feed: {len(feed)} items; audit chain intact over {audit['checked']} events"
    )

    assert not load.unexpected, load.unexpected[:5]
    assert not load.given_up, f"{len(load.given_up)} submissions never acknowledged"
    assert len(load.acknowledged) >= submitters
    # every acknowledged submission is present, accepted, with its case
    for ack in load.acknowledged:
        row = by_id.get(ack.receipt_id)
        assert row is not None, f"receipt {ack.receipt_id} ({ack.reference}) lost"
        assert (row.idempotency_key, row.status) == (ack.key, "accepted")
        assert references[ack.reference] == 1, ack.reference
    # nothing stored twice, nothing stored that was not sent
    assert max(keys.values()) == 1 and max(references.values()) == 1
    assert set(references) == {a.reference for a in load.acknowledged}
    # one case.changed delivery per version, each delivered; repeats only under the same webhook-id
    assert states == {"delivered": len(versions)}
    assert set(received) == set(outbox_ids)
    for webhook_id, requests_ in received.items():
        assert {r.body.decode() for r in requests_} == {outbox_ids[webhook_id]}
        assert all(verified(secret, r.headers, r.body) for r in requests_)
    # the feed: every version once, in commit order, and feed_seq has no hole
    assert [row.feed_seq for row in versions] == list(range(1, len(versions) + 1))
    assert feed == [(row.case_id, row.version) for row in versions]
    assert audit["intact"] and audit["checked"] > len(load.acknowledged), audit


@pytest.fixture
def pg_exchange(database_url: str, request: pytest.FixtureRequest) -> Exchange:
    if not on_postgresql(database_url):
        pytest.skip("the crash test needs PostgreSQL: set EXCHANGE_TEST_DATABASE_URL=postgresql+psycopg://…")
    return request.getfixturevalue("exchange_env")


def test_two_kills_lose_nothing(pg_exchange: Exchange, tmp_path: Path) -> None:
    crash_run(pg_exchange, tmp_path, kills=2, submitters=12, per_thread=30)


@pytest.mark.slow
def test_ten_kills_lose_nothing(pg_exchange: Exchange, tmp_path: Path) -> None:
    crash_run(pg_exchange, tmp_path, kills=10, submitters=40, per_thread=200)


class Died(Exception):
    """The request's process dying between storing the submission and processing it."""


def test_a_submission_whose_request_died_is_replayed_as_202_and_finished_by_a_worker(
    client, make_partner, auth_headers, monkeypatch
):  # type: ignore[no-untyped-def]
    la = make_partner("local_authority", org_id="camden", options=("--la-code", "202"))
    headers = {**auth_headers(la), "Content-Type": "application/json", "Idempotency-Key": "k-1"}
    body = json.dumps(care_case(reference="DIED-1")).encode()
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_process_inline", lambda *_: (_ for _ in ()).throw(Died()))
        with contextlib.suppress(Died):
            client.post("/v1/submissions", data=body, headers=headers)
    db.session.remove()
    (orphan,) = db.session.query(Submission).all()
    assert orphan.status == "processing"
    assert orphan.lease_until - orphan.received_at == store.SHORT_LEASE

    again = client.post("/v1/submissions", data=body, headers=headers)
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"].endswith(str(orphan.id)) and again.get_json()["status"] == "processing"

    settings = current_app.config["EXCHANGE_SETTINGS"]
    assert not pipeline.process_next_submission(db.session(), settings)  # its lease still stands
    orphan.lease_until = clock.now()  # a minute later
    db.session.commit()
    assert pipeline.process_next_submission(db.session(), settings)
    done = client.post("/v1/submissions", data=body, headers=headers)
    assert done.status_code == 201 and done.get_json()["status"] == "accepted"
    assert done.get_json()["id"] == str(orphan.id)
