"""The body of a court's advice request (``POST /v1/advice-requests``), which ``exchange.demo`` loads too.

A request names a case held here (``case_id``) or, for a private-law case that is not, gives the minimal
``case`` details; never both.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import Date, StrictBoolean, StrictSchema, Uuid, bounded_list, bounded_string, code
from schemas.case import LA_CODE


class ChildDetails(StrictSchema):
    date_of_birth = Date(required=True)
    sex = code("sexes", required=True)


class CaseDetails(StrictSchema):
    """A private-law case not held here: just enough for Cafcass to start its checks."""

    law = bounded_string(8, required=True, validate=validate.OneOf(["private"]))
    court = bounded_string(8, required=True)
    application_type = code("application_types", required=True)
    #: the child's local authority, when known: it decides the Cafcass service, and writes a section 37 report
    local_authority = bounded_string(9, validate=LA_CODE)
    children = bounded_list(fields.Nested(ChildDetails), 20, min_length=1, required=True)


class AdviceRequestIn(StrictSchema):
    case_id = Uuid()
    case = fields.Nested(CaseDetails)
    type = code("advice_request_types", required=True)
    question = bounded_string(4000)
    hearing_date = Date()
    due_date = Date()
    urgent = StrictBoolean(load_default=False)

    @validates_schema
    def _one_case(self, data: dict[str, Any], **_: Any) -> None:
        if ("case_id" in data) == ("case" in data):
            raise ValidationError("Give either case_id or case, not both.", "case_id")
