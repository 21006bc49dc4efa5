"""Statutory-return records (CIN census, SSDA903): kept per source, never overwritten by another source.

``apply_many`` stores a batch of checked records with one multi-row INSERT per table (SQLAlchemy Core run as
an executemany), not an ORM flush per row. Every child record becomes a row of its own, tagged with its
source (``cin-census`` or ``ssda903``), collection year (an SSDA903 child's: the one its submission named,
else None) and submission: two children of one return with the
same LA child id are two rows (the rule finding 8510 says so), and a CIN census and an SSDA903 return about
the same child are two rows. Re-submitting a return replaces the rows an earlier submission stored for the
same organisation, source and collection year, in the transaction that stores the new ones (the pipeline
stores a submission in one transaction); other years and other sources are untouched. Legal-status
episodes (SSDA903) stay keyed by child and start date, matched to the LA's care case holding a child with
the same ``la_child_id``. Kinds the exchange has no use for beyond the raw body (the other SSDA903 tables)
are accepted and not copied: data minimisation. A CIN child's episodes and pre-proceedings blocks get rows
of their own (the board metrics count pre-proceedings by LA).

``merged_child`` is the one view of a child across sources: each value with the source it came from.
``add_findings`` and ``findings_page`` store and read a submission's findings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, delete, insert, select
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
STATUS_KEY = ("org_id", "la_child_id", "start_date")
CIN = "cin-census"
SSDA903 = "ssda903"
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
    """The rows one batch writes, by table (a later legal status of the same key replaces an earlier one)."""

    def __init__(self, org: Organisation, submission_id: uuid.UUID, collection_year: int | None) -> None:
        self.org = org
        self.submission_id = submission_id
        #: the collection year the submission named (an SSDA903 return does not say it itself)
        self.collection_year = collection_year
        self.children: list[dict[str, Any]] = []
        self.episodes: list[dict[str, Any]] = []
        self.pre_proceedings: list[dict[str, Any]] = []
        self.statuses: dict[tuple[Any, ...], dict[str, Any]] = {}
        #: the returns (source, collection year) this batch stores rows of
        self.returns: set[tuple[str, int | None]] = set()

    def _values(self, **values: Any) -> dict[str, Any]:
        return {"id": uuid.uuid4(), "org_id": self.org.id, "submission_id": self.submission_id, **values}

    def child(self, source: str, year: int | None, data: dict[str, Any]) -> tuple[str, int]:
        self.returns.add((source, year))
        self.children.append(
            self._values(
                source=source,
                collection_year=year,
                la_child_id=data["la_child_id"],
                la_code=self.org.la_code,
                date_of_birth=_date(data.get("date_of_birth")),
                sex=data.get("sex"),
                document=data,
                updated_at=clock.now(),
            )
        )
        return "children", len(self.children) - 1

    def cin_child(self, data: dict[str, Any]) -> tuple[str, int]:
        """A CIN census child, its episodes and, from 2026-27, each episode's pre-proceedings."""
        child_id, year = data["la_child_id"], data["collection_year"]
        for episode in data.get("cin_episodes") or []:
            referral = _date(episode.get("referral_date"))
            if referral is None:
                continue
            self.episodes.append(
                self._values(
                    collection_year=year,
                    la_child_id=child_id,
                    referral_date=referral,
                    closure_date=_date(episode.get("closure_date")),
                    document=episode,
                )
            )
            pre = episode.get("pre_proceedings") or {}
            start = _date(pre.get("pp_start_date"))
            if start is not None:
                self.pre_proceedings.append(
                    self._values(
                        collection_year=year,
                        la_child_id=child_id,
                        start_date=start,
                        la_code=self.org.la_code,
                        letter_before_proceedings_date=_date(pre.get("lbp_sent_date")),
                        court_application_date=_date(pre.get("court_application_date")),
                        outcome=pre.get("pp_outcome"),
                    )
                )
        child = {key: value for key, value in data.items() if key != "cin_episodes"}
        return self.child(CIN, year, child)

    def looked_after_child(self, data: dict[str, Any]) -> tuple[str, int]:
        return self.child(SSDA903, self.collection_year, {**data, "la_child_id": data["child_id"]})

    def legal_status(self, data: dict[str, Any]) -> tuple[str, tuple] | None:
        """The episode's legal status, keyed by child and start date; None (kept in the submission only)
        when its start date or legal status is missing (a faulty cell, stored with its finding)."""
        if _date(data["start_date"]) is None or data["legal_status"] is None:
            return None
        values = {
            "org_id": self.org.id,
            "submission_id": self.submission_id,
            "la_child_id": data["child_id"],
            "start_date": _date(data["start_date"]),
            "la_code": self.org.la_code,
            "legal_status": data["legal_status"],
            "end_date": _date(data.get("end_date")),
        }
        found = tuple(values[name] for name in STATUS_KEY)
        self.statuses.pop(found, None)  # re-inserted last: rows are written in the order they were last seen
        self.statuses[found] = values
        return "statuses", found


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


