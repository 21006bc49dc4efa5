"""Statutory returns (CIN census, SSDA903): children, CIN episodes, pre-proceedings and legal statuses.

Every row is keyed by the submitting organisation and the LA's own child id (``la_child_id``), so a
later return replaces what an earlier one said about the same child and episode.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime, new_id


class ReturnChild(Base):
    """A child as a statutory return describes it (identifiers and characteristics)."""

    __tablename__ = "return_children"
    __table_args__ = (UniqueConstraint("org_id", "la_child_id", name="uq_return_children_child"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
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
    __table_args__ = (
        UniqueConstraint("org_id", "la_child_id", "referral_date", name="uq_cin_episodes_episode"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    la_child_id: Mapped[str] = mapped_column(String(64))
    referral_date: Mapped[date] = mapped_column(Date)
    closure_date: Mapped[date | None] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    submission_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class PreProceedings(Base):
    """Pre-proceedings under the PLO (CIN census 2026-27): the dates the board metrics count, by LA."""

    __tablename__ = "pre_proceedings"
    __table_args__ = (
        UniqueConstraint("org_id", "la_child_id", "start_date", name="uq_pre_proceedings_episode"),
        Index("ix_pre_proceedings_la_start", "la_code", "start_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
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
