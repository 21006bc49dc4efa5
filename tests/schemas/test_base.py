"""The strict building blocks: bounded strings and lists, ISO dates, RFC 3339 instants, strict types."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from schemas.base import (
    Date,
    Fault,
    Instant,
    StrictBoolean,
    StrictSchema,
    Uuid,
    bounded_list,
    bounded_string,
    code,
    strict_integer,
    validation_faults,
)
from tests.schemas.conftest import assert_roads_agree


class Sample(StrictSchema):
    name = bounded_string(5)
    tags = bounded_list(bounded_string(3), max_length=2)
    on = Date()
    at = Instant()
    flag = StrictBoolean()
    count = strict_integer(1, 8)
    ref = Uuid()
    sex = code("sexes")
    inner = fields.Nested(lambda: Sample(only=("name",)))


def load(**data: object) -> dict:
    return Sample().load(data)


def error_of(**data: object) -> dict:
    with pytest.raises(ValidationError) as caught:
        Sample().load(data)
    return caught.value.messages


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2025-01-31T10:00:00Z", timedelta(0)),
        ("2025-01-31t10:00:00z", timedelta(0)),
        ("2025-06-30T10:00:00+01:00", timedelta(hours=1)),
        ("2025-06-30T10:00:00.123456-05:30", timedelta(hours=-5, minutes=-30)),
    ],
)
def test_an_instant_keeps_its_offset(text: str, offset: timedelta) -> None:
    at = load(at=text)["at"]
    assert isinstance(at, datetime) and at.utcoffset() == offset


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-31T10:00:00",  # naive
        "2025-01-31",
        "2025-01-31 10:00:00Z",  # space instead of T
        "2025-01-31T10:00Z",  # no seconds
        "2025-01-31T10:00:00.1234567Z",  # finer than microseconds
        "20250131T100000Z",  # basic format
        "2025-01-31T25:00:00Z",
        "2025-02-30T10:00:00Z",
    ],
)
def test_an_instant_without_offset_or_in_another_form_is_refused(text: str) -> None:
    assert "at" in error_of(at=text)


def test_an_instant_must_be_a_string() -> None:
    assert "at" in error_of(at=1738317600)


def test_dates_are_calendar_dates_in_extended_form() -> None:
    assert load(on="2024-02-29")["on"] == date(2024, 2, 29)
    for text in ("2025-02-29", "20250101", "2025-W01-1", "2025-01-01T00:00:00Z", "01/02/2025", 20250101):
        assert error_of(on=text)["on"]
    assert error_of(on="20250101")["on"] == ["Not an ISO 8601 date (YYYY-MM-DD)."]


def test_strings_are_bounded_and_not_empty() -> None:
    assert load(name="abcde")["name"] == "abcde"
    assert "name" in error_of(name="abcdef")
    assert "name" in error_of(name="")
    assert "name" in error_of(name=12)


def test_strings_refuse_control_characters_but_keep_tabs_and_newlines() -> None:
    assert load(name="a\tb\n")["name"] == "a\tb\n"
    assert error_of(name="a\x00b")["name"] == ["Must not contain control characters."]


def test_lists_are_bounded() -> None:
    assert load(tags=["a", "b"])["tags"] == ["a", "b"]
    assert "tags" in error_of(tags=["a", "b", "c"])
    assert error_of(tags=["abcd"])["tags"] == {0: ["Length must be between 1 and 3."]}


def test_booleans_and_integers_are_json_types_only() -> None:
    assert load(flag=False)["flag"] is False
    for value in (1, "true", "yes", None):
        assert "flag" in error_of(flag=value)
    assert load(count=8)["count"] == 8
    for value in (0, 9, 1.0, "1", True):
        assert "count" in error_of(count=value)


def test_uuids_in_canonical_form_only() -> None:
    ref = uuid.uuid4()
    assert load(ref=str(ref))["ref"] == ref
    for text in (str(ref).upper(), ref.hex, "{" + str(ref) + "}", "not-a-uuid"):
        assert "ref" in error_of(ref=text)


def test_codes_come_from_the_code_list() -> None:
    assert load(sex="U")["sex"] == "U"
    assert error_of(sex="X")["sex"] == ["Not a code of the sexes code list."]


def test_unknown_fields_are_refused_at_every_level() -> None:
    assert error_of(nickname="x") == {"nickname": ["Unknown field."]}
    assert error_of(inner={"name": "a", "tags": []}) == {"inner": {"tags": ["Unknown field."]}}


def test_validation_faults_carry_json_pointers_and_codes() -> None:
    class Required(StrictSchema):
        needed = bounded_string(5, required=True)
        items = bounded_list(fields.Nested(Sample), max_length=3)

    with pytest.raises(ValidationError) as caught:
        Required().load({"items": [{}, {"name": None, "a/b~c": 1}], "extra": 1})
    faults = validation_faults(caught.value, "/cases/2")
    assert set(faults) == {
        Fault("/cases/2/needed", "schema.required", "Missing data for required field."),
        Fault("/cases/2/items/1/name", "schema.null", "Field may not be null."),
        Fault("/cases/2/items/1/a~1b~0c", "schema.unknown_field", "Unknown field."),
        Fault("/cases/2/extra", "schema.unknown_field", "Unknown field."),
    }


def test_a_value_that_is_not_an_object_is_a_type_fault_at_the_root() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample().load([1])
    assert validation_faults(caught.value) == [Fault("", "schema.type", "Invalid input type.")]


def test_other_faults_are_schema_invalid() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample().load({"count": 9})
    [fault] = validation_faults(caught.value)
    assert (fault.pointer, fault.code) == ("/count", "schema.invalid")


def _refuses_x(text: str) -> bool:
    return "x" not in text


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


@pytest.mark.parametrize(
    "field",
    [
        bounded_string(5),
        bounded_string(5, min_length=2, validate=fields.validate.Regexp(r"[a-z]+\Z")),
        bounded_string(5, validate=_refuses_x),  # a plain function refuses by returning False
        bounded_string(5, allow_none=True),
        bounded_string(5, pre_load=_stripped),  # a field that changes its input never takes the short cut
        bounded_string(0, min_length=0),
        bounded_string(2, validate=validate.OneOf(["F", "abc", "a\x00"])),  # codes it could never take
        bounded_string(5, validate=validate.OneOf(["abc", 3])),  # a choice that is not a string
        bounded_string(5, validate=[validate.OneOf(["abc", "x"]), _refuses_x, validate.Regexp("a")]),
        code("sexes"),
    ],
)
@pytest.mark.parametrize(
    "value",
    ["abc", "abcde", "abcdef", "", "a", "ab1", "x", "F", "M", " ab ", "a\x00", "a\n", "\x7f", None, 3, b"ab"],
)
def test_a_bounded_string_answers_as_marshmallow_does_for_any_value(field, value) -> None:
    """A valid string is returned without marshmallow's machinery around the field: the same value, and
    for anything else the same error, as marshmallow's own path (``fields.String.deserialize``) gives."""

    def answer(deserialize):
        try:
            return "value", deserialize(value, "f", {"f": value})
        except ValidationError as error:
            return "error", error.messages

    assert answer(field.deserialize) == answer(lambda *a: fields.String.deserialize(field, *a))


