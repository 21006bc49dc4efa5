"""SSDA903 returns against the LA's own return of the year before (issue 16), through the HTTP intake.

A submission names its collection year (``collection_year``, the year the collection ends); the LA's
latest processed SSDA903 submission(s) of the year before are read as last year's return, so the rules
comparing with it run. Rule 203: a child's date of birth differs from last year's return. Every data set is
synthetic.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange import pipeline
from exchange.db import db
from exchange.models import ReturnChild, Submission
from tests.api.test_ssda903_findings import EPISODES, HEADER, SSDA903_CSV, all_findings
from tests.fixtures import zip_of

ABSENT = "ssda903.previous_return_absent"


def header_table(sex: str, *dates_of_birth: str) -> bytes:
    """A header table of boys (``sex``: 1 before 2024-25, M since) whose ``SYN<n>`` is born on
    ``dates_of_birth[n]``."""
    rows = [f"SYN{n:06d},{sex},{dob},WBRI,A{n:012d},," for n, dob in enumerate(dates_of_birth)]
    return (HEADER + "\n".join(rows) + "\n").encode()


THIS_YEAR = header_table("M", "01/01/2015", "01/01/2014")
#: last year's, child 0's date of birth differing from this year's: rule 203 fires on it
MOVED = header_table("1", "02/01/2015", "01/01/2014")
#: last year's, agreeing with this year's
AGREES = header_table("1", "01/01/2015", "01/01/2014")


def returned(answer: Any, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.get_json()


def codes_of(client: Any, headers: dict[str, str], body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return sorted((item["code"], item["record"]) for item in all_findings(client, headers, body["id"]))


def test_last_years_return_submitted_first_makes_the_rule_comparing_with_it_fire(
    camden, submit, client, auth_headers
):
    older = returned(submit(camden, AGREES, SSDA903_CSV, query="?collection_year=2024"))
    newer = returned(submit(camden, MOVED, SSDA903_CSV, query="?collection_year=2024"))
    assert (newer["collection_year"], newer["previous_submissions"]) == (2024, [])  # no 2022-23 return

    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    # the newest header table of 2023-24 is last year's: the older one, which agrees, is not read
    assert (body["collection_year"], body["previous_submissions"]) == (2025, [newer["id"]])
    assert older["id"] not in body["previous_submissions"]
    assert codes_of(client, auth_headers(camden), body) == [("ssda903.203", "SYN000000")]
    assert (body["records"], body["accepted"], body["findings"]) == (2, 2, {"error": 1})
    shown = client.get(f"/v1/submissions/{body['id']}", headers=auth_headers(camden)).get_json()
    assert shown["previous_submissions"] == [newer["id"]]


def test_a_table_resent_replaces_only_that_table_of_an_earlier_zip(camden, submit, client, auth_headers):
    """Last year's return was a zip of the header and episodes, then its episodes were sent again: the
    header still comes from the zip (so 203 fires), the episodes from the newer table."""
    episodes = (EPISODES + "SYN000000,01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n").encode()
    zipped = zip_of({"header.csv": MOVED, "episodes.csv": episodes})
    earlier = returned(submit(camden, zipped, "application/zip", query="?collection_year=2024"))
    resent = returned(submit(camden, episodes, SSDA903_CSV, query="?collection_year=2024"))
    assert resent["same_year_tables"] == {"header": earlier["id"]}  # 2023-24's other table, from the zip
    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    assert body["previous_submissions"] == [resent["id"], earlier["id"]]
    assert ("ssda903.203", "SYN000000") in codes_of(client, auth_headers(camden), body)


def test_without_last_years_return_the_rule_stays_quiet_and_a_notice_says_it_was_not_run(
    camden, submit, client, auth_headers
):
    returned(submit(camden, MOVED, SSDA903_CSV, query="?collection_year=2025"))  # the same year: not last
    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    assert body["previous_submissions"] == []
    assert codes_of(client, auth_headers(camden), body) == [(ABSENT, None)]
    assert body["findings"] == {"query": 1}
    assert [item["code"] for item in body["report"]] == [ABSENT]


def test_another_las_return_of_last_year_is_never_read(camden, greenwich, submit, client, auth_headers):
    theirs = returned(submit(greenwich, MOVED, SSDA903_CSV, query="?collection_year=2024"))
    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    assert body["previous_submissions"] == []
    assert theirs["id"] not in json.dumps(body)
    assert codes_of(client, auth_headers(camden), body) == [(ABSENT, None)]


def test_a_rejected_return_of_last_year_is_not_read(camden, submit, client, auth_headers):
    refused = returned(
        submit(camden, b"CHILD,DOB\nSYN1,01/01/2015\n", SSDA903_CSV, query="?collection_year=2024"), 422
    )
    assert refused["submission"]["status"] == "rejected"
    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    assert body["previous_submissions"] == []


def test_without_a_collection_year_the_return_is_read_as_before(camden, submit, client, auth_headers):
    returned(submit(camden, MOVED, SSDA903_CSV, query="?collection_year=2024"))
    body = returned(submit(camden, THIS_YEAR, SSDA903_CSV))
    assert (body["collection_year"], body["previous_submissions"], body["findings"]) == (None, None, {})
    assert all_findings(client, auth_headers(camden), body["id"]) == []


@pytest.mark.parametrize(
    ("content_type", "year", "years"),
    [
        (SSDA903_CSV, "2019", [2024, 2025]),
        (SSDA903_CSV, "2026", [2024, 2025]),
        ("application/json", "2025", []),
    ],
)
def test_a_collection_year_without_rules_is_a_problem_before_the_body_is_read(
    camden, submit, content_type, year, years
):
    answer = submit(camden, THIS_YEAR, content_type, query=f"?collection_year={year}")
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.get_json()
    assert [error["code"] for error in problem["errors"]] == ["unknown_collection_year"]
    assert problem["collection_years"] == years
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_one_idempotency_key_with_another_collection_year_is_a_conflict(camden, submit):
    key = {"Idempotency-Key": "return-2025"}
    first = returned(submit(camden, THIS_YEAR, SSDA903_CSV, headers=key, query="?collection_year=2025"))
    again = submit(camden, THIS_YEAR, SSDA903_CSV, headers=key, query="?collection_year=2025")
    assert (again.status_code, again.get_json()["id"]) == (201, first["id"])
    other = submit(camden, THIS_YEAR, SSDA903_CSV, headers=key, query="?collection_year=2024")
    assert other.status_code == 409


def test_the_worker_reads_last_years_return_too(app, camden, submit, client, auth_headers):
    newer = returned(submit(camden, MOVED, SSDA903_CSV, query="?collection_year=2024"))
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(settings, inline_submission_bytes=64)
    waiting = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"), 202)
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is True
    body = client.get(f"/v1/submissions/{waiting['id']}", headers=auth_headers(camden)).get_json()
    assert (body["status"], body["previous_submissions"]) == ("accepted", [newer["id"]])
    assert codes_of(client, auth_headers(camden), body) == [("ssda903.203", "SYN000000")]


def test_each_years_return_is_kept_with_its_year_and_a_resubmission_replaces_only_that_year(camden, submit):
    last = returned(submit(camden, MOVED, SSDA903_CSV, query="?collection_year=2024"))
    first = returned(submit(camden, THIS_YEAR, SSDA903_CSV, query="?collection_year=2025"))
    again = returned(
        submit(camden, header_table("M", "01/01/2015"), SSDA903_CSV, query="?collection_year=2025")
    )
    rows = db.session.execute(
        select(ReturnChild.submission_id, ReturnChild.collection_year).where(ReturnChild.source == "ssda903")
    )
    kept = Counter((str(submission), year) for submission, year in rows)
    assert kept == {(last["id"], 2024): 2, (again["id"], 2025): 1}
    assert first["id"] not in {submission for submission, _ in kept}
