"""Sending the outbox: claim due deliveries under a lease, post them signed, record each outcome.

Each attempt checks its target again (``targets.resolve``: https to a public address, resolved once and
connected to that address); a refused target is final at once, never retried. Retries follow
``RetryPolicy``: a 5xx answer, a timeout or a connection error is retried after an exponential backoff
with full jitter; any other answer (a redirect too: it is never followed) is final (2xx delivered, the
rest a dead letter at once: the receiver refused it and repeating will not change that); after
``max_attempts`` a delivery is parked as a dead letter until an operator replays it.

Several workers share the outbox: a claim takes due rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite transactions are serial anyway) and stamps ``lease_until``; a worker that dies holding a lease
simply lets it expire and another worker sends the row again, under the same ``webhook-id``. Delivery is
therefore at least once, and receivers drop repeats by ``webhook-id``.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from exchange import audit, clock
from exchange.db import db
from exchange.delivery import secret_store, targets
from exchange.delivery.signing import signed_headers
from exchange.models import Delivery, WebhookSubscription
from exchange.settings import ConfigurationError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(hours=1)
    timeout_seconds: float = 10.0
    batch: int = 32
    parallel: int = 8

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RetryPolicy:
        """The defaults, but ``EXCHANGE_WEBHOOK_TIMEOUT`` (seconds per post, at most 60) and
        ``EXCHANGE_WEBHOOK_BATCH`` (deliveries claimed at once) when set: together they bound how long
        the claims of a worker that died stay leased (``lease``) before another worker sends them."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, key, kind, upper in (
            ("timeout_seconds", "EXCHANGE_WEBHOOK_TIMEOUT", float, 60),
            ("batch", "EXCHANGE_WEBHOOK_BATCH", int, 1000),
        ):
            if key not in environ:
                continue
            try:
                values[name] = kind(environ[key])
            except ValueError:
                values[name] = 0
            if not 0 < values[name] <= upper:
                raise ConfigurationError(f"{key} must be a number above 0 and at most {upper}")
        return cls(**values)

    @property
    def lease(self) -> timedelta:
        """Longer than a batch can take even if every post to one endpoint runs to its timeout."""
        return timedelta(seconds=self.batch * self.timeout_seconds + 60)

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> timedelta:
        """Full jitter: uniform in [0, min(max_delay, base * 2^(attempt-1))] (AWS "exponential backoff")."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * rng()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.error != TARGET_REFUSED
        return self.status_code >= 500

    @property
    def attempted(self) -> bool:
        return self.error != NOT_ATTEMPTED


#: an endpoint that just failed is not tried again within the same batch; the lease is released
NOT_ATTEMPTED = "not_attempted"
#: the target is no longer a public https address (``targets``): a dead letter at once
TARGET_REFUSED = "target_refused"


def _pinned_session() -> requests.Session:
    """An HTTP session that connects where ``targets.resolve`` said, ignoring proxies and .netrc from the
    environment (they would connect elsewhere or add credentials)."""
    http = requests.Session()
    http.trust_env = False
    adapter = targets.PinnedAdapter()
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http


@dataclass
class Sender:
    """One worker's sending side: its id (for leases), its retry policy and its HTTP session."""

    worker_id: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex[:12]}")
    policy: RetryPolicy = field(default_factory=RetryPolicy.from_environ)
    http: requests.Session = field(default_factory=_pinned_session)
    #: loopback targets too (``EXCHANGE_WEBHOOK_ALLOW_LOOPBACK=1``: tests and the demo)
    allow_loopback: bool = field(default_factory=targets.loopback_allowed)

    def claim(self, session: Session, now: datetime) -> list[Delivery]:
        """Lease up to ``policy.batch`` due deliveries, oldest first."""
        rows = session.scalars(
            select(Delivery)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.seq)
            .limit(self.policy.batch)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.lease_until = now + self.policy.lease
            row.leased_by = self.worker_id
        return list(rows)

    def post(self, url: str, secret: str, delivery: Delivery, at: datetime) -> Outcome:
        headers = signed_headers(secret, f"msg_{delivery.id.hex}", at, delivery.body)
        try:
            target = targets.resolve(url, self.allow_loopback)
        except targets.TargetRefused:
            return Outcome(None, TARGET_REFUSED)
        try:
            response = self.http.post(
                target.pinned_url,
                data=delivery.body.encode(),
                headers={**headers, "Host": target.host},
                timeout=self.policy.timeout_seconds,
                allow_redirects=False,
            )
        except requests.Timeout:
            return Outcome(None, "timeout")
        except requests.ConnectionError:
            return Outcome(None, "connection_error")
        except requests.RequestException:
            return Outcome(None, "request_error")
        response.close()
        return Outcome(response.status_code, None if response.ok else f"http_{response.status_code}")

    def record(self, session: Session, delivery: Delivery, outcome: Outcome, now: datetime) -> None:
        """Store one attempt's outcome, unless another worker has taken the lease over meanwhile."""
        mine = (Delivery.seq == delivery.seq) & (Delivery.leased_by == self.worker_id)
        if not outcome.attempted:
            session.execute(update(Delivery).where(mine).values(lease_until=None, leased_by=None))
            return
        attempts = delivery.attempts + 1
        values: dict[str, object] = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "lease_until": None,
            "leased_by": None,
        }
        if outcome.delivered:
            values |= {"status": "delivered", "delivered_at": now}
        elif outcome.retryable and attempts < self.policy.max_attempts:
            values["next_attempt_at"] = now + self.policy.delay(attempts)
        else:
            values |= {"status": "dead", "dead_at": now}
        done = session.execute(update(Delivery).where(mine).values(**values))
        if done.rowcount and values.get("status"):
            audit.record(
                f"delivery.{values['status']}",
                "success" if outcome.delivered else "failure",
                client_id=self.worker_id,
                org_id=delivery.org_id,
                resource_type="delivery",
                resource_ids=[delivery.id, *delivery.resource_ids],
                detail={"event_type": delivery.event_type, "attempts": attempts, "error": outcome.error},
                session=session,
            )

    def deliver_due(self, now: datetime | None = None) -> int:
        """Claim a batch of due deliveries, send them, record the outcomes; how many were claimed."""
        now = now or clock.now()
        with db.transaction() as session:
            claimed = self.claim(session, now)
            subscriptions = {
                s.id: (s.url, secret_store.unseal(s.secret_ciphertext))
                for s in session.scalars(
                    select(WebhookSubscription).where(
                        WebhookSubscription.id.in_({d.subscription_id for d in claimed})
                    )
                )
            }
        if not claimed:
            return 0
        outcomes = self._send_all(claimed, subscriptions)
        with db.transaction() as session:
            for delivery, outcome in zip(claimed, outcomes, strict=True):
                self.record(session, delivery, outcome, max(now, clock.now()))
        return len(claimed)

    def _send_all(
        self, claimed: Sequence[Delivery], subscriptions: dict[uuid.UUID, tuple[str, str]]
    ) -> list[Outcome]:
        """Endpoints in parallel; one endpoint's deliveries one after another, oldest first."""
        by_endpoint: dict[uuid.UUID, list[int]] = {}
        for n, delivery in enumerate(claimed):
            by_endpoint.setdefault(delivery.subscription_id, []).append(n)
        outcomes: list[Outcome | None] = [None] * len(claimed)

        def send(indices: list[int]) -> None:
            url, secret = subscriptions[claimed[indices[0]].subscription_id]
            failing = False
            for n in indices:
                if failing:
                    outcomes[n] = Outcome(None, NOT_ATTEMPTED)
                    continue
                # the real clock, whatever ``now`` schedules by: receivers check the timestamp's freshness
                outcomes[n] = outcome = self.post(url, secret, claimed[n], clock.now())
                failing = not outcome.delivered and outcome.retryable

        with ThreadPoolExecutor(min(self.policy.parallel, len(by_endpoint))) as pool:
            list(pool.map(send, by_endpoint.values()))
        return [o for o in outcomes if o is not None]


def replay(session: Session, delivery_ids: Sequence[uuid.UUID] = (), all_dead: bool = False) -> int:
    """Put dead letters (the given ones, or all) back in the outbox, due now, with the same ``webhook-id``."""
    query = update(Delivery).where(Delivery.status == "dead")
    if not all_dead:
        query = query.where(Delivery.id.in_(list(delivery_ids)))
    done = session.execute(
        query.values(
            status="pending",
            attempts=0,
            next_attempt_at=clock.now(),
            lease_until=None,
            leased_by=None,
            dead_at=None,
        )
    )
    return done.rowcount or 0
