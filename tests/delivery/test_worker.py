"""``exchange worker``: a worker killed mid-delivery loses nothing; ``--once`` drains and signs the audit
head; webhook subscriptions keep their secret encrypted and show it once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange import audit, clock
from exchange.db import db
from exchange.delivery import outbox, secret_store
from exchange.delivery.sender import Sender
from exchange.models import AuditCheckpoint, Delivery, WebhookSubscription
from exchange.worker import Worker
from tests.delivery.helpers import TEST_POLICY, Receiver, subscribe

EXCHANGE = Path(sys.executable).parent / "exchange"


@pytest.fixture
def cafcass(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("cafcass")


def test_a_worker_killed_while_holding_a_lease_loses_nothing(runner, cafcass, database_url, tmp_path):
    receiver = Receiver().start()
    receiver.hold.clear()  # the first request hangs inside the receiver: the worker is mid-delivery
    secret = subscribe(runner, cafcass.org_id, receiver.url, "advice.requested")
    outbox.enqueue(db.session, [cafcass.org_id], "advice.requested", {"n": 1})
    db.session.commit()
    env = {**os.environ, "EXCHANGE_DATABASE_URL": database_url, "EXCHANGE_LOG_LEVEL": "WARNING"}
    log = tmp_path / "worker.log"
    with open(log, "wb") as stderr:
        worker = subprocess.Popen(
            [str(EXCHANGE), "worker", "--idle", "0.1"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        assert receiver.arrived.wait(60), log.read_text()
        (held,) = db.session.scalars(select(Delivery)).all()
        assert held.status == "pending" and held.leased_by and held.lease_until > clock.now()
        lease_until = held.lease_until
        db.session.commit()  # end the read: SQLite readers here take the write lock too
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
        receiver.hold.set()
    try:
        survivor = Sender(policy=TEST_POLICY)
        assert survivor.deliver_due() == 0  # the dead worker's lease still stands
        assert survivor.deliver_due(lease_until + timedelta(seconds=1)) == 1
        db.session.expire_all()
        delivered = db.session.scalars(select(Delivery)).one()
        assert delivered.status == "delivered"
        assert {r.webhook_id for r in receiver.received} == {f"msg_{delivered.id.hex}"}
        assert len(receiver.received) == 2 and len(receiver.events(secret)) == 1
    finally:
        receiver.stop()


def test_worker_once_drains_the_outbox_and_signs_the_audit_head(runner, cafcass, app):
    receiver = Receiver().start()
    try:
        subscribe(runner, cafcass.org_id, receiver.url, "advice.requested")
        for n in range(3):
            outbox.enqueue(db.session, [cafcass.org_id], "advice.requested", {"n": n})
        db.session.commit()
        handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
        result = runner.invoke(args=["worker", "--once", "--json"])
        assert result.exit_code == 0, result.output
        # the process that ran the command keeps its own handlers (its forked children die of SIGTERM)
        assert {signum: signal.getsignal(signum) for signum in handlers} == handlers
        assert json.loads(result.output) == {
            "submissions": 0,
            "deliveries": 3,
            "overdue": 0,
            "checkpoints": 1,
            "purged": 0,
            "publications": 1,  # the board figures' first publication, made at once
        }
        assert len(receiver.accepted()) == 3
        assert db.session.scalar(select(AuditCheckpoint)) is not None
        checked, fault = audit.verify(db.session)
        assert fault is None and checked > 0
    finally:
        receiver.stop()


def test_webhook_secrets_are_shown_once_and_stored_encrypted(runner, cafcass, tmp_path, monkeypatch):
    secret = subscribe(
        runner, cafcass.org_id, "https://cafcass.example/hooks", "advice.requested case.changed"
    )
    assert secret.startswith("whsec_")
    row = db.session.scalars(select(WebhookSubscription)).one()
    assert (
        secret.encode() not in row.secret_ciphertext and secret_store.unseal(row.secret_ciphertext) == secret
    )
    listed = runner.invoke(args=["webhooks", "list", "--json"])
    assert secret not in listed.output and json.loads(listed.output)[0]["events"] == [
        "advice.requested",
        "case.changed",
    ]
    monkeypatch.setenv(secret_store.KEY_ENV, str(secret_store.create_key_file(tmp_path / "another.key")))
    secret_store.reset()
    with pytest.raises(secret_store.SecretUnavailable):
        secret_store.unseal(row.secret_ciphertext)


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("http://cafcass.example/hooks", "advice.requested"),  # plain http off the machine
        ("https://user:pass@cafcass.example/hooks", "advice.requested"),
        ("ftp://cafcass.example/hooks", "advice.requested"),
        ("https://cafcass.example/hooks", "advice.requested case.deleted"),
        ("https://cafcass.example/hooks", ""),
    ],
)
def test_webhooks_add_refuses_bad_urls_and_unknown_events(runner, cafcass, url, events):
    result = runner.invoke(
        args=["webhooks", "add", "--org", cafcass.org_id, "--url", url, "--events", events]
    )
    assert result.exit_code == 2
    assert db.session.scalar(select(WebhookSubscription)) is None


def test_webhooks_add_refuses_an_unknown_organisation(runner):
    args = ["webhooks", "add", "--org", "nobody", "--url", "https://x.example/h", "--events", "case.changed"]
    assert runner.invoke(args=args).exit_code == 2


def test_a_failed_pass_is_logged_and_the_worker_carries_on(app, monkeypatch):
    worker = Worker(sender=Sender(policy=TEST_POLICY))
    calls: list[int] = []

    def deliver_due(now=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        worker.stop.set()
        return 0

    monkeypatch.setattr(worker.sender, "deliver_due", deliver_due)
    worker.run(idle_seconds=0)
    assert len(calls) == 2
