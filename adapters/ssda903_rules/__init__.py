"""The DfE SSDA903 validation rules: the entry point the ``ssda903`` adapter calls once a return is read.

``run(tables, previous=None)`` takes the rows of each table read (``{"header": [{"CHILD": ..., ...}], ...}``,
every cell as text, column names as DfE spells them) and, where a rule needs it, the previous year's return
in the same shape; it yields an ``adapters.base.Finding`` (``ssda903.<DfE id>``) for each rule a row breaks.
The rule set itself is written in this package (one pure function per rule) and listed in ``RULES``;
while ``RULES`` is empty the adapter keeps no rows for it (its memory stays flat) and no rule runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from adapters.base import Finding

Tables = Mapping[str, Sequence[Mapping[str, str]]]
#: every rule of the package (none written yet)
RULES: tuple[object, ...] = ()


def run(tables: Tables, previous: Tables | None = None) -> Iterator[Finding]:
    """The findings of every SSDA903 rule on ``tables`` (and ``previous``, the year before)."""
    return iter(())
