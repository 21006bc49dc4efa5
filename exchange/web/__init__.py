"""The pages: a GOV.UK-style web service for the partners' people, beside the API and on its services.

People sign in with their organisation's own OpenID provider (``exchange.web.signin``); a page session is
server-side (``exchange.web.sessions``). Every page is declared with ``@page(kinds, role)``: the kinds of
organisation it is for and, for an action, the role it needs; an undeclared page answers 403 whoever asks
(deny by default, as the API's scopes). Every page view and action is audited with the subject
``web:<person id>`` and the person's organisation, like an API call. Every form carries a CSRF token
(Flask-WTF); every page has a strict Content-Security-Policy whose one inline script carries a nonce.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from importlib.resources import files
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from exchange import audit
from exchange.api.access import audited_id
from exchange.api.protect import public
from exchange.db import db
from exchange.errors import Forbidden, Problem
from exchange.models import IdentityProvider, Organisation, Person
from exchange.web.sessions import PageSessions

F = TypeVar("F", bound=Callable[..., Any])
_RULE = "_exchange_page"
ANYONE = "anyone"
SERVICE_NAME = "Family Justice Exchange"
STATIC = files("exchange.web").joinpath("static")


class PageForm(FlaskForm):
    """Every page form: Flask-WTF's CSRF token, signed with a key kept in the (server-side) page session."""

    class Meta:
        @property
        def csrf_secret(self) -> bytes:
            return session.setdefault("csrf_key", secrets.token_hex(32)).encode()


def page(kinds: Iterable[str] | str = (), role: str | None = None) -> Callable[[F], F]:
    """Declare a page: for people of ``kinds`` of organisation (``ANYONE``: no sign-in), ``role`` to act."""

    def mark(view: F) -> F:
        setattr(view, _RULE, (kinds if kinds == ANYONE else frozenset(kinds), role))
        return public(view)  # no bearer token: the page guard below decides

    return mark


def person() -> Person:
    return g.person


def org() -> Organisation:
    return g.org


def _guard() -> Any:
    g.csp_nonce = secrets.token_urlsafe(18)
    view = current_app.view_functions.get(request.endpoint or "")
    rule = getattr(view, _RULE, None)
    if rule is None:
        raise Forbidden("This page declares who may see it nowhere, so nobody may.")
    kinds, role = rule
    person_id = session.person_id  # type: ignore[attr-defined]
    found = db.session.get(Person, person_id) if person_id else None
    if found is not None:
        g.person, g.org = found, db.session.get(Organisation, found.org_id)
        g.page_actor = (f"web:{found.id}", found.org_id)
    if kinds == ANYONE:
        return None
    if found is None:
        return redirect(url_for("signin.choose"))
    if g.org.kind not in kinds:
        raise Forbidden("This page is not for your organisation.")
    if role == "editor" and request.method == "POST" and found.role != "editor":
        raise Forbidden("Your role lets you read, not act.")
    return None


def _render_problem(error: Problem) -> Any:
    g.page_problem = error
    return render_template("error.html", error=error), error.status


def _render_http(error: HTTPException) -> Any:
    return render_template("error.html", error=error), error.code or 500


def _audit(response: Any) -> Any:
    """Every page view and action, like an API call: who, which page, what came of it."""
    problem: Problem | None = g.get("page_problem")
    status = response.status_code
    action = (problem.audit_action if problem is not None else None) or (
        "page.view" if request.method == "GET" else "page.action"
    )
    audit.record(
        action,
        "success" if status < 400 else f"denied_{status}" if status in (401, 403, 404) else "failure",
        resource_type=problem.resource_type if problem is not None else None,
        resource_ids=(problem.resource_ids if problem is not None else ())
        or [audited_id(v) for v in (request.view_args or {}).values()],
        detail={"page": request.endpoint, "method": request.method, "status": status},
    )
    db.session.commit()
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _policy(response: Any) -> Any:
    """Scripts only from here or with this answer's nonce; forms post here (and sign-out to the person's
    identity provider, to end its session too)."""
    if response.mimetype != "text/html":
        return response
    providers = ""
    if g.get("person") is not None and (idp := db.session.get(IdentityProvider, g.person.org_id)):
        providers = " " + _origin(idp.issuer)
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'{nonce}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'{providers}; base-uri 'none'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def blueprint(name: str) -> Blueprint:
    """A blueprint of pages: guarded, audited, with the pages' error pages and security headers."""
    bp = Blueprint(name, __name__)
    bp.before_request(_guard)
    bp.after_request(_audit)
    bp.after_request(_policy)
    bp.register_error_handler(Problem, _render_problem)
    bp.register_error_handler(HTTPException, _render_http)
    return bp


assets = Blueprint("assets", __name__)


@assets.get("/static/govuk/<any('govuk-frontend.min.css', 'govuk-frontend.min.js'):name>")
@public
def govuk(name: str) -> Any:
    return send_file(STATIC.joinpath("govuk", name), max_age=3600)  # type: ignore[arg-type]


def _template_globals() -> dict[str, Any]:
    return {
        "cspNonce": g.get("csp_nonce"),
        "serviceName": SERVICE_NAME,
        "current_person": g.get("person"),
        "current_org": g.get("org"),
    }


def init_app(app: Flask) -> None:
    from exchange.web import pages, signin

    app.session_interface = PageSessions()
    app.config.update(WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=True)
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("exchange.web", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    )
    app.jinja_env.globals["csrf_form"] = PageForm
    app.context_processor(_template_globals)
    signin.init_app(app)
    app.register_blueprint(assets)
    app.register_blueprint(signin.bp)
    app.register_blueprint(pages.bp)
