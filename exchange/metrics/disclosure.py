"""Disclosure control for every metrics output (SPEC §6): small counts, secondary suppression, rates.

The caller computes ``Figure``s (true values) and declares the ``Margin``s its output publishes (the areas
of one measure and period plus the national total; the months of a quarter plus the quarter); ``protect``
returns the publishable ``Cell``s. Rules:

- A count of 1-5 is suppressed; zero stays 0.
- Secondary suppression (the MoJ FCSQ rule): while a margin has exactly one suppressed cell, or any
  suppressed cell could be worked out from the margins together (checked exactly, by linear algebra over
  the margin equations), the smallest unsuppressed non-zero part of such a margin is suppressed too (its
  total only when no part is left). Zeros are never suppressed.
- A rate (mean, median, ratio, band) or a percentage is published only when its denominator is at least
  10 and neither its numerator nor its denominator is suppressed. Both are counts and take part in the
  count rules and the margins like any count: the denominators of a measure's areas add up to the national
  denominator exactly as counts do. A percentage's numerator is also suppressed when the complement
  (denominator - numerator) is 1-5, since value x denominator would reveal it.
- A withheld rate shows its numerator as ``c`` as well, so the rate cannot be recomputed; its denominator
  is shown unless suppressed (it says why the rate is withheld).

Status vocabulary: ``published``; ``suppressed`` (a count hidden, primary or secondary); ``withheld``
(a rate or percentage not published). Hidden values are the string ``c`` (the DfE symbol).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

COUNT, RATE, PERCENTAGE = "count", "rate", "percentage"
PUBLISHED, SUPPRESSED, WITHHELD = "published", "suppressed", "withheld"
HIDDEN = "c"
SMALL_COUNTS = range(1, 6)
MIN_DENOMINATOR = 10
NATIONAL = "national"

Key = tuple[str, str, str]  # (measure, area, period)
Var = tuple[Key, str]  # one count of a figure: its "value", "numerator" or "denominator"
Equation = tuple[Var, tuple[Var, ...]]  # total, parts


@dataclass(frozen=True)
class Figure:
    """A true figure before disclosure control.

    ``kind`` is ``count`` (``value`` an int), ``rate`` (``value`` computed by the caller: a mean, median,
    ratio or band label; ``denominator`` the count it is over; ``numerator`` a count or None) or
    ``percentage`` (``numerator`` a subset of ``denominator``).
    """

    measure: str
    area: str
    period: str
    kind: str
    value: int | float | str
    numerator: int | None = None
    denominator: int | None = None

    @property
    def key(self) -> Key:
        return (self.measure, self.area, self.period)


@dataclass(frozen=True)
class Margin:
    """A published total and the cells that add up to it."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Cell:
    """One published cell: the JSON/CSV row of the metrics API."""

    measure: str
    area: str
    period: str
    value: int | float | str
    numerator: int | str | None
    denominator: int | str | None
    status: str


def area_margins(figures: Iterable[Figure], national: str = NATIONAL) -> list[Margin]:
    """For each measure and period with a national figure: the areas add up to the national figure."""
    keys = [f.key for f in figures]
    totals = {(m, p) for m, a, p in keys if a == national}
    by_total: dict[Key, list[Key]] = {}
    for m, a, p in keys:
        if a != national and (m, p) in totals:
            by_total.setdefault((m, national, p), []).append((m, a, p))
    return [Margin(total, tuple(parts)) for total, parts in by_total.items()]


def period_margins(figures: Iterable[Figure], parts_of: Mapping[str, Sequence[str]]) -> list[Margin]:
    """For each measure and area: a period (``2025Q2``) is the sum of its parts (its three months).

    Only for flows (cases started, disposed); never for stocks such as open cases at period end.
    """
    keys = {f.key for f in figures}
    return [
        Margin((m, a, p), tuple((m, a, part) for part in parts_of[p]))
        for m, a, p in sorted(keys)
        if p in parts_of and all((m, a, part) in keys for part in parts_of[p])
    ]


def protect(figures: Sequence[Figure], margins: Iterable[Margin] = ()) -> list[Cell]:
    """The publishable cells for ``figures``, in the same order, with every rule above applied.

    Raises ValueError for a malformed figure, a duplicate key, or a margin over unknown or mixed cells.
    """
    by_key = _check(figures)
    counts = _counts(figures)
    equations = _equations(by_key, counts, margins)
    suppressed = {v for v, n in counts.items() if n in SMALL_COUNTS}
    suppressed |= {
        (f.key, "numerator")
        for f in figures
        if f.kind == PERCENTAGE and f.denominator - f.numerator in SMALL_COUNTS
    }
    _secondary(equations, counts, suppressed)
    return [_cell(f, suppressed) for f in figures]


def _check(figures: Sequence[Figure]) -> dict[Key, Figure]:
    by_key: dict[Key, Figure] = {}
    for f in figures:
        if f.key in by_key:
            raise ValueError(f"duplicate figure {f.key}")
        by_key[f.key] = f
        if f.kind == COUNT:
            ok = isinstance(f.value, int) and f.value >= 0 and f.numerator is None and f.denominator is None
        elif f.kind in (RATE, PERCENTAGE):
            counts = (
                [f.denominator] if f.numerator is None and f.kind == RATE else [f.numerator, f.denominator]
            )
            ok = all(isinstance(n, int) and n >= 0 for n in counts)
            ok = ok and (f.kind == RATE or f.numerator <= f.denominator)
        else:
            ok = False
        if not ok:
            raise ValueError(f"malformed {f.kind} figure {f.key}")
    return by_key


