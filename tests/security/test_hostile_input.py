"""The hostile input corpus (``corpus.py``) sent to every route of the app, as a partner of the right kind.

Every route comes from ``app.url_map``, so a new endpoint is attacked as soon as it exists. For every
answer: no 5xx; an error is ``application/problem+json`` with a 4xx status and no stack trace, SQL or
file content in it; nothing injected reaches a response header; each answer comes within
``ANSWER_SECONDS`` of CPU time (a hang detector); and the Python heap (tracemalloc peak) of the XML
attacks and the oversized bodies, each family run as a whole, stays under ``MEMORY_BOUND``: an expanded
billion laughs or quadratic blowup, or a body read past its limit, would take a gigabyte. (tracemalloc
slows the app threefold, so the other families are timed without it.)
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, current_app
from joserfc import jwt
from joserfc.jwk import ECKey

from adapters.canonical_json import JSON_FAULTS
from exchange.auth import keys
from tests.api.conftest import care_case
from tests.conftest import ExchangeKey
from tests.security import corpus
from tests.security.conftest import ANSWER_SECONDS, PROBLEM_JSON, Route, World, is_page, routes

MEMORY_BOUND = 256 * 1024 * 1024
#: a body over the app's limit (``max_body_bytes``, 10 MiB by default; submissions are held to it too)
OVERSIZED = 10 * 1024 * 1024 + 1
LEAKS = (b"Traceback", b'File "/', b"sqlalchemy", b"psycopg", b"SELECT ", b"/work/", b"site-packages")
INJECTED_HEADERS = ("Set-Cookie", "X-Injected")

#: who calls each route: a partner whose kind holds the route's scope (anything else: the LA)
CALLER = {"advice.acknowledge": "cafcass", "advice.give_advice": "cafcass"}
CALLER_BY_BLUEPRINT = {"advice": "court", "feed": "cafcass", "metrics": "fjb", "submissions": "la"}
#: a valid body of each JSON endpoint, whose every string is replaced by each injection in turn
BODIES: dict[str, dict[str, Any]] = {
    "submissions.submit": care_case(reference="SEC-INJ"),
    "cases.post_event": {"type": "hearing.listed", "occurred_at": "2025-02-01T10:00:00+00:00"},
    "advice.create": {"type": "case_management_advice", "case_id": "own_case", "question": "Q"},
    "advice.give_advice": {"summary": "S", "risk_identified": False, "recommendation": "R"},
}
OAUTH_FORM = ("grant_type", "scope", "client_assertion_type", "client_assertion", "token", "token_type_hint")


def caller(route: Route) -> str:
    return CALLER.get(route.endpoint) or CALLER_BY_BLUEPRINT.get(route.endpoint.split(".")[0], "la")


def valid_path(world: World, route: Route) -> dict[str, str]:
    """Path arguments naming the caller's own objects, so a hostile body or query reaches the view."""
    own = {
        "case_id": world.ids["own_case"],
        "submission_id": world.ids["own_submission"],
        "request_id": world.ids["own_advice"],
        "name": "hearing_types",
    }
    return {name: own.get(name, "swagger-ui.css") for name in route.arguments}


@contextmanager
def bounded_memory() -> Iterator[None]:
    """Fails when the Python heap's peak while the block runs is over ``MEMORY_BOUND``."""
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.0f} MiB"


