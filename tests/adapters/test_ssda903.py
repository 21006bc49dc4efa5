"""The SSDA903 adapter: every reference sample, CSV header and cell faults, hostile XML, and flat memory.

``large_episodes_csv(rows)`` and ``large_return_xml(children)`` build arbitrarily large valid inputs as
streams that never hold the whole file: the contract suite can use them for its own memory checks.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from lxml import etree

from adapters import registry
from adapters.base import Earlier, Finding, FormatError, Item, Position, Record, RecordError, Rejected
from adapters.ssda903 import Ssda903Adapter, media_type_of, read_day
from exchange import reference
from schemas.ssda903 import SCHEMAS, TABLES
from tests.fixtures import FIXTURES
from tests.fixtures import SAMPLES as OWN

#: the shipped reference data, which the exchange passes to every adapter it builds
PLACES = reference.load()

HERE = Path(__file__).resolve().parent
REFERENCE = FIXTURES / "ssda903"
SAMPLES = REFERENCE / "samples"
OWN_SAMPLES = OWN / "ssda903"

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
CHILD_XML = (
    "<CHILD><HEADER><CHILDID>{id}</CHILDID><UPN>UN1</UPN><SEX>2</SEX><DOB>01/02/2012</DOB><ETHNIC>WBRI</ETHNIC>"
    "<UASC /><MOTHER /><MC_DOB /></HEADER><EPISODE><DECOM>01/04/2020</DECOM><RNE>S</RNE><LS>C2</LS>"
    "<CIN>N1</CIN><PL>U1</PL><PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC /><REC /></EPISODE></CHILD>\n"
)


class ChunkStream(io.RawIOBase):
    """A binary stream read from an iterator of chunks: the whole content never exists at once."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def large_episodes_csv(rows: int) -> BinaryIO:
    """A valid episodes table of ``rows`` synthetic rows, generated while it is read."""

    def chunks() -> Iterator[bytes]:
        yield EPISODES.encode() + b"\r\n"
        for number in range(rows):
            row = f"C{number:08d},01/04/2020,S,C2,N1,U1,PR1,02/05/2021,E11,,AB1 2CD,AB3 4EF,SC123456\r\n"
            yield row.encode()

    return io.BufferedReader(ChunkStream(chunks()))


def large_return_xml(children: int) -> BinaryIO:
    """A valid EXPSSDA903 document of ``children`` synthetic children, generated while it is read."""

    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0" encoding="utf-8"?>\n<EXPSSDA903>\n'
        for number in range(children):
            yield CHILD_XML.format(id=f"C{number:08d}").encode()
        yield b"</EXPSSDA903>\n"

    return io.BufferedReader(ChunkStream(chunks()))


def parse(data: bytes | BinaryIO, **options: Any) -> list[Item]:
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return list(Ssda903Adapter(PLACES, **options).parse(stream))


def records(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def errors(items: list[Item]) -> list[RecordError]:
    """Every fault of every rejected row or child, in order."""
    flat = [fault for item in items for fault in (item.faults if isinstance(item, Rejected) else (item,))]
    return [item for item in flat if isinstance(item, RecordError)]


def csv_faults(items: list[Item]) -> list[tuple[int | None, str | None, str]]:
    """The faults of the rejected rows (those without a child id) and of the refused ones."""
    return [(e.position.row, e.position.column, e.code) for e in errors(items)]


def cells(data: bytes, **options: Any) -> list[Item]:
    """The items of ``data`` read with the rules off: every finding is a faulty cell of a stored row."""
    return parse(data, rules=False, **options)


def found(items: list[Item]) -> list[tuple[int | None, str | None, str]]:
    """(row, column, code) of each finding but the extra-columns query, in order."""
    return [
        (f.position.row, f.position.column, f.code)
        for f in items
        if isinstance(f, Finding) and f.code != "csv.extra_columns"
    ]


def refusal(data: bytes, **options: Any) -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse(data, **options)
    return caught.value


def table_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.DictReader(source))


def bad_upn(upn: str) -> bool:
    """Rule 168 as the reference validator states it, written independently of the adapter."""
    well_formed = (
        len(upn) == 13
        and upn[0] not in "IOS"
        and upn[0].isupper()
        and upn[1:12].isdigit()
        and (upn[12].isdigit() or upn[12].isupper())
    )
    return not (well_formed or re.fullmatch(r"UN[1-5]", upn))


# every reference sample


