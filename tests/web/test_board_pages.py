"""A board's pages: its area's figures from the protected publication beside national, the period picker
checked by the API's own query schema, the CSV the API sends, the pack; another area's figures are a 404."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from exchange.db import db
from exchange.metrics import publication
from exchange.metrics.periods import Period
from exchange.models import AuditEvent
from tests.delivery.helpers import case_data, save_case
from tests.metrics.conftest import REFERENCE, area_of

AREA = "CENTRAL_LONDON"
OTHER = area_of("117")
RANGE = {"period": "quarter", "from": "2026-01", "to": "2026-06"}


@pytest.fixture
def published(app: Flask, people) -> None:
    """Seven care cases issued in Central London in 2026Q1 (a count the publication shows), then published."""
    for n in range(7):
        save_case("la-a", case_data(reference=f"REF-{n}", date_issued="2026-02-02"))
    publication.publish(db.session, REFERENCE)


def _cells(text: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr class="govuk-table__row" id="{row_id}">(.*?)</tr>', text, re.S)
    return re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">([^<]*)</td>', row[1])


def test_a_local_board_sees_its_area_beside_national(app: Flask, signed_in, published) -> None:
    page = signed_in("lfjb")
    assert page.get("/").location.endswith("/figures")
    answer = page.get("/figures", query_string=RANGE)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    stamp = publication.current(db.session).published_at
    assert f"Published {stamp.day} {stamp:%B %Y, %H:%M} UTC" in html
    periods = [Period("quarter", 2026 * 4), Period("quarter", 2026 * 4 + 1)]
    cells = {
        (c["area"], c["period"]): c["value"]
        for c in publication.cells(db.session, periods, [AREA, "national"], ["care_cases_started"])
    }
    assert cells[AREA, "2026Q1"] == 7
    assert _cells(html, f"care_cases_started-all-{AREA}") == ["7", str(cells[AREA, "2026Q2"])]
    assert _cells(html, "care_cases_started-all-national") == [
        f"{cells['national', p]:,}" for p in ("2026Q1", "2026Q2")
    ]
    # the charts: the area's line and the national line, drawn on the server
    for chart in ("trend-care_mean_weeks", "trend-care_pct_within_26_weeks", "duration-band"):
        svg = re.search(rf'<svg [^>]*data-chart="{chart}".*?</svg>', html, re.S)[0]
        assert REFERENCE.dfj_areas[AREA] in svg and "England and Wales" in svg, chart
    assert "What c and x mean" in html
    assert OTHER not in html  # not offered, not shown


def test_by_month_an_area_reads_x_beside_the_national_months(app: Flask, signed_in, published) -> None:
    """An area's months are not published (nor stored): the page shows them ``x``, national's counted."""
    answer = signed_in("lfjb").get(
        "/figures", query_string={"period": "month", "from": "2026-01", "to": "2026-03"}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert _cells(html, f"care_cases_started-all-{AREA}") == ["x", "x", "x"]
    national = _cells(html, "care_cases_started-all-national")
    assert len(national) == 3 and "x" not in national


def test_the_national_board_sees_national_and_may_pick_an_area(app: Flask, signed_in, published) -> None:
    page = signed_in("fjb")
    national = page.get("/figures", query_string=RANGE).get_data(as_text=True)
    assert "Figures: England and Wales" in national and f'value="{OTHER}"' in national
    assert f'id="care_cases_started-all-{AREA}"' not in national
    other = page.get("/figures", query_string={**RANGE, "area": OTHER})
    assert other.status_code == 200 and f'id="care_cases_started-all-{OTHER}"' in other.get_data(as_text=True)


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        ({"from": "2026-13"}, "from", "Enter the first month as a year and month, like 2025-01"),
        ({"from": "2026-06", "to": "2026-01"}, "from", "The first month must not be after the last month"),
        ({"period": "week"}, "period", "Select months, quarters or years"),
        ({"period": "month", "from": "2020-01", "to": "2026-06"}, "to", "Choose at most 60 months"),
        ({"area": "NOWHERE"}, "area", "Select an area"),
        ({"from": "2001-01", "to": "2001-03"}, "from", "The figures are published for"),
    ],
)
def test_a_bad_period_shows_the_error_summary(
    app: Flask, signed_in, published, asked, field, message
) -> None:
    page = signed_in("lfjb")
    answer = page.get("/figures", query_string={**RANGE, **asked})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "govuk-error-summary" in html
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)[0]
    assert f'href="#{field}"' in summary and message in summary
    assert "<svg" not in html


def test_another_areas_figures_are_not_found(app: Flask, signed_in, people, published) -> None:
    page = signed_in("lfjb")
    for path in ("/figures", "/figures.csv"):
        assert page.get(path, query_string={**RANGE, "area": OTHER}).status_code == 404
    assert page.get("/figures/pack", query_string={"area": OTHER, "quarter": "2026Q2"}).status_code == 404
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied_404")).all()
    assert len(denied) == 3
    assert all(e.client_id == f"web:{people['lfjb']}" and e.resource_ids == [OTHER] for e in denied)
    assert page.get("/figures", query_string={**RANGE, "area": "national"}).status_code == 200


def test_the_csv_is_the_apis(app: Flask, client, signed_in, published, make_partner, auth_headers) -> None:
    page = signed_in("lfjb")
    html = page.get("/figures", query_string=RANGE).get_data(as_text=True)
    link = re.search(r'href="(/figures\.csv\?[^"]+)"', html)[1].replace("&amp;", "&")
    mine = page.get(link)
    assert mine.status_code == 200 and mine.mimetype == "text/csv"
    assert "attachment" in mine.headers["Content-Disposition"]
    board = make_partner("lfjb")  # also Central London
    api = client.get("/v1/metrics", query_string=RANGE, headers={**auth_headers(board), "Accept": "text/csv"})
    assert api.status_code == 200
    assert mine.get_data(as_text=True) == api.get_data(as_text=True)
    assert mine.get_data(as_text=True).count("\n") > 2


def test_the_pack_is_the_apis(app: Flask, client, signed_in, published, make_partner, auth_headers) -> None:
    page = signed_in("lfjb")
    html = page.get("/figures", query_string=RANGE).get_data(as_text=True)
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/figures/pack\?[^"]+)"', html)]
    assert links == [
        f"/figures/pack?area={AREA}&quarter=2026Q2",
        f"/figures/pack?area={AREA}&quarter=2026Q2&format=pdf",
    ]
    as_html = page.get(links[0])
    assert as_html.status_code == 200 and as_html.mimetype == "text/html"
    assert f"Care proceedings: {REFERENCE.dfj_areas[AREA]}" in as_html.get_data(as_text=True)
    as_pdf = page.get(links[1])
    assert as_pdf.status_code == 200 and as_pdf.get_data().startswith(b"%PDF")
    assert (
        page.get("/figures/pack", query_string={"area": "national", "quarter": "2026Q2"}).status_code == 404
    )
