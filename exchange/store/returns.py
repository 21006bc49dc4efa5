"""Statutory-return records (CIN census, SSDA903) stored by organisation and the LA's child id.

Each record kind has one handler that inserts or replaces its row (a later return about the same child
and episode replaces the earlier one). Kinds the exchange has no use for beyond the raw body (the other
SSDA903 tables, say) are accepted and not copied: data minimisation. Legal-status episodes are matched to
the LA's care case holding a child with the same ``la_child_id``; a CIN child's episodes and their
pre-proceedings blocks get rows of their own (the board metrics count pre-proceedings by LA).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
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


def is_header(kind: str) -> bool:
    return kind in HEADER_KINDS


def header_la(data: dict[str, Any]) -> str | None:
    """The LA code a return's header names."""
    return data.get("la_code")


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _upsert(session: Session, model: type[Any], key: dict[str, Any], values: dict[str, Any]) -> Any:
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(id=uuid.uuid4(), **key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def _child(session: Session, org: Organisation, submission_id: uuid.UUID, data: dict[str, Any]) -> Any:
    return _upsert(
        session,
        ReturnChild,
        {"org_id": org.id, "la_child_id": data["la_child_id"]},
        {
            "la_code": org.la_code,
            "date_of_birth": _date(data.get("date_of_birth")),
            "sex": data.get("sex"),
            "document": data,
            "submission_id": submission_id,
            "updated_at": utcnow(),
        },
    )


def _cin_child(session: Session, org: Organisation, submission_id: uuid.UUID, data: dict[str, Any]) -> Any:
    """A CIN census child, its episodes and, from 2026-27, each episode's pre-proceedings."""
    child_id = data["la_child_id"]
    for episode in data.get("cin_episodes") or []:
        referral = _date(episode.get("referral_date"))
        if referral is None:
            continue
        _upsert(
            session,
            CinEpisode,
            {"org_id": org.id, "la_child_id": child_id, "referral_date": referral},
            {
                "closure_date": _date(episode.get("closure_date")),
                "document": episode,
                "submission_id": submission_id,
            },
        )
        pre = episode.get("pre_proceedings") or {}
        if _date(pre.get("pp_start_date")) is not None:
            _upsert(
                session,
                PreProceedings,
                {"org_id": org.id, "la_child_id": child_id, "start_date": _date(pre["pp_start_date"])},
                {
                    "la_code": org.la_code,
                    "letter_before_proceedings_date": _date(pre.get("lbp_sent_date")),
                    "court_application_date": _date(pre.get("court_application_date")),
                    "outcome": pre.get("pp_outcome"),
                    "submission_id": submission_id,
                },
            )
    child = {key: value for key, value in data.items() if key != "cin_episodes"}
    return _child(session, org, submission_id, child)


def matching_case(session: Session, la_code: str | None, la_child_id: str) -> uuid.UUID | None:
    """The latest care case of the LA with a child of this id."""
    return session.scalar(
        select(Case.id)
        .join(CaseChild, CaseChild.case_id == Case.id)
        .where(Case.applicant_la == la_code, CaseChild.la_child_id == la_child_id, Case.law == "public")
        .order_by(Case.created_at.desc())
        .limit(1)
    )


def _legal_status(session: Session, org: Organisation, submission_id: uuid.UUID, data: dict[str, Any]) -> Any:
    return _upsert(
        session,
        LegalStatusEpisode,
        {"org_id": org.id, "la_child_id": data["child_id"], "start_date": _date(data["start_date"])},
        {
            "la_code": org.la_code,
            "legal_status": data["legal_status"],
            "end_date": _date(data.get("end_date")),
            "case_id": matching_case(session, org.la_code, data["child_id"]),
            "submission_id": submission_id,
        },
    )


def _looked_after_child(
    session: Session, org: Organisation, submission_id: uuid.UUID, data: dict[str, Any]
) -> Any:
    return _child(session, org, submission_id, {**data, "la_child_id": data["child_id"]})


Handler = Callable[[Session, Organisation, uuid.UUID, dict[str, Any]], Any]
HANDLERS: dict[str, Handler | None] = {
    "cin_child": _cin_child,
    "looked_after_child": _looked_after_child,
    "legal_status_episode": _legal_status,
    # the other SSDA903 tables: kept in the raw body only
    "ssda903_row": None,
    "cin_header": None,
}


def apply(
    session: Session, org: Organisation, submission_id: uuid.UUID, kind: str, data: dict[str, Any]
) -> str:
    """Store one checked record; the id of the row written (the submission's id when none is kept)."""
    handler = HANDLERS[kind]
    if handler is None:
        return str(submission_id)
    return str(handler(session, org, submission_id, data).id)
