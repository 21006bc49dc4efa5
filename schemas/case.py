"""The canonical care case: what a local authority submits (input) and what the API returns (output).

Input (``CaseInputSchema`` and its parts): everything the submitter knows, nothing the exchange derives.
It carries no exchange ids, no ``version`` or ``updated_at``, no ``dfj_area`` or ``region`` (derived from
``court``). Within one submitted case a child is identified by its ``la_child_id``, unique within the case,
and each order names the children it concerns by ``la_child_id`` in ``child_ids``; a child's outcome is
recorded on the child itself. ``CaseBatchInputSchema`` is ``{"cases": [...]}``.

Output (``CaseSchema`` and its parts): the input fields plus the exchange's UUIDs on the case, children,
parties, hearings and orders, the derived ``dfj_area`` and ``region``, ``version`` and ``updated_at``; an
order's ``child_ids`` then hold the children's exchange ``id``. Every answer passes the field policy
(the reference data's ``field_policy.json``) first, so an output field is required only if every kind
the policy names sees it: the court and Cafcass are not shown the LA's ``reference`` or a child's
``la_child_id``.

Codes are checked against ``schemas.code_lists``. Rules that look at more than one field (dates in order,
children referenced by orders, UPN check letters, LA and court existence) are in ``schemas.rules``, which
gives each its own stable code; the LA and court fields here check only their form.
"""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import (
    Date,
    Instant,
    StrictBoolean,
    StrictSchema,
    Uuid,
    bounded_list,
    bounded_string,
    code,
    strict_integer,
)

MAX_BATCH_CASES = 1000
MAX_CHILDREN = 50
MAX_PARTIES = 50
MAX_HEARINGS = 200
MAX_ORDERS = 200
MAX_CODES = 20
REFERENCE_LENGTH = 64
NAME_LENGTH = 100
TEXT_LENGTH = 500

#: the orders of a section 31 application (Children Act 1989): the care-case measures count only these cases
S31_ORDERS = frozenset({"CARE_ORDER", "SUPERVISION_ORDER", "INTERIM_CARE_ORDER", "INTERIM_SUPERVISION_ORDER"})
#: s31(3): no care or supervision order for a child who has reached 17
S31_AGE_LIMIT = 17

LA_CODE = validate.Regexp(r"(\d{3}|W06\d{6})\Z", error="Not a DfE 3-digit or ONS W06 local authority code.")
COURT_CODE = validate.Regexp(r"\d{3}\Z", error="Not a FamilyMan 3-digit court code.")
# validate.Regexp anchors only at the start, hence each \Z
# FamilyMan case numbers: court letters, year, case type letter, serial (LV22P70768)
COURT_CASE_NUMBER = validate.Regexp(r"[A-Z]{2}\d{2}[A-Z]\d{5}\Z", error="Not a FamilyMan case number.")


class AddressSchema(StrictSchema):
    """A postal address in the HMCTS Family Public Law shape."""

    line1 = bounded_string(NAME_LENGTH)
    line2 = bounded_string(NAME_LENGTH)
    line3 = bounded_string(NAME_LENGTH)
    post_town = bounded_string(NAME_LENGTH)
    county = bounded_string(NAME_LENGTH)
    postcode = bounded_string(10)
    country = bounded_string(NAME_LENGTH)


class ChildInputSchema(StrictSchema):
    """A child the proceedings concern. ``timetable_deadline`` may be left out: the exchange then sets it
    to issue + 26 weeks. ``outcome_date`` is when the ``outcome`` was decided (the disposal measures need it).
    The names and UPN travel with the child; the field policy decides who is shown them.
    """

    la_child_id = bounded_string(REFERENCE_LENGTH, required=True)
    first_name = bounded_string(NAME_LENGTH)
    last_name = bounded_string(NAME_LENGTH)
    upn = bounded_string(20)  # the 13-character form is a rule with its own code (schemas.rules)
    date_of_birth = Date(required=True)
    sex = code("sexes", required=True)
    ethnicity = code("ethnicities")
    disabilities = bounded_list(code("disabilities"), max_length=MAX_CODES)
    living_situation = code("living_situations")
    legal_status = code("legal_statuses")
    timetable_deadline = Date()
    extension_reason = code("extension_reasons")
    outcome = code("child_outcomes")
    outcome_date = Date()


class PartyInputSchema(StrictSchema):
    """A respondent or other party; ``address_confidential`` (C8): address only to court and Cafcass."""

    role = code("party_roles", required=True)
    relationship_to_child = bounded_string(NAME_LENGTH)
    first_name = bounded_string(NAME_LENGTH)
    last_name = bounded_string(NAME_LENGTH)
    address = fields.Nested(AddressSchema)
    address_confidential = StrictBoolean(load_default=False)


