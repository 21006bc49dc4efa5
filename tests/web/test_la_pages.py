"""A local authority's pages: upload a case file, a CIN census return or an SSDA903 return (a zip of its CSV
tables, one table or XML) through the intake, a rejected file's faults in the error summary (422, as the API
answers), its progress while the worker reads it, the receipt with its rejected records and every stored
finding (paged on the API's cursor, filtered by severity and rule, all as CSV), the history; another
organisation's submission is a 404."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from exchange.db import db
from exchange.models import AuditEvent, ReturnChild, Submission
from exchange.store import findings as finding_store
from exchange.store import submissions as submission_store
from tests.api.test_ssda903_findings import EPISODES, header_table
from tests.delivery.helpers import case_data
from tests.fixtures import zip_of
from tests.web.conftest import Browserless, csrf


def upload(page: Browserless, kind: str, content: bytes, name: str = "cases.json", **fields: str) -> object:
    form = {
        "csrf_token": csrf(page, "/submissions"),
        "kind": kind,
        "file": (io.BytesIO(content), name),
        **fields,
    }
    return page.post("/submissions", data=form, content_type="multipart/form-data")


def test_a_case_file_goes_through_the_intake(app: Flask, signed_in, people) -> None:
    page = signed_in("la")
    assert page.get("/").location.endswith("/submissions")
    cases = {"cases": [case_data(reference="REF-UP"), {**case_data(reference="REF-BAD"), "court": "nowhere"}]}
    sent = upload(page, "case_file", json.dumps(cases).encode())
    assert sent.status_code == 302
    made = db.session.scalars(select(Submission)).one()
    assert (made.org_id, made.client_id, made.accepted, made.rejected) == (
        "la-a",
        f"web:{people['la']}",
        1,
        1,
    )
    receipt = page.get(sent.location).get_data(as_text=True)
    assert "Submission receipt" in receipt and made.sha256 in receipt
    for name in ("Accepted", "Rejected"):
        assert re.search(name + r"\s*</dt>\s*<dd[^>]*>\s*1\s*</dd>", receipt), name
    history = page.get("/submissions").get_data(as_text=True)
    assert f'href="/submissions/{made.id}"' in history
    uploaded = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "page.action", AuditEvent.client_id == f"web:{people['la']}"
        )
    ).one()
    assert uploaded.detail == {"page": "pages.upload", "method": "POST", "status": 302}


def test_the_upload_form_shows_the_error_summary(app: Flask, signed_in) -> None:
    page = signed_in("la")
    answer = page.post("/submissions", data={"csrf_token": csrf(page, "/submissions")})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "govuk-error-summary" in html and "Select what the file is" in html
    assert db.session.scalars(select(Submission)).all() == []


def with_findings(page: Browserless) -> Submission:
    """A stored submission with 60 findings: 40 errors of rule cin.100, 20 queries of rule cin.200Q."""
    sent = upload(page, "case_file", json.dumps({"cases": [case_data()]}).encode())
    made = db.session.get(Submission, uuid.UUID(sent.location.rsplit("/", 1)[1]))
    rules = [("cin.100", "error"), ("cin.200Q", "query")]
    found = [
        {"code": code, "severity": severity, "record": f"C{n:03}", "position": {"line": n}, "message": "M"}
        for n in range(60)
        for code, severity in [rules[n % 3 == 0]]
    ]
    finding_store.add_many(db.session(), made.id, found)
    made.findings = {"error": 40, "query": 20}
    db.session.commit()
    return made


def records(html: str) -> list[str]:
    """The record column of the findings table, in order."""
    return re.findall(r"<td[^>]*>\s*(C\d{3})\s*</td>", html)


def pager(html: str, side: str) -> str:
    """The address of the GOV.UK pagination's link to the ``prev`` or ``next`` page."""
    return (
        re.search(rf'govuk-pagination__{side}">\s*<a[^>]*href="([^"]+)"', html).group(1).replace("&amp;", "&")
    )


