"""Every error is RFC 9457 problem+json and gives nothing away."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Blueprint, Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey

from exchange.api.protect import public
from tests.conftest import Partner, request_token

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert (
        body["status"] == status
        and body["type"].startswith("/problems/")
        and body["title"]
        and body["detail"]
    )
    return body


def test_unknown_route_is_a_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/no/such/thing"), 404)


def test_wrong_method_is_a_problem_with_allow(client: FlaskClient) -> None:
    response = client.delete("/health/live")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/oauth/token", data=b"x" * 4096, content_type="application/x-www-form-urlencoded")
    assert_problem(response, 413)


def test_unexpected_failure_is_a_bare_500(app: Flask, client: FlaskClient, capfd) -> None:  # noqa: ANN001
    bp = Blueprint("boom", __name__)

    @bp.get("/boom")
    @public
    def boom() -> None:
        raise RuntimeError("SELECT * FROM secret_table WHERE name = 'Jane Example' /srv/app/secret.py")

    app.register_blueprint(bp)
    body = assert_problem(client.get("/boom"), 500)
    text = str(body)
    for leak in ("SELECT", "Jane", "/srv", "Traceback", "RuntimeError"):
        assert leak not in text
    logged = capfd.readouterr().err
    assert "unhandled_error" in logged and "RuntimeError" in logged
    for leak in ("SELECT", "Jane", "/srv", "Traceback"):
        assert leak not in logged


def test_rate_limit_is_a_problem(database_url: str) -> None:
    from exchange import create_app

    app = create_app({"database_url": database_url, "rate_limit": "2 per minute"})
    client = app.test_client()
    answers = [client.get("/health/live") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    # no X-RateLimit-* headers (they would cost a storage round trip each); a 429 says when to come back
    assert not [n for a in answers for n, _ in a.headers.items() if n.lower().startswith("x-ratelimit")]
    refused = client.get("/health/live")
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_wrong_method_names_itself_and_the_methods_to_use(client: FlaskClient) -> None:
    for method, path, allowed in (("delete", "/v1/cases", "GET, HEAD"), ("get", "/oauth/token", "POST")):
        body = assert_problem(getattr(client, method)(path), 405)
        assert (body["title"], body["type"]) == ("Method not allowed", "/problems/method-not-allowed")
        assert body["detail"] == f"This URL answers {allowed} only."


def test_not_acceptable_names_itself_and_what_is_served(
    client: FlaskClient, make_partner: Callable[..., Partner], auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth_headers(make_partner("lfjb")), "Accept": "image/png"}
    body = assert_problem(
        client.get("/v1/metrics/pack?area=CENTRAL_LONDON&quarter=2025Q1", headers=headers), 406
    )
    assert (body["title"], body["type"]) == ("Not acceptable", "/problems/not-acceptable")
    assert "text/html or application/pdf" in body["detail"]


def test_a_missing_scope_is_named(
    client: FlaskClient, make_partner: Callable[..., Partner], auth_headers: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/v1/feed", headers=auth_headers(make_partner("local_authority")))
    body = assert_problem(response, 403)
    assert "feed:read" in body["detail"]
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="exchange", error="insufficient_scope", scope="feed:read"'
    )


def test_an_unknown_client_and_wrong_credentials_get_the_same_answer(
    client: FlaskClient, make_partner: Callable[..., Partner]
) -> None:
    with_secret = make_partner("local_authority")
    with_key = make_partner("cafcass", private_key_jwt=True)
    stranger_key = ECKey.generate_key("P-256", auto_kid=True)
    answers = {
        "wrong secret": request_token(client, dataclasses.replace(with_secret, secret="not-the-secret")),
        "unknown client": request_token(
            client, dataclasses.replace(with_secret, client_id="nobody-0123456789")
        ),
        "assertion of an unknown client": request_token(
            client, dataclasses.replace(with_key, client_id="nobody-0123456789", private_key=stranger_key)
        ),
        "assertion signed with another key": request_token(
            client, dataclasses.replace(with_key, private_key=stranger_key)
        ),
        "assertion from a client with a secret": request_token(
            client, dataclasses.replace(with_secret, private_key=stranger_key)
        ),
    }
    shapes = {
        label: (r.status_code, r.get_json(), r.headers.get("WWW-Authenticate"))
        for label, r in answers.items()
    }
    first = shapes["wrong secret"]
    assert first[0] == 401 and first[1]["error"] == "invalid_client"
    assert first[1]["detail"] == "The client is unknown or its credentials are wrong."
    assert all(shape == first for shape in shapes.values()), shapes
