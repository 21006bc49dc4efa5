"""Each measure on a small hand-built data set; every expected figure is worked out by hand below."""

from __future__ import annotations

from datetime import date, timedelta

from exchange.db import db
from exchange.metrics.measures import compute, duration_band
from exchange.metrics.periods import Period, parse_quarter
from tests.metrics.conftest import CENTRAL, REFERENCE, WEST, area_of, find

Q4_2024, Q1_2025, Q2_2025 = (parse_quarter(q) for q in ("2024Q4", "2025Q1", "2025Q2"))
AREA = area_of(CENTRAL)


def raw(periods: list[Period], measure: str, area: str = AREA, category: str | None = None) -> list:
    cells = compute(db.session, periods, REFERENCE, [measure])
    return [find(cells, measure, area, p.label, category) for p in periods]


def test_durations_moj_median_and_the_182_day_boundary(add_case):
    issued = date(2024, 7, 15)
    # days to disposal: 182 (26 w, within), 183 (26 w, not within), 189 (27 w), 245 (35 w), 250 (35 w)
    for days in (182, 183, 189, 245, 250):
        add_case(issued, issued + timedelta(days=days))
    add_case(date(2024, 12, 1), date(2025, 1, 30))  # 60 days: 8 weeks, within
    add_case(issued, issued + timedelta(days=300))  # disposed 2025-05-11: Q2, not in Q1
    add_case(issued, issued + timedelta(days=100), court=WEST)  # another area
    [disposed] = raw([Q1_2025], "care_cases_disposed")
    assert disposed.value == 6
    [mean] = raw([Q1_2025], "care_mean_weeks")
    # (8 + 26 + 26 + 27 + 35 + 35) / 6 = 157 / 6
    assert (mean.value, mean.numerator, mean.denominator) == (26.2, 157, 6)
    # NTILE(2) of 8 26 26 | 27 35 35: even count, the mean of the two middle values
    [median] = raw([Q1_2025], "care_median_weeks")
    assert (median.value, median.denominator) == (26.5, 6)
    [within] = raw([Q1_2025], "care_pct_within_26_weeks")
    assert (within.value, within.numerator, within.denominator) == (33.3, 2, 6)
    [band] = raw([Q1_2025], "care_duration_band")
    assert band.value == "green"  # 26.2 weeks is 26 whole weeks
    # nationally the West London case (100 days: 14 weeks, 2024-10-23) is in Q4 2024 instead
    [national] = raw([Q4_2024], "care_cases_disposed", "national")
    assert national.value == 1


def test_moj_median_of_an_odd_count_is_the_largest_value_of_the_lower_half(add_case):
    issued = date(2024, 7, 15)
    for days in (182, 183, 189, 245, 250):  # weeks 26 26 27 35 35
        add_case(issued, issued + timedelta(days=days))
    [median] = raw([Q1_2025], "care_median_weeks")
    assert median.value == 27 and isinstance(median.value, float)  # one type whatever the count: 27.0
    [mean] = raw([Q1_2025], "care_mean_weeks")
    assert mean.value == 29.8  # 149 / 5
    [band] = raw([Q1_2025], "care_duration_band")
    assert band.value == "red"  # 29.8 rounds to 30 whole weeks


def test_duration_bands():
    assert [duration_band(w) for w in (26.0, 26.49, 26.5, 29.4, 29.5, 41)] == [
        "green",
        "green",
        "amber",
        "amber",
        "red",
        "red",
    ]


def test_month_quarter_and_year_boundaries(add_case):
    for issued in (
        date(2024, 12, 31),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 3, 31),
        date(2025, 4, 1),
    ):
        add_case(issued, children=2)
    months = [Period("month", 2025 * 12 + m) for m in range(0, 4)]
    assert [c.value for c in raw(months, "care_cases_started")] == [1, 1, 1, 1]  # Jan Feb Mar Apr
    assert [c.value for c in raw(months, "care_children_started")] == [2, 2, 2, 2]
    assert [c.value for c in raw([Q4_2024, Q1_2025, Q2_2025], "care_cases_started")] == [1, 3, 1]
    years = [Period("year", 2024), Period("year", 2025)]
    assert [c.value for c in raw(years, "care_cases_started")] == [1, 4]
    assert [c.period for c in raw(years, "care_cases_started")] == ["2024", "2025"]