SMALL_SAMPLES = {
    # file: (records by kind, exact findings on faulty cells as (row, column, code)); every row is stored
    "ad1.csv": ({"ssda903_row": 29}, []),
    "missing.csv": ({"ssda903_row": 43}, []),
    "uasc.csv": ({"ssda903_row": 132}, []),
    "oc3.csv": ({"ssda903_row": 53}, [(2, "ACCOM", "ssda903.133"), (47, "ACCOM", "ssda903.133")]),
    "placed_for_adoption.csv": (
        {"ssda903_row": 29},
        [(row, "REASON_PLACED_CEASED", "ssda903.120") for row in range(2, 31)],
    ),
    "placed_for_adoption_errors.csv": (
        {"ssda903_row": 30},
        [(row, "REASON_PLACED_CEASED", "ssda903.120") for row in range(2, 32)],
    ),
    "sw_episodes.csv": ({"ssda903_row": 1}, [(2, "SW_REASON", "ssda903.SW13STG1")]),
    "liia_SSDA903_2020_header.csv": (
        {"looked_after_child": 5},
        [(2, "UPN", "ssda903.168"), (3, "UPN", "ssda903.168"), (4, "UPN", "ssda903.168")]
        + [(5, "UPN", "ssda903.168"), (6, "ETHNIC", "ssda903.103"), (6, "UPN", "ssda903.168")],
    ),
}


@pytest.mark.parametrize("name", sorted(SMALL_SAMPLES))
def test_small_samples_give_exactly_the_expected_records_and_faults(name: str) -> None:
    kinds, faults = SMALL_SAMPLES[name]
    items = cells((SAMPLES / name).read_bytes())
    assert Counter(r.kind for r in records(items)) == Counter(kinds)
    assert found(items) == faults and csv_faults(items) == []


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("liia_SSDA903_2020_episodes.csv", "TEST_COLUMN"),
        ("liia_SSDA903_episodes_for_testing_fixes_INPUT.csv", None),
    ],
)
def test_samples_with_extra_columns_are_read_with_a_query_naming_them(name: str, extra: str | None) -> None:
    items = parse((SAMPLES / name).read_bytes())
    [finding] = [item for item in items if isinstance(item, Finding) and item.code == "csv.extra_columns"]
    assert (finding.code, finding.severity, finding.record, finding.position) == (
        "csv.extra_columns",
        "query",
        None,
        Position(table="episodes", row=1),
    )
    assert finding.message.startswith("the column(s) ") and "episodes table" in finding.message
    if extra:
        assert extra in finding.message
    assert all(r.kind == "legal_status_episode" for r in records(items))
    assert len(records(items)) + len({e.position.row for e in errors(items)}) == len(
        [row for row in table_rows(SAMPLES / name) if any(value.strip() for value in row.values())]
    )


def test_a_sample_of_no_known_shape_is_refused_whole() -> None:
    error = refusal((SAMPLES / "DoLo.csv").read_bytes())
    assert (error.code, error.message, error.position) == (
        "csv.header",
        "the header row is not that of an SSDA903 table",
        Position(row=1),
    )


@pytest.mark.parametrize(
    "header",
    ["child,sex,dob,ethnic,upn,mother,mc_dob", "MC_DOB,Mother,UPN,ethnic,DOB,Sex,Child"],
)
def test_header_case_and_column_order_do_not_matter(header: str) -> None:
    names = [name.upper() for name in header.split(",")]
    columns = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
    row = dict(zip(columns, ["689661", "1", "11/07/2015", "WBRI", "UN1", "", ""], strict=True))
    items = parse(f"\ufeff{header}\n{','.join(row[n] for n in names)}\n".encode())
    [record] = records(items)
    assert record.kind == "looked_after_child" and record.data["child_id"] == "689661"
    assert record.data["date_of_birth"] == "2015-07-11"


def test_large_header_table_stores_every_row_with_findings_on_the_cells_breaking_168_and_165() -> None:
    path = SAMPLES / "d2i_fake_large" / "header.csv"
    rows = table_rows(path)
    expected = [(n, "UPN", "ssda903.168") for n, row in enumerate(rows, start=2) if bad_upn(row["UPN"])]
    expected += [
        (n, "MOTHER", "ssda903.165")
        for n, row in enumerate(rows, start=2)
        if row["MOTHER"] not in ("", "0", "1")
    ]
    items = cells(path.read_bytes())
    assert sorted(found(items)) == sorted(expected) and csv_faults(items) == []
    assert len(expected) == 297  # 296 UPNs starting I, O or S and one MOTHER of "1.0"
    assert len(records(items)) == len(rows) == 2675
    stored = {r.position.row: r.data for r in records(items)}
    assert all(stored[row]["upn" if column == "UPN" else "mother"] is None for row, column, _ in expected)


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        ("episodes.csv", "legal_status_episode", 5050),
        ("oc2.csv", "ssda903_row", 2675),
        ("previous_permanence.csv", "ssda903_row", 2675),
        ("reviews.csv", "ssda903_row", 12582),
    ],
)
def test_large_tables_are_read_whole_without_faults(name: str, kind: str, count: int) -> None:
    items = parse((SAMPLES / "d2i_fake_large" / name).read_bytes())
    assert errors(items) == []
    assert Counter(r.kind for r in records(items)) == {kind: count}
    assert [r.position.row for r in records(items)] == list(range(2, count + 2))


