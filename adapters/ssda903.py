"""SSDA903 (children looked after) inbound: the DfE CSV tables and the EXPSSDA903 XML, as canonical records.

The format is told from the first non-blank byte: ``<`` is XML, anything else is one CSV table.

CSV. The table is recognised by its header row: every column name of one table of
``schemas/ssda903_tables.json`` (derived from the liia-tools-pipeline 2017 schema and its yearly diffs),
each once, in any order (the DfE tool's uasc table puts SEX before DOB, the liia schema after) and in any
case (``child`` is ``CHILD``). Columns no table has (an LA's extract often carries one) are ignored, and
one ``query`` finding ``csv.extra_columns`` names them. A header that is no table's, or a table's with a
column missing or repeated, refuses the whole file (``FormatError`` ``csv.header`` / ``csv.columns``):
every row would be read wrongly. Rows are read one at a time (memory stays flat); a UTF-8 BOM is dropped;
rows whose cells are all blank (spreadsheet exports end with them) are skipped; row numbers are what a
spreadsheet shows (the header is row 1). A row with the wrong number of cells, or without a child id, is
rejected alone (``Rejected`` with one fault per faulty cell, coded with the 903 rule id the fault is, else
``ssda903.*``); a row with a child id is kept whatever its other cells, each faulty cell a ``Finding``
(``ssda903.<rule id>`` with DfE's wording, else ``ssda903.<kind>``) before the record, which holds the
cell as missing. Text that is not UTF-8, a CSV syntax fault or a line over
1 MiB refuses the file. A cell starting ``= + - @`` is plain data (escaped on output).

Rules. The DfE SSDA903 validation rules (``adapters.ssda903_rules``) compare a child's rows across tables,
so every row kept is spooled to a temporary SQLite file (``adapters.ssda903_rules.spool``) and, once the
return is read, the rules run child by child in batches and give one ``Finding`` per breach, after the
records (memory stays flat). ``parse`` reads one table (its own rules only: a rule reading a table not
given is skipped) or one XML return (every table); ``parse_return`` reads the tables of one return given as
separate streams. ``for_year(year, last_year, this_year)`` reads with last year's return and with the tables
of this year's return that earlier submissions gave (``this_year``): then the rules reading a table of the
stream run across them all. The catalogue is the collection year's (2024 or 2025), else the latest shipped.

XML. One ``EXPSSDA903`` document, read with lxml ``iterparse`` under the secure settings; a DOCTYPE (so any
entity declaration or external DTD), a processing instruction, a wrong root or a syntax fault (a truncated
file) refuses the stream. Each ``CHILD`` is detached from the tree when it ends and validated on its own
against the shipped XSD, so line numbers stay and memory stays flat; an invalid child yields one
``Rejected`` with every schema fault, and no records. The groups of a valid child become the rows of the CSV
tables (``PL`` is ``PLACE``; ``UASC``/``DUC`` make a ``uasc`` row) and go through the same cell checks.

Records (field lists in ``schemas/ssda903.py``): ``header`` rows become ``looked_after_child``, ``episodes``
rows ``legal_status_episode``, every other table ``ssda903_row`` (``table``, ``child_id``, ``fields``).
Data minimisation: postcodes (``HOME_POST``, ``PL_POST``) and the placement's Ofsted ``URN`` are checked but
never carried (they locate a child); ``DOB`` and ``SEX`` are carried once, on ``looked_after_child``. Sex is
given as ``M``/``F``/``U`` (the pre-2025 codes 1 and 2 are M and F). Dates become ISO 8601.

Codes: the CSV carries no collection year, so by default a code valid in any year 2017-2026 is accepted;
``Ssda903Adapter(collection_year=2025)`` checks against that year's lists and tables instead.
Messages never repeat a cell's value: it may be a child's id, a date of birth or a postcode.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, BinaryIO

from lxml import etree

from adapters.base import (
    SECURE,
    Adapter,
    Earlier,
    Finding,
    FormatError,
    Item,
    Places,
    Position,
    Record,
    RecordError,
    Rejected,
    declares_doctype,
    entity_expansion,
    rewound,
)
from schemas import error_codes as codes
from schemas.ssda903 import ROW_NOT_CARRIED, TABLES, integer_bounds

if TYPE_CHECKING:  # the rules import this module's code lists
    from adapters.ssda903_rules.spool import Spool

XSD_PATH = files("schemas").joinpath("xsd/ssda903/CLA_EXPSSDA903_2021_v3.3.0.xsd")
ROOT = "EXPSSDA903"
MAX_LINE = 1 << 20
SNIFF = 512
#: the key of a row's number in the rows given to the rules (``adapters.ssda903_rules.ROW``)
ROW = "_row"
#: the key of a rejected row's fault codes in the rows given to the rules
FAULTS = "_faults"
#: the key of a CSV row's table in the rows given to the rules (``adapters.ssda903_rules.TABLE``)
TABLE = "_table"
#: how a zip archive starts (an empty one, or its first file's header)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: the media types of a return's files, as ``media_type_of`` tells them
ZIP, XML, CSV = "application/zip", "application/xml", "text/csv"
#: a zipped return holds at most this many files, and this many bytes once inflated
ZIP_FILES = 64
ZIP_BYTES = 4 << 30

#: table -> (record kind, column -> canonical field) for the tables with a kind of their own
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "header": (
        "looked_after_child",
        {
            "CHILD": "child_id",
            "SEX": "sex",
            "DOB": "date_of_birth",
            "ETHNIC": "ethnicity",
            "UPN": "upn",
            "MOTHER": "mother",
            "MC_DOB": "mother_child_dob",
        },
    ),
    "episodes": (
        "legal_status_episode",
        {
            "CHILD": "child_id",
            "DECOM": "start_date",
            "RNE": "reason_new_episode",
            "LS": "legal_status",
            "CIN": "cin",
            "PLACE": "placement",
            "PLACE_PROVIDER": "placement_provider",
            "DEC": "end_date",
            "REC": "reason_episode_ceased",
            "REASON_PLACE_CHANGE": "reason_place_change",
        },
    ),
}
SEX_CODES = {"1": "M", "2": "F"}
#: the rows of each table, as text, by column

#: XML groups under HEADER that are rows of a table: (table, repeated element or None for HEADER's own cells)
XML_GROUPS: tuple[tuple[str, str | None], ...] = (
    ("uasc", None),
    ("ad1", None),
    ("oc3", None),
    ("missing", "AMISSING"),
    ("reviews", "AREVIEW"),
    ("prev_perm", "PERMANENCE"),
    ("oc2", "OC2"),
    ("placed_adoption", "AD_PLACED"),
)
XML_TAGS = {"CHILD": "CHILDID", "PLACE": "PL"}


@dataclass(frozen=True)
class Column:
    """One column of a table, as the derived schema defines it for one collection year (or all)."""

    name: str
    type: str
    required: bool
    rule: str | None
    codes: frozenset[str] | None
    pattern: re.Pattern[str] | None
    bounds: tuple[int, int]  # read for integer columns only


class CellFault(ValueError):
    """A cell breaks its column's definition; ``kind`` names the exchange's code when no 903 rule applies."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@cache
