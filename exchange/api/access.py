"""Object-level access, the one helper every resource uses on every id (deny by default).

An object the caller may not see answers exactly like one that does not exist (404), so ids cannot be
probed; both are audited, the audit saying which it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from exchange.api.protect import Principal, current_principal
from exchange.errors import NotFound

T = TypeVar("T")
MAX_AUDITED_ID = 64  # audit_resources.resource_id is a VARCHAR(64)


def audited_id(resource_id: object) -> str:
    """The id as the audit trail keeps it: as given if short and printable, else its ``sha256:`` digest.

    A probe's id is chosen by the caller: PostgreSQL refuses a NUL byte, and a megabyte bloats the trail.
    """
    text = str(resource_id)
    if len(text) <= MAX_AUDITED_ID and text.isprintable():
        return text
    return ("sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())[:MAX_AUDITED_ID]


def visible_or_404(
    resource_type: str, resource_id: object, obj: T | None, may_see: Callable[[Principal, T], bool]
) -> T:
    """``obj`` if it exists and ``may_see(principal, obj)``; otherwise a 404 that is audited."""
    return shown_or_404(resource_type, resource_id, obj, lambda found: may_see(current_principal(), found))


def shown_or_404(resource_type: str, resource_id: object, obj: T | None, shown: Callable[[T], bool]) -> T:
    """``obj`` if it exists and ``shown(obj)`` (the caller, an API client or a signed-in person, may see
    it); otherwise a 404 that is audited."""
    if obj is not None and shown(obj):
        return obj
    raise NotFound(
        f"There is no {resource_type.replace('_', ' ')} with that id.",
        audit_action="access.foreign_object" if obj is not None else "access.unknown_object",
        resource_type=resource_type,
        resource_ids=(audited_id(resource_id),),
    )