def test_fake_xml_return_gives_every_child_and_exactly_the_faulty_records() -> None:
    path = SAMPLES / "d2i_fake_large" / "fake_903.xml"
    tree = etree.parse(str(path))
    children = tree.getroot().findall("CHILD")
    bad = {n for n, child in enumerate(children, start=1) if bad_upn(child.findtext("HEADER/UPN"))}
    items = cells(path.read_bytes())
    cell_findings = [f for f in items if isinstance(f, Finding)]
    assert [f.position.xpath for f in cell_findings if f.code == "ssda903.168"] == [
        f"/EXPSSDA903/CHILD[{n}]/HEADER/UPN" for n in sorted(bad)
    ]
    assert Counter(f.code for f in cell_findings) == {"ssda903.168": 40, "ssda903.120": 3, "ssda903.133": 1}
    assert errors(items) == [] and all(f.position.line for f in cell_findings)
    kinds = Counter(r.kind for r in records(items))
    assert kinds["looked_after_child"] == len(children) == 253
    assert kinds["legal_status_episode"] == len(tree.getroot().findall("CHILD/EPISODE")) == 459
    reviews = [r for r in records(items) if r.kind == "ssda903_row" and r.data["table"] == "reviews"]
    assert len(reviews) == len(tree.getroot().findall("CHILD/HEADER/AREVIEW"))


def test_no_message_repeats_the_faulty_cell() -> None:
    for path in sorted(SAMPLES.glob("*.csv")) + [SAMPLES / "d2i_fake_large" / "header.csv"]:
        try:
            items = cells(path.read_bytes())
        except FormatError:
            continue
        rows = table_rows(path)
        for error in [*errors(items), *(f for f in items if isinstance(f, Finding) and f.position.column)]:
            value = rows[error.position.row - 2][error.position.column].strip()
            assert not value or value not in error.message, (path.name, error)
            assert rows[error.position.row - 2]["CHILD"] not in error.message


# CSV header and rows


def test_bom_is_dropped_and_the_table_found_either_way() -> None:
    data = (SAMPLES / "sw_episodes.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert found(cells(data)) == found(cells(data[3:])) == [(2, "SW_REASON", "ssda903.SW13STG1")]


def test_columns_in_another_order_are_read_by_name() -> None:
    items = parse(b"DUC,SEX,DOB,CHILD\n01/01/2030,1,02/02/2012,K7\n")
    assert [r.data for r in records(items)] == [
        {"table": "uasc", "child_id": "K7", "fields": {"duc": "2030-01-01"}}
    ]


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER", "csv.columns", "the header table lacks column(s) MC_DOB"),
        (
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOBB",
            "csv.columns",
            "the header table lacks column(s) MC_DOB and has unknown column(s) at position(s) 7",
        ),
        (
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,DOB",
            "csv.columns",
            "the header table has a column repeated",
        ),
        (
            "566910,2,27/03/2008,WROM,D051910639385,,",
            "csv.header",
            "the header row is not that of an SSDA903 table",
        ),
        ("", "csv.header", "the file is empty"),
    ],
)
def test_a_wrong_header_refuses_the_file(header: str, code: str, message: str) -> None:
    error = refusal(f"{header}\n689661,1,11/07/2015,WBRI,UN1,,\n".encode() if header else b"")
    assert (error.code, error.message, error.position) == (code, message, Position(row=1))


def test_header_only_file_has_no_records() -> None:
    assert parse(f"{EPISODES}\r\n".encode()) == []


def test_header_row_becomes_a_looked_after_child() -> None:
    [record] = parse(f"{HEADER}\nK7,2,11/07/2009,BAFR,A123456789012,1,03/04/2024\n".encode())
    assert record == Record(
        "looked_after_child",
        {
            "child_id": "K7",
            "sex": "F",
            "date_of_birth": "2009-07-11",
            "ethnicity": "BAFR",
            "upn": "A123456789012",
            "mother": True,
            "mother_child_dob": "2024-04-03",
        },
        Position(table="header", row=2),
    )


def test_episode_row_becomes_a_legal_status_episode_without_postcodes_or_urn() -> None:
    [record] = parse(f"{EPISODES}\nK7,01/04/2020,S,C2,N1,K3,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n".encode())
    assert record.data == {
        "child_id": "K7",
        "start_date": "2020-04-01",
        "reason_new_episode": "S",
        "legal_status": "C2",
        "cin": "N1",
        "placement": "K3",
        "placement_provider": "PR1",
        "end_date": None,
        "reason_episode_ceased": None,
        "reason_place_change": None,
    }


