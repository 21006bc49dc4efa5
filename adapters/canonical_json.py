"""The exchange's own JSON: one case object, or a batch ``{"cases": [...]}``, read and written as a stream.

Reading (the stream road) feeds the body to ijson's push parser in fixed-size chunks and builds one case at
a time from its events, so memory follows the largest case, not the file. Each case becomes a
``Record("case", data, Position(pointer="/cases/3"))`` (pointer ``""`` for a single case) holding plain JSON
types: strings, booleans, None, ints and finite floats. Field checks are the schemas' job, not this module's.

A case with a duplicate key, a number outside the interoperable range (RFC 7493: integers within
+-(2**53 - 1), finite floats) or more content than ``MAX_RECORD_UNITS`` yields a ``RecordError`` and the
others go on. Anything that makes the stream unreadable raises ``FormatError``: malformed JSON, invalid
UTF-8, a truncated body, trailing data, nesting deeper than ``MAX_DEPTH``, or a top-level value that is
neither a case object nor a batch. Error messages never echo the input (it may hold personal data).

The short road, for small bodies: a body that ends within ``SHORT_ROAD_BYTES`` is read whole and given to
the standard library's ``json``, which builds its cases in C, several times cheaper than building them from
events in Python. Its records are yielded only if nothing in it is out of the ordinary: valid UTF-8,
well-formed JSON, no duplicate key, no NaN or Infinity, no ``\\u`` escape of a surrogate, integers in
range, finite floats (a zero only if written without an exponent), nesting within ``MAX_DEPTH``, one of the
two shapes with every batch item an object. Anything else is read again from its first byte on the stream
road, so every record, error, code, message and pointer is the stream road's own: the short road only ever
yields what the stream road yields for the same bytes, and its memory follows ``SHORT_ROAD_BYTES``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import chain
from typing import Any, BinaryIO
from uuid import UUID

import ijson

from adapters.base import Adapter, FormatError, Position, Record, RecordError
from schemas import error_codes as codes

CHUNK_SIZE = 64 * 1024
MAX_DEPTH = 32
#: content budget of one case: one unit per value or key, plus one per character of each string
MAX_RECORD_UNITS = 2_000_000
MAX_SAFE_INTEGER = 2**53 - 1
BOM = b"\xef\xbb\xbf"
#: a body that ends within this many bytes tries the short road first. Every unit of a case's budget costs
#: at least one byte of its JSON text (a value or key at least its one character or two quotes, each
#: character of a string at least one byte, a container's start and end one byte each), so a case in such a
#: body can never go over ``MAX_RECORD_UNITS``, the one fault the short road does not look for (``parse``
#: takes it for no more bytes than that budget, should the budget ever be set lower)
SHORT_ROAD_BYTES = 1024 * 1024
#: a \u escape of a UTF-16 surrogate: yajl reads a lone one otherwise than ``json`` (as "?", as the next
#: escape's pair, or as invalid UTF-8), so any such escape takes the stream road
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

#: a body that cannot be read as JSON at all, by code; the API's other JSON bodies are refused with the same
#: codes and messages (``exchange.api.blueprint``)
JSON_FAULTS = {
    codes.JSON_EMPTY: "The body is empty.",
    codes.JSON_INVALID_UTF8: "The body is not valid UTF-8.",
    codes.JSON_TRUNCATED: "The JSON text ends before it is complete.",
    codes.JSON_TRAILING_DATA: "There is more data after the JSON value.",
    codes.JSON_MALFORMED: "The body is not well-formed JSON.",
    codes.JSON_NUMBER_OUT_OF_RANGE: "A number in the body is too long to read.",
}
# ijson passes on yajl's messages, which quote the input; these substrings pick a code, whose message does not
_PARSER_FAULTS = (
    ("invalid bytes in UTF8", codes.JSON_INVALID_UTF8),
    ("premature EOF", codes.JSON_TRUNCATED),
    ("trailing garbage", codes.JSON_TRAILING_DATA),
)


class CanonicalJsonAdapter(Adapter):
    name = "canonical-json"
    description = 'The exchange\'s own JSON: one case, or {"cases": [...]}'
    media_types = ("application/json",)
    default_for = ("application/json",)
    inbound = True
    outbound = True

    def parse(self, stream: BinaryIO) -> Iterator[Record | RecordError]:
        chunks, ended = _chunks_within(stream, min(SHORT_ROAD_BYTES, MAX_RECORD_UNITS))
        if ended and (records := _short_road(chunks)) is not None:
            yield from records
            return
        reader = _CaseReader()
        for event, value in _events(chunks if ended else chain(chunks, _chunks(stream))):
            if (record := reader.feed(event, value)) is not None:
                yield record

    def render(self, records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
        yield b'{"cases":['
        for index, record in enumerate(records):
            text = json.dumps(
                record, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_jsonable
            )
            yield (b"," if index else b"") + text.encode("utf-8")
        yield b"]}"


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The rest of the stream, ``CHUNK_SIZE`` bytes a read."""
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def _chunks_within(stream: BinaryIO, limit: int) -> tuple[list[bytes], bool]:
    """The stream's first chunks, up to just over ``limit`` bytes, and whether it ended within them."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        if not (chunk := stream.read(CHUNK_SIZE)):
            return chunks, True
        chunks.append(chunk)
        size += len(chunk)
    return chunks, False


class _Unusual(Exception):
    """Something the short road leaves to the stream road."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        raise _Unusual  # a duplicate key
    return value