def columns(table: str, year: int | None) -> dict[str, Column]:
    """The columns of ``table`` in header order, with the codes of ``year`` (every year's when None)."""
    result = {}
    for name, spec in TABLES[table]["columns"].items():
        codes = None
        if "codes" in spec:
            lists = spec["codes"]
            if year is None:
                codes = frozenset(code for codes_of_year in lists.values() for code in codes_of_year)
            else:
                codes = frozenset(lists[max((y for y in lists if int(y) <= year), default=min(lists))])
        result[name] = Column(
            name=name,
            type=spec["type"],
            required=spec["required"],
            rule=spec.get("rule"),
            codes=codes,
            pattern=re.compile(spec["pattern"]) if "pattern" in spec else None,
            bounds=integer_bounds(spec),
        )
    return result


def read_day(text: str) -> date:
    """A dd/mm/yyyy date (ValueError otherwise): the usual ten characters read directly, any other form
    (a day or month of one digit) as ``strptime`` reads it."""
    if (
        len(text) == 10
        and text[2] == text[5] == "/"
        and text.isascii()
        and text[:2].isdigit()
        and text[3:5].isdigit()
        and text[6:].isdigit()
    ):
        return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    return datetime.strptime(text, "%d/%m/%Y").date()


def clean_cell(column: Column, raw: str) -> Any:
    """The value of one cell (None when blank; a date as ``date``), or ``CellFault``; the message names no
    value."""
    value = raw.strip()
    if not value:
        if column.required:
            raise CellFault("required", f"{column.name} is blank but must be given")
        return None
    if column.type == "date":
        try:
            return read_day(value)
        except ValueError:
            raise CellFault("date", f"{column.name} is not a date in the form dd/mm/yyyy") from None
    if column.type == "integer":
        if not value.isascii() or not value.isdigit():
            raise CellFault("integer", f"{column.name} is not a whole number")
        number, (low, high) = int(value), column.bounds
        if not low <= number <= high:
            raise CellFault("integer", f"{column.name} is outside {low}-{high}")
        return number
    if column.codes is not None:
        if value not in column.codes:
            raise CellFault("code", f"{column.name} is not a code of its SSDA903 list")
        return SEX_CODES.get(value, value) if column.name == "SEX" else value
    if column.pattern is not None and not column.pattern.fullmatch(value):
        raise CellFault("pattern", f"{column.name} does not have the form the SSDA903 return requires")
    return value


