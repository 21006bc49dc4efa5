"""The one clock: every date decision and every timestamp asks here.

Dates that the rules compare with (a case or birth date in the future, a due date in the past, the
current quarter) are dates in England and Wales, so ``today()`` is the date in Europe/London, not in
UTC nor in the server's local zone: a case dated today is accepted at 00:30 BST. Timestamps that are
stored are aware UTC (``now()``). Tests move time by monkeypatching ``exchange.clock.now``; ``today``
follows it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """The date in England and Wales now, which is what working days, due dates and the rules count in."""
    return now().astimezone(LONDON).date()
