"""The background worker (``exchange worker``): large submissions, webhook deliveries, overdue advice
requests, audit checkpoints, the purge of expired replay guards and page sessions, and the board figures'
publication, in one loop that any number of processes may run side by side.

Every unit of work is claimed under a row lease or a row lock (submissions and deliveries: ``lease_until``,
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; overdue requests: a conditional transition under
``SKIP LOCKED``), so workers never do the same work twice at once, and a worker that dies leaves only
leases that expire. ``now`` and ``today`` can be injected, so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import delete, func, select

from exchange import advice, clock, people, witness
from exchange.db import db
from exchange.delivery.sender import Sender
from exchange.metrics import publication
from exchange.models import AuditCheckpoint, AuditEvent, RevokedToken, UsedAssertion, UsedDpopProof
from exchange.pipeline import process_next_submission
from exchange.settings import Settings

log = structlog.get_logger("exchange.worker")
#: sign the audit head at least this often while events keep arriving
CHECKPOINT_INTERVAL = timedelta(minutes=5)
#: publish the figures again once the data has been quiet this long, or at the latest this long after the
#: first change seen (so a steady stream of writes still publishes)
PUBLISH_QUIET = timedelta(seconds=10)
PUBLISH_AT_MOST_AFTER = timedelta(minutes=2)


@dataclass
class Tick:
    """What one pass did."""

    submissions: int = 0
    deliveries: int = 0
    overdue: int = 0
    checkpoints: int = 0
    purged: int = 0
    publications: int = 0

    def __iadd__(self, other: Tick) -> Tick:
        self.submissions += other.submissions
        self.deliveries += other.deliveries
        self.overdue += other.overdue
        self.checkpoints += other.checkpoints
        self.purged += other.purged
        self.publications += other.publications
        return self

    @property
    def busy(self) -> bool:
        return bool(self.submissions or self.deliveries)


@dataclass
class Worker:
    sender: Sender = field(default_factory=Sender)
    checkpoint_every: int = 1000
    settings: Settings = field(default_factory=Settings.load)
    stop: threading.Event = field(default_factory=threading.Event)
    #: the data state last seen out of date: (state, first seen, last changed)
    _stale: tuple[str, datetime, datetime] | None = None

    def submissions(self, limit: int = 10) -> int:
        done = 0
        while done < limit and process_next_submission(db.session(), self.settings):
            done += 1
        db.session.remove()
        return done

    def overdue(self, today: date | None = None) -> int:
        with db.transaction() as session:
            return len(advice.mark_overdue(session, today))

    def checkpoint(self, now: datetime, force: bool = False) -> int:
        """Sign the audit head when ``checkpoint_every`` events or ``CHECKPOINT_INTERVAL`` have passed, and
        hand it to the witnesses (``exchange.witness``)."""
        # the app's session, not a transaction of its own: the key ring reads the signing key through it
        session = db.session()
        try:
            head = session.scalar(select(func.max(AuditEvent.seq))) or 0
            last = session.execute(
                select(AuditCheckpoint.seq, AuditCheckpoint.signed_at)
                .order_by(AuditCheckpoint.seq.desc())
                .limit(1)
            ).first()
            signed_seq, signed_at = (last.seq, last.signed_at) if last else (0, None)
            unsigned = head - signed_seq
            due = unsigned >= self.checkpoint_every or (
                unsigned > 0 and (force or signed_at is None or now - signed_at >= CHECKPOINT_INTERVAL)
            )
            if not due:
                session.rollback()
                return 0
            return int(witness.sign_head(session, self.settings.audit_witness) is not None)
        finally:
            db.session.remove()

    def purge(self, now: datetime) -> int:
        """Forget what only guarded against a replay that can no longer happen (spent client assertions,
        spent DPoP proofs and revoked token ids, once past their expiry) and the page sessions that have
        ended (idle or too old: ``people.sweep_sessions``); how many rows were deleted."""
        with db.transaction() as session:
            return people.sweep_sessions(session, now) + sum(
                session.execute(delete(table).where(table.expires_at < now)).rowcount
                for table in (UsedAssertion, UsedDpopProof, RevokedToken)
            )

    def publish(self, now: datetime, today: date | None = None, force: bool = False) -> int:
        """Publish the figures again when the data changed and has since been quiet (debounced).

        The data's state is compared with the one the publication was made from; a change is published
        once no further change has been seen for ``PUBLISH_QUIET``, or at the latest
        ``PUBLISH_AT_MOST_AFTER`` after it was first seen. Before the first publication there is nothing
        to wait for: it is made at once.
        """
        session = db.session()
        try:
            source = publication.source_state(session, today)
            state = publication.current(session)
            if state is not None and state.source == source:
                self._stale = None
                return 0
            if self._stale is None:
                self._stale = (source, now, now)
            elif self._stale[0] != source:
                self._stale = (source, self._stale[1], now)
            _, first, last = self._stale
            waiting = now - last < PUBLISH_QUIET and now - first < PUBLISH_AT_MOST_AFTER
            if state is not None and waiting and not force:
                session.rollback()
                return 0
            publication.publish(session, self.settings.reference, today, source)
            self._stale = None
            return 1
        finally:
            db.session.remove()

    def run_once(self, now: datetime | None = None, today: date | None = None) -> Tick:
        """One pass over every kind of work (``now`` defaults to the clock at each step)."""
        # overdue first, so that its notifications go out in the same pass
        tick = Tick(overdue=self.overdue(today), submissions=self.submissions())
        tick.deliveries = self.sender.deliver_due(now)
        tick.checkpoints = self.checkpoint(now or clock.now())
        tick.purged = self.purge(now or clock.now())
        tick.publications = self.publish(now or clock.now(), today)
        return tick

    def drain(self, now: datetime | None = None, today: date | None = None) -> Tick:
        """Pass until nothing is due (retries scheduled later are left for later), then sign the head."""
        total = Tick()
        while not self.stop.is_set():
            tick = self.run_once(now, today)
            total += tick
            if not tick.busy:
                break
        total.checkpoints += self.checkpoint(now or clock.now(), force=True)
        total.publications += self.publish(now or clock.now(), today, force=True)
        return total

    def run(self, idle_seconds: float = 1.0) -> None:
        """Work until ``stop`` is set (SIGTERM, SIGINT), resting ``idle_seconds`` when nothing was due.

        A pass that fails (the database restarting, say) is logged and the next one tried after a rest:
        whatever it had claimed stays leased until its lease expires, then any worker takes it up.
        """
        while not self.stop.is_set():
            try:
                busy = self.run_once().busy
            except Exception as error:  # noqa: BLE001 - one failed pass must not end the worker
                log.error("worker_pass_failed", error_type=type(error).__name__, worker=self.sender.worker_id)
                db.session.remove()
                busy = False
            if not busy:
                self.stop.wait(idle_seconds)
