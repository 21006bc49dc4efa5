"""Failed authentication, counted per caller address and minute, so that a flood of bad credentials
cannot grow the audit trail without bound.

The first failure (a 401) from an address in a minute is audited in full, as any denial is; the others
from that address in that minute are only counted here, and once the minute is over the count becomes
one ``auth.failures_repeated`` event (its ``detail``: the minute and how many). A process therefore
writes at most two events per address and minute however fast it is flooded; the counts of a finished
minute are written by the next request the process answers (``flush_due``). Each app keeps its own
``FailureCounter`` (``exchange.api.protect.failure_counter``). At most ``MAX_ADDRESSES``
addresses are counted one by one in a minute; beyond that, failures are counted together under ``*``.
No Flask here: the HTTP layer passes the address and the minute.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session

from exchange import audit, clock

ACTION = "auth.failures_repeated"
MAX_ADDRESSES = 10_000
OTHERS = "*"
#: the client of an aggregated event: the failures did not authenticate as anyone
UNAUTHENTICATED = "unauthenticated"


def minute_of(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ")


class FailureCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (minute, address) -> failures after the first, not yet written
        self._repeated: dict[tuple[str, str], int] = {}
        #: the addresses whose first failure this minute was written, and that minute
        self._seen: tuple[str, set[str]] = ("", set())

    def first(self, address: str | None, minute: str) -> bool:
        """Count a failure; True when it is the address's first this minute (audit it in full)."""
        address = address or OTHERS
        with self._lock:
            if self._seen[0] != minute:
                self._seen = (minute, set())
            seen = self._seen[1]
            if address not in seen:
                if len(seen) < MAX_ADDRESSES:
                    seen.add(address)
                    return True
                address = OTHERS
            key = (minute, address)
            self._repeated[key] = self._repeated.get(key, 0) + 1
            return False

    def take_due(self, minute: str) -> list[tuple[str, str, int]]:
        """The counts of minutes before ``minute`` (minute, address, count), forgotten here."""
        with self._lock:
            due = sorted(k for k in self._repeated if k[0] < minute)
            return [(m, a, self._repeated.pop((m, a))) for m, a in due]

    @property
    def pending(self) -> bool:
        return bool(self._repeated)

    def audited_in_full(self, address: str | None) -> bool:
        """Count a failed authentication from ``address`` now; True when it is to be audited in full."""
        return self.first(address, minute_of(clock.now()))


def flush_due(session: Session, counter: FailureCounter, now: datetime | None = None) -> int:
    """Write the finished minutes' counts as ``auth.failures_repeated`` events on ``session`` (committed by
    the caller); how many events."""
    if not counter.pending:
        return 0
    due = counter.take_due(minute_of(now or clock.now()))
    for minute, address, count in due:
        audit.record(
            ACTION,
            "denied_401",
            client_id=UNAUTHENTICATED,
            address=None if address == OTHERS else address,
            detail={"minute": minute, "count": count, "addresses": "many" if address == OTHERS else "one"},
            session=session,
        )
    return len(due)
