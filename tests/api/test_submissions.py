"""`/v1/submissions`: durable, idempotent intake, signed receipts, per-record reports, the worker."""

from __future__ import annotations

import dataclasses
import gzip
import json
import multiprocessing
import uuid

import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from exchange import bodies, pipeline
from exchange.db import db
from exchange.metrics import aggregates
from exchange.models import (
    AuditEvent,
    Case,
    LegalStatusEpisode,
    Organisation,
    RawBody,
    RawBodyChunk,
    StagedRecord,
    Submission,
)
from exchange.models.metrics import MetricCaseFacts
from exchange.store import submissions as store
from schemas import error_codes as codes
from tests.api.conftest import care_case


def batch(*cases: dict) -> dict:
    return {"cases": list(cases)}


def test_receipt_is_a_jws_verifiable_with_the_published_key_set(client, camden, submit):
    answer = submit(camden, batch(care_case()))
    assert answer.status_code == 201
    body = answer.get_json()
    key_set = KeySet.import_key_set(client.get("/oauth/jwks").get_json())
    claims = json.loads(jws.deserialize_compact(body["receipt"], key_set, algorithms=["ES256"]).payload)
    assert claims == {
        key: body[key]
        for key in ("id", "sha256", "received_at", "status", "records", "accepted", "rejected", "findings")
    }
    assert answer.headers["Location"] == f"/v1/submissions/{body['id']}"


def test_body_submission_and_audit_event_are_stored(app, camden, submit):
    raw = json.dumps(batch(care_case())).encode()
    body = submit(camden, raw).get_json()
    stored = db.session.get(RawBody, body["sha256"])
    assert stored is not None and stored.size == len(raw)
    assert store.open_body(db.session, body["sha256"]).read() == raw
    assert db.session.get(Submission, uuid.UUID(body["id"])).client_id.startswith("camden")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"submission.received", "submission.processed"} <= set(actions)


def test_same_idempotency_key_and_body_replays_the_first_answer(camden, submit):
    key = {"Idempotency-Key": "camden-2025-01-06-0001"}
    first = submit(camden, batch(care_case()), headers=key)
    again = submit(camden, batch(care_case()), headers=key)
    assert again.status_code == first.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_same_idempotency_key_with_another_body_is_409(camden, submit):
    key = {"Idempotency-Key": "camden-key-1"}
    submit(camden, batch(care_case()), headers=key)
    other = submit(camden, batch(care_case(reference="CAM-2025-0002")), headers=key)
    assert other.status_code == 409
    assert other.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize(
    ("content_type", "query"),
    [
        ("application/json; profile=hmcts-fpl-ccd", ""),  # another profile
        ("application/json", "?atomic=true"),  # the same body, all or nothing this time
    ],
)
def test_the_same_key_and_body_with_another_profile_or_atomic_is_409(camden, submit, content_type, query):
    key = {"Idempotency-Key": "camden-key-2"}
    body = batch(care_case())
    assert submit(camden, body, headers=key).status_code == 201
    other = submit(camden, body, content_type=content_type, headers=key, query=query)
    assert other.status_code == 409 and other.get_json()["detail"].startswith("This Idempotency-Key was used")
    assert submit(camden, body, headers=key).headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_an_idempotency_key_with_a_space_is_422_and_stores_nothing(camden, submit):
    answer = submit(camden, batch(care_case()), headers={"Idempotency-Key": "has space"})
    assert (answer.status_code, answer.get_json()["errors"][0]["pointer"]) == (
        422,
        "/headers/Idempotency-Key",
    )
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_longest_key_of_the_grammar_is_taken(camden, submit):
    key = {"Idempotency-Key": "~" * 200}
    assert submit(camden, batch(care_case()), headers=key).status_code == 201
    assert submit(camden, batch(care_case()), headers=key).headers["Idempotent-Replayed"] == "true"


def test_one_bad_record_does_not_fail_the_others(camden, submit, client, auth_headers):
    bad = care_case(reference="CAM-BAD", court="999")
    answer = submit(camden, batch(care_case(), bad))
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == (
        "partially_accepted",
        2,
        1,
        1,
    )
    assert body["report"] == [
        {
            "position": {"pointer": "/cases/1/court"},
            "code": "case.court_unknown",
            "message": "The court code is not a known family court.",
        }
    ]
    shown = client.get(f"/v1/submissions/{body['id']}", headers=auth_headers(camden)).get_json()
    assert shown["report"] == body["report"] and shown["status"] == "partially_accepted"


