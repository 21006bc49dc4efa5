"""Concurrent writers of one case take turns: nothing fails, nothing is stored twice."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import Case, CaseVersion
from tests.api.conftest import care_case


def test_one_reference_submitted_at_once_by_many_makes_one_case(
    app: Flask, camden: Any, auth_headers: Any
) -> None:
    headers = {**auth_headers(camden), "Content-Type": "application/json"}
    bodies = [json.dumps(care_case(state=state)).encode() for state in ("Submitted", "Gatekeeping") * 4]

    def post(body: bytes) -> int:
        return app.test_client().post("/v1/submissions", data=body, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, bodies))
    assert statuses == [201] * 8
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    versions = db.session.scalars(select(CaseVersion.version).order_by(CaseVersion.version)).all()
    assert versions == list(range(1, len(versions) + 1))  # no version written twice, none skipped
