"""Sign-in through a real OpenID provider (authorization code, PKCE, nonce), server-side sessions in a
``__Host-`` cookie, CSRF on every form, sign-out that ends the provider's session, every page audited."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from sqlalchemy import select

from exchange import clock
from exchange.db import db
from exchange.models import AuditEvent, PageSession, Person
from exchange.web.sessions import COOKIE
from exchange.worker import Worker
from tests.web.conftest import BASE, Browserless, sign_in


def _cookie(page: Browserless) -> str:
    return page.client.get_cookie(COOKIE, domain="exchange.test").value


def test_pages_need_sign_in_and_the_sign_in_page_names_the_development_provider(app: Flask, people) -> None:
    page = Browserless(app.test_client())
    home = page.get("/")
    assert home.status_code == 302 and home.location.endswith("/sign-in")
    choose = page.get("/sign-in")
    html = choose.get_data(as_text=True)
    assert "development OpenID provider" in html and "Test court-a" in html
    assert "nonce-" in choose.headers["Content-Security-Policy"]
    assert page.client.get_cookie(COOKIE, domain="exchange.test") is None  # nothing kept: no session yet


def test_the_authorization_request_uses_pkce_and_a_nonce(app: Flask, people) -> None:
    start = Browserless(app.test_client()).get("/sign-in/court-a")
    query = parse_qs(urlsplit(start.location).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"] and query["state"] and query["scope"] == ["openid email"]
    cookie = start.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_sign_in_gives_a_new_session_id_and_lands_on_the_organisations_pages(app: Flask, people) -> None:
    page = Browserless(app.test_client())
    page.get("/sign-in/court-a")
    before = _cookie(page)
    page = sign_in(page.client, "court-a", "adviser-a")
    after = _cookie(page)
    assert after != before
    landing = page.get("/", follow_redirects=True)
    assert landing.status_code == 200 and "Advice requests" in landing.get_data(as_text=True)
    stored = db.session.scalars(select(PageSession)).all()
    assert after not in {s.id_hash for s in stored} and len(stored) == 1
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.client_id == f"web:{people['court']}")
    ).all()
    assert {"page.sign_in", "page.view"} <= {e.action for e in events}
    assert {e.org_id for e in events} == {"court-a"}


def test_someone_the_operator_did_not_add_is_refused(app: Flask, people) -> None:
    page = sign_in(app.test_client(), "court-a", "stranger")
    assert page.get("/").status_code == 302
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "page.sign_in")).one()
    assert refused.outcome == "denied_403" and "stranger" not in str(refused.detail)


def test_a_tampered_callback_is_refused(app: Flask, people) -> None:
    page = Browserless(app.test_client())
    page.get("/sign-in/court-a")
    answer = page.get("/sign-in/callback?code=made-up&state=made-up")
    assert answer.status_code == 403 and "did not complete" in answer.get_data(as_text=True)


def test_sessions_end_when_idle_for_30_minutes(app: Flask, signed_in) -> None:
    page = signed_in("court")
    assert page.get("/advice-requests").status_code == 200
    row = db.session.scalars(select(PageSession)).one()
    row.last_seen_at = clock.now() - timedelta(minutes=31)
    db.session.commit()
    assert page.get("/advice-requests").status_code == 302
    assert db.session.scalars(select(PageSession)).all() == []


def test_sign_out_needs_the_csrf_token_and_ends_the_provider_session(app: Flask, signed_in) -> None:
    page = signed_in("court")
    assert page.post("/sign-out").status_code == 403
    html = page.get("/advice-requests").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    out = page.post("/sign-out", data={"csrf_token": token})
    assert out.status_code == 302 and "/oauth2/end_session" in out.location
    assert parse_qs(urlsplit(out.location).query)["post_logout_redirect_uri"] == [f"{BASE}/signed-out"]
    assert db.session.scalars(select(PageSession)).all() == []
    assert page.get("/advice-requests").status_code == 302


def test_a_page_for_another_kind_of_organisation_is_refused(app: Flask, signed_in) -> None:
    page = signed_in("la")
    refused = page.get("/advice-requests")
    assert refused.status_code == 403 and "not for your organisation" in refused.get_data(as_text=True)
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied_403")).all()
    assert any(e.detail.get("page") == "pages.advice_requests" for e in denied)


def test_the_worker_sweeps_sessions_that_have_ended_without_waiting_for_their_browser(
    app: Flask, signed_in
) -> None:
    pages = {name: signed_in(name) for name in ("court", "cafcass", "la")}
    rows = {row.person_id: row for row in db.session.scalars(select(PageSession))}
    assert len(rows) == 3
    now = clock.now()
    person = {p.org_id: p.id for p in db.session.scalars(select(Person)) if p.id in rows}
    idle, old, live = (rows[person[org_id]] for org_id in ("court-a", "cafcass-a", "la-a"))
    idle.last_seen_at = now - timedelta(minutes=31)
    old.created_at, old.last_seen_at = now - timedelta(hours=8, minutes=1), now - timedelta(minutes=1)
    live.created_at, live.last_seen_at = now - timedelta(hours=7), now - timedelta(minutes=29)
    live_id = live.id_hash
    db.session.commit()
    assert Worker().purge(now) == 2
    assert db.session.scalars(select(PageSession.id_hash)).all() == [live_id]
    assert pages["la"].get("/submissions").status_code == 200  # the live one is still signed in
    assert pages["court"].get("/advice-requests").status_code == 302
