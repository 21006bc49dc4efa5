"""An attacker with everything a national board can download, sharing no code with the disclosure control.

From the published cells alone it writes down every linear relation the figures obey (from the measure
definitions of docs/metrics.md): one quantity shown in several cells (the disposed cases and the rates'
denominators; a stock at a quarter's end and at its last month's end), the areas adding up to national
(with an unknown remainder for the measures counted by LA or court, where some have no DFJ area), months
to quarters to years, the age bands to the open cases, a percentage's numerator plus an unknown
complement to its denominator, and open(end) = open(previous end) + issued - disposed by month and by
quarter (no case closed or transferred without a disposal: an attacker who guessed so, and is right on
the test data, the demo's cases without their transfers: tests.metrics.national). Cells not published
(``x``) are simply not there. Every hidden count is an unknown; a hidden count is *determined* when the
relations, with the shown numbers put in, fix its value: its unit vector lies in the row space of the
relations over the unknowns (numpy SVD null space).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

HIDDEN, NOT_PUBLISHED = "c", "x"
STOCKS = ("care_open_cases", "care_open_age_profile", "plo_late_cmh", "plo_late_irh", "plo_late_final")
NAMES = {  # (measure, part) -> the quantity it shows
    ("care_open_over_100_weeks", "value"): "care_open_age_profile:over_100_weeks",
    ("care_mean_weeks", "numerator"): "weeks",
    ("care_duration_band", "numerator"): "weeks",
    ("care_pct_within_26_weeks", "numerator"): "within",
    ("hearings_per_disposed_case", "numerator"): "hearings",
    ("private_mean_weeks_to_final_order", "numerator"): "private_weeks",
    ("private_mean_weeks_to_final_order", "denominator"): "private_orders",
    ("advice_on_time_pct", "numerator"): "advice_on_time",
    ("advice_on_time_pct", "denominator"): "advice_due",
    ("pre_proceedings_to_court_pct", "numerator"): "pre_to_court",
    ("pre_proceedings_to_court_pct", "denominator"): "pre_proceedings_started",
}
DISPOSED_DENOMINATOR = (
    "care_mean_weeks",
    "care_median_weeks",
    "care_pct_within_26_weeks",
    "hearings_per_disposed_case",
    "care_duration_band",
)
COMPLEMENTS = (
    ("care_cases_disposed", "within"),
    ("advice_due", "advice_on_time"),
    ("pre_proceedings_started", "pre_to_court"),
)
#: counted by the LA's or the court's DFJ area: national may hold cases of no area
BY_LA_OR_COURT = ("advice", "pre_")
_MONTH, _QUARTER, _YEAR = re.compile(r"(\d{4})-(\d\d)"), re.compile(r"(\d{4})Q(\d)"), re.compile(r"(\d{4})")

Quantity = tuple[str, str, str, int]  # name, area, period kind, period index


def period(label: str) -> tuple[str, int]:
    if m := _MONTH.fullmatch(label):
        return "month", int(m[1]) * 12 + int(m[2]) - 1
    if m := _QUARTER.fullmatch(label):
        return "quarter", int(m[1]) * 4 + int(m[2]) - 1
    m = _YEAR.fullmatch(label)
    assert m, label
    return "year", int(m[1])


def quantity(cell: dict[str, Any], part: str) -> Quantity | None:
    measure = cell["measure"]
    if part == "value":
        if not isinstance(cell["value"], int) and cell["value"] != HIDDEN or cell["numerator"] is not None:
            return None  # a rate's value is no count
        if cell["denominator"] is not None:
            return None
    if part == "denominator" and measure in DISPOSED_DENOMINATOR:
        name = "care_cases_disposed"
    elif (measure, part) in NAMES:
        name = NAMES[measure, part]
    elif part == "value":
        name = measure + (f":{cell['category']}" if cell["category"] else "")
    else:
        return None
    kind, index = period(cell["period"])
    if name.startswith(STOCKS) and kind != "month":  # a stock at a period's end: at its last month's end
        kind, index = "month", index * 3 + 2 if kind == "quarter" else index * 12 + 11
    return name, cell["area"], kind, index


class Attack:
    def __init__(self, cells: Iterable[dict[str, Any]], areas: Sequence[str]) -> None:
        self.known: dict[Quantity, int] = {}
        self.hidden: set[Quantity] = set()
        self.rows: list[dict[Any, int]] = []
        for cell in cells:
            for part in ("value", "numerator", "denominator"):
                q = quantity(cell, part)
                if q is None or cell[part] in (None, NOT_PUBLISHED):
                    continue
                if cell[part] == HIDDEN:
                    self.hidden.add(q)
                else:
                    self.known[q] = int(cell[part])
        self.hidden -= self.known.keys()
        self._relations(list(areas))

    def _all(self) -> set[Quantity]:
        return self.known.keys() | self.hidden

    def _relations(self, areas: list[str]) -> None:
        everything = self._all()
        groups = {(name, kind, index) for name, _, kind, index in everything}
        for name, kind, index in groups:  # areas to national
            terms = {(name, "national", kind, index): 1} | {(name, a, kind, index): -1 for a in areas}
            if name.startswith(BY_LA_OR_COURT):
                terms[("remainder", name, kind, index)] = -1
            self.rows.append(terms)
        for name, area, kind, index in everything:  # months to quarters to years
            if name.startswith(STOCKS):
                continue
            if kind == "quarter":
                self.rows.append(
                    {(name, area, kind, index): 1}
                    | {(name, area, "month", index * 3 + k): -1 for k in range(3)}
                )
            if kind == "year":
                self.rows.append(
                    {(name, area, kind, index): 1}
                    | {(name, area, "quarter", index * 4 + k): -1 for k in range(4)}
                )
        bands = sorted({n for n, *_ in everything if n.startswith("care_open_age_profile:")})
        for name, area, kind, index in everything:
            if name == "care_open_cases":
                self.rows.append({(name, area, kind, index): 1} | {(b, area, kind, index): -1 for b in bands})
                # the stock-flow identity, from the first month whose previous month's end is shown
                if (name, area, kind, index - 1) in everything:
                    self.rows.append(
                        {
                            (name, area, kind, index): 1,
                            (name, area, kind, index - 1): -1,
                            ("care_cases_started", area, kind, index): -1,
                            ("care_cases_disposed", area, kind, index): 1,
                        }
                    )
                # by quarter too, where only quarters of the flows are shown
                if index % 3 == 2 and (name, area, kind, index - 3) in everything:
                    self.rows.append(
                        {
                            (name, area, kind, index): 1,
                            (name, area, kind, index - 3): -1,
                            ("care_cases_started", area, "quarter", index // 3): -1,
                            ("care_cases_disposed", area, "quarter", index // 3): 1,
                        }
                    )
        for whole, part in COMPLEMENTS:
            for name, area, kind, index in everything:
                if name == part:
                    self.rows.append(
                        {
                            (whole, area, kind, index): 1,
                            (part, area, kind, index): -1,
                            ("rest", whole, area, kind, index): -1,
                        }
                    )
        self.rows = [r for r in self.rows if all(q in everything or q[0] in ("remainder", "rest") for q in r)]

    def determined(self) -> dict[Any, float]:
        """Every unknown the relations fix, with the value they give it."""
        with threadpool_limits(limits=1, user_api="blas"):  # a thread per core is slower on a busy machine
            return self._determined()

    def _determined(self) -> dict[Any, float]:
        known = self.known
        reduced = []
        for row in self.rows:
            unknown = {q: c for q, c in row.items() if q not in known}
            if unknown:
                reduced.append((unknown, -sum(c * known[q] for q, c in row.items() if q in known)))
        parent: dict[Any, Any] = {}

        def root(q: Any) -> Any:
            while parent.setdefault(q, q) != q:
                q = parent[q]
            return q

        for unknown, _ in reduced:
            first, *rest = unknown
            for q in rest:
                parent[root(q)] = root(first)
        blocks: dict[Any, list[tuple[dict[Any, int], int]]] = defaultdict(list)
        for unknown, rhs in reduced:
            blocks[root(next(iter(unknown)))].append((unknown, rhs))
        out = {}
        for rows in blocks.values():
            columns = sorted({q for unknown, _ in rows for q in unknown}, key=repr)
            at = {q: i for i, q in enumerate(columns)}
            matrix = np.zeros((len(rows), len(columns)))
            for r, (unknown, _) in enumerate(rows):
                for q, c in unknown.items():
                    matrix[r, at[q]] = c
            rhs = np.array([b for _, b in rows], dtype=float)
            _, s, vt = np.linalg.svd(matrix)
            rank = int(np.sum(s > 1e-9 * max(1.0, s.max(initial=0.0))))
            null = vt[rank:]
            solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
            for i, q in enumerate(columns):
                if null.shape[0] == 0 or np.abs(null[:, i]).max() < 1e-8:
                    out[q] = float(solution[i])
        return out

    def leaks(self) -> list[tuple[Any, float]]:
        """Hidden counts the relations fix (but a hidden zero), and unshown quantities fixed at 1-5."""
        found = []
        for q, value in self.determined().items():
            n = round(value)
            if q in self.hidden and n != 0 or q[0] in ("remainder", "rest") and 1 <= abs(n) <= 5:
                found.append((q, value))
        return sorted(found, key=repr)
