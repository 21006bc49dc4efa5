"""The rows of one SSDA903 return kept on disk until it is read whole, then run child by child.

The rules compare a child's rows across tables, but the adapter reads a return row by row with flat memory.
``Spool`` writes the rows, pickled (dates stay dates) ``WRITE_BATCH`` at a time, to a private temporary
SQLite database (``sqlite3.connect("")``: on disk, deleted when closed; SQLite's page cache and sorter
memory are bounded), then ``findings`` reads the rows back ordered by child and runs the rules on ``BATCH``
children at a time: memory holds one batch, whatever the size of the return. Every rule of the catalogue
reads one child's rows at a time, so batching by child changes no finding.
Rows spooled within ``last_year()`` are the previous year's return: each batch gives the rules the same
children's rows of it, and the rules that compare with last year run. Rows spooled within ``others()`` are
tables of this year's return that earlier submissions gave: the rules read them with the return's own, and
only the rules reading one of the return's own tables run.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import groupby
from typing import Any

from adapters.base import Finding
from adapters.ssda903_rules import run

#: children whose rows are run through the rules together
BATCH = 250
#: rows written to the spool at a time
WRITE_BATCH = 1000


class Spool:
    """Rows of one return by table, on disk; ``tables`` are the names of the tables the return gave,
    ``other_tables`` those of this year's earlier submissions, and ``previous_tables`` those of last year's
    return (``has_previous``: whether it was given)."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute(
            "CREATE TABLE row (child TEXT NOT NULL, tbl TEXT NOT NULL, data BLOB NOT NULL, prev INTEGER)"
        )
        self.pending: list[tuple[str, str, bytes, int]] = []
        self.tables: set[str] = set()
        self.other_tables: set[str] = set()
        self.previous_tables: set[str] = set()
        self.has_previous = False
        self._into = self.tables  # where ``table`` notes a table: the return's own, unless spooling others
        self._only: frozenset[str] | None = None  # the tables spooled, when not every table read

    @contextmanager
    def last_year(self) -> Iterator[None]:
        """The rows and tables spooled within are last year's return."""
        self.has_previous = True
        with self._spooling_into(self.previous_tables):
            yield

    @contextmanager
    def others(self) -> Iterator[None]:
        """The rows and tables spooled within are this year's, given by earlier submissions."""
        with self._spooling_into(self.other_tables):
            yield

    @contextmanager
    def only(self, tables: frozenset[str] | None) -> Iterator[None]:
        """Within, rows and tables of another table than ``tables`` (if given) are left out."""
        self._only = tables
        try:
            yield
        finally:
            self._only = None

    @contextmanager
    def _spooling_into(self, tables: set[str]) -> Iterator[None]:
        self._into = tables
        try:
            yield
        finally:
            self._into = self.tables

    def table(self, name: str) -> None:
        """The return gives table ``name`` (even when it holds no row)."""
        if self._only is None or name in self._only:
            self._into.add(name)

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        if self._only is not None and table not in self._only:
            return
        self.table(table)
        previous = int(self._into is self.previous_tables)
        self.pending.append((str(row["CHILD"]), table, pickle.dumps(row, 5), previous))
        if len(self.pending) >= WRITE_BATCH:
            self.write()

    def write(self) -> None:
        self.db.executemany("INSERT INTO row VALUES (?, ?, ?, ?)", self.pending)
        self.pending.clear()

    def findings(self, year: int) -> Iterator[Finding]:
        """Every finding of ``year``'s rules, batch by batch of children; the spool is closed at the end."""
        try:
            self.write()  # then sorted by SQLite's own sorter: faster than through an index on child
            rows = self.db.execute("SELECT child, tbl, data, prev FROM row ORDER BY child, rowid")
            batch: tuple[dict[str, list[dict[str, Any]]], ...] = ({}, {})  # this year's rows, last year's
            children = 0
            for _child, group in groupby(rows, key=lambda row: row[0]):
                for _, table, data, previous in group:
                    batch[previous].setdefault(table, []).append(pickle.loads(data))  # noqa: S301 - rows this spool wrote
                children += 1
                if children == BATCH:
                    yield from self.run(*batch, year)
                    batch, children = ({}, {}), 0
            if children or not batch[0]:
                yield from self.run(*batch, year)
        finally:
            self.close()

    def close(self) -> None:
        self.db.close()

    def run(
        self, batch: dict[str, list[dict[str, Any]]], last: dict[str, list[dict[str, Any]]], year: int
    ) -> Iterator[Finding]:
        tables = {name: batch.get(name, []) for name in self.tables | self.other_tables}
        previous = {name: last.get(name, []) for name in self.previous_tables} if self.has_previous else None
        given = self.tables if self.other_tables else None
        if any(tables.values()):
            yield from run(tables, previous, year=year, normalised=True, given=given)
