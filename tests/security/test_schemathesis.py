"""Schemathesis against the app's own ``/openapi.json`` (in process, over WSGI), real tokens of every kind.

Each documented operation gets generated requests (positive and negative data), each sent with the token
of one of the five organisation kinds (drawn by Hypothesis too), and every answer must be no 5xx, have a
documented status code and content type, and conform to its documented schema. Examples per operation
are bounded so the whole run stays within about two minutes on two cores.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from exchange import create_app
from tests.security.conftest import CALLERS, KINDS, World

EXAMPLES = 25
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _documented_operations() -> list[str]:
    """``METHOD /path`` of every operation in the spec, read from an app built only to serve it."""
    with tempfile.TemporaryDirectory() as folder:
        spec = create_app({"database_url": f"sqlite:///{folder}/spec.db"}).test_client().get("/openapi.json")
        paths = spec.get_json()["paths"]
    return sorted(f"{m.upper()} {p}" for p, ops in paths.items() for m in ops if m != "parameters")


@pytest.mark.parametrize("label", _documented_operations())
def test_operation_conforms_to_its_documentation(world: World, app: Flask, label: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, kind=st.sampled_from(KINDS))
    def run(case: Any, kind: str) -> None:
        case.call_and_validate(headers=world.headers(CALLERS[kind]), checks=CHECKS)

    run()