def test_atomic_stores_nothing_when_a_record_is_bad(camden, submit):
    bad = care_case(reference="CAM-BAD", court="999")
    answer = submit(camden, batch(care_case(), bad), query="?atomic=true")
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["submission"]["status"] == "rejected" and problem["submission"]["accepted"] == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_resubmitting_a_reference_updates_the_case_and_an_unchanged_one_bumps_nothing(camden, submit):
    submit(camden, batch(care_case()))
    submit(camden, batch(care_case()))
    case = db.session.scalar(select(Case))
    assert case.version == 1
    submit(camden, batch(care_case(date_issued="2025-01-08")))
    db.session.refresh(case)
    assert case.version == 2 and str(case.date_issued) == "2025-01-08"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_gzip_body_is_inflated(camden, submit):
    answer = submit(
        camden, gzip.compress(json.dumps(batch(care_case())).encode()), headers={"Content-Encoding": "gzip"}
    )
    assert answer.status_code == 201 and answer.get_json()["accepted"] == 1


def test_submission_of_another_organisation_is_404(client, camden, greenwich, submit, auth_headers):
    body = submit(camden, batch(care_case())).get_json()
    assert client.get(f"/v1/submissions/{body['id']}", headers=auth_headers(greenwich)).status_code == 404
    assert client.get("/v1/submissions/not-a-uuid", headers=auth_headers(camden)).status_code == 404


def test_large_body_is_left_to_the_worker_which_shows_progress(
    app, client, camden, submit, auth_headers, monkeypatch
):
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(settings, inline_submission_bytes=100)
    monkeypatch.setattr(pipeline, "STAGE_BATCH", 1)
    cases = [care_case(reference=f"CAM-{n}") for n in range(3)]
    answer = submit(camden, batch(*cases, care_case(reference="CAM-BAD", court="999")))
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["status"] == "processing" and answer.headers["Location"] == f"/v1/submissions/{body['id']}"

    seen: list[tuple[str, int]] = []
    staged = pipeline._stage

    def watch(*args):
        staged(*args)
        with db.transaction() as other:  # another connection: what a GET would see meanwhile
            row = other.get(Submission, uuid.UUID(body["id"]))
            seen.append((row.status, row.records))

    monkeypatch.setattr(pipeline, "_stage", watch)
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is True
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is False
    assert seen == [("processing", 1), ("processing", 2), ("processing", 3), ("processing", 4)]

    done = client.get(f"/v1/submissions/{body['id']}", headers=auth_headers(camden)).get_json()
    assert (done["status"], done["records"], done["accepted"], done["rejected"]) == (
        "partially_accepted",
        4,
        3,
        1,
    )
    assert db.session.scalar(select(func.count()).select_from(Case)) == 3
    assert db.session.scalar(select(func.count()).select_from(StagedRecord)) == 0


def test_episodes_become_legal_status_history_matched_to_the_care_case(camden, submit):
    submit(camden, batch(care_case()))
    csv = (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "SYN-C-0001,08/01/2025,S,C1,N1,U1,PR1,,,,,,\n"
        "SYN-X-0009,08/01/2025,S,V2,N1,U1,PR1,,,,,,\n"
    )
    answer = submit(camden, csv.encode(), content_type="text/csv; profile=ssda903")
    assert answer.status_code == 201, answer.get_json()
    episodes = {e.la_child_id: e for e in db.session.scalars(select(LegalStatusEpisode))}
    case = db.session.scalar(select(Case))
    assert episodes["SYN-C-0001"].case_id == case.id and episodes["SYN-C-0001"].legal_status == "C1"
    assert episodes["SYN-X-0009"].case_id is None


