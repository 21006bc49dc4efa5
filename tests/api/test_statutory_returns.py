"""Statutory returns through `POST /v1/submissions` with real tokens (issue 4): hostile and broken XML and
CSV, every reference fixture of `reference/cin/samples/` and `reference/ssda903/samples/`, and a large CIN
census left to the worker.

Each answer is checked for its status (never a 500), its report (positions and codes) and what the return
tables hold before and after: a file refused as a whole leaves them exactly as they were. Every data set
is synthetic (``exchange.synthetic_cin``, or the source projects' fake fixtures).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from exchange import pipeline
from exchange.db import db
from exchange.metrics import publication
from exchange.models import (
    CinEpisode,
    LegalStatusEpisode,
    PreProceedings,
    ReturnChild,
    ReturnFinding,
    StagedRecord,
    Submission,
)
from exchange.synthetic_cin import census_chunks
from tests.api.conftest import REFERENCE
from tests.fixtures import SAMPLES

CIN = "application/xml; profile=cin-census"
SSDA903_CSV = "text/csv; profile=ssda903"
SSDA903_XML = "application/xml; profile=ssda903"
PROBLEM = "application/problem+json"
CIN_SAMPLES = REFERENCE / "cin" / "samples"
SSDA903_SAMPLES = REFERENCE / "ssda903" / "samples"
OWN_SSDA903 = SAMPLES / "ssda903"
TABLES = (ReturnChild, CinEpisode, PreProceedings, LegalStatusEpisode)
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
#: a request taking longer than this is a hang, reported as a failure instead of blocking the suite
HANG_SECONDS = 60


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def hung(*_: Any) -> None:
        raise TimeoutError(f"the request did not finish in {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def census(children: int = 3, *, year: int = 2026, seed: int = 0, la_code: str = "202") -> bytes:
    return b"".join(census_chunks(children, year, seed, la_code))


def stored() -> dict[str, int]:
    """Rows in each return table."""
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def report(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(xpath or row, column, code) of each fault of a receipt."""
    return [
        (f["position"].get("xpath", f["position"].get("row")), f["position"].get("column"), f["code"])
        for f in body["report"]
    ]


def refused(answer: Any, code: str) -> dict[str, Any]:
    """A file refused whole: 422 problem+json with one error of ``code`` (or of a code under a ``code``
    ending in a dot) and a rejected submission."""
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.mimetype == PROBLEM
    problem = answer.get_json()
    [error] = problem["errors"]
    assert error["code"] == code or (code.endswith(".") and error["code"].startswith(code)), error
    assert problem["submission"]["status"] == "rejected" and problem["submission"]["accepted"] == 0
    return problem


@pytest.fixture
def la(make_partner: Callable[..., Any]) -> Callable[[str], Any]:
    """A local authority partner of a DfE LA code."""
    return lambda code: make_partner("local_authority", org_id=f"la-{code}", options=("--la-code", code))


@pytest.fixture
def camden_with_a_census(camden: Any, submit: Callable[..., Any]) -> Any:
    """Camden (202) after storing a valid census of three children: the rows a refused file must not touch."""
    answer = submit(camden, census(3), CIN)
    assert answer.status_code == 201 and answer.get_json()["status"] == "accepted"
    assert stored()["return_children"] == 3
    return camden


# --- hostile or broken XML: refused before anything is stored ------------------------------------------

