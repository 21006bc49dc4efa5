"""The demo's data, loaded through the real intake at a small scale, gives the published picture's rates:
the boards' measures (``exchange.metrics.measures``, what ``/v1/metrics`` publishes) over its last whole
year, hearings on working days only, and the rows the packs need besides (open over 100 weeks, advice
requests, pre-proceedings)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from exchange import demo
from exchange.db import db
from exchange.metrics import aggregates, measures
from exchange.metrics.periods import periods_between
from exchange.models import Case
from exchange.models.metrics import MetricCount

TODAY = date(2026, 7, 1)  # the last whole year is 2025
SCALE = 0.02


@pytest.fixture
def loaded(app):
    with app.app_context():
        settings = app.config["EXCHANGE_SETTINGS"]
        _, submitters = demo.create_partners(db.session, settings.reference)
        totals = demo.load(
            submitters, session=db.session(), settings=settings, seed=3, years=3, today=TODAY, scale=SCALE
        )
        courts = demo.area_courts(db.session, settings.reference)
        totals["census"] = demo.submit_census(
            submitters, session=db.session(), settings=settings, seed=3, scale=SCALE
        )
        totals["advice"] = demo.ask_for_advice(db.session(), settings, courts, seed=3, today=TODAY)
        yield totals, settings.reference
        db.session.remove()


def test_the_demo_loaded_through_the_intake_gives_the_published_picture(loaded):
    totals, reference = loaded
    assert totals["accepted"] == totals["cases"] and totals["rejected"] == 0
    figures = demo.figures(db.session, reference, TODAY)
    assert figures["year"] == 2025
    assert 33 <= figures["care_mean_weeks"] <= 46
    assert 20 <= figures["care_pct_within_26_weeks"] <= 45
    assert 1.5 <= figures["children_per_care_case"] <= 1.8
    # the volumes, at this scale: 16,000 care and 50,000 private-law cases a year
    assert 16_000 * SCALE * 0.85 < figures["care_cases_started"] < 16_000 * SCALE * 1.15
    assert 50_000 * SCALE * 0.85 < figures["private_cases_started"] < 50_000 * SCALE * 1.15
    assert figures["care_open_over_100_weeks"] > 0
    assert figures["children_in_care_cases_open_over_100_weeks"] > figures["care_open_over_100_weeks"]
    assert figures["hearings_on_working_days_pct"] == 100.0
    assert totals["census"] > 0
    # about 3% of the cases were transferred from another area: their figures before it stay there
    documents = db.session.scalars(select(Case.document)).all()
    moves = [d["transfers"] for d in documents if d.get("transfers")]
    assert 0.02 < len(moves) / len(documents) < 0.04
    assert all(m[0]["from_dfj_area"] != m[0]["dfj_area"] for m in moves)

    last = TODAY.year * 12 + TODAY.month - 2
    years = periods_between("year", last - 35, last)
    cells = measures.compute(db.session, years, reference, ["care_cases_disposed", "care_mean_weeks"])
    national = {(c.measure, c.period): c.value for c in cells if c.area == aggregates.NATIONAL}
    # cases issued before the window are loaded: its first whole year disposes as many, as slowly
    assert national["care_cases_disposed", "2024"] > 0.85 * national["care_cases_disposed", "2025"]
    assert abs(national["care_mean_weeks", "2024"] - national["care_mean_weeks", "2025"]) < 6
    # the history before the window: the cases still open when it starts
    assert db.session.scalar(select(func.min(Case.date_issued))) < date(2022, 7, 1)
    months = periods_between("month", last - 5, last)
    advice = measures.compute(db.session, months, reference, ["advice_requests"])
    assert totals["advice"] > 0
    assert sum(c.value for c in advice if c.area == aggregates.NATIONAL) == totals["advice"]
    # pre-proceedings come from the 2026-27 census (the first with them), so from April 2026 on
    pre = measures.compute(db.session, months, reference, ["pre_proceedings_started"])
    assert sum(c.value for c in pre if c.area == aggregates.NATIONAL) > 0

    # the counts the bulk intake kept are those a rebuild from the stored cases gives
    def counts() -> list[tuple]:
        rows = db.session.execute(select(MetricCount.__table__)).all()
        return sorted(tuple(row) for row in rows if row.n or row.total)

    before = counts()
    aggregates.rebuild(db.session)
    assert counts() == before


def test_a_process_with_other_threads_checks_its_batches_without_forking(app, monkeypatch):
    """A forked child would inherit the locks the other threads hold (a console's, a log handler's)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    monkeypatch.setattr(demo.multiprocessing, "get_context", lambda *_: pytest.fail("forked beside a thread"))
    try:
        with app.app_context():
            settings = app.config["EXCHANGE_SETTINGS"]
            _, submitters = demo.create_partners(db.session, settings.reference)
            totals = demo.load(
                submitters, session=db.session(), settings=settings, seed=3, years=1, today=TODAY, scale=0.005
            )
            db.session.remove()
    finally:
        stop.set()
        other.join()
    assert totals["cases"] > 100 and totals["accepted"] == totals["cases"]
    assert totals["submissions"] > 0