def test_a_body_is_stored_in_chunks_and_the_worker_reads_it_across_them(
    app, client, camden, submit, auth_headers, monkeypatch
):
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(settings, inline_submission_bytes=100)
    monkeypatch.setattr(bodies, "CHUNK", 64)
    raw = json.dumps(batch(*(care_case(reference=f"CAM-{n}") for n in range(3)))).encode()
    answer = submit(camden, raw)
    assert answer.status_code == 202
    sha256 = answer.get_json()["sha256"]
    chunks = db.session.scalars(
        select(RawBodyChunk.data).where(RawBodyChunk.sha256 == sha256).order_by(RawBodyChunk.seq)
    ).all()
    assert len(chunks) == -(-len(raw) // 64) and b"".join(chunks) == raw
    assert store.open_body(db.session, sha256).read() == raw

    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is True
    done = client.get(answer.headers["Location"], headers=auth_headers(camden)).get_json()
    assert (done["status"], done["accepted"]) == ("accepted", 3)
    # the same body again (another key, so a new submission) stores no second copy of its chunks
    again = submit(camden, raw, headers={"Idempotency-Key": "camden-again"})
    assert again.get_json()["sha256"] == sha256
    assert db.session.scalar(select(func.count()).select_from(RawBodyChunk)) == len(chunks)


def test_a_body_checked_in_another_process_is_stored_as_if_submitted_whole(app, camden, greenwich):
    """``pipeline.check`` reads and checks a body without the database (in a forked process here), and
    ``submit(checked=...)`` stores what it kept, with its report; a ``Prepared`` of another body, or of the
    same body for another organisation, is refused."""
    settings = app.config["EXCHANGE_SETTINGS"]
    refused = care_case(reference="CAMDEN-2", applicant_la="203")
    raw = json.dumps(batch(care_case(), refused)).encode()
    other = json.dumps(batch(care_case(reference="CAMDEN-3"))).encode()
    org = db.session.get(Organisation, camden.org_id)

    def checked_in_a_child(content: bytes) -> pipeline.Prepared:
        fork = multiprocessing.get_context("fork")
        results = fork.SimpleQueue()

        def check() -> None:  # the child has the parent's memory; only the result is pickled
            with bodies.Body.of(content) as body:
                results.put(pipeline.check(org, body, "application/json", reference=settings.reference))

        child = fork.Process(target=check)
        child.start()
        prepared = results.get()
        child.join()
        return prepared

    prepared, elsewhere = checked_in_a_child(raw), checked_in_a_child(other)
    assert (len(prepared.records), prepared.report.records, prepared.report.rejected) == (1, 2, 1)
    with bodies.Body.of(raw) as body:
        with pytest.raises(ValueError):
            pipeline.submit(
                org,
                "operator",
                body,
                "application/json",
                session=db.session(),
                settings=settings,
                checked=elsewhere,
            )
        with pytest.raises(ValueError):
            pipeline.submit(
                db.session.get(Organisation, greenwich.org_id),
                "operator",
                body,
                "application/json",
                session=db.session(),
                settings=settings,
                checked=prepared,
            )
        submission = pipeline.submit(
            org,
            "operator",
            body,
            "application/json",
            session=db.session(),
            settings=settings,
            checked=prepared,
        )
    assert (submission.status, submission.records, submission.accepted) == ("partially_accepted", 2, 1)
    assert submission.report[0]["code"] == codes.APPLICANT_LA_NOT_SUBMITTER
    assert submission.report[0]["position"]["pointer"].startswith("/cases/1")
    stored = db.session.scalars(select(Case.reference)).all()
    assert stored == [care_case()["reference"]]
    # checked ahead as a new case, a resubmission is built again on the stored case: the same case, updated
    again = json.dumps(batch(care_case(state="CLOSED", closed_date="2025-03-01"))).encode()
    resubmitted = checked_in_a_child(again)
    with bodies.Body.of(again) as body:
        pipeline.submit(
            org,
            "operator",
            body,
            "application/json",
            session=db.session(),
            settings=settings,
            checked=resubmitted,
        )
    (case,) = db.session.scalars(select(Case)).all()
    assert (case.version, case.state, str(case.id)) == (2, "CLOSED", submission.stored_ids[0])


def test_a_new_case_s_document_is_written_once_encoded_as_its_json_column_encodes(camden, submit):
    """A submitted new case's document is encoded once (when it is built) for its row and its first
    version: the same text in both, ``json.dumps`` of the document read back, ``version`` and
    ``updated_at`` last; its metric facts are written as encoded when they were worked out."""
    assert submit(camden, batch(care_case())).status_code == 201
    case = db.session.scalars(select(Case)).one()
    connection = db.session.connection()
    (row,) = connection.exec_driver_sql("SELECT document FROM cases").scalars().all()
    (version,) = connection.exec_driver_sql("SELECT document FROM case_versions").scalars().all()
    texts = [t if isinstance(t, str) else json.dumps(t) for t in (row, version)]  # PostgreSQL reads JSON
    assert texts == [json.dumps(case.document)] * 2
    assert list(case.document)[-2:] == ["version", "updated_at"]
    assert (case.document["version"], case.document["reference"]) == (1, care_case()["reference"])
    # its metric facts too, encoded where they were worked out: read back as the facts of the stored case
    stored = db.session.scalars(select(MetricCaseFacts.facts)).one()
    assert stored == aggregates.facts_of(case).as_json()
