"""The board measures of SPEC §6, computed by the database for every DFJ area and nationally.

``compute`` answers raw (not yet disclosure-controlled) cells for every scope, so that suppression is
decided on the whole table whoever asks (``exchange.metrics.report``). Each measure is a few SQL
group-bys over the monthly ``metric_counts`` (kept by ``exchange.metrics.aggregates``) or, for the small
advice and pre-proceedings tables, over their own rows; Python only divides and adds up the stock changes
of the periods asked for. The MoJ median is read from the weekly histogram with window functions: the
largest value of the lower NTILE(2) half when the count is odd, else the mean of the two middle values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from exchange.db import is_postgresql
from exchange.metrics.aggregates import AGE_BANDS, FLOW_MEASURES, NATIONAL, ORDER_MIX
from exchange.metrics.periods import MONTHS_IN, Period, PeriodKind
from exchange.models import Advice, AdviceRequest, PreProceedings
from exchange.models.metrics import MetricCount
from exchange.reference import Reference

Kind = Literal["count", "mean", "median", "percent", "ratio", "band"]


@dataclass(frozen=True)
class Measure:
    name: str
    kind: Kind
    title: str
    #: the categories a breakdown measure is published by (empty: one cell per area and period)
    categories: tuple[str, ...] = ()
    #: shown in the quarterly pack's table (the API serves every measure)
    in_pack: bool = True


AGENCIES = (
    "LocalAuthority",
    "Cafcass",
    "HMCTS",
    "Lawyers",
    "Experts",
    "LegalAidAgency",
    "Other",
    "NotRecorded",
)
MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("care_cases_started", "count", "Care cases issued"),
        Measure(
            "epo_cases_started",
            "count",
            "Emergency protection order applications issued (not in care)",
            in_pack=False,
        ),
        Measure(
            "other_public_cases_started",
            "count",
            "Other public-law applications issued (not in care)",
            in_pack=False,
        ),
        Measure("care_children_started", "count", "Children in care cases issued"),
        Measure("care_cases_disposed", "count", "Care cases disposed (first final disposal)"),
        Measure("care_mean_weeks", "mean", "Mean weeks from issue to first final disposal"),
        Measure("care_median_weeks", "median", "Median weeks from issue to first final disposal (MoJ)"),
        Measure("care_pct_within_26_weeks", "percent", "Disposed within 26 weeks (182 days), %"),
        Measure("care_duration_band", "band", "Duration band on the mean (green ≤26, amber 27–29, red ≥30)"),
        Measure("care_open_cases", "count", "Care cases open at period end"),
        Measure("care_open_over_100_weeks", "count", "Care cases open over 100 weeks at period end"),
        Measure(
            "care_open_age_profile",
            "count",
            "Open care cases by age at period end",
            tuple(b for b, _ in AGE_BANDS),
        ),
        Measure("plo_late_cmh", "count", "Open cases: case management hearing after day 24 or missing"),
        Measure("plo_late_irh", "count", "Open cases: issues resolution hearing after day 140 or missing"),
        Measure("plo_late_final", "count", "Open cases: final hearing after day 182 or missing"),
        Measure("hearings_per_disposed_case", "ratio", "Hearings held per disposed care case"),
        Measure("vacated_hearings_by_agency", "count", "Vacated care hearings by agency blamed", AGENCIES),
        Measure(
            "care_final_order_mix", "count", "Children given final orders in care cases, by order", ORDER_MIX
        ),
        Measure("private_cases_started", "count", "Private-law cases issued"),
        Measure(
            "private_mean_weeks_to_final_order", "mean", "Private law: mean weeks from issue to final order"
        ),
        Measure("advice_requests", "count", "Advice requests received by Cafcass"),
        Measure(
            "advice_on_time_pct", "percent", "Advice requests due in the period answered by their due date, %"
        ),
        Measure("pre_proceedings_started", "count", "Pre-proceedings started (CIN census)"),
        Measure("pre_proceedings_to_court_pct", "percent", "Pre-proceedings started that went to court, %"),
    )
}
GREEN_MAX_WEEKS, AMBER_MAX_WEEKS = 26, 29


@dataclass
class RawCell:
    """One figure before disclosure control; ``numerator``/``denominator`` are counts (None when n/a)."""

    measure: str
    area: str
    period: str
    category: str | None
    value: float | int | str | None
    numerator: int | None
    denominator: int | None


def scopes(reference: Reference) -> list[str]:
    """Every DFJ area (the High Court too) and ``national``."""
    return [*reference.dfj_areas, NATIONAL]


def duration_band(mean_weeks: float) -> str:
    """Cafcass heat-map band of a mean duration, compared in whole weeks (rounded half up)."""
    weeks = int(mean_weeks + 0.5)
    return "green" if weeks <= GREEN_MAX_WEEKS else "amber" if weeks <= AMBER_MAX_WEEKS else "red"


def _period_key(column: ColumnElement[int], kind: PeriodKind) -> ColumnElement[int]:
    return column if kind == "month" else column // MONTHS_IN[kind]


def _month_number(column: Any, postgres: bool) -> ColumnElement[int]:
    """The month number of a date or an instant column (UTC), on either database."""
    if postgres:
        year, month = func.extract("year", column), func.extract("month", column)
    else:  # SQLite keeps dates and instants as ISO text
        year, month = func.substr(column, 1, 4), func.substr(column, 6, 2)
    return cast(year, Integer) * 12 + cast(month, Integer) - 1


def _day(column: Any, postgres: bool) -> ColumnElement[Any]:
    return cast(column, Date) if postgres else func.substr(column, 1, 10)


class _Table:
    """The figures of one query, by (measure key, scope, period label, category)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, key: tuple[str, str, str, str], *amounts: int) -> None:
        row = self.values[key]
        for i, amount in enumerate(amounts):
            row[i] += int(amount or 0)

    def get(self, key: tuple[str, str, str, str]) -> list[int]:
        return self.values.get(key, [0, 0, 0])


