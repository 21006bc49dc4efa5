"""CSV written for people to open in a spreadsheet: the metrics cells and a submission's findings.

A text cell that a spreadsheet would read as a formula (OWASP CSV injection) is prefixed with ``'``;
None is an empty cell. ``lines`` yields the CSV a line at a time, so a long list is never held whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

MEDIA_TYPE = "text/csv"
#: characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header line, then each row's line (CRLF-terminated, every cell made safe)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(header)
    yield out.getvalue()
    yield from row_lines(rows)


def row_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each row's line, without a header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([safe(value) for value in row])
        yield out.getvalue()
