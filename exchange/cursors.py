"""The one page-cursor codec of every list (``/v1/cases``, its ``/versions``, ``/v1/feed``,
``/v1/advice-requests``).

A cursor is opaque to clients but not secret: base64url (unpadded) of the JSON array ``[kind, *values]``.
Forging one only moves the caller within its own list (every row is still filtered by what it may see),
so it carries no MAC. ``decode`` is strict: anything but a cursor this list issued (bad base64, bad
JSON, another list's kind, the wrong number or type of values) is a ``DomainError`` ``INVALID_CURSOR``
of kind ``bad_request`` (400), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from exchange.errors import DomainError
from schemas import error_codes as codes

#: a value's reader: the JSON value → the typed value, or ValueError/TypeError
Reader = Callable[[Any], Any]


def count(value: Any) -> int:
    """A non-negative integer (a sequence number), never a bool or a float."""
    if type(value) is not int or value < 0:
        raise ValueError("not a count")
    return value


def instant(value: Any) -> datetime:
    """An aware ISO 8601 instant."""
    if type(value) is not str:
        raise TypeError("not a string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive instant")
    return moment


def identifier(value: Any) -> uuid.UUID:
    """A UUID in its string form."""
    if type(value) is not str:
        raise TypeError("not a string")
    return uuid.UUID(value)


def encode(kind: str, *values: int | datetime | uuid.UUID) -> str:
    """The cursor of ``values`` for the list ``kind`` (instants and UUIDs by their ISO/string forms)."""
    plain = [
        v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    raw = json.dumps([kind, *plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str, *readers: Reader) -> tuple[Any, ...]:
    """The values of a cursor ``encode(kind, …)`` made, each read by its reader; else ``INVALID_CURSOR``."""
    try:
        decoded = json.loads(
            base64.b64decode(cursor.encode() + b"=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        )
        if not isinstance(decoded, list) or len(decoded) != len(readers) + 1 or decoded[0] != kind:
            raise ValueError("not a cursor of this list")
        return tuple(read(value) for read, value in zip(readers, decoded[1:], strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise DomainError(
            codes.INVALID_CURSOR,
            "Not a cursor of this list.",
            "/cursor",
            "bad_request",
            detail="The cursor was not issued by this listing.",
        ) from None
