"""The sender: retries with backoff on 5xx, timeouts and refused connections only; dead letters; replay;
leases shared by several workers. Time is moved, never slept through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange import advice, clock
from exchange.db import db
from exchange.delivery import outbox
from exchange.delivery.sender import RetryPolicy, Sender
from exchange.models import Delivery
from tests.delivery.helpers import HOUR, TEST_POLICY, Receiver, free_port, run_hours, subscribe

EVENTS = 10


@pytest.fixture
def cafcass(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("cafcass")


def _enqueue(org_id: str, n: int = EVENTS) -> None:
    for i in range(n):
        outbox.enqueue(db.session, [org_id], "advice.requested", {"n": i}, [f"r{i}"])
    db.session.commit()


def _statuses() -> dict[str, int]:
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    db.session.rollback()
    return dict(rows)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def test_a_receiver_failing_half_the_time_gets_every_event_with_repeats_only_by_webhook_id(
    runner, cafcass, receiver
):
    receiver.answer = lambda n: 503 if n % 2 == 0 else 200
    secret = subscribe(runner, cafcass.org_id, receiver.start().url, "advice.requested")
    _enqueue(cafcass.org_id)
    run_hours(Sender(policy=TEST_POLICY), 12)
    payloads = receiver.events(secret)
    assert sorted(p["data"]["n"] for p in payloads) == list(range(EVENTS))
    assert _statuses() == {"delivered": EVENTS}
    # every repeat carried the webhook-id of an event it repeats, and the same body
    by_id: dict[str, set[bytes]] = {}
    for r in receiver.received:
        by_id.setdefault(r.webhook_id, set()).add(r.body)
    assert len(by_id) == EVENTS and all(len(bodies) == 1 for bodies in by_id.values())


def test_a_receiver_down_for_a_while_gets_everything_once_it_recovers(runner, cafcass):
    port = free_port()  # nothing listens there yet: every connection is refused
    secret = subscribe(runner, cafcass.org_id, f"http://127.0.0.1:{port}/hooks", "advice.requested")
    _enqueue(cafcass.org_id)
    sender = Sender(policy=RetryPolicy(max_attempts=6, timeout_seconds=3.0))
    start = clock.now()
    run_hours(sender, 3, start)
    pending = db.session.scalars(select(Delivery)).all()
    assert {d.status for d in pending} == {"pending"}
    # one refused connection per pass: the endpoint's other deliveries wait instead of failing one by one
    assert sum(d.attempts for d in pending) == 3
    assert {d.last_error for d in pending} == {"connection_error", None}
    db.session.rollback()
    up = Receiver(port=port).start()
    try:
        run_hours(sender, 6, start + 3 * HOUR)
        assert sorted(p["data"]["n"] for p in up.events(secret)) == list(range(EVENTS))
        assert _statuses() == {"delivered": EVENTS}
    finally:
        up.stop()


def test_dead_letters_after_the_last_attempt_then_replay_delivers_under_the_same_id(
    runner, cafcass, receiver
):
    receiver.answer = lambda n: 500
    secret = subscribe(runner, cafcass.org_id, receiver.start().url, "advice.requested")
    _enqueue(cafcass.org_id, 2)
    run_hours(Sender(policy=TEST_POLICY), 8)
    assert _statuses() == {"dead": 2}
    assert len(receiver.received) == 2 * TEST_POLICY.max_attempts

    listed = runner.invoke(args=["deliveries", "list", "--status", "dead", "--json"])
    dead = json.loads(listed.output)
    assert listed.exit_code == 0 and {d["last_error"] for d in dead} == {"http_500"}
    receiver.answer = lambda n: 204
    replayed = runner.invoke(args=["deliveries", "replay", "--id", dead[0]["id"], "--json"])
    assert json.loads(replayed.output) == {"replayed": 1}
    Sender(policy=TEST_POLICY).deliver_due()
    assert _statuses() == {"dead": 1, "delivered": 1}
    assert receiver.accepted()[0].webhook_id == f"msg_{dead[0]['id'].replace('-', '')}"
    assert json.loads(runner.invoke(args=["deliveries", "replay", "--all-dead", "--json"]).output) == {
        "replayed": 1
    }
    Sender(policy=TEST_POLICY).deliver_due()
    assert _statuses() == {"delivered": 2}
    assert len(receiver.events(secret)) == 2
    assert runner.invoke(args=["deliveries", "replay"]).exit_code == 2


def test_a_4xx_answer_is_final_and_not_retried(runner, cafcass, receiver):
    receiver.answer = lambda n: 410
    subscribe(runner, cafcass.org_id, receiver.start().url, "advice.requested")
    _enqueue(cafcass.org_id, 1)
    run_hours(Sender(policy=TEST_POLICY), 4)
    assert _statuses() == {"dead": 1} and len(receiver.received) == 1


def test_backoff_is_exponential_with_full_jitter_and_capped():
    policy = RetryPolicy(base_delay=timedelta(seconds=10), max_delay=timedelta(minutes=5))
    assert [policy.delay(n, rng=lambda: 1.0) for n in (1, 2, 3, 6, 12)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(minutes=5),
        timedelta(minutes=5),
    ]
    assert policy.delay(3, rng=lambda: 0.25) == timedelta(seconds=10)
    assert policy.lease > timedelta(seconds=policy.batch * policy.timeout_seconds)


def test_two_workers_never_hold_the_same_delivery_and_an_expired_lease_is_taken_over(
    runner, cafcass, receiver
):
    subscribe(runner, cafcass.org_id, receiver.start().url, "advice.requested")
    _enqueue(cafcass.org_id, 6)
    small = RetryPolicy(batch=4)
    first, second = Sender(policy=small), Sender(policy=small)
    now = clock.now()
    with db.transaction() as session:
        a = {d.seq for d in first.claim(session, now)}
    with db.transaction() as session:
        b = {d.seq for d in second.claim(session, now)}
    assert len(a) == 4 and len(b) == 2 and not a & b
    with db.transaction() as session:  # the first worker died: after its lease, the second takes its rows
        taken = {d.seq for d in second.claim(session, now + small.lease + timedelta(seconds=1))}
    assert taken == a


def test_overdue_marking_writes_no_delivery_without_subscribers_and_is_safe_to_repeat(app):
    assert advice.mark_overdue(db.session) == []
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_concurrent_claims_skip_rows_locked_by_another_worker(app, runner, cafcass, receiver):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time; SKIP LOCKED is PostgreSQL's")
    subscribe(runner, cafcass.org_id, receiver.url, "advice.requested")
    _enqueue(cafcass.org_id, 6)
    small = RetryPolicy(batch=4)
    now = clock.now()
    with db.transaction() as first, db.transaction() as second:  # both open at once, neither committed
        a = {d.seq for d in Sender(policy=small).claim(first, now)}
        b = {d.seq for d in Sender(policy=small).claim(second, now)}
    assert len(a) == 4 and len(b) == 2 and not a & b
