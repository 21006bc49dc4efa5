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

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange.db import utcnow
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

    def row(self, rows: dict[tuple[Any, ...], dict[str, Any]], key: tuple[str, ...], **values: Any) -> tuple:
        values.update(org_id=self.org.id, submission_id=self.submission_id)
        found = tuple(values[name] for name in key)
        rows.pop(found, None)  # re-inserted last: rows are written in the order they were last seen
        rows[found] = values
        return found

    def child(self, data: dict[str, Any]) -> tuple:
        return self.row(
            self.children,
            CHILD_KEY,
            la_child_id=data["la_child_id"],
            la_code=self.org.la_code,
            date_of_birth=_date(data.get("date_of_birth")),
            sex=data.get("sex"),
            document=data,
            updated_at=utcnow(),
        )

    def cin_child(self, data: dict[str, Any]) -> tuple:
        """A CIN census child, its episodes and, from 2026-27, each episode's pre-proceedings."""
        child_id = data["la_child_id"]
        for episode in data.get("cin_episodes") or []:
            referral = _date(episode.get("referral_date"))
            if referral is None:
                continue
            self.row(
                self.episodes,
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
                    self.pre_proceedings,
                    PRE_PROCEEDINGS_KEY,
                    la_child_id=child_id,
                    start_date=start,
                    la_code=self.org.la_code,
                    letter_before_proceedings_date=_date(pre.get("lbp_sent_date")),
                    court_application_date=_date(pre.get("court_application_date")),
                    outcome=pre.get("pp_outcome"),
                )
        return self.child({key: value for key, value in data.items() if key != "cin_episodes"})

    def looked_after_child(self, data: dict[str, Any]) -> tuple:
        return self.child({**data, "la_child_id": data["child_id"]})

    def legal_status(self, data: dict[str, Any]) -> tuple:
        return self.row(
            self.statuses,
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
) -> None:
    """Insert the rows, or update the row already holding each key (its id kept), in one executemany."""
    if not rows:
        return
    table: Table = model.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    updated = [name for name in rows[0] if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: statement.excluded[name] for name in updated},
    )
    session.execute(statement, [{"id": uuid.uuid4(), **row} for row in rows])


def _ids(session: Session, model: type[Any], key: tuple[str, ...], keys: list[tuple]) -> dict[tuple, str]:
    """The id of the row holding each key (read back after the upsert: an existing row keeps its id)."""
    columns = [getattr(model, name) for name in key]
    found = session.execute(select(model.id, *columns).where(tuple_(*columns).in_(keys)))
    return {tuple(values): str(row_id) for row_id, *values in found}


#: how each kind is added to a batch, and the table whose row id a stored record reports; None: not copied
KINDS: dict[str, tuple[Callable[[_Batch, dict[str, Any]], tuple], type[Any], tuple[str, ...]] | None] = {
    "cin_child": (_Batch.cin_child, ReturnChild, CHILD_KEY),
    "looked_after_child": (_Batch.looked_after_child, ReturnChild, CHILD_KEY),
    "legal_status_episode": (_Batch.legal_status, LegalStatusEpisode, STATUS_KEY),
    # the other SSDA903 tables: kept in the raw body only
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
    written: list[tuple[type[Any], tuple[str, ...], tuple] | None] = []
    for kind, data in records:
        how = KINDS[kind]
        if how is None:
            written.append(None)
            continue
        add, model, key = how
        written.append((model, key, add(batch, data)))
    if batch.statuses:
        cases = matching_cases(session, org.la_code, {row["la_child_id"] for row in batch.statuses.values()})
        for row in batch.statuses.values():
            row["case_id"] = cases.get(row["la_child_id"])
    _upsert_many(session, CinEpisode, EPISODE_KEY, list(batch.episodes.values()))
    _upsert_many(session, PreProceedings, PRE_PROCEEDINGS_KEY, list(batch.pre_proceedings.values()))
    _upsert_many(session, ReturnChild, CHILD_KEY, list(batch.children.values()))
    _upsert_many(session, LegalStatusEpisode, STATUS_KEY, list(batch.statuses.values()))
    ids = {
        model: _ids(session, model, key, list(rows))
        for model, key, rows in (
            (ReturnChild, CHILD_KEY, batch.children),
            (LegalStatusEpisode, STATUS_KEY, batch.statuses),
        )
        if rows
    }
    return [str(submission_id) if w is None else ids[w[0]][w[2]] for w in written]
