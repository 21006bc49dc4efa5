"""What a board may be shown, and how one published cell is written out.

The cells themselves come from the protected publication (``exchange.metrics.publication``), decided
once for every area, national, every measure and period, whoever asks; an answer is only cut from it.
"""

from __future__ import annotations

from typing import Any

from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import scopes
from exchange.models import Organisation
from exchange.reference import Reference

COLUMNS = ("measure", "category", "area", "period", "value", "numerator", "denominator", "status")
#: characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible_areas(org: Organisation, reference: Reference) -> list[str]:
    """The DFJ areas an organisation may see besides national: its own (lfjb), every one (fjb), none else."""
    if org.kind == "fjb":
        return [s for s in scopes(reference) if s != NATIONAL]
    if org.kind == "lfjb":
        return list(org.dfj_areas or [])
    return []


def csv_safe(value: Any) -> Any:
    """A CSV field: text that a spreadsheet would run as a formula is prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value
