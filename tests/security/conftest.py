"""Fixtures of the security tests: partners of every kind, objects of other organisations, and the routes.

``world`` registers, through the operator CLI and the public API only, one partner of each kind that the
tests call as (``la`` Camden, ``court`` the Central Family Court, ``cafcass`` England, ``lfjb`` Central
London, ``fjb``) and the owners of the objects they must not see: a Welsh LA (Cardiff) with a case at a
Welsh court, that court with an advice request (routed to Cafcass Cymru), and Cafcass Cymru. All synthetic.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import AuditEvent
from tests.api.conftest import care_case
from tests.metrics.conftest import publish

#: the kinds of SPEC §1, each with the name of the partner the tests call as
KINDS = ("local_authority", "court", "cafcass", "lfjb", "fjb")
CALLERS = {"local_authority": "la", "court": "court", "cafcass": "cafcass", "lfjb": "lfjb", "fjb": "fjb"}
WELSH_COURT, WELSH_LA, WELSH_AREA = "164", "W06000015", "SOUTH_EAST_WALES"
PROBLEM_JSON = "application/problem+json"
#: a hang detector, not a performance bound: every answer must take well under this many CPU seconds of the
#: test process (CPU time, not wall-clock time, so that a busy machine cannot fail a sound answer)
ANSWER_SECONDS = 5.0

PARTNERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "la": ("local_authority", ("--la-code", "202")),
    "court": ("court", ("--court-code", "115")),
    "cafcass": ("cafcass", ("--service", "cafcass")),
    "lfjb": ("lfjb", ("--dfj-area", "CENTRAL_LONDON")),
    "fjb": ("fjb", ()),
    "other_la": ("local_authority", ("--la-code", WELSH_LA)),
    "other_court": ("court", ("--court-code", WELSH_COURT)),
    "cafcass_cymru": ("cafcass", ("--service", "cafcass_cymru")),
}


@dataclass
class World:
    """The partners (by name), a live token for each, and the ids of the objects made through the API."""

    client: FlaskClient
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    def headers(self, name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}", **extra}

    def post_json(self, name: str, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body, headers=self.headers(name))
        assert response.status_code in (200, 201), (path, response.status_code, response.get_data(True))
        return response.get_json()


@pytest.fixture
def world(client: FlaskClient, make_partner: Callable[..., Any], token_for: Callable[..., str]) -> World:
    tokens = {
        name: token_for(make_partner(kind, org_id=f"sec-{name.replace('_', '-')}", options=options))
        for name, (kind, options) in PARTNERS.items()
    }
    w = World(client, tokens)
    own = w.post_json("la", "/v1/submissions", care_case(reference="SEC-OWN-1"))
    other = w.post_json(
        "other_la",
        "/v1/submissions",
        care_case(reference="SEC-WALES-1", applicant_la=WELSH_LA, court=WELSH_COURT),
    )
    w.ids.update(
        own_submission=own["id"],
        own_case=own["stored_ids"][0],
        other_submission=other["id"],
        other_case=other["stored_ids"][0],
    )
    advice = {"type": "case_management_advice", "question": "Synthetic question."}
    w.ids["own_advice"] = w.post_json(
        "court", "/v1/advice-requests", {**advice, "case_id": w.ids["own_case"]}
    )["id"]
    w.ids["other_advice"] = w.post_json(
        "other_court", "/v1/advice-requests", {**advice, "case_id": w.ids["other_case"]}
    )["id"]
    publish()  # the board figures, as the worker publishes them once cases have changed
    return w


@dataclass(frozen=True)
class Route:
    """One method of one url_map rule: ``/v1/cases/<case_id>`` POST, its endpoint and path arguments."""

    rule: str
    method: str
    endpoint: str
    arguments: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}"

    def url(self, values: dict[str, str]) -> str:
        """The rule with each ``<converter:name>`` replaced by ``values[name]`` exactly as given (raw)."""
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], self.rule)


#: the blueprints of the pages, which people use with a page session, not a token (``tests/web``)
PAGES = ("assets", "signin", "pages")


def is_page(route: Route) -> bool:
    return route.endpoint.split(".")[0] in PAGES


def routes(app: Flask) -> list[Route]:
    """Every method of every rule of ``app`` but HEAD and OPTIONS: new endpoints are covered as they come."""
    found = [
        Route(rule.rule, method, rule.endpoint, tuple(sorted(rule.arguments)))
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda r: (r.rule, r.method))


def denials_since(seq: int) -> list[AuditEvent]:
    """Audit events after ``seq`` whose outcome is a denial (``denied_<status>``)."""
    db.session.rollback()  # a fresh snapshot: the request committed on its own session
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq > seq, AuditEvent.outcome.startswith("denied_"))
        )
    )


def last_audit_seq() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.max(AuditEvent.seq))) or 0


@contextmanager
def timed(limit: float = ANSWER_SECONDS) -> Iterator[None]:
    """Fails when the block (one request) takes more than ``limit`` CPU seconds of this process."""
    started = time.process_time()
    yield
    elapsed = time.process_time() - started
    assert elapsed < limit, f"the answer took {elapsed:.1f} s"
