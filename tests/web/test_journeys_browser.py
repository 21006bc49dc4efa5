"""Each role's journey in Debian's Chromium, with JavaScript on and off: sign in through the development
OpenID provider, do the task, see the result. axe-core runs on every page (no serious or critical WCAG 2.2 AA
violation), the pages' Content-Security-Policy holds (no console error), and every page is kept as a
screenshot in ``test-artifacts/`` (not committed)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from exchange import reference
from exchange.db import db
from exchange.metrics import publication
from exchange.models import AdviceRequest, Submission
from exchange.synthetic_cin import census_chunks
from tests.api.test_ssda903_findings import header_table
from tests.browser import BROWSER, CHROMIUM, LAUNCH_ARGS, Seen, playwright, screenshot
from tests.delivery.helpers import case_data, save_case
from tests.fixtures import zip_of
from tests.web.conftest import ask
from tests.web.test_la_pages import zipped_return

pytestmark = BROWSER
AXE = (Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js").read_text(encoding="utf-8")
REPORT = b"%PDF-1.4\n% a synthetic report\n%%EOF\n"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def whole_answers(app: Flask) -> Any:
    """``app`` answering each request whole, its answer closed before the server writes it: werkzeug's
    development server skips ``close()`` when the browser drops a connection it is still reading (a page
    left before its script arrived), which leaves a static file open for the garbage collector to find."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            getattr(answer, "close", lambda: None)()

    return wsgi


@contextmanager
def browse(app: Flask, provider: str, javascript: bool) -> Iterator[tuple[Any, str, Seen]]:
    """A page, and the address of ``app`` served on a loopback port (a secure context to the browser, so
    its ``__Host-`` cookie is kept); requests anywhere but the exchange and the provider are refused."""
    seen = Seen()
    server = make_server("localhost", 0, whole_answers(app), threaded=False)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base = f"http://localhost:{server.server_port}"

    def answer(route: Any) -> None:
        url = urlsplit(route.request.url)
        if f"{url.scheme}://{url.netloc}" in (base, provider):
            route.continue_()
            return
        if route.request.frame.url.startswith(base):  # (the provider's own pages fetch a stylesheet)
            seen.refused.append(route.request.url)
        route.abort()

    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=list(LAUNCH_ARGS))
            try:
                context = browser.new_context(
                    java_script_enabled=javascript, viewport={"width": 1100, "height": 900}
                )
                page = context.new_page()
                page.on(
                    "console",
                    lambda m: (
                        seen.errors.append(m.text)
                        if m.type == "error" and page.url.startswith(base)
                        else None
                    ),
                )
                page.on("pageerror", lambda e: seen.errors.append(str(e)))
                page.route("**/*", answer)
                yield page, base, seen
            finally:
                browser.close()
    finally:
        server.shutdown()
        serving.join()


