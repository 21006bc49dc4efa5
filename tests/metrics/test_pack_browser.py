"""The pack in a real headless Chromium (Debian's ``chromium``): every chart drawn, no console error, no
request leaving the page; a screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from exchange.db import db
from exchange.metrics import publication
from tests.metrics.conftest import EAST, WEST

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHARTS = (
    "trend-mean-weeks",
    "trend-within-26-weeks",
    "trend-cases",
    "duration-band",
    "open-age-profile",
    "vacated-by-agency",
)

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


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
    publication.publish(db.session)


def test_the_pack_renders_offline_in_chromium(client, make_partner, auth_headers, quarter_of_cases):
    response = client.get(
        "/v1/metrics/pack",
        query_string={"area": "CENTRAL_LONDON", "quarter": "2025Q1"},
        headers={**auth_headers(make_partner("lfjb")), "Accept": "text/html"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    requests: list[str] = []
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-extensions",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
            page.set_content(html, wait_until="load")
            drawn = page.eval_on_selector_all(
                "svg[data-chart]",
                "els => els.map(e => [e.dataset.chart, e.getBoundingClientRect().width,"
                " e.querySelectorAll('*').length])",
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "performance-pack.png"), full_page=True)
        finally:
            browser.close()
    assert [name for name, _, _ in drawn] == list(CHARTS)
    assert all(width > 100 and shapes > 5 for _, width, shapes in drawn)
    assert requests == []
    assert errors == []
    assert (ARTIFACTS / "performance-pack.png").stat().st_size > 10_000
