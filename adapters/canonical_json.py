"""The exchange's own JSON: one case object, or a batch ``{"cases": [...]}``, read and written as a stream.

Reading feeds the body to ijson's push parser in fixed-size chunks and builds one case at a time, so
memory follows the largest case, not the file. Each case becomes a ``Record("case", data,
Position(pointer="/cases/3"))`` (pointer ``""`` for a single case) holding plain JSON types: strings,
booleans, None, ints and finite floats. Field checks are the schemas' job, not this module's.

A case with a duplicate key, a number outside the interoperable range (RFC 7493: integers within
+-(2**53 - 1), finite floats) or more content than ``MAX_RECORD_UNITS`` yields a ``RecordError`` and the
others go on. Anything that makes the stream unreadable raises ``FormatError``: malformed JSON, invalid
UTF-8, a truncated body, trailing data, nesting deeper than ``MAX_DEPTH``, or a top-level value that is
neither a case object nor a batch. Error messages never echo the input (it may hold personal data).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
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
        reader = _CaseReader()
        for event, value in _events(stream):
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


def _events(stream: BinaryIO) -> Iterator[tuple[str, Any]]:
    """ijson's basic events, read ``CHUNK_SIZE`` bytes at a time; a leading byte order mark is skipped."""
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    first = True
    try:
        while chunk := stream.read(CHUNK_SIZE):
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