def check(page: Any, name: str, javascript: bool) -> None:
    """axe-core finds no serious or critical violation; the page is kept as a screenshot."""
    screenshot(page, f"pages-{name}-{'js' if javascript else 'nojs'}.png")
    if not javascript:
        return  # axe-core is JavaScript: it runs on the same pages with JavaScript on
    page.evaluate(AXE)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG_22_AA,
    )
    serious = [
        (v["id"], v["impact"], len(v["nodes"])) for v in result if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {json.dumps(serious)}"


def sign_in(page: Any, base: str, organisation: str, subject: str, javascript: bool) -> None:
    page.goto(f"{base}/")
    assert page.url == f"{base}/sign-in"
    assert "development OpenID provider" in page.content()
    check(page, "sign-in", javascript)
    page.get_by_role("link", name=organisation).click()
    page.locator(f'button[name="sub"][value="{subject}"]').click()
    page.wait_for_url(f"{base}/**")


def sent_for_receipt(page: Any, base: str, path: Path) -> None:
    """``path`` chosen in the LA's upload form and sent; back when its receipt is shown."""
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base}/submissions/*")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_court_requests_advice_and_sees_it_listed(
    app: Flask, provider: str, people, javascript: bool
) -> None:
    case = save_case("la-a", case_data(court="115", reference="REF-JOURNEY"))
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test court-a", "adviser-a", javascript)
        assert page.url == f"{base}/advice-requests"
        check(page, "court-requests-empty", javascript)
        page.get_by_role("button", name="Request advice").click()
        page.get_by_role("button", name="Continue").click()
        summary = page.locator(".govuk-error-summary")
        assert (
            "Select the case" in summary.inner_text()
            and "Select what you are asking for" in summary.inner_text()
        )
        if javascript:  # GOV.UK Frontend moves focus to the summary
            playwright.expect(summary).to_be_focused()
        check(page, "court-new-errors", javascript)
        page.get_by_label("Case", exact=True).select_option(label="REF-JOURNEY")
        page.get_by_label("Section 7 welfare report").check()
        page.get_by_label("Your question (optional)").fill("Is contact with the father safe?")
        page.get_by_role("button", name="Continue").click()
        due = page.locator("#due-date").inner_text()
        check(page, "court-check", javascript)
        page.get_by_role("button", name="Send request").click()
        panel = page.locator(".govuk-panel").inner_text()
        assert "Request sent" in panel and due in panel, panel
        check(page, "court-request", javascript)
        page.get_by_role("link", name="Advice requests").first.click()
        page.wait_for_url(f"{base}/advice-requests")
        table = page.locator("table").inner_text()
        assert "Section 7 welfare report" in table and due in table, table
        check(page, "court-requests", javascript)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{provider}/**")
        # the form with errors answers 400, which Chromium reports; nothing else may go wrong
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == [] and len(seen.errors) == 1
    made = db.session.scalars(select(AdviceRequest)).one()
    assert (made.case_id, made.type, made.due_date.strftime("%-d %B %Y")) == (
        case.id,
        "section_7_report",
        due,
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_court_requests_advice_on_a_case_not_in_the_exchange(
    app: Flask, provider: str, people, javascript: bool
) -> None:
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test court-a", "adviser-a", javascript)
        page.get_by_role("button", name="Request advice").click()
        page.get_by_label("A private-law case not in the exchange").check()
        page.get_by_label("Section 7 welfare report").check()
        page.get_by_role("button", name="Continue").click()
        summary = page.locator(".govuk-error-summary")
        playwright.expect(summary).to_contain_text("Select the court")
        playwright.expect(summary).to_contain_text("at least one child")
        check(page, "court-new-details-errors", javascript)
        page.get_by_label("Court", exact=True).select_option("115")
        page.get_by_label("Application for a child arrangements").check()
        page.get_by_role("button", name="Add another child").click()
        for i, (day, month, year, sex) in enumerate(
            [("2", "2", "2020", "Female"), ("9", "10", "2021", "Male")]
        ):
            child = page.get_by_role("group", name=f"Child {i + 1}")
            child.get_by_label("Day").fill(day)
            child.get_by_label("Month").fill(month)
            child.get_by_label("Year").fill(year)
            child.get_by_label(sex, exact=True).check()
        check(page, "court-new-details", javascript)
        page.get_by_role("button", name="Continue").click()
        playwright.expect(page.locator("main")).to_contain_text("Born 9 October 2021, male")
        check(page, "court-check-details", javascript)
        page.get_by_role("button", name="Send request").click()
        playwright.expect(page.locator(".govuk-panel")).to_contain_text("Request sent")
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == []
    made = db.session.scalars(select(AdviceRequest)).one()
    assert made.case_id is None and [c["sex"] for c in made.case_details["children"]] == ["F", "M"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_cafcass_acknowledges_and_answers_from_its_inbox(
    app: Flask, provider: str, signed_in, javascript: bool
) -> None:
    case_id = str(save_case("la-a", case_data(court="115", reference="REF-INBOX")).id)
    request_id = ask(signed_in("court"), case_id, "case_management_advice")
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test cafcass-a", "manager-a", javascript)
        assert page.url == f"{base}/inbox"
        check(page, "cafcass-inbox", javascript)
        page.get_by_role("link", name="Case management advice").click()
        page.wait_for_url(f"{base}/inbox/{request_id}")
        check(page, "cafcass-request", javascript)
        page.get_by_role("link", name="View the case").click()
        page.wait_for_url(f"{base}/cases/*")
        playwright.expect(page.locator("#case-fields")).to_contain_text("Court")
        playwright.expect(page.locator("main")).to_contain_text("1 Synthetic Street")
        playwright.expect(page.locator("main")).not_to_contain_text("REF-INBOX")  # the LA's own reference
        check(page, "cafcass-case", javascript)
        page.goto(f"{base}/inbox/{request_id}")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"{base}/inbox/{request_id}")
        assert page.get_by_role("button", name="Acknowledge").count() == 0
        page.get_by_role("button", name="Send advice").click()
        summary = page.locator(".govuk-error-summary").inner_text()
        assert "Enter the advice" in summary and "Say whether a risk was identified" in summary
        check(page, "cafcass-answer-errors", javascript)
        page.get_by_label("Advice", exact=True).fill("Contact can go ahead with a supported handover.")
        page.get_by_label("No").check()
        page.get_by_label("Attach a PDF (optional)").set_input_files(
            files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": REPORT}]
        )
        page.get_by_role("button", name="Send advice").click()
        page.wait_for_url(f"{base}/inbox/{request_id}")
        assert "Contact can go ahead with a supported handover." in page.locator("main").inner_text()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the advice's PDF").click()
        assert Path(download.value.path()).read_bytes() == REPORT
        check(page, "cafcass-answered", javascript)
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == []
    made = db.session.get(AdviceRequest, uuid.UUID(request_id))
    assert made.status == "answered" and made.acknowledged_at is not None and made.advice.attachment == REPORT


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_local_authority_uploads_a_case_file_and_reads_its_receipt(
    app: Flask, provider: str, people, tmp_path: Path, javascript: bool
) -> None:
    upload = tmp_path / "cases.json"
    upload.write_text(json.dumps({"cases": [case_data(reference="REF-UPLOAD")]}))
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test la-a", "officer-a", javascript)
        assert page.url == f"{base}/submissions"
        check(page, "la-submissions-empty", javascript)
        page.get_by_role("button", name="Upload").click()
        assert "Select what the file is" in page.locator(".govuk-error-summary").inner_text()
        page.get_by_label("A case file (JSON, the exchange's canonical cases)").check()
        sent_for_receipt(page, base, upload)
        receipt = page.locator("main").inner_text()
        assert "Submission receipt" in receipt and "Accepted\n1" in receipt.replace("\t", "\n")
        check(page, "la-receipt", javascript)
        page.get_by_role("link", name="Submissions").first.click()
        page.wait_for_url(f"{base}/submissions")
        assert page.locator("table tbody tr").count() == 1
        check(page, "la-submissions", javascript)
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == []
    assert db.session.scalars(select(Submission.accepted)).all() == [1]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_local_authority_uploads_a_cin_return_and_filters_its_findings(
    app: Flask, provider: str, people, tmp_path: Path, javascript: bool
) -> None:
    # the LA's own synthetic census: child 1's id given to child 3 (cin.8510 on both), child 4's referral
    # after the census year (cin.8600); every child is kept
    data = b"".join(census_chunks(5, 2026, 0, "202")).replace(
        b"<LAchildID>SYN000000003", b"<LAchildID>SYN000000001"
    )
    referral = data.index(b"<CINreferralDate>", data.index(b"<LAchildID>SYN000000004"))
    data = (
        data[:referral]
        + b"<CINreferralDate>2026-04-02"
        + data[referral + len(b"<CINreferralDate>2026-01-01") :]
    )
    upload = tmp_path / "cin.xml"
    upload.write_bytes(data)
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test la-a", "officer-a", javascript)
        page.get_by_label("A CIN census return (XML)").check()
        sent_for_receipt(page, base, upload)
        findings = page.get_by_role("table", name="Findings")
        playwright.expect(findings).to_contain_text("cin.8600")
        playwright.expect(findings).to_contain_text("cin.8510")
        check(page, "la-findings", javascript)
        page.get_by_label("Rule").select_option("cin.8600")
        page.get_by_role("button", name="Show findings").click()
        filtered = page.get_by_role("table", name="Findings of rule cin.8600")
        playwright.expect(filtered).to_contain_text("SYN000000004")
        playwright.expect(filtered).not_to_contain_text("cin.8510")
        check(page, "la-findings-filtered", javascript)
        page.goto(page.url.split("?")[0] + "?severity=fatal")
        playwright.expect(page.locator(".govuk-error-summary")).to_contain_text("Select errors, queries")
        check(page, "la-findings-bad-filter", javascript)
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == []
    assert db.session.scalars(select(Submission.status)).all() == ["accepted"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_local_authority_uploads_a_zipped_ssda903_return_and_reads_its_findings_by_table(
    app: Flask, provider: str, people, tmp_path: Path, javascript: bool
) -> None:
    # three children in the header table, episodes for two: rule EPI, across both tables, on the third
    good, bad = tmp_path / "return.zip", tmp_path / "twice.zip"
    good.write_bytes(zipped_return())
    bad.write_bytes(zip_of({"header.csv": header_table(2), "again.csv": header_table(2)}))
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test la-a", "officer-a", javascript)
        playwright.expect(page.locator("#file-hint")).to_contain_text("a .zip of its CSV tables")
        page.get_by_role("radio", name="An SSDA903 return").check()
        page.get_by_label("Collection year of an SSDA903 return").select_option(label="2023 to 2024")
        page.get_by_label("File", exact=True).set_input_files(str(bad))
        page.get_by_role("button", name="Upload").click()
        summary = page.locator(".govuk-error-summary")
        playwright.expect(summary).to_contain_text("The file was rejected: no record was stored")
        playwright.expect(summary).to_contain_text("File 2 of the zip: it gives the header table")
        if javascript:  # GOV.UK Frontend moves focus to the summary
            playwright.expect(summary).to_be_focused()
        playwright.expect(page.get_by_role("radio", name="An SSDA903 return")).to_be_checked()
        playwright.expect(page.get_by_label("Collection year of an SSDA903 return")).to_have_value("2024")
        check(page, "la-ssda903-rejected", javascript)
        sent_for_receipt(page, base, good)
        findings = page.get_by_role("table", name="Findings")
        playwright.expect(findings).to_contain_text("ssda903.EPI")
        playwright.expect(findings).to_contain_text("header row 4, column CHILD")
        check(page, "la-ssda903-receipt", javascript)
        # the rejected file answers 422, which Chromium reports; nothing else may go wrong
        errors = [e for e in seen.errors if "status of 422" not in e]
        assert errors == [] and seen.refused == [] and len(seen.errors) == 1
    made = db.session.scalars(select(Submission).order_by(Submission.received_at)).all()
    assert [(s.media_type, s.status, s.collection_year) for s in made] == [
        ("application/zip", "rejected", 2024),
        ("application/zip", "accepted", 2024),
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_board_reads_its_figures_changes_the_period_and_downloads_them(
    app: Flask, provider: str, people, tmp_path: Path, javascript: bool
) -> None:
    save_case("la-a", case_data(reference="REF-FIGURES", date_issued="2026-02-02"))
    publication.publish(db.session, reference.load())
    with browse(app, provider, javascript) as (page, base, seen):
        sign_in(page, base, "Test lfjb-a", "lead-a", javascript)
        assert page.url == f"{base}/figures"
        assert "Published" in page.locator("#published-at").inner_text()
        assert page.locator("svg[data-chart]").count() == 4
        check(page, "board-figures", javascript)
        page.get_by_label("First month").fill("2026-13")
        page.get_by_role("button", name="Show figures").click()
        summary = page.locator(".govuk-error-summary").inner_text()
        assert "Enter the first month as a year and month" in summary
        check(page, "board-figures-errors", javascript)
        page.get_by_label("Months").check()
        page.get_by_label("First month").fill("2026-01")
        page.get_by_label("Last month").fill("2026-06")
        page.get_by_role("button", name="Show figures").click()
        page.wait_for_url(f"{base}/figures?*period=month*")
        headers = page.locator("#figures thead th").all_inner_texts()
        assert headers[2:] == [f"2026-0{m}" for m in range(1, 7)], headers
        check(page, "board-figures-months", javascript)
        with page.expect_download() as download:
            page.get_by_role("link", name="These figures (CSV, the API's columns)").click()
        saved = tmp_path / "figures.csv"
        download.value.save_as(saved)
        lines = saved.read_text().splitlines()
        assert lines[0] == "measure,category,area,period,value,numerator,denominator,status"
        assert {line.split(",")[3] for line in lines[1:]} == {f"2026-0{m}" for m in range(1, 7)}
        errors = [e for e in seen.errors if "status of 400" not in e]
        assert errors == [] and seen.refused == []
