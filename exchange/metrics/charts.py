"""The pack's charts as inline SVG, drawn on the server: no script, no font or image to fetch.

Each chart is one ``<svg data-chart="…" role="img">`` with a title for screen readers, drawn at the size it
is printed (half the A4 text column), so its text is the size it reads on paper. Value axes run from 0 to
a round number in round steps (Heckbert's "nice numbers", ``nice_ticks``). Every text goes through
``_Labels``, which keeps the box of each text already drawn and takes the first candidate position that
overlaps none and stays inside the chart: tick labels, legends and data labels never overlap, period labels
are thinned when they would, and a data label with no free place is left out (the table has the value).
Widths are estimated for DejaVu Sans, the widest common sans-serif, so the fonts the pack asks for (Arial,
or Liberation Sans, which has Arial's widths) always fit.

A hidden figure (``c``: suppressed or withheld) is never drawn as a value: a line breaks, a bar is left
out, and a ``c`` stands in its place. Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Value = float | int | None
Format = Callable[[float], str]
FONT_FAMILY = "Arial, 'Liberation Sans', Helvetica, sans-serif"
FONT_SIZE = 11
TEXT, AXIS, GRID = "#0b0c0c", "#505a5f", "#dcdcdc"
#: the Government Analysis Function's categorical palette: dark blue, orange, turquoise
SERIES_COLOURS = ("#12436d", "#f46a25", "#28a197")
DASHES = ("", "6 3", "2 2")
BAND_COLOURS = (("green", "#00703c"), ("amber", "#f47738"), ("red", "#d4351c"))
WIDTH = 330  # two charts side by side fill the A4 text column (180 mm = 680 CSS px)
GAP = 4  # the least space between two texts

# advance widths in em: DejaVu Sans (wider than Arial and Liberation Sans in every class)
_DIGIT, _LOWER, _UPPER, _OTHER = 0.64, 0.63, 0.78, 0.64
_WIDTHS = {" ": 0.32, ".": 0.32, ",": 0.32, ":": 0.34, "(": 0.39, ")": 0.39, "-": 0.36, "%": 0.95}
_WIDTHS |= {"m": 0.98, "w": 0.82, "M": 0.87, "W": 0.99}  # the widest letters
_WIDTHS |= {"i": 0.28, "j": 0.28, "l": 0.28, "I": 0.3, "f": 0.36, "t": 0.4, "r": 0.42}  # and the narrowest


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the width of ``text`` set in ``size`` px sans-serif."""

    def em(ch: str) -> float:
        if ch in _WIDTHS:
            return _WIDTHS[ch]
        if ch.isdigit():
            return _DIGIT
        if ch.isalpha():
            return _UPPER if ch.isupper() else _LOWER
        return _OTHER

    return size * sum(em(ch) for ch in text)


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box, gap: float = 0) -> bool:
        return not (
            self.right + gap <= other.left
            or other.right + gap <= self.left
            or self.bottom + gap <= other.top
            or other.bottom + gap <= self.top
        )

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.top >= other.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )


def text_box(x: float, y: float, text: str, anchor: str = "start", size: float = FONT_SIZE) -> Box:
    """The box a text takes: ``y`` is its baseline; ascenders and descenders reach 0.8 and 0.25 em."""
    width = text_width(text, size)
    left = x - {"start": 0, "middle": width / 2, "end": width}[anchor]
    return Box(left, y - 0.8 * size, left + width, y + 0.25 * size)


def _nice(x: float, rounded: bool) -> float:
    """Heckbert's nice number near ``x``: 1, 2, 5 or 10 times a power of ten."""
    exponent = math.floor(math.log10(x))
    fraction = x / 10**exponent
    if rounded:
        nice = 1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10**exponent


def nice_ticks(high: float, count: int = 5, whole: bool = False, limit: float | None = None) -> list[float]:
    """Round ticks from 0 up to the first one at or above ``high`` (Heckbert, "Nice numbers for graph
    labels", Graphics Gems, 1990): about ``count`` of them, steps of 1, 2 or 5 times a power of ten;
    ``whole``: steps of at least 1 (counts); ``limit``: never beyond it (100 for percentages)."""
    high = min(high, limit) if limit is not None else high
    high = high if high > 0 else 1
    step = _nice(_nice(high, rounded=False) / (count - 1), rounded=True)
    if whole:
        step = max(step, 1)
    return [round(n * step, 10) for n in range(math.ceil(high / step - 1e-9) + 1)]


