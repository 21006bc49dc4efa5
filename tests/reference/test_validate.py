"""The checks find what an operator's edit can break; ``load`` reads an operator's copy or refuses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from exchange.reference import ReferenceDataError, load
from tests.reference.conftest import validate


def _append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


@contextmanager
def _edited(path: Path) -> Iterator[Any]:
    """A JSON data file's content to change in place; written back when the block ends."""
    doc = json.loads(path.read_text())
    yield doc
    path.write_text(json.dumps(doc))


def test_operator_copy_is_read_instead_of_the_shipped_folder(config_copy: Path) -> None:
    _append(config_copy / "courts.csv", "999,Test Family Court,London,1,CENTRAL_LONDON")
    assert validate(config_copy) == []
    assert load(config_copy).courts["999"].name == "Test Family Court"
    assert "999" not in load().courts  # the shipped copy is untouched


def test_court_in_unknown_area(config_copy: Path) -> None:
    _append(config_copy / "courts.csv", "999,Test Family Court,London,1,ATLANTIS")
    assert validate(config_copy) == ["courts.csv: court 999 is in unknown DFJ area 'ATLANTIS'"]


def test_duplicate_codes(config_copy: Path) -> None:
    _append(config_copy / "courts.csv", "115,Another,London,1,CENTRAL_LONDON")
    _append(
        config_copy / "local_authorities.csv", "202,Camden again,England,CENTRAL_LONDON,N,CENTRAL_LONDON,"
    )
    _append(config_copy / "dfj_areas.csv", "BRISTOL,Bristol again,Y")
    assert sorted(validate(config_copy)) == [
        "courts.csv: duplicate code 115",
        "dfj_areas.csv: duplicate code BRISTOL",
        "local_authorities.csv: duplicate code 202",
    ]


def test_la_problems(config_copy: Path) -> None:
    rows = [
        "990,Unknown Area LA,England,ATLANTIS,N,ATLANTIS,",
        "991,Unplaced LA,England,,N,,",
        "992,Split LA,England,READING,N,READING;MILTON_KEYNES,",
        "993,Scottish LA,Scotland,READING,N,READING,",
    ]
    for row in rows:
        _append(config_copy / "local_authorities.csv", row)
    assert validate(config_copy) == [
        "local_authorities.csv: LA 990 is in unknown DFJ area 'ATLANTIS'",
        "local_authorities.csv: LA 991 has no DFJ area but is not flagged ambiguous",
        "local_authorities.csv: LA 992 has several candidate DFJ areas but is not flagged ambiguous",
        "local_authorities.csv: LA 993: country must be England or Wales",
    ]


def test_letter_code_routing_and_holiday_problems(config_copy: Path) -> None:
    with _edited(config_copy / "hmcts_la_codes.json") as codes:
        codes["codes"]["XYZ"] = "000"
    with _edited(config_copy / "routing.json") as routing:
        routing["advice_recipient"]["by_court"] = {"999": "cafcass", "115": "ofsted"}
    with _edited(config_copy / "bank_holidays.json") as holidays:
        holidays["dates"] += [
            {"date": "2025-12-25", "title": "again"},
            {"date": "2025-12-27", "title": "a Saturday"},
        ]
    assert validate(config_copy) == [
        "hmcts_la_codes.json: XYZ maps to unknown LA '000'",
        "routing.json: unknown recipient 'ofsted'",
        "routing.json: unknown court 999",
        "bank_holidays.json: duplicate date 2025-12-25",
        "bank_holidays.json: 2025-12-27 is a weekend",
    ]


def test_missing_file_is_one_problem_not_a_crash(config_copy: Path) -> None:
    (config_copy / "routing.json").unlink()
    assert validate(config_copy) == ["routing.json: cannot be read (FileNotFoundError)"]


def test_malformed_files_are_reported_without_their_path(config_copy: Path) -> None:
    (config_copy / "bank_holidays.json").write_text('{"dates": [\n')
    assert validate(config_copy) == ["bank_holidays.json: not valid JSON (line 2)"]
    (config_copy / "bank_holidays.json").write_text('{"dates": [{"date": "2025-02-30"}]}')
    [problem] = validate(config_copy)
    assert problem.startswith("reference data is malformed: ValueError")
    assert str(config_copy) not in problem


def test_field_policy_problems(config_copy: Path) -> None:
    with _edited(config_copy / "field_policy.json") as policy:
        policy["kinds"]["lfjb"] = ["id"]
        policy["kinds"]["court"] += ["court", "children[]upn"]
        policy["confidential_address"]["visible_to"] = ["court", "police"]
    assert validate(config_copy) == [
        "field_policy.json: unknown kind 'lfjb'",
        "field_policy.json: court: malformed field 'children[]upn'",
        "field_policy.json: court: duplicate field court",
        "field_policy.json: confidential_address: unknown kind 'police'",
    ]


def test_an_advice_type_without_a_due_rule(config_copy: Path) -> None:
    with _edited(config_copy / "advice_defaults.json") as doc:
        doc["types"]["section_7_report"] = {"weeks": 12}
    assert validate(config_copy) == [
        "advice_defaults.json: section_7_report: needs working_days_before_hearing"
        " or working_days_after_request"
    ]


def test_load_refuses_inconsistent_data_naming_every_fault(config_copy: Path) -> None:
    _append(config_copy / "courts.csv", "999,Test Family Court,London,1,ATLANTIS")
    (config_copy / "routing.json").unlink()
    with pytest.raises(ReferenceDataError) as refused:
        load(config_copy)
    assert "routing.json: cannot be read" in str(refused.value)


def test_the_loaded_data_cannot_be_changed() -> None:
    shipped = load()
    with pytest.raises(AttributeError):
        shipped.courts = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        shipped.courts["999"] = shipped.courts["115"]  # type: ignore[index]
