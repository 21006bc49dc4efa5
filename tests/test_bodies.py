"""Received bodies: spooled and hashed as they are read, to disk beyond a size, refused past a limit."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from exchange.bodies import SPOOL_IN_MEMORY, Body, TooLarge


def test_a_spooled_body_is_hashed_and_read_back_from_the_start():
    parts = [b"abc", b"", b"def"]
    with Body.spool(parts) as body:
        assert (body.sha256, body.size) == (hashlib.sha256(b"abcdef").hexdigest(), 6)
        assert body.open().read() == b"abcdef"
        assert body.open().read(3) == b"abc"  # each open rewinds


def test_a_large_body_goes_to_a_temporary_file_not_memory():
    chunk = b"x" * 65536
    tracemalloc.start()
    try:
        with Body.spool(chunk for _ in range(8 * SPOOL_IN_MEMORY // len(chunk))) as body:
            peak = tracemalloc.get_traced_memory()[1]
            assert body.size == 8 * SPOOL_IN_MEMORY
    finally:
        tracemalloc.stop()
    assert peak < 2 * SPOOL_IN_MEMORY  # at most what stays in memory before it rolls over to disk


def test_a_body_past_its_limit_is_refused_as_soon_as_it_passes():
    def endless():
        while True:
            yield b"z" * 1000

    with pytest.raises(TooLarge):
        Body.spool(endless(), limit=10_000)


def test_a_file_is_hashed_and_read_in_place(tmp_path):
    path = tmp_path / "return.csv"
    path.write_bytes(b"CHILD,SEX\n1,1\n")
    with Body.from_path(path) as body:
        assert body.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert list(body.chunks()) == [path.read_bytes()]
