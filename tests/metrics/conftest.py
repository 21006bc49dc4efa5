"""Hand-built cases for the metrics tests, written through the ORM as the case store writes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from exchange import reference
from exchange.db import db
from exchange.metrics import publication
from exchange.models import Case, CaseChild, CaseHearing, Organisation

#: the shipped reference data, as create_app loads it
REFERENCE = reference.load()
#: courts in three DFJ areas
CENTRAL, WEST, EAST = "115", "117", "121"
#: the pack's charts, in the order it shows them
CHARTS = (
    "trend-mean-weeks",
    "trend-within-26-weeks",
    "trend-cases",
    "duration-band",
    "open-age-profile",
    "vacated-by-agency",
)


def publish() -> None:
    """What the worker does once cases have changed: only the tests that read the figures call it."""
    publication.publish(db.session, REFERENCE)


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
    """A case: ``issued``, optional ``disposed`` (the first final outcome), children, hearings, the orders
    sought (a care order: an s31 case)."""

    def add(
        issued: date,
        disposed: date | None = None,
        *,
        court: str = CENTRAL,
        law: str = "public",
        children: int = 1,
        hearings: tuple[Hearing, ...] = (),
        outcome: str = "FINAL_ORDER",
        orders_sought: tuple[str, ...] = ("CARE_ORDER",),
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
            cafcass_service="cafcass",
            law=law,
            application_type="C110A" if law == "public" else "C100",
            state="CLOSED" if disposed else "PREPARE_FOR_HEARING",
            date_issued=issued,
            first_disposal_date=disposed,
            version=1,
            document={"synthetic": True, "orders_sought": list(orders_sought)},
            children=kids,
            hearings=rows,
        )
        db.session.add(case)
        db.session.commit()
        return case

    return add


@pytest.fixture
def quarter_of_cases(add_case):
    """Five quarters of Central London cases with vacated hearings, plus two other areas, published."""
    start = date(2024, 1, 8)
    for n in range(90):
        issued = start + timedelta(days=4 * n)
        disposed = issued + timedelta(days=150 + 3 * (n % 40))
        add_case(
            issued,
            disposed if disposed < date(2025, 3, 31) else None,
            children=1 + n % 3,
            hearings=(
                (
                    "CASE_MANAGEMENT",
                    issued + timedelta(days=20),
                    "vacated",
                    ("Cafcass", "LocalAuthority")[n % 2],
                ),
                ("CASE_MANAGEMENT", issued + timedelta(days=26), "held"),
            ),
        )
    # enough in the two other areas that national can be published beside Central London's figures
    for n in range(160):
        issued = start + timedelta(days=9 * n // 4)
        add_case(issued, issued + timedelta(days=240), court=(EAST, WEST)[n % 2])
    publish()


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


@pytest.fixture
def central_pack(
    client: FlaskClient,
    make_partner: Callable[..., Any],
    auth_headers: Callable[..., dict[str, str]],
    quarter_of_cases: None,
) -> Callable[[str], TestResponse]:
    """Central London's pack of 2025Q1 over ``quarter_of_cases``, as a board fetches it, in a media type."""
    headers = auth_headers(make_partner("lfjb"))

    def fetch(accept: str) -> TestResponse:
        query = {"area": "CENTRAL_LONDON", "quarter": "2025Q1"}
        response = client.get("/v1/metrics/pack", query_string=query, headers={**headers, "Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        return response

    return fetch
