"""The SSDA903 rules as a whole: every catalogue rule is run or listed with a reason, and findings' shape."""

import csv
import subprocess
import sys
from datetime import date
from importlib import import_module
from pathlib import Path

import pytest

from adapters.base import Finding, Position
from adapters.ssda903_rules import RULES, UNAVAILABLE, YEARS, run
from adapters.ssda903_rules.engine import CATALOGUE_FILES
from tests.adapters.ssda903_rules.cases import episode, header

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ssda903" / "rules"
RULE_TESTS = ("test_episodes", "test_header", "test_tables", "test_linked")


def catalogue_ids(year: int) -> set[str]:
    with (FIXTURES / CATALOGUE_FILES[year]).open(encoding="utf-8") as source:
        return {line["Rule code"] for line in csv.DictReader(source)}


@pytest.mark.parametrize("year", YEARS)
def test_every_catalogue_rule_is_implemented_or_listed_with_its_reason(year):
    ids = catalogue_ids(year)
    implemented = set(RULES) & ids
    assert implemented | (set(UNAVAILABLE) & ids) == ids
    assert not implemented & set(UNAVAILABLE)
    assert all(reason.strip() for reason in UNAVAILABLE.values())


def test_no_rule_outside_the_catalogues():
    assert set(RULES) <= set().union(*(catalogue_ids(year) for year in YEARS))


def test_the_shipped_catalogues_are_the_fixtures():
    for name in CATALOGUE_FILES.values():
        shipped = Path(import_module("adapters.ssda903_rules").__file__).parent / name
        assert shipped.read_bytes() == (FIXTURES / name).read_bytes()


def test_every_rule_has_a_case_that_fires_and_one_that_keeps_it_quiet():
    cases = [
        case
        for module in RULE_TESTS
        for case in import_module(f"tests.adapters.ssda903_rules.{module}").CASES
    ]
    fired = {case.rule for case in cases if case.hits}
    quiet = {case.rule for case in cases if not case.hits}
    assert set(RULES) - fired == set()
    assert set(RULES) - quiet == set()


def test_a_finding_carries_the_rule_the_child_the_cell_and_dfe_wording():
    tables = {
        "header": [{**header("C7"), "_row": 2}],
        "episodes": [{**episode("C7", "2024-05-01", RNE="Q"), "_row": 5}],
    }
    found = [f for f in run(tables, year=2025) if f.code == "ssda903.143"]
    assert found == [
        Finding(
            code="ssda903.143",
            severity="error",
            record="C7",
            position=Position(row=5, column="RNE"),
            message="The reason for new episode code is not a valid code.",
        )
    ]


def test_the_warning_rule_is_a_query():
    tables = {"header": [{**header("C7"), "_row": 2}], "episodes": []}
    found = [f for f in run(tables, year=2025) if f.code == "ssda903.EPI"]
    assert [(f.severity, f.record, f.position.row) for f in found] == [("query", "C7", 2)]


def test_a_rule_reading_a_table_not_given_does_not_run():
    """EPI (a header row without episodes) reads the episodes table: a table sent alone runs its own rules."""
    alone = {"header": [{**header("C7", SEX="Q"), "_row": 2}]}
    codes = {f.code for f in run(alone, year=2025)}
    assert "ssda903.EPI" not in codes
    assert "ssda903.101" in codes


def test_with_the_tables_one_submission_gave_only_the_rules_reading_one_of_them_run():
    """The header came from an earlier submission, the episodes from this one: 101 reads the header alone
    (the earlier submission's finding) and is left out; EPI reads both and runs (its finding in a header
    row)."""
    tables = {"header": [{**header("C7", SEX="Q"), "_row": 2}], "episodes": [{**episode("C8"), "_row": 2}]}
    every = {(f.code, f.record, f.position) for f in run(tables, year=2025)}
    header_alone = {(f.code, f.record, f.position) for f in run({"header": tables["header"]}, year=2025)}
    given = {(f.code, f.record, f.position) for f in run(tables, year=2025, given={"episodes"})}
    assert ("ssda903.101", "C7", Position(row=2, column="SEX")) in header_alone
    assert ("ssda903.EPI", "C7", Position(row=2, column="CHILD")) in given
    assert given == every - header_alone


def test_a_rule_asking_whether_a_withheld_table_was_given_reads_it():
    """392b leaves out the children of the uasc table, so it reads that table even when no uasc row is
    asked for: with the uasc table given and the episodes from an earlier submission, it runs."""
    tables = {
        "episodes": [
            {**episode("C7", HOME_POST=None), "_row": 2},
            {**episode("C8", HOME_POST=None), "_row": 3},
        ],
        "uasc": [{"CHILD": "C8", "SEX": "M", "DOB": date(2008, 1, 1), "DUC": date(2026, 1, 1), "_row": 2}],
    }
    found = run(tables, year=2025, given={"uasc"})
    assert [(f.record, f.position.row) for f in found if f.code == "ssda903.392b"] == [("C7", 2)]


def test_iso_text_dates_and_the_adapters_table_names_are_read():
    tables = {
        "header": [{**header("C7"), "DOB": "2010-01-01", "_row": 2}],
        "episodes": [{**episode("C7"), "DECOM": "2009-12-31", "_row": 2}],
        "prev_perm": [{"CHILD": "C8", "DOB": date(2010, 1, 1), "PREV_PERM": "Z1", "_row": 3}],
    }
    codes = {(f.code, f.record) for f in run(tables, year=2025)}
    assert ("ssda903.302", "C7") in codes  # started before birth, read from ISO text
    assert ("ssda903.INT07", "C8") in codes  # previous permanence child missing from the header


def test_a_year_without_a_catalogue_is_refused():
    with pytest.raises(ValueError, match="no SSDA903 rule catalogue"):
        run({}, year=2019)


def test_an_unknown_table_is_refused():
    with pytest.raises(ValueError, match="not an SSDA903 table"):
        run({"episode": []}, year=2025)


def test_year_chooses_the_rules_and_their_wording():
    tables = {"header": [{**header("C7"), "SEX": "M", "MC_DOB": date(2020, 1, 1), "_row": 2}]}
    messages = {
        year: [f.message for f in run(tables, year=year) if f.code == "ssda903.174"] for year in YEARS
    }
    assert messages == {
        2024: ["Mother's child date of birth is recorded but gender shows that the child is a male."],
        2025: ["Mother's child date of birth is recorded but sex shows that the child is a male."],
    }


def test_the_rules_import_no_flask_database_or_gateway_code():
    code = (
        "import sys, adapters.ssda903_rules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'exchange')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