def check_row(
    table: str,
    values: dict[str, str],
    year: int | None,
    position: Position,
    cell_position: Callable[[str], Position],
    spool: Spool | None = None,
) -> Iterator[Record | Rejected | Finding]:
    """The record of one row of ``table`` (only the columns given) with a finding per faulty cell; or, when
    the row cannot be identified (its ``CHILD`` is blank or faulty), its rejection with every faulty cell.

    A faulty cell of an identified row is a finding (``ssda903.<rule id>``, else ``ssda903.<kind>``) and its
    value is stored as missing; a date is stored as ISO 8601 text. Every row with a child id is also written
    to ``spool`` for the return's rules (every column, its ``_row`` and ``_table``), as DfE's tool reads it (a
    date as ``date``, a faulty cell as its text, an integer's as blank; as ``engine.normalise`` gives it),
    with the rule ids of its faults (``_faults``) so that no rule reports them a second time.
    """
    definitions = columns(table, year)
    clean: dict[str, Any] = {}
    read: dict[str, Any] = {}  # what the rules see: a faulty cell as its text
    faults = []
    for name, raw in values.items():
        try:
            value = read[name] = clean_cell(definitions[name], raw)
            clean[name] = value.isoformat() if type(value) is date else value
        except CellFault as fault:
            code = definitions[name].rule or f"ssda903.{fault.kind}"
            faults.append(RecordError(cell_position(name), code, fault.message))
            clean[name] = None
            read[name] = None if definitions[name].type == "integer" else raw.strip() or None
    child = clean.get("CHILD")
    if spool is not None and child is not None:
        row = {**read, ROW: position.row, TABLE: position.table, FAULTS: [fault.code for fault in faults]}
        if faults:  # a faulty cell's text, read as the rules read it (the clean cells are already)
            from adapters.ssda903_rules.engine import normalise

            row = normalise(row)
        spool.add(table, row)
    if child is None:
        yield Rejected(position, tuple(faults))
        return
    for fault in faults:
        yield cell_finding(fault, child, year)
    yield make_record(table, clean, position)


