"""Care and private-law cases: the current canonical document, the columns the board metrics query,
and every version ever committed (the feed reads those in commit order).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id
from exchange.models.audit import SequenceId


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("org_id", "reference", name="uq_cases_org_reference"),
        Index("ix_cases_area_issued", "dfj_area", "date_issued"),
        Index("ix_cases_area_disposed", "dfj_area", "first_disposal_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    #: the submitting organisation (the applicant local authority's organisation)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    applicant_la: Mapped[str] = mapped_column(String(16), index=True)
    court: Mapped[str] = mapped_column(String(8), index=True)
    dfj_area: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    #: the Cafcass service the case goes to: by its applicant LA (routing reference data)
    cafcass_service: Mapped[str] = mapped_column(String(16), index=True)
    law: Mapped[str] = mapped_column(String(8))
    application_type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(40), index=True)
    date_received: Mapped[date | None] = mapped_column(Date)
    date_issued: Mapped[date | None] = mapped_column(Date)
    #: the earliest final outcome of any child (final order, refusal, withdrawal, no order)
    first_disposal_date: Mapped[date | None] = mapped_column(Date)
    closed_date: Mapped[date | None] = mapped_column(Date)
    #: when the latest progression event happened: an older event is out of order
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    children: Mapped[list[CaseChild]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    hearings: Mapped[list[CaseHearing]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class CaseChild(Base):
    """A child of a case, as far as the metrics need (the whole child lives in the case document)."""

    __tablename__ = "case_children"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    la_child_id: Mapped[str] = mapped_column(String(64), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_date: Mapped[date | None] = mapped_column(Date)


class CaseHearing(Base):
    __tablename__ = "case_hearings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    cancellation_reason: Mapped[str | None] = mapped_column(String(8))
    #: the agency the cancellation reason blames (local authority, Cafcass, court service, judiciary, …)
    cancellation_agency: Mapped[str | None] = mapped_column(String(40))


class CaseVersion(Base):
    """Every committed version of a case; ``feed_seq`` follows commit order across processes."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_case_versions_case_version"),)

    feed_seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=False)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
