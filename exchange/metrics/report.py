"""What a board may be shown: the measures of every scope, disclosure-controlled as one table, then cut.

Suppression is decided on the whole table (every DFJ area, national, every measure and category of the
periods asked for) whoever asks, and only then cut down to the areas the caller may see. So the same
figure is hidden the same way in every answer, and nothing hidden in one answer can be worked out from
another: the areas of a measure add up to national, the age bands to the open cases, the over-100-weeks
band to its own measure (``exchange.metrics.disclosure`` margins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from exchange.metrics import disclosure
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import MEASURES, RawCell, compute, scopes
from exchange.metrics.periods import Period
from exchange.models import Organisation
from exchange.reference import Reference

COLUMNS = ("measure", "category", "area", "period", "value", "numerator", "denominator", "status")
_KINDS = {"count": disclosure.COUNT, "percent": disclosure.PERCENTAGE}


def visible_areas(org: Organisation, reference: Reference) -> list[str]:
    """The DFJ areas an organisation may see besides national: its own (lfjb), every one (fjb), none else."""
    if org.kind == "fjb":
        return [s for s in scopes(reference) if s != NATIONAL]
    if org.kind == "lfjb":
        return list(org.dfj_areas or [])
    return []


def _name(raw: RawCell) -> str:
    return f"{raw.measure}:{raw.category}" if raw.category else raw.measure


def _figure(raw: RawCell) -> disclosure.Figure:
    kind = _KINDS.get(MEASURES[raw.measure].kind, disclosure.RATE)
    value = raw.value if raw.value is not None else 0  # no denominator: withheld whatever the value
    return disclosure.Figure(_name(raw), raw.area, raw.period, kind, value, raw.numerator, raw.denominator)


def _linked_margins(figures: Iterable[disclosure.Figure]) -> list[disclosure.Margin]:
    """Breakdowns that add up to a published count: the age bands to the open cases, and so on."""
    keys = {f.key for f in figures}
    bands = MEASURES["care_open_age_profile"].categories
    margins = []
    for measure, area, period in keys:
        if measure != "care_open_cases":
            continue
        parts = tuple((f"care_open_age_profile:{b}", area, period) for b in bands)
        if all(p in keys for p in parts):
            margins.append(disclosure.Margin((measure, area, period), parts))
        over = ("care_open_over_100_weeks", area, period)
        if over in keys and parts[-1] in keys:
            margins.append(disclosure.Margin(over, (parts[-1],)))
    return margins


def protected_table(
    session: Session, periods: Sequence[Period], reference: Reference
) -> list[dict[str, Any]]:
    """Every measure of every scope and period, disclosure-controlled, as API cells."""
    raws = compute(session, periods, reference)
    figures = [_figure(r) for r in raws]
    margins = disclosure.area_margins(figures) + _linked_margins(figures)
    cells = disclosure.protect(figures, margins)
    return [
        {
            "measure": raw.measure,
            "category": raw.category,
            "area": raw.area,
            "period": raw.period,
            "value": cell.value,
            "numerator": cell.numerator,
            "denominator": cell.denominator,
            "status": cell.status,
        }
        for raw, cell in zip(raws, cells, strict=True)
    ]


def cells(
    session: Session,
    periods: Sequence[Period],
    areas: Iterable[str],
    reference: Reference,
    measures: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The protected cells of ``areas`` (``national`` included when named) and ``measures`` (default: all)."""
    wanted_areas, wanted = set(areas), set(measures or MEASURES)
    return [
        c
        for c in protected_table(session, periods, reference)
        if c["area"] in wanted_areas and c["measure"] in wanted
    ]