def test_each_faulty_cell_is_reported_with_its_rule_and_the_good_rows_kept() -> None:
    data = (
        f"{EPISODES}\n"
        "K1,31/02/2020,S,C9,N1,U1,PR1,,,,AB1 2CD,NOT A POSTCODE,\n"
        "K2,01/04/2020,S,C2,N1,U1,PR1,,,,,,\n"
        "K3,01/04/2020,S,C2,N1\n"
        ",,,,,,,,,,,,\n"
        "K4,,S,C2,N1,U1,PR1,,,,,,\n"
    ).encode()
    items = cells(data)
    assert found(items) == [
        (2, "DECOM", "ssda903.141"),
        (2, "LS", "ssda903.144"),
        (2, "PL_POST", "ssda903.pattern"),
        (6, "DECOM", "ssda903.141"),
    ]
    assert csv_faults(items) == [(4, None, "csv.cells")]
    assert errors(items)[0].message == "the row has 5 cells where the episodes table has 13 columns"
    # the rows stay, each faulty cell missing; the findings carry DfE's wording, or the exchange's own
    assert [(r.position.row, r.data["start_date"], r.data["legal_status"]) for r in records(items)] == [
        (2, None, None),
        (3, "2020-04-01", "C2"),
        (6, None, "C2"),
    ]
    messages = [f.message for f in items if isinstance(f, Finding)]
    assert messages[0] == "Date episode began is not a valid date."
    assert messages[2] == "PL_POST does not have the form the SSDA903 return requires"
    assert all(f.severity == "error" and f.record for f in items if isinstance(f, Finding))


def test_columns_without_a_903_rule_get_the_exchange_codes() -> None:
    data = (
        b"CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,"
    )
    data += b"SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n"
    data += b"K1,2012-01-01,41,,2,,,,,,,\nK2,01/01/2012,x,,,,,,,,,\n"
    assert found(cells(data)) == [
        (2, "DOB", "ssda903.date"),
        (2, "SDQ_SCORE", "ssda903.180"),
        (2, "CONVICTED", "ssda903.code"),
        (3, "SDQ_SCORE", "ssda903.180"),
    ]


def test_a_quoted_line_break_stays_in_one_spreadsheet_row() -> None:
    data = f'{HEADER}\n"K\n1",1,01/01/2010,WBRI,UN1,,\nK2,1,99/01/2010,WBRI,UN1,,\n'.encode()
    items = cells(data)
    assert records(items)[0].data["child_id"] == "K\n1"
    assert found(items) == [(3, "DOB", "ssda903.102")]


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+44 20", "-1+1", "@SUM(A1:A2)", "=1,2"])
def test_formula_like_cells_are_plain_data(value: str) -> None:
    quoted = '"' + value.replace('"', '""') + '"'
    items = cells(f"{HEADER}\n{quoted},1,01/01/2010,WBRI,UN1,,\nK2,1,{quoted},WBRI,UN1,,\n".encode())
    assert records(items)[0].data["child_id"] == value
    [finding] = [f for f in items if isinstance(f, Finding)]
    assert (finding.position, finding.code) == (Position(table="header", row=3, column="DOB"), "ssda903.102")
    assert value not in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "01/02/2015",
        "29/02/2016",
        "1/2/2015",
        "01/2/2015",
        " 1/02/2015",
        "29/02/2015",
        "00/01/2015",
        "01/13/2015",
        "01/01/0000",
        "+1/01/2015",
        "01-01-2015",
        "2015-01-01",
        "01/01/15",
        "\uff11\uff11/01/2015",
        "1\u00b2/01/2015",
    ],
)
def test_a_date_is_read_as_strptime_reads_it(text: str) -> None:
    """The usual ten characters are read without ``strptime``: every text gives what ``strptime`` gives."""
    try:
        expected = datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        expected = None
    try:
        assert read_day(text) == expected
    except ValueError:
        assert expected is None


def test_text_that_is_not_utf8_refuses_the_file_at_its_row() -> None:
    data = f"{HEADER}\nK1,1,01/01/2010,WBRI,UN1,,\n".encode() + "K2é,1,01/01/2010,WBRI,UN1,,\n".encode(
        "cp1252"
    )
    error = refusal(data)
    assert (error.code, error.position) == ("csv.encoding", Position(table="header", row=3))


