"""The publication as one table of counts and the relations they obey, for ``disclosure.protect``.

Every measure of every scope (each DFJ area, the High Court, and national) over a fixed calendar of
months, quarters and years becomes count variables (a count cell's value; a rate's numerator and
denominator), one variable per quantity: the disposed cases are the count ``care_cases_disposed`` and the
denominator of every duration rate alike, and a stock at a quarter's or a year's end is the stock at its
last month's end. The relations (each a linear equation over the true values, checked when declared):

- category: the open-case age bands add up to the open cases (and ``over_100_weeks`` is
  ``care_open_over_100_weeks``);
- area: the areas add up to national, with an unpublished remainder for the cases of no DFJ area (LAs
  whose DFJ area is ambiguous, unmapped courts) wherever there are any;
- period: months add up to their quarter and quarters to their year (flows);
- percentage: numerator + an unpublished complement = denominator (so value x denominator gives nothing);
- stock-flow: open at a month's end = open at the previous month's end + issued - disposed - the rest
  (closed or transferred out without a disposal): the rest is an unpublished quantity where it is not
  zero, and taken as known (zero) where it is.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exchange.metrics import disclosure
from exchange.metrics.aggregates import NATIONAL
from exchange.metrics.measures import MEASURES, RawCell
from exchange.metrics.periods import MONTHS_IN, Period

REMAINDER = "~unassigned"  # the cases national counts but no area does; never published
STOCKS = frozenset({"open", "plo_late_cmh", "plo_late_irh", "plo_late_final"})
#: count measure -> series
COUNT_SERIES = {
    "care_cases_started": "started",
    "epo_cases_started": "epo_started",
    "other_public_cases_started": "pl_other_started",
    "care_children_started": "children",
    "care_cases_disposed": "disposed",
    "care_open_cases": "open",
    "care_open_over_100_weeks": "band:over_100_weeks",
    "plo_late_cmh": "plo_late_cmh",
    "plo_late_irh": "plo_late_irh",
    "plo_late_final": "plo_late_final",
    "private_cases_started": "private_started",
    "advice_requests": "advice",
    "pre_proceedings_started": "pre",
}
#: rate measure -> (numerator series or None, denominator series)
RATE_SERIES = {
    "care_mean_weeks": ("weeks", "disposed"),
    "care_duration_band": ("weeks", "disposed"),
    "care_median_weeks": (None, "disposed"),
    "care_pct_within_26_weeks": ("within", "disposed"),
    "hearings_per_disposed_case": ("hearings", "disposed"),
    "private_mean_weeks_to_final_order": ("order_weeks", "orders"),
    "advice_on_time_pct": ("on_time", "advice_due"),
    "pre_proceedings_to_court_pct": ("to_court", "pre"),
}
#: (whole, part): the part of a percentage and its unpublished complement add up to the whole
COMPLEMENTS = (("disposed", "within"), ("advice_due", "on_time"), ("pre", "to_court"))
SCOPE_WEIGHT = {NATIONAL: 1000.0}
KIND_WEIGHT = {"month": 1.0, "quarter": 3.0, "year": 9.0}

VarKey = tuple[str, str, str, int]  # series, scope, period kind, period key


def series_of(raw: RawCell) -> tuple[str | None, str | None]:
    """(numerator series, value-or-denominator series) of a raw cell."""
    if raw.measure == "care_open_age_profile":
        return None, f"band:{raw.category}"
    if raw.measure == "vacated_hearings_by_agency":
        return None, f"vacated:{raw.category}"
    if raw.measure == "care_final_order_mix":
        return None, f"order_mix:{raw.category}"
    if raw.measure in COUNT_SERIES:
        return None, COUNT_SERIES[raw.measure]
    return RATE_SERIES[raw.measure]


def is_stock(series: str) -> bool:
    return series in STOCKS or series.startswith("band:")


def coarsened(scope: str, period: Period) -> bool:
    """Months are published nationally only: an area's months are mostly 1-5 and would hide whole
    tables (an area's stock at a quarter's end is still published, as the quarter's). An area's month is
    neither computed into the table nor stored nor sent."""
    return period.kind == "month" and scope != NATIONAL


@dataclass
class Publication:
    """The raw cells, the table built from them, and the variables of each cell."""

    raws: list[tuple[Period, RawCell]]
    table: disclosure.Table
    variables: dict[VarKey, int]

    def var(self, series: str, scope: str, period: Period) -> int:
        return self.variables[_canonical(series, scope, period)]

    def cell(self, period: Period, raw: RawCell, hidden: set[int]) -> dict[str, Any]:
        """The API cell of ``raw`` once ``hidden`` is decided."""
        numerator_series, series = series_of(raw)
        assert series is not None
        out = {"measure": raw.measure, "category": raw.category, "area": raw.area, "period": raw.period}
        count = MEASURES[raw.measure].kind == "count"
        value_var = self.var(series, raw.area, period)
        if count:
            shown = value_var not in hidden
            return out | {
                "value": raw.value if shown else disclosure.HIDDEN,
                "numerator": None,
                "denominator": None,
                "status": disclosure.PUBLISHED if shown else disclosure.SUPPRESSED,
            }
        numerator_hidden = (
            numerator_series is not None and self.var(numerator_series, raw.area, period) in hidden
        )
        denominator = disclosure.HIDDEN if value_var in hidden else raw.denominator
        if (raw.denominator or 0) < disclosure.MIN_DENOMINATOR or value_var in hidden or numerator_hidden:
            return out | {
                "value": disclosure.HIDDEN,
                "numerator": None if numerator_series is None else disclosure.HIDDEN,
                "denominator": denominator,
                "status": disclosure.WITHHELD,
            }
        return out | {
            "value": raw.value,
            "numerator": raw.numerator,
            "denominator": raw.denominator,
            "status": disclosure.PUBLISHED,
        }


def _canonical(series: str, scope: str, period: Period) -> VarKey:
    if is_stock(series):  # a stock at a period's end is the stock at its last month's end
        return (series, scope, "month", period.last_month)
    return (series, scope, period.kind, period.key)


def build(raws: Iterable[tuple[Period, RawCell]], areas: Sequence[str], months: Sequence[int]) -> Publication:
    """The table of every raw cell (each with its period) over ``months`` (whole years) and its relations;
    an area's months are left out (``coarsened``)."""
    raws = [(period, raw) for period, raw in raws if not coarsened(raw.area, period)]
    values: dict[VarKey, int] = {}
    numerators: dict[VarKey, VarKey] = {}
    for period, raw in raws:
        numerator_series, series = series_of(raw)
        assert series is not None
        count = raw.value if MEASURES[raw.measure].kind == "count" else raw.denominator
        _record(values, _canonical(series, raw.area, period), int(count or 0))
        if numerator_series is not None:
            key = _canonical(numerator_series, raw.area, period)
            _record(values, key, int(raw.numerator or 0))
            numerators[key] = _canonical(series, raw.area, period)
    table = disclosure.Table()
    variables: dict[VarKey, int] = {}
    for key, value in values.items():
        series, scope, kind, _ = key
        weight = (1.0 + value) * SCOPE_WEIGHT.get(scope, 1.0) * KIND_WEIGHT[kind]
        # a numerator over nothing is 0 for all to see; any other is hidden with its rate
        keeps_zero = key not in numerators or values[numerators[key]] == 0
        variables[key] = table.add(value, weight=weight, keeps_zero=keeps_zero, name=key)
    for numerator, denominator in numerators.items():
        table.follows.append((variables[numerator], variables[denominator]))
        if 0 < values[denominator] < disclosure.MIN_DENOMINATOR:
            table.forced.add(variables[numerator])
    publication = Publication(raws, table, variables)
    _relations(publication, values, areas, months)
    return publication


def _record(values: dict[VarKey, int], key: VarKey, value: int) -> None:
    if values.setdefault(key, value) != value:
        raise ValueError(f"one quantity with two values: {key}")


def _unpublished(publication: Publication, key: VarKey, value: int) -> int:
    index = publication.table.add(value, published=False, weight=0.0, name=key)
    publication.variables[key] = index
    return index


def _relations(
    publication: Publication, values: Mapping[VarKey, int], areas: Sequence[str], months: Sequence[int]
) -> None:
    table, var = publication.table, publication.variables
    series_periods: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for series, _, kind, key in values:
        series_periods[series].add((kind, key))
    # area: national = the areas + the remainder (declared for a series wherever it is ever non-zero)
    for series, periods in series_periods.items():
        # an area's months are not published: no margin, but for a stock at a quarter's end
        periods = {p for p in periods if p[0] != "month" or is_stock(series) and p[1] % 3 == 2}
        remainders = {
            p: values.get((series, NATIONAL, *p), 0) - sum(values.get((series, a, *p), 0) for a in areas)
            for p in periods
        }
        declared = any(remainders.values())
        for p in sorted(periods):
            terms = {var[(series, NATIONAL, *p)]: 1}
            for area in areas:
                terms[var[(series, area, *p)]] = -1
            if declared:
                terms[_unpublished(publication, (series, REMAINDER, *p), remainders[p])] = -1
            table.relate(terms)
    scopes = [*areas, NATIONAL]
    quarters = sorted({m // 3 for m in months})
    years = sorted({m // 12 for m in months})
    for series in series_periods:
        if is_stock(series):
            continue
        for scope in scopes:  # period: months to quarters (nationally), quarters to years
            for q in quarters if scope == NATIONAL else ():
                table.relate(
                    {var[(series, scope, "quarter", q)]: 1}
                    | {var[(series, scope, "month", m)]: -1 for m in range(q * 3, q * 3 + 3)}
                )
            for y in years:
                table.relate(
                    {var[(series, scope, "year", y)]: 1}
                    | {var[(series, scope, "quarter", q)]: -1 for q in range(y * 4, y * 4 + 4)}
                )
    for whole, part in COMPLEMENTS:  # percentage: part + complement = whole
        for series, scope, kind, key in [k for k in values if k[0] == part and k[1] != REMAINDER]:
            total = var[(whole, scope, kind, key)]
            rest = values[(whole, scope, kind, key)] - values[(part, scope, kind, key)]
            complement = _unpublished(publication, (f"{whole}-{part}", scope, kind, key), rest)
            table.relate({total: 1, var[(series, scope, kind, key)]: -1, complement: -1})
    bands = [f"band:{b}" for b in MEASURES["care_open_age_profile"].categories]
    for scope in scopes:
        for m in months if scope == NATIONAL else months[2::3]:  # category: age bands add up to open
            table.relate(
                {var[("open", scope, "month", m)]: 1} | {var[(b, scope, "month", m)]: -1 for b in bands}
            )
        # an area's flows are published by quarter, national ones by month; the coarser periods' identities
        # follow from the finer ones, but declared they make the program hide a second cell wherever one
        # is hidden (a year's disposals are its opening stock - its closing stock + its issued cases)
        kinds = ["month", "quarter", "year"] if scope == NATIONAL else ["quarter", "year"]
        for kind in kinds:
            spans = {"month": months, "quarter": quarters, "year": years}[kind]
            size = MONTHS_IN[kind]
            finest = None if kind == kinds[0] else kinds[0]
            _stock_flow(publication, values, scope, [(kind, k, k * size + size - 1) for k in spans], finest)


def _stock_flow(
    publication: Publication,
    values: Mapping[VarKey, int],
    scope: str,
    periods: Sequence[tuple[str, int, int]],
    finest: str | None = None,
) -> None:
    """open(end) - open(previous end) - started + disposed = rest, for each (period kind, key, last month)
    after the first (the stock before the calendar is not published). The rest is the cases that left the
    stock otherwise (closed or transferred out without a final disposal, less those transferred in): an
    unpublished quantity where it is not zero; where it is zero the relation is taken as exact, as a
    reader who guessed it would. With ``finest`` (the kind whose identities, and rests, are declared
    already), the period's rest is the sum of its ``finest`` periods' rests: no new quantity."""
    var = publication.variables
    for (_, _, before), (kind, key, end) in itertools.pairwise(periods):
        terms = {
            ("open", scope, "month", end): 1,
            ("open", scope, "month", before): -1,
            ("started", scope, kind, key): -1,
            ("disposed", scope, kind, key): 1,
        }
        row = {var[k]: c for k, c in terms.items()}
        if finest is not None:
            size = MONTHS_IN[kind] // MONTHS_IN[finest]
            parts = [("stock-flow", scope, finest, key * size + n) for n in range(size)]
            row |= {var[k]: -1 for k in parts if k in var}
        elif rest := sum(c * values[k] for k, c in terms.items()):
            row[_unpublished(publication, ("stock-flow", scope, kind, key), rest)] = -1
        publication.table.relate(row)


def calendar(first_month: int, last_month: int) -> dict[str, list[Period]]:
    """Every month, quarter and year of whole years from ``first_month``'s year to ``last_month``'s."""
    first, last = first_month // 12 * 12, last_month // 12 * 12 + 11
    return {
        kind: [Period(kind, key) for key in range(first // MONTHS_IN[kind], last // MONTHS_IN[kind] + 1)]
        for kind in MONTHS_IN
    }
