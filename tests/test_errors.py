"""Every error is RFC 9457 problem+json and gives nothing away."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask.testing import FlaskClient

from exchange.auth.protect import public

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
    statuses = [client.get("/health/live").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert_problem(client.get("/health/live"), 429)
