"""Hand-built cases for the metrics tests, written through the ORM as the case store writes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

from exchange import reference
from exchange.db import db
from exchange.models import Case, CaseChild, CaseHearing, Organisation

#: the shipped reference data, as create_app loads it
REFERENCE = reference.load()
#: courts in three DFJ areas
CENTRAL, WEST, EAST = "115", "117", "121"


def area_of(court: str) -> str:
    return REFERENCE.courts[court].dfj_area


@pytest.fixture
def la_org(app: Flask) -> Organisation:
    org = Organisation(id="camden", kind="local_authority", name="Camden (synthetic)", la_code="202")
    db.session.add(org)
    db.session.commit()
    return org


Hearing = tuple[str, date, str] | tuple[str, date, str, str]


@pytest.fixture
def add_case(la_org: Organisation) -> Callable[..., Case]:
    """A case: ``issued``, optional ``disposed`` (the first final outcome), children, hearings."""

    def add(
        issued: date,
        disposed: date | None = None,
        *,
        court: str = CENTRAL,
        law: str = "public",
        children: int = 1,
        hearings: tuple[Hearing, ...] = (),
        outcome: str = "FINAL_ORDER",
    ) -> Case:
        case_id = uuid.uuid4()
        kids = [
            CaseChild(
                la_child_id=f"C{n}",
                outcome=outcome if disposed and n == 0 else None,
                outcome_date=disposed if n == 0 else None,
            )
            for n in range(children)
        ]
        rows = [
            CaseHearing(
                type=h[0],
                starts_at=datetime(h[1].year, h[1].month, h[1].day, 10, tzinfo=UTC),
                status=h[2],
                cancellation_reason="LA7" if len(h) > 3 else None,
                cancellation_agency=h[3] if len(h) > 3 else None,  # type: ignore[misc]
            )
            for h in hearings
        ]
        case = Case(
            id=case_id,
            org_id=la_org.id,
            reference=f"REF-{case_id.hex[:8]}",
            applicant_la="202",
            court=court,
            dfj_area=area_of(court),
            region=REFERENCE.courts[court].region,
            law=law,
            application_type="C110A" if law == "public" else "C100",
            state="CLOSED" if disposed else "PREPARE_FOR_HEARING",
            date_issued=issued,
            first_disposal_date=disposed,
            version=1,
            document={"synthetic": True},
            children=kids,
            hearings=rows,
        )
        db.session.add(case)
        db.session.commit()
        return case

    return add


def find(cells: list[Any], measure: str, area: str, period: str, category: str | None = None) -> Any:
    """The one cell (a dict or a RawCell) of ``measure`` for ``area``, ``period`` and ``category``."""

    def get(c: Any, name: str) -> Any:
        return c[name] if isinstance(c, dict) else getattr(c, name)

    [found] = [
        c
        for c in cells
        if (get(c, "measure"), get(c, "area"), get(c, "period"), get(c, "category"))
        == (measure, area, period, category)
    ]
    return found