def send(world: World, route: Route, path: dict[str, str], label: str, **kwargs: Any) -> Any:
    """One request, timed, its answer checked against the corpus rules; the answer is returned."""
    headers = kwargs.pop("headers", None)
    if headers is None:
        headers = world.headers(caller(route))
    started = time.process_time()
    response = world.client.open(route.url(path), method=route.method, headers=headers, **kwargs)
    body = response.get_data()
    response.close()
    elapsed = time.process_time() - started
    where = f"{route.label} [{label}] -> {response.status_code}"
    assert elapsed < ANSWER_SECONDS, f"{where} took {elapsed:.1f} s"
    assert response.status_code < 500, f"{where}: {body[:300]!r}"
    if response.status_code >= 400 and is_page(route) and response.mimetype == "text/html":
        pass  # a page's own error page (a path no page matches is the exchange's problem, below)
    elif response.status_code >= 400:
        assert response.mimetype == PROBLEM_JSON, f"{where}: {response.mimetype}"
        problem = response.get_json()
        assert problem["status"] == response.status_code and problem["type"] and problem["title"], where
    assert not any(marker in body for marker in corpus.LEAK_MARKERS + LEAKS), f"{where}: {body[:300]!r}"
    assert corpus.TEMPLATE_RENDERED.encode() not in body, where
    assert not any(name in response.headers for name in INJECTED_HEADERS), f"{where}: {response.headers}"
    return response


def test_hostile_path_parameters(world: World, app: Flask) -> None:
    targets = [r for r in routes(app) if r.arguments]
    assert targets
    for route in targets:
        for name in route.arguments:
            for label, value in corpus.TRAVERSALS.items():
                path = {**valid_path(world, route), name: value}
                response = send(world, route, path, label)
                assert response.status_code != 200 or route.endpoint == "ops.docs_static", label


def _query_names(app: Flask, route: Route) -> set[str]:
    """The route's documented query parameters (from /openapi.json) and one it does not take."""
    spec = app.test_client().get("/openapi.json").get_json()
    operation = spec["paths"].get(route.url({a: "{" + a + "}" for a in route.arguments}), {})
    parameters = operation.get(route.method.lower(), {}).get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"} | {"q"}


def test_hostile_query_parameters(world: World, app: Flask) -> None:
    for route in routes(app):
        path = valid_path(world, route)
        for name in sorted(_query_names(app, route)):
            for label, value in corpus.INJECTIONS.items():
                send(world, route, path, f"{name}={label}", query_string={name: value})


def _body_routes(app: Flask) -> list[Route]:
    return [r for r in routes(app) if r.method in ("POST", "PUT", "PATCH")]


def test_xml_attacks(world: World, app: Flask) -> None:
    with bounded_memory():
        for route in _body_routes(app):
            for label, body in corpus.XML_ATTACKS.items():
                for media_type in (
                    corpus.XML_MEDIA_TYPES if route.endpoint == "submissions.submit" else ["application/xml"]
                ):
                    headers = {**world.headers(caller(route)), "Content-Type": media_type}
                    path = valid_path(world, route)
                    send(world, route, path, f"{label} as {media_type}", data=body, headers=headers)


def test_xml_attacks_on_submissions_are_refused_without_storing_a_record(world: World, app: Flask) -> None:
    [route] = [r for r in routes(app) if r.endpoint == "submissions.submit"]
    for label, body in corpus.XML_ATTACKS.items():
        headers = {**world.headers("la"), "Content-Type": "application/xml; profile=cin-census"}
        response = send(world, route, {}, label, data=body, headers=headers)
        assert response.status_code in (400, 413, 415, 422), label
        assert (response.get_json().get("submission") or {}).get("accepted", 0) == 0, label


MALFORMED = sorted(corpus.MALFORMED_JSON)


@pytest.mark.parametrize("label", MALFORMED)
def test_malformed_json_bodies(world: World, app: Flask, label: str) -> None:
    for route in _body_routes(app):
        headers = {**world.headers(caller(route)), "Content-Type": "application/json"}
        send(
            world,
            route,
            valid_path(world, route),
            label,
            data=corpus.MALFORMED_JSON[label],
            headers=headers,
        )