class Loose(Schema):
    """marshmallow's own schema, not a strict one."""

    name = fields.String()


class Excluding(StrictSchema):
    class Meta:
        unknown = EXCLUDE

    name = bounded_string(5)


class Roads(StrictSchema):
    sample = fields.Nested(Sample)
    samples = bounded_list(fields.Nested(Sample), max_length=2, min_length=1)
    loose = fields.Nested(Loose)
    excluding = fields.Nested(Excluding)
    days = bounded_list(Date(), max_length=2)
    pairs = bounded_list(bounded_string(2), max_length=3, validate=validate.Length(equal=2))


SAMPLE = {
    "name": "abc",
    "tags": ["a", "bb"],
    "on": "2025-01-31",
    "at": "2025-01-31t10:00:00z",
    "flag": True,
    "count": 3,
    "ref": str(uuid.UUID(int=1)),
    "sex": "F",
    "inner": {"name": "x"},
}


@pytest.mark.parametrize(
    "data",
    [
        {"sample": SAMPLE, "samples": [SAMPLE, {}], "days": ["2025-01-31"], "pairs": ["a", "b"]},
        *(
            {"sample": {**SAMPLE, key: value}}
            for key, values in {
                "name": ["", "abcdef", "a\x00", "a\t", None, 5],
                "tags": [[], ["abcd"], ["a", "b", "c"], "ab", [None], ("a",)],
                "on": ["2025-02-30", "2025-1-31", "20250131", 20250131, None],
                "at": ["2025-01-31T10:00:00", "2025-01-31T10:00:00+01:00", "2025-01-31 10:00:00Z", 5],
                "flag": [False, 1, "true", None],
                "count": [8, 9, True, 3.0, "3"],
                "ref": [str(uuid.UUID(int=1)).upper(), "x", None],
                "sex": ["Q", "f", None],
                "inner": [{"name": "x", "on": "2025-01-31"}, {}, None, "x", [{"name": "x"}]],
            }.items()
            for value in values
        ),
        {"samples": []},
        {"samples": [SAMPLE] * 3},
        {"samples": [None]},
        {"samples": [{"name": "a", "other": 1}]},
        {"loose": {"name": "a"}},
        {"loose": {"name": "a", "other": 1}},
        {"loose": {"name": 3}},
        {"excluding": {"name": "abc", "other": 1}},
        {"days": ["2025-01-31", "2025-02-30"]},
        {"days": [None]},
        {"pairs": ["a", "b", "c"]},
        {"pairs": ["a"]},
        {"other": 1},
        {},
    ],
)
def test_every_field_loads_and_dumps_as_marshmallow_alone_does(data: dict, monkeypatch) -> None:
    """The short road of ``StrictSchema`` gives, for each kind of field and of value, what marshmallow's
    own loop gives: the same value, key order included, or the same errors; a nested schema that is not
    strict, or keeps unknown fields out, is loaded as marshmallow loads it."""
    assert_roads_agree(monkeypatch, lambda: Roads().load(data), lambda: Roads().dump(Roads().load(data)))


@pytest.mark.parametrize(
    "obj",
    [
        {"sample": {"on": date(2025, 1, 31), "at": datetime(2025, 1, 31, 10), "ref": uuid.UUID(int=1)}},
        {"sample": {"on": datetime(2025, 1, 31, 10), "flag": 0, "count": 3.5, "name": 5, "tags": None}},
        {"sample": {"name": None, "on": None, "at": None, "ref": None, "inner": None, "tags": [None, 1]}},
        {"samples": [None, {"name": "a"}], "days": [date(2025, 1, 31), None], "loose": {"name": 3}},
        {"sample": None, "samples": None, "days": None, "loose": None, "excluding": None, "other": 1},
    ],
)
def test_every_field_dumps_what_it_holds_as_marshmallow_alone_does(obj: dict, monkeypatch) -> None:
    """A value of any kind, not only one a load gives, is dumped by the short road as marshmallow dumps it."""
    assert_roads_agree(monkeypatch, lambda: Roads().dump(obj))
