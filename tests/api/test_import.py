"""`exchange import FILE --org ID`: a file through the pipeline, progress on stderr, the receipt on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from exchange.db import db
from exchange.models import PreProceedings, ReturnChild
from tests.api.conftest import REFERENCE, care_case

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
    path = ROOT / "tests" / "adapters" / "samples" / "cin-census" / "valid-census-2026-preproceedings.xml"
    result = runner.invoke(args=["import", str(path), "--org", "city", "--profile", "cin-census"])
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    assert (receipt["status"], receipt["records"], receipt["accepted"]) == ("accepted", 3, 3)
    assert db.session.scalar(select(func.count()).select_from(ReturnChild)) == 2
    (pre,) = db.session.scalars(select(PreProceedings)).all()
    assert (pre.la_code, pre.la_child_id, str(pre.start_date)) == ("201", "DfEX0000001", "2026-09-09")


def test_import_reports_the_faults_of_the_reference_fixture(runner, make_partner):
    make_partner("local_authority", org_id="city", options=("--la-code", "201"))
    path = REFERENCE / "cin" / "samples" / "d2i_CIN_Census_2026.xml"
    result = runner.invoke(args=["import", str(path), "--org", "city", "--profile", "cin-census"])
    receipt = json.loads(result.stdout)
    assert (receipt["records"], receipt["accepted"], receipt["rejected"]) == (3, 1, 2)
    assert [f["code"] for f in receipt["report"]] == ["xsd.text", "xsd.structure"]
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
