"""The contract every installed adapter keeps (``adapters/base.py``), run against each entry point.

Conventions an adapter's author follows to be tested here (nothing is skipped: a missing piece fails):

* ``samples/<adapter name>/valid*`` (any extension): for an inbound adapter, at least one such file;
  each parses to at least one ``Record`` and no ``RecordError``. Other samples there are the
  adapter's own business.
* ``LARGE_INPUTS[<adapter name>]`` in ``conftest.py``: for an inbound adapter, ``function(n) -> bytes``,
  one document of at least ``n`` records; the suite parses it through a stream that records every read.
* Outbound adapters render ``conftest.canonical_cases(n)`` (synthetic cases in the output shape).

What is checked: sane class attributes; ``parse`` yields only ``Record``/``RecordError`` with non-empty
positions, in source order, records holding JSON types only; it reads in bounded pieces, yields the
first record before the stream is exhausted, and its memory does not grow with the input; a stream of
garbage raises ``FormatError`` or yields errors, never another exception; ``render`` yields bytes
incrementally; an adapter that goes both ways reads back what it wrote; importing the adapter's module
imports no flask, sqlalchemy or exchange module.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest

from adapters.base import Adapter, Finding, FormatError, Record, RecordError
from adapters.registry import GROUP, installed
from exchange import reference
from tests.adapters.conftest import LARGE_INPUTS, SAMPLES, canonical_cases

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

ROOT = SAMPLES.parents[2]

ADAPTERS = installed()
INBOUND = [name for name, adapter in ADAPTERS.items() if adapter.inbound]
OUTBOUND = [name for name, adapter in ADAPTERS.items() if adapter.outbound]
BOTH = [name for name in INBOUND if name in OUTBOUND]
VALID_SAMPLES = [
    pytest.param(name, path, id=f"{name}/{path.name}")
    for name in INBOUND
    for path in sorted((SAMPLES / name).glob("valid*"))
]
MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]+")
LARGE_N = 4000
MEMORY_N = 1000
#: no single read may ask for more than this (a read of the whole stream would defeat streaming)
MAX_READ = 1024 * 1024


class WatchedStream(io.BytesIO):
    """A binary stream that records the largest amount any one call asked for or returned."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.size = len(body)
        self.largest_read = 0

    def _note(self, size: int | None, got: int) -> None:
        asked = self.size if size is None or size < 0 else size
        self.largest_read = max(self.largest_read, asked, got)

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._note(size, len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        self._note(size, len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        got = super().readinto(buffer)
        self._note(len(buffer), got)
        return got

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self._note(len(data), len(data))
        return data

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        raise AssertionError("readlines() reads the whole stream")

    @property
    def exhausted(self) -> bool:
        return self.tell() >= self.size


def is_json_value(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_json_value(item) for key, item in value.items())
    if isinstance(value, list):
        return all(is_json_value(item) for item in value)
    return value is None or isinstance(value, str | bool | int | float)


def order_key(result: Record | RecordError) -> tuple[int, ...]:
    """Where a result stands, for the order check: line or row, then the index in a JSON pointer."""
    position = result.position
    index = re.match(r"/[^/]+/(\d+)", position.pointer or "")
    return tuple(
        value
        for value in (position.line, position.row, int(index.group(1)) if index else None)
        if value is not None
    )


def parse_all(adapter: Adapter, body: bytes) -> list[Record | RecordError]:
    return list(adapter.parse(io.BytesIO(body)))


def large_input(name: str, n: int) -> bytes:
    if name not in LARGE_INPUTS:
        pytest.fail(f"add LARGE_INPUTS[{name!r}] in tests/adapters/conftest.py")
    return LARGE_INPUTS[name](n)


@pytest.mark.parametrize("name", ADAPTERS)
def test_class_attributes_are_sane(name: str) -> None:
    adapter = ADAPTERS[name]
    assert adapter.name == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert isinstance(adapter.description, str) and adapter.description.strip()
    assert isinstance(adapter.media_types, tuple) and adapter.media_types
    assert all(MEDIA_TYPE.fullmatch(media_type) for media_type in adapter.media_types)
    assert set(adapter.default_for) <= set(adapter.media_types)
    assert adapter.inbound or adapter.outbound
    assert (adapter.parse is not Adapter.parse) == adapter.inbound
    assert (adapter.render is not Adapter.render) == adapter.outbound


def test_no_two_inbound_adapters_are_the_default_for_one_media_type() -> None:
    defaults = [media_type for name in INBOUND for media_type in ADAPTERS[name].default_for]
    assert len(defaults) == len(set(defaults))


@pytest.mark.parametrize("name", INBOUND)
def test_every_inbound_adapter_has_a_valid_sample(name: str) -> None:
    assert list((SAMPLES / name).glob("valid*")), f"add samples/{name}/valid*"


@pytest.mark.parametrize(("name", "path"), VALID_SAMPLES)
def test_a_valid_sample_parses_to_records_in_order(name: str, path: Any) -> None:
    # a statutory-return rule breach is a finding beside the records, not a rejection
    results = [r for r in parse_all(ADAPTERS[name](PLACES), path.read_bytes()) if not isinstance(r, Finding)]
    assert results and all(isinstance(result, Record) for result in results), results
    for record in results:
        assert record.position.as_dict(), "every record says where it stands"
        assert isinstance(record.kind, str) and record.kind
        assert is_json_value(record.data) and isinstance(record.data, dict)
    keys = [order_key(result) for result in results]
    assert keys == sorted(keys)


@pytest.mark.parametrize("name", INBOUND)
def test_parse_streams(name: str) -> None:
    stream = WatchedStream(large_input(name, LARGE_N))
    results = ADAPTERS[name](PLACES).parse(stream)
    first = next(results)
    assert isinstance(first, Record), first
    assert not stream.exhausted, "the first record came only after the whole stream was read"
    rest = list(results)
    assert all(isinstance(result, Record | Finding) for result in rest)
    assert 1 + sum(isinstance(result, Record) for result in rest) >= LARGE_N
    assert stream.largest_read <= MAX_READ


@pytest.mark.parametrize("name", INBOUND)
def test_parse_memory_does_not_grow_with_the_input(name: str) -> None:
    def peak(n: int) -> int:
        body = large_input(name, n)
        tracemalloc.start()
        try:
            for _ in ADAPTERS[name](PLACES).parse(io.BytesIO(body)):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    for _ in ADAPTERS[name](PLACES).parse(io.BytesIO(large_input(name, 10))):
        pass  # first use fills caches (schemas, code lists) that are not per-input memory
    small, large = peak(MEMORY_N // 4), peak(MEMORY_N)
    assert large < 2 * small + 256 * 1024, (small, large)


@pytest.mark.parametrize("name", INBOUND)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe garbage \x80",
        b"<" * 10,
        b"{" * 10,
        b"\xef\xbb\xbf",
        b'{"\xc0\xaf": "\xed\xa0\x80"}\n<a \xc0\xaf="\xed\xa0\x80"/>\nA,\xc0\xaf\n',
    ],
    ids=["empty", "binary", "angles", "braces", "bom-only", "overlong-utf8-and-surrogate"],
)
def test_garbage_is_a_format_error_or_record_errors_never_a_crash(name: str, body: bytes) -> None:
    try:
        results = parse_all(ADAPTERS[name](PLACES), body)
    except FormatError as error:
        assert error.code and error.message
    else:
        assert all(isinstance(result, RecordError) and result.position.as_dict() for result in results)


@pytest.mark.parametrize("name", OUTBOUND)
def test_render_streams_bytes(name: str) -> None:
    consumed = 0

    def cases() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for case in canonical_cases(50):
            consumed += 1
            yield case

    chunks = ADAPTERS[name](PLACES).render(cases())
    first = next(chunks)
    assert isinstance(first, bytes)
    assert consumed < 50, "render read every record before writing anything"
    assert all(isinstance(chunk, bytes) for chunk in chunks)


@pytest.mark.parametrize("name", BOTH)
def test_what_is_rendered_parses_back_to_the_same_records(name: str) -> None:
    adapter = ADAPTERS[name](PLACES)
    cases = list(canonical_cases(5))
    body = b"".join(adapter.render(cases))
    results = parse_all(adapter, body)
    assert [result.data for result in results if isinstance(result, Record)] == cases


def entry_modules() -> Iterable[tuple[str, str]]:
    for entry in entry_points(group=GROUP):
        yield entry.name, entry.value.partition(":")[0]


@pytest.mark.parametrize(("name", "module"), sorted(entry_modules()))
def test_importing_an_adapter_imports_no_gateway_code(name: str, module: str) -> None:
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "gateway = {'flask', 'sqlalchemy', 'exchange'}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in gateway)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    )
    assert json.loads(result.stdout) == []
