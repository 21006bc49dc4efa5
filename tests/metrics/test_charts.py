"""The pack's charts: axes on round ticks, and whatever the figures, no text overlapping another or leaving
the chart, every hidden figure marked ``c`` and every shown one labelled.

Boxes are computed from the positions and the font size the SVG carries (``charts.text_box``), with widths
checked against the real advances of the fonts the pack prints in; the browser test checks the same in
Chromium's own layout.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from itertools import combinations

import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from exchange import reference
from exchange.metrics import charts
from exchange.metrics.pack import AGENCY_LABELS, BAND_LABELS

SVG = "{http://www.w3.org/2000/svg}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
AREA, NATIONAL = charts.SERIES_COLOURS[:2]
NUMBER = re.compile(r"[\d,]+(\.\d+)?")


def one_decimal(v: float) -> str:
    return f"{v:,.1f}"


def whole(v: float) -> str:
    return f"{v:,.0f}"


def texts(svg: str) -> list[tuple[str, charts.Box, str]]:
    """Each text of a chart: its content, its box and its colour."""
    root = etree.fromstring(str(svg).encode(), PARSER)
    assert float(root.get("width")) == charts.WIDTH and root.get("font-size") == str(charts.FONT_SIZE)
    return [
        (
            t.text,
            charts.text_box(float(t.get("x")), float(t.get("y")), t.text, t.get("text-anchor")),
            t.get("fill"),
        )
        for t in root.iter(f"{SVG}text")
    ]


def assert_laid_out(svg: str) -> list[tuple[str, charts.Box, str]]:
    """No two texts overlap, none covers a data point, every one lies inside the chart; returns them."""
    root = etree.fromstring(str(svg).encode(), PARSER)
    frame = charts.Box(0, 0, float(root.get("width")), float(root.get("height")))
    found = texts(svg)
    assert [t for t, box, _ in found if not box.inside(frame)] == []
    assert [(a[0], b[0]) for a, b in combinations(found, 2) if a[1].overlaps(b[1])] == []
    points = [
        charts.Box(
            float(c.get("cx")) - 3, float(c.get("cy")) - 3, float(c.get("cx")) + 3, float(c.get("cy")) + 3
        )
        for c in root.iter(f"{SVG}circle")
    ]
    assert [t for t, box, _ in found if any(box.overlaps(p) for p in points)] == []  # no label hides a point
    return found


def axis_ticks(found: list[tuple[str, charts.Box, str]]) -> list[float]:
    return [float(t.replace(",", "")) for t, _, fill in found if fill == charts.AXIS and NUMBER.fullmatch(t)]


def assert_round(ticks: list[float]) -> None:
    """From 0 in equal steps of 1, 2 or 5 times a power of ten."""
    assert ticks[0] == 0 and len(ticks) >= 2
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    [step] = steps
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in {1, 2, 5}


@pytest.mark.parametrize(
    ("high", "options", "expected"),
    [
        (34.8, {}, [0, 10, 20, 30, 40]),
        (15, {"whole": True}, [0, 5, 10, 15]),
        (58, {}, [0, 20, 40, 60]),
        (9, {"whole": True}, [0, 2, 4, 6, 8, 10]),
        (0, {"whole": True}, [0, 1]),
        (0.3, {}, [0, 0.1, 0.2, 0.3]),
        (1234, {"whole": True}, [0, 500, 1000, 1500]),
        (110, {"limit": 100}, [0, 20, 40, 60, 80, 100]),
        (60, {"count": 7}, [0, 20, 40, 60]),
    ],
)
def test_nice_ticks(high, options, expected):
    assert charts.nice_ticks(high, **options) == expected


@pytest.mark.parametrize(
    "high", [0.07, 0.9, 1, 3.3, 7, 12, 26.5, 49.9, 50, 51, 99, 100, 101, 777, 8_888, 123_456]
)
def test_nice_ticks_are_round_and_cover_the_data(high):
    ticks = charts.nice_ticks(high)
    assert_round(ticks)
    assert ticks[-1] >= high and ticks[-2] < high
    assert 3 <= len(ticks) <= 7
    assert [charts.tick_label(t) for t in charts.nice_ticks(high, whole=True)][0] == "0"


TRENDS = {
    "equal": ([30.0] * 5, [30.0] * 5),
    "close and crossing": ([10.0, 10.4, 9.8, 10.1, 10.3], [10.2, 9.9, 10.0, 10.3, 10.1]),
    "hidden here and there": ([None, None, 25.5, None, 30.0], [None, 20.0, None, None, 31.2]),
    "all hidden": ([None] * 5, [None] * 5),
    "zeros": ([0.0, 0.0, 1.0, 0.0, 0.0], [0.0] * 5),
    "at the top of the axis": ([100.0, 99.5, 98.0, 100.0, 100.0], [100.0, 100.0, 97.5, 99.9, 100.0]),
    "far apart": ([5.0, 95.0, 5.0, 95.0, 5.0], [95.0, 5.0, 95.0, 5.0, 95.0]),
    "zeros beside hidden figures": ([0.0, None, 0.0, None, 5.0], [None, 0.0, None, 0.0, None]),
}


@pytest.mark.parametrize("name", list(TRENDS))
@pytest.mark.parametrize("area", ["Central Family Court", "Northumbria & North Durham"])
def test_trend_labels_never_overlap_and_every_figure_shows(name, area):
    area_values, national_values = TRENDS[name]
    svg = charts.trend(
        "t",
        "title",
        QUARTERS,
        [(area, area_values), ("England and Wales", national_values)],
        one_decimal,
        "Per cent",
        limit=100,
    )
    found = assert_laid_out(svg)
    assert_round(axis_ticks(found))
    shown = Counter(t for t, _, fill in found if fill == charts.TEXT)
    # a figure shared by both series at one period is one point, labelled once
    wanted = Counter(
        one_decimal(v) for pair in zip(area_values, national_values, strict=True) for v in set(pair) - {None}
    )
    assert shown - Counter({area: 1, "England and Wales": 1}) == wanted
    for colour, values in ((AREA, area_values), (NATIONAL, national_values)):
        assert [t for t, _, fill in found if fill == colour] == ["c"] * values.count(None)
    assert [t for t, _, fill in found if t in QUARTERS] == QUARTERS


def test_trend_period_labels_are_thinned_when_they_would_collide():
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    svg = charts.trend(
        "t", "title", months, [("Issued", list(range(100, 2500, 100)))], whole, "Cases", whole=True
    )
    found = assert_laid_out(svg)
    periods = [t for t, _, _ in found if t in months]
    assert months[-1] in periods and 3 < len(periods) < len(months)
    assert_round(axis_ticks(found))


@pytest.mark.parametrize(
    "values",
    [
        [12_345, 9_876, 3, None, 0],
        [0, 0, 0, 0, 0],
        [None, None, None, None, None],
        [1, 2, 3, 4, 5],
        [7, None, 700, None, 70],
    ],
)
def test_bar_labels_never_overlap_and_every_figure_shows(values):
    categories = ["Up to 26 weeks", "26 to 52 weeks", "52 to 78 weeks", "78 to 100 weeks", "Over 100 weeks"]
    found = assert_laid_out(
        charts.bars("b", "title", list(zip(categories, values, strict=True)), whole, "Cases")
    )
    assert_round(axis_ticks(found))
    labels = [t for t, _, fill in found if fill in (charts.TEXT, "#ffffff") and t not in categories]
    assert labels == [whole(v) if v is not None else "c" for v in values]
    assert [t for t, _, _ in found if t in categories] == categories


@pytest.mark.parametrize(
    "markers",
    [
        [("Central Family Court", 34.8), ("England and Wales", 34.8)],
        [("Northumbria & North Durham", 2.0), ("England and Wales", 59.0)],
        [("Central Family Court", 75.3), ("England and Wales", 74.9)],
        [("Central Family Court", None), ("England and Wales", 31.7)],
        [("Central Family Court", None), ("England and Wales", None)],
    ],
)
def test_band_labels_never_overlap_and_every_mean_shows(markers):
    found = assert_laid_out(charts.duration_band("d", "title", markers, one_decimal))
    ticks = axis_ticks(found)
    assert_round(ticks)
    assert ticks[-1] >= max([60, *(w for _, w in markers if w is not None)])
    said = [t for t, _, _ in found]
    for name, weeks in markers:
        assert (
            f"{name}: {one_decimal(weeks)} weeks" if weeks is not None else f"{name}: c (not published)"
        ) in said


@pytest.mark.parametrize("family", ["DejaVu Sans", "Liberation Sans"])
def test_text_widths_are_never_narrower_than_the_fonts_the_pack_prints_in(family):
    """Liberation Sans is what Arial resolves to on Debian; DejaVu Sans the wider fallback."""
    found = shutil.which("fc-match") and subprocess.run(
        ["fc-match", "-f", "%{family}|%{file}", family], capture_output=True, text=True, check=True
    ).stdout.split("|")
    if not found or family not in found[0]:
        pytest.skip(f"{family} is not installed")
    font = TTFont(found[1])
    cmap, advances, em = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    texts = [*reference.load().dfj_areas.values(), *AGENCY_LABELS.values(), *BAND_LABELS.values(), *QUARTERS]
    texts += ["England and Wales: 34.8 weeks", "Green: up to 26 weeks", "Amber: 27–29", "Red: 30 or more"]
    texts += ["12,345", "100.0", "2026-12", "Per cent", "Weeks", "Cases", "Hearings", "Issued", "Disposed"]
    for text in texts:
        actual = charts.FONT_SIZE * sum(advances[cmap[ord(ch)]][0] for ch in text) / em
        assert charts.text_width(text) >= actual, text
