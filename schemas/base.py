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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from schemas import code_lists
from schemas import error_codes as codes

DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 section 5.6 date-time; fractions limited to microseconds, which is what Python keeps
INSTANT_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# C0 control characters other than tab, line feed and carriage return have no place in case data
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_CHARACTERS = re.compile(f"[{CONTROL}]")


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
    accessor chain, and every field's value in its options and validators): each field is given its value
    as marshmallow gives it, in the same order, and the result is the same dict. The fields this module
    knows (strings, dates, instants, booleans, lists and nested schemas of them) are read and written by
    a check worked out once per field, which gives what the field's own methods give; any other field by
    those methods. A load that meets anything else (a missing required field, an unknown key, a value a
    check does not pass) starts again on marshmallow's road, which reports the errors as it always does.
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
        return _fast_dump(plan, obj)


class _Unplain(Exception):
    """A record the short road of ``StrictSchema`` leaves to marshmallow's (it has no error to report)."""


#: a field's short road for loading: (value, key, record) to what ``field.deserialize`` gives, or an error
Loader = Callable[[Any, "str | None", Any], Any]
#: a field's short road for dumping: (value, key, object) to what ``field._serialize`` gives
Dumper = Callable[[Any, "str | None", Any], Any]
_NONE = type(None)


def _plain_load(options: dict[str, Any]) -> bool:
    """Loading with the schema's defaults: no ``partial``, unknown fields refused, errors indexed or not."""
    return options.get("partial") is None and options.get("unknown", RAISE) == RAISE


def _plain_fields(fields_: Mapping[str, fields.Field]) -> bool:
    """Fields marshmallow reads and writes by their own name, without processors around them."""
    return all(
        f.data_key is None and f.attribute is None and "." not in name and not f.pre_load and not f.post_load
        for name, f in fields_.items()
    )


def _load_plan(schema: Schema) -> list[tuple[str, Loader, bool, Any]] | None:
    """(name, loader, whether it is required, its value when missing) of each field ``schema`` loads, or
    None when the schema needs marshmallow's own loop (hooks, renamed fields)."""
    plan = schema.__dict__.get("_strict_load_plan", _Unplain)
    if plan is _Unplain:
        plain = not any(schema._hooks.values()) and _plain_fields(schema.load_fields)
        plan = (
            [(name, _loader(f), f.required, f.load_default) for name, f in schema.load_fields.items()]
            if plain
            else None
        )
        schema.__dict__["_strict_load_plan"] = plan
    return plan


