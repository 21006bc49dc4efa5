"""The metrics' own tables: what each case contributes, and the monthly aggregates the measures read.

``metric_counts`` holds, per scope (a DFJ area or ``national``), law, measure, month and category, a
count ``n`` and a second sum ``total``. Flow measures (cases issued, disposed, hearings vacated) are
counted in the month they happen; stock measures (open cases, their age band, late PLO hearings) are
stored as changes (+1 when a case enters a state, -1 when it leaves), so the stock at a month's end is the
sum of every change up to that month. ``metric_case_facts`` keeps the facts each case last contributed,
so that a change to a case replaces its contribution exactly (``exchange.metrics.aggregates``).
``metric_publications`` and ``metric_publication_cells`` hold the protected publication the API reads
(``exchange.metrics.publication``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import Base, UTCDateTime
from exchange.models.cases import Case


class MetricCount(Base):
    __tablename__ = "metric_counts"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    law: Mapped[str] = mapped_column(String(8), primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: a breakdown: the agency blamed for a vacated hearing, an open case's age band; "" when none
    category: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    #: whole weeks, for the duration histograms (the median is read from them); 0 otherwise
    weeks: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)


class MetricCaseFacts(Base):
    __tablename__ = "metric_case_facts"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: lets the unit of work insert the case before its facts
    case: Mapped[Case] = relationship()


class MetricPublication(Base):
    """The one current publication of the board figures: when it was made, the months it covers, the
    state of the data it was made from, and how long protecting and storing it took."""

    __tablename__ = "metric_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_month: Mapped[int] = mapped_column(Integer)
    last_month: Mapped[int] = mapped_column(Integer)
    #: what the data looked like (``publication.source_state``): a different state means out of date
    source: Mapped[str] = mapped_column(String(400))
    seconds: Mapped[float] = mapped_column(Float)


class MetricPublicationCell(Base):
    """The protected cells of one measure, area and period, already rendered as JSON and as CSV rows."""

    __tablename__ = "metric_publication_cells"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # the measure's place in MEASURES
    measure: Mapped[str] = mapped_column(String(64))
    json: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text)