def _bodies(app: Flask) -> dict[Route, set[str]]:
    """Every route that reads a body, with the media types it reads: the request bodies documented in
    /openapi.json, and the forms of the OAuth endpoints."""
    spec = app.test_client().get("/openapi.json").get_json()
    found = {}
    for route in _body_routes(app):
        path = spec["paths"].get(route.url({a: "{" + a + "}" for a in route.arguments}), {})
        operation = path.get(route.method.lower(), {})
        if "requestBody" in operation:
            found[route] = set(operation["requestBody"]["content"])
        elif route.rule.startswith("/oauth/"):
            found[route] = {"application/x-www-form-urlencoded"}
    return found


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"reference": }', "json.malformed"),
        (b'{"reference": ', "json.truncated"),
        (b'"\xff"', "json.invalid_utf8"),
    ],
)
def test_malformed_json_is_the_same_problem_on_every_endpoint_that_reads_json(
    world: World, app: Flask, body: bytes, code: str
) -> None:
    routes_ = [route for route, types in _bodies(app).items() if "application/json" in types]
    assert {r.endpoint for r in routes_} >= {"submissions.submit", "cases.post_event", "advice.create"}
    answers = {}
    for route in routes_:
        headers = {**world.headers(caller(route)), "Content-Type": "application/json"}
        problem = send(world, route, valid_path(world, route), code, data=body, headers=headers).get_json()
        faults = tuple((e["pointer"], e["code"], e["message"]) for e in problem["errors"])
        answers[route.label] = (problem["status"], problem["type"], problem["title"], faults)
    expected = (422, "/problems/validation", "The request is not valid", (("", code, JSON_FAULTS[code]),))
    assert set(answers.values()) == {expected}, answers


def test_a_body_of_another_media_type_is_415_on_every_endpoint_that_reads_one(
    world: World, app: Flask
) -> None:
    bodies = _bodies(app)
    assert {r.endpoint for r in bodies} >= {
        "submissions.submit",
        "cases.post_event",
        "oauth.token",
        "oauth.revoke",
    }
    others = ("text/plain", "application/pdf", "application/json", "application/x-www-form-urlencoded", None)
    for route, types in bodies.items():
        for media_type in (t for t in others if t not in types):
            headers = world.headers(caller(route), **({"Content-Type": media_type} if media_type else {}))
            label = f"a body of {media_type or 'no media type'}"
            response = send(world, route, valid_path(world, route), label, data=b'{"a": 1}', headers=headers)
            assert response.status_code == 415, f"{route.label} [{label}]: {response.status_code}"
            if route.rule.startswith("/oauth/"):  # an OAuth client reads the error member
                assert response.get_json()["error"] == "invalid_request"


def test_oversized_bodies_and_gzip_bombs_answer_413(world: World, app: Flask) -> None:
    # submissions take whole returns (256 MiB by default): held to the other routes' limit here
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(
        settings, max_submission_bytes=settings.max_body_bytes
    )
    oversized = b"{" + b" " * OVERSIZED + b"}"
    bomb = corpus.gzip_bomb(OVERSIZED * 3)
    with bounded_memory():
        for route in _body_routes(app):
            path = valid_path(world, route)
            headers = {**world.headers(caller(route)), "Content-Type": "application/json"}
            assert send(world, route, path, "oversized", data=oversized, headers=headers).status_code == 413
            bombed = send(
                world, route, path, "gzip bomb", data=bomb, headers={**headers, "Content-Encoding": "gzip"}
            )
            if route.endpoint == "submissions.submit":  # the one route that inflates gzip
                assert bombed.status_code == 413


