"""The metrics API: who sees which area, JSON and CSV cells, the pack as HTML and PDF, bad parameters."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from exchange.csv_out import safe as _csv_safe
from exchange.db import db
from exchange.metrics.report import COLUMNS
from exchange.models import AuditEvent
from tests.metrics.conftest import CHARTS, EAST, WEST, publish

Q1 = {"from": "2025-01", "to": "2025-03", "period": "quarter"}


@pytest.fixture
def twelve_cases(add_case):
    """Q1 2025 disposals: 12 in Central London (all 26 weeks, so its rates are published), 7 in East
    London, 1 in West London."""
    for n in range(12):
        add_case(date(2024, 7, 15) + timedelta(days=n), date(2025, 1, 13) + timedelta(days=n))
    for _ in range(7):
        add_case(date(2024, 7, 15), date(2025, 1, 20), court=EAST)
    add_case(date(2024, 7, 15), date(2025, 1, 20), court=WEST)
    publish()


def test_a_board_sees_its_area_and_national_only(client, make_partner, auth_headers, twelve_cases):
    board = make_partner("lfjb")  # CENTRAL_LONDON
    response = client.get(
        "/v1/metrics",
        query_string={**Q1, "measure": "care_cases_disposed,care_mean_weeks"},
        headers=auth_headers(board),
    )
    assert response.status_code == 200
    cells = response.get_json()["cells"]
    assert {c["area"] for c in cells} == {"CENTRAL_LONDON", "national"}
    assert all(set(c) == set(COLUMNS) for c in cells)
    by = {(c["measure"], c["area"]): c for c in cells}
    assert by["care_cases_disposed", "CENTRAL_LONDON"]["value"] == 12
    assert by["care_mean_weeks", "CENTRAL_LONDON"] | {} == {
        "measure": "care_mean_weeks",
        "category": None,
        "area": "CENTRAL_LONDON",
        "period": "2025Q1",
        "value": 26.0,
        "numerator": 312,
        "denominator": 12,
        "status": "published",
    }
    # West London's 1 is hidden, then East London's 7 (the smallest other part), so national 20 may stay
    assert by["care_cases_disposed", "national"]["value"] == 20
    pulls = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "metrics.read")).all()
    assert [p.org_id for p in pulls] == [board.org_id]


def test_months_are_published_nationally_only(client, make_partner, auth_headers, twelve_cases):
    """An area's months are neither stored nor sent: by month the national board gets national cells."""
    months = {"from": "2025-01", "to": "2025-03", "period": "month", "measure": "care_cases_disposed"}
    answer = client.get("/v1/metrics", query_string=months, headers=auth_headers(make_partner("fjb")))
    assert answer.status_code == 200
    cells = answer.get_json()["cells"]
    assert [(c["area"], c["period"], c["value"]) for c in cells] == [
        ("national", "2025-01", 20),
        ("national", "2025-02", 0),
        ("national", "2025-03", 0),
    ]
    quarters = client.get(
        "/v1/metrics", query_string={**months, "period": "quarter"}, headers=auth_headers(make_partner("fjb"))
    ).get_json()["cells"]
    assert {c["area"] for c in quarters} > {"CENTRAL_LONDON", "national"}


def test_another_boards_area_is_404_and_audited(client, make_partner, auth_headers, twelve_cases):
    board = make_partner("lfjb")
    response = client.get(
        "/v1/metrics", query_string={**Q1, "area": "WEST_LONDON"}, headers=auth_headers(board)
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "WEST_LONDON" not in response.get_data(as_text=True)
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "metrics.foreign_area")).all()
    assert [d.resource_ids for d in denied] == [["WEST_LONDON"]]
    pack = client.get(
        "/v1/metrics/pack",
        query_string={"area": "WEST_LONDON", "quarter": "2025Q1"},
        headers=auth_headers(board),
    )
    assert pack.status_code == 404


def test_the_national_board_sees_every_area(client, make_partner, auth_headers, twelve_cases):
    fjb = make_partner("fjb")
    cells = client.get(
        "/v1/metrics", query_string={**Q1, "measure": "care_cases_started"}, headers=auth_headers(fjb)
    ).get_json()["cells"]
    assert len({c["area"] for c in cells}) == 45  # 43 DFJ areas, the High Court and national
    areas = client.get("/v1/metrics/areas", headers=auth_headers(fjb)).get_json()
    assert len(areas["items"]) == 45 and areas["next_cursor"] is None
    board_areas = client.get("/v1/metrics/areas", headers=auth_headers(make_partner("lfjb"))).get_json()[
        "items"
    ]
    assert [a["code"] for a in board_areas] == ["CENTRAL_LONDON", "national"]


def test_other_kinds_cannot_pull_metrics(client, make_partner, auth_headers):
    la = make_partner("local_authority")
    assert client.get("/v1/metrics", headers=auth_headers(la)).status_code == 403


def test_csv_has_the_same_columns_and_cells(client, make_partner, auth_headers, twelve_cases):
    headers = auth_headers(make_partner("lfjb"))
    query = {**Q1, "measure": "care_cases_disposed,care_duration_band"}
    as_json = client.get("/v1/metrics", query_string=query, headers=headers).get_json()["cells"]
    response = client.get("/v1/metrics", query_string=query, headers={**headers, "Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["measure"], r["area"], r["value"], r["status"]) for r in rows] == [
        (c["measure"], c["area"], str(c["value"]), c["status"]) for c in as_json
    ]


def test_csv_text_cannot_start_a_formula():
    assert [_csv_safe(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "green", -3, None)] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "green",
        -3,
        "",
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"period": "fortnight"},
        {"from": "2025-13"},
        {"from": "2025-06", "to": "2025-01"},
        {"measure": "care_cases_started,nonsense"},
        {"area": "ATLANTIS"},
        {"from": "2000-01", "to": "2025-12", "period": "month"},
        {"unknown": "1"},
    ],
)
def test_bad_parameters_are_422(client, make_partner, auth_headers, query):
    response = client.get("/v1/metrics", query_string=query, headers=auth_headers(make_partner("fjb")))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]


def test_pack_as_html_and_pdf(client, make_partner, auth_headers, twelve_cases):
    headers = auth_headers(make_partner("lfjb"))
    query = {"area": "CENTRAL_LONDON", "quarter": "2025Q1"}
    html = client.get("/v1/metrics/pack", query_string=query, headers={**headers, "Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    pdf = client.get("/v1/metrics/pack", query_string=query, headers={**headers, "Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    bad = client.get(
        "/v1/metrics/pack", query_string={"area": "CENTRAL_LONDON", "quarter": "2025Q5"}, headers=headers
    )
    assert bad.status_code == 422
