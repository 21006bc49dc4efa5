"""The authorisation matrix of the pages: every kind of organisation × every page × another organisation's
object. A page not for the organisation's kind answers 403; another court's advice request or case, another
LA's submission or another area's figures answer 404, exactly as one that does not exist (never 403), and
lists leave it out; every denial is audited with
the person's subject. The owner is the control, never refused. Pages without a page session send the
browser to sign in. (``tests/security/test_authorization_matrix.py`` classifies every endpoint with these.)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from exchange import advice as lifecycle
from exchange import clock
from exchange.db import db
from exchange.metrics import publication
from exchange.models import Advice, AdviceRequest, AuditEvent, Submission
from tests.delivery.helpers import case_data, save_case
from tests.metrics.conftest import REFERENCE, area_of
from tests.web.conftest import PEOPLE, Browserless
from tests.web.test_la_pages import upload

#: a person of each kind; the Cafcass one is of Cafcass Cymru, as the other court's request goes to Cafcass
KINDS = ("court", "la", "cafcass_cymru", "lfjb", "fjb")


@dataclass(frozen=True)
class PageProbe:
    method: str
    path: str  # {request} / {case}: the other court's objects
    kinds: frozenset[str]  # the kinds the page is for
    form: bool = False  # a POST with the CSRF token and the other court's case
    listed: bool = False  # a list, which must leave the other court's request out
    owner: str | None = None  # the person whose object it is: the control, never refused
    everywhere: frozenset[str] = frozenset()  # kinds that see every such object (the national board)


COURT = frozenset({"court"})
CAFCASS = frozenset({"cafcass"})
LA = frozenset({"local_authority"})
BOARDS = frozenset({"lfjb", "fjb"})
EVERYONE = frozenset({"local_authority", "court", "cafcass", "lfjb", "fjb"})
FJB = frozenset({"fjb"})
PDF = b"%PDF-1.4\n%%EOF\n"
#: every page by endpoint: probed for another organisation's object, or open to anyone
PAGE_PROBES = {
    "pages.home": PageProbe("GET", "/", EVERYONE),
    "pages.advice_requests": PageProbe("GET", "/advice-requests", COURT, listed=True),
    "pages.advice_request": PageProbe("GET", "/advice-requests/{request}", COURT, owner="court_b"),
    "pages.new_advice_request": PageProbe("POST", "/advice-requests/new", COURT, form=True),
    "pages.send_advice_request": PageProbe("POST", "/advice-requests/send", COURT, form=True),
    "pages.advice_pdf": PageProbe(
        "GET", "/advice-requests/{request}/advice.pdf", COURT | CAFCASS, owner="court_b"
    ),
    "pages.inbox": PageProbe("GET", "/inbox", CAFCASS, listed=True),
    "pages.inbox_request": PageProbe("GET", "/inbox/{request}", CAFCASS, owner="cafcass"),
    "pages.case": PageProbe("GET", "/cases/{case}", CAFCASS, owner="cafcass"),
    "pages.acknowledge": PageProbe("POST", "/inbox/{request}/acknowledge", CAFCASS, form=True),
    "pages.answer": PageProbe("POST", "/inbox/{request}/answer", CAFCASS, form=True),
    "pages.submissions": PageProbe("GET", "/submissions", LA, listed=True),
    "pages.upload": PageProbe("POST", "/submissions", LA, form=True),  # no file: refused, nothing stored
    "pages.submission": PageProbe("GET", "/submissions/{submission}", LA, owner="la_b"),
    "pages.findings_csv": PageProbe("GET", "/submissions/{submission}/findings.csv", LA, owner="la_b"),
    "pages.figures": PageProbe("GET", "/figures?area={area}", BOARDS, owner="fjb", everywhere=FJB),
    "pages.figures_csv": PageProbe("GET", "/figures.csv?area={area}", BOARDS, owner="fjb", everywhere=FJB),
    "pages.figures_pack": PageProbe(
        "GET", "/figures/pack?area={area}&quarter={quarter}", BOARDS, owner="fjb", everywhere=FJB
    ),
    "signin.sign_out": PageProbe("POST", "/sign-out", EVERYONE, form=True),
}
#: pages that need no sign-in (choosing the organisation, the provider's callback, the stylesheet and script)
OPEN_PAGES = {"signin.choose", "signin.start", "signin.callback", "signin.signed_out", "assets.govuk"}


@pytest.fixture
def other(app: Flask, signed_in) -> dict[str, str]:
    """Court B's case and advice request, made through its own pages; LA B's submission; the figures of
        West London, which is not the local board's area (the publication made). The request is answered, with
    a PDF."""
    case = str(save_case("la-a", case_data(court="117", reference="REF-B")).id)
    page = signed_in("court_b")
    csrf = _csrf(page)
    check = page.post(
        "/advice-requests/new", data={"csrf_token": csrf, "case_id": case, "type": "section_7_report"}
    )
    body = re.search(r'name="body" value="([^"]+)"', check.get_data(as_text=True))[1].replace("&#34;", '"')
    page.post("/advice-requests/send", data={"csrf_token": csrf, "body": body})
    made = db.session.scalars(select(AdviceRequest)).one()
    request_id = made.id
    advice = Advice(
        request_id=made.id,
        answered_by_org_id="cafcass-a",
        summary="Synthetic advice.",
        risk_identified=False,
        answered_at=clock.now(),
        attachment=PDF,
        attachment_size=len(PDF),
        attachment_sha256=hashlib.sha256(PDF).hexdigest(),
    )
    lifecycle.answer(db.session(), made, advice)  # with a PDF, which the court may download
    db.session.commit()
    # rejected (its applicant is LA A), so answered 422 on the upload page: it is LA B's all the same
    upload(signed_in("la_b"), "case_file", json.dumps({"cases": [case_data(reference="REF-LA-B")]}).encode())
    submission = str(db.session.scalars(select(Submission.id)).one())
    publication.publish(db.session, REFERENCE)
    return {
        "case": case,
        "request": str(request_id),
        "body": body,
        "submission": submission,
        "area": area_of("117"),
        "quarter": "2026Q2",
    }


def _csrf(page: Browserless) -> str:
    html = page.get("/advice-requests/new").get_data(as_text=True)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.get("/").get_data(as_text=True)
    )
    return found[1]


def _call(page: Browserless, probe: PageProbe, other: dict[str, str]) -> object:
    path = probe.path.format(**other)
    if probe.method == "GET":
        return page.get(path)
    form = {
        "csrf_token": _csrf(page),
        "case_id": other["case"],
        "type": "section_7_report",
        "body": other["body"],
    }
    return page.post(path, data=form)


def test_every_page_is_classified(app: Flask) -> None:
    pages = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.split(".")[0] in ("pages", "signin", "assets")
    }
    assert pages == set(PAGE_PROBES) | OPEN_PAGES


@pytest.mark.parametrize("endpoint", sorted(PAGE_PROBES))
def test_every_kind_against_another_organisations_object(
    app: Flask, signed_in, people, other, endpoint: str
) -> None:
    probe = PAGE_PROBES[endpoint]
    wrong = []
    for name in KINDS:
        page = signed_in(name)
        kind = PEOPLE[name][1]
        before = db.session.scalar(select(func.max(AuditEvent.seq)))
        answer = _call(page, probe, other)
        if kind not in probe.kinds:
            expected = 403
        elif kind in probe.everywhere:
            expected = 200
        elif endpoint == "signin.sign_out":
            expected = 302
        elif endpoint == "pages.upload":
            expected = 400
        elif probe.listed or endpoint == "pages.home":
            expected = 200 if probe.listed else 302
        else:
            expected = 404
        if answer.status_code != expected:
            wrong.append(f"{name}: {answer.status_code}, expected {expected}")
            continue
        if probe.listed and {other["request"], other["submission"]} & set(
            re.findall(r"[0-9a-f-]{36}", answer.get_data(as_text=True))
        ):
            wrong.append(f"{name}: the list shows the other court's request")
        if expected in (403, 404):
            assert answer.mimetype == "text/html"
            denied = db.session.scalars(
                select(AuditEvent).where(AuditEvent.seq > before, AuditEvent.outcome == f"denied_{expected}")
            ).all()
            if not denied or not all(e.client_id == f"web:{people[name]}" for e in denied):
                wrong.append(f"{name}: the {expected} was not audited with the person's subject")
            named = {other["case"], other["request"], other["submission"], other["area"]}
            if expected == 404 and not any(named & set(e.resource_ids) for e in denied):
                wrong.append(f"{name}: the audited 404 does not name the object")
    assert not wrong, wrong
    if probe.owner:
        assert _call(signed_in(probe.owner), probe, other).status_code == 200  # the owner: the control


@pytest.mark.parametrize("endpoint", sorted(PAGE_PROBES))
def test_without_a_page_session_every_page_sends_the_browser_to_sign_in(app: Flask, endpoint: str) -> None:
    probe = PAGE_PROBES[endpoint]
    page = Browserless(app.test_client())
    unknown = "00000000-0000-4000-8000-000000000000"
    path = probe.path.format(request=unknown, submission=unknown, case=unknown, area="x", quarter="x")
    answer = page.get(path) if probe.method == "GET" else page.post(path, data={})
    assert answer.status_code == 302 and answer.location.endswith("/sign-in")