def _counts(figures: Iterable[Figure]) -> dict[Var, int]:
    counts: dict[Var, int] = {}
    for f in figures:
        if f.kind == COUNT:
            counts[(f.key, "value")] = f.value
        else:
            counts[(f.key, "denominator")] = f.denominator
            if f.numerator is not None:
                counts[(f.key, "numerator")] = f.numerator
    return counts


def _equations(
    by_key: Mapping[Key, Figure], counts: Mapping[Var, int], margins: Iterable[Margin]
) -> list[Equation]:
    equations: list[Equation] = []
    for margin in margins:
        cells = [margin.total, *margin.parts]
        unknown = [k for k in cells if k not in by_key]
        if unknown:
            raise ValueError(f"margin over unknown cells {unknown}")
        if len({by_key[k].kind for k in cells}) != 1:
            raise ValueError(f"margin over cells of different kinds: {margin.total}")
        for part in ("value", "numerator", "denominator"):
            if all((k, part) in counts for k in cells):
                equations.append(((margin.total, part), tuple((k, part) for k in margin.parts)))
    return equations


def _secondary(equations: list[Equation], counts: Mapping[Var, int], suppressed: set[Var]) -> None:
    """Suppress more counts until no suppressed count can be worked out from the margins."""
    while True:
        # the MoJ rule first (cheap): a margin with exactly one hidden count; then recovery through several
        lone = [eq for eq in equations if sum(v in suppressed for v in _variables(eq)) == 1]
        candidates = _candidates(lone, counts, suppressed)
        if not candidates:
            recoverable = _recoverable(equations, suppressed)
            exposed = [eq for eq in equations if recoverable.intersection(_variables(eq))]
            candidates = _candidates(exposed, counts, suppressed)
        if not candidates:
            # nothing left to hide: a value still "recoverable" rests on zeros alone, which exact margins
            # cannot give, so it is not the true value
            return
        suppressed.add(min(candidates, key=lambda v: (counts[v], v)))


def _candidates(equations: Iterable[Equation], counts: Mapping[Var, int], suppressed: set[Var]) -> list[Var]:
    return [c for eq in equations if (c := _next_to_suppress(eq, counts, suppressed)) is not None]


def _variables(eq: Equation) -> tuple[Var, ...]:
    return (eq[0], *eq[1])


def _next_to_suppress(eq: Equation, counts: Mapping[Var, int], suppressed: set[Var]) -> Var | None:
    """The smallest unsuppressed non-zero part of a margin, else its total if that can still be hidden."""
    open_parts = [v for v in eq[1] if v not in suppressed and counts[v] > 0]
    if open_parts:
        return min(open_parts, key=lambda v: (counts[v], v))
    total = eq[0]
    return total if total not in suppressed and counts[total] > 0 else None


def _recoverable(equations: Iterable[Equation], suppressed: set[Var]) -> set[Var]:
    """The suppressed counts that the margin equations determine exactly, by reduced row echelon form.

    Each margin says total - sum(parts) = 0; published counts are constants, so only the rows over the
    suppressed counts matter. A count is determined when its pivot row names no free count.
    """
    pivots: dict[Var, dict[Var, Fraction]] = {}
    for total, parts in equations:
        row: dict[Var, Fraction] = {}
        for v, c in ((total, 1), *((p, -1) for p in parts)):
            if v in suppressed:
                row[v] = row.get(v, Fraction(0)) + c
        for p in [p for p in row if p in pivots]:
            factor = row.get(p, Fraction(0))
            for v, c in pivots[p].items():
                row[v] = row.get(v, Fraction(0)) - factor * c
        row = {v: c for v, c in row.items() if c}
        if not row:
            continue
        lead = min(row)
        row = {v: c / row[lead] for v, c in row.items()}
        for p, prow in pivots.items():
            if lead in prow:
                factor = prow[lead]
                merged = {
                    v: prow.get(v, Fraction(0)) - factor * row.get(v, Fraction(0)) for v in prow.keys() | row
                }
                pivots[p] = {v: c for v, c in merged.items() if c}
        pivots[lead] = row
    return {p for p, row in pivots.items() if len(row) == 1}


def _cell(f: Figure, suppressed: set[Var]) -> Cell:
    def shown(part: str, n: int | None) -> int | str | None:
        return HIDDEN if (f.key, part) in suppressed else n

    if f.kind == COUNT:
        status = SUPPRESSED if (f.key, "value") in suppressed else PUBLISHED
        return Cell(f.measure, f.area, f.period, shown("value", f.value), None, None, status)
    numerator, denominator = shown("numerator", f.numerator), shown("denominator", f.denominator)
    if f.denominator < MIN_DENOMINATOR or HIDDEN in (numerator, denominator):
        return Cell(
            f.measure,
            f.area,
            f.period,
            HIDDEN,
            None if f.numerator is None else HIDDEN,
            denominator,
            WITHHELD,
        )
    return Cell(f.measure, f.area, f.period, f.value, numerator, denominator, PUBLISHED)
