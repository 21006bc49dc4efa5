"""Webhook deliveries per second from the outbox to a local receiver, on SQLite and on PostgreSQL.

The exchange's side: the worker's sender draining ``DELIVERIES`` outbox rows for ``ENDPOINTS``
subscriptions (claim under lease, sign, post, record each outcome and its audit event). Baseline,
measured in the same run against the same receiver: a bare ``requests`` client posting the same bodies,
one session per endpoint in parallel, with no database, no signature and no audit. The receiver runs in
a process of its own so that neither side shares its interpreter with it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from benchmarks._harness import exchange, free_port, postgres_available, report
from exchange.delivery import secret_store, targets

DELIVERIES = 2000
ENDPOINTS = 4


class Accept(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as any real receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), Accept).serve_forever()


def floor(urls: list[str], bodies: list[str]) -> float:
    """Bare posts per second: the same bodies, one keep-alive session per endpoint, endpoints in parallel."""

    def post_all(n: int) -> int:
        session = requests.Session()
        mine = bodies[n :: len(urls)]
        for body in mine:
            session.post(
                urls[n], data=body.encode(), headers={"content-type": "application/json"}, timeout=10
            )
        return len(mine)

    start = time.perf_counter()
    with ThreadPoolExecutor(len(urls)) as pool:
        sent = sum(pool.map(post_all, range(len(urls))))
    return sent / (time.perf_counter() - start)


def through_outbox(database_url: str, org_ids: list[str]) -> tuple[float, list[str]]:
    """Deliveries per second of the sender draining the outbox, and the bodies it sent."""
    from exchange import create_app
    from exchange.db import db
    from exchange.delivery import outbox
    from exchange.models import Delivery
    from exchange.worker import Worker

    app = create_app({"database_url": database_url})
    with app.app_context():
        for i in range(DELIVERIES):
            outbox.enqueue(
                db.session, [org_ids[i % len(org_ids)]], "advice.requested", {"n": i, "note": "x" * 400}
            )
        db.session.commit()
        bodies = list(db.session.scalars(select(Delivery.body).order_by(Delivery.seq)))
        db.session.commit()  # SQLite: even a read holds the write lock until its transaction ends
        worker = Worker()
        start = time.perf_counter()
        sent = worker.drain().deliveries
        elapsed = time.perf_counter() - start
        delivered = db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")
        )
        if sent != DELIVERIES or delivered != DELIVERIES:
            sys.exit(f"only {delivered} of {DELIVERIES} deliveries were delivered")
        return DELIVERIES / elapsed, bodies


def main() -> None:
    keys = Path(tempfile.mkdtemp(prefix="exchange-bench-"))
    os.environ[secret_store.KEY_ENV] = str(secret_store.create_key_file(keys / "webhook-secrets.key"))
    os.environ[targets.LOOPBACK_ENV] = "1"  # the receiver is on 127.0.0.1
    port = free_port()
    receiver = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    receiver.start()
    try:
        time.sleep(0.5)  # let the receiver bind before the first post
        for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
            with exchange(kind) as ex:
                org_ids, urls = [], []
                for n in range(ENDPOINTS):
                    org = f"cafcass-{n}"
                    ex.cli("org", "add", "--id", org, "--kind", "cafcass", "--service", "cafcass")
                    url = f"http://127.0.0.1:{port}/hooks/{n}"
                    ex.cli("webhooks", "add", "--org", org, "--url", url, "--events", "advice.requested")
                    org_ids.append(org)
                    urls.append(url)
                rate, bodies = through_outbox(ex.database_url, org_ids)
                baseline = floor(urls, bodies)
            report(
                f"webhook deliveries (outbox, signed, leased, audited), {ENDPOINTS} endpoints, {kind}",
                rate,
                "deliveries/s",
                "bare requests posts of the same bodies",
                baseline,
            )
    finally:
        receiver.terminate()


if __name__ == "__main__":
    os.environ.setdefault("EXCHANGE_LOG_LEVEL", "WARNING")
    main()
