"""Statutory returns as datasets (issue 16): findings beside kept records, identity and provenance.

A child that breaks the XSD is rejected with all its faults; a DfE rule breach is a finding on a stored
child; a duplicate LA child id keeps both children (8510 on both); a CIN census and an SSDA903 return about
the same child are both kept, and the merged view says where each value came from; re-submitting a
return replaces that return's rows for its LA and year only. Every data set is synthetic.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from exchange.db import db
from exchange.models import CinEpisode, Organisation, ReturnChild
from exchange.store import returns as return_store
from exchange.synthetic_cin import census_chunks

CIN = "application/xml; profile=cin-census"
SSDA903_CSV = "text/csv; profile=ssda903"


def census(children: int = 10, *, year: int = 2026, seed: int = 0) -> bytes:
    return b"".join(census_chunks(children, year, seed, "202"))


def child_ids() -> list[str]:
    return sorted(db.session.scalars(select(ReturnChild.la_child_id)))


def findings(client: Any, headers: dict[str, str], submission_id: str, **query: Any) -> Any:
    return client.get(f"/v1/submissions/{submission_id}/findings", headers=headers, query_string=query)


def test_a_planted_xsd_fault_rejects_exactly_that_child_with_all_its_faults(camden, submit):
    data = census(10)
    third = data.index(b"<Child>", data.index(b"<LAchildID>SYN000000002") - 200)
    end = data.index(b"</Child>", third)
    child = (
        data[third:end]
        .replace(b"<Ethnicity>", b"<Ethnicity>XXXX", 1)
        .replace(b"<ReferralSource>", b"<ReferralSource>ZZ", 1)
    )
    answer = submit(camden, data[:third] + child + data[end:], CIN)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["records"], body["accepted"], body["rejected"]) == (10, 9, 1)
    faults = [f for f in body["report"] if f["code"].startswith("xsd.")]
    assert [f["code"] for f in faults] == ["xsd.code", "xsd.code"]  # both faults, not the first alone
    assert {f["position"]["xpath"].split("/")[3] for f in faults} == {"Child[3]"}
    assert "SYN000000002" not in child_ids() and len(child_ids()) == 9


def test_a_planted_rule_breach_adds_exactly_that_finding_and_keeps_the_child(
    camden, submit, client, auth_headers
):
    data = census(20)
    clean = submit(camden, data, CIN).get_json()
    assert clean["findings"] == {}
    # child 5's referral moves after the census year's end: rule 8600 (and the child is still stored)
    start = data.index(b"<LAchildID>SYN000000005")
    referral = data.index(b"<CINreferralDate>", start)
    planted = (
        data[:referral]
        + b"<CINreferralDate>2026-04-02"
        + data[referral + len(b"<CINreferralDate>2026-01-01") :]
    )
    body = submit(camden, planted, CIN).get_json()
    assert (body["status"], body["accepted"], body["rejected"]) == ("accepted", 20, 0)
    page = findings(client, auth_headers(camden), body["id"]).get_json()
    codes = {(item["code"], item["record"]) for item in page["items"]}
    assert ("cin.8600", "SYN000000005") in codes
    assert {record for _, record in codes} == {"SYN000000005"}
    [item] = [i for i in page["items"] if i["code"] == "cin.8600"]
    assert item["severity"] == "error" and item["position"]["xpath"].endswith(
        "/CINdetails[1]/CINreferralDate"
    )
    assert "2026-04-02" not in item["message"]
    assert "SYN000000005" in child_ids()


def test_a_duplicate_la_child_id_keeps_both_children_with_8510_on_each(camden, submit, client, auth_headers):
    data = census(5).replace(b"<LAchildID>SYN000000003", b"<LAchildID>SYN000000001")
    body = submit(camden, data, CIN).get_json()
    assert (body["records"], body["accepted"]) == (5, 5)
    assert child_ids().count("SYN000000001") == 2
    documents = db.session.scalars(
        select(ReturnChild.document).where(ReturnChild.la_child_id == "SYN000000001")
    ).all()
    assert documents[0] != documents[1]  # neither replaced the other
    page = findings(client, auth_headers(camden), body["id"]).get_json()
    duplicates = [i for i in page["items"] if i["code"] == "cin.8510"]
    assert sorted(i["position"]["xpath"] for i in duplicates) == [
        "/Message/Children/Child[2]/ChildIdentifiers/LAchildID",
        "/Message/Children/Child[4]/ChildIdentifiers/LAchildID",
    ]
    assert {i["record"] for i in duplicates} == {"SYN000000001"}


def test_a_cin_census_then_an_ssda903_return_for_the_same_child_keeps_both_sources(camden, submit):
    cin = submit(camden, census(3), CIN).get_json()
    header = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nSYN000000001,2,01/01/2015,WIRI,UN1,,\n"
    lac = submit(camden, header.encode(), SSDA903_CSV).get_json()
    assert lac["status"] == "accepted"
    rows = db.session.scalars(select(ReturnChild).where(ReturnChild.la_child_id == "SYN000000001")).all()
    assert sorted((r.source, str(r.submission_id)) for r in rows) == sorted(
        [("cin-census", cin["id"]), ("ssda903", lac["id"])]
    )
    org = db.session.get(Organisation, "camden")
    merged = return_store.merged_child(db.session(), org, "SYN000000001")
    assert [s["source"] for s in merged["sources"]] == ["cin-census", "ssda903"]
    assert merged["values"]["ethnicity"] == {
        "value": "WIRI",
        "source": "ssda903",
        "submission_id": lac["id"],
        "collection_year": None,
    }
    assert merged["values"]["upn"]["source"] == "ssda903" and merged["values"]["upn"]["value"] == "UN1"


def test_resubmitting_a_return_replaces_that_year_only_in_one_go(camden, submit):
    submit(camden, census(4, year=2025), CIN)
    first = submit(camden, census(3, year=2026), CIN).get_json()
    again = submit(camden, census(2, year=2026, seed=9), CIN).get_json()
    years = db.session.execute(select(ReturnChild.collection_year, ReturnChild.submission_id)).all()
    assert sorted(year for year, _ in years) == [2025] * 4 + [2026] * 2
    assert {str(s) for year, s in years if year == 2026} == {again["id"]}
    assert first["id"] not in {str(s) for s in db.session.scalars(select(CinEpisode.submission_id))}


def test_findings_page_with_a_cursor_and_as_csv_for_the_submitter_only(
    camden, greenwich, submit, client, auth_headers
):
    data = census(6).replace(b"<LAchildID>SYN000000003", b"<LAchildID>SYN000000001")
    body = submit(camden, data, CIN).get_json()
    total = sum(body["findings"].values())
    assert total >= 3  # 8510 twice and 2887Q
    headers = auth_headers(camden)
    seen, cursor = [], None
    while True:
        page = findings(client, headers, body["id"], limit=1, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200
        seen += page.get_json()["items"]
        cursor = page.get_json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == total
    rows = list(
        csv.DictReader(io.StringIO(findings(client, {**headers, "Accept": "text/csv"}, body["id"]).text))
    )
    assert [(r["code"], r["record"] or None) for r in rows] == [(i["code"], i["record"]) for i in seen]
    assert findings(client, headers, body["id"], cursor="not-a-cursor").status_code == 400
    assert findings(client, auth_headers(greenwich), body["id"]).status_code == 404


def test_findings_are_filtered_by_severity_and_rule_as_json_and_csv(camden, submit, client, auth_headers):
    data = census(6).replace(b"<LAchildID>SYN000000003", b"<LAchildID>SYN000000001")
    body = submit(camden, data, CIN).get_json()
    headers = auth_headers(camden)
    every = findings(client, headers, body["id"], limit=1000).get_json()["items"]
    assert {i["severity"] for i in every} == {"error", "query"}  # 8510 (error) and 2887Q (query)
    for query, kept in (
        ({"severity": "query"}, [i for i in every if i["severity"] == "query"]),
        ({"code": "cin.8510"}, [i for i in every if i["code"] == "cin.8510"]),
        ({"severity": "query", "code": "cin.8510"}, []),
    ):
        assert findings(client, headers, body["id"], **query).get_json()["items"] == kept, query
        rows = csv.DictReader(
            io.StringIO(findings(client, {**headers, "Accept": "text/csv"}, body["id"], **query).text)
        )
        assert [r["code"] for r in rows] == [i["code"] for i in kept], query
    bad = findings(client, headers, body["id"], severity="fatal")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_import_writes_the_findings_csv(app, runner, camden, tmp_path):
    path, out = tmp_path / "census.xml", tmp_path / "findings.csv"
    path.write_bytes(census(4).replace(b"<LAchildID>SYN000000003", b"<LAchildID>SYN000000001"))
    result = runner.invoke(
        args=["import", str(path), "--org", "camden", "--profile", "cin-census", "--findings", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["code"] for r in rows].count("cin.8510") == 2
    assert set(rows[0]) == {
        "code",
        "severity",
        "record",
        "line",
        "xpath",
        "table",
        "row",
        "column",
        "message",
    }
