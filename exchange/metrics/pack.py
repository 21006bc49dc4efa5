"""The quarterly performance pack of one DFJ area: one self-contained HTML page, or the same page as PDF.

The page holds the area's disclosure-controlled figures for the quarter beside the national ones and its
previous four quarters, and six inline SVG charts (``exchange.metrics.charts``). It references nothing
outside itself, so it renders with no network. The PDF is the same HTML laid out by WeasyPrint (a
maintained pure-Python renderer on Debian's Pango: no browser process in the service), with a URL
fetcher that refuses every fetch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import render_template
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

import config
from exchange.metrics import charts, publication
from exchange.metrics.aggregates import AGE_BANDS, NATIONAL
from exchange.metrics.measures import AGENCIES, MEASURES
from exchange.metrics.periods import Period
from exchange.models import MetricPublication, Organisation

HISTORY = 4  # the previous quarters shown beside the quarter
DEMO_ORG_PREFIX = "demo-"
BAND_LABELS = {
    "up_to_26_weeks": "up to 26 weeks",
    "26_to_52_weeks": "26–52 weeks",
    "52_to_78_weeks": "52–78 weeks",
    "78_to_100_weeks": "78–100 weeks",
    "over_100_weeks": "over 100 weeks",
}


class RefusedFetch(Exception):
    """The pack asked for something outside itself; it never should."""


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def context(session: Session, area: str, quarter: Period, state: MetricPublication) -> dict[str, Any]:
    """Everything the pack template shows, read from the publication ``state`` (already protected)."""
    periods = [quarter.shifted(-n) for n in range(HISTORY, -1, -1)]
    labels = [p.label for p in periods]
    cells = publication.cells(session, periods, [area, NATIONAL])
    by_key = {(c["measure"], c["area"], c["period"], c["category"]): c for c in cells}

    def value(
        measure: str, where: str = area, period: str = quarter.label, category: str | None = None
    ) -> Any:
        return by_key[measure, where, period, category]["value"]

    def series(measure: str, where: str) -> list[float | int | None]:
        return [_number(value(measure, where, label)) for label in labels]

    rows = [
        {
            "measure": m,
            "title": m_def.title,
            "area": value(m),
            "national": value(m, NATIONAL),
            "history": [value(m, area, label) for label in labels[:-1]],
        }
        for m, m_def in MEASURES.items()
        if not m_def.categories
    ]
    area_name = config.dfj_areas().get(area, area)
    figures = {
        "trend_duration": charts.trend(
            "trend-mean-weeks",
            "Mean weeks to first final disposal: area and national",
            labels,
            [(area_name, series("care_mean_weeks", area)), ("National", series("care_mean_weeks", NATIONAL))],
        ),
        "trend_within_26": charts.trend(
            "trend-within-26-weeks",
            "Care cases disposed within 26 weeks, %: area and national",
            labels,
            [
                (area_name, series("care_pct_within_26_weeks", area)),
                ("National", series("care_pct_within_26_weeks", NATIONAL)),
            ],
        ),
        "trend_cases": charts.trend(
            "trend-cases",
            "Care cases issued and disposed in the area",
            labels,
            [
                ("Issued", series("care_cases_started", area)),
                ("Disposed", series("care_cases_disposed", area)),
            ],
        ),
        "band": charts.duration_band(
            "duration-band",
            "Mean duration against the Cafcass bands",
            [
                (area_name, _number(value("care_mean_weeks"))),
                ("National", _number(value("care_mean_weeks", NATIONAL))),
            ],
        ),
        "age_profile": charts.bars(
            "open-age-profile",
            "Open care cases by age at the end of the quarter",
            [(BAND_LABELS[b], _number(value("care_open_age_profile", category=b))) for b, _ in AGE_BANDS],
        ),
        "vacated": charts.bars(
            "vacated-by-agency",
            "Vacated care hearings in the quarter, by the agency blamed",
            [(a, _number(value("vacated_hearings_by_agency", category=a))) for a in AGENCIES],
        ),
    }
    return {
        "area": area,
        "area_name": area_name,
        "quarter": quarter.label,
        "labels": labels,
        "rows": rows,
        "band": value("care_duration_band"),
        "charts": figures,
        "synthetic": session.scalar(select(exists().where(Organisation.id.like(f"{DEMO_ORG_PREFIX}%")))),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "published_at": state.published_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_html(session: Session, area: str, quarter: Period, state: MetricPublication) -> str:
    return render_template("pack.html", **context(session, area, quarter, state))


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise RefusedFetch("the pack fetches nothing")


def render_pdf(html: str) -> bytes:
    """The same page as PDF (A4), laid out by WeasyPrint; nothing is fetched."""
    import weasyprint  # imported here: it loads Pango, which only the PDF answer needs

    return weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf()
