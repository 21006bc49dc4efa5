"""The exchange's code lists: one JSON file per list in ``schemas/code_lists/``, read once.

Each file holds ``name``, ``description``, ``source``, ``licence`` and ``entries``; every entry has at least
``code`` and ``label``, some carry more (``agency`` on cancellation reasons, ``country`` on LA codes).
Where each list comes from and under which licence is in ``schemas/code_lists/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).with_name("code_lists")


class UnknownCodeList(LookupError):
    """No code list has this name."""


@cache
def _load_all() -> dict[str, dict[str, Any]]:
    lists = {}
    for path in sorted(DIRECTORY.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        lists[document["name"]] = document
    return lists


def names() -> list[str]:
    """Every code list's name, sorted."""
    return list(_load_all())


def describe(name: str) -> dict[str, str]:
    """The list's ``description``, ``source`` and ``licence``."""
    document = _document(name)
    return {key: document[key] for key in ("description", "source", "licence")}


def get(name: str) -> list[dict[str, Any]]:
    """The entries of one list, in the source's order (copies: callers may not change the cache)."""
    return [dict(entry) for entry in _document(name)["entries"]]


@cache
def codes(name: str) -> frozenset[str]:
    """The codes of one list."""
    return frozenset(entry["code"] for entry in _document(name)["entries"])


def _document(name: str) -> dict[str, Any]:
    try:
        return _load_all()[name]
    except KeyError:
        raise UnknownCodeList(name) from None
