"""Courts, DFJ areas, local authorities and HMCTS letter codes, checked against their reference sources."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from exchange.reference import Court
from tests.reference.conftest import SHIPPED, validate


def test_shipped_reference_data_is_consistent() -> None:
    assert validate() == []


def test_every_hmcts_court_is_there_with_its_dfj_area(reference: Path) -> None:
    hmcts_courts = json.loads((reference / "hmcts" / "fpl-courts.json").read_text())
    mapping = json.loads((reference / "hmcts" / "fpl-dfjAreaCourtMapping.json").read_text())
    area_of = {m["courtCode"]: m["dfjArea"] for m in mapping}
    courts = SHIPPED.courts
    for c in hmcts_courts:
        assert courts[c["code"]] == Court(
            code=c["code"],
            name=c["name"],
            region=c["region"],
            region_id=c["regionId"],
            dfj_area=area_of[c["code"]],
        )
    assert set(courts) == {c["code"] for c in hmcts_courts} | {"100"}


def test_court_305_listed_twice_in_the_mapping_appears_once() -> None:
    assert SHIPPED.courts["305"].dfj_area == "READING"
    assert SHIPPED.courts["100"].dfj_area == "HIGH_COURT"


def test_dfj_areas_are_the_hmcts_list_and_the_high_court_has_no_board(reference: Path) -> None:
    fixed = json.loads((reference / "areas" / "fpl_ccd_fixedlist_DFJAreas.json").read_text())
    assert dict(SHIPPED.dfj_areas) == {a["ListElementCode"]: a["ListElement"] for a in fixed}
    assert len(SHIPPED.board_areas) == 43
    assert "HIGH_COURT" not in SHIPPED.board_areas
    assert set(SHIPPED.board_areas) < set(SHIPPED.dfj_areas)


def test_local_authorities_follow_the_derived_table(reference: Path) -> None:
    with open(reference / "areas" / "la_to_dfj_area_derived.csv", newline="") as f:
        english = {r["dfe_la_code"]: r for r in csv.DictReader(f) if r["dfe_la_code"]}
    las = SHIPPED.local_authorities
    assert len(las) == 175
    for code, row in english.items():
        la = las[code]
        assert (la.name, la.country, la.dfj_area or "", la.ambiguous) == (
            row["la_name"],
            "England",
            row["dfj_area_primary"],
            row["ambiguous"] == "Y",
        )
    welsh = [la for la in las.values() if la.country == "Wales"]
    assert len(welsh) == 22
    assert all(la.code.startswith("W06") and len(la.code) == 9 for la in welsh)


def test_seven_ambiguous_las_are_flagged() -> None:
    ambiguous = {la.name for la in SHIPPED.local_authorities.values() if la.ambiguous}
    assert ambiguous == {
        "Buckinghamshire",
        "Milton Keynes",
        "County Durham",
        "Lincolnshire",
        "Oxfordshire",
        "Bridgend",
        "Powys",
    }
    assert SHIPPED.local_authorities["825"].dfj_area is None


def test_hmcts_letter_codes_map_to_our_codes(reference: Path) -> None:
    assert SHIPPED.hmcts_la_code("BIR") == "330"
    assert SHIPPED.hmcts_la_code("SA") == "W06000011"
    assert SHIPPED.hmcts_la_code("KGN") == "314"  # "London Borough of Kingston": matched by hand
    assert SHIPPED.hmcts_la_code("FPLA") is None  # an HMCTS test team, not an LA
    assert SHIPPED.hmcts_la_code("NOPE") is None
    fixed = json.loads((reference / "hmcts" / "fpl-fixed-lists.json").read_text())
    letters = [v["code"] for v in fixed["lists"]["AuthorityFixedList"]["values"]]
    mapped = {letter: SHIPPED.hmcts_la_code(letter) for letter in letters}
    assert [letter for letter, code in mapped.items() if code is None] == ["FPLA"]
    assert len(set(mapped.values()) - {None}) == len(letters) - 1  # no two letter codes share an LA
