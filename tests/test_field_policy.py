"""Need to know: each recipient kind sees only the case fields the policy lists (synthetic case)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from exchange import reference
from exchange.field_policy import filter_case
from exchange.reference import DATA_DIR
from exchange.reference.checks import problems
from exchange.reference.files import Folder

ADDRESS = {"line1": "1 Synthetic Street", "town": "Testtown", "postcode": "ZZ1 1ZZ"}


#: the shipped field policy, as create_app loads it
POLICY = reference.load().field_policy


@pytest.fixture
def case() -> dict[str, Any]:
    """A synthetic public-law case in the SPEC §2 shape, with one field no policy lists."""
    return {
        "id": "6f1c1a4e-0000-4000-8000-000000000001",
        "reference": "SYN-CAMDEN-0001",
        "court_case_number": "LV22P70768",
        "law": "public",
        "application_type": "C110A",
        "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
        "applicant_la": "202",
        "court": "115",
        "dfj_area": "CENTRAL_LONDON",
        "region": "London",
        "date_received": "2025-03-03",
        "date_issued": "2025-03-04",
        "state": "PREPARE_FOR_HEARING",
        "version": 3,
        "internal_note": "never listed by any policy",
        "children": [
            {
                "id": "c1",
                "la_child_id": "SYN-CHILD-1",
                "upn": "A202123456789",
                "date_of_birth": "2021-06-01",
                "sex": "F",
                "ethnicity": "WBRI",
                "outcome": None,
            }
        ],
        "respondents": [
            {
                "id": "r1",
                "role": "mother",
                "first_name": "Alex",
                "last_name": "Synthetic",
                "address": ADDRESS,
            },
            {
                "id": "r2",
                "role": "father",
                "first_name": "Sam",
                "last_name": "Synthetic",
                "address": ADDRESS,
                "address_confidential": True,
            },
        ],
        "hearings": [{"id": "h1", "type": "CASE_MANAGEMENT", "status": "listed", "venue_notes": "unlisted"}],
        "orders_made": [],
    }


def test_local_authority_sees_its_data_but_not_a_confidential_address(case: dict[str, Any]) -> None:
    seen = filter_case(case, "local_authority", POLICY)
    assert seen["reference"] == "SYN-CAMDEN-0001"
    assert seen["children"][0]["upn"] == "A202123456789"
    assert seen["respondents"][0]["address"] == ADDRESS
    assert "address" not in seen["respondents"][1]
    assert seen["respondents"][1]["address_confidential"] is True
    assert seen["respondents"][1]["last_name"] == "Synthetic"


@pytest.mark.parametrize("kind", ["court", "cafcass"])
def test_court_and_cafcass_see_a_confidential_address_and_the_upn_but_not_the_las_own_ids(
    case: dict[str, Any], kind: str
) -> None:
    seen = filter_case(case, kind, POLICY)
    assert seen["respondents"][1]["address"] == ADDRESS
    assert "reference" not in seen
    assert set(seen["children"][0]) == {"id", "date_of_birth", "sex", "outcome", "upn"}  # not la_child_id
    assert seen["court"] == "115" and seen["orders_sought"] == ["CARE_ORDER", "INTERIM_CARE_ORDER"]


@pytest.mark.parametrize("kind", ["local_authority", "court", "cafcass"])
def test_unlisted_fields_are_dropped_at_every_level(case: dict[str, Any], kind: str) -> None:
    seen = filter_case(case, kind, POLICY)
    assert "internal_note" not in seen
    assert seen["hearings"] == [{"id": "h1", "type": "CASE_MANAGEMENT", "status": "listed"}]
    assert seen["orders_made"] == []


@pytest.mark.parametrize("kind", ["lfjb", "fjb", "ofsted", ""])
def test_unknown_or_aggregate_only_kinds_see_nothing(case: dict[str, Any], kind: str) -> None:
    assert filter_case(case, kind, POLICY) == {}


def test_filter_is_pure(case: dict[str, Any]) -> None:
    before = copy.deepcopy(case)
    seen = filter_case(case, "local_authority", POLICY)
    seen["children"][0]["sex"] = "M"
    del seen["respondents"][0]["address"]
    assert case == before


def test_null_lists_pass_and_scalars_in_place_of_objects_do_not(case: dict[str, Any]) -> None:
    case["hearings"] = None
    case["children"] = "A202123456789"
    seen = filter_case(case, "court", POLICY)
    assert seen["hearings"] is None
    assert "children" not in seen


def test_a_list_named_whole_and_by_its_fields_passes_only_those_fields(
    tmp_path: Path, case: dict[str, Any]
) -> None:
    paths = ["id", "children[].id", "children", "respondents[].address"]
    edited = dataclasses.replace(
        POLICY,
        fields={**POLICY.fields, "cafcass": frozenset(paths)},
        confidential_visible_to=frozenset({"court"}),
    )
    assert filter_case(case, "cafcass", edited) == {
        "id": case["id"],
        "children": [{"id": "c1"}],
        "respondents": [{"address": ADDRESS}, {}],
    }
    # the checks refuse such a policy in an operator's copy, so create_app never loads it
    for name in DATA_DIR.iterdir():
        (tmp_path / name.name).write_bytes(name.read_bytes())
    policy = json.loads((tmp_path / "field_policy.json").read_text())
    policy["kinds"]["cafcass"] = paths
    (tmp_path / "field_policy.json").write_text(json.dumps(policy))
    assert problems(Folder(tmp_path)) == [
        "field_policy.json: cafcass: children is listed whole and by its fields"
    ]


def _paths(schema: Any, prefix: str = "") -> set[str]:
    """Every field path of a marshmallow schema, in the policy's notation."""
    from marshmallow import fields

    out: set[str] = set()
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(field, fields.List):
            out |= _paths(inner.schema, f"{prefix}{name}[].")
        else:
            out.add(prefix + name)
    return out


def test_the_local_authority_sees_every_field_of_the_canonical_case_and_no_kind_names_unknown_fields() -> (
    None
):
    from schemas.case import CaseSchema

    canonical = _paths(CaseSchema())
    policy = POLICY.fields
    assert policy["local_authority"] == canonical
    assert policy["court"] <= canonical and policy["cafcass"] <= canonical
