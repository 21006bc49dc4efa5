"""An SSDA903 return sent as a zip archive of its tables: read as one return, so the rules run across tables.

Every data set is synthetic.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from adapters.base import Earlier, Finding, FormatError, Item, Position, Record
from adapters.ssda903 import Ssda903Adapter
from exchange import reference
from schemas.ssda903 import TABLES
from tests.fixtures import zip_of

PLACES = reference.load()
HEADER = (
    b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
    b"A1,1,01/01/2015,WBRI,A123456789012,,\n"
    b"B2,2,01/01/2014,WBRI,A123456789013,,\n"
)
EPISODES = (
    b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    b"A1,01/05/2023,S,C2,N1,U1,PR1,,,,AB1 2CD,AB3 4EF,SC123456\n"
)
XML = b"<EXPSSDA903><CHILD><HEADER><CHILDID>A1</CHILDID></HEADER></CHILD></EXPSSDA903>"


def parse(data: bytes, **options: Any) -> list[Item]:
    return list(Ssda903Adapter(PLACES, collection_year=2024, **options).parse(io.BytesIO(data)))


def findings(items: list[Item], code: str) -> list[tuple[str | None, Position]]:
    return [(f.record, f.position) for f in items if isinstance(f, Finding) and f.code == code]


def refusal(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse(data)
    return caught.value


def test_a_zip_of_tables_is_one_return_whose_rules_read_across_them() -> None:
    """EPI (a header row with no episode) reads the header and episodes tables: B2 has no episode."""
    items = parse(zip_of({"return/header.csv": HEADER, "return/episodes.csv": EPISODES}))
    assert [(r.kind, r.data["child_id"], r.position) for r in items if isinstance(r, Record)] == [
        ("looked_after_child", "A1", Position(table="header", row=2)),
        ("looked_after_child", "B2", Position(table="header", row=3)),
        ("legal_status_episode", "A1", Position(table="episodes", row=2)),
    ]
    assert findings(items, "ssda903.EPI") == [("B2", Position(table="header", row=3, column="CHILD"))]
    assert findings(parse(zip_of({"header.csv": HEADER})), "ssda903.EPI") == []
    assert findings(parse(HEADER), "ssda903.EPI") == []


def test_tables_earlier_submissions_gave_are_read_with_the_stream_and_only_its_tables_rules_run() -> None:
    """The header came earlier (``this_year``): EPI reads it with the episodes and fires in its row 3; 611
    (a mother without her child's date of birth) reads the header alone and was the earlier submission's."""
    header = HEADER + b"C3,2,01/01/2005,WBRI,A123456789014,1,\n"
    adapter = Ssda903Adapter(PLACES, collection_year=2024)
    assert findings(list(adapter.parse(io.BytesIO(header))), "ssda903.611") == [
        ("C3", Position(table="header", row=4, column="MC_DOB"))
    ]
    items = list(adapter.for_year(2024, None, [Earlier(io.BytesIO(header))]).parse(io.BytesIO(EPISODES)))
    assert [(r.kind, r.data["child_id"]) for r in items if isinstance(r, Record)] == [
        ("legal_status_episode", "A1")
    ]
    assert findings(items, "ssda903.EPI") == [
        ("B2", Position(table="header", row=3, column="CHILD")),
        ("C3", Position(table="header", row=4, column="CHILD")),
    ]
    assert findings(items, "ssda903.611") == []


def test_of_an_earlier_submission_only_the_tables_it_is_read_for_are_read() -> None:
    """An earlier zip of the header and episodes whose episodes table the stream replaces (with none): read
    for its header only, A1's episode in it is left out and EPI fires on both children; read whole, the
    zip's episode would keep A1 quiet."""
    zipped = zip_of({"header.csv": HEADER, "episodes.csv": EPISODES})
    no_episodes = EPISODES.split(b"\n")[0] + b"\n"

    def epi(parts: frozenset[str] | None) -> list[str | None]:
        earlier = Earlier(io.BytesIO(zipped), parts)
        items = Ssda903Adapter(PLACES, 2024, this_year=[earlier]).parse(io.BytesIO(no_episodes))
        return [record for record, _ in findings(list(items), "ssda903.EPI")]

    assert epi(frozenset({"header"})) == ["A1", "B2"]
    assert epi(None) == ["B2"]


def test_folders_and_the_hidden_files_archivers_add_are_left_out() -> None:
    data = zip_of(
        {"__MACOSX/._header.csv": b"\x00\x05\x16\x07", ".DS_Store": b"\x00\x00", "header.csv": HEADER}
    )
    assert len([r for r in parse(data) if isinstance(r, Record)]) == 2


def test_the_parts_of_a_zip_are_the_tables_of_its_files() -> None:
    adapter = Ssda903Adapter(PLACES)
    data = zip_of({"header.csv": HEADER, "episodes.csv": EPISODES})
    assert adapter.parts(io.BytesIO(data)) == {"header", "episodes"}
    assert adapter.parts(io.BytesIO(zip_of({"return.xml": XML}))) == set(TABLES)
    assert adapter.parts(io.BytesIO(b"PK\x03\x04 not a zip")) == set()


def many_files() -> bytes:
    return zip_of({f"{n}.csv": HEADER for n in range(65)})


def encrypted() -> bytes:
    """A zip whose one file is marked encrypted (bit 0 of its flags, in its central directory entry)."""
    data = bytearray(zip_of({"header.csv": HEADER}))
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    return bytes(data)


def corrupt() -> bytes:
    """A zip whose one file's deflated bytes are damaged (its index intact)."""
    data = bytearray(zip_of({"header.csv": HEADER * 50}))
    data[40:60] = bytes(20)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"PK\x03\x04 not a zip", "zip.invalid", "the zip archive cannot be read"),
        (zip_of({}), "zip.empty", "the zip archive holds no file"),
        (zip_of({"a/": b"", ".hidden": HEADER}), "zip.empty", "the zip archive holds no file"),
        (many_files(), "zip.too_large", "a zipped return holds at most 64 files and 4 GiB unzipped"),
        (encrypted(), "zip.invalid", "the zip archive is encrypted"),
        (corrupt(), "zip.invalid", "file 1 of the zip cannot be read"),
        (
            zip_of({"h1.csv": HEADER, "e.csv": EPISODES, "h2.csv": HEADER}),
            "zip.table_repeated",
            "file 3 of the zip: it gives the header table an earlier file gave",
        ),
        (
            zip_of({"e.csv": EPISODES, "return.xml": XML}),
            "zip.table_repeated",
            "file 2 of the zip: it gives the episodes table an earlier file gave",
        ),
        (
            zip_of({"inner.zip": zip_of({"header.csv": HEADER})}),
            "zip.invalid",
            "file 1 of the zip: a zip within the zip is not read",
        ),
        (
            zip_of({"header.csv": HEADER, "notes.csv": b"NOT,A,TABLE\n1,2,3\n"}),
            "csv.header",
            "file 2 of the zip: the header row is not that of an SSDA903 table",
        ),
    ],
    ids=[
        "not-zip",
        "empty",
        "only-hidden",
        "too-many",
        "encrypted",
        "corrupt",
        "repeated",
        "xml-and-csv",
        "nested",
        "bad-file",
    ],
)
def test_an_archive_that_cannot_be_read_as_one_return_is_refused_whole(data: bytes, code: str, message: str):
    error = refusal(data)
    assert (error.code, error.message) == (code, message)