def test_broken_quoting_and_overlong_lines_refuse_the_file() -> None:
    assert refusal(f'{HEADER}\n"K1,1,01/01/2010,WBRI,UN1,,\n'.encode()).code == "csv.syntax"
    assert refusal(HEADER.encode() + b"\n" + b"x" * (1 << 21)).code == "csv.line_length"


def test_collection_year_checks_that_years_codes_and_tables() -> None:
    header = f"{HEADER}\nK1,1,01/01/2010,WBRI,UN1,,\nK2,M,01/01/2010,WBRI,UN1,,\n".encode()
    assert found(cells(header)) == []
    assert found(cells(header, collection_year=2024)) == [(3, "SEX", "ssda903.101")]
    assert found(cells(header, collection_year=2025)) == [(2, "SEX", "ssda903.101")]
    episode = f"{EPISODES}\nK1,01/04/2020,S,C2,N1,Z11,PR1,,,,,,\n".encode()
    assert found(cells(episode, collection_year=2025)) == [(2, "PLACE", "ssda903.146")]
    assert found(cells(episode, collection_year=2026)) == []
    social_worker = (SAMPLES / "sw_episodes.csv").read_bytes()
    error = refusal(social_worker, collection_year=2023)
    assert (error.code, error.message) == (
        "csv.header",
        "the social_worker table is not part of the 2023 return",
    )


def test_table_definitions_name_only_real_903_rules() -> None:
    with (REFERENCE / "rules" / "903_2024_25_rule_info.csv").open(encoding="utf-8") as source:
        known = {row["Rule code"] for row in csv.DictReader(source)}
    rules = {c["rule"] for t in TABLES.values() for c in t["columns"].values() if "rule" in c}
    assert rules <= known
    assert ",".join(TABLES["header"]["columns"]) == HEADER
    assert ",".join(TABLES["episodes"]["columns"]) == EPISODES


# XML


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
        ("no_child.xml", "xml.empty"),
        ("truncated.xml", "xml.syntax"),
    ],
)
def test_hostile_or_broken_xml_is_refused(name: str, code: str) -> None:
    error = refusal((OWN_SAMPLES / name).read_bytes())
    assert error.code == code
    assert error.position.line is not None


def test_refusals_come_before_any_record() -> None:
    stream = Ssda903Adapter(PLACES).parse(io.BytesIO((OWN_SAMPLES / "doctype.xml").read_bytes()))
    with pytest.raises(FormatError):
        next(stream)


def test_undeclared_entity_is_a_syntax_fault() -> None:
    data = CHILD_XML.format(id="&secret;").encode()
    assert refusal(b"<EXPSSDA903>" + data + b"</EXPSSDA903>").code == "xml.syntax"


def test_an_invalid_child_is_rejected_alone_with_its_line_and_no_value() -> None:
    bad = CHILD_XML.format(id="K2").replace("01/02/2012", "2012-02-01").replace("<LS>C2</LS>", "")
    data = f"<EXPSSDA903>\n{CHILD_XML.format(id='K1')}{bad}{CHILD_XML.format(id='K3')}</EXPSSDA903>".encode()
    items = parse(data)
    assert [(e.position.line, e.position.xpath, e.code) for e in errors(items)] == [
        (3, "/EXPSSDA903/CHILD[2]/HEADER/DOB", "xml.schema"),
        (3, "/EXPSSDA903/CHILD[2]/EPISODE/CIN", "xml.schema"),
    ]
    assert all("2012" not in e.message and "K2" not in e.message for e in errors(items))
    assert [r.data["child_id"] for r in records(items) if r.kind == "looked_after_child"] == ["K1", "K3"]


def test_xml_and_csv_give_the_same_records() -> None:
    xml = (
        "<EXPSSDA903><CHILD><HEADER><CHILDID>K7</CHILDID><UPN>A123456789012</UPN><SEX>1</SEX><DOB>11/07/2009</DOB>"
        "<ETHNIC>BAFR</ETHNIC><UASC>1</UASC><DUC>11/07/2027</DUC><AREVIEW><REVIEW>01/06/2020</REVIEW>"
        "<REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW><MOTHER>0</MOTHER><MC_DOB /></HEADER><EPISODE>"
        "<DECOM>01/04/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL><PL_POST>AB1 2CD</PL_POST>"
        "<PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>02/05/2021</DEC><REC>E11</REC></EPISODE></CHILD></EXPSSDA903>"
    )
    from_xml = [(r.kind, r.data) for r in records(parse(xml.encode()))]
    from_csv = [
        (r.kind, r.data)
        for table in (
            f"{HEADER}\nK7,1,11/07/2009,BAFR,A123456789012,0,\n",
            "CHILD,DOB,SEX,DUC\nK7,11/07/2009,1,11/07/2027\n",
            "CHILD,DOB,REVIEW,REVIEW_CODE\nK7,11/07/2009,01/06/2020,PN1\n",
            f"{EPISODES}\nK7,01/04/2020,S,C2,N1,U1,PR1,02/05/2021,E11,,,AB1 2CD,\n",
        )
        for r in records(parse(table.encode()))
    ]
    assert from_xml == from_csv
    assert [r.position.xpath for r in records(parse(xml.encode()))] == [
        "/EXPSSDA903/CHILD[1]/HEADER",
        "/EXPSSDA903/CHILD[1]/HEADER",
        "/EXPSSDA903/CHILD[1]/HEADER/AREVIEW[1]",
        "/EXPSSDA903/CHILD[1]/EPISODE[1]",
    ]