VALID = census(5)
HOSTILE_XML = {
    "xxe_file": (
        b'<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>',
        "xml.doctype",
    ),
    "xxe_network": (
        b'<!DOCTYPE Message [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><Message>&x;</Message>',
        "xml.doctype",
    ),
    "xxe_parameter_entity": (
        b'<!DOCTYPE Message [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><Message/>',
        "xml.doctype",
    ),
    "billion_laughs": (
        b'<!DOCTYPE Message [<!ENTITY a "lol">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([c]), b"&%s;" % bytes([c - 1]) * 10)
            for c in range(ord("b"), ord("k"))
        )
        + b"]><Message><Header>&j;</Header></Message>",
        "xml.doctype",
    ),
    "quadratic_blowup": (
        b'<!DOCTYPE Message [<!ENTITY a "'
        + b"x" * 50_000
        + b'">]><Message>'
        + b"&a;" * 20_000
        + b"</Message>",
        "xml.doctype",
    ),
    "external_dtd_network": (
        b'<!DOCTYPE Message SYSTEM "http://127.0.0.1:9/cin.dtd"><Message/>',
        "xml.doctype",
    ),
    "external_dtd_file": (b'<!DOCTYPE Message SYSTEM "file:///etc/passwd"><Message/>', "xml.doctype"),
    "doctype_in_a_valid_census": (
        VALID.replace(b"<Message>", b"<!DOCTYPE Message><Message>", 1),
        "xml.doctype",
    ),
    "processing_instruction_in_the_prolog": (
        VALID.replace(b"?>", b'?><?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?>', 1),
        "xml.processing_instruction",
    ),
    # after two valid children: what was read before the fault must not be stored
    "processing_instruction_in_the_third_child": (
        VALID.replace(b"<ChildCharacteristics>", b"<?php echo 1; ?><ChildCharacteristics>", 3).replace(
            b"<?php echo 1; ?>", b"", 2
        ),
        "xml.processing_instruction",
    ),
    # cut after three whole children, then inside a start tag (libxml2 then sees a malformed tag, not an end)
    "truncated_after_the_third_child": (
        VALID[: VALID.index(b"    <Child>", VALID.index(b"SYN000000003"))],
        "xml.truncated",
    ),
    "truncated_inside_a_tag": (
        VALID[: VALID.index(b"<ReferralSource>", VALID.index(b"SYN000000003")) + 9],
        "xml.malformed",
    ),
    # libxml2 stops on these without saying why: the adapter can only call them an XML fault
    "undeclared_entity": (VALID.replace(b"<LAchildID>", b"<LAchildID>&x;", 1), "xml."),
    "wrong_root": (VALID.replace(b"<Message>", b"<Return>").replace(b"</Message>", b"</Return>"), "cin.root"),
    "unknown_year_2016": (
        census(2, year=2017).replace(b"<Year>2017</Year>", b"<Year>2016</Year>"),
        "cin.unknown_year",
    ),
    "unknown_year_2031": (VALID.replace(b"<Year>2026</Year>", b"<Year>2031</Year>"), "cin.unknown_year"),
    "latin1_byte_in_the_third_child": (
        VALID.replace(b"<LAchildID>SYN000000002", b"<LAchildID>SYN\xe9000000002"),
        "xml.encoding",
    ),
    "declared_latin1": (VALID.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1), "xml.encoding"),
    "utf16": (
        VALID.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
        "xml.encoding",
    ),
    "empty": (b"", "xml.truncated"),
    "not_xml": (b"LAchildID,UPN\nSYN1,A202\n", "xml."),
}


@pytest.mark.parametrize("name", list(HOSTILE_XML))
def test_hostile_or_broken_cin_census_is_refused_and_stores_nothing(camden_with_a_census, submit, name):
    body, code = HOSTILE_XML[name]
    before = stored()
    problem = refused(submit(camden_with_a_census, body, CIN), code)
    assert stored() == before
    text = str(problem)
    # nothing resolved or echoed (an expanded entity repeats "lol"; a random id may hold it once by chance)
    assert "root:" not in text and "passwd" not in text and "lollol" not in text


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("xxe_file.xml", "xml.doctype"),
        ("xxe_network.xml", "xml.doctype"),
        ("billion_laughs.xml", "xml.doctype"),
        ("external_dtd.xml", "xml.doctype"),
        ("doctype.xml", "xml.doctype"),
        ("processing_instruction.xml", "xml.processing_instruction"),
        ("processing_instruction_inside.xml", "xml.processing_instruction"),
        ("wrong_root.xml", "xml.root"),
        ("truncated.xml", "xml.syntax"),
    ],
)
def test_hostile_or_broken_ssda903_xml_is_refused_and_stores_nothing(
    camden_with_a_census, submit, name, code
):
    before = stored()
    problem = refused(submit(camden_with_a_census, (OWN_SSDA903 / name).read_bytes(), SSDA903_XML), code)
    assert problem["errors"][0]["position"]["line"] >= 1
    assert stored() == before