def tick_label(tick: float) -> str:
    return f"{tick:,.0f}" if tick == int(tick) else f"{tick:g}"


class _Labels:
    """The texts of one chart, each at the first candidate place that is free and inside ``bounds``."""

    def __init__(self, bounds: Box) -> None:
        self.bounds = bounds
        self.boxes: list[Box] = []
        self.parts: list[str] = []
        self.backing: list[str] = []  # white under the labels drawn over lines

    def free(self, box: Box) -> bool:
        return box.inside(self.bounds) and not any(box.overlaps(b, GAP) for b in self.boxes)

    def place(
        self,
        text: str,
        candidates: Iterable[tuple[float, float, str]],
        fill: str = TEXT,
        within: Box | None = None,
        extra: str = "",
        backed: bool = False,
    ) -> bool:
        """Write ``text`` at the first free candidate (x, baseline, anchor); ``backed``: on white, so that
        a line under it does not run through it. False when no candidate is free."""
        area = within or self.bounds
        for x, y, anchor in candidates:
            box = text_box(x, y, text, anchor)
            if box.inside(area) and self.free(box):
                self.boxes.append(box)
                if backed:
                    self.backing.append(
                        f'<rect x="{box.left:.1f}" y="{box.top:.1f}" width="{box.right - box.left:.1f}" '
                        f'height="{box.bottom - box.top:.1f}" fill="#ffffff"/>'
                    )
                self.parts.append(
                    f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>'
                    f"{escape(text)}</text>"
                )
                return True
        return False

    def reserve(self, box: Box) -> None:
        """A shape (a legend key) that texts must not cover."""
        self.boxes.append(box)


def _svg(chart: str, title: str, height: float, shapes: Iterable[str], labels: _Labels) -> Markup:
    return Markup(  # noqa: S704 - every text in it is escaped by _Labels.place and here
        f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{escape(chart)}" data-chart="{escape(chart)}" '
        f'role="img" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}"><title>{escape(title)}</title>'
        f"{''.join(shapes)}{''.join(labels.backing)}{''.join(labels.parts)}</svg>"
    )


def _legend(labels: _Labels, items: Sequence[tuple[str, str, str]], top: float, boxes: bool = False) -> float:
    """Keys left to right, wrapping: a short line in each series' colour and dash, or a colour box
    (``boxes``); returns the bottom of the last row."""
    x, y, shapes = 0.0, top + FONT_SIZE, []
    for name, colour, dash in items:
        width = 22 + text_width(name)
        if x and x + width > WIDTH:
            x, y = 0.0, y + FONT_SIZE + 6
        key = Box(x, y - 9, x + 16, y) if boxes else Box(x, y - 6, x + 16, y - 2)
        shapes.append(
            f'<rect x="{x:.1f}" y="{key.top:.1f}" width="16" height="9" fill="{colour}"/>'
            if boxes
            else f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 16:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="3"{_dash(dash)}/>'
        )
        labels.reserve(key)
        labels.place(name, [(x + 20, y, "start")])
        x += width + 14
    labels.parts[:0] = shapes
    return y + 0.25 * FONT_SIZE


def _dash(pattern: str) -> str:
    return f' stroke-dasharray="{pattern}"' if pattern else ""


def _value_axis(
    labels: _Labels, ticks: Sequence[float], top: float, bottom: float, left: float, right: float
) -> tuple[list[str], Callable[[float], float]]:
    """Horizontal gridlines at each tick, labelled on the left; returns them and value -> y."""

    def y(v: float) -> float:
        return bottom - (bottom - top) * v / ticks[-1]

    shapes = [
        f'<line x1="{left}" y1="{y(t):.1f}" x2="{right}" y2="{y(t):.1f}" '
        f'stroke="{AXIS if t == 0 else GRID}" stroke-width="1"/>'
        for t in ticks
    ]
    for t in ticks:
        labels.place(tick_label(t), [(left - 6, y(t) + 0.35 * FONT_SIZE, "end")], fill=AXIS)
    return shapes, y


