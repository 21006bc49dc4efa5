"""`exchange import FILE --org ID`: a file through the pipeline, progress on stderr, the receipt on stdout."""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from exchange import clock, pipeline
from exchange.bodies import Body
from exchange.db import db
from exchange.models import Organisation, PreProceedings, ReturnChild
from exchange.store import submissions as store
from exchange.synthetic_cin import write_census
from tests.api.conftest import REFERENCE, care_case
from tests.fixtures import SAMPLES, zip_of

ROOT = Path(__file__).resolve().parents[2]


def test_import_of_a_case_file_prints_the_receipt(runner, camden, tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": [care_case(), care_case(reference="CAM-2", court="999")]}))
    result = runner.invoke(args=["import", str(path), "--org", "camden"])
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    assert (receipt["status"], receipt["accepted"], receipt["rejected"]) == ("partially_accepted", 1, 1)
    assert receipt["receipt"].count(".") == 2  # a compact JWS


def test_import_of_a_cin_census_stores_children_and_pre_proceedings(runner, make_partner):
    make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    path = SAMPLES / "cin-census" / "valid-census-2026-preproceedings.xml"
    result = runner.invoke(args=["import", str(path), "--org", "city", "--profile", "cin-census"])
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    # two children: the return's header is stored with them but is no data record (issue 16)
    assert (receipt["status"], receipt["records"], receipt["accepted"]) == ("accepted", 2, 2)
    assert db.session.scalar(select(func.count()).select_from(ReturnChild)) == 2
    (pre,) = db.session.scalars(select(PreProceedings)).all()
    assert (pre.la_code, pre.la_child_id, str(pre.start_date)) == ("201", "DfEX0000001", "2026-09-09")


def test_import_reports_the_faults_of_the_reference_fixture(runner, make_partner):
    make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    path = REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml"
    result = runner.invoke(args=["import", str(path), "--org", "city", "--profile", "cin-census"])
    receipt = json.loads(result.stdout)
    assert (receipt["records"], receipt["accepted"], receipt["rejected"]) == (2, 0, 2)
    # each rejected child with all its XSD faults, and the return-level rule findings beside them
    codes = [f["code"] for f in receipt["report"]]
    assert [c for c in codes if c.startswith("xsd.")][:2] == ["xsd.text", "xsd.structure"]
    assert all(c.startswith(("xsd.", "cin.")) for c in codes)
    assert db.session.scalar(select(func.count()).select_from(ReturnChild)) == 0


def test_import_of_another_las_return_exits_1(runner, camden):
    path = REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml"
    result = runner.invoke(args=["import", str(path), "--org", "camden", "--profile", "cin-census"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["report"][0]["code"] == "la_not_submitter"


def test_import_needs_a_known_local_authority(runner, tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("{}")
    assert runner.invoke(args=["import", str(path), "--org", "nobody"]).exit_code == 2


def test_import_of_xml_without_a_profile_names_the_profiles_in_one_line(runner, camden):
    path = REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml"
    result = runner.invoke(args=["import", str(path), "--org", "camden"])
    assert result.exit_code == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "needs a profile" in line and "cin-census or ssda903" in line


def test_import_with_a_collection_year_reads_the_organisations_return_of_the_year_before(
    runner, camden, greenwich, tmp_path
):
    header = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
    this_year, last_year = tmp_path / "header-2025.csv", tmp_path / "header-2024.csv"
    this_year.write_text(header + "SYN1,M,01/01/2015,WBRI,A000000000001,,\n")
    last_year.write_text(header + "SYN1,1,02/01/2015,WBRI,A000000000001,,\n")

    def imported(path: Path, org: str, year: str) -> Any:
        result = runner.invoke(args=["import", str(path), "--org", org, "--collection-year", year])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    theirs = imported(last_year, "greenwich", "2024")
    alone = imported(this_year, "camden", "2025")  # greenwich's return of 2023-24 is not camden's
    assert alone["previous_submissions"] == []
    assert [item["code"] for item in alone["report"]] == ["ssda903.previous_return_absent"]
    ours = imported(last_year, "camden", "2024")
    compared = imported(this_year, "camden", "2025")
    assert compared["collection_year"] == 2025 and theirs["id"] not in compared["previous_submissions"]
    assert compared["previous_submissions"] == [ours["id"]]
    assert [item["code"] for item in compared["report"]] == ["ssda903.203"]
    result = runner.invoke(args=["import", str(this_year), "--org", "camden", "--collection-year", "2017"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "2024, 2025" in result.stderr


def test_import_of_a_zipped_return_reads_its_tables_as_one_and_as_last_years_return(runner, camden, tmp_path):
    header = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nSYN1,1,02/01/2015,WBRI,A000000000001,,\n"
    episodes = (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    )
    last_year, this_year = tmp_path / "return-2024.zip", tmp_path / "header-2025.csv"
    last_year.write_bytes(zip_of({"header.csv": header.encode(), "episodes.csv": episodes.encode()}))
    this_year.write_text(header.replace(",1,02/01/2015", ",M,01/01/2015"))
    result = runner.invoke(args=["import", str(last_year), "--org", "camden", "--collection-year", "2024"])
    assert result.exit_code == 0, result.output
    zipped = json.loads(result.stdout)
    assert (zipped["status"], zipped["records"]) == ("accepted", 1)
    assert "ssda903.EPI" in {item["code"] for item in zipped["report"]}  # header and episodes read together
    result = runner.invoke(args=["import", str(this_year), "--org", "camden", "--collection-year", "2025"])
    compared = json.loads(result.stdout)
    assert compared["previous_submissions"] == [zipped["id"]]
    assert [item["code"] for item in compared["report"]] == ["ssda903.203"]


def test_import_memory_does_not_grow_with_the_file(runner, make_partner, tmp_path, monkeypatch):
    # the file is hashed, stored in chunks and parsed in place: never held whole (the adapters' own
    # native memory is tested in tests/adapters/test_cin_census.py)
    make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    monkeypatch.setattr(pipeline, "APPLY_BATCH", 100)  # both files span many batches

    def python_peak(children: int) -> tuple[int, int]:
        path = tmp_path / f"census-{children}.xml"
        write_census(path, children, la_code="201", seed=children)
        tracemalloc.start()
        try:
            result = runner.invoke(args=["import", str(path), "--org", "city", "--profile", "cin-census"])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert json.loads(result.stdout)["accepted"] == children, result.output  # children, not the header
        return path.stat().st_size, peak

    python_peak(50)  # schemas compiled, caches warm
    small_size, small_peak = python_peak(1_200)
    large_size, large_peak = python_peak(3_600)
    assert large_peak - small_peak < (large_size - small_size) / 4, (small_peak, large_peak, large_size)


def test_no_worker_takes_over_an_import_that_outlives_its_lease(app, make_partner, tmp_path):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: the import's open write transaction keeps every writer out")
    make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    path = tmp_path / "census.xml"
    write_census(path, 20, la_code="201")
    small = app.config["EXCHANGE_SETTINGS"].inline_submission_bytes
    claims = []

    def a_worker_a_day_later(records: int, _read: int) -> None:
        if records == 10:
            with db.transaction() as other:
                claims.append(store.claim_next(other, small, now=clock.now() + timedelta(days=1)))

    with Body.from_path(path) as body:
        submission = pipeline.submit(
            db.session.get(Organisation, "city"),
            "operator",
            body,
            "application/xml",
            "cin-census",
            session=db.session(),
            settings=app.config["EXCHANGE_SETTINGS"],
            inline=True,
            progress=a_worker_a_day_later,
        )
    assert claims == [None]
    # the 20 children: the header is stored with them but is no data record
    assert (submission.status, submission.accepted) == ("accepted", 20)
