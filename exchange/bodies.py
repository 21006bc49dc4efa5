"""Received bodies that are never held whole in memory: spooled to a temporary file while hashed.

A ``Body`` is a readable binary file with its SHA-256 and size, computed as it was read. The HTTP API
spools the request stream (inflated when gzip) into one; ``exchange import`` hashes the file it was given
and reads it in place. Intake stores the body in chunks (``exchange.store.submissions.store_body``) and
the adapters read it from the start with ``open()``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, BinaryIO

#: bodies up to this size stay in memory; larger ones roll over to a temporary file
SPOOL_IN_MEMORY = 1024 * 1024
#: what is read or written at a time
CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The body grew past the limit it was spooled under."""


class Body:
    """A body's bytes (a readable binary file), its SHA-256 and its size in bytes."""

    def __init__(self, file: BinaryIO | IO[bytes], sha256: str, size: int) -> None:
        self._file = file
        self.sha256 = sha256
        self.size = size

    @classmethod
    def spool(cls, chunks: Iterable[bytes], limit: int | None = None) -> Body:
        """The body made of ``chunks``, kept in memory up to ``SPOOL_IN_MEMORY`` and on disk beyond;
        ``TooLarge`` as soon as it passes ``limit`` bytes."""
        file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the Body owns it
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise TooLarge
                digest.update(chunk)
                file.write(chunk)
        except BaseException:
            file.close()
            raise
        return cls(file, digest.hexdigest(), size)

    @classmethod
    def of(cls, content: bytes) -> Body:
        """A body already in memory (the demo loader's small batches)."""
        return cls.spool([content])

    @classmethod
    def from_path(cls, path: Path) -> Body:
        """A file on disk, hashed in one pass and then read in place."""
        file = path.open("rb")
        digest, size = hashlib.sha256(), 0
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return cls(file, digest.hexdigest(), size)

    def open(self) -> BinaryIO:
        """The file, positioned at its first byte (each call rewinds it)."""
        self._file.seek(0)
        return self._file  # type: ignore[return-value]

    def chunks(self) -> Iterable[bytes]:
        """The bytes from the start, ``CHUNK`` at a time."""
        file = self.open()
        while chunk := file.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Body:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