def _flows(session: Session, periods: Sequence[Period], table: _Table) -> None:
    t = MetricCount.__table__
    kind = periods[0].kind
    p = _period_key(t.c.month, kind).label("p")
    query = (
        select(
            t.c.scope,
            t.c.law,
            t.c.measure,
            t.c.category,
            p,
            func.sum(t.c.n),
            func.sum(t.c.total),
            func.sum(t.c.n * t.c.weeks),
        )
        .where(
            t.c.measure.in_(FLOW_MEASURES),
            t.c.month.between(periods[0].first_month, periods[-1].last_month),
        )
        .group_by(t.c.scope, t.c.law, t.c.measure, t.c.category, p)
    )
    for scope, law, measure, category, key, n, total, weeks in session.execute(query):
        table.add((f"{law}:{measure}", scope, Period(kind, key).label, category), n, total, weeks)


def _medians(session: Session, periods: Sequence[Period]) -> dict[tuple[str, str], tuple[float, int]]:
    """(scope, period label) -> (MoJ median weeks, disposed), from the histogram of whole weeks."""
    t = MetricCount.__table__
    kind = periods[0].kind
    p = _period_key(t.c.month, kind)
    histogram = (
        select(t.c.scope, p.label("p"), t.c.weeks, func.sum(t.c.n).label("n"))
        .where(
            t.c.law == "public",
            t.c.measure == "disposed",
            t.c.month.between(periods[0].first_month, periods[-1].last_month),
        )
        .group_by(t.c.scope, p, t.c.weeks)
        .subquery()
    )
    window = {"partition_by": (histogram.c.scope, histogram.c.p)}
    running = select(
        histogram.c.scope,
        histogram.c.p,
        histogram.c.weeks,
        # PostgreSQL sums bigints as numeric: made whole numbers again for the integer halving below
        cast(func.sum(histogram.c.n).over(**window, order_by=histogram.c.weeks), Integer).label("upto"),
        cast(func.sum(histogram.c.n).over(**window), Integer).label("count"),
    ).subquery()
    # NTILE(2) puts the odd middle value in the lower half: its largest value is at (count + 1) / 2
    lower = func.min(case((running.c.upto >= (running.c.count + 1) // 2, running.c.weeks)))
    upper = func.min(case((running.c.upto >= running.c.count // 2 + 1, running.c.weeks)))
    query = select(running.c.scope, running.c.p, lower, upper, func.max(running.c.count)).group_by(
        running.c.scope, running.c.p
    )
    out = {}
    for scope, key, low, high, count in session.execute(query):
        if count:
            median = float(low) if count % 2 else (low + high) / 2  # one type, as the mean: 27.0
            out[scope, Period(kind, key).label] = (median, int(count))
    return out


def _stocks(session: Session, periods: Sequence[Period], table: _Table) -> None:
    """Open-case stocks at each period's end: every change before the first period, then each period's."""
    t = MetricCount.__table__
    kind = periods[0].kind
    first = periods[0].first_month
    p = case((t.c.month < first, literal(-1)), else_=_period_key(t.c.month, kind)).label("p")
    query = (
        select(t.c.scope, t.c.measure, t.c.category, p, func.sum(t.c.n))
        .where(
            t.c.law == "public",
            t.c.measure.in_(("open", "open_age", "plo_late_cmh", "plo_late_irh", "plo_late_final")),
            t.c.month <= periods[-1].last_month,
        )
        .group_by(t.c.scope, t.c.measure, t.c.category, p)
    )
    changes: dict[tuple[str, str, str], dict[int, int]] = defaultdict(dict)
    for scope, measure, category, key, n in session.execute(query):
        changes[scope, measure, category][key] = int(n)
    for (scope, measure, category), by_period in changes.items():
        level = by_period.get(-1, 0)
        for period in periods:
            level += by_period.get(period.key, 0)
            table.add((f"stock:{measure}", scope, period.label, category), level)


def _by_area(
    session: Session,
    rows: Iterable[Any],
    area_of: Mapping[str, str | None],
    measure: str,
    table: _Table,
    kind: PeriodKind,
) -> None:
    for code, month, n, total in rows:
        label = Period(kind, month // MONTHS_IN[kind]).label
        area = area_of.get(code)
        for scope in (area, NATIONAL) if area else (NATIONAL,):
            table.add((measure, scope, label, ""), n, total)


def _advice(session: Session, periods: Sequence[Period], table: _Table, reference: Reference) -> None:
    postgres = is_postgresql(session)
    first, last = periods[0].first_month, periods[-1].last_month
    kind = periods[0].kind
    court_area = {code: court.dfj_area for code, court in reference.courts.items()}
    received = _month_number(AdviceRequest.created_at, postgres)
    rows = session.execute(
        select(AdviceRequest.court, received, func.count(), literal(0))
        .where(received.between(first, last))
        .group_by(AdviceRequest.court, received)
    )
    _by_area(session, rows, court_area, "advice:received", table, kind)
    due = _month_number(AdviceRequest.due_date, postgres)
    on_time = case((_day(Advice.answered_at, postgres) <= _day(AdviceRequest.due_date, postgres), 1), else_=0)
    rows = session.execute(
        select(AdviceRequest.court, due, func.count(), func.sum(on_time))
        .outerjoin(Advice, Advice.request_id == AdviceRequest.id)
        .where(due.between(first, last), AdviceRequest.status != "withdrawn")
        .group_by(AdviceRequest.court, due)
    )
    _by_area(session, rows, court_area, "advice:due", table, kind)


def _pre_proceedings(
    session: Session, periods: Sequence[Period], table: _Table, reference: Reference
) -> None:
    postgres = is_postgresql(session)
    started = _month_number(PreProceedings.start_date, postgres)
    la_area = {code: la.dfj_area for code, la in reference.local_authorities.items()}
    to_court = case((PreProceedings.court_application_date.is_not(None), 1), else_=0)
    rows = session.execute(
        select(PreProceedings.la_code, started, func.count(), func.sum(to_court))
        .where(and_(started >= periods[0].first_month, started <= periods[-1].last_month))
        .group_by(PreProceedings.la_code, started)
    )
    _by_area(session, rows, la_area, "pre_proceedings", table, periods[0].kind)


def _rate(numerator: int, denominator: int, scale: int = 1) -> float | None:
    return round(scale * numerator / denominator, 1) if denominator else None


def compute(
    session: Session, periods: Sequence[Period], reference: Reference, names: Iterable[str] = MEASURES
) -> list[RawCell]:
    """Every requested measure for every scope and period (consecutive periods of one kind)."""
    wanted = [MEASURES[name] for name in names]
    table = _Table()
    _flows(session, periods, table)
    _stocks(session, periods, table)
    need = {m.name for m in wanted}
    medians = _medians(session, periods) if "care_median_weeks" in need else {}
    if need & {"advice_requests", "advice_on_time_pct"}:
        _advice(session, periods, table, reference)
    if need & {"pre_proceedings_started", "pre_proceedings_to_court_pct"}:
        _pre_proceedings(session, periods, table, reference)
    cells = []
    for measure in wanted:
        for scope in scopes(reference):
            for period in periods:
                cells.extend(_cells(measure, scope, period.label, table, medians))
    return cells


#: count measure -> (counted key, its part: (number, children or within 26 weeks, weeks), category)
_COUNTS = {
    "care_cases_started": ("public:started", 0, ""),
    "care_children_started": ("public:started", 1, ""),
    "care_cases_disposed": ("public:disposed", 0, ""),
    "epo_cases_started": ("epo:started", 0, ""),
    "other_public_cases_started": ("pl_other:started", 0, ""),
    "care_open_cases": ("stock:open", 0, ""),
    "care_open_over_100_weeks": ("stock:open_age", 0, "over_100_weeks"),
    "plo_late_cmh": ("stock:plo_late_cmh", 0, ""),
    "plo_late_irh": ("stock:plo_late_irh", 0, ""),
    "plo_late_final": ("stock:plo_late_final", 0, ""),
    "private_cases_started": ("private:started", 0, ""),
    "advice_requests": ("advice:received", 0, ""),
    "pre_proceedings_started": ("pre_proceedings", 0, ""),
}


def _cells(
    measure: Measure,
    scope: str,
    label: str,
    table: _Table,
    medians: Mapping[tuple[str, str], tuple[float, int]],
) -> list[RawCell]:
    def get(key: str, category: str = "") -> list[int]:
        return table.get((key, scope, label, category))

    def cell(
        value: Any, numerator: int | None, denominator: int | None, category: str | None = None
    ) -> RawCell:
        return RawCell(measure.name, scope, label, category, value, numerator, denominator)

    disposed, _, _ = get("public:disposed")
    name = measure.name
    if measure.categories:
        source = {
            "care_open_age_profile": "stock:open_age",
            "care_final_order_mix": "public:order_mix",
        }.get(name, "public:vacated")
        return [cell(get(source, c)[0], None, None, c) for c in measure.categories]
    if name in _COUNTS:
        key, part, category = _COUNTS[name]
        return [cell(get(key, category)[part], None, None)]
    _, within, weeks = get("public:disposed")
    if name == "care_mean_weeks":
        return [cell(_rate(weeks, disposed), weeks, disposed)]
    if name == "care_duration_band":
        mean = _rate(weeks, disposed)
        return [cell(duration_band(mean) if mean is not None else None, weeks, disposed)]
    if name == "care_median_weeks":
        median, count = medians.get((scope, label), (None, 0))
        return [cell(median, None, count)]
    if name == "care_pct_within_26_weeks":
        return [cell(_rate(within, disposed, 100), within, disposed)]
    if name == "hearings_per_disposed_case":
        hearings = get("public:hearings")[0]
        return [cell(_rate(hearings, disposed), hearings, disposed)]
    if name == "private_mean_weeks_to_final_order":
        orders, _, order_weeks = get("private:final_order")
        return [cell(_rate(order_weeks, orders), order_weeks, orders)]
    if name == "advice_on_time_pct":
        due, on_time, _ = get("advice:due")
        return [cell(_rate(on_time, due, 100), on_time, due)]
    if name == "pre_proceedings_to_court_pct":
        started, to_court, _ = get("pre_proceedings")
        return [cell(_rate(to_court, started, 100), to_court, started)]
    raise AssertionError(f"no computation for {name}")
