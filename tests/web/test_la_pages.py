"""A local authority's pages: upload a case file or a CIN census return through the intake, the receipt and
its faults (filtered, the findings as CSV), the history; another organisation's submission is a 404."""

from __future__ import annotations

import io
import json
import re
import uuid

from flask import Flask
from sqlalchemy import select

from exchange.db import db
from exchange.models import AuditEvent, Submission
from tests.delivery.helpers import case_data
from tests.web.conftest import Browserless, csrf


def upload(page: Browserless, kind: str, content: bytes, name: str = "cases.json") -> object:
    form = {"csrf_token": csrf(page, "/submissions"), "kind": kind, "file": (io.BytesIO(content), name)}
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


def test_findings_filter_and_csv(app: Flask, signed_in) -> None:
    page = signed_in("la")
    sent = upload(page, "case_file", b'{"cases": [{"reference": 1}]}')
    made_id = sent.location.rsplit("/", 1)[1]
    everything = page.get(f"/submissions/{made_id}").get_data(as_text=True)
    queries = page.get(f"/submissions/{made_id}?severity=query").get_data(as_text=True)
    assert "<tbody" in everything and "<tbody" not in queries
    csv = page.get(f"/submissions/{made_id}/findings.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[0].startswith("code,severity,record")


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
