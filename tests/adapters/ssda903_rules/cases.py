"""Building SSDA903 returns for the rule tests: rows with plausible defaults, and one case per expectation.

A ``Case`` names a rule, the return (and, for rules against last year, the previous one) and the findings it
must give, as ``(child, row)`` pairs; an empty list is a case that keeps the rule quiet. Rows are numbered
from 2 in each table, as a spreadsheet shows them after the header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from adapters.ssda903_rules import run
from adapters.ssda903_rules.engine import TABLES

YEAR = 2025  # the 2024-25 collection: 1 April 2024 to 31 March 2025


def d(text: str) -> date:
    return date.fromisoformat(text)


def row(**values: Any) -> dict[str, Any]:
    return {
        name: d(value) if isinstance(value, str) and value[:2] in ("19", "20") and len(value) == 10 else value
        for name, value in values.items()
    }


def header(child: str = "1", **values: Any) -> dict[str, Any]:
    base = {
        "CHILD": child,
        "SEX": "M",
        "DOB": "2010-01-01",
        "ETHNIC": "WBRI",
        "UPN": "A123456789012",
        "MOTHER": None,
        "MC_DOB": None,
    }
    return row(**{**base, **values})


def episode(child: str = "1", decom: str = "2024-05-01", **values: Any) -> dict[str, Any]:
    base = {
        "CHILD": child,
        "DECOM": decom,
        "RNE": "S",
        "LS": "C2",
        "CIN": "N1",
        "PLACE": "U1",
        "PLACE_PROVIDER": "PR1",
        "DEC": None,
        "REC": None,
        "REASON_PLACE_CHANGE": None,
        "HOME_POST": "AB1 2CD",
        "PL_POST": "EF3 4GH",
        "URN": None,
    }
    return row(**{**base, **values})


def table_row(child: str = "1", **values: Any) -> dict[str, Any]:
    return row(CHILD=child, **values)


@dataclass
class Case:
    rule: str
    tables: Mapping[str, Sequence[Mapping[str, Any]]]
    hits: list[tuple[str, int]]
    previous: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    year: int = YEAR
    id: str = field(default="")

    def __post_init__(self) -> None:
        self.id = f"{self.rule}-{'fires' if self.hits else 'quiet'}-{self.id}".rstrip("-")


def numbered(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The case's return with its rows numbered; every table it does not name is given empty."""
    return {
        name: [{**r, "_row": r.get("_row", n)} for n, r in enumerate(tables.get(name, ()), start=2)]
        for name in TABLES
    }


def hits(case: Case) -> list[tuple[str | None, int | None]]:
    """The (child, row) of each finding of ``case.rule`` on the case's return."""
    previous = numbered(case.previous) if case.previous is not None else None
    found = run(numbered(case.tables), previous, year=case.year)
    return sorted((f.record, f.position.row) for f in found if f.code == f"ssda903.{case.rule}")