def _replace_strings(value: Any, injection: str, ids: dict[str, str]) -> Any:
    """``value`` with every string but the World id references replaced by ``injection``."""
    if isinstance(value, dict):
        return {k: _replace_strings(v, injection, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_strings(v, injection, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, injection)
    return value


def test_injection_strings_in_every_field(world: World, app: Flask) -> None:
    for route in _body_routes(app):
        path = valid_path(world, route)
        for label, injection in corpus.INJECTIONS.items():
            if route.endpoint.startswith("oauth."):
                form = dict.fromkeys(OAUTH_FORM, injection)
                send(world, route, path, label, data=form, headers={})
                continue
            template = BODIES.get(route.endpoint, {"value": "x"})
            body = _replace_strings(template, injection, world.ids)
            send(world, route, path, label, json=body)
    # the SQL strings were data, not statements: the tables are still there and answer
    assert world.client.get("/v1/cases", headers=world.headers("la")).status_code == 200


def _token(claims: dict[str, Any], header: dict[str, Any] | None = None, key: Any = None) -> str:
    """A token signed by the exchange's own key (unless ``key``), with ``claims`` over a valid set."""
    signing = ExchangeKey(current_app.extensions[keys.EXTENSION])
    now = int(time.time())
    base = {
        "iss": "http://exchange.test",
        "aud": "https://family-justice-exchange/api",
        "sub": "sec-la",
        "client_id": "sec-la",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "scope": "cases:submit cases:read feed:read advice:request advice:respond metrics:read",
        "org": "sec-la",
        "org_kind": "local_authority",
    }
    head = {"alg": "ES256", "typ": "at+jwt", "kid": signing.kid, **(header or {})}
    if key is None:
        return signing.encode(head, {**base, **claims})
    return jwt.encode(head, {**base, **claims}, key, algorithms=[head["alg"]])


def _hs256(token: str, secret: bytes) -> str:
    """``token`` re-signed HS256 with ``secret``: the algorithm-confusion attack on a public key."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"at+jwt"}').rstrip(b"=")
    signing_input = header + b"." + token.split(".")[1].encode()
    mac = base64.urlsafe_b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + mac).decode()


def _bad_tokens(world: World) -> dict[str, dict[str, str]]:
    """Authorization headers that must all be refused (401) on every protected route."""
    stranger = ECKey.generate_key("P-256")
    signing = ExchangeKey(current_app.extensions[keys.EXTENSION])
    public_pem = signing.as_pem()
    now = int(time.time())
    unsigned = _token({}).rsplit(".", 1)[0] + "."
    tokens = {
        "expired": _token({"iat": now - 1000, "exp": now - 600}),
        "other_audience": _token({"aud": "https://another-api.example"}),
        "other_issuer": _token({"iss": "https://another-issuer.example"}),
        "unknown_org": _token({"org": "no-such-org"}),
        "no_jti": _token({"jti": None}),
        "id_token_typ": _token({}, {"typ": "JWT"}),
        "unknown_kid": _token({}, {"kid": "no-such-key"}),
        "stranger_key": _token({}, {"kid": signing.kid}, stranger),
        "alg_none": unsigned,
        "hs256_with_public_key": _hs256(_token({}), public_pem),
        "tampered": _token({})[:-4] + "AAAA",
        "malformed": "not.a.token",
        "garbage": "%%%%",
        "very_long": "a" * 20_000,
        "unicode": "tök\u202een",
    }
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    headers.update(
        none={},
        empty_bearer={"Authorization": "Bearer "},
        basic_scheme={"Authorization": "Basic c2VjLWxhOnNlY3JldA=="},
        token_and_junk={"Authorization": f"Bearer {world.tokens['la']} junk"},
    )
    return headers


def test_invalid_tokens_are_refused_on_every_protected_route(world: World, app: Flask) -> None:
    public = {"/oauth/", "/.well-known/", "/health/", "/docs", "/openapi.json", "/v1/code-lists", "/metrics"}
    # the pages read no token: without a page session they send the browser to sign in (tests/web)
    protected = [r for r in routes(app) if not any(r.rule.startswith(p) for p in public) and not is_page(r)]
    assert protected
    for label, headers in _bad_tokens(world).items():
        for route in protected:
            response = send(world, route, valid_path(world, route), label, headers=headers)
            assert response.status_code == 401, f"{route.label} [{label}]: {response.status_code}"
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), route.label


def test_a_token_in_the_query_string_is_refused(world: World, app: Flask) -> None:
    [route] = [r for r in routes(app) if r.endpoint == "cases.list_cases"]
    token = world.tokens["la"]
    response = send(world, route, {}, "access_token", headers={}, query_string={"access_token": token})
    assert response.status_code == 400
