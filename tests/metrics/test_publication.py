"""The publication: requests read it (503 before the first), it says when it was made, and the worker brings
it up to date once changes have stopped (debounced)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from exchange import clock
from exchange.db import db
from exchange.metrics import publication
from exchange.metrics.periods import Period
from exchange.worker import PUBLISH_AT_MOST_AFTER, PUBLISH_QUIET, Worker
from tests.metrics.conftest import REFERENCE

Q1 = {"from": "2025-01", "to": "2025-03", "period": "quarter", "measure": "care_cases_started"}
NOW = datetime(2025, 7, 1, 9, tzinfo=UTC)


def _started(client, headers) -> int | str:
    response = client.get("/v1/metrics", query_string={**Q1, "area": "national"}, headers=headers)
    assert response.status_code == 200
    [cell] = response.get_json()["cells"]
    return cell["value"]


def test_before_the_first_publication_the_figures_answer_503_with_retry_after(
    client, make_partner, auth_headers, add_case
):
    add_case(date(2025, 1, 10))
    headers = auth_headers(make_partner("fjb"))
    for path, query in (
        ("/v1/metrics", Q1),
        ("/v1/metrics/pack", {"area": "CENTRAL_LONDON", "quarter": "2025Q1"}),
    ):
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 503, path
        assert response.mimetype == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
    publication.publish(db.session, REFERENCE)
    response = client.get("/v1/metrics", query_string=Q1, headers=headers)
    assert response.status_code == 200
    stamp = response.get_json()["published_at"]
    assert stamp == publication.published_at(publication.current(db.session))
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= clock.now()


def test_the_pack_prints_when_the_figures_were_published(
    client, make_partner, auth_headers, quarter_of_cases
):
    state = publication.current(db.session)
    response = client.get(
        "/v1/metrics/pack",
        query_string={"area": "CENTRAL_LONDON", "quarter": "2025Q1"},
        headers=auth_headers(make_partner("lfjb")),
    )
    assert response.status_code == 200
    stamp = f"{state.published_at.day} {state.published_at:%B %Y, %H:%M} UTC"
    assert f"figures published {stamp}" in response.get_data(as_text=True)


def test_a_pack_whose_earlier_quarters_precede_the_publication_shows_them_not_published(
    client, make_partner, auth_headers, add_case
):
    add_case(date(2025, 1, 10))
    publication.publish(db.session, REFERENCE, date(2025, 7, 1))  # the calendar starts in January 2024
    query = {"area": "CENTRAL_LONDON", "quarter": "2024Q1"}
    headers = auth_headers(make_partner("lfjb"))
    response = client.get("/v1/metrics/pack", query_string=query, headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<td>x</td>" in page and "2023Q4" in page
    later = client.get("/v1/metrics/pack", query_string={**query, "quarter": "2030Q1"}, headers=headers)
    assert later.status_code == 422


def test_months_outside_the_publication_are_a_422(client, make_partner, auth_headers, add_case):
    add_case(date(2025, 1, 10))
    publication.publish(db.session, REFERENCE, date(2025, 7, 1))
    response = client.get(
        "/v1/metrics",
        query_string={"from": "2030-01", "to": "2030-03", "period": "quarter"},
        headers=auth_headers(make_partner("fjb")),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/from"


def test_the_worker_publishes_once_changes_have_stopped(client, make_partner, auth_headers, add_case, app):
    worker = Worker(settings=app.config["EXCHANGE_SETTINGS"])
    for n in range(8):
        add_case(date(2025, 1, 10) + timedelta(days=n))
    headers = auth_headers(make_partner("fjb"))
    assert worker.publish(NOW) == 1  # the first publication is made at once
    assert worker.publish(NOW + timedelta(seconds=1)) == 0  # nothing changed since
    assert _started(client, headers) == 8
    first = publication.current(db.session).published_at
    add_case(date(2025, 2, 10))
    assert worker.publish(NOW + timedelta(seconds=2)) == 0  # a change: wait for quiet
    add_case(date(2025, 2, 11))
    assert worker.publish(NOW + timedelta(seconds=8)) == 0  # another: the quiet spell starts again
    assert _started(client, headers) == 8  # requests still read the publication as it was
    assert worker.publish(NOW + timedelta(seconds=8) + PUBLISH_QUIET) == 1
    assert _started(client, headers) == 10
    db.session.expire_all()
    assert publication.current(db.session).published_at > first


def test_a_steady_stream_of_changes_still_publishes(make_partner, add_case, app):
    worker = Worker(settings=app.config["EXCHANGE_SETTINGS"])
    add_case(date(2025, 1, 10))
    assert worker.publish(NOW) == 1
    at = NOW
    published = 0
    while at - NOW <= PUBLISH_AT_MOST_AFTER:
        add_case(date(2025, 1, 10))  # a change every few seconds, never quiet for long
        at += PUBLISH_QUIET / 2
        published += worker.publish(at)
    assert published == 1


def test_a_case_leaving_the_stock_without_a_disposal_is_every_period_s_rest(add_case):
    """A case consolidated into another leaves the open stock with no disposal: the stock-flow identity of
    its month, quarter and year has that rest, nationally and in its area, and publishing declares them
    all (each is checked against the true values)."""
    case = add_case(date(2024, 3, 4), date(2025, 2, 10), outcome="CONSOLIDATED")
    case.first_disposal_date = None
    db.session.commit()
    publication.publish(db.session, REFERENCE)
    quarters = [Period("quarter", 2025 * 4 - 1), Period("quarter", 2025 * 4)]
    cells = {
        (c["measure"], c["area"], c["period"]): c["value"]
        for c in publication.cells(
            db.session, quarters, ["national"], ["care_open_cases", "care_cases_disposed"]
        )
    }
    assert cells == {
        ("care_open_cases", "national", "2024Q4"): "c",
        ("care_open_cases", "national", "2025Q1"): 0,
        ("care_cases_disposed", "national", "2024Q4"): 0,
        ("care_cases_disposed", "national", "2025Q1"): 0,
    }
