"""A submission's findings: the DfE validation rules its stored records break (``adapters.base.Finding``).

They are written in the transaction that stores the records (so a refused or atomic-rejected submission
keeps none) and read back in the order they were found: a page at a time after a sequence number, or
all of them streamed for the CSV (``COLUMNS``, DfE's error report's columns and the position).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exchange.models import ReturnFinding

COLUMNS = ("code", "severity", "record", "line", "xpath", "table", "row", "column", "message")
PAGE_ROWS = 100


def add_many(session: Session, submission_id: uuid.UUID, findings: Sequence[dict[str, Any]]) -> None:
    """Store findings ``{code, severity, record, position, message}`` of one submission."""
    if findings:
        session.execute(
            insert(ReturnFinding).execution_options(insertmanyvalues_page_size=PAGE_ROWS),
            [{"submission_id": submission_id, **finding} for finding in findings],
        )


def view(row: ReturnFinding) -> dict[str, Any]:
    return {
        "code": row.code,
        "severity": row.severity,
        "record": row.record,
        "position": row.position,
        "message": row.message,
    }


def page(
    session: Session,
    submission_id: uuid.UUID,
    limit: int,
    after: int,
    *,
    before: int | None = None,
    severity: str | None = None,
    code: str | None = None,
) -> tuple[list[ReturnFinding], bool]:
    """Up to ``limit`` findings after sequence number ``after`` (or, given ``before``, the last ``limit``
    before it), of one ``severity`` and ``code`` when given, in order; and whether more follow (precede)."""
    query = select(ReturnFinding).where(ReturnFinding.submission_id == submission_id)
    if severity:
        query = query.where(ReturnFinding.severity == severity)
    if code:
        query = query.where(ReturnFinding.code == code)
    if before is None:
        query = query.where(ReturnFinding.seq > after).order_by(ReturnFinding.seq)
    else:
        query = query.where(ReturnFinding.seq < before).order_by(ReturnFinding.seq.desc())
    rows = list(session.scalars(query.limit(limit + 1)))
    kept = rows[:limit]
    return (kept if before is None else kept[::-1]), len(rows) > limit


def codes(session: Session, submission_id: uuid.UUID) -> list[str]:
    """The rule codes a submission's findings carry, in order."""
    return list(
        session.scalars(
            select(ReturnFinding.code)
            .where(ReturnFinding.submission_id == submission_id)
            .distinct()
            .order_by(ReturnFinding.code)
        )
    )


def csv_rows(
    session: Session, submission_id: uuid.UUID, *, severity: str | None = None, code: str | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every finding (of one ``severity`` and ``code`` when given) as a row of ``COLUMNS``, a page at a
    time."""
    after = 0
    while True:
        rows, more = page(session, submission_id, 1000, after, severity=severity, code=code)
        for row in rows:
            where = row.position
            yield (
                row.code,
                row.severity,
                row.record,
                where.get("line"),
                where.get("xpath"),
                where.get("table"),
                where.get("row"),
                where.get("column"),
                row.message,
            )
        if not more:
            return
        after = rows[-1].seq
