"""The ``Idempotency-Key`` of every write that takes one (``POST /v1/submissions``, ``POST
/v1/advice-requests``): one grammar, and one rule for a repeated key.

A key is 1 to 200 visible ASCII characters (``%x21-7E``), scoped to the caller's organisation. The same
key with the same request (its ``fingerprint``: the body's SHA-256, its media type, the adapter its
profile chose and ``atomic``) answers the original again; with another it is a 409
``idempotency_conflict``, audited. No Flask here: the views read the header, the service compares.
"""

from __future__ import annotations

import json
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
    "description": "Makes a retry safe: the same key with the same request (body, media type, profile, "
    "atomic and collection_year) answers the original again, with another 409. 1 to 200 visible ASCII "
    "characters, scoped to the caller's organisation.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": f"^{GRAMMAR.pattern}$"},
}
#: the 409 a repeated key with another request answers, as /openapi.json describes it beside the parameter
CONFLICT = "Idempotency-Key reused with another request (body, media type, profile or atomic)."


def checked_key(key: str | None) -> str | None:
    """``key`` if it is absent or follows the grammar; else a 422 at ``/headers/Idempotency-Key``."""
    if key is not None and not GRAMMAR.fullmatch(key):
        raise DomainError(
            codes.INVALID,
            "An Idempotency-Key is 1 to 200 visible ASCII characters.",
            f"/headers/{HEADER}",
        )
    return key


def fingerprint(
    sha256: str,
    media_type: str = "application/json",
    profile: str | None = None,
    atomic: bool = False,
    collection_year: int | None = None,
) -> str:
    """What makes two requests under one key the same request: the body, its media type, the profile (the
    adapter it chose), ``atomic`` and the collection year named."""
    return json.dumps([sha256, media_type.lower(), profile, atomic, collection_year], separators=(",", ":"))


def same_request(
    earlier_id: uuid.UUID, earlier: str, fingerprint: str, *, resource_type: str, action: str
) -> None:
    """Refuse a repeated key whose request (``fingerprint``) differs from the first: a 409, audited as
    ``{action}.idempotency_conflict``."""
    if earlier != fingerprint:
        raise DomainError(
            codes.IDEMPOTENCY_CONFLICT,
            "This Idempotency-Key was used with another request (body, media type, profile or atomic).",
            kind="conflict",
            audit_action=f"{action}.idempotency_conflict",
            resource_type=resource_type,
            resource_ids=(str(earlier_id),),
        )