def test_open_cases_and_their_age_at_period_end(add_case):
    add_case(date(2023, 3, 1))  # Q1 2025 end: 761 days, over 100 weeks; Q4 2024 end: 671
    add_case(date(2023, 4, 30))  # 701 days: over 100 weeks; Q4: 611
    add_case(date(2023, 5, 1))  # 700 days: not over; Q4: 610
    add_case(date(2025, 3, 31))  # 0 days
    add_case(date(2025, 4, 1))  # not yet issued at Q1 end
    add_case(date(2024, 1, 1), date(2025, 3, 31))  # disposed on the last day of Q1; Q4: 365 days
    open_cases = raw([Q4_2024, Q1_2025], "care_open_cases")
    assert [c.value for c in open_cases] == [4, 4]
    assert [c.value for c in raw([Q4_2024, Q1_2025], "care_open_over_100_weeks")] == [0, 2]
    bands = {
        b: raw([Q4_2024, Q1_2025], "care_open_age_profile", category=b)
        for b in ("up_to_26_weeks", "52_to_78_weeks", "78_to_100_weeks", "over_100_weeks")
    }
    assert {b: [c.value for c in cs] for b, cs in bands.items()} == {
        "up_to_26_weeks": [0, 1],
        "52_to_78_weeks": [1, 0],
        "78_to_100_weeks": [3, 1],
        "over_100_weeks": [0, 2],
    }


def test_plo_late_hearings_at_days_24_140_182_or_missing(add_case):
    jan1 = date(2025, 1, 1)
    day = timedelta(days=1)
    add_case(jan1, hearings=(("CASE_MANAGEMENT", jan1 + 24 * day, "held"),))  # on time; no IRH yet at 89 days
    add_case(jan1, hearings=(("CASE_MANAGEMENT", jan1 + 25 * day, "held"),))  # late CMH
    sep1 = date(2024, 9, 1)  # 211 days old at 2025-03-31
    add_case(
        sep1,
        hearings=(("ISSUE_RESOLUTION", sep1 + 140 * day, "listed"), ("FINAL", sep1 + 183 * day, "listed")),
    )  # CMH missing: late; IRH on day 140: on time; final on day 183: late
    add_case(date(2025, 3, 20))  # 11 days old: nothing is late yet
    oct1 = date(2024, 10, 1)  # 181 days old at 2025-03-31
    add_case(
        oct1,
        hearings=(
            ("CASE_MANAGEMENT", oct1 + 10 * day, "held"),
            ("CASE_MANAGEMENT", oct1 + 30 * day, "vacated", "LocalAuthority"),  # vacated: not the latest CMH
            ("ISSUE_RESOLUTION", oct1 + 141 * day, "held"),  # late IRH
            ("FINAL", oct1 + 182 * day, "listed"),  # on time
        ),
    )
    assert [c.value for c in raw([Q1_2025], "plo_late_cmh")] == [2]
    assert [c.value for c in raw([Q1_2025], "plo_late_irh")] == [1]
    assert [c.value for c in raw([Q1_2025], "plo_late_final")] == [1]


def test_vacated_hearings_by_agency_and_hearings_per_disposed_case(add_case):
    feb1 = date(2025, 2, 1)
    add_case(
        date(2024, 10, 1),
        date(2025, 3, 3),
        hearings=(
            ("CASE_MANAGEMENT", date(2024, 10, 20), "held"),
            ("ISSUE_RESOLUTION", date(2025, 1, 5), "vacated"),  # no reason recorded
            ("ISSUE_RESOLUTION", feb1, "adjourned"),
            ("FINAL", date(2025, 2, 10), "vacated", "Cafcass"),
            ("FINAL", date(2025, 3, 3), "held"),
        ),
    )
    add_case(
        date(2024, 11, 1),
        date(2025, 3, 31),
        hearings=(
            ("FINAL", date(2025, 3, 31), "vacated", "Cafcass"),
            ("FINAL", date(2025, 4, 1), "vacated", "HMCTS"),  # Q2
        ),
    )
    by_agency = {
        a: raw([Q1_2025, Q2_2025], "vacated_hearings_by_agency", category=a)
        for a in ("Cafcass", "NotRecorded", "HMCTS", "LocalAuthority")
    }
    assert {a: [c.value for c in cs] for a, cs in by_agency.items()} == {
        "Cafcass": [2, 0],
        "NotRecorded": [1, 0],
        "HMCTS": [0, 1],
        "LocalAuthority": [0, 0],
    }
    [ratio] = raw([Q1_2025], "hearings_per_disposed_case")
    # held or adjourned: 3 for the first case, none for the second; 2 cases disposed
    assert (ratio.value, ratio.numerator, ratio.denominator) == (1.5, 3, 2)