def cell_finding(fault: RecordError, child: str, year: int | None) -> Finding:
    """The finding of a faulty cell of a stored row: a DfE rule's code, severity and wording (the
    catalogue of ``year``, else the latest), or the exchange's ``ssda903.<kind>`` and its own message."""
    if fault.code.startswith("ssda903."):
        return Finding(fault.code, "error", child, fault.position, fault.message)
    from adapters.ssda903_rules import YEARS, catalogue

    entry = catalogue(year if year in YEARS else max(YEARS)).get(fault.code)
    return Finding(
        f"ssda903.{fault.code}",
        entry.severity if entry else "error",
        child,
        fault.position,
        entry.message if entry else fault.message,
    )


def media_type_of(head: bytes) -> str:
    """What a file of a return is, told from its first bytes (a file's name is the sender's text): a zip of
    tables, the XML return (its first character, after any BOM and blank, is ``<``), else a CSV table."""
    if head.startswith(ZIP_MAGIC):
        return ZIP
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return XML
    return CSV


def make_record(table: str, clean: dict[str, Any], position: Position) -> Record:
    if table in KINDS:
        kind, fields = KINDS[table]
        data = {field: clean[column] for column, field in fields.items()}
        if kind == "looked_after_child" and data["mother"] is not None:
            data["mother"] = data["mother"] == "1"
        return Record(kind, data, position)
    carried = {name.lower(): value for name, value in clean.items() if name not in ROW_NOT_CARRIED}
    return Record("ssda903_row", {"table": table, "child_id": clean["CHILD"], "fields": carried}, position)


