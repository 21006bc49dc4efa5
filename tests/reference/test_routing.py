"""Which Cafcass serves a court."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange.reference import load
from tests.reference.conftest import SHIPPED, validate


def test_welsh_courts_go_to_cafcass_cymru_and_english_to_cafcass() -> None:
    recipients = {code: SHIPPED.advice_recipient(code) for code in SHIPPED.courts}
    welsh = {code for code, court in SHIPPED.courts.items() if court.region_id == "7"}
    assert welsh and all(recipients[code] == "cafcass_cymru" for code in welsh)
    assert all(recipients[code] == "cafcass" for code in recipients.keys() - welsh)
    assert SHIPPED.advice_recipient("102") == "cafcass_cymru"  # Aberystwyth
    assert SHIPPED.advice_recipient("115") == "cafcass"  # Central Family Court


def test_unknown_court_has_no_recipient() -> None:
    with pytest.raises(KeyError):
        SHIPPED.advice_recipient("999")


def test_a_court_rule_overrides_its_region(config_copy: Path) -> None:
    path = config_copy / "routing.json"
    doc = json.loads(path.read_text())
    doc["advice_recipient"]["by_court"] = {"115": "cafcass_cymru"}
    path.write_text(json.dumps(doc))
    assert validate(config_copy) == []
    edited = load(config_copy)
    assert edited.advice_recipient("115") == "cafcass_cymru"
    assert edited.advice_recipient("117") == "cafcass"


def test_a_welsh_las_case_goes_to_cafcass_cymru_wherever_the_court() -> None:
    assert SHIPPED.advice_recipient("115", "W06000015") == "cafcass_cymru"  # Cardiff's child, London court
    assert SHIPPED.advice_recipient("102", "202") == "cafcass"  # Camden's child, Aberystwyth
    assert SHIPPED.advice_recipient("102") == "cafcass_cymru"  # no LA known: the court's region


def test_an_la_rule_overrides_its_country(config_copy: Path) -> None:
    path = config_copy / "routing.json"
    doc = json.loads(path.read_text())
    doc["advice_recipient"]["by_la"] = {"W06000015": "cafcass"}
    path.write_text(json.dumps(doc))
    assert validate(config_copy) == []
    assert load(config_copy).advice_recipient("344", "W06000015") == "cafcass"
    doc["advice_recipient"]["by_la"] = {"999": "cafcass"}
    doc["advice_recipient"]["by_la_country"] = {"Narnia": "cafcass"}
    path.write_text(json.dumps(doc))
    assert validate(config_copy) == ["routing.json: unknown LA 999", "routing.json: unknown country Narnia"]
