"""The canonical model's marshmallow schemas (SPEC §2), and which schema checks each kind of record.

``RECORD_SCHEMAS`` maps the ``kind`` of an adapter's ``Record`` to the schema that validates its data:
the pipeline loads every record with it (rejecting unknown fields) and stores what it dumps.
"""

from __future__ import annotations

from marshmallow import Schema

from schemas import cin, ssda903
from schemas.case import CaseInputSchema

RECORD_SCHEMAS: dict[str, Schema] = {
    "case": CaseInputSchema(),
    **cin.SCHEMAS,
    **{kind: schema() for kind, schema in ssda903.SCHEMAS.items()},
}