class Ssda903Adapter(Adapter):
    """Reads the SSDA903 CSV tables and the EXPSSDA903 XML (see the module docstring for every decision)."""

    name = "ssda903"
    description = (
        "DfE SSDA903 children-looked-after return: CSV tables (header, episodes, ...) or EXPSSDA903 XML"
    )
    media_types = (CSV, XML, ZIP)
    default_for = (CSV, ZIP)
    inbound = True
    reads_last_year = True

    def __init__(
        self,
        places: Places,
        collection_year: int | None = None,
        *,
        rules: bool = True,
        last_year: Sequence[Earlier] | None = None,
        this_year: Sequence[Earlier] = (),
    ) -> None:
        super().__init__(places)
        self.collection_year = collection_year
        self.rules = rules
        self.last_year = last_year
        self.this_year = this_year

    @property
    def collection_years(self) -> tuple[int, ...]:
        from adapters.ssda903_rules import YEARS

        return YEARS

    def for_year(
        self,
        collection_year: int,
        last_year: Sequence[Earlier] | None = None,
        this_year: Sequence[Earlier] = (),
    ) -> Ssda903Adapter:
        return Ssda903Adapter(
            self.places, collection_year, rules=self.rules, last_year=last_year, this_year=this_year
        )

    def parts(self, stream: BinaryIO) -> frozenset[str]:
        """The tables a stream gives: every table (XML), the one whose header row it starts with (CSV), or
        those of its files (zip)."""
        head = stream.read(SNIFF)
        if media_type_of(head) != ZIP:
            return self.file_parts(head, rewound(head, stream))
        found: set[str] = set()
        try:
            with zipped(rewound(head, stream)) as (archive, files):
                for number, info in enumerate(files, start=1):
                    with zip_file(archive, info, number) as (first, part):
                        found |= self.file_parts(first, part)
        except FormatError:
            return frozenset()
        return frozenset(found)

    def file_parts(self, head: bytes, stream: BinaryIO) -> frozenset[str]:
        """The tables of one CSV table or XML return whose first bytes are ``head``."""
        if media_type_of(head) == XML:
            return frozenset(TABLES)
        try:
            given = next(csv.reader(decoded_lines(stream)), None)
            return frozenset({self.table_of([name.strip().upper() for name in given] if given else None)})
        except (FormatError, UnicodeDecodeError, csv.Error):
            return frozenset()

    @property
    def rule_year(self) -> int:
        """The catalogue the rules run with: the collection year's, else the nearest shipped (the latest)."""
        from adapters.ssda903_rules import YEARS

        wanted = self.collection_year or max(YEARS)
        return min(max(wanted, min(YEARS)), max(YEARS))

    def parse(self, stream: BinaryIO) -> Iterator[Item]:
        """One table (CSV) or a whole return (XML): its records, then the findings of its rules (with the
        adapter's ``last_year`` as last year's return and its ``this_year`` as the tables this year's
        earlier submissions gave)."""
        yield from self.parse_return([stream], self.last_year, self.this_year)

    def parse_return(
        self,
        streams: Iterable[BinaryIO],
        previous: Sequence[Earlier] | None = None,
        others: Sequence[Earlier] = (),
    ) -> Iterator[Item]:
        """The tables of one return, each a stream: every table's records, then the return's findings.

        The rules run once every stream is read, on the tables given (a rule reading a table not given is
        skipped: one table alone runs its own rules); an XML stream gives every table. ``previous`` holds
        last year's return (of each earlier stream, its ``parts``, else every table it gives), read first
        (with last year's code lists; its records, findings and rejections are not given) for the rules
        that compare with it, which run only when it is given; given empty (the submitter has none), a
        ``query`` finding ``ssda903.previous_return_absent`` says that those rules were not run, as DfE's
        tool skips them when last year's file is absent. ``others`` holds this year's other tables (of
        earlier submissions; none that ``streams`` give), read after ``streams`` in the same way: the rules
        read them with the tables given, and only the rules that read a table given run, their findings
        placed wherever the breach is (a finding in a row of another submission's table names that table).
        """
        from adapters.ssda903_rules.spool import Spool

        spool = Spool() if self.rules else None
        try:
            if spool is not None and previous is not None and not previous:
                yield Finding(
                    codes.SSDA903_PREVIOUS_RETURN_ABSENT,
                    "query",
                    None,
                    Position(),
                    "No SSDA903 return of the year before was found for this local authority: the rules "
                    "that compare with last year's return were not run",
                )
            elif spool is not None and previous is not None:
                with spool.last_year():
                    self.spool_only(previous, self.collection_year and self.collection_year - 1, spool)
            for stream in streams:
                yield from self.read(stream, spool)
            if spool is not None and others:
                with spool.others():
                    self.spool_only(others, self.collection_year, spool)
            if spool is not None:
                yield from spool.findings(self.rule_year)
        finally:
            if spool is not None:
                spool.close()

    def spool_only(self, earlier: Sequence[Earlier], year: int | None, spool: Spool) -> None:
        """Spool the rows of each earlier stream's tables (its ``parts``, else all), read with ``year``'s
        code lists (their records, findings and rejections are not given)."""
        reader = Ssda903Adapter(self.places, year, rules=False)
        for given in earlier:
            with spool.only(given.parts):
                for _ in reader.read(given.stream, spool):
                    pass

    def read(self, stream: BinaryIO, spool: Spool | None) -> Iterator[Item]:
        """One stream, CSV, XML or a zip of them (told from its first bytes), its rows spooled for the
        rules."""
        head = stream.read(SNIFF)
        if media_type_of(head) == ZIP:
            yield from self.parse_zip(rewound(head, stream), spool)
        else:
            yield from self.read_file(head, rewound(head, stream), spool)

    def read_file(self, head: bytes, whole: BinaryIO, spool: Spool | None) -> Iterator[Item]:
        """One CSV table or XML return whose first bytes are ``head``."""
        if media_type_of(head) == XML:
            if spool is not None:
                for table in TABLES:
                    spool.table(table)
            yield from self.parse_xml(whole, spool)
        else:
            yield from self.parse_csv(whole, spool)

    # zip

    def parse_zip(self, stream: BinaryIO, spool: Spool | None) -> Iterator[Item]:
        """The files of a zip archive as the tables of one return, in the archive's order. Two files giving
        the same table (or an XML return beside a table) refuse the archive, as does a zip within it; a
        fault refusing a file refuses the archive, its message naming the file by its number."""
        with zipped(stream) as (archive, files):
            given: set[str] = set()
            for number, info in enumerate(files, start=1):
                with zip_file(archive, info, number) as (head, part):
                    tables = self.file_parts(head, part)
                    if tables & given:
                        raise FormatError(
                            codes.ZIP_TABLE_REPEATED,
                            f"it gives the {', '.join(sorted(tables & given))} table an earlier file gave",
                            Position(),
                        )
                given |= tables
            for number, info in enumerate(files, start=1):
                with zip_file(archive, info, number) as (head, part):
                    yield from self.read_file(head, part, spool)

    # CSV

    def parse_csv(self, stream: BinaryIO, spool: Spool | None = None) -> Iterator[Item]:
        """The rows of one table."""
        row_number = 0  # the last row read: a fault while reading is in the next one
        table = None
        try:
            rows = csv.reader(decoded_lines(stream), strict=True)
            given = next(rows, None)
            header = [name.strip().upper() for name in given] if given else given
            table = self.table_of(header)
            extra = [name for name in header if name not in TABLES[table]["columns"]]
            if extra:
                yield Finding(
                    codes.CSV_EXTRA_COLUMNS,
                    "query",
                    None,
                    Position(table=table, row=1),
                    f"the column(s) {', '.join(extra)} are not part of the {table} table and were ignored",
                )
            row_number = 1
            if spool is not None:
                spool.table(table)
            width = len(header)
            for row_number, cells in enumerate(rows, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != width:
                    yield RecordError(
                        Position(table=table, row=row_number),
                        codes.CSV_CELLS,
                        f"the row has {len(cells)} cells where the {table} table has {width} columns",
                    )
                    continue
                values = {n: v for n, v in zip(header, cells, strict=True) if n not in extra}
                yield from check_row(
                    table,
                    values,
                    self.collection_year,
                    Position(table=table, row=row_number),
                    lambda column, row=row_number: Position(table=table, row=row, column=column),
                    spool,
                )
        except UnicodeDecodeError:
            raise FormatError(
                codes.CSV_ENCODING, "the file is not UTF-8 text", Position(table=table, row=row_number + 1)
            ) from None
        except csv.Error:
            raise FormatError(
                codes.CSV_SYNTAX, "the CSV quoting is broken", Position(table=table, row=row_number + 1)
            ) from None

    def table_of(self, header: list[str] | None) -> str:
        """The table whose header row this is, else ``FormatError`` saying what differs (no cell's value)."""
        if not header:
            raise FormatError(codes.CSV_HEADER, "the file is empty", Position(row=1))
        for table, spec in TABLES.items():
            if len(set(header)) == len(header) and set(header) >= set(spec["columns"]):
                if self.collection_year is not None and spec["since"] > self.collection_year:
                    raise FormatError(
                        codes.CSV_HEADER,
                        f"the {table} table is not part of the {self.collection_year} return",
                        Position(row=1),
                    )
                return table
        nearest = max(TABLES, key=lambda table: len(set(header) & set(TABLES[table]["columns"])))
        expected = list(TABLES[nearest]["columns"])
        # a header sharing half its table's columns or fewer is no table's (DoLo, a header-less file)
        if 2 * len(set(header) & set(expected)) <= len(expected):
            raise FormatError(
                codes.CSV_HEADER, "the header row is not that of an SSDA903 table", Position(row=1)
            )
        missing = [name for name in expected if name not in header]
        # positions, not names: an unknown header cell may be a data value of a file without its header row
        extra = [str(number) for number, name in enumerate(header, start=1) if name not in expected]
        problems = []
        if missing:
            problems.append(f"lacks column(s) {', '.join(missing)}")
        if extra:
            problems.append(f"has unknown column(s) at position(s) {', '.join(extra)}")
        if not problems:
            problems.append("has a column repeated")
        raise FormatError(codes.CSV_COLUMNS, f"the {nearest} table {' and '.join(problems)}", Position(row=1))

    # XML

    def parse_xml(self, stream: BinaryIO, spool: Spool | None = None) -> Iterator[Item]:
        events = etree.iterparse(
            stream,
            events=("start", "end", "pi"),
            **SECURE,
        )
        root = None
        children = 0
        try:
            for event, element in events:
                if event == "pi":
                    raise FormatError(
                        codes.XML_PROCESSING_INSTRUCTION,
                        "processing instructions are not accepted",
                        Position(line=element.sourceline),
                    )
                if root is None:
                    root = element
                    if declares_doctype(element):
                        raise FormatError(codes.XML_DOCTYPE, "a DOCTYPE is not accepted", Position(line=1))
                    if element.tag != ROOT:
                        raise FormatError(
                            codes.XML_ROOT,
                            f"the root element is not {ROOT}",
                            Position(line=element.sourceline),
                        )
                elif event == "end" and element.getparent() is root:
                    children += 1
                    yield from self.child(element, children, spool)
        except etree.XMLSyntaxError as error:
            if entity_expansion(error):
                raise FormatError(codes.XML_DOCTYPE, "a DOCTYPE is not accepted", Position(line=1)) from None
            raise FormatError(
                codes.XML_SYNTAX, "the XML is not well-formed or is truncated", Position(line=error.lineno)
            ) from None
        if root is None:
            raise FormatError(codes.XML_SYNTAX, "the file is empty", Position(line=1))
        if children == 0:
            raise FormatError(
                codes.XML_EMPTY, f"{ROOT} holds no CHILD", Position(line=root.sourceline, xpath=f"/{ROOT}")
            )

    def child(
        self, element: etree._Element, index: int, spool: Spool | None = None
    ) -> Iterator[Record | Rejected]:
        """The records of one CHILD, detached from the document (freeing it) and validated on its own."""
        xpath = f"/{ROOT}/{element.tag}[{index}]"
        alone = etree.Element(ROOT)
        alone.append(element)
        schema = xml_schema()
        if not schema.validate(alone):
            faults = []
            for fault in schema.error_log:
                path = fault.path.replace(f"/{ROOT}/{element.tag}", xpath, 1)
                faults.append(
                    RecordError(
                        Position(line=fault.line, xpath=path),
                        codes.XML_SCHEMA,
                        f"{path.rsplit('/', 1)[-1]} breaks the SSDA903 schema "
                        f"({schema_reason(fault.type_name)})",
                    )
                )
            yield Rejected(Position(line=element.sourceline, xpath=xpath), tuple(faults))
            return
        header = element.find("HEADER")
        child_id = header.findtext("CHILDID", "")
        rows = [("header", header, f"{xpath}/HEADER", frozenset())]
        for table, tag in XML_GROUPS:
            if tag is None:
                if (table == "uasc" and header.findtext("UASC", "").strip() == "1") or any(
                    header.findtext(name, "").strip() for name in carried_columns(table)
                ):
                    rows.append((table, header, f"{xpath}/HEADER", ROW_NOT_CARRIED))
                continue
            for number, group in enumerate(header.iterfind(tag), start=1):
                rows.append((table, group, f"{xpath}/HEADER/{tag}[{number}]", ROW_NOT_CARRIED))
        for number, episode in enumerate(element.iterfind("EPISODE"), start=1):
            rows.append(("episodes", episode, f"{xpath}/EPISODE[{number}]", ROW_NOT_CARRIED))
        for table, group, where, skip in rows:
            yield from self.xml_row(table, group, where, child_id, skip, spool)

    def xml_row(
        self,
        table: str,
        group: etree._Element,
        xpath: str,
        child_id: str,
        skip: frozenset[str],
        spool: Spool | None = None,
    ) -> Iterator[Record | Rejected]:
        """One table row from the cells under ``group`` (an absent optional element is a blank cell)."""
        cells = {
            name: group.find(XML_TAGS.get(name, name)) for name in columns(table, None) if name not in skip
        }
        values = {name: "" if cell is None else cell.text or "" for name, cell in cells.items()}
        values["CHILD"] = child_id

        def cell_position(name: str) -> Position:
            cell = cells.get(name)
            tag = XML_TAGS.get(name, name)
            return Position(line=(group if cell is None else cell).sourceline, xpath=f"{xpath}/{tag}")

        yield from check_row(
            table,
            values,
            self.collection_year,
            Position(line=group.sourceline, xpath=xpath),
            cell_position,
            spool,
        )


def decoded_lines(stream: BinaryIO) -> Iterable[str]:
    """The stream's lines as text, the BOM dropped; a line over ``MAX_LINE`` bytes refuses the file."""
    first = True
    while line := stream.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            raise FormatError(codes.CSV_LINE_LENGTH, "a line is longer than 1 MiB")
        text = line.decode("utf-8")
        yield text.removeprefix("\ufeff") if first else text
        first = False


#: what reading a damaged zip archive or file in it raises
ZIP_FAULTS = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError)