def test_every_finding_is_paged_on_the_apis_cursor(app: Flask, signed_in) -> None:
    page = signed_in("la")
    made = with_findings(page)
    first = page.get(f"/submissions/{made.id}").get_data(as_text=True)
    for name, number in (("Findings: errors", 40), ("Findings: queries", 20)):
        assert re.search(name + r"\s*</dt>\s*<dd[^>]*>\s*" + str(number) + r"\s*</dd>", first), name
    assert records(first) == [f"C{n:03}" for n in range(50)]
    assert "govuk-pagination__prev" not in first
    second = page.get(f"/submissions/{made.id}{pager(first, 'next')}").get_data(as_text=True)
    assert records(second) == [f"C{n:03}" for n in range(50, 60)]
    assert "govuk-pagination__next" not in second
    again = page.get(f"/submissions/{made.id}{pager(second, 'prev')}").get_data(as_text=True)
    assert records(again) == records(first) and "govuk-pagination__prev" not in again
    csv = page.get(f"/submissions/{made.id}/findings.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("code,severity,record") and len(lines) == 61


def test_findings_are_filtered_by_severity_and_rule(app: Flask, signed_in) -> None:
    page = signed_in("la")
    made = with_findings(page)
    queries = page.get(f"/submissions/{made.id}?severity=query").get_data(as_text=True)
    assert records(queries) == [f"C{n:03}" for n in range(0, 60, 3)] and "govuk-pagination" not in queries
    errors = page.get(f"/submissions/{made.id}?severity=error&code=cin.100").get_data(as_text=True)
    assert records(errors) == [f"C{n:03}" for n in range(60) if n % 3]
    assert '<option value="cin.100" selected>' in errors
    none = page.get(f"/submissions/{made.id}?severity=error&code=cin.200Q").get_data(as_text=True)
    assert records(none) == [] and "None." in none
    assert f'href="/submissions/{made.id}/findings.csv?code=cin.100&amp;severity=error"' in errors
    filtered = page.get(f"/submissions/{made.id}/findings.csv?severity=error&code=cin.100")
    rows = filtered.get_data(as_text=True).splitlines()[1:]
    assert [row.split(",")[2] for row in rows] == [f"C{n:03}" for n in range(60) if n % 3]
    refused = page.get(f"/submissions/{made.id}/findings.csv?severity=fatal")
    assert refused.status_code == 302 and "severity=fatal" in refused.location


def test_an_unknown_filter_or_cursor_gets_the_error_summary(app: Flask, signed_in) -> None:
    page = signed_in("la")
    made = with_findings(page)
    for query, message in (
        ("severity=fatal", "Select errors, queries or every severity"),
        ("code=cin.999", "Select a rule that this submission&#39;s findings break"),
        ("cursor=not-a-cursor", "That page of findings does not exist"),
    ):
        answer = page.get(f"/submissions/{made.id}?{query}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400 and "govuk-error-summary" in html and message in html, query
        assert records(html) == []


def test_the_progress_page_refreshes_itself_until_the_receipt(app: Flask, signed_in) -> None:
    page = signed_in("la")
    made = with_findings(page)
    made.status, made.records = "processing", 7
    submission_store.stage(
        db.session(),
        made.id,
        [{"seq": n, "kind": "case", "position": {"line": n}, "data": {}} for n in range(3)],
    )
    db.session.commit()
    html = page.get(f"/submissions/{made.id}").get_data(as_text=True)
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', html)
    assert re.search(r"Records read so far\s*</dt>\s*<dd[^>]*>\s*7\s*</dd>", html)
    assert re.search(r"waiting to be stored\s*</dt>\s*<dd[^>]*>\s*3\s*</dd>", html)
    submission_store.drop_staged(db.session(), made.id)
    db.session.get(Submission, made.id).status = "accepted"
    db.session.commit()
    done = page.get(f"/submissions/{made.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and "Submission receipt" in done


def test_another_organisations_submission_is_not_found(app: Flask, signed_in, people) -> None:
    mine = signed_in("la")
    sent = upload(mine, "case_file", json.dumps({"cases": [case_data()]}).encode())
    made_id = sent.location.rsplit("/", 1)[1]
    other = signed_in("court")
    assert other.get(f"/submissions/{made_id}").status_code == 403  # not a court's page at all
    stranger = signed_in("la_b")
    assert stranger.get(f"/submissions/{made_id}").status_code == 404
    assert stranger.get(f"/submissions/{made_id}/findings.csv").status_code == 404
    assert stranger.get(f"/submissions/{uuid.uuid4()}").status_code == 404
    assert made_id not in stranger.get("/submissions").get_data(as_text=True)


def test_a_findings_position_names_its_table_when_it_has_one(app: Flask, signed_in) -> None:
    page = signed_in("la")
    sent = upload(page, "case_file", json.dumps({"cases": [case_data()]}).encode())
    made = db.session.get(Submission, uuid.UUID(sent.location.rsplit("/", 1)[1]))
    where = [{"table": "episodes", "row": 4, "column": "DECOM"}, {"row": 5, "column": "DOB"}]
    found = [
        {"code": "ssda903.EPI", "severity": "query", "record": "C1", "position": p, "message": "M"}
        for p in where
    ]
    finding_store.add_many(db.session(), made.id, found)
    db.session.commit()
    html = page.get(f"/submissions/{made.id}").get_data(as_text=True)
    assert re.findall(r"<td[^>]*>\s*((?:episodes )?row \d, column \w+)\s*</td>", html) == [
        "episodes row 4, column DECOM",
        "row 5, column DOB",
    ]


def summary(html: str) -> list[str]:
    """The GOV.UK error summary's items, as links (href, text)."""
    found = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return [
        (href, text.strip())
        for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', found[0] if found else "")
    ]


def test_the_upload_form_offers_the_ssda903_return_as_a_zip(app: Flask, signed_in) -> None:
    html = signed_in("la").get("/submissions").get_data(as_text=True)
    assert re.search(r'<input class="govuk-file-upload" id="file" [^>]*accept=".json,.xml,.csv,.zip"', html)
    hint = re.search(r'<div id="file-hint" class="govuk-hint">\s*([^<]*)</div>', html)[1]
    assert "An SSDA903 return is a .zip of its CSV tables" in hint
    assert '<input class="govuk-radios__input" id="kind-3" name="kind" type="radio" value="ssda903"' in html
    years = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html)
    assert years == [("", "Not given"), ("2024", "2023 to 2024"), ("2025", "2024 to 2025")]


def receipt_of(page: Browserless, sent: Any) -> tuple[Submission, str]:
    assert sent.status_code == 302, sent.get_data(as_text=True)
    made = db.session.get(Submission, uuid.UUID(sent.location.rsplit("/", 1)[1]))
    return made, page.get(sent.location).get_data(as_text=True)


def findings(html: str) -> list[tuple[str, str, str]]:
    """The findings table's code, record and position of each row."""
    table = html[html.index('id="findings"') :]
    return re.findall(
        r"<td[^>]*>\s*(ssda903\.\w+)\s*</td>\s*<td[^>]*>\s*\w+\s*</td>\s*<td[^>]*>\s*(\w*)\s*</td>"
        r"\s*<td[^>]*>\s*([^<]*?)\s*</td>",
        table,
    )


def zipped_return() -> bytes:
    """An SSDA903 return as a zip of two tables: three children in the header table, episodes for two."""
    episodes = "".join(f"SYN00000{n},01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n" for n in (0, 1))
    return zip_of({"header.csv": header_table(3), "episodes.csv": (EPISODES + episodes).encode()})


def test_a_zipped_ssda903_return_is_read_as_one_and_its_findings_name_their_tables(
    app: Flask, signed_in
) -> None:
    """Rule EPI (a child with no episode), which reads both tables, fires on the third child, and the receipt
    says in which table; the zip is sent as one."""
    page = signed_in("la")
    sent = upload(page, "ssda903", zipped_return(), "return.zip", collection_year="2024")
    made, receipt = receipt_of(page, sent)
    assert (made.media_type, made.adapter, made.collection_year) == ("application/zip", "ssda903", 2024)
    assert (made.status, made.records, made.accepted) == ("accepted", 5, 5)
    assert ("ssda903.EPI", "SYN000002", "header row 4, column CHILD") in findings(receipt)
    history = page.get("/submissions").get_data(as_text=True)  # accepted 5, rejected 0, findings 2
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">\s*(\d+)\s*</td>', history)
    assert cells == ["5", "0", str(sum(made.findings.values()))] and made.findings == {"query": 2}
    wheres = [where for _code, _record, where in findings(receipt)]
    assert all(re.fullmatch(r"(header|episodes) row \d+(, column \w+)?|", where) for where in wheres)
    # an accepted return's findings are its report, not "rejected records"
    assert '<h2 class="govuk-heading-m">Report</h2>' in receipt and "Rejected records" not in receipt


def test_tables_sent_one_by_one_with_their_year_are_checked_together_and_the_receipt_links_them(
    app: Flask, signed_in
) -> None:
    """The episodes table, sent after the header table of the same year, is read with it: EPI fires in the
    header's row 4, and the receipt links the header's submission (and says no return of last year was)."""
    page = signed_in("la")
    episodes = "".join(f"SYN00000{n},01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n" for n in (0, 1))
    first, _ = receipt_of(
        page, upload(page, "ssda903", header_table(3), "header.csv", collection_year="2024")
    )
    sent = upload(page, "ssda903", (EPISODES + episodes).encode(), "episodes.csv", collection_year="2024")
    made, receipt = receipt_of(page, sent)
    assert made.same_year_tables == {"header": str(first.id)}
    assert ("ssda903.EPI", "SYN000002", "header row 4, column CHILD") in findings(receipt)
    rows = dict(
        re.findall(
            r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*<dd[^>]*>\s*(.*?)\s*</dd>', receipt, re.S
        )
    )
    assert rows["Collection year"] == "2023 to 2024"
    assert rows["Checked with this year&#39;s tables sent earlier"] == (
        f'<a class="govuk-link" href="/submissions/{first.id}">header</a>'
    )
    assert (
        rows["Checked against last year&#39;s return"]
        == "None found: the rules comparing with it were not run"
    )


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(header_table(2), "text/csv"), (b"\xef\xbb\xbf" + header_table(2), "text/csv")],
    ids=["csv", "csv-with-bom"],
)
def test_one_ssda903_table_is_sent_as_csv_whatever_its_name(
    app: Flask, signed_in, content: bytes, media_type: str
) -> None:
    page = signed_in("la")
    made, receipt = receipt_of(page, upload(page, "ssda903", content, "return.zip"))
    assert (made.media_type, made.adapter, made.accepted) == (media_type, "ssda903", 2)
    assert made.collection_year is None
    assert "Submission receipt" in receipt


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (
            zip_of({"a.csv": header_table(2), "b.csv": header_table(2)}),
            "File 2 of the zip: it gives the header table an earlier file gave",
        ),
        (b"PK\x03\x04 a damaged archive", "The zip archive cannot be read"),
        (zip_of({}), "The zip archive holds no file"),
    ],
    ids=["table-repeated", "damaged", "empty"],
)
def test_a_bad_zip_is_the_apis_422_as_the_error_summary_and_nothing_is_lost(
    app: Flask, signed_in, content: bytes, fault: str
) -> None:
    page = signed_in("la")
    answer = upload(page, "ssda903", content, "return.zip", collection_year="2025")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert summary(html) == [("#file", "The file was rejected: no record was stored"), ("#file", fault)]
    assert 'class="govuk-error-message"' in html and "govuk-file-upload--error" in html
    # the form as it was sent: the kind and the year kept; the file recorded, its receipt linked
    assert re.search(r'value="ssda903" checked', html)
    assert '<option value="2025" selected>' in html
    made = db.session.scalars(select(Submission)).one()
    assert (made.status, made.media_type, made.collection_year) == ("rejected", "application/zip", 2025)
    assert f'<a class="govuk-link" href="/submissions/{made.id}">Its receipt</a>' in html
    assert db.session.scalars(select(ReturnChild)).all() == []
    receipt = page.get(f"/submissions/{made.id}").get_data(as_text=True)
    assert fault[1:] in receipt


