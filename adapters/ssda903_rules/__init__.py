"""DfE's SSDA903 (children looked after) validation rules, run over one return as findings.

``run(tables, previous, year=...)`` takes the rows of one return, ``tables`` mapping a table name (``header``,
``episodes``, ``reviews``, ``uasc``, ``oc2``, ``oc3``, ``ad1``, ``placed_for_adoption``,
``previous_permanence``, ``missing``, ``sw_episodes``; the SSDA903 adapter's ``placed_adoption``,
``prev_perm`` and ``social_worker`` are read as the same tables) to its rows. A row maps DfE's column names
(``CHILD``, ``DECOM``, ``RNE``, ...) to the values ``adapters.ssda903.clean_cell`` gives (dates as
``datetime.date`` or ISO text, codes as text, blank as None), plus ``_row`` (``ROW``): the row's number in its
file, which each finding's position carries with the offending column. ``previous`` holds the previous
year's return in the same shape; rules that compare with it run only when it is given. ``year`` is the year
in which the collection ends (2024 for 2023-24, 2025 for 2024-25), and chooses the catalogue: only that
year's rules run, with that year's wording.

Each finding is an ``adapters.base.Finding``: code ``ssda903.<rule id>``, severity ``error`` (``query`` for
the one rule DfE words as a warning, EPI, and any Q-suffixed code), record the child's id, and DfE's message.

Rules are data and a small function each (``engine.rule``), in the module of the table they are about. The
rules that cannot be run on the data the exchange keeps are listed in ``UNAVAILABLE`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from adapters.base import Finding, Position
from adapters.ssda903_rules import (  # noqa: F401 - importing a rule module registers its rules
    episodes,
    header,
    small_tables,
)
from adapters.ssda903_rules.engine import CATALOGUE_FILES, ROW, RULES, Return, catalogue, run_rules

__all__ = ["NOT_YET", "ROW", "RULES", "UNAVAILABLE", "YEARS", "catalogue", "run"]

#: collection years with a catalogue (the year the collection ends)
YEARS = tuple(CATALOGUE_FILES)

#: rules of the catalogues that are not run, each with the reason (the data they need is not in the return)
UNAVAILABLE: dict[str, str] = {}

#: rules of the catalogues not written yet (the work of issue 16 still open)
NOT_YET: frozenset[str] = frozenset(
    {
        "1000",
        "1001",
        "1002",
        "1003",
        "1007",
        "1008",
        "1010",
        "1011",
        "1012",
        "1014",
        "1015",
        "1016",
        "105",
        "117",
        "118",
        "134",
        "164",
        "169",
        "179",
        "184",
        "185",
        "186",
        "187",
        "190",
        "191",
        "197B",
        "198",
        "205A",
        "205B",
        "205C",
        "205D",
        "215",
        "219",
        "221",
        "224",
        "227",
        "228",
        "229",
        "303",
        "331",
        "334",
        "335",
        "336",
        "392a",
        "399",
        "406",
        "411",
        "420",
        "452",
        "453",
        "503G",
        "503H",
        "503J",
        "516",
        "521",
        "523",
        "525",
        "543",
        "545",
        "551",
        "552",
        "553",
        "554",
        "555",
        "556",
        "557",
        "558",
        "575",
        "577",
        "578",
        "580",
        "581",
        "582",
        "601",
        "602",
        "630",
        "632",
        "633",
        "634",
        "SW01STG1",
        "SW11STG2",
        "SW12STG2",
    }
)


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    previous: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    year: int,
) -> Iterator[Finding]:
    """Every finding of ``year``'s rules on the return ``tables`` (and ``previous``, the year before).

    A year without a catalogue is refused (ValueError) at the call, before any row is read.
    """
    catalogue(year)
    before = Return(previous, year - 1) if previous is not None else None
    return findings(Return(tables, year, before), year)


def findings(ret: Return, year: int) -> Iterator[Finding]:
    for entry, (row, column) in run_rules(ret, year):
        yield Finding(
            code=f"ssda903.{entry.id}",
            severity=entry.severity,
            record=None if row.get("CHILD") is None else str(row["CHILD"]),
            position=Position(row=row.get(ROW), column=column),
            message=entry.message,
        )