def test_a_valid_census_is_stored_whole(camden, submit):
    answer = submit(camden, census(4, seed=7), CIN)
    body = answer.get_json()
    assert answer.status_code == 201
    # records counts the children, not the header; synthetic children break no rule
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == ("accepted", 4, 4, 0)
    assert body["findings"] == {"query": 1}  # 4 children use fewer than 8 disability codes (2887Q)
    children = db.session.scalars(select(ReturnChild).order_by(ReturnChild.la_child_id)).all()
    assert [c.la_child_id for c in children] == [f"SYN{n:09d}" for n in range(4)]
    assert {str(c.id) for c in children} <= set(body["stored_ids"])


# --- CSV ---------------------------------------------------------------------------------------------


def test_a_csv_with_a_missing_column_is_refused_whole(camden_with_a_census, submit):
    before = stored()
    body = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER\nSYN1,1,01/01/2015,WBRI,UN1,\n"  # MC_DOB missing
    problem = refused(submit(camden_with_a_census, body, SSDA903_CSV), "csv.columns")
    assert problem["errors"][0]["position"] == {"row": 1}
    assert stored() == before


def test_a_csv_with_an_extra_column_is_read_with_a_query_naming_it(camden, submit):
    body = f"\ufeff{HEADER.lower()},NOTES\nSYN1,1,01/01/2015,WBRI,UN1,,,free text\n".encode()
    answer = submit(camden, body, SSDA903_CSV)
    receipt = answer.get_json()
    assert answer.status_code == 201
    assert (receipt["records"], receipt["accepted"], receipt["findings"]["query"]) == (1, 1, 1)
    [finding] = [item for item in receipt["report"] if not item["code"].startswith("ssda903.")]
    assert (finding["code"], finding["severity"], finding["record"]) == ("csv.extra_columns", "query", None)
    assert "NOTES" in finding["message"] and "free text" not in finding["message"]
    assert db.session.scalars(select(ReturnChild.la_child_id)).all() == ["SYN1"]


def test_a_csv_that_is_not_utf8_is_refused_whole(camden_with_a_census, submit):
    before = stored()
    body = f"{HEADER}\nSYN1,1,01/01/2015,WBRI,UN1,,\n".encode() + "SYNé,1,01/01/2015,WBRI,UN1,,\n".encode(
        "cp1252"
    )
    problem = refused(submit(camden_with_a_census, body, SSDA903_CSV), "csv.encoding")
    assert problem["errors"][0]["position"] == {"table": "header", "row": 3}
    assert stored() == before


FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/x","open")', "+44 20 7946 0000", "-2+3", "@SUM(A1:A2)"]


def test_formula_like_fields_are_stored_as_data_and_never_start_a_formula_in_a_csv_we_write(
    app, client, camden, make_partner, submit, auth_headers
):
    rows = "".join(f'"{value.replace(chr(34), chr(34) * 2)}",1,01/01/2015,WBRI,UN1,,\n' for value in FORMULAS)
    answer = submit(camden, f"{HEADER}\n{rows}".encode(), SSDA903_CSV)
    assert answer.status_code == 201 and answer.get_json()["accepted"] == len(FORMULAS)
    kept = db.session.scalars(select(ReturnChild.la_child_id)).all()
    assert sorted(kept) == sorted(FORMULAS)  # exactly the text sent: data, not evaluated or altered

    # the CSV the exchange writes today: the metrics (aggregates only, so no submitted text reaches it)
    board = make_partner("fjb")
    publication.publish(db.session, app.config["EXCHANGE_SETTINGS"].reference)  # what the worker does
    query = {"from": "2025-01", "to": "2025-06", "period": "quarter"}
    written = client.get(
        "/v1/metrics", query_string=query, headers={**auth_headers(board), "Accept": "text/csv"}
    )
    assert written.status_code == 200 and written.mimetype == "text/csv"
    cells = [cell for row in csv.reader(io.StringIO(written.get_data(as_text=True))) for cell in row]
    assert len(cells) > 8
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert not [value for value in FORMULAS if any(value in cell for cell in cells)]


# --- every reference fixture, with its deliberate faults ---------------------------------------------

