"""The canonical-json adapter's short road gives exactly what its stream road gives, for ordinary bodies
(which it reads without the event reader) and for anything unusual (which it leaves to the stream road)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from adapters import canonical_json
from adapters.base import Record
from adapters.canonical_json import MAX_DEPTH, CanonicalJsonAdapter, _CaseReader
from tests.adapters.conftest import SAMPLES, canonical_input_case


def nested(levels: int, batch: bool) -> bytes:
    """A case whose deepest array is at ``levels`` as ``_CaseReader`` counts (a batch's case is level 3)."""
    inside = levels - (3 if batch else 1)
    case = b'{"a": ' + b"[" * inside + b"]" * inside + b"}"
    return b'{"cases": [' + case + b"]}" if batch else case


#: bodies the short road reads: every value and shape the stream road reads without a fault
ORDINARY = [
    (SAMPLES / "canonical-json" / "valid-case.json").read_bytes(),
    (SAMPLES / "canonical-json" / "valid-batch.json").read_bytes(),
    json.dumps({"cases": [canonical_input_case(n) for n in range(20)]}, separators=(",", ":")).encode(),
    b"{}",
    b'{"cases": []}',
    b'{"cases": [{}, {"cases": [1]}]}',
    b'\xef\xbb\xbf{"cases": [{"a": 1}]}',
    b' \t\r\n{"cases" :\n[ {"a" : 1} ]\r\n} \t',
    b'{"b": 1, "": 2, "a": {"z": 0, "y": [true, false, null]}}',
    b'{"a": -0, "b": -0.0, "c": 0.0, "d": 1.0, "e": 1, "f": 1E2, "g": 1e+2, "h": 25e-1}',
    b'{"a": 9007199254740991, "b": -9007199254740991, "c": 9007199254740993.0, "d": 1.7976931348623157e308}',
    b'{"a": 4.9e-324, "b": 2.4703282292062328e-324, "c": 123456789012345678901234567890e-20}',
    b'{"a": 0.' + b"1" * 5000 + b', "b": 1' + b"0" * 400 + b".5e-400}",
    rb'{"a": "\u0000\u00e9\u00E9\/\b\f\n\r\t\"\\", "\u00e9": "\u20ac"}',
    '{"a": "\x7f\xa0\u2028\uffff😀 é"}'.encode(),
    nested(MAX_DEPTH, batch=False),
    nested(MAX_DEPTH, batch=True),
]

#: bodies the short road leaves to the stream road: faults of every kind, and what yajl reads otherwise
#: than the standard library
UNUSUAL = [
    b"",
    b"\xef\xbb\xbf",
    b"\xef\xbb\xbf\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",  # UTF-16
    b'{"a": "caf\xe9"}',
    b'{"a": "\xc0\xaf"}',
    b'{"a": "\xed\xa0\x80"}',  # a surrogate in UTF-8
    b'{"a": "\xf4\x90\x80\x80"}',  # beyond U+10FFFF
    rb'{"a": "\ud800"}',
    rb'{"a": "\udc00x"}',
    rb'{"a": "\ud800\u0041"}',
    rb'{"\uD800": 1}',
    rb'{"a": "\ud83d\ude00"}',
    rb'{"a": "\\ud800"}',
    rb'{"a": "\\\udc00"}',
    b'{"a": "\x01"}',
    b'{"a": "\t"}',
    b'\x0c{"a": 1}',
    b'\x0b{"a": 1}',
    b'{"a": 1}\x0c',
    b'\xc2\xa0{"a": 1}',
    b'{"a": 1E400}',
    b'{"a": -1e400}',
    b'{"a": 1.7976931348623159e308}',
    b'{"a": 1e-400}',
    b'{"a": 0e0}',
    b'{"a": 1e-99999999999999999999}',
    b'{"a": 1e99999999999999999999}',
    b'{"a": 0e99999999999999999999}',
    b'{"a": 9007199254740992}',
    b'{"a": -9007199254740992}',
    b'{"a": ' + b"1" * 5000 + b"}",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    b'{"a": 01}',
    b'{"a": 1.}',
    b'{"a": .5}',
    b'{"a": +1}',
    b'{"a": [1,]}',
    b'{"a": "\\x"}',
    b"{'a': 1}",
    b'{"a": 1} {"b": 2}',
    b'{"a": "x"}\x00',
    b'{"cases": [{"a": 1}',
    b'{"cases": [{"a": 1}, {"x": {"a/b~": 1, "a/b~": 2}}, {"b": 2}]}',
    b'{"cases": [{"a": 1}, 2, [3], null, {"b": 4}]}',
    b'{"cases": [{"a": 1}, {"b": 9007199254740992}], "total": 2}',
    b'{"cases": [{"a": 1}], "total": 1}',
    b'{"reference": "x", "cases": []}',
    b'{"cases": {"a": 1}}',
    b'{"cases": null}',
    b"[]",
    b'"case"',
    nested(MAX_DEPTH + 1, batch=False),
    nested(MAX_DEPTH + 1, batch=True),
    b'{"cases": [{"a": 1}, ' + nested(MAX_DEPTH - 1, batch=False) + b"]}",
    b"[" * 5000,
    b'{"a": ' * 5000,
]


def results(stream: io.BytesIO) -> list[Any]:
    """The adapter's records and errors, then the exception that ended them, if any."""
    found: list[Any] = []
    try:
        found.extend(CanonicalJsonAdapter(None).parse(stream))
    except Exception as error:  # noqa: BLE001 - any exception is part of what the two roads must share
        found.append((type(error), getattr(error, "code", None), str(error)))
    return found


def on_stream_road(body: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    with monkeypatch.context() as patch:
        patch.setattr(canonical_json, "SHORT_ROAD_BYTES", 0)
        return results(io.BytesIO(body))


def no_events(*_: Any) -> None:
    raise AssertionError("the body went through the event reader")


@pytest.mark.parametrize("body", ORDINARY)
def test_an_ordinary_body_is_read_without_the_event_reader_as_the_stream_road_reads_it(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = on_stream_road(body, monkeypatch)
    assert all(isinstance(result, Record) for result in expected)
    monkeypatch.setattr(_CaseReader, "feed", no_events)
    assert results(io.BytesIO(body)) == expected


def test_an_ordinary_batch_skips_the_event_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [canonical_input_case(n) for n in range(100)]
    monkeypatch.setattr(_CaseReader, "feed", no_events)
    records = list(CanonicalJsonAdapter(None).parse(io.BytesIO(json.dumps({"cases": cases}).encode())))
    assert [r.data for r in records] == cases
    assert [r.position.pointer for r in records] == [f"/cases/{n}" for n in range(100)]


@pytest.mark.parametrize("body", UNUSUAL)
def test_an_unusual_body_gives_what_the_stream_road_gives(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert results(io.BytesIO(body)) == on_stream_road(body, monkeypatch)


class Trickle(io.BytesIO):
    """A stream that gives at most one byte a read, as a slow socket might."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(1)


@pytest.mark.parametrize("body", [b'\xef\xbb\xbf{"a": 1}', b'{"cases": [{"a": "\xc3\xa9"}]}', b'{"a": 1'])
def test_a_body_read_a_byte_at_a_time_gives_what_the_stream_road_gives(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = results(Trickle(body))
    monkeypatch.setattr(canonical_json, "SHORT_ROAD_BYTES", 0)
    assert short == results(Trickle(body))


def test_only_a_body_that_ends_within_the_limit_takes_the_short_road(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"cases": [{"a": 1}, {"b": "two"}]}'
    expected = on_stream_road(body, monkeypatch)
    monkeypatch.setattr(_CaseReader, "feed", no_events)
    monkeypatch.setattr(canonical_json, "SHORT_ROAD_BYTES", len(body))
    assert results(io.BytesIO(body)) == expected
    monkeypatch.setattr(canonical_json, "SHORT_ROAD_BYTES", len(body) - 1)
    [(kind, _, message)] = results(io.BytesIO(body))
    assert kind is AssertionError and message == "the body went through the event reader"
