"""Every error code is declared once, in ``schemas.error_codes``, and written nowhere else.

The scan reads every module of ``exchange/``, ``adapters/`` and ``schemas/``: a string literal that equals a
declared code is a second declaration (only a few literals that are the same word in another sense are
allowed, each named here); a literal in a code's place (the code of a fault, a ``DomainError``, a
``{"code": …}`` entry) must be a declared code by name, never a string.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

from schemas import error_codes as codes

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
#: where a call takes its code: the position of the argument
CODE_ARGUMENT = {"FormatError": 0, "CaseFault": 0, "AdviceFault": 0, "DomainError": 0, "Refused": 0}
CODE_ARGUMENT |= {"RecordError": 1, "Fault": 1, "_Fault": 1}
#: codes that are also plain words in another sense, so their literal may appear elsewhere (never in a
#: code's place, which the last test checks): the word -> its other sense
OTHER_SENSES = {
    "required": "a marshmallow option and error-message key, an SSDA903 cell fault's kind",
    "invalid": "marshmallow's error-message key, the kind of DomainError answered 422",
}
REGISTRY = {name: value for name, value in vars(codes).items() if name.isupper()}


def _sources() -> list[Path]:
    return sorted(
        p
        for folder in ("exchange", "adapters", "schemas")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts and p != ROOT / "schemas" / "error_codes.py"
    )


def _code_places(tree: ast.AST) -> list[ast.expr]:
    places: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            index = CODE_ARGUMENT.get(name or "")
            if index is not None and len(node.args) > index:
                places.append(node.args[index])
        if isinstance(node, ast.Dict):
            places += [
                v for k, v in zip(node.keys, node.values, strict=True) if getattr(k, "value", None) == "code"
            ]
    return places


def test_each_code_is_declared_once_with_a_name_that_says_it():
    assert REGISTRY, "no codes declared"
    assert [v for v, n in Counter(REGISTRY.values()).items() if n > 1] == []
    for name, value in REGISTRY.items():
        assert GRAMMAR.fullmatch(value) and name == value.upper().replace(".", "_"), name


def test_no_code_is_written_as_a_literal_outside_the_registry():
    declared = set(REGISTRY.values()) - set(OTHER_SENSES)
    again = []
    for path in _sources():
        module = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in declared:
                again.append(f"{module}:{node.lineno} {node.value}")
    assert again == []


def test_every_code_in_a_code_place_is_a_declared_name():
    literal = []
    for path in _sources():
        for place in _code_places(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(place, ast.Constant) and isinstance(place.value, str):
                literal.append(f"{path.relative_to(ROOT).as_posix()}:{place.lineno} {place.value}")
    assert literal == []


def test_the_rules_written_twice_now_share_one_code():
    assert codes.CASE_COURT_UNKNOWN == "case.court_unknown"
    assert codes.ORDER_UNKNOWN_CHILD == "order.unknown_child"
    assert codes.EVENT_UNKNOWN_HEARING == "event.unknown_hearing"
    assert codes.EVENT_UNKNOWN_CHILD == "event.unknown_child"
    assert not {
        "court_unknown",
        "order_child_unknown",
        "unknown_court",
        "hearing_unknown",
        "child_unknown",
    } & set(REGISTRY.values())
