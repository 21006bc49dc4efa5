"""The case schemas: input as a local authority submits it, output as the API returns it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from schemas import case as case_schemas
from schemas.base import BoundedString
from schemas.case import (
    MAX_BATCH_CASES,
    MAX_CHILDREN,
    CaseBatchInputSchema,
    CaseInputSchema,
    CaseSchema,
)
from tests.schemas.conftest import assert_roads_agree, care_case

SCHEMAS = [
    value
    for value in vars(case_schemas).values()
    if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == case_schemas.__name__
]


def errors(data: Any, schema: Schema | None = None) -> dict:
    with pytest.raises(ValidationError) as caught:
        (schema or CaseInputSchema()).load(data)
    return caught.value.messages


def test_the_synthetic_case_loads_with_typed_values() -> None:
    loaded = CaseInputSchema().load(care_case())
    assert loaded["date_issued"] == date(2025, 1, 7)
    assert loaded["hearings"][1]["starts_at"].utcoffset().total_seconds() == 3600
    assert loaded["respondents"][0]["address_confidential"] is True
    assert loaded["orders_made"][0]["interim"] is True


def test_defaults_for_flags() -> None:
    case = care_case()
    del case["respondents"][0]["address_confidential"]
    del case["orders_made"][0]["interim"]
    loaded = CaseInputSchema().load(case)
    assert loaded["respondents"][0]["address_confidential"] is False
    assert loaded["orders_made"][0]["interim"] is False


@pytest.mark.parametrize("field", ["id", "version", "updated_at", "dfj_area", "region"])
def test_input_refuses_what_the_exchange_derives(field: str) -> None:
    assert errors(care_case(**{field: "x"})) == {field: ["Unknown field."]}


def test_input_children_have_no_exchange_id() -> None:
    case = care_case()
    case["children"][0]["id"] = str(uuid.uuid4())
    assert errors(case) == {"children": {0: {"id": ["Unknown field."]}}}


@pytest.mark.parametrize(
    "field",
    ["reference", "law", "application_type", "orders_sought", "applicant_la", "court", "date_received"],
)
def test_required_case_fields(field: str) -> None:
    case = care_case()
    del case[field]
    assert errors(case) == {field: ["Missing data for required field."]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("law", "criminal"),
        ("application_type", "C2"),
        ("orders_sought", ["CARE"]),
        ("hearing_urgency", "SOON"),
        ("threshold_reasons", ["NO_CARE"]),
        ("risks", ["RISK"]),
        ("state", "closed"),
        ("court_case_number", "LV22P7076"),
        ("court_case_number", "lv22p70768"),
        ("applicant_la", "BIR"),
        ("applicant_la", "W0600001"),
        ("applicant_la", "2020"),
        ("court", "1150"),
        ("date_received", "06/01/2025"),
        ("orders_sought", []),
        ("children", []),
    ],
)
def test_invalid_case_values(field: str, value: Any) -> None:
    assert field in errors(care_case(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sex", "X"),
        ("ethnicity", "WHITE"),
        ("disabilities", ["BLIND"]),
        ("legal_status", "C3"),
        ("outcome", "GRANTED"),
        ("extension_reason", "Other"),
        ("date_of_birth", "2020-5-1"),
        ("upn", "A" * 21),
        ("la_child_id", ""),
    ],
)
def test_invalid_child_values(field: str, value: Any) -> None:
    case = care_case()
    case["children"][0][field] = value
    assert field in errors(case)["children"][0]


def test_hearing_and_order_codes_and_instants() -> None:
    case = care_case()
    case["hearings"][0].update(type="PRELIMINARY", status="cancelled", starts_at="2025-01-21T10:00:00")
    case["hearings"][1]["cancellation_reason"] = "XX1"
    case["orders_made"][0].update(type="ADOPTION_ORDER", child_ids=[])
    assert errors(case) == {
        "hearings": {
            0: {
                "type": ["Not a code of the hearing_types code list."],
                "status": ["Not a code of the hearing_statuses code list."],
                "starts_at": ["Not an RFC 3339 date-time with an offset (2025-01-31T10:00:00Z)."],
            },
            1: {"cancellation_reason": ["Not a code of the cancellation_reasons code list."]},
        },
        "orders_made": {
            0: {
                "type": ["Not a code of the order_types code list."],
                "child_ids": ["Length must be between 1 and 50."],
            }
        },
    }


def test_welsh_and_english_la_codes_have_the_right_form() -> None:
    for code in ("202", "W06000015"):
        assert CaseInputSchema().load(care_case(applicant_la=code))["applicant_la"] == code


def test_children_are_bounded() -> None:
    child = care_case()["children"][1]
    many = [dict(child, la_child_id=f"C-{n}") for n in range(MAX_CHILDREN)]
    assert len(CaseInputSchema().load(care_case(children=many))["children"]) == MAX_CHILDREN
    assert "children" in errors(care_case(children=[*many, child]))


def test_batch_shape_and_bounds() -> None:
    assert len(CaseBatchInputSchema().load({"cases": [care_case(), care_case()]})["cases"]) == 2
    assert "cases" in errors({"cases": []}, CaseBatchInputSchema())
    extra = {"cases": [care_case()], "total": 1}
    assert errors(extra, CaseBatchInputSchema()) == {"total": ["Unknown field."]}
    assert CaseBatchInputSchema().fields["cases"].validators[0].max == MAX_BATCH_CASES


def test_every_string_and_list_in_every_case_schema_is_bounded() -> None:
    def bounded(field: fields.Field) -> bool:
        return any(isinstance(v, validate.Length) and v.max is not None for v in field.validators)

    for schema in SCHEMAS:
        for name, field in schema().fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(field, fields.List):
                assert bounded(field), f"{schema.__name__}.{name}"
            if isinstance(inner, fields.String):
                assert isinstance(inner, BoundedString) and bounded(inner), f"{schema.__name__}.{name}"


def output_case() -> dict[str, Any]:
    case = CaseInputSchema().load(care_case())
    ids = {}
    for part in ("children", "respondents", "hearings", "orders_made"):
        for item in case[part]:
            item["id"] = uuid.uuid4()
            if part == "children":
                ids[item["la_child_id"]] = item["id"]
    for order in case["orders_made"]:
        order["child_ids"] = [ids[child] for child in order["child_ids"]]
    return {
        **case,
        "id": uuid.uuid4(),
        "dfj_area": "CENTRAL_LONDON",
        "region": "London",
        "version": 3,
        "updated_at": datetime(2025, 2, 1, 9, 30, tzinfo=UTC),
    }


def test_output_dumps_to_json_and_loads_back() -> None:
    case = output_case()
    dumped = CaseSchema().dump(case)
    text = json.dumps(dumped)
    assert dumped["updated_at"] == "2025-02-01T09:30:00+00:00"
    assert dumped["orders_made"][0]["child_ids"] == [str(c["id"]) for c in case["children"]]
    assert CaseSchema().load(json.loads(text)) == case


def test_output_orders_name_children_by_exchange_id() -> None:
    dumped = CaseSchema().dump(output_case())
    dumped["orders_made"][0]["child_ids"] = ["C-1"]
    assert "child_ids" in errors(dumped, CaseSchema())["orders_made"][0]


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


@pytest.mark.parametrize(
    "data",
    [
        care_case(),
        care_case(respondents=[_without(care_case()["respondents"][0], "address_confidential")]),  # a default
        {k: v for k, v in care_case().items() if k not in ("orders_made", "respondents", "state")},
        care_case(reference=None),
        care_case(children=[{"la_child_id": "C-1", "sex": "F"}]),  # a required field missing, nested
        care_case(children=[{**care_case()["children"][0], "nickname": "x"}]),  # an unknown key, nested
        care_case(hearings=[{"type": "FINAL", "starts_at": "2025-01-21", "status": "held"}]),
        care_case(date_issued="2025-02-30"),
        care_case(extra=1),
        care_case(orders_sought="CARE_ORDER"),
        care_case(orders_sought=[]),
        care_case(orders_sought=["CARE_ORDER", None]),
        care_case(risks=["NEGLECT"] * 21),  # past the list's bound
        care_case(law="PUBLIC"),  # not a code of the list
        care_case(court="11A"),  # not the court code's form
        care_case(court="1150"),
        care_case(applicant_la="W06000001"),
        care_case(reference="x" * 65),
        care_case(reference="CAMDEN\x00"),
        care_case(reference="CAMDEN\n2025"),  # a line feed is no control character here
        care_case(reference=7),
        care_case(date_received="2025-1-06"),
        care_case(date_received="20250106"),
        care_case(date_received=20250106),
        care_case(children=[{**care_case()["children"][0], "date_of_birth": None}]),
        care_case(children=["C-1"]),
        care_case(children=[None]),
        care_case(respondents=[{**care_case()["respondents"][0], "address_confidential": 1}]),
        care_case(respondents=[{**care_case()["respondents"][0], "address": {"line1": 1}}]),
        care_case(respondents=[{**care_case()["respondents"][0], "address": None}]),
        care_case(hearings=[{"type": "FINAL", "starts_at": "2025-01-21t10:00:00z", "status": "held"}]),
        care_case(hearings=[{"type": "FINAL", "starts_at": "2025-01-21T10:00:00", "status": "held"}]),
        care_case(hearings=[{"type": "FINAL", "starts_at": "2025-02-30T10:00:00Z", "status": "held"}]),
        care_case(hearings=[{"type": "FINAL", "starts_at": "2025-01-21T10:00:00+24:00", "status": "held"}]),
        [care_case()],
        "a case",
    ],
)
def test_a_case_loads_and_dumps_as_marshmallow_alone_does(data: Any, monkeypatch) -> None:
    """``StrictSchema``'s short road gives what marshmallow's own loop gives, key order included: the
    loaded and dumped case, or the same errors."""
    assert_roads_agree(
        monkeypatch,
        lambda: CaseInputSchema().load(data),
        lambda: CaseSchema().dump(CaseInputSchema().load(data)),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"reference": None, "date_issued": None, "updated_at": None, "version": None, "children": None},
        {"date_issued": datetime(2025, 1, 7, 12, tzinfo=UTC), "respondents": [None]},
        {"orders_made": [{"type": "CARE_ORDER", "child_ids": [uuid.UUID(int=1), None], "interim": False}]},
    ],
)
def test_an_output_case_dumps_as_marshmallow_alone_does(changes: dict[str, Any], monkeypatch) -> None:
    """Every kind of value the output case holds (ids, a version, instants, nothing) is dumped by the short
    road as by marshmallow's own loop, key order included."""
    case = {**output_case(), **changes}
    assert_roads_agree(monkeypatch, lambda: CaseSchema().dump(case))


def test_a_valid_case_loads_and_dumps_without_marshmallow_s_loop_over_the_fields(monkeypatch) -> None:
    def refused(*_: Any, **__: Any) -> None:
        raise AssertionError("marshmallow's own loop")

    monkeypatch.setattr(Schema, "_deserialize", refused)
    monkeypatch.setattr(Schema, "_serialize", refused)
    loaded = CaseInputSchema().load(care_case())
    assert CaseSchema().dump(loaded)["hearings"][0]["starts_at"] == "2025-01-21T10:00:00+00:00"
