"""Authorisation matrix (SPEC §1): every organisation kind × every endpoint × another organisation's object.

A kind without the endpoint's scope answers 403; a kind with it, asking for another organisation's object
(a Welsh LA's case and submission, a Welsh court's advice request routed to Cafcass Cymru, the metrics of
a Welsh DFJ area), answers 404 exactly as for an unknown id, never 403; lists simply leave the object out.
Every denial is in the audit trail. The object's owner is the control: it is not refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import care_case
from tests.conftest import KIND_SCOPES
from tests.security.conftest import (
    CALLERS,
    KINDS,
    WELSH_AREA,
    WELSH_COURT,
    WELSH_LA,
    World,
    denials_since,
    last_audit_seq,
    routes,
)
from tests.web.test_page_matrix import OPEN_PAGES, PAGE_PROBES

ANY_ADVICE = frozenset({"advice:request", "advice:respond"})
#: a valid event: the body is checked (422) before the case is looked up (404), as on every endpoint
EVENT = {
    "type": "hearing.listed",
    "occurred_at": "2025-02-01T10:00:00+00:00",
    "hearing": {"type": "CASE_MANAGEMENT", "starts_at": "2025-02-20T10:00:00+00:00"},
}


@dataclass(frozen=True)
class Probe:
    """How to ask an endpoint for the other organisation's object, and what SPEC §1 says follows."""

    scopes: frozenset[str]  # any one of them opens the endpoint (SPEC §3)
    path: dict[str, str] = field(default_factory=dict)  # path argument -> key of World.ids
    query: str = ""
    body: dict[str, Any] | None = None
    listed: str | None = None  # a list: 200, and this World.ids entry is not in it
    owner: str | None = None  # the partner whose object it is: the control, never refused
    sees_all: frozenset[str] = frozenset()  # kinds SPEC §1 lets see it (the FJB: every area)


def _scope(*names: str) -> frozenset[str]:
    return frozenset(names)


PROBES: dict[str, Probe] = {
    "submissions.submit": Probe(
        _scope("cases:submit"),
        body=care_case(reference="SEC-FOREIGN", applicant_la=WELSH_LA, court=WELSH_COURT),
    ),
    "submissions.show": Probe(
        _scope("cases:submit"), {"submission_id": "other_submission"}, owner="other_la"
    ),
    "submissions.findings": Probe(
        _scope("cases:submit"), {"submission_id": "other_submission"}, owner="other_la"
    ),
    "cases.list_cases": Probe(_scope("cases:read"), listed="other_case"),
    "cases.show": Probe(_scope("cases:read"), {"case_id": "other_case"}, owner="other_la"),
    "cases.versions": Probe(_scope("cases:read"), {"case_id": "other_case"}, owner="cafcass_cymru"),
    "cases.post_event": Probe(_scope("cases:submit"), {"case_id": "other_case"}, body=EVENT),
    "feed.feed": Probe(_scope("feed:read"), listed="other_case"),
    "advice.create": Probe(
        _scope("advice:request"),
        body={"type": "case_management_advice", "case_id": "other_case"},
    ),
    "advice.list_requests": Probe(ANY_ADVICE, listed="other_advice"),
    "advice.get_request": Probe(ANY_ADVICE, {"request_id": "other_advice"}, owner="other_court"),
    "advice.attachment": Probe(ANY_ADVICE, {"request_id": "other_advice"}),
    "advice.acknowledge": Probe(
        _scope("advice:respond"), {"request_id": "other_advice"}, owner="cafcass_cymru"
    ),
    "advice.give_advice": Probe(
        _scope("advice:respond"),
        {"request_id": "other_advice"},
        body={"summary": "Synthetic advice.", "risk_identified": False},
        owner="cafcass_cymru",
    ),
    "advice.withdraw": Probe(_scope("advice:request"), {"request_id": "other_advice"}, owner="other_court"),
    "metrics.metrics": Probe(_scope("metrics:read"), query=f"area={WELSH_AREA}", sees_all=frozenset({"fjb"})),
    "metrics.areas": Probe(_scope("metrics:read"), listed=WELSH_AREA, sees_all=frozenset({"fjb"})),
    "metrics.performance_pack": Probe(
        _scope("metrics:read"), query=f"area={WELSH_AREA}&quarter=2025Q1", sees_all=frozenset({"fjb"})
    ),
}
#: endpoints open without a token (the authorization server, health, docs, reference data)
PUBLIC = {
    "api-docs.openapi_json",
    "code_lists.index",
    "code_lists.show",
    "oauth.introspect",
    "oauth.jwks",
    "oauth.metadata",
    "oauth.revoke",
    "oauth.token",
    "ops.docs",
    "ops.docs_static",
    "ops.live",
    "ops.prometheus",
    "ops.ready",
}


