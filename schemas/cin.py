"""Canonical records of the CIN census (the ``cin-census`` adapter's output): its header and each child.

``SCHEMAS`` maps the record kind to its schema. A child carries its CIN episodes, each with assessments,
CIN plans, section 47 enquiries, child protection plans and the 2026-27 pre-proceedings block (or null).
Codes are checked against the exchange's code lists where one exists (sex, ethnicity, disability); the
other CIN codes are bounded strings, as the adapter has already checked them against the year's XSD.
"""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import Date, StrictBoolean, StrictSchema, bounded_list, bounded_string, code, strict_integer

UPN = validate.Regexp(r"[A-Za-z]\d{11}[0-9A-Za-z]", error="Not a UPN (13 characters).")


def _date(**kwargs: object) -> Date:
    return Date(required=True, allow_none=True, **kwargs)


def _short(max_length: int = 8) -> fields.String:
    return bounded_string(max_length, required=True, allow_none=True)


class CinHeaderSchema(StrictSchema):
    la_code = bounded_string(3, min_length=3, required=True, validate=validate.Regexp(r"\d{3}"))
    collection_year = strict_integer(2017, 2027, required=True)
    reference_date = _date()
    collection = _short()


class AssessmentSchema(StrictSchema):
    start_date = Date(required=True)
    internal_review_date = _date()
    authorisation_date = _date()
    factors = bounded_list(bounded_string(8), 100, required=True)


class CinPlanSchema(StrictSchema):
    start_date = Date(required=True)
    end_date = _date()


class Section47Schema(StrictSchema):
    start_date = Date(required=True)
    initial_cpc_target = _date()
    date_of_initial_cpc = _date()
    icpc_not_required = StrictBoolean(required=True)


class ChildProtectionPlanSchema(StrictSchema):
    start_date = Date(required=True)
    end_date = _date()
    initial_category_of_abuse = bounded_string(3, required=True)
    latest_category_of_abuse = bounded_string(3, required=True)
    number_of_previous_cpp = strict_integer(0, 1000, required=True)
    reviews = bounded_list(Date(), 500, required=True)


class PreProceedingsSchema(StrictSchema):
    pp_start_date = _date()
    lbp_sent_date = _date()
    fgdm_meeting_offer = _short()
    fgdm_meeting_facilitated = _short()
    initial_pp_meeting_date = _date()
    review_meetings_count = strict_integer(0, 1000, required=True, allow_none=True)
    step_decision_date = _date()
    pp_outcome = _short()
    court_application_date = _date()
    letter_init_cp_date = _date()


class CinEpisodeSchema(StrictSchema):
    referral_date = Date(required=True)
    referral_source = bounded_string(2, required=True)
    primary_need = _short(2)
    closure_date = _date()
    reason_for_closure = _short(3)
    date_of_initial_cpc = _date()
    referral_nfa = StrictBoolean(required=True)
    assessments = bounded_list(fields.Nested(AssessmentSchema), 100, required=True)
    cin_plans = bounded_list(fields.Nested(CinPlanSchema), 100, required=True)
    section47_enquiries = bounded_list(fields.Nested(Section47Schema), 100, required=True)
    child_protection_plans = bounded_list(fields.Nested(ChildProtectionPlanSchema), 100, required=True)
    pre_proceedings = fields.Nested(PreProceedingsSchema, required=True, allow_none=True)


class CinChildSchema(StrictSchema):
    la_code = bounded_string(3, min_length=3, required=True, validate=validate.Regexp(r"\d{3}"))
    collection_year = strict_integer(2017, 2027, required=True)
    la_child_id = bounded_string(64, required=True)
    upn = bounded_string(13, min_length=13, required=True, allow_none=True, validate=UPN)
    former_upn = bounded_string(13, min_length=13, required=True, allow_none=True, validate=UPN)
    upn_unknown = _short(3)
    date_of_birth = _date()
    expected_date_of_birth = _date()
    sex = code("sexes", required=True)
    date_of_death = _date()
    ethnicity = code("ethnicities", required=True)
    disabilities = bounded_list(code("disabilities"), 20, required=True)
    cin_episodes = bounded_list(fields.Nested(CinEpisodeSchema), 100, min_length=1, required=True)


SCHEMAS = {"cin_header": CinHeaderSchema(), "cin_child": CinChildSchema()}
