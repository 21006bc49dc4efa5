"""/openapi.json is a document a partner can code against: valid OpenAPI 3.1, every example in it accepted by
its endpoint (sent with a real token from the token endpoint), every example valid against its own schema,
and each operation's documented security exactly what the exchange enforces, kind by kind."""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from exchange import create_app
from exchange.models.orgs import KIND_SCOPES, SCOPES
from schemas.events import EVENT_TYPES
from schemas.openapi import EXAMPLE_CHILD_IDS, EXAMPLE_HEARING_IDS
from tests.conftest import basic_auth

METHODS = ("get", "put", "post", "delete", "patch")
KINDS = tuple(KIND_SCOPES)
EVENTS = "/v1/cases/{case_id}/events"
SPEC_URI = "urn:exchange:openapi"


def _served_document() -> dict[str, Any]:
    """/openapi.json, from an app built only to serve it (for parametrising at collection time)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"database_url": f"sqlite:///{folder}/spec.db", "issuer": "http://exchange.test"})
        return app.test_client().get("/openapi.json").get_json()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _pointer(*tokens: str) -> str:
    return "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _media_examples(content: dict[str, Any], at: tuple[str, ...]) -> Iterator[tuple[str, str, Any, str]]:
    """(media type, example name, value, pointer to its schema) of each example of a ``content`` map."""
    for media_type, media in content.items():
        schema = _pointer(*at, media_type, "schema")
        if "example" in media:
            yield media_type, "example", media["example"], schema
        for name, example in media.get("examples", {}).items():
            yield media_type, name, example["value"], schema


def _examples(spec: dict[str, Any], *, responses: bool) -> Iterator[tuple[str, str, str, str, Any, str]]:
    """(path, method, media type, name, value, schema pointer) of each request body (or answer) example."""
    for path, method, operation in _operations(spec):
        at = ("paths", path, method)
        if not responses:
            content = operation.get("requestBody", {}).get("content", {})
            for example in _media_examples(content, (*at, "requestBody", "content")):
                yield path, method, *example
            continue
        for status, answer in operation["responses"].items():
            for example in _media_examples(answer.get("content", {}), (*at, "responses", status, "content")):
                yield path, method, *example


SPEC = _served_document()
EXAMPLES = list(_examples(SPEC, responses=False))
ALL_EXAMPLES = EXAMPLES + list(_examples(SPEC, responses=True))


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []


def test_oauth_2_client_credentials_with_every_scope(spec: dict[str, Any]) -> None:
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://exchange.test/oauth/token"
    assert flow["scopes"] == SCOPES and set(SCOPES) == set().union(*KIND_SCOPES.values())
    assert all(description for description in flow["scopes"].values())
    oauth = {"/oauth/token", "/oauth/introspect", "/oauth/revoke", "/oauth/jwks"}
    assert oauth | {"/.well-known/oauth-authorization-server"} <= set(spec["paths"])


def test_every_operation_documents_its_security_and_its_errors(spec: dict[str, Any]) -> None:
    for path, method, operation in _operations(spec):
        label, responses = f"{method.upper()} {path}", operation["responses"]
        assert "security" in operation, label
        assert "429" in responses, label
        bearer = any("oauth2" in requirement for requirement in operation["security"])
        assert bearer == ({"401", "403"} <= set(responses)), label
        if "{" in path:
            assert "404" in responses, label
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), label
            if any(t.startswith("application/json") for t in operation["requestBody"]["content"]):
                assert "422" in responses, label
        for status, response in responses.items():
            if status.startswith(("4", "5")) and "$ref" not in response:
                assert set(response["content"]) == {"application/problem+json"}, (label, status)


def test_the_event_body_is_the_one_of_its_types(spec: dict[str, Any]) -> None:
    media = spec["paths"][EVENTS]["post"]["requestBody"]["content"]["application/json"]
    body = spec["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[1]]
    assert body["discriminator"]["propertyName"] == "type"
    assert list(body["discriminator"]["mapping"]) == list(EVENT_TYPES)
    assert [one["$ref"] for one in body["oneOf"]] == list(body["discriminator"]["mapping"].values())
    assert set(media["examples"]) == set(EVENT_TYPES)


def test_every_submission_media_type_has_an_example(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]
    assert set(content) == {
        "application/json",
        "application/json; profile=hmcts-fpl-ccd",
        "application/xml; profile=cin-census",
        "application/xml; profile=ssda903",
        "text/csv",
        "application/zip",
    }
    binary = {"application/zip"}
    assert all("example" in media or "examples" in media for t, media in content.items() if t not in binary)


@pytest.mark.parametrize(
    ("path", "method", "media_type", "name", "value", "schema"),
    ALL_EXAMPLES,
    ids=[f"{m.upper()} {p} {t} {n}" for p, m, t, n, _, _ in ALL_EXAMPLES],
)
def test_every_example_matches_its_schema(
    path: str, method: str, media_type: str, name: str, value: Any, schema: str
) -> None:
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, DRAFT202012))
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/{schema}"}, registry=registry)
    assert [e.message for e in validator.iter_errors(value)] == []


def _kind_for(security: list[dict[str, list[str]]]) -> str:
    """A kind of organisation whose scopes meet one of the operation's requirements."""
    return next(k for k in KINDS for r in security if set(r.get("oauth2", [])) <= KIND_SCOPES[k])


