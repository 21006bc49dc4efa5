"""The pack in a real headless Chromium (Debian's ``chromium``): every chart drawn, no two of its texts
overlapping as the browser lays them out in its own fonts, no console error, no request leaving the page;
a screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

from itertools import combinations

from tests.browser import BROWSER, ORIGIN, open_page, screenshot
from tests.metrics.conftest import CHARTS

pytestmark = BROWSER
#: every text of a chart as laid out: [chart, [left, top, right, bottom], [[text, left, top, right, bottom]]]
TEXT_BOXES = """els => els.map(svg => {
  const box = svg.getBoundingClientRect();
  return [svg.dataset.chart, [box.left, box.top, box.right, box.bottom],
          [...svg.querySelectorAll('text')].map(t => {
            const r = t.getBoundingClientRect();
            return [t.textContent, r.left, r.top, r.right, r.bottom];
          })];
})"""


def _overlap(a: list[float], b: list[float]) -> bool:
    """Two boxes [left, top, right, bottom] share more than half a pixel both ways."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


def _inside(box: list[float], frame: list[float]) -> bool:
    return box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3]


def test_the_pack_renders_offline_in_chromium(central_pack):
    html = central_pack("text/html").get_data(as_text=True)
    with open_page() as (page, seen):
        page.set_content(html, wait_until="load")
        drawn = page.eval_on_selector_all(
            "svg[data-chart]",
            "els => els.map(e => [e.dataset.chart, e.getBoundingClientRect().width,"
            " e.querySelectorAll('*').length])",
        )
        texts = page.eval_on_selector_all("svg[data-chart]", TEXT_BOXES)
        shot = screenshot(page, "performance-pack.png")
    assert [name for name, _, _ in drawn] == list(CHARTS)
    assert all(width > 100 and shapes > 5 for _, width, shapes in drawn)
    overlapping, outside = [], []
    for chart, frame, boxes in texts:
        outside += [(chart, t) for t, *box in boxes if not _inside(box, frame)]
        overlapping += [(chart, a[0], b[0]) for a, b in combinations(boxes, 2) if _overlap(a[1:], b[1:])]
    assert sum(len(boxes) for _, _, boxes in texts) > 100
    assert overlapping == []
    assert outside == []
    assert seen.refused == []
    assert seen.errors == []
    assert shot.stat().st_size > 10_000


def test_the_pack_keeps_to_its_content_security_policy_in_chromium(
    client, make_partner, auth_headers, quarter_of_cases
):
    """Served with its CSP (no script at all, its own style block by hash): the browser reports no
    violation and the page is styled and drawn."""
    headers = auth_headers(make_partner("lfjb"))
    with open_page(client) as (page, seen):
        page.set_extra_http_headers({**headers, "Accept": "text/html"})
        response = page.goto(f"{ORIGIN}/v1/metrics/pack?area=CENTRAL_LONDON&quarter=2025Q1")
        policy = response.headers["content-security-policy"]
        drawn = page.eval_on_selector_all("svg[data-chart]", "els => els.length")
        styled = page.eval_on_selector("body", "b => getComputedStyle(b).fontFamily")
    assert "script-src" not in policy and "default-src 'none'" in policy and "'sha256-" in policy
    assert drawn == len(CHARTS) and styled.startswith("Arial")
    assert seen.errors == [] and seen.refused == []
