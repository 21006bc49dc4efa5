"""DfE's SSDA903 (children looked after) validation rules, run over one return as findings.

``run(tables, previous, year=...)`` takes the rows of one return, ``tables`` mapping a table name (``header``,
``episodes``, ``reviews``, ``uasc``, ``oc2``, ``oc3``, ``ad1``, ``placed_for_adoption``,
``previous_permanence``, ``missing``, ``sw_episodes``; the SSDA903 adapter's ``placed_adoption``,
``prev_perm`` and ``social_worker`` are read as the same tables) to its rows. A row maps DfE's column names
(``CHILD``, ``DECOM``, ``RNE``, ...) to the values ``adapters.ssda903.clean_cell`` gives (dates as
``datetime.date`` or ISO text, codes as text, blank as None), plus ``_row`` (``ROW``): the row's number in its
file, which each finding's position carries with the offending column (and ``_table``, ``TABLE``, the
table's name, when the reader gives it). ``previous`` holds the previous
year's return in the same shape; rules that compare with it run only when it is given. ``year`` is the year
in which the collection ends (2024 for 2023-24, 2025 for 2024-25), and chooses the catalogue: only that
year's rules run, with that year's wording.

Each finding is an ``adapters.base.Finding``: code ``ssda903.<rule id>``, severity ``error`` (``query`` for
the one rule DfE words as a warning, EPI, and any Q-suffixed code), record the child's id, and DfE's message.

Rules are data and a small function each (``engine.rule``), in the module of the table they are about. The
rules that cannot be run on the data the exchange keeps are listed in ``UNAVAILABLE`` with the reason.
``docs/ssda903-rules.md`` says more. The catalogues beside this module are copied byte for byte from
data-to-insight/csc-validator-be-903 @ 10ad07c513aa ``output_data/`` (MIT, (c) 2021 Social Finance Digital
Labs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from adapters.base import Finding, Position
from adapters.ssda903_rules import (  # noqa: F401 - importing a rule module registers its rules
    episodes,
    header,
    linked,
    small_tables,
)
from adapters.ssda903_rules.engine import (
    CATALOGUE_FILES,
    FAULTS,
    ROW,
    RULES,
    TABLE,
    Return,
    catalogue,
    run_rules,
)

__all__ = ["ROW", "RULES", "UNAVAILABLE", "YEARS", "catalogue", "run"]

#: collection years with a catalogue (the year the collection ends)
YEARS = tuple(CATALOGUE_FILES)

#: rules of the catalogues that are not run, each with the reason (the data they need is not in the return)
_POSTCODE_DERIVED = (
    "needs the placement's local authority, location or distance, which DfE derives from the postcodes "
    "with the ONS postcode directory; the return carries no such column and the exchange holds no "
    "postcode directory"
)
_OFSTED = (
    "needs Ofsted's register of providers (each URN's type, postcode, provider and dates of registration), "
    "which the exchange does not hold"
)
_UASC_STATUS = (
    "needs the child's UASC status this year and last (the DfE tool's UASC column); the exchange's header "
    "table has no UASC column and the uasc table holds only the date the status ceased, so a status of 0 "
    "cannot be told from a status not given"
)
UNAVAILABLE: dict[str, str] = {
    **dict.fromkeys(
        ("164", "169", "179", "392a", "406", "411", "420", "452", "453", "503G", "503H", "503J", "1015"),
        _POSTCODE_DERIVED,
    ),
    **dict.fromkeys(("1008", "219", "221", "224", "227", "228", "229"), _OFSTED),
    **dict.fromkeys(("105", "303", "205A", "205B", "205C", "205D"), _UASC_STATUS),
    "633": "needs the list of valid local authority codes, which is the exchange's reference data; adapters "
    "are not given it",
}


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    previous: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    year: int,
    normalised: bool = False,
    given: Iterable[str] | None = None,
) -> Iterator[Finding]:
    """Every finding of ``year``'s rules on the return ``tables`` (and ``previous``, the year before).

    ``normalised`` rows are taken as they are (``engine.normalise`` gives them so already: the SSDA903
    adapter's spool). ``given``: the tables one submission gave when the others of ``tables`` came from
    earlier ones; only the rules reading one of ``given`` run (``engine.run_rules``). A year without a
    catalogue is refused (ValueError) at the call, before any row is read.
    """
    catalogue(year)
    before = Return(previous, year - 1, normalised=normalised) if previous is not None else None
    return findings(Return(tables, year, before, normalised=normalised), year, given)


def findings(ret: Return, year: int, given: Iterable[str] | None = None) -> Iterator[Finding]:
    for entry, (row, column) in run_rules(ret, year, given):
        if entry.id in row.get(FAULTS, ()):  # the row was rejected for it already
            continue
        yield Finding(
            code=f"ssda903.{entry.id}",
            severity=entry.severity,
            record=None if row.get("CHILD") is None else str(row["CHILD"]),
            position=Position(table=row.get(TABLE), row=row.get(ROW), column=column),
            message=entry.message,
        )