REFERENCE_DATE = ("/Message/Header/CollectionDetails/ReferenceDate", None, "cin.100")  # not 31 March of Year
CIN_FIXTURES = {
    # file: (children, codes the report holds); every fixture but d2i_fake_CIN_data is LEA 201. Each d2i
    # child breaks the XSD (stray text inside ChildIdentifiers; Sex in a 2023 census; factor RB) and is
    # rejected with all its faults; the header's ReferenceDate is not 31 March of its Year (finding 100).
    # liia_BAR's child is kept with its findings (its UPN names no LA: 1530)
    "d2i_CIN2rows.xml": (1, {"cin.100", "xsd.text"}),
    "d2i_CIN_Census_2021.xml": (1, {"xsd.text"}),
    "d2i_CIN_Census_2021_no_assessment_factors.xml": (1, {"cin.100", "xsd.text"}),
    "d2i_CIN_Census_2024.xml": (2, {"cin.100", "xsd.text", "xsd.structure"}),
    "d2i_CIN_Census_2026.xml": (2, {"cin.100", "xsd.text", "xsd.structure"}),
    "liia_BAR_cin_2022.xml": (1, {"cin.1530"}),
}


@pytest.mark.parametrize("name", list(CIN_FIXTURES))
def test_cin_reference_fixture_faults_are_reported_with_lines_and_nothing_invalid_is_stored(la, submit, name):
    children, first_codes = CIN_FIXTURES[name]
    answer = submit(la("201"), (CIN_SAMPLES / name).read_bytes(), CIN)
    kept = name.startswith("liia")
    body = answer.get_json() if kept else answer.get_json()["submission"]
    assert answer.status_code == (201 if kept else 422), body
    assert (body["records"], body["accepted"], body["rejected"]) == (children, int(kept), children - kept)
    assert first_codes <= {code for *_, code in report(body)}
    in_children = [
        f for f in body["report"] if f["position"].get("xpath", "").startswith("/Message/Children/")
    ]
    assert in_children and all(isinstance(f["position"]["line"], int) for f in in_children)
    assert stored()["return_children"] == int(kept)


def test_cin_fake_census_of_a_made_up_la_is_refused_whole(la, submit):
    # LEA 975 is no LA's code: whoever submits it, the return is not theirs
    body = (CIN_SAMPLES / "d2i_fake_CIN_data.xml").read_bytes()
    refused(submit(la("201"), body, CIN), "la_not_submitter")
    assert stored() == dict.fromkeys(stored(), 0)


def test_cin_fake_census_of_332_children_stores_every_child_with_its_findings(
    la, submit, client, auth_headers
):
    # the same children under LEA 202's header: the UPN rules check each UPN's own LA digits (findings now)
    data = (CIN_SAMPLES / "d2i_fake_CIN_data.xml").read_bytes().replace(b"<LEA>975</LEA>", b"<LEA>202</LEA>")
    lea = la("202")
    answer = submit(lea, data, CIN)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == ("accepted", 332, 332, 0)
    assert body["findings"]["error"] >= 271 + 320
    assert len(db.session.scalars(select(ReturnChild.la_child_id)).all()) == 332
    rows = list(csv.DictReader(io.StringIO(findings_csv(client, auth_headers(lea), body["id"]))))
    assert len(rows) == sum(body["findings"].values())
    by_code = Counter(row["code"] for row in rows)
    assert (by_code["cin.1530"], by_code["cin.1510"]) == (271, 320)
    assert {row["record"] for row in rows if row["code"] == "cin.1510"} <= set(
        db.session.scalars(select(ReturnChild.la_child_id)).all()
    )


def test_every_cin_reference_fixture_is_covered():
    assert {p.name for p in CIN_SAMPLES.glob("*.xml")} == {*CIN_FIXTURES, "d2i_fake_CIN_data.xml"}


