"""The pack as a reader sees it: every figure in one format wherever it appears, and the PDF read back with
poppler (``pdftoppm``, ``pdfinfo``, ``pdftotext``): two full pages, each chart where the PDF says it is,
with ink in it and the colours of what it draws, the key figures as the HTML prints them. The PDF and its
page images are kept in ``test-artifacts/``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html
from PIL import Image

from exchange.metrics import charts
from exchange.metrics.pack import shown
from tests.metrics.conftest import CHARTS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
POPPLER = {tool: shutil.which(tool) for tool in ("pdftoppm", "pdfinfo", "pdftotext")}
DPI = 72  # one pixel a PDF point
PAGES = 2
MM = DPI / 25.4
BODY_TOP, BODY_BOTTOM = (
    18 * MM,
    17 * MM,
)  # the pack's @page margins: the running header and footer sit in them
ONE_DECIMAL = re.compile(r"\d[\d,]*\.\d")


@pytest.mark.parametrize(
    ("measure", "value", "expected"),
    [
        ("care_cases_started", 12345, "12,345"),
        ("care_cases_started", 0, "0"),
        ("care_median_weeks", 26.0, "26.0"),
        ("care_median_weeks", 26.5, "26.5"),
        ("care_mean_weeks", 34.75, "34.8"),
        ("care_pct_within_26_weeks", 100.0, "100.0"),
        ("hearings_per_disposed_case", 5, "5.0"),
        ("care_duration_band", "amber", "Amber"),
        ("care_median_weeks", "c", "c"),
        ("care_open_age_profile", "c", "c"),
    ],
)
def test_one_format_per_kind_of_figure(measure, value, expected):
    assert shown(measure, value) == expected


def test_the_median_and_mean_read_the_same_in_the_table_the_key_figures_and_the_charts(central_pack):
    page = lxml_html.fromstring(central_pack("text/html").get_data(as_text=True))
    for measure in ("care_median_weeks", "care_mean_weeks"):
        [row] = page.xpath(f'//tr[@data-measure="{measure}"]')
        cells = [td.text_content() for td in row.xpath("td")[1:]]
        assert all(ONE_DECIMAL.fullmatch(c) or c == "c" for c in cells), cells
        assert {c for c in cells if c != "c"}, measure  # the data publishes some of them
        [key] = page.xpath(f'//div[@data-measure="{measure}"]/span[@class="figure"]')
        assert key.text_content() == f"{cells[-2]} weeks"  # the quarter's figure, as in the table
    area = [td.text_content() for td in page.xpath('//tr[@data-measure="care_mean_weeks"]/td')[1:-1]]
    [chart] = page.xpath('//svg[@data-chart="trend-mean-weeks"]')
    names = {"Central Family Court", "England and Wales"}
    data_labels = [t.text for t in chart.xpath(f'.//text[@fill="{charts.TEXT}"]') if t.text not in names]
    assert all(ONE_DECIMAL.fullmatch(label) for label in data_labels), data_labels
    assert set(area) - {"c"} <= set(data_labels)


def _pages(pdf: Path) -> list[Image.Image]:
    prefix = ARTIFACTS / "performance-pack-page"
    for old in ARTIFACTS.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run([POPPLER["pdftoppm"], "-r", str(DPI), "-png", str(pdf), str(prefix)], check=True)
    files = sorted(ARTIFACTS.glob(f"{prefix.name}-*.png"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))
    return [Image.open(f).convert("RGB") for f in files]


def _destinations(pdf: Path) -> dict[str, tuple[int, float, float]]:
    """Each named destination (an element id) as (page, x, y from the top), in PDF points."""
    info = subprocess.run(
        [POPPLER["pdfinfo"], "-dests", str(pdf)], capture_output=True, text=True, check=True
    )
    size = subprocess.run([POPPLER["pdfinfo"], str(pdf)], capture_output=True, text=True, check=True).stdout
    height = float(re.search(r"Page size:\s+[\d.]+ x ([\d.]+) pts", size)[1])
    found = re.findall(r'^\s*(\d+) \[ XYZ\s+([\d.]+)\s+([\d.]+)\s.*\] "(.+)"$', info.stdout, re.MULTILINE)
    return {name: (int(page), float(x), height - float(y)) for page, x, y, name in found}


def _ink(image: Image.Image) -> Image.Image:
    """White where the page is blank, black where anything is drawn."""
    return image.convert("L").point(lambda v: 255 if v > 235 else 0)


def _fill(page: Image.Image) -> float:
    """How far down the body of a page (between the running header and footer) the content reaches."""
    top, bottom = round(BODY_TOP), round(page.height - BODY_BOTTOM)
    box = _ink(page.crop((0, top, page.width, bottom))).point(lambda v: 255 - v).getbbox()
    return 0.0 if box is None else box[3] / (bottom - top)


def _near(image: Image.Image, colour: str, tolerance: int = 40) -> int:
    """Pixels within ``tolerance`` of ``colour`` on every channel."""
    want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        n
        for n, rgb in image.getcolors(image.width * image.height)
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, want, strict=True))
    )


@pytest.mark.skipif(not all(POPPLER.values()), reason="Debian's poppler-utils is not installed")
def test_the_pdf_has_two_full_pages_and_every_chart_is_drawn_where_it_is_placed(central_pack):
    page = lxml_html.fromstring(central_pack("text/html").get_data(as_text=True))
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "performance-pack.pdf"
    pdf.write_bytes(central_pack("application/pdf").data)
    pages = _pages(pdf)
    assert len(pages) == PAGES
    fills = [_fill(p) for p in pages]
    assert all(f > 0.85 for f in fills), fills  # no page left near-empty, the last one included
    places = _destinations(pdf)
    for chart in CHARTS:
        [svg] = page.xpath(f'//svg[@data-chart="{chart}"]')
        number, x, y = places[f"chart-{chart}"]
        points = 0.75  # a CSS pixel in PDF points
        region = pages[number - 1].crop(
            (
                round(x),
                round(y),
                round(x + float(svg.get("width")) * points),
                round(y + float(svg.get("height")) * points),
            )
        )
        drawn = region.width * region.height - _ink(region).histogram()[255]
        assert drawn > 0.03 * region.width * region.height, chart
        # the colours of what the chart draws: bars, bands and points (filled), lines (stroked)
        data_colours = {s.get("fill") for s in svg.xpath(".//rect | .//circle")}
        data_colours |= {s.get("stroke") for s in svg.xpath(".//polyline")}
        data_colours.discard("#ffffff")  # the white under data labels
        assert data_colours or chart == "vacated-by-agency", chart  # the fixture hides every vacated figure
        for colour in data_colours:
            assert _near(region, colour) > 10, (chart, colour)
    assert places["chart-trend-mean-weeks"][0] == 1  # the first page carries charts, not just a title
    text = subprocess.run(
        [POPPLER["pdftotext"], str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for key in page.xpath('//div[@data-measure]/span[@class="figure"]'):
        assert key.text_content() in text  # the key figures as the HTML prints them
