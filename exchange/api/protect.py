"""Resource protection: every request is authenticated unless its view is public, every view names its scope.

``init_app`` installs an app-wide ``before_request`` that denies by default, on every blueprint: a bearer
token must verify, and the view must have been declared with ``@requires("scope")`` (or ``@public``); a
view with neither answers 403 whatever the token holds, so a forgotten declaration fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request

from exchange.api.limiter import remember_verified
from exchange.auth import binding, dpop, failures, tokens
from exchange.db import db
from exchange.errors import BadRequest, Forbidden, Unauthorized
from exchange.models import Organisation

F = TypeVar("F", bound=Callable[..., Any])
_SCOPE_ATTR = "_exchange_scope"
#: what ``scope_of`` answers for a view declared ``@public``
PUBLIC = "public"
#: endpoints of extensions whose views cannot carry the mark (flask-smorest serves the spec from a method)
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the client, its organisation and the scopes its token carries."""

    client_id: str
    org: Organisation
    scopes: frozenset[str]
    token: tokens.AccessToken

    @property
    def org_id(self) -> str:
        return self.org.id

    @property
    def kind(self) -> str:
        return self.org.kind


def requires(scope: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        setattr(view, _SCOPE_ATTR, scope)
        return view

    return mark


def public(view: F) -> F:
    setattr(view, _SCOPE_ATTR, PUBLIC)
    return view


def scope_of(view: Callable[..., Any]) -> str | None:
    """The scope ``view`` was declared with, ``PUBLIC``, or None (undeclared: refused whatever the token)."""
    return getattr(view, _SCOPE_ATTR, None)


def current_principal() -> Principal:
    return g.principal


def request_actor(name: str) -> str | None:
    """Who acts in this request (``client_id``, ``org_id``, ``request_id`` or ``address``, the caller's
    address as ``ProxyFix`` gives it), for the audit trail (``audit.init_app(actor=…)``); None outside a
    request."""
    if not has_request_context():
        return None
    if name == "request_id":
        return getattr(g, "request_id", None)
    if name == "address":
        return (request.remote_addr or "")[:45] or None
    principal: Principal | None = getattr(g, "principal", None)
    #: someone signed in to the pages (``exchange.web``): ``(web:<person id>, organisation id)``
    acting: tuple[str, str] | None = getattr(g, "page_actor", None)
    if name == "client_id":
        if principal:
            return principal.client_id
        return acting[0] if acting else getattr(g, "oauth_client_id", None)
    return principal.org_id if principal else acting[1] if acting else None


def _declared_scope() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC  # routing will answer 404/405
    handler = view
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, request.method.lower(), None) or view
    return scope_of(handler)


def bearer_token() -> tuple[str, str]:
    """The access token and its scheme (``bearer`` or ``dpop``) from the Authorization header."""
    # a form body is only parsed when it is one: any other body is left unread for the view (and its limit)
    in_form = request.mimetype == "application/x-www-form-urlencoded" and "access_token" in request.form
    if "access_token" in request.args or in_form:
        raise BadRequest(
            "Send the access token in the Authorization header only.",
            headers={"WWW-Authenticate": 'Bearer realm="exchange", error="invalid_request"'},
            audit_action="auth.token_in_query",
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "dpop") or not token.strip():
        raise Unauthorized(
            "A bearer access token is required.", error="" if not header else "invalid_request"
        )
    return scheme.lower(), token.strip()


def authenticate() -> Principal:
    scheme, token = bearer_token()
    try:
        access = tokens.verify(current_app.config["EXCHANGE_SETTINGS"], token)
        client = binding.check(
            access,
            current_app.extensions[binding.EXTENSION].get(db.session(), access.client_id),
            scheme=scheme,
            token=token,
            proof=request.headers.get("DPoP"),
            method=request.method,
            url=request.base_url,
            session=db.session(),
        )
    except tokens.InvalidToken as error:
        g.oauth_client_id = error.client_id
        raise Unauthorized(f"The access token is not valid: {error.reason}.", scheme=scheme) from None
    except dpop.InvalidProof as error:
        g.oauth_client_id = access.client_id
        raise Unauthorized(f"{error.reason}.", error="invalid_dpop_proof", scheme="dpop") from None
    remember_verified(token, access.claims["exp"])
    org = db.session.get(Organisation, client.org_id)
    if org is None:
        raise Unauthorized("The access token is not valid: unknown organisation.")
    principal = Principal(access.client_id, org, access.scopes, access)
    g.principal = principal
    return principal


def _guard() -> None:
    scope = _declared_scope()
    if scope == PUBLIC or request.method == "OPTIONS":
        return
    principal = authenticate()
    if scope is None:
        raise Forbidden("This operation declares no scope, so no access token may call it.")
    if scope not in principal.scopes:
        raise Forbidden(
            f"This operation needs the scope {scope}, which the access token does not carry.", scope=scope
        )


_FAILURES = "exchange.auth.failures"


def failure_counter() -> failures.FailureCounter:
    """The app's count of failed authentication per address and minute (``exchange.auth.failures``)."""
    return current_app.extensions[_FAILURES]


def _write_failure_counts() -> None:
    """The counts of failed authentication of minutes now over, committed before the request's own work;
    nothing to do, and no database work, in almost every request."""
    if failure_counter().pending and failures.flush_due(db.session(), failure_counter()):
        db.session.commit()


def init_app(app: Flask) -> None:
    app.extensions[_FAILURES] = failures.FailureCounter()
    app.before_request(_write_failure_counts)
    app.before_request(_guard)