SSDA903_FIXTURES = {
    # file: (rows kept in the return tables by table, findings on faulty cells as (row, column, code));
    # every row has a child id, so every row is stored
    "ad1.csv": ({}, []),
    "missing.csv": ({}, []),
    "uasc.csv": ({}, []),
    "oc3.csv": ({}, [(2, "ACCOM", "ssda903.133"), (47, "ACCOM", "ssda903.133")]),
    "placed_for_adoption.csv": ({}, [(row, "REASON_PLACED_CEASED", "ssda903.120") for row in range(2, 31)]),
    "placed_for_adoption_errors.csv": (
        {},
        [(row, "REASON_PLACED_CEASED", "ssda903.120") for row in range(2, 32)],
    ),
    "sw_episodes.csv": ({}, [(2, "SW_REASON", "ssda903.SW13STG1")]),
    "liia_SSDA903_2020_header.csv": (
        {"return_children": 5},
        [(2, "UPN", "ssda903.168"), (3, "UPN", "ssda903.168"), (4, "UPN", "ssda903.168")]
        + [(5, "UPN", "ssda903.168"), (6, "ETHNIC", "ssda903.103"), (6, "UPN", "ssda903.168")],
    ),
}


@pytest.mark.parametrize("name", list(SSDA903_FIXTURES))
def test_ssda903_reference_table_faulty_cells_are_findings_on_stored_rows(camden, submit, name):
    tables, faults = SSDA903_FIXTURES[name]
    answer = submit(camden, (SSDA903_SAMPLES / name).read_bytes(), SSDA903_CSV)
    body = answer.get_json()
    assert answer.status_code == 201 and rejections(body) == []
    assert body["accepted"] == body["records"] > 0 and body["rejected"] == 0
    cells = {code for _, _, code in faults}
    found = [(f["position"]["row"], f["position"]["column"], f["code"]) for f in body["report"]]
    assert [finding for finding in found if finding[2] in cells] == faults
    assert stored() == {**dict.fromkeys(stored(), 0), **tables}  # the other 903 tables are not copied


def test_ssda903_reference_table_of_no_known_shape_is_refused_whole(camden_with_a_census, submit):
    before = stored()
    body = (SSDA903_SAMPLES / "DoLo.csv").read_bytes()
    problem = refused(submit(camden_with_a_census, body, SSDA903_CSV), "csv.header")
    assert problem["errors"][0]["position"] == {"row": 1}
    assert stored() == before


@pytest.mark.parametrize(
    "name", ["liia_SSDA903_2020_episodes.csv", "liia_SSDA903_episodes_for_testing_fixes_INPUT.csv"]
)
def test_ssda903_reference_tables_with_extra_columns_are_read_with_a_query(camden, submit, name):
    answer = submit(camden, (SSDA903_SAMPLES / name).read_bytes(), SSDA903_CSV)
    body = answer.get_json() if answer.status_code == 201 else answer.get_json()["submission"]
    assert body["findings"]["query"] == 1 and body["report"][0]["code"] == "csv.extra_columns"
    assert body["accepted"] + body["rejected"] == body["records"] > 0


def rejections(receipt: dict) -> list[dict]:
    """The report's faults of rejected rows, without the findings (DfE rules broken by kept rows)."""
    return [item for item in receipt["report"] if "severity" not in item]


