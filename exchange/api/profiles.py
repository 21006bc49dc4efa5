"""Outbound profiles: ``Accept: application/json; profile=<adapter>`` renders cases through that adapter.

``GET /v1/cases/{id}`` and ``GET /v1/feed`` answer in an outbound adapter's shape when the caller asks for
it by the ``profile`` parameter of ``application/json`` (SPEC §9). The case first passes the field policy of
the caller's kind, as every answer does; the adapter then only reshapes what the caller may see. A profile
that names no outbound adapter, or one the caller's kind may not use, answers 406.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import request

from adapters import registry
from exchange.api import context
from exchange.errors import NotAcceptable
from exchange.models import Organisation

#: outbound profile -> the organisation kinds that may ask for it
PROFILES: dict[str, frozenset[str]] = {"cafcass-api": frozenset({"cafcass", "court"})}


def requested() -> str | None:
    """The ``profile`` parameter of an ``application/json`` media range in ``Accept``, or None."""
    for media_range in (request.headers.get("Accept") or "").split(","):
        media, *parameters = (part.strip() for part in media_range.split(";"))
        if media.lower() != "application/json":
            continue
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "profile":
                return value.strip().strip('"')
    return None


def render(profile: str, org: Organisation, documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The adapter's rendering of the (already policy-filtered) ``documents``, or 406."""
    if org.kind not in PROFILES.get(profile, ()):
        raise NotAcceptable(
            f"Outbound profiles for this caller: {', '.join(p for p, k in PROFILES.items() if org.kind in k)}"
            " (or plain application/json)."
        )
    adapter = registry.get(profile, context.reference())
    return json.loads(b"".join(adapter.render(documents)))


def media_type(profile: str) -> str:
    return f'application/json; profile="{profile}"'
