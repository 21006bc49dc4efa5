"""Progression events a partner posts to a case (``POST /v1/cases/{id}/events``): one schema per type.

Every event is a flat JSON object with ``type`` (which schema applies) and ``occurred_at`` (RFC 3339 with
an offset), plus its own payload. Events are posted against a case the exchange already holds, so they
name hearings and children by the exchange's ids (``id`` in ``GET /v1/cases/{id}``), never by the
submitter's ``la_child_id``. ``case.submitted`` is not here: the exchange records it itself when a case
arrives in a submission. Whether the ids belong to the case is checked by ``schemas.rules.event_faults``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate
from marshmallow_oneofschema import OneOfSchema

from schemas.base import (
    BoundedString,
    Date,
    Instant,
    StrictSchema,
    Uuid,
    bounded_list,
    bounded_string,
    code,
    strict_integer,
)
from schemas.case import COURT_CASE_NUMBER, COURT_CODE, MAX_CHILDREN, HearingInputSchema, OrderInputSchema

#: the statutory limit: each extension of a child's 26-week timetable is of at most 8 weeks
MAX_EXTENSION_WEEKS = 8


def event_type(name: str) -> BoundedString:
    """The ``type`` field of the event schema for ``name``."""
    return bounded_string(
        50,
        required=True,
        validate=validate.Equal(name, error="Must be {other}."),
        metadata={"event_type": name},
    )


class EventSchema(StrictSchema):
    """What every event carries besides its ``type``."""

    occurred_at = Instant(required=True)


class EventOrderSchema(OrderInputSchema):
    """An order made, naming its children by their exchange ids."""

    child_ids = bounded_list(Uuid(), max_length=MAX_CHILDREN, min_length=1, required=True)


class NewHearingSchema(HearingInputSchema):
    """A hearing being listed: its type and times (the exchange gives it an id and the status ``listed``)."""

    class Meta(StrictSchema.Meta):
        exclude = ("status", "cancellation_reason")


class CaseIssuedSchema(EventSchema):
    type = event_type("case.issued")
    date_issued = Date(required=True)
    court_case_number = bounded_string(10, validate=COURT_CASE_NUMBER)


class HearingListedSchema(EventSchema):
    """A new hearing; the exchange gives it an id and the status ``listed``."""

    type = event_type("hearing.listed")
    hearing = fields.Nested(NewHearingSchema, required=True)


class HearingHeldSchema(EventSchema):
    type = event_type("hearing.held")
    hearing_id = Uuid(required=True)


class HearingVacatedSchema(EventSchema):
    type = event_type("hearing.vacated")
    hearing_id = Uuid(required=True)
    cancellation_reason = code("cancellation_reasons", required=True)


class OrderMadeSchema(EventSchema):
    type = event_type("order.made")
    order = fields.Nested(EventOrderSchema, required=True)


class TimetableExtendedSchema(EventSchema):
    """The named children's timetable deadlines move by ``extension_weeks`` (1 to 8)."""

    type = event_type("timetable.extended")
    child_ids = bounded_list(Uuid(), max_length=MAX_CHILDREN, min_length=1, required=True)
    extension_weeks = strict_integer(1, MAX_EXTENSION_WEEKS, required=True)
    extension_reason = code("extension_reasons", required=True)


class ChildOutcomeRecordedSchema(EventSchema):
    type = event_type("child.outcome_recorded")
    child_id = Uuid(required=True)
    outcome = code("child_outcomes", required=True)
    outcome_date = Date(required=True)


class CaseClosedSchema(EventSchema):
    type = event_type("case.closed")
    closed_date = Date(required=True)


class CaseWithdrawnSchema(EventSchema):
    type = event_type("case.withdrawn")
    withdrawn_on = Date(required=True)


class CaseTransferredSchema(EventSchema):
    """The case moved to another court ``on`` a date: figures before it stay with the old DFJ area."""

    type = event_type("case.transferred")
    court = bounded_string(3, validate=COURT_CODE, required=True)
    on = Date(required=True)


EVENT_SCHEMAS: dict[str, type[EventSchema]] = {
    schema().fields["type"].metadata["event_type"]: schema
    for schema in (
        CaseIssuedSchema,
        HearingListedSchema,
        HearingHeldSchema,
        HearingVacatedSchema,
        OrderMadeSchema,
        TimetableExtendedSchema,
        ChildOutcomeRecordedSchema,
        CaseClosedSchema,
        CaseWithdrawnSchema,
        CaseTransferredSchema,
    )
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_SCHEMAS)


class AnyEventSchema(OneOfSchema):
    """Any event: the schema its ``type`` names loads it (``type`` is kept); documented as their ``oneOf``."""

    type_field_remove = False
    type_schemas = EVENT_SCHEMAS

    def load(self, data: Any, **kwargs: Any) -> Any:
        # the type is checked here, not by OneOfSchema, whose messages repeat the value that was sent
        if not isinstance(data, Mapping):
            raise ValidationError({"_schema": ["Invalid input type."]})
        name = data.get("type")
        if not isinstance(name, str) or name not in EVENT_SCHEMAS:
            raise ValidationError({"type": [f"Not an event type; one of: {', '.join(EVENT_TYPES)}."]})
        return super().load(data, **kwargs)


def load_event(data: Any) -> dict[str, Any]:
    """The event loaded by the schema its ``type`` names; raises ``marshmallow.ValidationError``."""
    return AnyEventSchema().load(data)
