"""Health, Prometheus metrics, request ids, JSON logs and the offline API documentation."""

from __future__ import annotations

import json

from flask.testing import FlaskClient


def test_liveness_and_readiness(client: FlaskClient) -> None:
    assert client.get("/health/live").get_json() == {"status": "ok"}
    assert client.get("/health/ready").get_json() == {"status": "ok", "database": "ok"}


def test_readiness_fails_without_a_database(tmp_path) -> None:  # noqa: ANN001
    from exchange import create_app

    missing = tmp_path / "no-such-dir" / "exchange.db"
    app = create_app({"database_url": f"sqlite:///{missing}"})
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_request_id_is_echoed_or_made(client: FlaskClient, capfd) -> None:  # noqa: ANN001
    given = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces" and len(made.headers["X-Request-ID"]) == 32
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert requests[0]["request_id"] == "abc-123" and requests[0]["route"] == "/health/live"


def test_prometheus_metrics_from_loopback_only(client: FlaskClient) -> None:
    client.get("/health/live")
    scrape = client.get("/metrics")
    assert scrape.status_code == 200 and b"exchange_http_requests_total" in scrape.data
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404


def test_openapi_and_offline_docs(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "Family Justice Exchange"
    page = client.get("/docs").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page
    with client.get("/docs/static/swagger-ui-bundle.js") as script:
        assert script.status_code == 200 and b"SwaggerUIBundle" in script.data
    assert client.get("/docs/static/../../setup.cfg").status_code == 404
