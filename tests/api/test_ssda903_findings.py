"""SSDA903 returns through the intake (issue 16): every row kept, DfE's rules as findings beside them.

One CSV is one table of the return: its own rules run (a rule reading another table is skipped) once the
table is read, and each breach is a finding on the stored row; a zip of CSV tables is one return, whose rules
read across them. Every data set is synthetic.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange import pipeline
from exchange.bodies import Body
from exchange.db import db
from exchange.errors import DomainError
from exchange.models import Organisation, ReturnChild
from tests.fixtures import zip_of

SSDA903_CSV = "text/csv; profile=ssda903"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"


def header_table(children: int, planted: dict[int, str] | None = None) -> bytes:
    """``children`` valid header rows; ``planted`` replaces the row of a child (by number) with its text."""
    rows = [f"SYN{n:06d},1,01/01/2015,WBRI,A{n:012d},," for n in range(children)]
    for number, row in (planted or {}).items():
        rows[number] = row
    return (HEADER + "\n".join(rows) + "\n").encode()


def all_findings(client: Any, headers: dict[str, str], submission_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 1000}
    while True:
        page = client.get(f"/v1/submissions/{submission_id}/findings", headers=headers, query_string=query)
        assert page.status_code == 200
        body = page.get_json()
        items += body["items"]
        if body["next_cursor"] is None:
            return items
        query["cursor"] = body["next_cursor"]


def stored_children() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ReturnChild).where(ReturnChild.source == "ssda903")
    )


def test_a_clean_header_table_is_stored_whole_without_findings(camden, submit, client, auth_headers):
    body = submit(camden, header_table(300), SSDA903_CSV).get_json()
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == ("accepted", 300, 300, 0)
    assert body["findings"] == {}
    assert all_findings(client, auth_headers(camden), body["id"]) == []
    assert stored_children() == 300


def test_a_planted_rule_breach_is_exactly_that_finding_on_a_stored_row(camden, submit, client, auth_headers):
    # child 7 is a boy with a mother's child's date of birth: rule 174; child 280, over 25 all year: 351
    planted = {
        7: "SYN000007,1,01/01/2015,WBRI,A000000000007,,01/02/2020",
        280: "SYN000280,2,01/01/1990,WBRI,A000000000280,,",
    }
    body = submit(camden, header_table(300, planted), SSDA903_CSV).get_json()
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == ("accepted", 300, 300, 0)
    assert stored_children() == 300
    items = all_findings(client, auth_headers(camden), body["id"])
    assert sorted((i["code"], i["record"], i["position"]["row"], i["position"]["column"]) for i in items) == [
        ("ssda903.174", "SYN000007", 9, "MC_DOB"),
        ("ssda903.351", "SYN000280", 282, "DOB"),
    ]
    assert body["findings"] == {"error": 2}
    assert all("1990" not in i["message"] and "SYN" not in i["message"] for i in items)


EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def test_a_rule_across_tables_runs_on_the_tables_of_one_zip_or_of_one_years_submissions(
    camden, greenwich, submit, client, auth_headers
):
    """EPI (a header row with no episode) reads the header and episodes tables. Sent one by one without a
    collection year, neither submission has both; with one, the second is read with the first (another LA's
    table never); zipped into one submission, the zip has both."""
    header = header_table(3)
    episodes = "".join(f"SYN00000{n},01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n" for n in (0, 1))
    episodes_table = (EPISODES + episodes).encode()
    headers = auth_headers(camden)
    in_header_row_4 = [("SYN000002", {"table": "header", "row": 4, "column": "CHILD"})]

    def epi(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        items = all_findings(client, headers, body["id"])
        return [(i["record"], i["position"]) for i in items if i["code"] == "ssda903.EPI"]

    def sent(org: Any, table: bytes, year: str = "") -> dict[str, Any]:
        answer = submit(org, table, SSDA903_CSV, query=f"?collection_year={year}" if year else "")
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    for table in (header, episodes_table):
        alone = sent(camden, table)
        assert (alone["status"], alone["same_year_tables"], epi(alone)) == ("accepted", None, [])
    theirs = sent(greenwich, header, "2024")
    first = sent(camden, header, "2024")
    assert (first["same_year_tables"], epi(first)) == ({}, [])
    second = sent(camden, episodes_table, "2024")
    assert second["same_year_tables"] == {"header": first["id"]} and theirs["id"] not in json.dumps(second)
    assert (second["records"], second["accepted"], epi(second)) == (2, 2, in_header_row_4)
    shown = client.get(f"/v1/submissions/{second['id']}", headers=headers).get_json()
    assert shown["same_year_tables"] == {"header": first["id"]}

    together = submit(
        camden,
        zip_of({"header.csv": header, "episodes.csv": episodes_table}),
        "application/zip",
        query="?collection_year=2024",
    )
    assert together.status_code == 201
    body = together.get_json()
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == ("accepted", 5, 5, 0)
    assert (body["same_year_tables"], epi(body)) == ({}, in_header_row_4)  # both tables its own


def test_a_zip_that_is_not_one_return_is_refused_whole_as_a_problem(camden, submit):
    answer = submit(camden, zip_of({"a.csv": header_table(2), "b.csv": header_table(2)}), "application/zip")
    assert answer.status_code == 422
    problem = answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert [(e["code"], e["message"]) for e in problem["errors"]] == [
        ("zip.table_repeated", "file 2 of the zip: it gives the header table an earlier file gave")
    ]
    assert stored_children() == 0


def test_a_return_checked_ahead_reads_the_collection_year_it_is_given(app, camden):
    """``pipeline.check`` with a collection year reads with that year's codes and rules (sex 1 is a code
    of 2023-24 but no longer of 2024-25: rule 101), and the submission stored from it keeps that year."""
    settings = app.config["EXCHANGE_SETTINGS"]
    org = db.session.get(Organisation, camden.org_id)
    data = header_table(2)

    def checked(year: int | None) -> pipeline.Prepared:
        with Body.of(data) as body:
            return pipeline.check(
                org, body, "text/csv", "ssda903", reference=settings.reference, collection_year=year
            )

    def found(prepared: pipeline.Prepared) -> list[tuple[str, str]]:
        return [(r.data["code"], r.data["record"]) for r in prepared.records if r.kind == pipeline.FINDING]

    assert found(checked(None)) == found(checked(2024)) == []
    assert found(checked(2025)) == [("ssda903.101", "SYN000000"), ("ssda903.101", "SYN000001")]
    with pytest.raises(DomainError) as unknown:
        checked(2017)
    assert unknown.value.code == "unknown_collection_year"
    prepared = checked(2025)
    with Body.of(data) as body:

        def stored(year: int | None) -> Any:
            return pipeline.submit(
                org,
                "operator",
                body,
                "text/csv",
                "ssda903",
                session=db.session(),
                settings=settings,
                checked=prepared,
                collection_year=year,
            )

        with pytest.raises(ValueError, match="another collection year"):
            stored(2024)
        submission = stored(None)
    assert (submission.collection_year, submission.previous_submissions, submission.same_year_tables) == (
        2025,
        None,
        None,
    )
    assert (submission.status, submission.records, submission.findings) == ("accepted", 2, {"error": 2})