def _fast_load(plan: list[tuple[str, Loader, bool, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` loaded field by field as marshmallow's loop loads it; ``_Unplain`` when it would not."""
    out: dict[str, Any] = {}
    given = 0
    get = data.get
    for name, load, required, default in plan:
        value = get(name, missing)
        if value is missing:
            if required:
                raise _Unplain  # a required field is missing
            if (
                default is not missing
                and (value := default() if callable(default) else default) is not missing
            ):
                out[name] = value
            continue
        given += 1
        out[name] = load(value, name, data)
    if given != len(data):
        raise _Unplain  # a key the schema does not know
    return out


def _loader(field: fields.Field) -> Loader:
    """The short road that loads ``field``'s values: a check of its own for the fields of this module
    whose options it has been written for (no processors, no other validators), else the field's own."""
    if field.pre_load or field.post_load:
        return field.deserialize
    kind = type(field)
    if kind is BoundedString and field.checks is not None:
        return _string_loader(field.passes)
    if kind is Date and not field.validators:
        return _temporal_loader(field, DATE_PATTERN, aware=False)
    if kind is Instant and not field.validators:
        return _temporal_loader(field, INSTANT_PATTERN, aware=True)
    if kind is StrictBoolean and not field.validators:
        return _boolean_loader
    if kind is BoundedList and _only_its_length(field):
        return _list_loader(field)
    if kind is fields.Nested and not field.validators and not field.many and field.unknown is None:
        return _nested_road(field, _nested_load_plan, _fast_load, field.deserialize)
    return field.deserialize


def _string_loader(passes: Callable[[str], bool]) -> Loader:
    def load(value: Any, attr: str | None, data: Any) -> str:
        if value.__class__ is str and passes(value):
            return value
        raise _Unplain

    return load


def _temporal_loader(field: Date | Instant, form: re.Pattern[str], aware: bool) -> Loader:
    """A ``Date`` or an ``Instant`` (``aware``: upper-cased before parsing, its offset required)."""
    parse = field.DESERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
    if parse is None:
        return field.deserialize

    def load(value: Any, attr: str | None, data: Any) -> Any:
        if value.__class__ is str and form.fullmatch(value):
            try:
                moment = parse(value.upper() if aware else value)
            except ValueError:
                raise _Unplain from None
            if not aware or moment.utcoffset() is not None:
                return moment
        raise _Unplain

    return load


def _boolean_loader(value: Any, attr: str | None, data: Any) -> bool:
    if value.__class__ is bool:
        return value
    raise _Unplain


def _only_its_length(field: fields.List) -> bool:
    """Whether the list's only validator is the ``Length`` of ``bounded_list`` (bounds, not an exact size)."""
    return (
        len(field.validators) == 1
        and type(field.validators[0]) is validate.Length
        and field.validators[0].equal is None
    )


def _list_loader(field: BoundedList) -> Loader:
    inner = _loader(field.inner)
    length = field.validators[0]
    low = 0 if length.min is None else length.min
    high = field.max_length if length.max is None else min(length.max, field.max_length)

    def load(value: Any, attr: str | None, data: Any) -> list[Any]:
        if value.__class__ is list and low <= len(value) <= high:
            return [inner(each, None, None) for each in value]
        raise _Unplain

    return load


def _dump_plan(schema: Schema) -> list[tuple[str, tuple[type, ...], Dumper]] | None:
    """(name, the classes of value it dumps as they are, dumper) of each field ``schema`` dumps, or None
    when it needs marshmallow's own loop (hooks, renamed fields, a value got another way than by its key,
    a default for a missing value)."""
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
        plan = [(name, *_dumper(f)) for name, f in schema.dump_fields.items()] if plain else None
        schema.__dict__["_strict_dump_plan"] = plan
    return plan


def _fast_dump(plan: list[tuple[str, tuple[type, ...], Dumper]], obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` dumped field by field as marshmallow's loop dumps it."""
    out = {}
    get = obj.get
    for name, as_they_are, dump in plan:
        value = get(name, missing)
        if value is missing:
            continue
        if value.__class__ in as_they_are or (value := dump(value, name, obj)) is not missing:
            out[name] = value
    return out


def _dumper(field: fields.Field) -> tuple[tuple[type, ...], Dumper]:
    """The classes of value ``field._serialize`` gives back as they are (read off the marshmallow methods
    it uses: ``String`` gives a ``str`` back, ``Field`` anything, every one of them ``None``), and the
    short road that dumps any other value."""
    method = type(field)._serialize
    if method is fields.String._serialize:
        return (str, _NONE), field._serialize
    if method is fields.Field._serialize:
        return (bool, int, str, _NONE), field._serialize
    if method is fields.DateTime._serialize:  # ``_TemporalField``'s: a date, date-time or time by its format
        text = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        if text is not None:
            return (_NONE,), lambda value, attr, obj: text(value)
    if method is fields.List._serialize:
        return (_NONE,), _list_dumper(field)
    if method is fields.Nested._serialize and not field.many:
        return (_NONE,), _nested_road(field, _nested_dump_plan, _fast_dump, field._serialize)
    return (), field._serialize


def _list_dumper(field: fields.List) -> Dumper:
    as_they_are, inner = _dumper(field.inner)

    def dump(value: Any, attr: str | None, obj: Any) -> list[Any]:
        return [each if each.__class__ in as_they_are else inner(each, attr, obj) for each in value]

    return dump


def _nested_road(
    field: fields.Nested,
    plan_of: Callable[[Schema], Any],
    short: Callable[[Any, dict[str, Any]], Any],
    own: Callable[[Any, str | None, Any], Any],
) -> Callable[[Any, str | None, Any], Any]:
    """A ``Nested`` field's value: a dict by its schema's plan (looked up on first use, as a schema may nest
    itself) on the short road, anything else (and every value when the schema has no plan) by ``own``."""
    plan: Any = _Unplain

    def road(value: Any, attr: str | None, data: Any) -> Any:
        nonlocal plan
        if plan is _Unplain:
            plan = plan_of(field.schema)
        if plan is not None and value.__class__ is dict:
            return short(plan, value)
        return own(value, attr, data)

    return road


def _nested_load_plan(schema: Schema) -> list[tuple[str, Loader, bool, Any]] | None:
    """The load plan of a nested schema whose ``load`` of one dict is ``StrictSchema``'s short road with the
    schema's defaults, else None."""
    kind = type(schema)
    planned = (
        isinstance(schema, StrictSchema)
        and (kind.load, kind._do_load, kind._deserialize)
        == (Schema.load, Schema._do_load, StrictSchema._deserialize)
        and not schema.many
        and schema.partial is None
        and schema.unknown == RAISE
    )
    return _load_plan(schema) if planned else None


def _nested_dump_plan(schema: Schema) -> list[tuple[str, tuple[type, ...], Dumper]] | None:
    """The dump plan of a nested schema whose ``dump`` of one dict is ``StrictSchema``'s short road, else
    None."""
    kind = type(schema)
    planned = (
        isinstance(schema, StrictSchema)
        and (kind.dump, kind._serialize) == (Schema.dump, StrictSchema._serialize)
        and not schema.many
    )
    return _dump_plan(schema) if planned else None


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
        self.passes = _string_check(min_length, max_length, self.checks or ())

    def deserialize(
        self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> str | None:
        """A string that passes every check as it is, without marshmallow's machinery around each field
        (the cost of a bulk load); anything else, and every error, as marshmallow gives it."""
        if value.__class__ is str and self.checks is not None and self.passes(value):
            return value
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_CHARACTERS.search(text):
            raise self.make_error("control")
        return text


def _string_check(min_length: int, max_length: int, checks: tuple[Any, ...]) -> Callable[[str], bool]:
    """Whether a string passes the length, has no control character and passes every one of ``checks``
    (each validator as marshmallow runs it, a ``False`` answer or a ``ValidationError`` failing it).

    One regular expression holds the length and the characters; a ``OneOf`` of strings becomes a set (of
    its codes that pass the rest too, so that a code list field is one look-up); a ``Regexp`` its match.
    """
    form = re.compile(f"[^{CONTROL}]{{{min_length},{max_length}}}").fullmatch
    tests: list[Callable[[str], Any]] = []
    codes = None
    for check in checks:
        if type(check) is validate.OneOf and all(choice.__class__ is str for choice in check.choices):
            codes = frozenset(choice for choice in check.choices if form(choice)).__contains__
            tests.append(codes)
        elif type(check) is validate.Regexp:
            tests.append(check.regex.match)
        else:
            tests.append(partial(_passes, check))
    if not tests:
        return lambda text: form(text) is not None
    if codes is not None and len(tests) == 1:
        return codes  # its set holds only strings of the right length and characters

    def passes(text: str) -> bool:
        if form(text) is None:
            return False
        for test in tests:  # noqa: SIM110 - a loop: ``all`` over a generator costs more per string
            if not test(text):
                return False
        return True

    return passes


def _passes(check: Callable[[str], Any], text: str) -> bool:
    try:
        return check(text) is not False
    except ValidationError:
        return False


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
