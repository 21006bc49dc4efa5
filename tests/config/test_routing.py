"""Which Cafcass serves a court."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import config


def test_welsh_courts_go_to_cafcass_cymru_and_english_to_cafcass() -> None:
    recipients = {code: config.advice_recipient(code) for code in config.courts()}
    welsh = {code for code, court in config.courts().items() if court.region_id == "7"}
    assert welsh and all(recipients[code] == "cafcass_cymru" for code in welsh)
    assert all(recipients[code] == "cafcass" for code in recipients.keys() - welsh)
    assert config.advice_recipient("102") == "cafcass_cymru"  # Aberystwyth
    assert config.advice_recipient("115") == "cafcass"  # Central Family Court


def test_unknown_court_has_no_recipient() -> None:
    with pytest.raises(KeyError):
        config.advice_recipient("999")


def test_a_court_rule_overrides_its_region(config_copy: Path) -> None:
    path = config_copy / "routing.json"
    doc = json.loads(path.read_text())
    doc["advice_recipient"]["by_court"] = {"115": "cafcass_cymru"}
    path.write_text(json.dumps(doc))
    assert config.validate() == []
    assert config.advice_recipient("115") == "cafcass_cymru"
    assert config.advice_recipient("117") == "cafcass"