def _insert_many(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model).execution_options(insertmanyvalues_page_size=PAGE_ROWS), rows)


def _replace_earlier(
    session: Session, org: Organisation, submission_id: uuid.UUID, returns: set[tuple[str, int | None]]
) -> None:
    """Delete what earlier submissions stored for the same organisation, source and year."""
    for source, year in returns:
        same_year = (
            ReturnChild.collection_year.is_(None) if year is None else ReturnChild.collection_year == year
        )
        session.execute(
            delete(ReturnChild).where(
                ReturnChild.org_id == org.id,
                ReturnChild.source == source,
                same_year,
                ReturnChild.submission_id != submission_id,
            )
        )
        if source == CIN:
            for model in (CinEpisode, PreProceedings):
                session.execute(
                    delete(model).where(
                        model.org_id == org.id,
                        model.collection_year == year,
                        model.submission_id != submission_id,
                    )
                )


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


#: how each kind is added to a batch; None: not copied (the other SSDA903 tables stay in the raw body only;
#: so does an episode without its start date or legal status)
KINDS: dict[str, Callable[[_Batch, dict[str, Any]], tuple[str, Any] | None] | None] = {
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
    collection_year: int | None = None,
) -> list[str]:
    """Store checked ``(kind, data)`` records; for each, the id of the row written (or the submission's).
    ``collection_year`` is the year the submission named: an SSDA903 child's (a CIN child's is its own)."""
    batch = _Batch(org, submission_id, collection_year)
    written: list[tuple[str, Any] | None] = []
    for kind, data in records:
        add = KINDS[kind]
        written.append(None if add is None else add(batch, data))
    if batch.statuses:
        cases = matching_cases(session, org.la_code, {row["la_child_id"] for row in batch.statuses.values()})
        for row in batch.statuses.values():
            row["case_id"] = cases.get(row["la_child_id"])
    _replace_earlier(session, org, submission_id, batch.returns)
    _insert_many(session, CinEpisode, batch.episodes)
    _insert_many(session, PreProceedings, batch.pre_proceedings)
    _insert_many(session, ReturnChild, batch.children)
    ids: dict[str, Any] = {
        "children": [str(row["id"]) for row in batch.children],
        "statuses": _upsert_many(session, LegalStatusEpisode, STATUS_KEY, list(batch.statuses.values())),
    }
    return [str(submission_id) if w is None else ids[w[0]][w[1]] for w in written]


#: the child's values a merged view gives, each with the source it came from
MERGED_FIELDS = ("date_of_birth", "sex", "upn", "ethnicity")


def merged_child(session: Session, org: Organisation, la_child_id: str) -> dict[str, Any]:
    """Every source's record of one child of the LA (its CIN census and SSDA903 rows, then the LA's care
    cases naming the child, source ``case`` with the case id), and its values merged: the last source that
    gives a value wins, and says where it came from (``source``, ``submission_id``, ``collection_year``)."""
    rows = session.scalars(
        select(ReturnChild)
        .where(ReturnChild.org_id == org.id, ReturnChild.la_child_id == la_child_id)
        .order_by(ReturnChild.updated_at)
    ).all()
    sources = [
        {
            "source": row.source,
            "submission_id": str(row.submission_id),
            "collection_year": row.collection_year,
            "document": row.document,
        }
        for row in rows
    ]
    cases = session.execute(
        select(Case.id, CaseChild.date_of_birth, CaseChild.sex)
        .join(Case, CaseChild.case_id == Case.id)
        .where(Case.applicant_la == org.la_code, CaseChild.la_child_id == la_child_id)
        .order_by(Case.created_at)
    )
    sources += [
        {
            "source": "case",
            "submission_id": str(case_id),
            "collection_year": None,
            "document": {"date_of_birth": born.isoformat() if born else None, "sex": sex},
        }
        for case_id, born, sex in cases
    ]
    values: dict[str, dict[str, Any]] = {}
    for source in sources:
        for name in MERGED_FIELDS:
            value = source["document"].get(name)
            if value is not None:
                values[name] = {key: source[key] for key in ("source", "submission_id", "collection_year")}
                values[name]["value"] = value
    return {"la_child_id": la_child_id, "sources": sources, "values": values}