def test_xml_code_faults_point_at_the_element() -> None:
    data = f"<EXPSSDA903>\n{CHILD_XML.format(id='K1').replace('<LS>C2</LS>', '<LS>Q9</LS>')}</EXPSSDA903>"
    [finding] = [f for f in cells(data.encode()) if isinstance(f, Finding)]
    assert (finding.position, finding.code) == (
        Position(line=2, xpath="/EXPSSDA903/CHILD[1]/EPISODE[1]/LS"),
        "ssda903.144",
    )


# schemas, registry, memory


def test_every_sample_record_passes_its_schema_unchanged() -> None:
    paths = [*sorted(SAMPLES.glob("*.csv")), *sorted((SAMPLES / "d2i_fake_large").glob("*"))]
    checked = Counter()
    for path in paths:
        try:
            items = parse(path.read_bytes())
        except FormatError:
            continue
        for record in records(items):
            schema = SCHEMAS[record.kind]()
            assert schema.dump(schema.load(record.data)) == record.data
            checked[record.kind] += 1
    assert set(checked) == set(SCHEMAS)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("ssda903_row", {"table": "oc2", "child_id": "K1", "fields": {"sdq_score": 41}}),
        ("ssda903_row", {"table": "header", "child_id": "K1", "fields": {}}),
        ("ssda903_row", {"table": "reviews", "child_id": "K1", "fields": {"review": "2020-01-01"}}),
        (
            "legal_status_episode",
            {"child_id": "K1", "start_date": "2020-01-01", "legal_status": "C2", "x": 1},
        ),
        (
            "looked_after_child",
            {"child_id": "K1", "sex": "1", "date_of_birth": "2010-01-01", "ethnicity": "WBRI", "upn": "UN1"},
        ),
    ],
)
def test_schemas_are_strict(kind: str, data: dict[str, Any]) -> None:
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        SCHEMAS[kind]().load(data)


def test_registered_as_the_csv_and_zip_default_and_the_xml_profile() -> None:
    assert isinstance(registry.get("ssda903", PLACES), Ssda903Adapter)
    assert isinstance(registry.select_inbound("application/xml", "ssda903", PLACES), Ssda903Adapter)
    assert isinstance(registry.select_inbound("application/zip", None, PLACES), Ssda903Adapter)
    assert Ssda903Adapter.default_for == ("text/csv", "application/zip")


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"PK\x05\x06" + bytes(18), "application/zip"),  # an empty archive
        (b"\xef\xbb\xbf\r\n  <?xml version='1.0'?>", "application/xml"),
        (b"<Message>", "application/xml"),
        (b"CHILD,SEX,DOB\n", "text/csv"),
        (b"PK,not a zip\n", "text/csv"),
        (b"", "text/csv"),
    ],
)
def test_a_files_media_type_is_told_from_its_first_bytes(head: bytes, media_type: str) -> None:
    """(what the LA's upload page sends a file of an SSDA903 return as)"""
    assert media_type_of(head) == media_type


def peak_bytes(stream: BinaryIO) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for item in Ssda903Adapter(PLACES).parse(stream) if not isinstance(item, Finding))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_memory_does_not_grow_with_the_rows() -> None:
    small_count, small = peak_bytes(large_episodes_csv(2_000))
    large_count, large = peak_bytes(large_episodes_csv(20_000))
    assert (small_count, large_count) == (2_000, 20_000)
    assert large < 1.5 * small


def test_xml_memory_does_not_grow_with_the_children() -> None:
    small_count, small = peak_bytes(large_return_xml(500))
    large_count, large = peak_bytes(large_return_xml(5_000))
    assert (small_count, large_count) == (1_000, 10_000)
    assert large < 1.5 * small