def test_private_law(add_case):
    add_case(date(2024, 10, 1), date(2025, 1, 1), law="private")  # 92 days: 13 weeks
    add_case(date(2024, 12, 31), date(2025, 3, 31), law="private")  # 90 days: 12 weeks
    # FCSQ's end point is the last child's final disposal: a final order for one child of two ends nothing
    add_case(date(2024, 12, 31), date(2025, 2, 1), law="private", children=2)
    add_case(date(2025, 1, 2), law="private")
    add_case(date(2025, 1, 2), date(2025, 2, 2), law="private", outcome="WITHDRAWN")  # no final order
    [started] = raw([Q1_2025], "private_cases_started")
    assert started.value == 2
    [mean] = raw([Q1_2025], "private_mean_weeks_to_final_order")
    assert (mean.value, mean.numerator, mean.denominator) == (12.5, 25, 2)
    [care] = raw([Q1_2025], "care_cases_started")
    assert care.value == 0


def test_advice_requests_and_pre_proceedings(la_org):
    from datetime import UTC, datetime
    from uuid import uuid4

    from exchange.models import Advice, AdviceRequest, Organisation, PreProceedings

    court = Organisation(
        id="court-115", kind="court", name="Central Family Court (synthetic)", court_codes=["115"]
    )
    db.session.add(court)
    db.session.flush()

    def request(received: date, due: date, answered: date | None, status: str = "answered") -> None:
        row = AdviceRequest(
            court_org_id=court.id,
            client_id="c",
            body_sha256="0" * 64,
            court=CENTRAL,
            type="safeguarding_letter",
            due_date=due,
            status=status,
            routed_to="cafcass",
            created_at=datetime.combine(received, datetime.min.time(), UTC),
        )
        db.session.add(row)
        db.session.flush()
        if answered:
            db.session.add(
                Advice(
                    request_id=row.id,
                    answered_by_org_id=la_org.id,
                    summary="s",
                    answered_at=datetime.combine(answered, datetime.max.time(), UTC),
                )
            )

    request(date(2024, 12, 20), date(2025, 1, 10), date(2025, 1, 10))  # received Q4, due Q1, on its due day
    request(date(2025, 1, 5), date(2025, 1, 20), date(2025, 1, 21))  # late
    request(date(2025, 2, 1), date(2025, 3, 31), None, "overdue")  # due in Q1, unanswered
    request(date(2025, 2, 2), date(2025, 3, 1), None, "withdrawn")  # withdrawn: not due
    request(date(2025, 3, 1), date(2025, 4, 2), None, "routed")  # due Q2
    for n, (started, court_date) in enumerate(
        [(date(2025, 1, 3), date(2025, 3, 1)), (date(2025, 2, 3), None), (date(2025, 3, 31), None)]
    ):
        db.session.add(
            PreProceedings(
                org_id=la_org.id,
                collection_year=2025,
                la_code="202",
                la_child_id=f"P{n}",
                start_date=started,
                court_application_date=court_date,
                submission_id=uuid4(),
            )
        )
    db.session.commit()
    [received] = raw([Q1_2025], "advice_requests")
    assert received.value == 4
    [on_time] = raw([Q1_2025], "advice_on_time_pct")
    # due in Q1 and not withdrawn: 3; answered by the due date: 1
    assert (on_time.value, on_time.numerator, on_time.denominator) == (33.3, 1, 3)
    [pre] = raw([Q1_2025], "pre_proceedings_started")
    assert pre.value == 3  # Camden (202) is in Central London
    [to_court] = raw([Q1_2025], "pre_proceedings_to_court_pct")
    assert (to_court.numerator, to_court.denominator) == (1, 3)


def test_care_measures_count_s31_applications_only(add_case):
    for n in range(10):
        add_case(date(2024, 7, 1) + timedelta(days=n), date(2025, 1, 6) + timedelta(days=n))  # 27 weeks, s31
    for _ in range(6):  # an EPO alone, disposed after a week: not a care case (FCSQ)
        add_case(date(2025, 1, 6), date(2025, 1, 13), orders_sought=("EMERGENCY_PROTECTION_ORDER",))
    add_case(date(2025, 1, 6), date(2025, 2, 3), orders_sought=("SECURE_ACCOMMODATION_ORDER",))
    add_case(date(2025, 1, 6), orders_sought=("EMERGENCY_PROTECTION_ORDER", "INTERIM_CARE_ORDER"))  # s31
    cells = {
        c.measure: c for c in compute(db.session, [Q1_2025], REFERENCE) if c.area == AREA and not c.category
    }
    assert (cells["care_mean_weeks"].numerator, cells["care_mean_weeks"].denominator) == (270, 10)
    assert cells["care_cases_disposed"].value == 10
    assert cells["care_cases_started"].value == 1
    assert cells["care_open_cases"].value == 1
    assert cells["epo_cases_started"].value == 6
    assert cells["other_public_cases_started"].value == 1
