"""Security headers (issue 15): HSTS when served over HTTPS, a strict CSP on every HTML answer."""

from __future__ import annotations

import base64
import hashlib
import re

from flask.testing import FlaskClient

from exchange import create_app
from exchange.api.ops import HSTS, html_policy


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/health/live").headers
    secure = client.get("/health/live", base_url="https://exchange.test")
    assert secure.headers["Strict-Transport-Security"] == HSTS


def test_hsts_behind_a_trusted_proxy_that_terminated_tls(database_url: str) -> None:
    trusting = create_app({"database_url": database_url, "proxy_fix": 1}).test_client()
    assert (
        trusting.get("/health/live", headers={"X-Forwarded-Proto": "https"}).headers[
            "Strict-Transport-Security"
        ]
        == HSTS
    )
    untrusting = create_app({"database_url": database_url}).test_client()
    forged = untrusting.get("/health/live", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers


def test_every_html_answer_has_a_strict_policy(client: FlaskClient) -> None:
    docs = client.get("/docs")
    assert docs.mimetype == "text/html"
    policy = docs.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_html_policy_allows_a_pages_own_style_blocks_only() -> None:
    page = "<html><head><style>body { color: red; }</style></head><body><svg></svg></body></html>"
    policy = html_policy(page)
    digest = base64.b64encode(hashlib.sha256(b"body { color: red; }").digest()).decode()
    assert f"style-src 'sha256-{digest}';" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert re.search(r"style-src 'none';", html_policy("<p>no style</p>"))
