"""Unique Pupil Number checks, as the DfE validation rules 1510-1550 define them.

Each rule is checked on its own, as DfE's are (a UPN may break 1530 and 1510 at once). Length has no DfE rule
id (the XSD pattern enforces it), so its fault carries the exchange's own code.
"""

from __future__ import annotations

from collections.abc import Container
from operator import getitem, mul

from schemas import error_codes as codes

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


#: the value of each character a UPN's check letter is computed over: a digit its own, a letter its index
_VALUES = {str(digit): digit for digit in range(10)} | {letter: n for n, letter in enumerate(CHECK_LETTERS)}
_WEIGHTS = range(2, 14)
#: for each of characters 2-13, the value of each character already weighted by its position
_WEIGHTED = tuple({char: value * weight for char, value in _VALUES.items()} for weight in _WEIGHTS)


def _value(char: str) -> int:
    return int(char) if char.isdigit() else CHECK_LETTERS.index(char)


def check_letter(upn: str) -> str:
    """The check letter for characters 2-13: each weighted by its position (2-13), sum modulo 23."""
    try:
        total = sum(map(getitem, _WEIGHTED, upn[1:13]))
    except KeyError:  # the XSD's \d admits any Unicode digit: those, rare, are read one by one
        total = sum(map(mul, map(_value, upn[1:13]), _WEIGHTS))
    return CHECK_LETTERS[total % 23]


def upn_faults(upn: str, known_la_codes: Container[str] | None = None) -> list[tuple[str, str]]:
    """The DfE rule codes and messages that ``upn`` breaks; empty when it is valid."""
    if len(upn) != 13:
        return [(codes.UPN_LENGTH, "UPN invalid (not 13 characters)")]  # the XSD pattern, no DfE rule id
    faults: list[tuple[str, str]] = []
    numeric = upn[4:12].isdigit()
    if not numeric:
        faults.append(("1540", "UPN invalid (characters 5-12 not all numeric)"))
    la_number = upn[1:4]
    la_numeric = la_number.isdigit()
    if not la_numeric or (known_la_codes is not None and la_number not in known_la_codes):
        faults.append(("1530", "UPN invalid (characters 2-4 not a recognised LA code)"))
    last = upn[12]
    valid_last = last.isdigit() or last in CHECK_LETTERS
    if not valid_last:
        faults.append(("1550", "UPN invalid (character 13 not a recognised value)"))
    # the check letter is DfE's rule on its own: an unrecognised LA number does not hide it, but it can only
    # be computed over digits (and a recognised letter at character 13)
    if numeric and la_numeric and valid_last and upn[0] != check_letter(upn):
        faults.append(("1510", "UPN invalid (wrong check letter at character 1)"))
    return faults