def _float(text: str) -> float:
    """A non-integer number as the stream road reads it (``float(Decimal(text))``), or ``_Unusual``.

    Decimal refuses an exponent beyond about +-10**18 (the stream road then fails otherwise than on a
    number out of range); ``float`` reads such a number as 0 or infinity, as no mantissa short enough to
    fit in ``SHORT_ROAD_BYTES`` brings it back into range. So a zero written with an exponent is left to
    the stream road, as is anything infinite."""
    number = float(text)
    if math.isfinite(number) and (number or not ("e" in text or "E" in text)):
        return number
    raise _Unusual


def _refuse(text: str) -> Any:
    raise _Unusual  # NaN, Infinity or -Infinity, which JSON does not have


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_constant=_refuse)


def _short_road(chunks: list[bytes]) -> list[Record] | None:
    """The records of a whole body read by the standard library, or None if anything in it is unusual."""
    if not chunks:
        return None
    try:
        # the byte order mark skipped as ``_events`` skips it, from the first chunk only
        text = b"".join([chunks[0].removeprefix(BOM), *chunks[1:]]).decode("utf-8")
        if "\\" in text and _SURROGATE_ESCAPE.search(text):  # the first test is the cheaper by far
            return None
        value = _DECODER.decode(text)
    except (ValueError, RecursionError, _Unusual):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if type(value) is not dict:
        return None
    if "cases" not in value:
        cases, depth, pointers = [value], 1, [""]
    elif len(value) == 1 and type(cases := value["cases"]) is list:
        depth, pointers = 3, [f"/cases/{index}" for index in range(len(cases))]
    else:
        return None
    if not all(type(case) is dict and _ordinary(case, depth) for case in cases):
        return None
    return [
        Record("case", case, Position(pointer=pointer)) for case, pointer in zip(cases, pointers, strict=True)
    ]


def _ordinary(container: dict[str, Any] | list[Any], depth: int) -> bool:
    """Whether a container at ``depth`` (counted as ``_CaseReader`` counts) and all in it nest within
    ``MAX_DEPTH`` and hold integers within +-``MAX_SAFE_INTEGER`` (``_float`` has seen to the floats)."""
    if depth > MAX_DEPTH:
        return False
    for item in container.values() if type(container) is dict else container:
        kind = type(item)
        if kind is str:  # the most common by far
            continue
        if kind is dict or kind is list:
            if not _ordinary(item, depth + 1):
                return False
        elif kind is int and not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            return False
    return True


def _events(chunks: Iterable[bytes]) -> Iterator[tuple[str, Any]]:
    """ijson's basic events of the body in these chunks; a leading byte order mark is skipped."""
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    first = True
    try:
        for chunk in chunks:
            if first:
                # RFC 8259 section 8.1: a parser may ignore a byte order mark
                chunk = chunk.removeprefix(BOM)
                first = False
            parser.send(chunk)
            yield from events
            del events[:]
        if first:
            raise _fault(codes.JSON_EMPTY)
        parser.close()
    except ijson.JSONError as error:
        raise _fault(_parser_fault(str(error))) from None
    except UnicodeDecodeError:
        # yajl lets some invalid sequences through (overlong forms); Python's decoder does not
        raise _fault(codes.JSON_INVALID_UTF8) from None
    except SystemError as error:
        # yajl's C callback cannot hand Python an integer longer than it converts (sys.int_info):
        # the ValueError surfaces wrapped, as the context of a SystemError
        if not isinstance(error.__context__, ValueError):
            raise
        raise _fault(codes.JSON_NUMBER_OUT_OF_RANGE) from None
    except InvalidOperation:
        # an exponent too long for the decimal module, which reads each number ijson's C parser meets
        raise _fault(codes.JSON_NUMBER_OUT_OF_RANGE) from None
    yield from events


def _parser_fault(detail: str) -> str:
    return next((code for marker, code in _PARSER_FAULTS if marker in detail), codes.JSON_MALFORMED)


def _fault(code: str) -> FormatError:
    return FormatError(code, JSON_FAULTS[code])


