"""`exchange.clock`: "today" is the date in London, whatever the server's zone; "now" is aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exchange import clock


@pytest.mark.parametrize(
    ("instant", "london_date"),
    [
        ("2025-06-15T22:59:59+00:00", date(2025, 6, 15)),  # 23:59:59 BST
        ("2025-06-15T23:30:00+00:00", date(2025, 6, 16)),  # 00:30 BST: already the 16th in London
        ("2025-12-15T23:30:00+00:00", date(2025, 12, 15)),  # 23:30 GMT: London is on UTC in winter
        ("2025-12-16T00:00:00+00:00", date(2025, 12, 16)),
    ],
)
def test_today_is_the_date_in_london(monkeypatch, instant, london_date):
    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat(instant))
    assert clock.today() == london_date


def test_now_is_aware_utc():
    moment = clock.now()
    assert moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(moment)
