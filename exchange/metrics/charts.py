"""The pack's charts as inline SVG, drawn on the server: no script, no font or image to fetch.

Each chart is one ``<svg data-chart="…" role="img">`` with a title for screen readers. A hidden figure
(``c``: suppressed or withheld) is never drawn as a value: a line breaks, a bar is left out and labelled
``c``. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

Value = float | int | None
AREA_COLOUR, NATIONAL_COLOUR = "#1d70b8", "#505a5f"
BAND_COLOURS = (("green", "#00703c"), ("amber", "#f47738"), ("red", "#d4351c"))
WIDTH, HEIGHT, PAD = 520, 220, 44


def _svg(chart: str, title: str, body: str, height: int = HEIGHT) -> Markup:
    return Markup(  # noqa: S704 - every text in it is escaped by the functions below
        f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{escape(chart)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" '
        f'font-size="11"><title>{escape(title)}</title>{body}</svg>'
    )


def _number(value: Value) -> str:
    if value is None:
        return "c"
    return f"{value:g}" if isinstance(value, float) else str(value)


def trend(
    chart: str, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]]
) -> Markup:
    """Lines over periods, one per series (the area, national); gaps where a figure is hidden."""
    known = [v for _, values in series for v in values if v is not None]
    top = max(known, default=1) * 1.15 or 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, PAD + plot_h - plot_h * v / top

    parts = [
        f'<line x1="{PAD}" y1="{PAD + plot_h}" x2="{WIDTH - PAD}" y2="{PAD + plot_h}" stroke="#b1b4b6"/>',
        f'<text x="{PAD - 6}" y="{PAD + 4}" text-anchor="end">{_number(round(top, 1))}</text>',
        f'<text x="{PAD - 6}" y="{PAD + plot_h}" text-anchor="end">0</text>',
    ]
    parts += [
        f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
    ]
    for n, (name, values) in enumerate(series):
        colour = AREA_COLOUR if n == 0 else NATIONAL_COLOUR
        run: list[str] = []
        for i, v in enumerate([*values, None]):
            if v is not None:
                x, y = point(i, v)
                run.append(f"{x:.1f},{y:.1f}")
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
                parts.append(f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle">{_number(v)}</text>')
            else:
                if len(run) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                    )
                run = []
                if i < len(values):
                    parts.append(
                        f'<text x="{PAD + i * step:.1f}" y="{PAD + plot_h - 4}" fill="{colour}" '
                        f'text-anchor="middle">c</text>'
                    )
        parts.append(
            f'<rect x="{PAD + n * 150}" y="8" width="10" height="10" fill="{colour}"/>'
            f'<text x="{PAD + n * 150 + 14}" y="17">{escape(name)}</text>'
        )
    return _svg(chart, title, "".join(parts))


def bars(chart: str, title: str, rows: Sequence[tuple[str, Value]]) -> Markup:
    """Horizontal bars, one per category; a hidden figure has no bar and reads ``c``."""
    height = PAD + 22 * len(rows) + 10
    top = max((v for _, v in rows if v is not None), default=0) or 1
    label_w, bar_w = 150, WIDTH - 150 - 60
    parts = []
    for i, (label, value) in enumerate(rows):
        y = PAD / 2 + i * 22
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        if value:
            parts.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{bar_w * value / top:.1f}" height="15" '
                f'fill="{AREA_COLOUR}"/>'
            )
        x = label_w + (bar_w * value / top if value else 0) + 4
        parts.append(f'<text x="{x:.1f}" y="{y + 13}">{_number(value)}</text>')
    return _svg(chart, title, "".join(parts), height)


def duration_band(chart: str, title: str, markers: Sequence[tuple[str, Value]]) -> Markup:
    """The Cafcass bands (green ≤26, amber 27–29, red ≥30 weeks) with each mean marked on them."""
    low, high = 0, 60
    plot_w = WIDTH - 2 * PAD

    def x(weeks: float) -> float:
        return PAD + plot_w * (min(max(weeks, low), high) - low) / (high - low)

    edges = ((low, 26.5), (26.5, 29.5), (29.5, high))
    parts = [
        f'<rect data-band="{name}" x="{x(a):.1f}" y="60" width="{x(b) - x(a):.1f}" height="30" '
        f'fill="{colour}"/>'
        for (name, colour), (a, b) in zip(BAND_COLOURS, edges, strict=True)
    ]
    parts += [
        f'<text x="{x(w):.1f}" y="106" text-anchor="middle">{w}</text>'
        for w in (0, 10, 20, 26, 30, 40, 50, 60)
    ]
    for n, (name, weeks) in enumerate(markers):
        colour = AREA_COLOUR if n == 0 else NATIONAL_COLOUR
        if weeks is None:
            parts.append(
                f'<text x="{PAD}" y="{130 + 16 * n}" fill="{colour}">{escape(name)}: c (not published)</text>'
            )
            continue
        parts.append(
            f'<line x1="{x(weeks):.1f}" y1="{50 - 12 * n}" x2="{x(weeks):.1f}" y2="92" stroke="{colour}" '
            f'stroke-width="3"/><text x="{x(weeks):.1f}" y="{46 - 12 * n}" text-anchor="middle" '
            f'fill="{colour}">{escape(name)} {_number(weeks)}</text>'
        )
    return _svg(chart, title, "".join(parts), 170)
