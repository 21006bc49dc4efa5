"""The building blocks of every canonical schema: a strict base schema and bounded, strictly typed fields.

Every schema rejects unknown fields; every string and every list has a maximum length; dates are ISO 8601
calendar dates (``2025-01-31``); instants are RFC 3339 date-times that carry an offset (``Z`` or
``+01:00``), never naive; booleans and integers must be JSON booleans and integers, not look-alikes such as
``"yes"`` or ``1.0``. A ``Fault`` is one broken rule with a stable code and a JSON pointer, and
``validation_faults`` turns a marshmallow ``ValidationError`` into faults of the same shape.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from schemas import code_lists
from schemas import error_codes as codes

DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 section 5.6 date-time; fractions limited to microseconds, which is what Python keeps
INSTANT_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# C0 control characters other than tab, line feed and carriage return have no place in case data
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Fault:
    """One broken rule: where (a JSON pointer relative to the record), a stable code, and a message."""

    pointer: str
    code: str
    message: str


class StrictSchema(Schema):
    """Base of every canonical schema: unknown fields are an error, never silently dropped.

    Loading and dumping one plain ``dict`` take a shorter road than marshmallow's own loop over the fields
    (a bulk load's cost: marshmallow wraps every field of every record in a closure, an error store and an
    accessor chain): each field is given its value as marshmallow gives it, in the same order, and the
    result is the same dict. A load that meets anything else (a missing required field, an unknown key, a
    field's error) starts again on marshmallow's road, which reports the errors as it always does.
    """

    class Meta:
        unknown = RAISE

    def _deserialize(self, data: Any, *, error_store: Any, many: bool = False, **kwargs: Any) -> Any:
        plan = _load_plan(self)
        if not many and data.__class__ is dict and plan is not None and _plain_load(kwargs):
            try:
                return _fast_load(plan, data)
            except (ValidationError, _Unplain):
                pass  # marshmallow's road, from the start: its errors, its messages
        return super()._deserialize(data, error_store=error_store, many=many, **kwargs)

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        plan = _dump_plan(self)
        if many or obj.__class__ is not dict or plan is None:
            return super()._serialize(obj, many=many)
        out = {}
        for name, field in plan:
            value = obj.get(name, missing)
            if value is not missing and (value := field._serialize(value, name, obj)) is not missing:
                out[name] = value
        return out


class _Unplain(Exception):
    """A record the short road of ``StrictSchema`` leaves to marshmallow's (it has no error to report)."""


def _plain_load(options: dict[str, Any]) -> bool:
    """Loading with the schema's defaults: no ``partial``, unknown fields refused, errors indexed or not."""
    return options.get("partial") is None and options.get("unknown", RAISE) == RAISE


def _plain_fields(fields_: Mapping[str, fields.Field]) -> bool:
    """Fields marshmallow reads and writes by their own name, without processors around them."""
    return all(
        f.data_key is None and f.attribute is None and "." not in name and not f.pre_load and not f.post_load
        for name, f in fields_.items()
    )


def _load_plan(schema: Schema) -> list[tuple[str, fields.Field, bool, Any]] | None:
    """(name, field, whether it is required, its value when missing) of each field ``schema`` loads, or
    None when the schema needs marshmallow's own loop (hooks, renamed fields)."""
    plan = schema.__dict__.get("_strict_load_plan", _Unplain)
    if plan is _Unplain:
        plain = not any(schema._hooks.values()) and _plain_fields(schema.load_fields)
        plan = (
            [(name, f, f.required, f.load_default) for name, f in schema.load_fields.items()]
            if plain
            else None
        )
        schema.__dict__["_strict_load_plan"] = plan
    return plan


def _fast_load(plan: list[tuple[str, fields.Field, bool, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` loaded field by field as marshmallow's loop loads it; ``_Unplain`` when it would not."""
    out: dict[str, Any] = {}
    given = 0
    for name, field, required, default in plan:
        value = data.get(name, missing)
        if value is missing:
            if required:
                raise _Unplain  # a required field is missing
            value = default() if callable(default) else default
            if value is not missing:
                out[name] = value
            continue
        given += 1
        out[name] = field.deserialize(value, name, data)
    if given != len(data):
        raise _Unplain  # a key the schema does not know
    return out


def _dump_plan(schema: Schema) -> list[tuple[str, fields.Field]] | None:
    """(name, field) of each field ``schema`` dumps, or None when it needs marshmallow's own loop
    (hooks, renamed fields, a value got another way than by its key, a default for a missing value)."""
    plan = schema.__dict__.get("_strict_dump_plan", _Unplain)
    if plan is _Unplain:
        plain = (
            not any(schema._hooks.values())
            and type(schema).get_attribute is Schema.get_attribute
            and _plain_fields(schema.dump_fields)
            and all(
                f._CHECK_ATTRIBUTE and f.dump_default is missing and not hasattr(dict, name)
                for name, f in schema.dump_fields.items()
            )
        )
        plan = list(schema.dump_fields.items()) if plain else None
        schema.__dict__["_strict_dump_plan"] = plan
    return plan


class BoundedString(fields.String):
    """A string with a maximum length (always) and no control characters."""

    default_error_messages = {"control": "Must not contain control characters."}

    def __init__(self, max_length: int, *, min_length: int = 1, **kwargs: Any) -> None:
        validators = [
            validate.Length(min=min_length, max=max_length),
            *_as_list(kwargs.pop("validate", None)),
        ]
        super().__init__(validate=validators, **kwargs)
        self.min_length, self.max_length = min_length, max_length
        # the validators after the length, which ``deserialize`` runs itself for a string
        self.checks = tuple(validators[1:]) if not (self.pre_load or self.post_load) else None

    def deserialize(
        self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> str | None:
        """A string that passes every check as it is, without marshmallow's machinery around each field
        (the cost of a bulk load); anything else, and every error, as marshmallow gives it."""
        if value.__class__ is str and self._passes(value):
            return value
        return super().deserialize(value, attr, data, **kwargs)

    def _passes(self, text: str) -> bool:
        if self.checks is None or not self.min_length <= len(text) <= self.max_length:
            return False
        if CONTROL_CHARACTERS.search(text):
            return False
        try:
            return all(check(text) is not False for check in self.checks)
        except ValidationError:
            return False

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_CHARACTERS.search(text):
            raise self.make_error("control")
        return text


def bounded_string(max_length: int, *, min_length: int = 1, **kwargs: Any) -> BoundedString:
    """A string field of at most ``max_length`` characters (at least ``min_length``, default 1)."""
    return BoundedString(max_length, min_length=min_length, **kwargs)


class BoundedList(fields.List):
    """A list whose length is checked before its items are: an oversized list costs nothing to refuse."""

    def __init__(self, inner: fields.Field, max_length: int, **kwargs: Any) -> None:
        super().__init__(inner, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, list) and len(value) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        return super()._deserialize(value, attr, data, **kwargs)


def bounded_list(inner: fields.Field, max_length: int, *, min_length: int = 0, **kwargs: Any) -> BoundedList:
    """A list field of at most ``max_length`` items (at least ``min_length``, default 0)."""
    validators = [validate.Length(min=min_length, max=max_length), *_as_list(kwargs.pop("validate", None))]
    return BoundedList(inner, max_length, validate=validators, **kwargs)


def code(list_name: str, **kwargs: Any) -> BoundedString:
    """A string that must be one of the codes of the code list ``list_name``."""
    allowed = sorted(code_lists.codes(list_name))
    return BoundedString(
        max(len(c) for c in allowed),
        validate=validate.OneOf(allowed, error=f"Not a code of the {list_name} code list."),
        metadata={"code_list": list_name},
        **kwargs,
    )


class Date(fields.Date):
    """An ISO 8601 calendar date in its extended form, ``YYYY-MM-DD`` (no week dates, no basic form)."""

    default_error_messages = {"form": "Not an ISO 8601 date (YYYY-MM-DD)."}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> date:
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            raise self.make_error("form")
        return super()._deserialize(value, attr, data, **kwargs)


def _documented_pattern(pattern: re.Pattern[str], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with the field's form as an anchored ``pattern`` in its metadata (for /openapi.json)."""
    return {**kwargs, "metadata": {"pattern": f"^{pattern.pattern}$", **kwargs.get("metadata", {})}}


class Instant(fields.AwareDateTime):
    """An RFC 3339 date-time with an offset; a naive date-time is rejected."""

    default_error_messages = {"form": "Not an RFC 3339 date-time with an offset (2025-01-31T10:00:00Z)."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **_documented_pattern(INSTANT_PATTERN, kwargs))

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        if not isinstance(value, str) or not INSTANT_PATTERN.fullmatch(value):
            raise self.make_error("form")
        return super()._deserialize(value.upper(), attr, data, **kwargs)


class Uuid(fields.UUID):
    """A UUID in its canonical lower-case hyphenated form only."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_documented_pattern(UUID_PATTERN, kwargs))

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if not isinstance(value, str) or not UUID_PATTERN.fullmatch(value):
            raise self.make_error("invalid_uuid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean only (``"yes"``, ``1`` and ``"true"`` are refused)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def strict_integer(minimum: int, maximum: int, **kwargs: Any) -> fields.Integer:
    """A JSON integer (not a float, not a string) between ``minimum`` and ``maximum`` inclusive."""
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)


_CODES_BY_MESSAGE = {
    fields.Field.default_error_messages["required"]: codes.SCHEMA_REQUIRED,
    fields.Field.default_error_messages["null"]: codes.SCHEMA_NULL,
    Schema._default_error_messages["unknown"]: codes.SCHEMA_UNKNOWN_FIELD,
    Schema._default_error_messages["type"]: codes.SCHEMA_TYPE,
}


def validation_faults(error: ValidationError, prefix: str = "") -> list[Fault]:
    """One fault per message of a marshmallow error, with a JSON pointer under ``prefix`` (RFC 6901).

    Codes: ``schema.required``, ``schema.null``, ``schema.unknown_field``, ``schema.type`` (not an object),
    else ``schema.invalid``.
    """
    faults: list[Fault] = []

    def walk(messages: Any, pointer: str) -> None:
        if isinstance(messages, Mapping):
            for key, inner in messages.items():
                # marshmallow files whole-schema errors under "_schema": they belong to the object itself
                walk(inner, pointer if key == "_schema" else f"{pointer}/{_escape(str(key))}")
        elif isinstance(messages, list):
            for message in messages:
                walk(message, pointer)
        else:
            faults.append(
                Fault(pointer, _CODES_BY_MESSAGE.get(str(messages), codes.SCHEMA_INVALID), str(messages))
            )

    walk(error.messages, prefix)
    return faults


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]
