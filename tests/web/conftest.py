"""The pages' fixtures: a real development OpenID provider (``oidc-provider-mock``) on a loopback port,
organisations that sign in with it, their people, and a browser-less sign-in through it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import cli

oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="the dev-idp extra is not installed")
BASE = "https://exchange.test"
#: the test people: name -> (organisation id, kind, its `org add` options or None when made above, subject,
#: e-mail, role)
PEOPLE: dict[str, tuple[str, str, tuple[str, ...] | None, str, str, str]] = {
    "court": ("court-a", "court", ("--court-code", "115"), "adviser-a", "adviser@court-a.example", "editor"),
    "court_b": (
        "court-b",
        "court",
        ("--court-code", "117"),
        "adviser-b",
        "adviser@court-b.example",
        "editor",
    ),
    "court_viewer": ("court-a", "court", None, "clerk-a", "clerk@court-a.example", "viewer"),
    "la": ("la-a", "local_authority", ("--la-code", "202"), "officer-a", "officer@la-a.example", "editor"),
    "la_b": ("la-b", "local_authority", ("--la-code", "201"), "officer-b", "officer@la-b.example", "editor"),
    "cafcass": (
        "cafcass-a",
        "cafcass",
        ("--service", "cafcass"),
        "manager-a",
        "manager@cafcass.example",
        "editor",
    ),
    "cafcass_cymru": (
        "cafcass-w",
        "cafcass",
        ("--service", "cafcass_cymru"),
        "manager-w",
        "manager@cymru.example",
        "editor",
    ),
    "lfjb": ("lfjb-a", "lfjb", ("--dfj-area", "CENTRAL_LONDON"), "lead-a", "lead@lfjb-a.example", "viewer"),
    "fjb": ("fjb-a", "fjb", (), "lead-n", "lead@fjb.example", "viewer"),
}


@pytest.fixture(scope="session")
def provider() -> Iterator[str]:
    """The development provider's issuer, with every test person known to it."""
    users = [oidc_provider_mock.User(sub=p[3], claims={"email": p[4]}) for p in PEOPLE.values()]
    users.append(oidc_provider_mock.User(sub="stranger", claims={"email": "stranger@elsewhere.example"}))
    with oidc_provider_mock.run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@dataclass
class Browserless:
    """A test client that speaks to the exchange over HTTPS (its cookie is ``Secure``), each request in an
    app context of its own as in a server (the test's own context would otherwise share ``g``)."""

    client: FlaskClient

    def open(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.client.application.app_context():
            return self.client.open(path, method=method, base_url=BASE, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.open("POST", path, **kwargs)


@pytest.fixture
def people(runner: FlaskCliRunner, provider: str) -> dict[str, str]:
    """The organisations (each signing in with the development provider) and their people: name -> id."""
    made: dict[str, str] = {}
    for name, (org_id, kind, options, subject, _email, role) in PEOPLE.items():
        if options is not None:
            cli(runner, "org", "add", "--id", org_id, "--kind", kind, "--name", f"Test {org_id}", *options)
            cli(
                runner,
                "idp",
                "set",
                "--org",
                org_id,
                "--issuer",
                provider,
                "--client-id",
                f"exchange-{org_id}",
                "--client-secret",
                "development",
            )
        made[name] = cli(
            runner, "user", "add", "--org", org_id, "--subject", subject, "--role", role, "--json"
        )["id"]
    return made


def sign_in(client: FlaskClient, org_id: str, subject: str) -> Browserless:
    """Sign ``subject`` in to ``org_id`` through the provider, as a browser would follow the redirects."""
    page = Browserless(client)
    start = page.get(f"/sign-in/{org_id}")
    assert start.status_code == 302, start.get_data(as_text=True)
    chosen = requests.post(start.location, data={"sub": subject}, allow_redirects=False, timeout=10)
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["Location"])
    assert f"{back.scheme}://{back.netloc}" == BASE
    done = page.get(f"{back.path}?{back.query}")
    assert done.status_code in (302, 403), done.get_data(as_text=True)
    return page


@pytest.fixture
def signed_in(app: Flask, people: dict[str, str]) -> Callable[[str], Browserless]:
    def make(name: str) -> Browserless:
        org_id, _kind, _options, subject, *_ = PEOPLE[name]
        return sign_in(app.test_client(), org_id, subject)

    return make


def csrf(page: Browserless, path: str = "/") -> str:
    """The CSRF token of ``page``'s session, from a page's sign-out form."""
    html = page.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)[1]


def ask(page: Browserless, case_id: str, advice_type: str = "section_7_report") -> str:
    """A court's request for advice through its pages (the form, the check page, send): the request's id."""
    token = csrf(page)
    check = page.post(
        "/advice-requests/new", data={"csrf_token": token, "case_id": case_id, "type": advice_type}
    )
    body = re.search(r'name="body" value="([^"]+)"', check.get_data(as_text=True))[1].replace("&#34;", '"')
    sent = page.post("/advice-requests/send", data={"csrf_token": token, "body": body})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    return sent.location.split("/advice-requests/")[1].split("?")[0]