def distinct_episodes(path: Path) -> int:
    """Distinct (child, start) pairs of an episodes table, read with the csv module (not the adapter)."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        return len({(row["CHILD"], row["DECOM"]) for row in csv.DictReader(source)})


def cell_findings(codes: set[str]) -> list[tuple[str, str | None, str | None]]:
    """(code, record, column) of every stored finding with one of ``codes``."""
    rows = db.session.execute(
        select(ReturnFinding.code, ReturnFinding.record, ReturnFinding.position).where(
            ReturnFinding.code.in_(codes)
        )
    )
    return [(code, record, position.get("column")) for code, record, position in rows]


def test_ssda903_large_header_table_stores_every_child_with_its_faulty_cells_as_findings(camden, submit):
    answer = submit(camden, (SSDA903_SAMPLES / "d2i_fake_large" / "header.csv").read_bytes(), SSDA903_CSV)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == (
        "accepted",
        2675,
        2675,
        0,
    )
    found = cell_findings({"ssda903.168", "ssda903.165"})
    assert Counter(code for code, _, _ in found) == {"ssda903.168": 296, "ssda903.165": 1}
    assert {column for _, _, column in found} == {"UPN", "MOTHER"} and all(record for _, record, _ in found)
    assert stored()["return_children"] == 2675
    # the faulty cell is stored as missing
    bad = {record for code, record, _ in found if code == "ssda903.168"}
    documents = db.session.scalars(select(ReturnChild.document).where(ReturnChild.la_child_id.in_(bad)))
    assert {document["upn"] for document in documents} == {None}


def test_ssda903_rows_with_faulty_cells_are_stored_with_findings_and_rows_without_a_child_rejected(
    camden, submit
):
    episodes = (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "K1,31/02/2023,S,C2,N1,U1,PR1,,,,,,\n"  # no such date: a start date the store cannot key on
        "K2,01/05/2023,S,C2,Q9,U1,PR1,,,,,,\n"  # no such need code
        ",01/05/2023,S,C2,N1,U1,PR1,,,,,,\n"  # no child id: the row cannot be identified
        "K3,01/05/2023,S,C2,N1,U1,PR1,,,,,,\n"
    )
    answer = submit(camden, episodes.encode(), SSDA903_CSV)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["records"], body["accepted"], body["rejected"]) == (
        "partially_accepted",
        4,
        3,
        1,
    )
    assert [(f["position"]["row"], f["position"]["column"], f["code"]) for f in rejections(body)] == [
        (4, "CHILD", "ssda903.required")
    ]
    assert sorted(cell_findings({"ssda903.141", "ssda903.145"})) == [
        ("ssda903.141", "K1", "DECOM"),
        ("ssda903.145", "K2", "CIN"),
    ]
    # K2's episode is kept with its need missing; K1's, without a start date, stays in the submission only
    kept = db.session.execute(select(LegalStatusEpisode.la_child_id, LegalStatusEpisode.legal_status))
    assert sorted(kept) == [("K2", "C2"), ("K3", "C2")]


def test_ssda903_large_episodes_table_becomes_legal_status_history(camden, submit):
    path = SSDA903_SAMPLES / "d2i_fake_large" / "episodes.csv"
    answer = submit(camden, path.read_bytes(), SSDA903_CSV)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["accepted"], rejections(body)) == ("accepted", 5050, [])
    # the 2024-25 rules (the catalogue when no year is given) find the codes DfE retired for that year
    assert {f["code"] for f in body["report"] if f["position"]["column"] == "PLACE"} >= {"ssda903.146"}
    # a later episode of the same child and start date replaces the earlier one
    assert stored()["legal_status_episodes"] == distinct_episodes(path)


@pytest.mark.parametrize("name", ["oc2.csv", "previous_permanence.csv", "reviews.csv"])
def test_ssda903_large_other_tables_are_accepted_and_not_copied(camden, submit, name):
    rows = len((SSDA903_SAMPLES / "d2i_fake_large" / name).read_text(encoding="utf-8-sig").splitlines()) - 1
    answer = submit(camden, (SSDA903_SAMPLES / "d2i_fake_large" / name).read_bytes(), SSDA903_CSV)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["status"], body["accepted"]) == ("accepted", rows)
    assert stored() == dict.fromkeys(stored(), 0)


def test_ssda903_fake_xml_return_reports_its_faults_with_lines(camden, submit):
    answer = submit(camden, (SSDA903_SAMPLES / "d2i_fake_large" / "fake_903.xml").read_bytes(), SSDA903_XML)
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["records"], body["accepted"], body["rejected"]) == (2454, 2454, 0)
    found = cell_findings({"ssda903.168", "ssda903.120", "ssda903.133"})
    assert Counter(code for code, _, _ in found) == {"ssda903.168": 40, "ssda903.120": 3, "ssda903.133": 1}
    positions = db.session.scalars(select(ReturnFinding.position).where(ReturnFinding.code == "ssda903.168"))
    assert all(p["line"] >= 1 and p["xpath"].startswith("/EXPSSDA903/CHILD[") for p in positions)
    tree = etree.parse(str(SSDA903_SAMPLES / "d2i_fake_large" / "fake_903.xml"))
    assert stored()["return_children"] == len(tree.findall("CHILD")) == 253  # 40 with a missing UPN


def test_every_ssda903_reference_fixture_is_covered():
    large = {
        "header.csv",
        "episodes.csv",
        "oc2.csv",
        "previous_permanence.csv",
        "reviews.csv",
        "fake_903.xml",
    }
    extra_columns = {"liia_SSDA903_2020_episodes.csv", "liia_SSDA903_episodes_for_testing_fixes_INPUT.csv"}
    assert {p.name for p in SSDA903_SAMPLES.glob("*.csv")} == {*SSDA903_FIXTURES, *extra_columns, "DoLo.csv"}
    assert {p.name for p in (SSDA903_SAMPLES / "d2i_fake_large").iterdir()} == large


# --- a large census: 202, the worker, progress ---------------------------------------------------------


def pre_proceedings_in(body: bytes) -> set[tuple[str, str]]:
    """(LAchildID, PPStartDate) of every pre-proceedings block, read with plain lxml (not the adapter)."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    return {
        (child.findtext("ChildIdentifiers/LAchildID"), start.text)
        for child in root.iter("Child")
        for start in child.iterfind("CINdetails/PreProceedingsandFGDM/PPStartDate")
    }


