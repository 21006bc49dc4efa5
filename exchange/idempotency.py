"""The ``Idempotency-Key`` of every write that takes one (``POST /v1/submissions``, ``POST
/v1/advice-requests``): one grammar, and one rule for a repeated key.

A key is 1 to 200 visible ASCII characters (``%x21-7E``), scoped to the caller's organisation. The same
key with the same body (by SHA-256) answers the original again; with another body it is a 409
``idempotency_conflict``, audited. No Flask here: the views read the header, the service compares.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from exchange.errors import DomainError
from schemas import error_codes as codes

HEADER = "Idempotency-Key"
GRAMMAR = re.compile(r"[\x21-\x7e]{1,200}")

#: the header parameter as /openapi.json documents it on each operation that takes it
PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Makes a retry safe: the same key with the same body answers the original again, "
    "with another body 409. 1 to 200 visible ASCII characters, scoped to the caller's organisation.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": f"^{GRAMMAR.pattern}$"},
}
#: the 409 a repeated key with another body answers, as /openapi.json describes it beside the parameter
CONFLICT = "Idempotency-Key reused with another body."


def checked_key(key: str | None) -> str | None:
    """``key`` if it is absent or follows the grammar; else a 422 at ``/headers/Idempotency-Key``."""
    if key is not None and not GRAMMAR.fullmatch(key):
        raise DomainError(
            codes.INVALID,
            "An Idempotency-Key is 1 to 200 visible ASCII characters.",
            f"/headers/{HEADER}",
        )
    return key


def same_body(
    earlier_id: uuid.UUID, earlier_sha256: str, sha256: str, *, resource_type: str, action: str
) -> None:
    """Refuse a repeated key whose body differs from the first: a 409, audited as
    ``{action}.idempotency_conflict``."""
    if earlier_sha256 != sha256:
        raise DomainError(
            codes.IDEMPOTENCY_CONFLICT,
            "This Idempotency-Key was used with another body.",
            kind="conflict",
            audit_action=f"{action}.idempotency_conflict",
            resource_type=resource_type,
            resource_ids=(str(earlier_id),),
        )
