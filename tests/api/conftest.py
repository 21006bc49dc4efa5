"""Helpers of the API tests: a synthetic care case, LA partners and a submit shortcut (all data synthetic)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.fixtures import FIXTURES

REFERENCE = FIXTURES

CARE_CASE: dict[str, Any] = {
    "reference": "CAM-2025-0001",
    "law": "public",
    "application_type": "C110A",
    "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
    "applicant_la": "202",
    "court": "115",
    "date_received": "2025-01-06",
    "date_issued": "2025-01-07",
    "children": [
        {"la_child_id": "SYN-C-0001", "date_of_birth": "2019-04-02", "sex": "F"},
        {"la_child_id": "SYN-C-0002", "date_of_birth": "2021-09-15", "sex": "M"},
    ],
    "respondents": [
        {
            "role": "respondent",
            "first_name": "Synthetic",
            "last_name": "Parent",
            "address_confidential": True,
            "address": {"line1": "1 Example Street", "post_town": "Testtown", "postcode": "ZZ1 1ZZ"},
        }
    ],
    "state": "Submitted",
}


def care_case(**changes: Any) -> dict[str, Any]:
    """A valid synthetic care case of Camden (202) at the Central Family Court (115), with ``changes``."""
    case = copy.deepcopy(CARE_CASE)
    case.update(changes)
    return case


@pytest.fixture
def camden(make_partner: Callable[..., Any]) -> Any:
    return make_partner("local_authority", org_id="camden", options=("--la-code", "202"))


@pytest.fixture
def greenwich(make_partner: Callable[..., Any]) -> Any:
    return make_partner("local_authority", org_id="greenwich", options=("--la-code", "203"))


@pytest.fixture
def submit(client: FlaskClient, auth_headers: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """POST a body to /v1/submissions as ``partner``; a dict is sent as canonical JSON."""

    def post(
        partner: Any,
        body: dict[str, Any] | bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Any:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return client.post(
            f"/v1/submissions{query}",
            data=data,
            headers={**auth_headers(partner), "Content-Type": content_type, **(headers or {})},
        )

    return post