@contextmanager
def zipped(stream: BinaryIO) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]]:
    """The zip archive ``stream`` (copied to a temporary file: a zip is read from its end) and its files,
    leaving out folders and the hidden files archivers add (a name starting ``.``, ``__MACOSX/``).
    ``FormatError`` when it cannot be read, holds no file, an encrypted one, more than ``ZIP_FILES`` files or
    more than ``ZIP_BYTES`` once inflated (each file is read no further than the size it declares)."""
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(stream, copy)
        try:
            archive = zipfile.ZipFile(copy)
        except (*ZIP_FAULTS, OSError, ValueError):
            raise FormatError(codes.ZIP_INVALID, "the zip archive cannot be read", Position()) from None
        with archive:
            files = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and not info.filename.startswith("__MACOSX/")
                and not info.filename.rsplit("/", 1)[-1].startswith(".")
            ]
            if not files:
                raise FormatError(codes.ZIP_EMPTY, "the zip archive holds no file", Position())
            if len(files) > ZIP_FILES or sum(info.file_size for info in files) > ZIP_BYTES:
                raise FormatError(
                    codes.ZIP_TOO_LARGE,
                    f"a zipped return holds at most {ZIP_FILES} files and {ZIP_BYTES >> 30} GiB unzipped",
                    Position(),
                )
            if any(info.flag_bits & 0x1 for info in files):
                raise FormatError(codes.ZIP_INVALID, "the zip archive is encrypted", Position())
            yield archive, files


