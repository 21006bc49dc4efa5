"""Headless Chromium (Debian's ``chromium``) for the tests marked ``browser``, with nothing leaving the page.

``open_page`` launches it with Playwright and yields a ``Page`` whose every request is either answered by
a Flask test client (requests to ``ORIGIN``, when a client is given) or refused and recorded in
``Seen.refused``; console errors and uncaught exceptions are recorded in ``Seen.errors``. Screenshots go to
``ARTIFACTS`` (``test-artifacts/``, not committed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: the origin the page sees when its requests are answered by the test client
ORIGIN = "http://exchange.test"
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
#: every browser test: marked, and skipped where Debian's chromium is missing
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@dataclass
class Seen:
    """What the page asked for that was refused, and what it reported as an error."""

    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _answer(client: FlaskClient | None, seen: Seen, route: Any) -> None:
    url = urlsplit(route.request.url)
    if client is None or f"{url.scheme}://{url.netloc}" != ORIGIN:
        seen.refused.append(route.request.url)
        route.abort()
        return
    path = url.path + (f"?{url.query}" if url.query else "")
    with client.open(path, method=route.request.method, headers=route.request.headers) as response:
        route.fulfill(status=response.status_code, headers=dict(response.headers), body=response.get_data())


@contextmanager
def open_page(
    client: FlaskClient | None = None, width: int = 1200, height: int = 900
) -> Iterator[tuple[Any, Seen]]:
    """A fresh page (and what it did), in a browser closed on exit."""
    seen = Seen()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(LAUNCH_ARGS))
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.errors.append(str(e)))
            page.route("**/*", lambda route: _answer(client, seen, route))
            yield page, seen
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG in ``test-artifacts/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
