"""Bad input to `POST /v1/submissions` (issues 3 and 4): a problem+json answer and nothing half-stored."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import Case, ReturnChild, Submission
from tests.api.conftest import REFERENCE, care_case

PROBLEM = "application/problem+json"


def cases_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def codes(answer) -> list[str]:
    return [error["code"] for error in answer.get_json()["errors"]]


def rejected(answer, status: int = 422) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == PROBLEM
    assert cases_stored() == 0
    return answer.get_json()


def test_malformed_json(camden, submit):
    answer = submit(camden, b'{"cases": [{"reference": "X",}]}')
    rejected(answer)
    assert codes(answer) == ["json.malformed"]
    assert answer.get_json()["submission"]["status"] == "rejected"


def test_invalid_utf8(camden, submit):
    answer = submit(camden, b'{"cases": [{"reference": "\xff\xfe"}]}')
    rejected(answer)
    assert codes(answer) == ["json.invalid_utf8"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/pdf", "text/plain; profile=canonical-json"]
)
def test_wrong_content_type_is_415(camden, submit, content_type):
    rejected(submit(camden, json.dumps({"cases": [care_case()]}).encode(), content_type=content_type), 415)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_missing_content_type_is_415(client, camden, auth_headers):
    answer = client.post("/v1/submissions", data=b"{}", headers=auth_headers(camden))
    rejected(answer, 415)


def test_unknown_profile(camden, submit):
    answer = submit(camden, {"cases": [care_case()]}, content_type="application/json; profile=nonesuch")
    rejected(answer)
    assert codes(answer) == ["unknown_profile"]
    assert {"canonical-json", "hmcts-fpl-ccd"} <= set(answer.get_json()["profiles"])


@pytest.mark.parametrize(
    ("content_type", "readers"),
    [("application/xml", ["cin-census", "ssda903"]), ("text/xml", ["cin-census"])],
)
def test_xml_without_a_profile_lists_the_profiles_that_read_it(camden, submit, content_type, readers):
    xml = (REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml").read_bytes()
    answer = submit(camden, xml, content_type=content_type)
    problem = rejected(answer)
    assert codes(answer) == ["profile_required"]
    assert problem["profiles"] == readers and all(name in problem["detail"] for name in readers)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0  # refused before it is read


def limits(app, body: int, submission: int) -> None:
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["MAX_CONTENT_LENGTH"] = body
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(
        settings, max_body_bytes=body, max_submission_bytes=submission
    )


def test_body_over_the_limit_is_413(app, camden, submit):
    limits(app, body=1024, submission=2048)
    rejected(submit(camden, {"cases": [care_case(reference=f"R{n}") for n in range(10)]}), 413)


def test_submissions_take_a_larger_body_than_other_routes(app, client, camden, submit, auth_headers):
    limits(app, body=1024, submission=64 * 1024)
    cases = {"cases": [care_case(reference=f"R{n}") for n in range(10)]}
    assert len(json.dumps(cases)) > 1024
    answer = submit(camden, cases)
    assert answer.status_code == 201 and answer.get_json()["accepted"] == 10
    case_id = db.session.scalar(select(Case.id))
    event = {"type": "hearing.listed", "occurred_at": "2025-02-01T10:00:00+00:00", "note": "x" * 2048}
    too_large = client.post(f"/v1/cases/{case_id}/events", json=event, headers=auth_headers(camden))
    assert too_large.status_code == 413 and too_large.mimetype == PROBLEM


def test_gzip_bomb_is_413_without_inflating_it_all(app, camden, submit):
    limits(app, body=1 << 20, submission=1 << 20)
    bomb = gzip.compress(b" " * (64 << 20))  # 64 MiB of spaces in about 64 KiB
    assert len(bomb) < 1 << 20
    rejected(submit(camden, bomb, headers={"Content-Encoding": "gzip"}), 413)


def test_unsupported_content_encoding_is_415(camden, submit):
    rejected(submit(camden, b"{}", headers={"Content-Encoding": "br"}), 415)


def test_not_gzip_is_400(camden, submit):
    rejected(submit(camden, b"not gzip", headers={"Content-Encoding": "gzip"}), 400)


def test_deeply_nested_json(camden, submit):
    answer = submit(camden, b'{"cases": [' + b"[" * 100 + b"]" * 100 + b"]}")
    rejected(answer)
    assert codes(answer) == ["json.too_deep"]


def test_array_over_its_limit(camden, submit):
    children = [{"la_child_id": f"SYN-{n}", "date_of_birth": "2019-04-02", "sex": "F"} for n in range(51)]
    answer = submit(camden, {"cases": [care_case(children=children)]})
    rejected(answer)
    assert answer.get_json()["errors"][0]["pointer"] == "/cases/0/children"


def test_string_over_its_limit(camden, submit):
    answer = submit(camden, {"cases": [care_case(reference="R" * 65)]})
    rejected(answer)
    assert answer.get_json()["errors"][0]["pointer"] == "/cases/0/reference"


def test_number_out_of_range(camden, submit):
    answer = submit(camden, b'{"cases": [{"reference": 99999999999999999999999}]}')
    rejected(answer)
    assert answer.get_json()["errors"][0]["position"]["pointer"].startswith("/cases/0")


def test_unknown_field(camden, submit):
    answer = submit(camden, {"cases": [care_case(colour="blue")]})
    rejected(answer)
    assert codes(answer) == ["schema.unknown_field"]
    assert answer.get_json()["errors"][0]["pointer"] == "/cases/0/colour"


def test_date_in_the_wrong_format(camden, submit):
    answer = submit(camden, {"cases": [care_case(date_received="06/01/2025")]})
    rejected(answer)
    assert answer.get_json()["errors"][0]["pointer"] == "/cases/0/date_received"


def test_case_for_another_la(camden, submit):
    answer = submit(camden, {"cases": [care_case(applicant_la="203")]})
    rejected(answer)
    assert codes(answer) == ["applicant_la_not_submitter"]


def test_duplicate_reference_in_one_submission(camden, submit):
    answer = submit(camden, {"cases": [care_case(), care_case()]})
    assert answer.status_code == 201
    assert answer.get_json()["report"][0]["code"] == "duplicate_reference"
    assert cases_stored() == 1


def test_cin_census_of_another_la_is_refused_whole(make_partner, submit):
    islington = make_partner("local_authority", org_id="islington", options=("--la-code", "206"))
    xml = (REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml").read_bytes()  # LEA 201
    answer = submit(islington, xml, content_type="application/xml; profile=cin-census")
    rejected(answer)
    assert codes(answer) == ["la_not_submitter"]
    assert db.session.scalar(select(func.count()).select_from(ReturnChild)) == 0


def test_xml_with_a_doctype_is_refused(make_partner, submit):
    city = make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    xxe = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>'
    answer = submit(city, xxe, content_type="application/xml; profile=cin-census")
    rejected(answer)
    assert "passwd" not in answer.get_data(as_text=True)
