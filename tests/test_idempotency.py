"""`exchange.idempotency`: one key grammar (1 to 200 visible ASCII characters) and one conflict rule for
every write that takes an Idempotency-Key (each endpoint holds it too, in `tests/api/test_submissions.py`
and `tests/advice/test_api.py`)."""

from __future__ import annotations

import uuid

import pytest

from exchange import idempotency
from exchange.errors import DomainError, as_problem


@pytest.mark.parametrize("key", [None, "k", "camden-2025-01-06-0001", "!~" * 100])
def test_a_key_of_the_grammar_or_none_passes(key):
    assert idempotency.checked_key(key) == key


@pytest.mark.parametrize("key", ["", "has space", "é-key", "k" * 201, "tab\tkey", "nul\x00"])
def test_a_key_outside_the_grammar_is_422(key):
    with pytest.raises(DomainError) as refused:
        idempotency.checked_key(key)
    problem = as_problem(refused.value).body()
    assert problem["status"] == 422
    assert problem["errors"] == [
        {
            "pointer": "/headers/Idempotency-Key",
            "code": "invalid",
            "message": "An Idempotency-Key is 1 to 200 visible ASCII characters.",
        }
    ]


def test_the_same_request_passes_and_another_is_an_audited_409():
    first = uuid.uuid4()
    same = idempotency.fingerprint("a" * 64, "application/json", "canonical-json", False)
    idempotency.same_request(first, same, same, resource_type="submission", action="submission")
    others = [
        idempotency.fingerprint("b" * 64, "application/json", "canonical-json", False),
        idempotency.fingerprint("a" * 64, "application/xml", "canonical-json", False),
        idempotency.fingerprint("a" * 64, "application/json", "hmcts-fpl-ccd", False),
        idempotency.fingerprint("a" * 64, "application/json", "canonical-json", True),
    ]
    assert len(set(others)) == 4 and same not in others
    for other in others[1:]:
        with pytest.raises(DomainError):
            idempotency.same_request(first, same, other, resource_type="submission", action="submission")
    with pytest.raises(DomainError) as refused:
        idempotency.same_request(first, same, others[0], resource_type="advice_request", action="advice")
    error = refused.value
    assert (error.status, error.code, error.audit_action) == (
        409,
        "idempotency_conflict",
        "advice.idempotency_conflict",
    )
    assert (error.resource_type, error.resource_ids) == ("advice_request", (str(first),))
