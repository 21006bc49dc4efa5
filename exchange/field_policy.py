"""Need to know: what of a case each kind of recipient may see (the reference field policy, SPEC §5).

Deny by default: a field the policy does not list is dropped, an unknown recipient kind gets an empty
case, and a party whose address is confidential loses it for every kind but those the policy names
(the court and Cafcass). The same filter serves GET answers, the change feed and webhook deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchange.reference import FieldPolicy

# a field name -> None (pass the value whole) or the tree for each element of a list of objects
Tree = dict[str, "Tree | None"]


def _tree(paths: frozenset[str]) -> Tree:
    tree: Tree = {}
    for path in paths:
        *lists, leaf = path.split("[].")
        node = tree
        for name in lists:
            sub = node.get(name)
            if sub is None:  # a list named by its fields passes only those fields, even if also named whole
                sub = node[name] = {}
            node = sub
        node.setdefault(leaf, None)
    return tree


def _filter(obj: Mapping[str, Any], tree: Tree, flag: str, confidential: frozenset[str]) -> dict[str, Any]:
    """Keep what ``tree`` lists; drop the ``confidential`` fields of an object whose ``flag`` is true."""
    hidden = confidential if obj.get(flag) is True else frozenset()
    out: dict[str, Any] = {}
    for name, value in obj.items():
        if name not in tree or name in hidden:
            continue
        subtree = tree[name]
        if subtree is None:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [
                _filter(item, subtree, flag, confidential) for item in value if isinstance(item, Mapping)
            ]
        elif isinstance(value, Mapping):
            out[name] = _filter(value, subtree, flag, confidential)
        elif value is None:
            out[name] = None
        # a scalar where the policy expects objects is dropped: deny by default
    return out


def filter_case(case: Mapping[str, Any], recipient_kind: str, policy: FieldPolicy) -> dict[str, Any]:
    """The part of a canonical case (SPEC §2 shape) that ``recipient_kind`` may see; ``{}`` for unknown kinds.

    Pure: the input is not changed, and the result shares no list or object with it except values that
    the policy passes whole.
    """
    paths = policy.fields.get(recipient_kind)
    if paths is None:
        return {}
    sees_confidential = recipient_kind in policy.confidential_visible_to
    confidential = frozenset() if sees_confidential else policy.confidential_fields
    return _filter(case, _tree(paths), policy.confidential_flag, confidential)
