"""The canonical-json adapter: both shapes, per-case faults, stream-level faults, and rendering.

Every test runs twice: as shipped, where a small body takes the short road, and with ``SHORT_ROAD_BYTES``
at 0, where every body takes the stream road alone (``test_canonical_json_short_road.py`` compares them).
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from marshmallow import ValidationError

from adapters import canonical_json
from adapters.base import FormatError, Position, Record, RecordError
from adapters.canonical_json import (
    CHUNK_SIZE,
    MAX_DEPTH,
    MAX_RECORD_UNITS,
    SHORT_ROAD_BYTES,
    CanonicalJsonAdapter,
)
from exchange import reference
from schemas.case import CaseInputSchema
from tests.adapters.conftest import SAMPLES, canonical_input_case

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

SAMPLE_DIR = SAMPLES / "canonical-json"


@pytest.fixture(autouse=True, params=["short road", "stream road"])
def road(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "stream road":
        monkeypatch.setattr(canonical_json, "SHORT_ROAD_BYTES", 0)


def parse(body: bytes) -> list[Record | RecordError]:
    return list(CanonicalJsonAdapter(PLACES).parse(io.BytesIO(body)))


def format_error(body: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse(body)
    return caught.value


def batch(*cases: Any) -> bytes:
    return json.dumps({"cases": list(cases)}).encode()


def test_a_single_case_is_one_record_at_the_root() -> None:
    body = (SAMPLE_DIR / "valid-case.json").read_bytes()
    [record] = parse(body)
    assert record == Record("case", json.loads(body), Position(pointer=""))
    CaseInputSchema().load(record.data)


def test_a_batch_is_one_record_per_case_with_its_pointer() -> None:
    body = (SAMPLE_DIR / "valid-batch.json").read_bytes()
    records = parse(body)
    assert [r.position.pointer for r in records] == ["/cases/0", "/cases/1", "/cases/2"]
    assert [r.data for r in records] == json.loads(body)["cases"]
    for record in records:
        CaseInputSchema().load(record.data)


def test_an_empty_batch_has_no_records() -> None:
    assert parse(b'{"cases": []}') == []


def test_a_leading_byte_order_mark_is_ignored() -> None:
    assert parse(b'\xef\xbb\xbf{"cases": [{"a": 1}]}') == [
        Record("case", {"a": 1}, Position(pointer="/cases/0"))
    ]


def test_numbers_become_plain_ints_and_floats() -> None:
    [record] = parse(b'{"a": 10, "b": 1.5, "c": -0.0, "d": 1e-400, "e": 9007199254740991, "f": 2.5e10}')
    assert record.data == {"a": 10, "b": 1.5, "c": -0.0, "d": 0.0, "e": 2**53 - 1, "f": 2.5e10}
    assert [type(v) for v in record.data.values()] == [int, float, float, float, int, float]


@pytest.mark.parametrize("number", [b"9007199254740992", b"-9007199254740992", b"1e400", b"-1e400"])
def test_a_number_out_of_range_rejects_its_case_only(number: bytes) -> None:
    body = b'{"cases": [{"a": 1}, {"b": [0, {"c": ' + number + b'}]}, {"d": 2}]}'
    first, error, last = parse(body)
    assert error == RecordError(
        Position(pointer="/cases/1/b/1/c"),
        "json.number_out_of_range",
        "A number is outside the range JSON can carry.",
    )
    assert (first.data, last.data) == ({"a": 1}, {"d": 2})


def test_a_duplicate_key_rejects_its_case_with_an_escaped_pointer() -> None:
    [error, record] = parse(b'{"cases": [{"x": {"a/b~": 1, "a/b~": 2}}, {"y": 1}]}')
    assert isinstance(error, RecordError) and error.code == "json.duplicate_key"
    assert error.position.pointer == "/cases/0/x/a~1b~0"
    assert record.data == {"y": 1}


def test_a_case_that_is_not_an_object_rejects_only_itself() -> None:
    results = parse(b'{"cases": [1, [2], {"a": 3}, null]}')
    assert [(type(r).__name__, r.position.pointer) for r in results] == [
        ("RecordError", "/cases/0"),
        ("RecordError", "/cases/1"),
        ("Record", "/cases/2"),
        ("RecordError", "/cases/3"),
    ]
    assert {r.code for r in results if isinstance(r, RecordError)} == {"json.not_an_object"}


def test_a_huge_array_inside_a_case_rejects_that_case_and_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(canonical_json, "MAX_RECORD_UNITS", 10_000)
    huge = b"[" + b",".join([b"0"] * 20_000) + b"]"
    error, record = parse(b'{"cases": [{"children": ' + huge + b'}, {"a": 1}]}')
    assert error == RecordError(
        Position(pointer="/cases/0"), "json.record_too_large", "The case is larger than the exchange accepts."
    )
    assert record == Record("case", {"a": 1}, Position(pointer="/cases/1"))


def test_the_case_size_limit_counts_characters() -> None:
    # start and end of the object 2 units, the key 1 + 1 character, the value 1 + its length
    just = json.dumps({"a": "x" * (MAX_RECORD_UNITS - 5)}).encode()
    assert isinstance(parse(just)[0], Record)
    over = json.dumps({"a": "x" * (MAX_RECORD_UNITS - 4)}).encode()
    assert parse(over)[0].code == "json.record_too_large"


def test_a_huge_batch_is_read_case_by_case() -> None:
    count = SHORT_ROAD_BYTES // 4  # 9 bytes a case: over twice what the short road takes
    body = b'{"cases": [' + b",".join([b'{"a": 1}'] * count) + b"]}"
    stream = io.BytesIO(body)
    results = CanonicalJsonAdapter(PLACES).parse(stream)
    assert next(results).position.pointer == "/cases/0"
    assert stream.tell() < len(body)
    assert sum(1 for _ in results) == count - 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "json.empty"),
        (b'{"a": }', "json.malformed"),
        (b'{"a": NaN}', "json.malformed"),
        (b'{"a": 1e99999999999999999999}', "json.number_out_of_range"),
        (b"{'a': 1}", "json.malformed"),
        (b'{"a": "caf\xe9"}', "json.invalid_utf8"),  # Latin-1, not UTF-8
        (b'{"a": "\xc0\xaf"}', "json.invalid_utf8"),  # an overlong encoding of "/"
        (b'{"cases": [{"a": 1}', "json.truncated"),
        (b'{"a": 1} {"b": 2}', "json.trailing_data"),
        (b"[]", "json.shape"),
        (b'"case"', "json.shape"),
        (b'{"cases": {"a": 1}}', "json.shape"),
        (b'{"cases": [], "total": 0}', "json.shape"),
        (b'{"reference": "x", "cases": []}', "json.shape"),
    ],
)
def test_unreadable_streams_are_format_errors(body: bytes, code: str) -> None:
    assert format_error(body).code == code


def test_a_format_error_never_quotes_the_input() -> None:
    error = format_error(b'{"first_name": "Synthetic-Secret", "x": ]')
    assert "Synthetic" not in error.message and "Synthetic" not in str(error)


def test_nesting_is_bounded() -> None:
    def nested(levels: int) -> bytes:  # the case object itself is level 1
        return b'{"a": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"

    assert len(parse(nested(MAX_DEPTH))) == 1
    assert format_error(nested(MAX_DEPTH + 1)).code == "json.too_deep"
    assert format_error(b"{" + b'"a":{' * 100_000).code == "json.too_deep"


def test_records_are_not_validated_here() -> None:
    case = canonical_input_case(7)
    case["date_received"] = "06/01/2025"
    case["nickname"] = "unknown field"
    [record] = parse(json.dumps(case).encode())
    with pytest.raises(ValidationError) as caught:
        CaseInputSchema().load(record.data)
    assert caught.value.messages == {
        "date_received": ["Not an ISO 8601 date (YYYY-MM-DD)."],
        "nickname": ["Unknown field."],
    }


class ChunkCounter(io.BytesIO):
    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def test_parse_reads_fixed_chunks() -> None:
    stream = ChunkCounter(batch(*[{"a": "x" * 1000}] * 200))
    assert len(list(CanonicalJsonAdapter(PLACES).parse(stream))) == 200
    assert set(stream.reads) == {CHUNK_SIZE}


def test_render_writes_a_batch_incrementally() -> None:
    chunks = list(CanonicalJsonAdapter(PLACES).render(iter([{"a": 1}, {"b": "é"}])))
    assert chunks == [b'{"cases":[', b'{"a":1}', b',{"b":"\xc3\xa9"}', b"]}"]
    assert b"".join(CanonicalJsonAdapter(PLACES).render([])) == b'{"cases":[]}'


def test_render_writes_loaded_dates_instants_and_ids_in_their_json_forms() -> None:
    ident = uuid.uuid4()
    record = {"id": ident, "on": date(2025, 1, 7), "at": datetime(2025, 1, 7, 10, tzinfo=UTC)}
    body = b"".join(CanonicalJsonAdapter(PLACES).render([record]))
    assert json.loads(body) == {
        "cases": [{"id": str(ident), "on": "2025-01-07", "at": "2025-01-07T10:00:00+00:00"}]
    }


def test_render_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(ValueError):
        b"".join(CanonicalJsonAdapter(PLACES).render([{"a": float("nan")}]))
    with pytest.raises(TypeError):
        b"".join(CanonicalJsonAdapter(PLACES).render([{"a": {1, 2}}]))


def test_rendered_cases_parse_back_unchanged() -> None:
    cases = [canonical_input_case(n) for n in range(3)]
    body = b"".join(CanonicalJsonAdapter(PLACES).render(cases))
    assert [r.data for r in parse(body)] == cases
