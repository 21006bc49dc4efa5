"""Sign-in with the organisation's own OpenID provider: authorization code with PKCE (S256) and a nonce,
through Authlib's Flask client, the ID token verified against the provider's keys; sign-out ends the page
session and, where the provider publishes an ``end_session_endpoint``, the provider's session too.

Each organisation's provider is a client of its own, registered again whenever the operator changes it
(``exchange idp set``). A provider on this machine over plain HTTP is a development provider, and the
sign-in page says so.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, current_app, redirect, render_template, session, url_for
from sqlalchemy import select

from exchange import audit, people
from exchange.db import db
from exchange.errors import Forbidden
from exchange.models import IdentityProvider, Organisation
from exchange.web import ANYONE, PageForm, blueprint, page, person

bp = blueprint("signin")
_OAUTH = "exchange.web.oauth"
DEVELOPMENT = ("http://127.0.0.1", "http://localhost")


def development(provider: IdentityProvider) -> bool:
    return provider.issuer.startswith(DEVELOPMENT)


def client(provider: IdentityProvider) -> FlaskOAuth2App:
    """The Authlib client of ``provider`` (registered again once the operator changes the provider)."""
    oauth: OAuth = current_app.extensions[_OAUTH]
    name = f"{provider.org_id}.{provider.updated_at.timestamp():.6f}"
    found = oauth.create_client(name)
    if found is None:
        found = oauth.register(
            name,
            client_id=provider.client_id,
            client_secret=people.client_secret(provider),
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
        )
    return found


@bp.get("/sign-in")
@page(ANYONE)
def choose() -> Any:
    providers = db.session.execute(
        select(Organisation, IdentityProvider)
        .join(IdentityProvider, IdentityProvider.org_id == Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render_template(
        "sign_in.html",
        providers=providers,
        development=any(development(p) for _o, p in providers),
    )


@bp.get("/sign-in/<org_id>")
@page(ANYONE)
def start(org_id: str) -> Any:
    # an organisation id is letters, digits, - and _ (`exchange org add`): nothing else is looked up
    known = len(org_id) <= 64 and org_id.replace("-", "").replace("_", "").isalnum()
    provider = db.session.get(IdentityProvider, org_id) if known else None
    if provider is None:
        raise Forbidden("That organisation does not sign in here.")
    session["signing_in"] = org_id
    return client(provider).authorize_redirect(url_for("signin.callback", _external=True))


@bp.get("/sign-in/callback")
@page(ANYONE)
def callback() -> Any:
    org_id = session.pop("signing_in", None)
    provider = db.session.get(IdentityProvider, org_id) if org_id else None
    if provider is None:
        raise Forbidden("Start signing in from the sign-in page.")
    try:
        token = client(provider).authorize_access_token()
    except OAuthError:
        raise Forbidden("Your organisation's sign-in did not complete. Try again.") from None
    found = people.person_for(db.session(), provider, token["userinfo"])
    if found is None:
        raise Forbidden(
            "You are not set up to use this service. Ask your organisation's administrator.",
            audit_action="page.sign_in",
        )
    session["id_token"] = token.get("id_token")
    session.sign_in(found.id)  # type: ignore[attr-defined]
    audit.record("page.sign_in", "success", client_id=f"web:{found.id}", org_id=found.org_id)
    return redirect(url_for("pages.home"))


@bp.post("/sign-out")
@page(("local_authority", "court", "cafcass", "lfjb", "fjb"))
def sign_out() -> Any:
    if not PageForm().validate_on_submit():
        raise Forbidden("The form was out of date. Go back and try again.")
    provider = db.session.get(IdentityProvider, person().org_id)
    id_token = session.get("id_token")
    session.end()  # type: ignore[attr-defined]
    after = url_for("signin.signed_out", _external=True)
    oauth = client(provider) if provider is not None else None
    try:
        endpoint = oauth.load_server_metadata().get("end_session_endpoint") if oauth else None
    except (OSError, ValueError):
        endpoint = None
    if endpoint:
        return oauth.logout_redirect(post_logout_redirect_uri=after, id_token_hint=id_token)  # type: ignore[union-attr]
    return redirect(after)


@bp.get("/signed-out")
@page(ANYONE)
def signed_out() -> Any:
    return render_template("signed_out.html")


def init_app(app: Flask) -> None:
    app.extensions[_OAUTH] = OAuth(app)