def test_a_large_census_is_answered_202_and_processed_by_the_worker_with_visible_progress(
    app, client, camden, submit, auth_headers, monkeypatch
):
    body = census(60, seed=4)
    expected = pre_proceedings_in(body)
    assert expected  # the generator writes pre-proceedings into about 15% of 2026 episodes
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(settings, inline_submission_bytes=4096)
    monkeypatch.setattr(pipeline, "STAGE_BATCH", 20)
    headers = auth_headers(camden)

    answer = submit(camden, body, CIN)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    receipt = answer.get_json()
    location = answer.headers["Location"]
    assert location == f"/v1/submissions/{receipt['id']}" and receipt["status"] == "processing"
    assert stored() == dict.fromkeys(stored(), 0)

    seen: list[tuple[str, int]] = []
    stage = pipeline._stage

    def stage_then_look(*args: Any) -> None:
        stage(*args)
        # a GET from another thread (its own session and connection), as a client polling meanwhile would
        looked = threading.Thread(target=lambda: seen.append(_progress(client, location, headers)))
        looked.start()
        looked.join()

    monkeypatch.setattr(pipeline, "_stage", stage_then_look)
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is True
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is False
    # 20 staged at a time: the header (staged, not counted) and 19 children first
    assert seen[:3] == [("processing", 19), ("processing", 39), ("processing", 59)]
    assert seen[-1] == ("processing", 60)

    done = client.get(location, headers=headers).get_json()
    assert (done["status"], done["records"], done["accepted"], done["rejected"]) == ("accepted", 60, 60, 0)
    assert stored()["return_children"] == 60
    rows = db.session.execute(
        select(PreProceedings.la_code, PreProceedings.la_child_id, PreProceedings.start_date)
    )
    assert {(code, child, str(start)) for code, child, start in rows} == {("202", c, s) for c, s in expected}
    assert db.session.scalar(select(func.count()).select_from(StagedRecord)) == 0


def _progress(client: Any, location: str, headers: dict[str, str]) -> tuple[str, int]:
    shown = client.get(location, headers=headers)
    assert shown.status_code == 200
    return shown.get_json()["status"], shown.get_json()["records"]


def test_a_large_census_refused_late_by_the_worker_stores_nothing(app, camden_with_a_census, submit):
    body = census(60, seed=5)
    body = body[: body.index(b"SYN000000050")]  # truncated after 50 children
    before = stored()
    settings = app.config["EXCHANGE_SETTINGS"]
    app.config["EXCHANGE_SETTINGS"] = dataclasses.replace(settings, inline_submission_bytes=4096)
    answer = submit(camden_with_a_census, body, CIN)
    assert answer.status_code == 202
    assert pipeline.process_next_submission(db.session(), app.config["EXCHANGE_SETTINGS"]) is True
    row = db.session.get(Submission, uuid.UUID(answer.get_json()["id"]))
    db.session.refresh(row)
    assert (row.status, row.accepted, [f["code"] for f in row.report]) == ("rejected", 0, ["xml.truncated"])
    assert stored() == before
    assert db.session.scalar(select(func.count()).select_from(StagedRecord)) == 0


def findings_csv(client: Any, headers: dict[str, str], submission_id: str) -> str:
    answer = client.get(
        f"/v1/submissions/{submission_id}/findings", headers={**headers, "Accept": "text/csv"}
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return answer.get_data(as_text=True)