def test_a_file_whose_every_record_is_rejected_lists_the_first_faults_and_counts_the_rest(
    app: Flask, signed_in
) -> None:
    page = signed_in("la")
    bad = [{**case_data(reference=f"REF-{n}"), "court": "nowhere"} for n in range(12)]
    answer = upload(page, "case_file", json.dumps({"cases": bad}).encode())
    items = summary(answer.get_data(as_text=True))
    assert answer.status_code == 422 and len(items) == 1 + 10 + 1
    assert items[1] == ("#file", "/cases/0/court: Length must be between 1 and 3.")
    assert items[-1] == ("#file", "14 more faults are on the file&#39;s receipt")
    assert all(href == "#file" for href, _text in items)
    assert db.session.scalars(select(Submission.status)).all() == ["rejected"]


@pytest.mark.parametrize(
    ("kind", "year", "message"),
    [
        ("ssda903", "2017", "Select a collection year from the list"),
        ("case_file", "2024", "Leave the collection year empty: only an SSDA903 return names one"),
    ],
)
def test_a_collection_year_the_file_cannot_have_is_refused_on_its_field(
    app: Flask, signed_in, kind: str, year: str, message: str
) -> None:
    page = signed_in("la")
    answer = upload(page, kind, header_table(1), "header.csv", collection_year=year)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert summary(html) == [("#collection_year", message)]
    assert re.search(rf'value="{kind}" checked', html)
    assert db.session.scalars(select(Submission)).all() == []
