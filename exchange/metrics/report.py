"""What a board may be shown, and how one published cell is written out.

The cells themselves come from the protected publication (``exchange.metrics.publication``), decided
once for every area, national, every measure and period, whoever asks; an answer is only cut from it.
"""

from __future__ import annotations

from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import scopes
from exchange.models import Organisation
from exchange.reference import Reference

COLUMNS = ("measure", "category", "area", "period", "value", "numerator", "denominator", "status")


def visible_areas(org: Organisation, reference: Reference) -> list[str]:
    """The DFJ areas an organisation may see besides national: its own (lfjb), every one (fjb), none else."""
    if org.kind == "fjb":
        return [s for s in scopes(reference) if s != NATIONAL]
    if org.kind == "lfjb":
        return list(org.dfj_areas or [])
    return []
