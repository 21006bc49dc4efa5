"""Statutory returns (CIN census, SSDA903): children, CIN episodes, pre-proceedings, legal statuses, findings.

A child's rows are kept per source: ``source`` (the adapter: ``cin-census`` or ``ssda903``), its
``collection_year`` (None when the file does not say) and the ``submission_id`` they came from. Nothing is
keyed by the LA's child id alone: two children of one return with the same ``la_child_id`` (DfE rule 8510)
are two rows, and a CIN census and an SSDA903 return about the same child are two rows. Re-submitting a
return replaces the rows of the same organisation, source and year (``exchange.store.returns``).
Legal-status episodes (SSDA903 only) stay keyed by child and start date.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id
from exchange.models.audit import SequenceId


class ReturnChild(Base):
    """A child as a statutory return describes it (identifiers and characteristics)."""

    __tablename__ = "return_children"
    __table_args__ = (
        Index("ix_return_children_child", "org_id", "la_child_id"),
        Index("ix_return_children_return", "org_id", "source", "collection_year"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str] = mapped_column(String(32))
    collection_year: Mapped[int | None] = mapped_column(Integer)
    la_code: Mapped[str] = mapped_column(String(16))
    la_child_id: Mapped[str] = mapped_column(String(64))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CinEpisode(Base):
    """One child-in-need episode (referral to closure) from the CIN census."""

    __tablename__ = "cin_episodes"
    __table_args__ = (Index("ix_cin_episodes_return", "org_id", "collection_year", "la_child_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    collection_year: Mapped[int] = mapped_column(Integer)
    la_child_id: Mapped[str] = mapped_column(String(64))
    referral_date: Mapped[date] = mapped_column(Date)
    closure_date: Mapped[date | None] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class PreProceedings(Base):
    """Pre-proceedings under the PLO (CIN census 2026-27): the dates the board metrics count, by LA."""

    __tablename__ = "pre_proceedings"
    __table_args__ = (
        Index("ix_pre_proceedings_return", "org_id", "collection_year", "la_child_id"),
        Index("ix_pre_proceedings_la_start", "la_code", "start_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    collection_year: Mapped[int] = mapped_column(Integer)
    la_code: Mapped[str] = mapped_column(String(16))
    la_child_id: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    letter_before_proceedings_date: Mapped[date | None] = mapped_column(Date)
    court_application_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class LegalStatusEpisode(Base):
    """A period under one legal status (SSDA903 ``LS``), matched to the LA's care case of the same child."""

    __tablename__ = "legal_status_episodes"
    __table_args__ = (
        UniqueConstraint("org_id", "la_child_id", "start_date", name="uq_legal_status_episode"),
        Index("ix_legal_status_la_child", "la_code", "la_child_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    la_code: Mapped[str] = mapped_column(String(16))
    la_child_id: Mapped[str] = mapped_column(String(64))
    legal_status: Mapped[str] = mapped_column(String(4))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    #: the care case of the same LA with this child, when there is one
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class ReturnFinding(Base):
    """A DfE validation rule that a stored record of a return breaks (``adapters.base.Finding``)."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_submission", "submission_id", "seq"),)

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    #: ``cin.<DfE id>`` or ``ssda903.<DfE id>`` (or an exchange code such as ``csv.extra_columns``)
    code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(8))
    #: the LA child id of the record, or None for a rule about the return as a whole
    record: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[dict[str, Any]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(String(500))