def _resolve(value: Any, world: World) -> Any:
    """``value`` with every string that names a World id replaced by that id."""
    if isinstance(value, dict):
        return {k: _resolve(v, world) for k, v in value.items()}
    return world.ids.get(value, value) if isinstance(value, str) else value


def _call(world: World, app: Flask, endpoint: str, caller: str) -> Any:
    probe = PROBES[endpoint]
    [route] = [r for r in routes(app) if r.endpoint == endpoint]
    url = route.url({name: world.ids[key] for name, key in probe.path.items()})
    url += f"?{_resolve(probe.query, world)}" if probe.query else ""
    body = _resolve(probe.body, world)
    return world.client.open(url, method=route.method, json=body, headers=world.headers(caller))


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    """A new endpoint fails here until it is classified: probed for another's object, or public; the pages
    are probed by their own matrix (``tests/web/test_page_matrix.py``)."""
    endpoints = {r.endpoint for r in routes(app)}
    assert endpoints == set(PROBES) | PUBLIC | set(PAGE_PROBES) | OPEN_PAGES


@pytest.mark.parametrize("endpoint", sorted(PROBES))
def test_every_kind_against_another_organisations_object(world: World, app: Flask, endpoint: str) -> None:
    probe = PROBES[endpoint]
    object_id = next((_resolve(v, world) for v in probe.path.values()), None) or (
        world.ids.get((probe.body or {}).get("case_id", ""))
    )
    wrong = []
    for kind in KINDS:
        seq = last_audit_seq()
        response = _call(world, app, endpoint, CALLERS[kind])
        held = set(KIND_SCOPES[kind].split())
        if not held & probe.scopes:
            expected = 403
        elif kind in probe.sees_all:
            expected = 200
        elif probe.listed:
            expected = 200
            listed = _resolve(probe.listed, world)
            if listed in response.get_data(as_text=True):
                wrong.append(f"{kind}: the list shows the other organisation's {listed}")
        elif endpoint == "submissions.submit":
            expected = 422  # a case of another LA is a rejected record, and nothing is stored
        else:
            expected = 404
        if response.status_code != expected:
            wrong.append(f"{kind}: {response.status_code}, expected {expected}")
            continue
        if expected in (403, 404):
            assert response.mimetype == "application/problem+json"
            denied = [e for e in denials_since(seq) if e.outcome == f"denied_{expected}"]
            if not denied:
                wrong.append(f"{kind}: the {expected} was not audited as denied_{expected}")
            elif expected == 404 and object_id and not any(object_id in e.resource_ids for e in denied):
                wrong.append(f"{kind}: the audited 404 does not name {object_id}")
    assert not wrong, wrong
    if probe.owner:
        control = _call(world, app, endpoint, probe.owner)
        assert control.status_code not in (401, 403, 404), control.get_data(as_text=True)


def test_a_foreign_object_and_an_unknown_id_answer_alike(world: World) -> None:
    """The 404 for another's case is byte-for-byte the 404 for an id that does not exist."""
    foreign = world.client.get(f"/v1/cases/{world.ids['other_case']}", headers=world.headers("la"))
    unknown = world.client.get("/v1/cases/00000000-0000-4000-8000-000000000000", headers=world.headers("la"))
    assert (foreign.status_code, foreign.get_data()) == (unknown.status_code, unknown.get_data())
    outcomes = {e.action for e in denials_since(0)}
    assert {"access.foreign_object", "access.unknown_object"} <= outcomes


@pytest.mark.parametrize("endpoint", sorted(PUBLIC))
def test_public_endpoints_need_no_token(app: Flask, endpoint: str) -> None:
    [route, *_] = [r for r in routes(app) if r.endpoint == endpoint]
    url = route.url({name: "swagger-ui.css" for name in route.arguments})
    response = app.test_client().open(url, method=route.method)
    response.close()  # a static file's answer holds the file open
    assert response.status_code != 403
    # the OAuth endpoints authenticate the client itself (RFC 6749 §2.3), not with a bearer token
    assert response.status_code != 401 or endpoint.startswith("oauth."), response.get_data(as_text=True)
