"""The pack in a real headless Chromium (Debian's ``chromium``): every chart drawn, no console error, no
request leaving the page; a screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser import BROWSER, open_page, screenshot
from tests.metrics.conftest import EAST, WEST

pytestmark = BROWSER
CHARTS = (
    "trend-mean-weeks",
    "trend-within-26-weeks",
    "trend-cases",
    "duration-band",
    "open-age-profile",
    "vacated-by-agency",
)


@pytest.fixture
def quarter_of_cases(add_case):
    """Five quarters of Central London cases with vacated hearings, plus two other areas."""
    start = date(2024, 1, 8)
    for n in range(90):
        issued = start + timedelta(days=4 * n)
        disposed = issued + timedelta(days=150 + 3 * (n % 40))
        add_case(
            issued,
            disposed if disposed < date(2025, 3, 31) else None,
            children=1 + n % 3,
            hearings=(
                (
                    "CASE_MANAGEMENT",
                    issued + timedelta(days=20),
                    "vacated",
                    ("Cafcass", "LocalAuthority")[n % 2],
                ),
                ("CASE_MANAGEMENT", issued + timedelta(days=26), "held"),
            ),
        )
    for n in range(40):
        add_case(
            start + timedelta(days=9 * n), start + timedelta(days=9 * n + 240), court=(EAST, WEST)[n % 2]
        )


def test_the_pack_renders_offline_in_chromium(client, make_partner, auth_headers, quarter_of_cases):
    response = client.get(
        "/v1/metrics/pack",
        query_string={"area": "CENTRAL_LONDON", "quarter": "2025Q1"},
        headers={**auth_headers(make_partner("lfjb")), "Accept": "text/html"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with open_page() as (page, seen):
        page.set_content(html, wait_until="load")
        drawn = page.eval_on_selector_all(
            "svg[data-chart]",
            "els => els.map(e => [e.dataset.chart, e.getBoundingClientRect().width,"
            " e.querySelectorAll('*').length])",
        )
        shot = screenshot(page, "performance-pack.png")
    assert [name for name, _, _ in drawn] == list(CHARTS)
    assert all(width > 100 and shapes > 5 for _, width, shapes in drawn)
    assert seen.refused == []
    assert seen.errors == []
    assert shot.stat().st_size > 10_000
