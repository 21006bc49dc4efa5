"""SSDA903 returns through the intake (issue 16): every row kept, DfE's rules as findings beside them.

One CSV is one table of the return: its own rules run (a rule reading another table is skipped) once the
table is read, and each breach is a finding on the stored row. Every data set is synthetic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from exchange.db import db
from exchange.models import ReturnChild

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
