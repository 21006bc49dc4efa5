"""Statutory-return records (CIN census, SSDA903) stored by organisation and the LA's child id.

``apply_many`` stores a batch of checked records with one multi-row upsert per table (SQLAlchemy Core
``INSERT … ON CONFLICT DO UPDATE`` run as an executemany), not a SELECT and an ORM flush per row: a later
return about the same child and episode replaces the earlier row (its id kept), and within one batch the
later record wins, as if the records were stored one by one. Kinds the exchange has no use for beyond the
raw body (the other SSDA903 tables, say) are accepted and not copied: data minimisation. Legal-status
episodes are matched to the LA's care case holding a child with the same ``la_child_id``; a CIN child's
episodes and their pre-proceedings blocks get rows of their own (the board metrics count pre-proceedings
by LA).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from exchange import clock
from exchange.db import upsert
from exchange.models import (
    Case,
    CaseChild,
    CinEpisode,
    LegalStatusEpisode,
    Organisation,
    PreProceedings,
    ReturnChild,
)

#: record kinds that open a return and name the LA it is for (the whole return is refused for another LA)
HEADER_KINDS = frozenset({"cin_header"})
CHILD_KEY = ("org_id", "la_child_id")
EPISODE_KEY = ("org_id", "la_child_id", "referral_date")
STATUS_KEY = ("org_id", "la_child_id", "start_date")
PRE_PROCEEDINGS_KEY = ("org_id", "la_child_id", "start_date")
#: rows per multi-row INSERT: psycopg re-parses a long statement's text on every execute, a short one once
PAGE_ROWS = 20


def is_header(kind: str) -> bool:
    return kind in HEADER_KINDS


def header_la(data: dict[str, Any]) -> str | None:
    """The LA code a return's header names."""
    return data.get("la_code")


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class _Batch:
    """The rows one batch writes, by table, each keyed so that a later row replaces an earlier one."""

    def __init__(self, org: Organisation, submission_id: uuid.UUID) -> None:
        self.org = org
        self.submission_id = submission_id
        self.children: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.episodes: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.pre_proceedings: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.statuses: dict[tuple[Any, ...], dict[str, Any]] = {}

    def row(self, table: str, key: tuple[str, ...], **values: Any) -> tuple[str, tuple]:
        """Add a row to ``table`` (an attribute); ``(table, the row's key)``."""
        values.update(org_id=self.org.id, submission_id=self.submission_id)
        found = tuple(values[name] for name in key)
        rows = getattr(self, table)
        rows.pop(found, None)  # re-inserted last: rows are written in the order they were last seen
        rows[found] = values
        return table, found

    def child(self, data: dict[str, Any]) -> tuple[str, tuple]:
        return self.row(
            "children",
            CHILD_KEY,
            la_child_id=data["la_child_id"],
            la_code=self.org.la_code,
            date_of_birth=_date(data.get("date_of_birth")),
            sex=data.get("sex"),
            document=data,
            updated_at=clock.now(),
        )

    def cin_child(self, data: dict[str, Any]) -> tuple[str, tuple]:
        """A CIN census child, its episodes and, from 2026-27, each episode's pre-proceedings."""
        child_id = data["la_child_id"]
        for episode in data.get("cin_episodes") or []:
            referral = _date(episode.get("referral_date"))
            if referral is None:
                continue
            self.row(
                "episodes",
                EPISODE_KEY,
                la_child_id=child_id,
                referral_date=referral,
                closure_date=_date(episode.get("closure_date")),
                document=episode,
            )
            pre = episode.get("pre_proceedings") or {}
            start = _date(pre.get("pp_start_date"))
            if start is not None:
                self.row(
                    "pre_proceedings",
                    PRE_PROCEEDINGS_KEY,
                    la_child_id=child_id,
                    start_date=start,
                    la_code=self.org.la_code,
                    letter_before_proceedings_date=_date(pre.get("lbp_sent_date")),
                    court_application_date=_date(pre.get("court_application_date")),
                    outcome=pre.get("pp_outcome"),
                )
        return self.child({key: value for key, value in data.items() if key != "cin_episodes"})

    def looked_after_child(self, data: dict[str, Any]) -> tuple[str, tuple]:
        return self.child({**data, "la_child_id": data["child_id"]})

    def legal_status(self, data: dict[str, Any]) -> tuple[str, tuple]:
        return self.row(
            "statuses",
            STATUS_KEY,
            la_child_id=data["child_id"],
            start_date=_date(data["start_date"]),
            la_code=self.org.la_code,
            legal_status=data["legal_status"],
            end_date=_date(data.get("end_date")),
        )


