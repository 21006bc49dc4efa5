"""Disclosure control on hand-worked tables, each checked by an attacker that shares no code with it: a
hidden cell is given away when adding its unit vector to the relations over the hidden cells leaves their
rank unchanged (numpy's SVD rank), or when a relation holds it alone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from exchange.metrics import disclosure
from exchange.metrics.disclosure import Answers, Table, determined, primary, protect, protection


def table(values: Sequence[int], relations: Sequence[dict[int, int]], **options) -> Table:
    t = Table()
    for n, value in enumerate(values):
        t.add(value, published=n not in options.get("unpublished", ()), weight=1.0 + value)
    for row in relations:
        t.relate(row)
    return t


def margin(total: int, *parts: int) -> dict[int, int]:
    return {total: 1} | {p: -1 for p in parts}


def given_away(t: Table, hidden: set[int]) -> list[int]:
    """The attacker: hidden cells (non-zero, or unshown 1-5) whose value the relations fix."""
    columns = sorted(hidden)
    rows = [[row.get(v, 0) for v in columns] for row in t.relations if hidden & row.keys()]
    matrix = np.array(rows, dtype=float).reshape(len(rows), len(columns))
    rank = np.linalg.matrix_rank(matrix) if rows else 0
    out = []
    for i, v in enumerate(columns):
        unit = np.zeros((1, len(columns)))
        unit[0, i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank and t.must_protect(v):
            out.append(v)
    return out


def test_primary_suppression_and_zeros() -> None:
    t = table([0, 1, 5, 6, 12], [])
    assert protect(t) == primary(t) == {1, 2}


def test_one_small_area_takes_the_next_smallest_with_it() -> None:
    # A B C D national
    t = table([3, 10, 12, 20, 45], [margin(4, 0, 1, 2, 3)])
    hidden = protect(t)
    assert hidden == {0, 1}
    assert given_away(t, hidden) == []


def test_zeros_stay_zero() -> None:
    t = table([0, 4, 9, 30, 43], [margin(4, 0, 1, 2, 3)])
    assert protect(t) == {1, 2}


def test_a_relation_check_is_not_enough_the_audit_finds_the_rest() -> None:
    """Three totals each hide two cells, yet together they give all three away: one total must go too."""
    # P Q R PQ QR PR
    t = table([3, 4, 5, 7, 9, 8], [margin(3, 0, 1), margin(4, 1, 2), margin(5, 0, 2)])
    assert given_away(t, {0, 1, 2}) == [0, 1, 2]  # the attacker sees through primary suppression alone
    hidden = protect(t)
    assert {0, 1, 2} < hidden
    assert given_away(t, hidden) == []


def test_the_crude_fallback_hides_around_the_cells_stuck_only(monkeypatch) -> None:
    """With no rounds left for the program, the triangle's cells take all their neighbours; the total PQ
    then left alone in PQ + S = T is protected by the program, with the cheaper S, not by hiding T too."""
    monkeypatch.setattr(disclosure, "SOLVER_ROUNDS", 0)
    # P Q R PQ QR PR S T
    triangle = [margin(3, 0, 1), margin(4, 1, 2), margin(5, 0, 2)]
    t = table([3, 4, 5, 7, 9, 8, 20, 27], [*triangle, margin(7, 3, 6)])
    hidden = protect(t)
    assert hidden == {0, 1, 2, 3, 4, 5, 6}
    assert given_away(t, hidden) == []


def test_areas_by_months_hide_a_rectangle() -> None:
    # A: m1 m2 q; B: m1 m2 q; national: m1 m2 q
    values = [3, 20, 23, 8, 4, 12, 11, 24, 35]
    relations = [margin(2, 0, 1), margin(5, 3, 4), margin(8, 6, 7)]
    relations += [margin(6, 0, 3), margin(7, 1, 4), margin(8, 2, 5)]
    t = table(values, relations)
    hidden = protect(t)
    assert hidden == {0, 1, 3, 4}
    assert given_away(t, hidden) == []


def test_a_small_unshown_complement_is_protected() -> None:
    """Within 26 weeks (18) of disposed (20): the two not within would follow from the two shown."""
    # disposed, within, complement (unshown)
    t = table([20, 18, 2], [{0: 1, 1: -1, 2: -1}], unpublished={2})
    assert given_away(t, primary(t)) == [2]
    hidden = protect(t)
    assert given_away(t, hidden) == [] and 1 in hidden


def test_a_numerator_follows_its_denominator() -> None:
    t = table([4, 12, 16, 100, 300, 400], [margin(2, 0, 1), margin(5, 3, 4)])
    t.follows += [(3, 0), (4, 1), (5, 2)]
    hidden = protect(t)
    assert {0, 1, 3, 4} <= hidden
    assert given_away(t, hidden) == []


def test_relations_must_hold() -> None:
    with pytest.raises(ValueError, match="break"):
        table([1, 2, 4], [margin(2, 0, 1)])


def _grid(rng: np.random.Generator) -> Table:
    """A random 3 x 4 table of counts with its row, column and grand totals (cells 0-19)."""
    parts = rng.integers(0, 12, size=(3, 4))
    values = [*parts.ravel(), *parts.sum(axis=1), *parts.sum(axis=0), parts.sum()]
    relations = [margin(12 + r, *range(4 * r, 4 * r + 4)) for r in range(3)]
    relations += [margin(15 + c, *(4 * r + c for r in range(3))) for c in range(4)]
    relations.append(margin(19, 12, 13, 14))
    return table([int(v) for v in values], relations)


def test_the_audit_agrees_with_the_attacker() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        t = _grid(rng)
        # from a few hidden cells (the reductions decide) to many (the rank test on what is left)
        hidden = {int(v) for v in rng.choice(20, size=int(rng.integers(2, 15)), replace=False)}
        assert sorted(v for v in determined(t.relations, hidden) if t.must_protect(v)) == given_away(
            t, hidden
        )
        assert given_away(t, protect(t)) == []


def test_the_audit_reusing_its_blocks_agrees_with_the_attacker() -> None:
    """protect's rounds share the audit's tested blocks: a block seen before (same cells, same relations)
    gives its earlier answer, and a block that grew is tested again, as the attacker finds."""
    rng = np.random.default_rng(11)
    t = _grid(rng)
    answers = Answers()
    hidden: set[int] = set()
    for v in (int(v) for v in rng.permutation(20)[:14]):  # hidden grows, as in protect's rounds
        hidden.add(v)
        for call in range(2):
            tested = answers.tested
            found = determined(t.relations, hidden, None, answers)
            assert sorted(w for w in found if t.must_protect(w)) == given_away(t, hidden)
            if call:  # the second call answers from the blocks kept: it tests none
                assert answers.tested == tested
    assert answers.tested > 0


def _grids(*tables: Sequence[Sequence[int]]) -> Table:
    """Independent 3 x 4 tables of counts with their margins, side by side (table k: cells 20k to 20k+19)."""
    values: list[int] = []
    relations = []
    for k, parts in enumerate(np.array(t) for t in tables):
        values += [int(v) for v in (*parts.ravel(), *parts.sum(axis=1), *parts.sum(axis=0), parts.sum())]
        b = 20 * k
        relations += [margin(b + 12 + r, *range(b + 4 * r, b + 4 * r + 4)) for r in range(3)]
        relations += [margin(b + 15 + c, *(b + 4 * r + c for r in range(3))) for c in range(4)]
        relations.append(margin(b + 19, b + 12, b + 13, b + 14))
    return table(values, relations)


A = [[3, 9, 12, 20], [8, 14, 2, 11], [15, 7, 10, 13]]
B = [[4, 16, 9, 12], [10, 11, 13, 3], [9, 12, 8, 15]]


def test_an_update_solves_again_only_the_blocks_whose_pattern_changed() -> None:
    first = protection(_grids(A, B))
    assert given_away(_grids(A, B), first.hidden) == [] and first.solved and first.audited
    unchanged = protection(_grids(A, B), first)
    assert (unchanged.hidden, unchanged.solved, unchanged.audited) == (first.hidden, set(), 0)
    # a value changes but no cell becomes or stops being 1-5 or zero: the pattern stays, nothing is solved
    bigger = [row[:] for row in A]
    bigger[2][1] = 8
    kept = protection(_grids(bigger, B), first)
    assert (kept.hidden, kept.solved) == (first.hidden, set())
    # a new small count in the first table: only that table is solved again and audited
    smaller = [row[:] for row in A]
    smaller[2][1] = 4
    t = _grids(smaller, B)
    update = protection(t, first)
    assert given_away(t, update.hidden) == []
    assert 9 in update.hidden and update.hidden != first.hidden
    assert update.solved and all(v < 20 for v in update.solved)
    assert {v for v in update.hidden if v >= 20} == {v for v in first.hidden if v >= 20}
    assert update.audited > 0
