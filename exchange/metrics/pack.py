"""The quarterly performance pack of one DFJ area: one self-contained HTML page, or the same page as PDF.

The page holds the area's disclosure-controlled figures for the quarter beside the national ones and its
previous four quarters, and six inline SVG charts (``exchange.metrics.charts``). It references nothing
outside itself, so it renders with no network. The PDF is the same HTML laid out by WeasyPrint (a
maintained pure-Python renderer on Debian's Pango: no browser process in the service), with a URL
fetcher that refuses every fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.metrics import charts, publication
from exchange.metrics.aggregates import AGE_BANDS, NATIONAL
from exchange.metrics.disclosure import HIDDEN, NOT_PUBLISHED
from exchange.metrics.measures import AGENCIES, MEASURES
from exchange.metrics.periods import Period, month_start
from exchange.models import MetricPublication, Organisation
from exchange.reference import Reference

#: the pack's page (``exchange/templates/pack.html``), HTML-escaped as Flask's own templates are
TEMPLATES = Environment(loader=PackageLoader("exchange", "templates"), autoescape=select_autoescape(["html"]))
HISTORY = 4  # the previous quarters shown beside the quarter
DEMO_ORG_PREFIX = "demo-"
NATIONAL_NAME = "England and Wales"
BAND_LABELS = {
    "up_to_26_weeks": "Up to 26 weeks",
    "26_to_52_weeks": "26 to 52 weeks",
    "52_to_78_weeks": "52 to 78 weeks",
    "78_to_100_weeks": "78 to 100 weeks",
    "over_100_weeks": "Over 100 weeks",
}
AGENCY_LABELS = {
    "LocalAuthority": "Local authority",
    "Cafcass": "Cafcass",
    "HMCTS": "HMCTS",
    "Lawyers": "Lawyers",
    "Experts": "Experts",
    "LegalAidAgency": "Legal Aid Agency",
    "Other": "Other",
    "NotRecorded": "Not recorded",
}
#: the quarter's headline figures: measure, label, unit after the number
KEY_FIGURES = (
    ("care_mean_weeks", "Mean duration, issue to first final disposal", " weeks"),
    ("care_median_weeks", "Median duration (MoJ method)", " weeks"),
    ("care_pct_within_26_weeks", "Disposed within 26 weeks", "%"),
    ("care_cases_started", "Care cases issued", ""),
    ("care_cases_disposed", "Care cases disposed", ""),
    ("care_open_cases", "Care cases open at the quarter end", ""),
)


class RefusedFetch(Exception):
    """The pack asked for something outside itself; it never should."""


def number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def shown(measure: str, value: Any) -> str:
    """A figure as the pack prints it, in the table, the key figures and the charts alike: counts whole
    with thousands separated, every mean, median, percentage and ratio to one decimal place (a median of
    26 weeks reads 26.0, as 26.5 does), a band by its name, a hidden figure ``c``, one not published
    ``x``."""
    if isinstance(value, str):
        return value if value in (HIDDEN, NOT_PUBLISHED) else value.capitalize()
    return f"{value:,.0f}" if MEASURES[measure].kind == "count" else f"{value:,.1f}"


def _months(quarter: Period) -> str:
    first, last = (month_start(m) for m in (quarter.first_month, quarter.last_month))
    return f"{first:%B} to {last:%B %Y}"


def context(
    session: Session, area: str, quarter: Period, reference: Reference, state: MetricPublication
) -> dict[str, Any]:
    """Everything the pack template shows, read from the publication ``state`` (already protected) and
    formatted."""
    periods = [quarter.shifted(-n) for n in range(HISTORY, -1, -1)]
    labels = [p.label for p in periods]
    cells = publication.cells(session, periods, [area, NATIONAL])
    by_key = {(c["measure"], c["area"], c["period"], c["category"]): c for c in cells}

    def value(
        measure: str, where: str = area, period: str = quarter.label, category: str | None = None
    ) -> Any:
        """The published value; a quarter before the publication's first month is not published."""
        cell = by_key.get((measure, where, period, category))
        if cell is None and period != quarter.label:
            return NOT_PUBLISHED
        return by_key[measure, where, period, category]["value"]

    def series(measure: str, where: str) -> list[float | int | None]:
        return [number(value(measure, where, label)) for label in labels]

    def fmt(measure: str) -> Callable[[float], str]:
        return partial(shown, measure)

    def area_and_national(measure: str) -> list[tuple[str, list[float | int | None]]]:
        return [(area_name, series(measure, area)), (NATIONAL_NAME, series(measure, NATIONAL))]

    area_name, now = reference.dfj_areas.get(area, area), clock.now()
    rows = [
        {
            "measure": m,
            "title": m_def.title,
            "history": [shown(m, value(m, area, label)) for label in labels[:-1]],
            "area": shown(m, value(m)),
            "national": shown(m, value(m, NATIONAL)),
        }
        for m, m_def in MEASURES.items()
        if not m_def.categories and m_def.in_pack
    ]
    key_figures = [
        {
            "measure": m,
            "label": label,
            "area": shown(m, value(m)),
            "national": shown(m, value(m, NATIONAL)),
            "unit": unit,
        }
        for m, label, unit in KEY_FIGURES
    ]
    figures = {
        "trend_duration": charts.trend(
            "trend-mean-weeks",
            f"Mean weeks from issue to first final disposal, {area_name} and {NATIONAL_NAME}",
            labels,
            area_and_national("care_mean_weeks"),
            fmt("care_mean_weeks"),
            "Weeks",
        ),
        "trend_within_26": charts.trend(
            "trend-within-26-weeks",
            f"Care cases disposed within 26 weeks, %, {area_name} and {NATIONAL_NAME}",
            labels,
            area_and_national("care_pct_within_26_weeks"),
            fmt("care_pct_within_26_weeks"),
            "Per cent",
            limit=100,
        ),
        "trend_cases": charts.trend(
            "trend-cases",
            f"Care cases issued and disposed, {area_name}",
            labels,
            [
                ("Issued", series("care_cases_started", area)),
                ("Disposed", series("care_cases_disposed", area)),
            ],
            fmt("care_cases_started"),
            "Cases",
            whole=True,
        ),
        "band": charts.duration_band(
            "duration-band",
            "Mean duration against the Cafcass bands",
            [
                (area_name, number(value("care_mean_weeks"))),
                (NATIONAL_NAME, number(value("care_mean_weeks", NATIONAL))),
            ],
            fmt("care_mean_weeks"),
        ),
        "age_profile": charts.bars(
            "open-age-profile",
            f"Open care cases by age at the end of {quarter.label}",
            [(BAND_LABELS[b], number(value("care_open_age_profile", category=b))) for b, _ in AGE_BANDS],
            fmt("care_open_age_profile"),
            "Cases",
        ),
        "vacated": charts.bars(
            "vacated-by-agency",
            f"Vacated care hearings in {quarter.label}, by the agency responsible",
            [(AGENCY_LABELS[a], number(value("vacated_hearings_by_agency", category=a))) for a in AGENCIES],
            fmt("vacated_hearings_by_agency"),
            "Hearings",
        ),
    }
    return {
        "area": area,
        "area_name": area_name,
        "national_name": NATIONAL_NAME,
        "quarter": quarter.label,
        "months": _months(quarter),
        "labels": labels,
        "rows": rows,
        "key_figures": key_figures,
        "band": value("care_duration_band"),
        "charts": figures,
        "synthetic": session.scalar(select(exists().where(Organisation.id.like(f"{DEMO_ORG_PREFIX}%")))),
        "generated_at": stamp(now),
        "published_at": stamp(state.published_at),
    }


def stamp(instant: datetime) -> str:
    return f"{instant.day} {instant:%B %Y, %H:%M} UTC"


def render_html(
    session: Session, area: str, quarter: Period, reference: Reference, state: MetricPublication
) -> str:
    return TEMPLATES.get_template("pack.html").render(context(session, area, quarter, reference, state))


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise RefusedFetch("the pack fetches nothing")


def render_pdf(html: str) -> bytes:
    """The same page as PDF (A4), laid out by WeasyPrint; nothing is fetched."""
    import weasyprint  # imported here: it loads Pango, which only the PDF answer needs

    return weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf()