def _period_axis(labels: _Labels, periods: Sequence[str], centres: Sequence[float], y: float) -> None:
    """Period labels under the plot; every k-th one when they would not all fit side by side."""
    band = centres[1] - centres[0] if len(centres) > 1 else WIDTH
    widest = max(text_width(p) for p in periods)
    every = max(1, math.ceil((widest + GAP) / band))
    last = len(periods) - 1
    for i in range(last % every, last + 1, every):  # thinned from the latest period back
        labels.place(periods[i], [(centres[i], y, "middle")], fill=AXIS)


def trend(
    chart: str,
    title: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[Value]]],
    fmt: Format,
    unit: str,
    whole: bool = False,
    limit: float | None = None,
    height: int = 210,
) -> Markup:
    """Lines over periods, one per series (the area first); gaps where a figure is hidden, each point
    labelled with its value in ``fmt``; the value axis is titled ``unit``."""
    labels = _Labels(Box(0, 0, WIDTH, height))
    legend_bottom = _legend(
        labels,
        [(name, SERIES_COLOURS[n], DASHES[n]) for n, (name, _) in enumerate(series)],
        top=0,
    )
    known = [v for _, values in series for v in values if v is not None]
    ticks = nice_ticks(max(known, default=0) * 1.1, whole=whole, limit=limit)
    left = max(text_width(tick_label(t)) for t in ticks) + 10
    top, bottom = legend_bottom + 2 * FONT_SIZE + 8, height - FONT_SIZE - 10
    # the last period's label is centred on its point and must end inside the chart
    half, count = max(text_width(p) for p in periods) / 2, len(periods)
    right = min(WIDTH - 4, (WIDTH - half - left / (2 * count)) / (1 - 1 / (2 * count)))
    labels.place(unit, [(0, legend_bottom + FONT_SIZE + 6, "start")], fill=AXIS)
    shapes, y = _value_axis(labels, ticks, top, bottom, left, right)
    band = (right - left) / count
    centres = [left + band * (i + 0.5) for i in range(count)]
    _period_axis(labels, periods, centres, height - 4)
    plot = Box(left, legend_bottom + 4, right, bottom)
    points: list[tuple[int, float, float]] = []  # (period, y, value)
    hidden: list[tuple[int, str]] = []  # (period, colour)
    for n, (_, values) in enumerate(series):
        colour, runs = SERIES_COLOURS[n], [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                hidden.append((i, colour))
                continue
            runs[-1].append(f"{centres[i]:.1f},{y(v):.1f}")
            points.append((i, y(v), v))
            shapes.append(f'<circle cx="{centres[i]:.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
            labels.reserve(Box(centres[i] - 3, y(v) - 3, centres[i] + 3, y(v) + 3))  # no label covers a point
        shapes += [
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{_dash(DASHES[n])}/>"
            for run in runs
            if len(run) > 1
        ]
    previous: tuple[int, float, float] | None = None
    for i, py, v in sorted(points):  # in each period the highest point first: its label goes above it
        if previous and previous[0] == i and fmt(previous[2]) == fmt(v) and abs(previous[1] - py) < 1:
            continue  # points that coincide, with the same figure, read once
        above = [(centres[i], py - 3 - GAP - 3 - k * 4, "middle") for k in range(4)]
        below = [(centres[i], py + 3 + GAP + FONT_SIZE + k * 4, "middle") for k in range(4)]
        first = previous is None or previous[0] != i
        labels.place(fmt(v), above + below if first else below + above, within=plot, backed=True)
        previous = (i, py, v)
    for i, colour in hidden:  # a c in the series' colour, from the foot of the plot up
        spots = [(centres[i], bottom - 4 - r * (FONT_SIZE + 6), "middle") for r in range(8)]
        labels.place("c", spots, fill=colour, within=plot, extra=' font-weight="bold"', backed=True)
    return _svg(chart, title, height, shapes, labels)


def bars(chart: str, title: str, rows: Sequence[tuple[str, Value]], fmt: Format, unit: str) -> Markup:
    """Horizontal bars, one per category, on a round axis titled ``unit``; each bar labelled with its value
    (inside its end when there is no room beyond it); a hidden figure has no bar and reads ``c``."""
    row_h, top = 20, FONT_SIZE + 10
    height = top + row_h * len(rows) + FONT_SIZE + 12
    labels = _Labels(Box(0, 0, WIDTH, height))
    left = max(text_width(label) for label, _ in rows) + 10
    right, bottom = WIDTH - 10, top + row_h * len(rows)
    ticks = nice_ticks(max((v for _, v in rows if v is not None), default=0) * 1.15, whole=True)

    def x(v: float) -> float:
        return left + (right - left) * v / ticks[-1]

    shapes = [
        f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{bottom}" '
        f'stroke="{AXIS if t == 0 else GRID}" stroke-width="1"/>'
        for t in ticks
    ]
    labels.place(unit, [(left, FONT_SIZE, "start")], fill=AXIS)
    for t in ticks:
        labels.place(tick_label(t), [(x(t), height - 4, "middle")], fill=AXIS)
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        baseline = y + row_h / 2 + 0.35 * FONT_SIZE
        labels.place(label, [(left - 6, baseline, "end")])
        if value is None:
            labels.place("c", [(left + 4, baseline, "start")], extra=' font-weight="bold"')
            continue
        if value:
            shapes.append(
                f'<rect x="{left}" y="{y + 3}" width="{x(value) - left:.1f}" height="{row_h - 6}" '
                f'fill="{SERIES_COLOURS[0]}"/>'
            )
        if not labels.place(fmt(value), [(x(value) + 4, baseline, "start")]):
            labels.place(fmt(value), [(x(value) - 4, baseline, "end")], fill="#ffffff")
    return _svg(chart, title, height, shapes, labels)


def duration_band(chart: str, title: str, markers: Sequence[tuple[str, Value]], fmt: Format) -> Markup:
    """The Cafcass bands (green up to 26 weeks, amber 27–29, red 30 or more) on a round weeks axis, each
    mean marked and labelled above them (the area's line solid, national dashed); a hidden mean is said in
    words below."""
    known = [w for _, w in markers if w is not None]
    ticks = nice_ticks(max([60, *known]), count=7, whole=True)
    left, right = 10.0, WIDTH - 10.0
    strip_top, strip_h = 2 * (FONT_SIZE + 6) + 6, 24
    axis_y = strip_top + strip_h + FONT_SIZE + 6
    hidden = [name for name, weeks in markers if weeks is None]
    height = axis_y + (2 + len(hidden)) * (FONT_SIZE + 6) + 8
    labels = _Labels(Box(0, 0, WIDTH, height))

    def x(weeks: float) -> float:
        return left + (right - left) * weeks / ticks[-1]

    edges = ((0, 26.5), (26.5, 29.5), (29.5, ticks[-1]))
    shapes = [
        f'<rect data-band="{name}" x="{x(a):.1f}" y="{strip_top}" width="{x(b) - x(a):.1f}" '
        f'height="{strip_h}" fill="{colour}"/>'
        for (name, colour), (a, b) in zip(BAND_COLOURS, edges, strict=True)
    ]
    for t in ticks:
        labels.place(tick_label(t), [(x(t), axis_y, "middle")], fill=AXIS)
    for n, (name, weeks) in enumerate(markers):
        if weeks is not None:
            rows = [strip_top - 8 - r * (FONT_SIZE + 6) for r in range(2)]
            spots = [(x(weeks), ry, anchor) for ry in rows for anchor in ("middle", "end", "start")]
            labels.place(f"{name}: {fmt(weeks)} weeks", spots)
            shapes.append(
                f'<line x1="{x(weeks):.1f}" y1="{strip_top - 5}" x2="{x(weeks):.1f}" '
                f'y2="{strip_top + strip_h}" stroke="{TEXT}" stroke-width="2"{_dash("4 2" if n else "")}/>'
            )
    keys = [("Green: up to 26 weeks", BAND_COLOURS[0][1], ""), ("Amber: 27–29", BAND_COLOURS[1][1], "")]
    bottom = _legend(labels, [*keys, ("Red: 30 or more", BAND_COLOURS[2][1], "")], axis_y + 6, boxes=True)
    for row, name in enumerate(hidden, start=1):
        labels.place(f"{name}: c (not published)", [(0, bottom + row * (FONT_SIZE + 6), "start")])
    return _svg(chart, title, height, shapes, labels)