RSS_PROBE = """
import resource, sys
sys.path.insert(0, {tests!r})
from test_ssda903 import PLACES, Ssda903Adapter, large_return_xml
from adapters.base import Finding
items = Ssda903Adapter(PLACES).parse(large_return_xml({children}))
count = sum(1 for item in items if not isinstance(item, Finding))
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_xml_process_memory_does_not_grow_with_the_children() -> None:
    """lxml allocates outside Python (tracemalloc cannot see it): compare whole-process peaks instead."""
    peaks = []
    for children in (1_000, 20_000):
        script = RSS_PROBE.format(tests=str(HERE), children=children)
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=HERE.parents[1]
        )
        count, peak = map(int, done.stdout.split())
        assert count == 2 * children
        peaks.append(peak)
    assert peaks[1] < 1.3 * peaks[0]


def test_derived_definitions_are_json_with_their_source() -> None:
    document = json.loads((HERE.parents[1] / "schemas" / "ssda903_tables.json").read_text(encoding="utf-8"))
    assert "liia-tools-pipeline" in document["source"] and "MIT" in document["source"]
    readme = (HERE.parents[1] / "schemas" / "xsd" / "ssda903" / "README.md").read_text(encoding="utf-8")
    assert "MIT" in readme and "csc-data-synthesizer" in readme


RETURN_HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA1,1,01/01/2015,WBRI,A123456789012,,\n"


def test_a_return_of_several_tables_runs_the_rules_across_them() -> None:
    """EPI (a header row with no episode) reads two tables: it runs on a return of both, not on one alone."""
    header = RETURN_HEADER + "B2,2,01/01/2014,WBRI,A123456789013,,\n"
    episodes = f"{EPISODES}\r\nA1,01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\r\n"
    items = list(
        Ssda903Adapter(PLACES, collection_year=2024).parse_return(
            [io.BytesIO(header.encode()), io.BytesIO(episodes.encode())]
        )
    )
    assert len(records(items)) == 3
    found = [(f.code, f.record, f.position.row) for f in items if isinstance(f, Finding)]
    assert ("ssda903.EPI", "B2", 3) in found
    assert not any(record == "A1" and code == "ssda903.EPI" for code, record, _ in found)
    alone = parse(header.encode(), collection_year=2024)
    assert not any(isinstance(f, Finding) and f.code == "ssda903.EPI" for f in alone)


def test_the_rules_run_in_batches_of_children_give_the_findings_of_the_whole_return(monkeypatch) -> None:
    from adapters.ssda903_rules import spool

    def found() -> Counter:
        folder = SAMPLES / "d2i_fake_large"
        streams = [(folder / f"{n}.csv").open("rb") for n in ("header", "episodes", "oc2")]
        try:
            items = Ssda903Adapter(PLACES, collection_year=2024).parse_return(streams)
            return Counter((i.code, i.record, i.position.row) for i in items if isinstance(i, Finding))
        finally:
            for stream in streams:
                stream.close()

    monkeypatch.setattr(spool, "BATCH", 10**9)  # one batch: the whole return at once
    whole = found()
    monkeypatch.setattr(spool, "BATCH", 7)
    assert found() == whole and sum(whole.values()) > 1000


def test_a_row_with_a_faulty_cell_is_stored_and_takes_part_in_the_rules_with_one_finding_for_it() -> None:
    """A header row with a faulty UPN (168) is stored, the UPN missing, with one finding; it is still the
    child's header for the rules: its episode is no orphan."""
    header = RETURN_HEADER.replace("A123456789012", "")
    episodes = f"{EPISODES}\r\nA1,01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\r\n"
    items = list(
        Ssda903Adapter(PLACES, collection_year=2024).parse_return(
            [io.BytesIO(header.encode()), io.BytesIO(episodes.encode())]
        )
    )
    assert not [item for item in items if isinstance(item, Rejected)]
    [child] = [r for r in records(items) if r.kind == "looked_after_child"]
    assert (child.data["child_id"], child.data["upn"]) == ("A1", None)
    codes = [item.code for item in items if isinstance(item, Finding)]
    assert codes.count("ssda903.168") == 1 and "ssda903.INT03" not in codes
    [upn] = [item for item in items if isinstance(item, Finding) and item.code == "ssda903.168"]
    assert (upn.record, upn.position, upn.severity) == (
        "A1",
        Position(table="header", row=2, column="UPN"),
        "error",
    )
    orphan = episodes.replace("A1,", "Z9,")
    alone = Ssda903Adapter(PLACES, collection_year=2024).parse_return(
        [io.BytesIO(header.encode()), io.BytesIO(orphan.encode())]
    )
    assert "ssda903.INT03" in {item.code for item in alone if isinstance(item, Finding)}