class _CaseReader:
    """Turns the event stream into case records; knows the two top-level shapes."""

    def __init__(self) -> None:
        self.depth = 0
        # start -> top (first key pending) -> single | batch_open -> batch -> after_batch -> done
        self.state = "start"
        self.builder: _ValueBuilder | None = None
        self.index = 0

    def feed(self, event: str, value: Any) -> Record | RecordError | None:
        """The case this event completes, if it completes one."""
        if event in ("start_map", "start_array"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormatError(codes.JSON_TOO_DEEP, f"The JSON nests deeper than {MAX_DEPTH} levels.")
        elif event in ("end_map", "end_array"):
            self.depth -= 1

        if self.builder is not None:
            if self.state == "single" and self.depth == 1 and event == "map_key" and value == "cases":
                raise FormatError(codes.JSON_SHAPE, 'A batch holds only the key "cases", and holds it first.')
            return self._build(event, value)
        if self.state == "start":
            if event != "start_map":
                raise FormatError(
                    codes.JSON_SHAPE, 'The body must be one case object or a batch {"cases": [...]}.'
                )
            self.state = "top"
        elif self.state == "top":
            if event == "map_key" and value == "cases":
                self.state = "batch_open"
            else:
                self.state = "single"
                self.builder = _ValueBuilder("")
                self.builder.feed("start_map", None)
                return self._build(event, value)
        elif self.state == "batch_open":
            if event != "start_array":
                raise FormatError(codes.JSON_SHAPE, 'In a batch, "cases" must be an array of case objects.')
            self.state = "batch"
        elif self.state == "batch":
            if event == "end_array":
                self.state = "after_batch"
            else:
                self.builder = _ValueBuilder(f"/cases/{self.index}")
                return self._build(event, value)
        elif self.state == "after_batch":
            if event != "end_map":
                raise FormatError(codes.JSON_SHAPE, 'A batch holds only the key "cases".')
            self.state = "done"
        return None

    def _build(self, event: str, value: Any) -> Record | RecordError | None:
        assert self.builder is not None
        self.builder.feed(event, value)
        if not self.builder.complete:
            return None
        result = self.builder.result()
        self.builder = None
        if self.state == "single":
            self.state = "done"
        else:
            self.index += 1
        return result


class _ValueBuilder:
    """Builds one case from events, noting its first fault (duplicate key, number, size), not raising."""

    def __init__(self, pointer: str) -> None:
        self.pointer = pointer
        self.stack: list[dict[str, Any] | list[Any]] = []
        self.path: list[str] = []
        self.keys: list[str | None] = []
        self.value: Any = None
        self.complete = False
        self.units = 0
        self.fault: RecordError | None = None

    def feed(self, event: str, value: Any) -> None:
        self.units += 1 + (len(value) if isinstance(value, str) else 0)
        if self.units > MAX_RECORD_UNITS and self.fault is None:
            self._fault(
                self.pointer, "json.record_too_large", "The case is larger than the exchange accepts."
            )
        if event == "map_key":
            container = self.stack[-1]
            if value in container and self.fault is None:
                self._fault(
                    self._here(value), "json.duplicate_key", "A key appears twice in the same object."
                )
            self.keys[-1] = value
        elif event in ("start_map", "start_array"):
            self.stack.append({} if event == "start_map" else [])
            self.keys.append(None)
        elif event in ("end_map", "end_array"):
            self.keys.pop()
            self._add(self.stack.pop())
        else:
            self._add(self._scalar(event, value))

    def result(self) -> Record | RecordError:
        if self.fault is not None:
            return self.fault
        if not isinstance(self.value, dict):
            return RecordError(
                Position(pointer=self.pointer), codes.JSON_NOT_AN_OBJECT, "A case must be a JSON object."
            )
        return Record("case", self.value, Position(pointer=self.pointer))

    def _scalar(self, event: str, value: Any) -> Any:
        if event != "number":
            return value
        if isinstance(value, Decimal):
            number = float(value)
            if not math.isfinite(number):
                self._number_fault()
            return number
        if abs(value) > MAX_SAFE_INTEGER:
            self._number_fault()
        return value

    def _add(self, value: Any) -> None:
        if not self.stack:
            self.value = value
            self.complete = True
        elif self.fault is not None:
            return  # a faulty case is reported, not kept: stop growing it
        elif isinstance(container := self.stack[-1], dict):
            container[self.keys[-1]] = value
        else:
            container.append(value)

    def _here(self, key: str | None = None) -> str:
        """The JSON pointer of the value being read (``key``: of a key just read in the innermost object)."""
        tokens = [
            str(len(container)) if isinstance(container, list) else str(current)
            for container, current in zip(
                self.stack, [*self.keys[:-1], self.keys[-1] if key is None else key], strict=True
            )
        ]
        return self.pointer + "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)

    def _number_fault(self) -> None:
        if self.fault is None:
            self._fault(
                self._here(), codes.JSON_NUMBER_OUT_OF_RANGE, "A number is outside the range JSON can carry."
            )

    def _fault(self, pointer: str, code: str, message: str) -> None:
        self.fault = RecordError(Position(pointer=pointer), code, message)


def _jsonable(value: Any) -> str:
    """Dates, instants and UUIDs of a loaded canonical record in their JSON forms."""
    if isinstance(value, date | UUID):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise TypeError(f"{type(value).__name__} is not a canonical JSON value")