def matching_cases(session: Session, la_code: str | None, la_child_ids: set[str]) -> dict[str, uuid.UUID]:
    """The latest care case of the LA with a child of each id, for the ids that have one."""
    if not la_child_ids:
        return {}
    found: dict[str, uuid.UUID] = {}
    rows = session.execute(
        select(CaseChild.la_child_id, Case.id)
        .join(Case, CaseChild.case_id == Case.id)
        .where(Case.applicant_la == la_code, CaseChild.la_child_id.in_(la_child_ids), Case.law == "public")
        .order_by(Case.created_at.desc())
    )
    for la_child_id, case_id in rows:
        found.setdefault(la_child_id, case_id)
    return found


def _upsert_many(
    session: Session, model: type[Any], key: tuple[str, ...], rows: list[dict[str, Any]]
) -> dict[tuple, str]:
    """Insert the rows, or update the row already holding each key (its id kept); the id of each key's row.

    With RETURNING, SQLAlchemy sends the rows as multi-row INSERTs ("insertmanyvalues") rather than one
    statement per row; the returned key columns say which id each row has, so their order does not matter.
    """
    if not rows:
        return {}
    table: Table = model.__table__
    statement = upsert(session, table)
    statement = (
        statement.on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={name: statement.excluded[name] for name in rows[0] if name not in key},
        )
        .returning(table.c.id, *(table.c[name] for name in key))
        .execution_options(insertmanyvalues_page_size=PAGE_ROWS)
    )
    written = session.execute(statement, [{"id": uuid.uuid4(), **row} for row in rows])
    return {tuple(values): str(row_id) for row_id, *values in written}


#: how each kind is added to a batch; None: not copied (the other SSDA903 tables stay in the raw body only)
KINDS: dict[str, Callable[[_Batch, dict[str, Any]], tuple[str, tuple]] | None] = {
    "cin_child": _Batch.cin_child,
    "looked_after_child": _Batch.looked_after_child,
    "legal_status_episode": _Batch.legal_status,
    "ssda903_row": None,
    "cin_header": None,
}


def apply_many(
    session: Session,
    org: Organisation,
    submission_id: uuid.UUID,
    records: Sequence[tuple[str, dict[str, Any]]],
) -> list[str]:
    """Store checked ``(kind, data)`` records; for each, the id of the row written (or the submission's)."""
    batch = _Batch(org, submission_id)
    written: list[tuple[str, tuple] | None] = []
    for kind, data in records:
        add = KINDS[kind]
        written.append(None if add is None else add(batch, data))
    if batch.statuses:
        cases = matching_cases(session, org.la_code, {row["la_child_id"] for row in batch.statuses.values()})
        for row in batch.statuses.values():
            row["case_id"] = cases.get(row["la_child_id"])
    _upsert_many(session, CinEpisode, EPISODE_KEY, list(batch.episodes.values()))
    _upsert_many(session, PreProceedings, PRE_PROCEEDINGS_KEY, list(batch.pre_proceedings.values()))
    ids = {
        "children": _upsert_many(session, ReturnChild, CHILD_KEY, list(batch.children.values())),
        "statuses": _upsert_many(session, LegalStatusEpisode, STATUS_KEY, list(batch.statuses.values())),
    }
    return [str(submission_id) if w is None else ids[w[0]][w[1]] for w in written]
