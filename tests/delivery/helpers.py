"""What the advice and delivery tests share: a webhook receiver on loopback, cases written through the
case store, webhook subscriptions registered through the CLI, and a worker whose clock the test moves.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import current_app
from flask.testing import FlaskClient, FlaskCliRunner
from standardwebhooks.webhooks import Webhook

from exchange import clock
from exchange.db import db
from exchange.delivery.sender import RetryPolicy, Sender
from exchange.models import Case, Organisation
from exchange.store import cases as case_store
from exchange.worker import Worker

#: quick to retry and to give up, so a test runs every attempt by moving the clock an hour at a time
TEST_POLICY = RetryPolicy(max_attempts=4, timeout_seconds=3.0, batch=16)
HOUR = timedelta(hours=1)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, once its Standard Webhooks signature verifies (raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread; ``answer(n)`` gives the status of the n-th request (0-based).

    ``hold`` (cleared) makes every request wait inside the handler until it is set again.
    """

    def __init__(self, answer: Callable[[int], int] = lambda n: 200, port: int = 0) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self.arrived = threading.Event()
        self.hold = threading.Event()
        self.hold.set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    status = receiver.answer(len(receiver.received))
                    receiver.received.append(Received(dict(self.headers.items()), body, status))
                receiver.arrived.set()
                receiver.hold.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return Handler

    def start(self) -> Receiver:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.hold.set()
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    def events(self, secret: str) -> list[dict[str, Any]]:
        """Every payload answered 2xx, verified, once per webhook-id, in arrival order."""
        seen: dict[str, dict[str, Any]] = {}
        for r in self.accepted():
            seen.setdefault(r.webhook_id, r.verified(secret))
        return list(seen.values())


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subscribe(runner: FlaskCliRunner, org_id: str, url: str, events: str) -> str:
    """Register a webhook through the CLI; its signing secret."""
    result = runner.invoke(
        args=["webhooks", "add", "--org", org_id, "--url", url, "--events", events, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["secret"]


def case_data(
    court: str = "115", law: str = "public", reference: str = "REF-1", **extra: Any
) -> dict[str, Any]:
    """A synthetic canonical case with one child and one respondent whose address is confidential."""
    return {
        "reference": reference,
        "applicant_la": "202",
        "court": court,
        "law": law,
        "application_type": "C110A" if law == "public" else "C100",
        "orders_sought": ["CARE_ORDER"] if law == "public" else [],
        "date_received": "2026-01-05",
        "children": [
            {
                "la_child_id": f"{reference}-C1",
                "date_of_birth": "2020-02-02",
                "sex": "F",
            }
        ],
        "respondents": [
            {
                "role": "respondent",
                "first_name": "Synthetic",
                "last_name": "Parent",
                "address": {"line1": "1 Synthetic Street", "postcode": "ZZ1 1ZZ"},
                "address_confidential": True,
            }
        ],
        **extra,
    }


def submit_case(client: FlaskClient, headers: dict[str, str], data: dict[str, Any]) -> str:
    """Submit one canonical case through ``POST /v1/submissions``; the id of the case stored."""
    response = client.post("/v1/submissions", json={"cases": [data]}, headers=headers)
    assert response.status_code == 201 and response.get_json()["accepted"] == 1, response.get_json()
    return response.get_json()["stored_ids"][0]


def save_case(org_id: str, data: dict[str, Any], case: Case | None = None) -> Case:
    """Write a case through the case store (new version, signal, outbox) and commit."""
    org = db.session.get(Organisation, org_id)
    case = case or case_store.new_case(org)
    reference = current_app.config["EXCHANGE_SETTINGS"].reference
    previous = case.document if case.version else None
    document = case_store.build_document(case.id, data, previous, reference)
    event = "case.submitted" if not case.version else "case.updated"
    case_store.save(db.session, case, document, event, reference.field_policy)
    db.session.commit()
    return case


def make_worker(policy: RetryPolicy = TEST_POLICY) -> Worker:
    return Worker(sender=Sender(policy=policy))


def run_hours(sender: Sender, hours: int, start: datetime | None = None) -> None:
    """One sending pass per simulated hour: longer than any backoff of ``TEST_POLICY``."""
    start = start or clock.now()
    for hour in range(hours):
        sender.deliver_due(start + hour * HOUR)
