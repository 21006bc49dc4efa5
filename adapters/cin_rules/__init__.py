"""The DfE CIN census validation rules, as data plus one small function each, run on the streaming path.

A rule is declared once, in ``adapters.cin_rules.rules``, with the ``@rule`` decorator: its DfE id, its
severity (``error``, or ``query`` for the ids DfE ends with Q), DfE's message (per collection year where
DfE reworded it) and the collection years it belongs to. Its function receives one child (the canonical
``cin_child`` data, never an lxml element) and the census (``Census``: year and period) and returns a
list of the xpath, relative to the child, of each breach (``""`` for the child as a whole), empty for most
children (a list, not a generator: making a generator costs as much as a rule's own work). Rules about
the return as a whole (``@return_rule``) see counts that ``Checks`` keeps while children stream past,
and rules that compare children (8510, 1520) keep only the ids seen: memory grows with neither the file
nor a child's size beyond one child.

``Checks`` is what the adapter drives: ``header`` once, ``child`` per valid child, ``finish`` at the end;
each yields ``adapters.base.Finding`` (``cin.<DfE id>``). ``RULES`` and ``rules_for(year)`` say which
rules apply in which year (``docs/validation.md`` lists them and the rules the XSD enforces instead).
"""

from __future__ import annotations

from adapters.cin_rules import rules as _rules  # noqa: F401 - registers every rule
from adapters.cin_rules.engine import RULES, Census, Checks, Rule, rules_for

__all__ = ["RULES", "Census", "Checks", "Rule", "rules_for"]