def test_a_row_without_a_child_id_is_rejected_with_every_fault_and_takes_no_part_in_the_rules() -> None:
    data = f"{HEADER}\n,1,99/01/2010,WBRI,UN1,,\nK2,1,01/01/2010,WBRI,UN1,,\n".encode()
    items = parse(data, collection_year=2024)
    [rejected] = [item for item in items if isinstance(item, Rejected)]
    assert [(f.position, f.code) for f in rejected.faults] == [
        (Position(table="header", row=2, column="CHILD"), "ssda903.required"),
        (Position(table="header", row=2, column="DOB"), "102"),
    ]
    assert [r.data["child_id"] for r in records(items)] == ["K2"]
    assert all(f.record == "K2" for f in items if isinstance(f, Finding))


def test_last_years_return_given_runs_the_rules_that_compare_with_it_on_this_years_rows_only() -> None:
    """203: A1's date of birth differs from last year's; B2's agrees; C3 is only in last year's return."""
    this_year = f"{HEADER}\nA1,1,01/01/2015,WBRI,A123456789012,,\nB2,2,01/01/2014,WBRI,A123456789013,,\n"
    last_year = f"{HEADER}\nA1,1,02/01/2015,WBRI,A123456789012,,\nB2,2,01/01/2014,WBRI,A123456789013,,\n"
    last_year += "C3,2,01/01/2013,WBRI,A123456789014,,\n,2,01/01/2013,WBRI,A123456789014,,\n"

    def items(previous: list[bytes] | None) -> list[Item]:
        adapter = Ssda903Adapter(PLACES, collection_year=2025)
        return list(
            adapter.parse_return(
                [io.BytesIO(this_year.encode())],
                None if previous is None else [Earlier(io.BytesIO(data)) for data in previous],
            )
        )

    with_last = items([last_year.encode()])
    assert [(r.data["child_id"], r.position.row) for r in records(with_last)] == [("A1", 2), ("B2", 3)]
    assert errors(with_last) == []  # last year's faults are not this return's
    compared = [
        (f.record, f.position) for f in with_last if isinstance(f, Finding) and f.code == "ssda903.203"
    ]
    assert compared == [("A1", Position(table="header", row=2, column="DOB"))]
    assert not any(f.record == "C3" for f in with_last if isinstance(f, Finding))
    without = items(None)
    assert not any(isinstance(f, Finding) and f.code == "ssda903.203" for f in without)
    assert [f for f in with_last if isinstance(f, Finding) and f.code != "ssda903.203"] == [
        f for f in without if isinstance(f, Finding)
    ]


def test_last_years_return_given_empty_is_one_query_finding_that_its_rules_were_not_run() -> None:
    this_year = f"{HEADER}\nA1,M,01/01/2015,WBRI,A123456789012,,\n".encode()
    last_year = f"{HEADER}\nA1,1,02/01/2015,WBRI,A123456789012,,\n".encode()
    adapter = Ssda903Adapter(PLACES, 2025)
    absent = list(adapter.for_year(2025, []).parse(io.BytesIO(this_year)))
    notices = [f for f in absent if isinstance(f, Finding) and f.record is None]
    assert [(f.code, f.severity, f.position) for f in notices] == [
        ("ssda903.previous_return_absent", "query", Position())
    ]
    assert not any(isinstance(f, Finding) and f.code == "ssda903.203" for f in absent)
    given = list(adapter.for_year(2025, [Earlier(io.BytesIO(last_year))]).parse(io.BytesIO(this_year)))
    assert [f.code for f in given if isinstance(f, Finding)] == ["ssda903.203"]
    assert not any(isinstance(f, Finding) for f in adapter.parse(io.BytesIO(this_year)))  # not looked up


@pytest.mark.parametrize(
    ("head", "parts"),
    [
        (f"{HEADER}\nA1,M,01/01/2015,WBRI,A123456789012,,\n".encode(), {"header"}),
        (f"\ufeff{EPISODES.lower()}\n".encode(), {"episodes"}),
        (b"<EXPSSDA903>" + CHILD_XML.format(id="A1").encode() + b"</EXPSSDA903>", set(TABLES)),
        (b"NOT,A,TABLE\n1,2,3\n", set()),
        (b"\xff\xfe", set()),
    ],
)
def test_parts_are_the_tables_a_stream_gives_without_reading_it_whole(head: bytes, parts: set[str]) -> None:
    assert Ssda903Adapter(PLACES).parts(io.BytesIO(head)) == parts


def test_the_years_a_submitter_may_name_are_those_with_a_rule_catalogue() -> None:
    from adapters.ssda903_rules import YEARS

    adapter = Ssda903Adapter(PLACES)
    assert adapter.collection_years == YEARS == (2024, 2025)
    assert (adapter.for_year(2024).collection_year, adapter.for_year(2024).rule_year) == (2024, 2024)
    with pytest.raises(ValueError, match="reads no collection year"):
        registry.get("canonical-json", PLACES).for_year(2025)
