"""Disclosure control on hand-worked tables, checked by two recovery attacks that share no code with it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from exchange.metrics.disclosure import (
    COUNT,
    PERCENTAGE,
    RATE,
    Cell,
    Figure,
    Margin,
    area_margins,
    period_margins,
    protect,
)

PARTS = ("value", "numerator", "denominator")


def counts(measure: str, period: str, by_area: dict[str, int]) -> list[Figure]:
    return [Figure(measure, area, period, COUNT, n) for area, n in by_area.items()]


def shown(cells: Sequence[Cell]) -> dict[str, int | float | str]:
    return {c.area if c.period == cells[0].period else f"{c.area}/{c.period}": c.value for c in cells}


def equations(figures: Sequence[Figure], margins: Sequence[Margin]) -> list[list[tuple[tuple, str, int]]]:
    """Every margin equation as (key, part, sign) terms: total - sum(parts) = 0, per additive count."""
    by_key = {f.key: f for f in figures}
    out = []
    for m in margins:
        for part in PARTS:
            if all(getattr(by_key[k], part) is not None for k in (m.total, *m.parts)):
                if part == "value" and by_key[m.total].kind != COUNT:
                    continue
                out.append([(m.total, part, 1), *((k, part, -1) for k in m.parts)])
    return out


def assert_safe(figures: Sequence[Figure], margins: Sequence[Margin], cells: Sequence[Cell]) -> None:
    """No small count shown; rates only on 10+; no hidden count recoverable from the margins."""
    by_key = {f.key: f for f in figures}
    cell_of = {(c.measure, c.area, c.period): c for c in cells}
    for c in cells:
        for part in PARTS:
            n = getattr(c, part)
            if isinstance(n, int) and (
                part != "value" or by_key[(c.measure, c.area, c.period)].kind == COUNT
            ):
                assert n not in range(1, 6), c
        f = by_key[(c.measure, c.area, c.period)]
        if f.kind != COUNT and c.status == "published":
            assert f.denominator >= 10 and c.denominator == f.denominator
            assert c.numerator == f.numerator  # a published rate never hides what value x denominator gives
    eqs = equations(figures, margins)
    hidden = sorted({(k, part) for eq in eqs for k, part, _ in eq if getattr(cell_of[k], part) == "c"})
    # attack 1: any margin with exactly one hidden count gives it away
    for eq in eqs:
        assert sum((k, part) in hidden for k, part, _ in eq) != 1, eq
    # attack 2: a hidden count is safe only if another non-negative solution of all margins changes it
    true = {(k, part): getattr(by_key[k], part) for k, part in hidden}
    for target in hidden:
        assert any(
            d[hidden.index(target)] != 0
            and all(true[v] + dv >= 0 for v, dv in zip(hidden, d, strict=True))
            and all(sum(s * d[hidden.index((k, p))] for k, p, s in eq if (k, p) in hidden) == 0 for eq in eqs)
            for d in itertools.product(range(-2, 3), repeat=len(hidden))
        ), f"{target} is recoverable"


def test_primary_suppression_and_zeros() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 0, "B": 1, "C": 5, "D": 6, "E": 12})
    cells = protect(figures)
    assert shown(cells) == {"A": 0, "B": "c", "C": "c", "D": 6, "E": 12}
    assert [c.status for c in cells] == ["published", "suppressed", "suppressed", "published", "published"]
    assert cells[0] == Cell("care_cases_started", "A", "2025Q2", 0, None, None, "published")


def test_one_suppressed_area_takes_the_next_smallest_with_it() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 3, "B": 10, "C": 12, "D": 20, "national": 45})
    margins = area_margins(figures)
    assert margins == [
        Margin(("care_cases_started", "national", "2025Q2"), tuple(f.key for f in figures[:4]))
    ]
    cells = protect(figures, margins)
    assert shown(cells) == {"A": "c", "B": "c", "C": 12, "D": 20, "national": 45}
    assert_safe(figures, margins, cells)


def test_secondary_suppression_skips_zeros() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 0, "B": 4, "C": 9, "D": 30, "national": 43})
    cells = protect(figures, area_margins(figures))
    assert shown(cells) == {"A": 0, "B": "c", "C": "c", "D": 30, "national": 43}
    assert_safe(figures, area_margins(figures), cells)


def test_two_small_cells_protect_each_other() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 2, "B": 4, "C": 30, "national": 36})
    cells = protect(figures, area_margins(figures))
    assert shown(cells) == {"A": "c", "B": "c", "C": 30, "national": 36}
    assert_safe(figures, area_margins(figures), cells)


def test_the_total_is_hidden_when_no_part_is_left() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 3, "B": 0, "national": 9})
    # an inconsistent margin (the national figure counts High Court cases too): A's 3 is still protected
    cells = protect(figures, area_margins(figures))
    assert shown(cells) == {"A": "c", "B": 0, "national": "c"}


def test_areas_by_months_hide_a_rectangle() -> None:
    months = {"2025Q2": ["2025-04", "2025-05"]}  # two months keep the hand-worked table small
    table = {"A": (3, 20), "B": (8, 4), "national": (11, 24)}
    figures = []
    for area, (m1, m2) in table.items():
        figures += [
            Figure("care_cases_started", area, "2025-04", COUNT, m1),
            Figure("care_cases_started", area, "2025-05", COUNT, m2),
            Figure("care_cases_started", area, "2025Q2", COUNT, m1 + m2),
        ]
    margins = area_margins(figures) + period_margins(figures, months)
    cells = protect(figures, margins)
    hidden = {(c.area, c.period) for c in cells if c.value == "c"}
    assert hidden == {("A", "2025-04"), ("A", "2025-05"), ("B", "2025-04"), ("B", "2025-05")}
    assert_safe(figures, margins, cells)


def test_recovery_through_several_margins_is_blocked() -> None:
    """Every margin hides two cells, yet together they give all three away: one total must go too."""
    figures = counts("m", "2025Q2", {"P": 3, "Q": 4, "R": 5, "PQ": 7, "QR": 9, "PR": 8})
    key = {f.area: f.key for f in figures}
    margins = [
        Margin(key["PQ"], (key["P"], key["Q"])),
        Margin(key["QR"], (key["Q"], key["R"])),
        Margin(key["PR"], (key["P"], key["R"])),
    ]
    cells = protect(figures, margins)
    assert shown(cells) == {"P": "c", "Q": "c", "R": "c", "PQ": "c", "QR": 9, "PR": 8}
    assert_safe(figures, margins, cells)


def test_percentages_are_withheld_on_small_denominators_and_small_numerators() -> None:
    rows = {"A": (7, 9), "B": (3, 20), "C": (18, 20), "D": (10, 25), "national": (38, 74)}
    figures = [
        Figure("care_pct_within_26_weeks", area, "2025Q2", PERCENTAGE, round(100 * n / d, 1), n, d)
        for area, (n, d) in rows.items()
    ]
    margins = area_margins(figures)
    cells = {c.area: c for c in protect(figures, margins)}
    assert cells["A"] == Cell("care_pct_within_26_weeks", "A", "2025Q2", "c", "c", 9, "withheld")  # n < 10
    assert (cells["B"].value, cells["B"].numerator, cells["B"].status) == ("c", "c", "withheld")  # 3 of 20
    assert (cells["C"].value, cells["C"].numerator, cells["C"].status) == (
        "c",
        "c",
        "withheld",
    )  # 2 not within
    assert cells["D"] == Cell("care_pct_within_26_weeks", "D", "2025Q2", 40.0, 10, 25, "published")
    assert cells["national"].status == "published"
    assert_safe(figures, margins, list(cells.values()))


def test_a_mean_is_withheld_when_its_denominator_must_be_hidden() -> None:
    rows = {"A": (30.0, 4), "B": (41.0, 30), "C": (38.0, 40), "D": (45.0, 9), "national": (39.9, 83)}
    figures = [Figure("care_mean_weeks", a, "2025Q2", RATE, v, None, d) for a, (v, d) in rows.items()]
    margins = area_margins(figures)
    cells = {c.area: c for c in protect(figures, margins)}
    assert cells["A"] == Cell("care_mean_weeks", "A", "2025Q2", "c", None, "c", "withheld")
    # D's 9 is the smallest denominator left: hidden to protect A's 4, so D is withheld, as it is on n < 10
    assert cells["D"] == Cell("care_mean_weeks", "D", "2025Q2", "c", None, "c", "withheld")
    assert cells["B"] == Cell("care_mean_weeks", "B", "2025Q2", 41.0, None, 30, "published")
    assert cells["national"].value == 39.9
    assert_safe(figures, margins, list(cells.values()))


def test_a_band_follows_its_denominator() -> None:
    figures = [
        Figure("care_duration_band", "A", "2025Q2", RATE, "green", None, 12),
        Figure("care_duration_band", "B", "2025Q2", RATE, "red", None, 8),
    ]
    assert [c.value for c in protect(figures)] == ["green", "c"]


@pytest.mark.parametrize(
    "bad",
    [
        [Figure("m", "A", "p", COUNT, -1)],
        [Figure("m", "A", "p", COUNT, 2.5)],
        [Figure("m", "A", "p", PERCENTAGE, 50.0, 12, 10)],
        [Figure("m", "A", "p", RATE, 1.0)],
        [Figure("m", "A", "p", "median", 1.0, None, 10)],
        [Figure("m", "A", "p", COUNT, 1), Figure("m", "A", "p", COUNT, 2)],
    ],
)
def test_malformed_figures_are_refused(bad: list[Figure]) -> None:
    with pytest.raises(ValueError):
        protect(bad)


def test_margins_must_name_known_cells_of_one_kind() -> None:
    figures = [Figure("m", "A", "p", COUNT, 7), Figure("m", "national", "p", RATE, 2.0, None, 12)]
    with pytest.raises(ValueError, match="different kinds"):
        protect(figures, area_margins(figures))
    with pytest.raises(ValueError, match="unknown"):
        protect(figures[:1], [Margin(("m", "national", "p"), (("m", "A", "p"),))])


def test_the_checker_catches_an_unprotected_table() -> None:
    figures = counts("care_cases_started", "2025Q2", {"A": 3, "B": 10, "C": 12, "national": 25})
    primary_only = protect(figures)  # no margins declared: B stays, so A = 25 - 10 - 12
    with pytest.raises(AssertionError):
        assert_safe(figures, area_margins(figures), primary_only)