@contextmanager
def zip_file(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, number: int
) -> Iterator[tuple[bytes, BinaryIO]]:
    """File ``number`` of ``archive``, open: its first bytes and the whole. A zip within it, or a fault
    reading it, refuses the archive, naming the file by its number (its name is the sender's text)."""
    try:
        with archive.open(info) as part:
            head = part.read(SNIFF)
            if media_type_of(head) == ZIP:
                raise FormatError(codes.ZIP_INVALID, "a zip within the zip is not read", Position())
            yield head, rewound(head, part)  # type: ignore[arg-type]
    except FormatError as error:
        raise FormatError(error.code, f"file {number} of the zip: {error.message}", error.position) from None
    except ZIP_FAULTS:
        raise FormatError(codes.ZIP_INVALID, f"file {number} of the zip cannot be read", Position()) from None


def carried_columns(table: str) -> list[str]:
    return [name for name in TABLES[table]["columns"] if name not in ROW_NOT_CARRIED]


def schema_reason(type_name: str) -> str:
    """libxml2's fault kind without its message, which can quote the value (a date of birth, an id)."""
    return type_name.removeprefix("SCHEMAV_").lower().replace("_", "-")


@cache
def xml_schema() -> etree.XMLSchema:
    """The SSDA903 XSD shipped in ``schemas/xsd/ssda903``, loaded once."""
    parser = etree.XMLParser(**SECURE)
    with XSD_PATH.open("rb") as source:
        return etree.XMLSchema(etree.parse(source, parser))
