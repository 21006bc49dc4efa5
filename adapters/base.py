"""The adapter contract: how one partner format becomes canonical records, and back.

An adapter knows nothing of Flask or the database. Inbound, ``parse`` reads a binary stream
incrementally (memory must not grow with the size of the file) and yields, in file order,
``Record`` objects (canonical data, not yet checked against the canonical schemas, which the
pipeline does), ``RecordError`` objects (a record rejected for one fault, with its position), ``Rejected``
objects (a record rejected with every fault it has) and, for a statutory return, ``Finding`` objects (a DfE
validation rule a stored record breaks: the record is kept, the finding is stored beside it).
A fault that makes the rest of the stream unreadable (a DOCTYPE, a wrong root element, a
truncated file, an unknown collection year) raises ``FormatError`` instead: the pipeline then
stores none of the stream's records. Outbound, ``render`` turns canonical records into bytes.
An adapter that needs reference data (the known courts, HMCTS letter codes), the zone of partners' wall
times or the time now reads it from the ``places`` it is built with: the exchange passes its reference
data and its one clock, never a module the adapter must import.

Writing an adapter for your own package::

    class MyAdapter(Adapter):
        name = "my-format"
        media_types = ("text/csv",)
        inbound = True

        def parse(self, stream):
            for row_number, row in enumerate(read_rows(stream), start=2):
                yield Record("case", to_canonical(row), Position(row=row_number))

and register it in your package's metadata under the entry-point group ``exchange.adapters``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from typing import Any, BinaryIO, ClassVar, Protocol

from lxml import etree


@dataclass(frozen=True)
class Position:
    """Where a record stands in its source: a JSON pointer, an XML line and path, or a CSV cell (with the
    table it is in, when the source holds several)."""

    pointer: str | None = None
    line: int | None = None
    xpath: str | None = None
    table: str | None = None
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def __str__(self) -> str:
        if self.pointer is not None:
            return self.pointer
        if self.row is not None:
            where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
            return f"{self.table} {where}" if self.table else where
        if self.line is not None:
            return f"line {self.line}" + (f" ({self.xpath})" if self.xpath else "")
        return self.xpath or ""


@dataclass(frozen=True)
class Record:
    """One canonical record read from a source. ``kind`` names its schema in ``schemas``."""

    kind: str
    data: dict[str, Any]
    position: Position


@dataclass(frozen=True)
class RecordError:
    """A fault in one record: the record is rejected, the others go on."""

    position: Position
    code: str
    message: str


@dataclass(frozen=True)
class Rejected:
    """One record rejected with all its faults (a ``RecordError`` alone is a record with one fault)."""

    position: Position
    faults: tuple[RecordError, ...]


@dataclass(frozen=True)
class Finding:
    """A statutory-return validation rule that a record breaks: reported beside the record, which is kept.

    ``code`` is ``cin.<DfE id>`` or ``ssda903.<DfE id>``; ``severity`` is ``error`` or ``query`` as DfE
    classifies the rule; ``record`` the LA child id (None for a rule about the return as a whole);
    ``message`` DfE's wording, never a value read from the file.
    """

    code: str
    severity: str
    record: str | None
    position: Position
    message: str


#: what ``Adapter.parse`` yields
Item = Record | RecordError | Rejected | Finding


@dataclass(frozen=True)
class Earlier:
    """A stream of one of the submitter's earlier submissions, read beside a return (``Adapter.for_year``),
    and the parts of it to read: those no newer submission gave (None: every part it gives)."""

    stream: BinaryIO
    parts: frozenset[str] | None = None


class FormatError(Exception):
    """The stream as a whole cannot be read: nothing from it may be stored."""

    def __init__(self, code: str, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position or Position()


#: lxml parser options for files from outside: no entity resolved, no DTD loaded, nothing fetched from the
#: network, libxml2's limits on depth and text size kept
SECURE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def declares_doctype(element: Any) -> bool:
    """Whether the document ``element`` belongs to has a DOCTYPE: an internal or external DTD, where
    entities could be declared."""
    info = element.getroottree().docinfo
    return bool(info.doctype or info.internalDTD is not None or info.system_url or info.public_id)


def entity_expansion(error: Exception) -> bool:
    """Whether libxml2 stopped a parse because entities expanded too far (a "billion laughs" or quadratic
    blow-up). Only a DOCTYPE can declare such entities; lxml 6.2 reports it before the first element (lxml
    6.1 after it, where the readers' own DOCTYPE check sees the declaration first)."""
    limit = getattr(error, "code", None) == etree.ErrorTypes.ERR_RESOURCE_LIMIT
    return limit and "entity" in str(error).lower()


class Places(Protocol):
    """The reference data and the clock an adapter may consult (the exchange's ``Reference`` is one)."""

    @property
    def courts(self) -> Mapping[str, Any]:
        """Every known family court by FamilyMan code; a court has a ``region_id``."""
        ...

    @property
    def zone(self) -> tzinfo:
        """The zone of England and Wales (Europe/London), in which partners write wall times."""
        ...

    def hmcts_la_code(self, letter_code: str) -> str | None:
        """The exchange's LA code for an HMCTS letter code, or None."""
        ...

    def now(self) -> datetime:
        """The current instant, aware: the exchange's one clock."""
        ...

    def hmcts_la_court(self, letter_code: str) -> str | None:
        """The court of an LA's CCD case whose case data names no court, or None."""
        ...


class Adapter:
    """Base class of every adapter; subclasses set the class attributes and override what they serve."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    media_types: ClassVar[tuple[str, ...]] = ()
    #: media types for which this adapter is chosen when the request names no profile
    default_for: ClassVar[tuple[str, ...]] = ()
    inbound: ClassVar[bool] = False
    outbound: ClassVar[bool] = False

    #: whether a return's rules compare it with the submitter's return of the year before, and read it with
    #: the parts of this year's that the submitter's earlier submissions gave (``for_year``)
    reads_last_year: ClassVar[bool] = False

    def __init__(self, places: Places) -> None:
        self.places = places

    @property
    def collection_years(self) -> tuple[int, ...]:
        """The collection years (each the year a collection ends) a submitter may name: those with rules."""
        return ()

    def for_year(
        self,
        collection_year: int,
        last_year: Sequence[Earlier] | None = None,
        this_year: Sequence[Earlier] = (),
    ) -> Adapter:
        """This adapter reading a return of ``collection_year`` (one of ``collection_years``), with the
        submitter's return of the year before (``last_year``: [] when it has none) and the parts of this
        year's that its earlier submissions gave and the stream read does not (``this_year``)."""
        raise ValueError(f"{self.name} reads no collection year")

    def parts(self, stream: BinaryIO) -> frozenset[str]:
        """The parts of a return a stream of it gives (for ``reads_last_year``: the latest of each part is
        last year's return, or read with this year's); empty when the stream cannot be read."""
        return frozenset()

    def parse(self, stream: BinaryIO) -> Iterator[Item]:
        raise NotImplementedError(f"{self.name} does not read its format")

    def render(self, records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
        raise NotImplementedError(f"{self.name} does not write its format")


def rewound(head: bytes, rest: BinaryIO) -> BinaryIO:
    """``rest`` read again from its start, when ``head`` is what was read ahead of it to tell the format."""
    return io.BufferedReader(_Rewound(head, rest))


class _Rewound(io.RawIOBase):
    """A binary stream whose first bytes, read to tell the format, are read again before the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
