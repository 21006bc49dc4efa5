"""The cin-census adapter: every schema year, every reference sample, the XML attacks, and flat memory."""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters import cin_census
from adapters.base import Finding, FormatError, Item, Record, RecordError, Rejected
from adapters.cin_census import YEARS, CinCensusAdapter, derived_xsd
from exchange import reference
from exchange.synthetic_cin import census_chunks, synthetic_upn, write_census
from schemas.cin import SCHEMAS
from tests.fixtures import FIXTURES
from tests.fixtures import SAMPLES as OWN

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = FIXTURES / "cin" / "samples"
SAMPLES = OWN / "cin-census"


def parse(data: bytes) -> list[Item]:
    return list(CinCensusAdapter(PLACES).parse(io.BytesIO(data)))


def census(children: int = 3, year: int = 2026, seed: int = 0) -> bytes:
    return b"".join(census_chunks(children, year, seed))


def format_error(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse(data)
    return caught.value


def faults(items: list[Item]) -> list[tuple[str | None, str]]:
    """Each rejected child's first fault: (xpath, code)."""
    firsts = [item.faults[0] if isinstance(item, Rejected) else item for item in items]
    return [(item.position.xpath, item.code) for item in firsts if isinstance(item, RecordError)]


def findings(items: list[Item]) -> list[tuple[str | None, str]]:
    return [(item.position.xpath, item.code) for item in items if isinstance(item, Finding)]


def records(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def accepted(items: list[Item]) -> list[str]:
    return [
        item.data["la_child_id"] for item in items if isinstance(item, Record) and item.kind == "cin_child"
    ]


# --- every collection year ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", list(YEARS))
def test_every_year_reads_a_valid_census_into_valid_records(year: int) -> None:
    items = parse(census(40, year, seed=year))
    assert faults(items) == []
    assert findings(items) == []  # synthetic children keep every rule (40 of them use all 8 disabilities)
    header, *children = records(items)
    assert header.kind == "cin_header"
    assert header.data == {
        "la_code": "202",
        "collection_year": year,
        "reference_date": f"{year}-03-31",
        "collection": "CIN",
    }
    assert len(children) == 40
    for item in records(items):
        SCHEMAS[item.kind].load(item.data)
    # before 2025 the file says GenderCurrent 1/2/0, from 2025 Sex M/F/U: the record always says M/F/U
    assert {child.data["sex"] for child in children} <= {"M", "F", "U"}
    assert (b"<GenderCurrent>" in census(1, year)) == (year < 2025)


def test_an_unknown_year_is_refused() -> None:
    error = format_error(census(1, 2026).replace(b"<Year>2026</Year>", b"<Year>2016</Year>"))
    assert error.code == "cin.unknown_year"
    assert error.position.xpath == "/Message/Header"


def test_a_year_schema_is_derived_once_and_declares_child_and_header() -> None:
    assert derived_xsd(2026) is derived_xsd(2026)
    assert b'name="Child"' in derived_xsd(2017) and b'name="Header"' in derived_xsd(2017)
    assert b"PreProceedingsandFGDM" in derived_xsd(2026) and b"PreProceedingsandFGDM" not in derived_xsd(2025)


def _parents(year: int) -> dict[str, set[str]]:
    """Each element a Child of ``year``'s schema may hold, by name: the names of the elements it stands in."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    schema = etree.fromstring(derived_xsd(year))
    types = {kind.get("name"): kind for kind in schema.iter(f"{xs}complexType") if kind.get("name")}
    parents: dict[str, set[str]] = {}

    def walk(name: str, kind: Any) -> None:
        for element in kind.iter(f"{xs}element"):
            if next(element.iterancestors(f"{xs}complexType")) is kind:
                parents.setdefault(element.get("name"), set()).add(name)
                inner = types.get(element.get("type"), element.find(f"{xs}complexType"))
                if inner is not None:
                    walk(element.get("name"), inner)

    walk("Child", types["childtype"])
    return parents


@pytest.mark.parametrize("year", list(YEARS))
def test_each_element_the_reader_places_by_name_stands_in_one_place(year: int) -> None:
    # the reader walks a Child in one pass and places each element by its name alone (but DateOfInitialCPC)
    parents = _parents(year)
    assert {name for name, where in parents.items() if len(where) > 1} == {"DateOfInitialCPC"}
    assert parents["DateOfInitialCPC"] == {"CINdetails", "Section47"}
    inside = {name: where.pop() for name, where in parents.items() if len(where) == 1}
    assert {name for name, parent in inside.items() if parent == "ChildIdentifiers"} <= cin_census.IDENTIFIERS
    assert {name for name in cin_census.IDENTIFIERS if name in inside} == {
        name for name, parent in inside.items() if parent == "ChildIdentifiers"
    }
    episode = {name for name, parent in inside.items() if parent == "CINdetails"}
    assert episode == cin_census.EPISODE_VALUES | (cin_census.GROUPS & set(inside))
    assert {inside[name] for name in cin_census.LIST_ITEMS} == {"FactorsIdentifiedAtAssessment", "Reviews"}
    assert (inside["Ethnicity"], inside["Disability"]) == ("ChildCharacteristics", "Disabilities")
    assert {inside[name] for name in ("FactorsIdentifiedAtAssessment", "Reviews")} <= cin_census.GROUPS
    # every other element of a group is one of its values, read into the canonical group
    values = {name for name, (place, _, _) in cin_census.PLACES.items() if place == cin_census.GROUP_VALUE}
    in_groups = {name for name, parent in inside.items() if parent in cin_census.GROUPS}
    assert in_groups - values == {"FactorsIdentifiedAtAssessment", "Reviews"} & set(inside)
    assert {inside[name] for name in values if name in inside} <= cin_census.GROUPS


def test_records_carry_line_and_xpath_of_their_child() -> None:
    data = census(2)
    items = records(parse(data))
    assert items[0].position.xpath == "/Message/Header" and items[0].position.line == 3
    assert [i.position.xpath for i in items[1:]] == [
        "/Message/Children/Child[1]",
        "/Message/Children/Child[2]",
    ]
    assert items[1].position.line == data[: data.index(b"<Child>")].count(b"\n") + 1
    assert items[2].position.line > items[1].position.line


# --- booleans, sex, pre-proceedings ---------------------------------------------------------------------


def one_child(year: int, identifiers: str, details: str = "<ReferralNFA>0</ReferralNFA>") -> bytes:
    return (
        f"<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>"
        f"<ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails><Source><LEA>202</LEA></Source></Header>"
        f"<Children><Child><ChildIdentifiers><LAchildID>C1</LAchildID>{identifiers}</ChildIdentifiers>"
        "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
        f"<CINdetails><CINreferralDate>{year - 1}-05-01</CINreferralDate><ReferralSource>1A</ReferralSource>"
        f"{details}</CINdetails></Child></Children></Message>"
    ).encode()


@pytest.mark.parametrize(("text", "value"), [("0", False), ("1", True), ("false", False), ("TRUE", True)])
def test_yes_no_accepts_digits_and_words(text: str, value: bool) -> None:
    data = one_child(
        2026,
        "<PersonBirthDate>2020-01-01</PersonBirthDate><Sex>F</Sex>",
        f"<ReferralNFA>{text}</ReferralNFA>",
    )
    assert parse(data)[1].data["cin_episodes"][0]["referral_nfa"] is value


def test_yes_no_refuses_other_words() -> None:
    data = one_child(
        2026, "<PersonBirthDate>2020-01-01</PersonBirthDate><Sex>F</Sex>", "<ReferralNFA>yes</ReferralNFA>"
    )
    assert faults(parse(data)) == [("/Message/Children/Child[1]/CINdetails/ReferralNFA", "xsd.code")]


@pytest.mark.parametrize(("gender", "sex"), [("1", "M"), ("2", "F"), ("0", "U"), ("9", "U")])
def test_gender_current_becomes_sex(gender: str, sex: str) -> None:
    data = one_child(
        2024, f"<PersonBirthDate>2020-01-01</PersonBirthDate><GenderCurrent>{gender}</GenderCurrent>"
    )
    assert parse(data)[1].data["sex"] == sex


def test_gender_current_is_refused_from_2025() -> None:
    data = one_child(2025, "<PersonBirthDate>2020-01-01</PersonBirthDate><GenderCurrent>1</GenderCurrent>")
    assert faults(parse(data)) == [
        ("/Message/Children/Child[1]/ChildIdentifiers/GenderCurrent", "xsd.structure")
    ]


@pytest.mark.parametrize(
    ("year", "sex", "codes"),
    [
        (2026, "<Sex>F</Sex>", ["cin.8750"]),
        (2026, "<Sex>U</Sex>", []),
        (2024, "<GenderCurrent>9</GenderCurrent>", ["cin.8750"]),
        (2024, "<GenderCurrent>0</GenderCurrent>", []),
    ],
)
def test_an_unborn_child_must_have_unknown_sex(year: int, sex: str, codes: list[str]) -> None:
    items = parse(one_child(year, f"<ExpectedPersonBirthDate>{year}-06-01</ExpectedPersonBirthDate>{sex}"))
    assert accepted(items) == ["C1"]
    assert [code for _, code in findings(items) if code == "cin.8750"] == codes


def test_upn_rules_are_findings_on_the_kept_child_without_repeating_the_upn() -> None:
    good = synthetic_upn(__import__("random").Random(1), "202")
    bad = ("B" if good[0] == "A" else "A") + good[1:]
    unknown_la = "A999" + good[4:]
    items = parse(
        one_child(
            2026, f"<UPN>{good}</UPN><PersonBirthDate>2020-01-01</PersonBirthDate><Sex>M</Sex>"
        ).replace(
            b"</Children>",
            one_child(2026, f"<UPN>{bad}</UPN><Sex>M</Sex>").split(b"<Children>")[1].split(b"</Children>")[0]
            + b"</Children>",
        )
    )
    assert accepted(items) == ["C1", "C1"]
    upn_findings = [item for item in items if isinstance(item, Finding) and item.code.startswith("cin.15")]
    assert [(f.code, f.record, f.position.xpath) for f in upn_findings] == [
        ("cin.1510", "C1", "/Message/Children/Child[2]/ChildIdentifiers/UPN")
    ]
    assert bad not in upn_findings[0].message and upn_findings[0].severity == "error"
    assert ("/Message/Children/Child[1]/ChildIdentifiers/UPN", "cin.1530") in findings(
        parse(one_child(2026, f"<UPN>{unknown_la}</UPN><Sex>M</Sex>"))
    )


def test_the_2026_pre_proceedings_block_is_read() -> None:
    items = records(parse((SAMPLES / "valid-census-2026-preproceedings.xml").read_bytes()))
    assert faults(items) == [] and accepted(items) == ["DfEX0000001", "child_fails_assessments"]
    assert items[1].data["cin_episodes"][0]["pre_proceedings"] == {
        "pp_start_date": "2026-09-09",
        "lbp_sent_date": "2026-09-20",
        "fgdm_meeting_offer": "1",
        "fgdm_meeting_facilitated": "1",
        "initial_pp_meeting_date": "2026-09-28",
        "review_meetings_count": 3,
        "step_decision_date": "2026-12-01",
        "pp_outcome": "A",
        "court_application_date": "2026-12-18",
        "letter_init_cp_date": "2027-02-05",
    }
    assert items[2].data["cin_episodes"][0]["pre_proceedings"] is None
    for item in items:
        SCHEMAS[item.kind].load(item.data)


@pytest.mark.parametrize(
    ("old", "new", "where", "code"),
    [
        (b"<ReviewMeetingsCount>3<", b"<ReviewMeetingsCount>-1<", "/ReviewMeetingsCount", "xsd.datatype"),
        (b"<PPOutcome>A<", b"<PPOutcome>AVERYLONGCODE<", "/PPOutcome", "xsd.pattern"),
        (b"<PPStartDate>2026-09-09</PPStartDate>", b"<Stray/>", "/Stray", "xsd.structure"),
    ],
)
def test_the_pre_proceedings_block_is_checked(old: bytes, new: bytes, where: str, code: str) -> None:
    data = (SAMPLES / "valid-census-2026-preproceedings.xml").read_bytes().replace(old, new)
    block = "/Message/Children/Child[1]/CINdetails/PreProceedingsandFGDM"
    found = faults(parse(data))
    assert len(found) == 1 and found[0][0].startswith(block + where) and found[0][1] == code


def test_a_pre_proceedings_block_without_its_start_date_is_stored_with_query_9000q() -> None:
    data = (
        (SAMPLES / "valid-census-2026-preproceedings.xml")
        .read_bytes()
        .replace(b"<PPStartDate>2026-09-09</PPStartDate>", b"")
        .replace(b"<Year>2026</Year>", b"<Year>2027</Year>")
        .replace(b"<ReferenceDate>2026-03-31<", b"<ReferenceDate>2027-03-31<")
    )
    items = records(parse(data))
    assert faults(items) == [] and accepted(items) == ["DfEX0000001", "child_fails_assessments"]
    assert items[1].data["cin_episodes"][0]["pre_proceedings"]["pp_start_date"] is None
    assert ("/Message/Children/Child[1]/CINdetails[1]/PreProceedingsandFGDM", "cin.9000Q") in findings(
        parse(data)
    )


def test_the_pre_proceedings_block_is_refused_before_2026() -> None:
    data = (
        (SAMPLES / "valid-census-2026-preproceedings.xml")
        .read_bytes()
        .replace(b"<Year>2026</Year>", b"<Year>2025</Year>")
    )
    assert faults(parse(data)) == [
        ("/Message/Children/Child[1]/CINdetails/PreProceedingsandFGDM", "xsd.structure")
    ]


# --- the reference samples, with their deliberate faults -------------------------------------------------

STRAY_TEXT = ("/Message/Children/Child[1]/ChildIdentifiers", "xsd.text")


@pytest.mark.parametrize(
    ("name", "year", "children", "expected_faults"),
    [
        # header year 2023 (GenderCurrent era): stray text "PersonBirthDate" inside ChildIdentifiers
        ("d2i_CIN2rows.xml", 2023, [], [STRAY_TEXT]),
        ("d2i_CIN_Census_2021.xml", 2023, [], [STRAY_TEXT]),
        ("d2i_CIN_Census_2021_no_assessment_factors.xml", 2023, [], [STRAY_TEXT]),
        # header year 2023 but Sex (2025+), factor RB, an empty FactorsIdentifiedAtAssessment
        (
            "d2i_CIN_Census_2024.xml",
            2023,
            [],
            [STRAY_TEXT, ("/Message/Children/Child[2]/ChildIdentifiers/Sex", "xsd.structure")],
        ),
        # the same, plus PreProceedingsandFGDM, which a 2023 census cannot carry
        (
            "d2i_CIN_Census_2026.xml",
            2023,
            [],
            [STRAY_TEXT, ("/Message/Children/Child[2]/ChildIdentifiers/Sex", "xsd.structure")],
        ),
        # valid against the XSD with true/false booleans; its UPN A123456789123 names no LA (a finding)
        ("liia_BAR_cin_2022.xml", 2022, ["DfEX0000001"], []),
    ],
)
def test_reference_sample(
    name: str, year: int, children: list[str], expected_faults: list[tuple[str, str]]
) -> None:
    items = parse((REFERENCE / name).read_bytes())
    assert items[0].kind == "cin_header" and items[0].data["collection_year"] == year
    assert accepted(items) == children
    assert faults(items) == expected_faults
    for error in faults(items):
        assert error[1] != "xsd.invalid"


def test_a_rejected_child_carries_every_fault_without_values() -> None:
    first = [item for item in parse((REFERENCE / "d2i_CIN_Census_2026.xml").read_bytes())][2]
    assert isinstance(first, Rejected) and first.position.xpath == "/Message/Children/Child[1]"
    assert [fault.message for fault in first.faults] == [
        "line 19: Child[1]/ChildIdentifiers holds text where only elements are allowed",
        "line 25: Child[1]/ChildIdentifiers/Sex is missing, misplaced or not expected here",
        "line 46: Child[1]/CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors[2] "
        "is not one of the codes allowed",
        "line 71: Child[1]/CINdetails/PreProceedingsandFGDM is missing, misplaced or not expected here",
    ]
    assert [fault.position.line for fault in first.faults] == [19, 25, 46, 71]
    assert not any("A123456789123" in f.message or "RB" in f.message for f in first.faults)


def test_reference_fake_census_332_children_are_all_kept_with_their_findings() -> None:
    # random UPNs, findings not faults: 271 have no recognised LA number (three more carry DfE pseudo LA
    # numbers) and 320 the wrong check letter, reported whatever the LA number (as DfE and the peer do)
    items = parse((REFERENCE / "d2i_fake_CIN_data.xml").read_bytes())
    assert items[0].data == {
        "la_code": "975",
        "collection_year": 2022,
        "reference_date": "2022-07-21",
        "collection": "CIN",
    }
    assert len(accepted(items)) == 332 and faults(items) == []
    found = Counter(code for _, code in findings(items))
    assert found["cin.1530"] == 271 and found["cin.1510"] == 320
    for item in records(items):
        SCHEMAS[item.kind].load(item.data)


def test_every_reference_sample_is_covered() -> None:
    covered = {"d2i_CIN2rows.xml", "d2i_CIN_Census_2021.xml", "d2i_CIN_Census_2021_no_assessment_factors.xml"}
    covered |= {
        "d2i_CIN_Census_2024.xml",
        "d2i_CIN_Census_2026.xml",
        "liia_BAR_cin_2022.xml",
        "d2i_fake_CIN_data.xml",
    }
    assert {path.name for path in REFERENCE.glob("*.xml")} == covered


# --- the file as a whole ------------------------------------------------------------------------------

ATTACKS = {
    "xxe_file": b'<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>',
    "xxe_network": b'<!DOCTYPE Message [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><Message>&x;</Message>',
    "billion_laughs": b'<!DOCTYPE Message [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    + b"".join(
        b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">' % ((bytes([c]),) + (bytes([c - 1]),) * 10)
        for c in range(ord("c"), ord("k"))
    )
    + b"]><Message><Header>&j;</Header></Message>",
    "quadratic_blowup": b'<!DOCTYPE Message [<!ENTITY a "'
    + b"x" * 100_000
    + b'">]><Message>'
    + b"&a;" * 10_000
    + b"</Message>",
    "external_dtd": b'<!DOCTYPE Message SYSTEM "http://127.0.0.1:9/cin.dtd"><Message/>',
    "external_dtd_file": b'<!DOCTYPE Message SYSTEM "file:///etc/passwd"><Message/>',
    "doctype_in_a_valid_census": census(1).replace(b"<Message>", b"<!DOCTYPE Message><Message>", 1),
    "doctype_with_another_root": b'<!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>',
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_doctypes_and_entities_are_refused_before_any_validation(name: str) -> None:
    assert format_error(ATTACKS[name]).code == "xml.doctype"


def test_an_undeclared_entity_is_refused() -> None:
    assert format_error(census(1).replace(b"<LAchildID>", b"<LAchildID>&x;")).code.startswith("xml.")


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?>' + census(1).split(b"?>", 1)[1],
        census(1).replace(b"<ChildCharacteristics>", b"<?php echo 1; ?><ChildCharacteristics>"),
    ],
)
def test_processing_instructions_are_refused(data: bytes) -> None:
    assert format_error(data).code == "xml.processing_instruction"


def test_a_truncated_file_is_refused() -> None:
    data = census(5)
    error = format_error(data[: data.index(b"</Child>", len(data) // 2)])
    assert error.code == "xml.truncated" and error.position.line


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<Census><Header/></Census>", "cin.root"),
        (b"<Children><Child/></Children>", "cin.root"),
        (b"<Wrapper>" + census(1).split(b"?>", 1)[1] + b"</Wrapper>", "cin.envelope"),
        (census(1).replace(b"<Header>", b"<Extra/><Header>"), "cin.envelope"),
        (census(1).replace(b"</Header>", b"</Header><Extra/>"), "cin.envelope"),
        (census(1).replace(b"</Children>", b"</Children><Extra/>"), "cin.envelope"),
        (b"<Message><Children>" + census(1).split(b"<Children>")[1], "cin.envelope"),
        (census(1).replace(b"<Year>2026</Year>", b"<Year>2026</Year><Year>2026</Year>"), "cin.header"),
        (census(0), "cin.envelope"),
        (b"", "xml.truncated"),
    ],
)
def test_a_broken_envelope_is_refused(data: bytes, code: str) -> None:
    assert format_error(data).code == code


def test_a_stray_element_in_children_is_one_rejected_record() -> None:
    data = census(2).replace(b"    <Child>", b"    <Note>synthetic</Note>\n    <Child>", 1)
    items = parse(data)
    assert faults(items) == [("/Message/Children/Note", "xsd.structure")]
    assert len(accepted(items)) == 2


@pytest.mark.parametrize(
    "data",
    [
        '<?xml version="1.0" encoding="ISO-8859-1"?><Message><Header/></Message>'.encode("latin-1"),
        "<Message>é</Message>".encode("utf-16"),
        census(1).replace(b"<LAchildID>SYN", b"<LAchildID>\xff\xfeSYN"),
    ],
)
def test_anything_but_utf8_is_refused(data: bytes) -> None:
    assert format_error(data).code == "xml.encoding"


def test_utf8_with_a_byte_order_mark_is_read() -> None:
    assert len(accepted(parse(b"\xef\xbb\xbf" + census(2)))) == 2


# --- memory and the generator ---------------------------------------------------------------------------


def _python_peak(path: Path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for _ in CinCensusAdapter(PLACES).parse(stream):
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_python_memory_grows_by_two_fingerprints_per_child_at_most(tmp_path: Path) -> None:
    # the one state kept per child: the fingerprints of its LA child id and UPN (rules 8510 and 1520);
    # the child itself (about 3 KiB of XML, more as objects) is dropped once read
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    write_census(small, 2_000)
    write_census(large, 20_000)
    _python_peak(small)  # the schemas are compiled and cached on the first parse
    assert _python_peak(large) - _python_peak(small) < 18_000 * 256


RSS_SCRIPT = """
import resource, sys
from adapters.cin_census import CinCensusAdapter
from exchange import reference
PLACES = reference.load()
with open(sys.argv[1], "rb") as stream:
    for _ in CinCensusAdapter(PLACES).parse(stream):
        pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_native_memory_does_not_grow_with_the_number_of_children(tmp_path: Path) -> None:
    # libxml2's tree is invisible to tracemalloc: the peak resident size of a fresh process shows it
    def peak_kib(children: int) -> int:
        path = tmp_path / f"{children}.xml"
        write_census(path, children)
        done = subprocess.run(
            [sys.executable, "-c", RSS_SCRIPT, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout)

    small, large = peak_kib(2_000), peak_kib(20_000)
    assert large - small < 8 * 1024, (small, large)  # a kept tree of 18,000 more children is ~100 MiB


def test_the_generator_is_deterministic_and_synthetic() -> None:
    assert census(20, seed=3) == census(20, seed=3) != census(20, seed=4)
    assert b"exchange.synthetic_cin (synthetic)" in census(1)