class HearingInputSchema(StrictSchema):
    """A hearing; a vacated or adjourned one says why with an HMCTS cancellation reason."""

    type = code("hearing_types", required=True)
    starts_at = Instant(required=True)
    ends_at = Instant()
    status = code("hearing_statuses", required=True)
    cancellation_reason = code("cancellation_reasons")


class OrderInputSchema(StrictSchema):
    """An order made; ``child_ids`` are the ``la_child_id`` of the children it concerns."""

    type = code("order_types", required=True)
    child_ids = bounded_list(
        bounded_string(REFERENCE_LENGTH), max_length=MAX_CHILDREN, min_length=1, required=True
    )
    made_on = Date(required=True)
    interim = StrictBoolean(load_default=False)


class CaseInputSchema(StrictSchema):
    """One care (or private-law) case as its submitter sends it; see the module docstring."""

    reference = bounded_string(REFERENCE_LENGTH, required=True)
    court_case_number = bounded_string(10, validate=COURT_CASE_NUMBER)
    law = code("laws", required=True)
    application_type = code("application_types", required=True)
    orders_sought = bounded_list(code("order_types"), max_length=MAX_CODES, min_length=1, required=True)
    applicant_la = bounded_string(9, validate=LA_CODE, required=True)
    court = bounded_string(3, validate=COURT_CODE, required=True)
    date_received = Date(required=True)
    date_issued = Date()
    hearing_urgency = code("hearing_urgencies")
    threshold_reasons = bounded_list(code("threshold_reasons"), max_length=MAX_CODES)
    risks = bounded_list(code("risks"), max_length=MAX_CODES)
    children = bounded_list(
        fields.Nested(ChildInputSchema), max_length=MAX_CHILDREN, min_length=1, required=True
    )
    respondents = bounded_list(fields.Nested(PartyInputSchema), max_length=MAX_PARTIES)
    hearings = bounded_list(fields.Nested(HearingInputSchema), max_length=MAX_HEARINGS)
    orders_made = bounded_list(fields.Nested(OrderInputSchema), max_length=MAX_ORDERS)
    state = code("case_states")
    closed_date = Date()
    #: how the case came to ``court``: from ``transferred_from`` (on a first submission; a resubmission at
    #: another court names the old one itself) on ``transferred_on`` (else the day it arrives)
    transferred_from = bounded_string(3, validate=COURT_CODE)
    transferred_on = Date()


class CaseBatchInputSchema(StrictSchema):
    """Several cases in one submission."""

    cases = bounded_list(
        fields.Nested(CaseInputSchema), max_length=MAX_BATCH_CASES, min_length=1, required=True
    )


class ChildSchema(ChildInputSchema):
    id = Uuid(required=True)
    la_child_id = bounded_string(REFERENCE_LENGTH)  # the field policy keeps it from courts and Cafcass


class PartySchema(PartyInputSchema):
    id = Uuid(required=True)


class HearingSchema(HearingInputSchema):
    id = Uuid(required=True)


class OrderSchema(OrderInputSchema):
    """An order as the API returns it: ``child_ids`` are the children's exchange ids."""

    id = Uuid(required=True)
    child_ids = bounded_list(Uuid(), max_length=MAX_CHILDREN, min_length=1, required=True)


class TransferSchema(StrictSchema):
    """A court transfer: the case left ``from_court`` (in ``from_dfj_area``) for ``court`` ``on`` a date."""

    from_court = bounded_string(3, validate=COURT_CODE, required=True)
    from_dfj_area = bounded_string(NAME_LENGTH, required=True)
    court = bounded_string(3, validate=COURT_CODE, required=True)
    dfj_area = bounded_string(NAME_LENGTH, required=True)
    on = Date(required=True)


class CaseSchema(CaseInputSchema):
    """A case as the API returns it: the input plus the exchange's ids and derived fields.

    ``cafcass_service`` is the Cafcass service the case goes to (by the applicant LA, reference routing);
    ``transfers`` lists the court transfers, oldest first.
    """

    class Meta(StrictSchema.Meta):
        exclude = ("transferred_from", "transferred_on")  # input only: the output keeps ``transfers``

    id = Uuid(required=True)
    cafcass_service = bounded_string(20)
    transfers = bounded_list(fields.Nested(TransferSchema), max_length=MAX_ORDERS)
    reference = bounded_string(REFERENCE_LENGTH)  # the field policy keeps it from courts and Cafcass
    dfj_area = bounded_string(NAME_LENGTH, required=True)
    region = bounded_string(NAME_LENGTH, required=True)
    version = strict_integer(1, 2**31 - 1, required=True)
    updated_at = Instant(required=True)
    children = bounded_list(fields.Nested(ChildSchema), max_length=MAX_CHILDREN, min_length=1, required=True)
    respondents = bounded_list(fields.Nested(PartySchema), max_length=MAX_PARTIES)
    hearings = bounded_list(fields.Nested(HearingSchema), max_length=MAX_HEARINGS)
    orders_made = bounded_list(fields.Nested(OrderSchema), max_length=MAX_ORDERS)