def _events_case(client: FlaskClient, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The submission example's case, stored and issued; the example placeholders -> its real ids."""
    content = SPEC["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]["application/json"]
    stored = client.post("/v1/submissions", json=content["examples"]["case"]["value"], headers=headers)
    case_id = stored.get_json()["stored_ids"][0]
    case = client.get(f"/v1/cases/{case_id}", headers=headers).get_json()
    ids = dict(zip(EXAMPLE_CHILD_IDS, [c["id"] for c in case["children"]], strict=True))
    ids.update(zip(EXAMPLE_HEARING_IDS, [h["id"] for h in case["hearings"]], strict=True))
    return case_id, ids


@pytest.mark.parametrize(
    ("path", "method", "media_type", "name", "value", "schema"),
    EXAMPLES,
    ids=[f"{m.upper()} {p} {t} {n}" for p, m, t, n, _, _ in EXAMPLES],
)
def test_every_example_is_accepted_by_its_endpoint(
    client: FlaskClient,
    make_partner: Callable[..., Any],
    token_for: Callable[..., str],
    path: str,
    method: str,
    media_type: str,
    name: str,
    value: Any,
    schema: str,
) -> None:
    operation = SPEC["paths"][path][method]
    partner = make_partner(_kind_for(operation["security"]))
    if path.startswith("/oauth/"):
        headers = basic_auth(partner.client_id, partner.secret or "")
    else:
        headers = {"Authorization": f"Bearer {token_for(partner)}"}
    if path == EVENTS:
        case_id, ids = _events_case(client, headers)
        path = path.format(case_id=case_id)
        value = json.loads(re.sub("|".join(ids), lambda m: ids[m.group(0)], json.dumps(value)))
        if value["type"] != "case.issued":
            issue = operation["requestBody"]["content"][media_type]["examples"]["case.issued"]["value"]
            assert client.post(path, json=issue, headers=headers).status_code == 200
    assert "{" not in path, f"{path}: no way to fill in its parameters"
    if media_type == "application/x-www-form-urlencoded":
        body: bytes = urlencode(value).encode()
    elif isinstance(value, str):
        body = value.encode()
    else:
        body = json.dumps(value).encode()
    answer = client.open(path, method=method, data=body, headers={**headers, "Content-Type": media_type})
    assert 200 <= answer.status_code < 300, answer.get_data(as_text=True)
    if path == "/v1/submissions":
        assert answer.get_json()["rejected"] == 0, answer.get_json()["report"]


def test_the_documented_security_is_what_is_enforced(
    client: FlaskClient, make_partner: Callable[..., Any], token_for: Callable[..., str], spec: dict[str, Any]
) -> None:
    # every scope the kind may hold (a local authority's advice:respond, for section 37 reports, too)
    tokens = {
        kind: token_for(make_partner(kind, scopes=" ".join(sorted(KIND_SCOPES[kind])))) for kind in KINDS
    }
    wrong = []
    for path, method, operation in _operations(spec):
        requirements = [r["oauth2"] for r in operation["security"] if "oauth2" in r]
        if not requirements:
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for kind in KINDS:
            allowed = any(set(scopes) <= KIND_SCOPES[kind] for scopes in requirements)
            headers = {"Authorization": f"Bearer {tokens[kind]}"}
            answer = client.open(url, method=method, json={} if method == "post" else None, headers=headers)
            if (answer.status_code == 403) == allowed or answer.status_code == 401:
                wrong.append(f"{method.upper()} {path} as {kind}: {answer.status_code}")
    assert wrong == []


def test_both_idempotent_writes_document_the_one_key_grammar(spec: dict[str, Any]) -> None:
    documented = {}
    for path, method, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "Idempotency-Key":
                documented[(path, method)] = parameter["schema"]
    assert set(documented) == {("/v1/submissions", "post"), ("/v1/advice-requests", "post")}
    for schema in documented.values():
        assert schema == {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": r"^[\x21-\x7e]{1,200}$",
        }


def test_the_collection_year_of_a_return_is_documented_where_it_is_given_and_answered(
    spec: dict[str, Any],
) -> None:
    submit = spec["paths"]["/v1/submissions"]["post"]
    parameters = {p["name"]: p for p in submit["parameters"]}
    assert {"Idempotency-Key", "atomic", "collection_year"} <= set(parameters)
    year = parameters["collection_year"]
    assert (year["in"], year["schema"]["type"]) == ("query", "integer")
    assert "unknown_collection_year" in year["description"]
    receipt = spec["components"]["schemas"]["Submission"]["properties"]
    assert {"collection_year", "previous_submissions"} <= set(receipt)
    assert "ssda903.previous_return_absent" in receipt["previous_submissions"]["description"]
