"""`/docs` in a real headless Chromium: Swagger UI renders /openapi.json, every operation is listed with its
summary, nothing is fetched from outside the exchange and the page's CSP lets it run without a complaint."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.browser import BROWSER, ORIGIN, open_page, screenshot

pytestmark = BROWSER
METHODS = ("get", "put", "post", "delete", "patch")
#: each rendered operation: its method, path and summary as Swagger UI shows them
RENDERED = """els => els.map(e => [
    e.querySelector('.opblock-summary-method').textContent,
    e.querySelector('.opblock-summary-path').dataset.path,
    (e.querySelector('.opblock-summary-description') || {}).textContent || null])"""


def test_docs_render_every_operation_offline(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    documented = sorted(
        (method.upper(), path, operation.get("summary"))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    )
    with open_page(client) as (page, seen):
        page.goto(f"{ORIGIN}/docs", wait_until="load")
        # Swagger UI has rendered the operations, or given up ("Unable to render this definition")
        page.wait_for_selector(".opblock, .version-pragma, .errors-wrapper", timeout=30_000)
        rendered = sorted(tuple(op) for op in page.eval_on_selector_all(".opblock", RENDERED))
        failures = page.eval_on_selector_all(".version-pragma, .errors-wrapper", "els => els.length")
        shot = screenshot(page, "docs.png")
    assert failures == 0
    assert rendered == documented
    assert seen.refused == [] and seen.errors == []
    assert shot.stat().st_size > 10_000
