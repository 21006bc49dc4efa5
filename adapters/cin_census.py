"""Inbound adapter ``cin-census``: the DfE Children in Need census XML, collection years 2016-17 to 2026-27.

Clients send ``application/xml; profile=cin-census`` (or ``text/xml``). The file is read with lxml
``iterparse`` one ``Child`` at a time, and each element is cleared once used, so memory stays flat
whatever the file's size. Order of work:

1. Security, before any schema validation: a DOCTYPE (so any entity declaration, internal or external
   DTD), an entity reference or a processing instruction raises ``FormatError``; so do an encoding other
   than UTF-8, bytes that are not UTF-8, a truncated or malformed file and a root other than ``Message``.
2. The envelope ``Message/Header/Children/Child`` is checked in code. The header's
   ``CollectionDetails/Year`` is DfE's: the year the census ends (``2027`` is 2026-27, 1 April 2026 to
   31 March 2027). It chooses the XSD (``schemas/xsd/cin/``, the 2026 schema serving 2026-27 too); a year
   outside 2017-2027 or a header that breaks it raises ``FormatError``. The header becomes one
   ``Record("cin_header", ...)``. (The 2025-26 return, ``2026``, is still read with the pre-proceedings
   block allowed: the exchange read 2026 as the pre-proceedings year before it followed DfE's convention.)
3. Each ``Child`` is validated on its own against that year's schema (derived once per process from the
   shipped copy and the exchange's overlays, see ``schemas/xsd/cin/README.md``). An invalid child is one
   ``Rejected`` with every schema fault; reading goes on. A valid child becomes one
   ``Record("cin_child", ...)``, followed by a ``Finding`` for each DfE validation rule of that year it
   breaks (``adapters.cin_rules``): the child is stored whatever its findings. Rules that compare
   children (a repeated LA child id 8510, a repeated UPN 1520) keep only the ids seen, and rules about the
   return as a whole (2886Q, 2887Q) only counts, so memory stays flat.

Codes: ``xml.*`` (the file), ``cin.*`` (the envelope and header), ``xsd.*`` (a child against the XSD),
and ``cin.<DfE rule id>`` (``cin.1510``, ``cin.8535Q``) for findings. Messages name elements and
never repeat a value (a UPN, a name, a date of birth).

Normalisation: yes/no as ``0/1/true/false/TRUE/FALSE`` becomes a boolean; ``GenderCurrent`` (before
2025) 1/2/0/9 becomes ``sex`` M/F/U/U (0 "not recorded or unborn" and 9 "indeterminate" both have no
M/F meaning, and ``Sex`` from 2025 has only U for both); dates are ISO ``YYYY-MM-DD`` strings.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from functools import cache
from importlib.resources import files
from itertools import starmap
from typing import Any, BinaryIO

from lxml import etree

from adapters import cin_rules
from adapters.base import (
    SECURE,
    Adapter,
    FormatError,
    Item,
    Position,
    Record,
    RecordError,
    Rejected,
    declares_doctype,
    entity_expansion,
    rewound,
)
from schemas import error_codes as codes

#: DfE's collection years (the year the census ends): 2017 is 2016-17, 2027 is 2026-27
YEARS = range(2017, 2028)
#: the newest shipped schema; later years are read with it and their overlays
LATEST_SCHEMA = 2026
#: the first collection year whose children carry ``Sex`` (M/F/U) instead of ``GenderCurrent``
SEX_FROM_YEAR = 2025
#: the overlays applied, in order, to each year's copy of the schema (``schemas/xsd/cin/README.md``)
OVERLAYS = {
    year: ("exchange_overlay_all_years.xsd",)
    + (("exchange_overlay_2026_preproceedings.xsd",) if year >= 2026 else ())
    for year in YEARS
}
GENDER_TO_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}
YES_NO = {"1": True, "true": True, "TRUE": True, "0": False, "false": False, "FALSE": False}
ENVELOPE = ("Message", "Header", "Children", "Child")
XS = "{http://www.w3.org/2001/XMLSchema}"

_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_LIBXML_FAULTS = {
    etree.ErrorTypes.ERR_INVALID_ENCODING: (codes.XML_ENCODING, "The file is not valid UTF-8."),
    etree.ErrorTypes.ERR_INVALID_CHAR: (codes.XML_ENCODING, "The file holds a character XML does not allow."),
    etree.ErrorTypes.ERR_TAG_NOT_FINISHED: (
        codes.XML_TRUNCATED,
        "The file ends before its elements are closed.",
    ),
    etree.ErrorTypes.ERR_DOCUMENT_END: (codes.XML_TRUNCATED, "The file ends before its elements are closed."),
    etree.ErrorTypes.ERR_DOCUMENT_EMPTY: (codes.XML_TRUNCATED, "The file is empty."),
    etree.ErrorTypes.ERR_UNDECLARED_ENTITY: (codes.XML_ENTITY, "Entity references are not allowed."),
}
_DOCTYPE = (codes.XML_DOCTYPE, "A DOCTYPE (DTD or entity declaration) is not allowed.")
#: libxml2 schema fault types -> the exchange's code and a message that cannot carry a value
_XSD_FAULTS = {
    "SCHEMAV_CVC_ENUMERATION_VALID": (codes.XSD_CODE, "is not one of the codes allowed"),
    "SCHEMAV_CVC_PATTERN_VALID": (codes.XSD_PATTERN, "does not have the required form"),
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": (codes.XSD_DATATYPE, "is not a valid value of its type"),
    "SCHEMAV_CVC_MINLENGTH_VALID": (codes.XSD_LENGTH, "is too short"),
    "SCHEMAV_CVC_MAXLENGTH_VALID": (codes.XSD_LENGTH, "is too long"),
    "SCHEMAV_CVC_MININCLUSIVE_VALID": (codes.XSD_RANGE, "is below the allowed range"),
    "SCHEMAV_ELEMENT_CONTENT": (codes.XSD_STRUCTURE, "is missing, misplaced or not expected here"),
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": (codes.XSD_TEXT, "holds text where only elements are allowed"),
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": (codes.XSD_STRUCTURE, "is missing, misplaced or not expected here"),
    "SCHEMAV_CVC_ELT_1": (codes.XSD_STRUCTURE, "is not an element of this schema"),
}
#: a header's message lists at most this many faults
MESSAGE_FAULTS = 10


class CinCensusAdapter(Adapter):
    name = "cin-census"
    description = (
        "DfE Children in Need census XML, collection years 2016-17 to 2026-27 (with its pre-proceedings), "
        "every DfE validation rule reported as a finding"
    )
    media_types = ("application/xml", "text/xml")
    inbound = True

    def parse(self, stream: BinaryIO) -> Iterator[Item]:
        reader = _Census()
        events = etree.iterparse(
            _utf8_only(stream), events=("start", "end", "pi"), tag=ENVELOPE, remove_comments=True, **SECURE
        )
        try:
            for event, element in events:
                if not reader.prolog_checked:
                    reader.check_prolog(element)
                if event == "pi":
                    raise FormatError(
                        codes.XML_PROCESSING_INSTRUCTION, "Processing instructions are not allowed."
                    )
                items = reader.start(element) if event == "start" else reader.end(element)
                if items:
                    yield from items
        except etree.XMLSyntaxError as error:
            code, message = (
                _DOCTYPE
                if entity_expansion(error)
                else _LIBXML_FAULTS.get(error.code, (codes.XML_MALFORMED, "The file is not well-formed XML."))
            )
            raise FormatError(code, message, Position(line=error.lineno or None)) from None
        if not reader.prolog_checked and events.root is not None:
            reader.check_prolog(events.root)
        reader.finish()
        yield from reader.checks.finish()


class _Census:
    """The state of one file being read: where in the envelope we are and the header's choices."""

    def __init__(self) -> None:
        self.prolog_checked = False
        self.message: Any = None
        self.header: Any = None
        self.children: Any = None
        self.current: Any = None  # the Header or Child being read: envelope tags inside it are its content
        self.count = 0
        self.year = 0
        self.la_code = ""
        self.schema: etree.XMLSchema | None = None
        self.checks = cin_rules.Checks()

    def check_prolog(self, element: Any) -> None:
        if declares_doctype(element):
            raise FormatError(*_DOCTYPE)
        self.prolog_checked = True

    def start(self, element: Any) -> list[RecordError]:
        """What the start of an envelope element gives: a list, most often empty (this runs for each
        child, where a generator would cost more than the checks)."""
        if self.current is not None:
            return []
        tag = element.tag
        if tag == "Child" and self.children is not None and element.getparent() is self.children:
            self.current = element
            previous = element.getprevious()
            # the children before are dropped once read: only strays can stand before it
            return [] if previous is None else self._strays(previous)
        if tag == "Message":
            if self.message is not None or element.getparent() is not None:
                raise _envelope("Message must be the root element and appear once.", element)
            self.message = element
        elif self.message is None:
            raise FormatError(
                codes.CIN_ROOT, "The root element must be Message.", Position(line=element.sourceline)
            )
        elif tag == "Header":
            if element.getparent() is not self.message or element.getprevious() is not None:
                raise _envelope("Header must be the first element of Message.", element)
            self.current = element
        elif tag == "Children":
            if (
                self.header is None
                or element.getparent() is not self.message
                or element.getprevious() is not self.header
            ):
                raise _envelope("Children must follow the Header in Message.", element)
            self.children = element
        else:  # a Child out of place
            raise _envelope("Child must be inside Message/Children.", element)
        return []

    def end(self, element: Any) -> Iterable[Item]:
        """What the end of an envelope element gives: a child's items as a list (a generator per child
        would cost more than some of the checks), the rest of the envelope's from ``_end_envelope``."""
        if self.current is not None and element is not self.current:
            return ()
        self.current = None
        if element.tag != "Child":
            return self._end_envelope(element)
        self.count += 1
        items = self._child(element)
        element.clear()
        while element.getprevious() is not None:  # what is read is dropped: memory stays flat
            del self.children[0]
        return items

    def _end_envelope(self, element: Any) -> Iterator[Item]:
        tag = element.tag
        if tag == "Header":
            self.header = element
            yield from self._header(element)
            element.clear()
        elif tag == "Children" and element is self.children:
            yield from self._strays(element[-1] if len(element) else None)
            if not self.count:
                raise _envelope("Children must hold at least one Child.", element)
        elif tag == "Message" and self.children is not None and self.children.getnext() is not None:
            raise _envelope("Nothing may follow Children in Message.", self.children.getnext())

    def finish(self) -> None:
        if self.message is None:
            raise FormatError(codes.CIN_ROOT, "The root element must be Message.")
        if self.children is None:
            raise _envelope("Message must hold a Header and then Children.", self.message)

    def _strays(self, element: Any) -> list[RecordError]:
        """Elements other than Child inside Children, from ``element`` backwards: each one is rejected."""
        strays = []
        while element is not None and element.tag != "Child":
            strays.append(element)
            element = element.getprevious()
        errors = []
        for stray in reversed(strays):
            errors.append(
                RecordError(
                    Position(line=stray.sourceline, xpath=f"/Message/Children/{stray.tag}"),
                    codes.XSD_STRUCTURE,
                    f"{stray.tag} is not expected in Children (only Child is).",
                )
            )
            self.children.remove(stray)
        return errors

    def _header(self, element: Any) -> Iterator[Item]:
        position = Position(line=element.sourceline, xpath="/Message/Header")
        year_text = (element.findtext("CollectionDetails/Year") or "").strip()
        if not (year_text.isdigit() and int(year_text) in YEARS):
            raise FormatError(
                codes.CIN_UNKNOWN_YEAR,
                f"Header/CollectionDetails/Year must be a collection year from {YEARS[0]} to {YEARS[-1]}.",
                position,
            )
        self.year = int(year_text)
        self.schema = year_schema(self.year)
        if not self.schema.validate(element):
            faults = _xsd_faults(self.schema.error_log, "/Message/Header")
            raise FormatError(
                codes.CIN_HEADER, "The header breaks the CIN census schema: " + _summary(faults), position
            )
        self.la_code = (element.findtext("Source/LEA") or "").strip()
        if not self.la_code:
            raise FormatError(codes.CIN_HEADER, "Header/Source/LEA (the LA's code) is required.", position)
        header = {
            "la_code": self.la_code,
            "collection_year": self.year,
            "reference_date": _date(element.findtext("CollectionDetails/ReferenceDate")),
            "collection": _text(element.findtext("CollectionDetails/Collection")),
        }
        yield Record("cin_header", header, position)
        yield from self.checks.header(header, position)

    def _child(self, element: Any) -> list[Item]:
        """One child's items: its rejection, or its record followed by its findings."""
        xpath = f"/Message/Children/Child[{self.count}]"
        assert self.schema is not None  # a Child is only read after its Header
        position = Position(line=element.sourceline, xpath=xpath)
        if not self.schema.validate(element):
            faults = _xsd_faults(self.schema.error_log, xpath)
            errors = tuple(
                RecordError(Position(line=line, xpath=where), code, message)
                for line, where, code, message in faults
            )
            return [Rejected(position, errors)]
        data, gender = _child_data(element, self.la_code, self.year)
        items: list[Item] = [Record("cin_child", data, position)]
        items += self.checks.child(data, gender, position)
        return items


def _envelope(message: str, element: Any) -> FormatError:
    return FormatError(codes.CIN_ENVELOPE, message, Position(line=element.sourceline))


def _xsd_faults(log: Any, xpath: str) -> list[tuple[int, str, str, str]]:
    """(line, xpath, code, message) for each schema fault of one validated element."""
    faults = []
    for entry in log:
        code, problem = _XSD_FAULTS.get(entry.type_name, (codes.XSD_INVALID, "does not match the schema"))
        # the log's path starts at the validated element: /Child/ChildIdentifiers/UPN
        inner = (entry.path or "").split("/", 2)[2:]
        where = f"{xpath}/{inner[0]}" if inner else xpath
        faults.append((entry.line, where, code, f"line {entry.line}: {where.split('/', 3)[3]} {problem}"))
    return faults


def _summary(faults: list[tuple[int, str, str, str]]) -> str:
    shown = "; ".join(message for *_, message in faults[:MESSAGE_FAULTS])
    more = len(faults) - MESSAGE_FAULTS
    return shown + (f"; and {more} more faults" if more > 0 else "")


def _text(value: str | None) -> str | None:
    value = value.strip() if value else None
    return value or None


def _date(value: str | None) -> str | None:
    """An ISO date; an xs:date's optional time zone (``2025-03-31Z``) is dropped, as a date has none."""
    return value.strip()[:10] if value else None


#: how ``_read`` places each element of a Child, met in one pass over ``Child.iter()`` (one iterator in C,
#: where a loop over the children of each element costs twice as much): an identifier; an element that starts
#: a group of the episode; a value of the episode; an item of the open group's list (its assessment factors,
#: its review dates); the rest is a value of the open group. In every year's schema each of these names
#: stands in one place only, but DateOfInitialCPC (an episode's or a section 47 enquiry's: its parent tells)
IDENTIFIERS = frozenset(
    {
        "LAchildID",
        "UPN",
        "FormerUPN",
        "UPNunknown",
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "GenderCurrent",
        "Sex",
        "PersonDeathDate",
    }
)
GROUPS = frozenset(
    {"Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans", "PreProceedingsandFGDM"}
)
EPISODE_VALUES = frozenset(
    {
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "CINclosureDate",
        "ReasonForClosure",
        "ReferralNFA",
    }
)
LIST_ITEMS = frozenset({"AssessmentFactors", "CPPreviewDate"})
IDENTIFIER, GROUP, EPISODE_VALUE, LIST_ITEM, EPISODE, CONFERENCE, ETHNICITY, DISABILITY = range(1, 9)
#: the place of each name above, one look-up for each element met (a name not here is a group's value, or an
#: element that only holds others: ChildIdentifiers, Reviews...)
PLACES = {
    **dict.fromkeys(IDENTIFIERS, IDENTIFIER),
    **dict.fromkeys(GROUPS, GROUP),
    **dict.fromkeys(EPISODE_VALUES, EPISODE_VALUE),
    **dict.fromkeys(LIST_ITEMS, LIST_ITEM),
    "CINdetails": EPISODE,
    "DateOfInitialCPC": CONFERENCE,
    "Ethnicity": ETHNICITY,
    "Disability": DISABILITY,
}

#: one episode as ``_read`` leaves it: its values by element name, and each group (element name, values by
#: element name, list items) in file order
Episode = tuple[dict[str, str | None], list[tuple[str, dict[str, str | None], list[str | None]]]]


def _read(element: Any) -> tuple[dict[str, str], str | None, list[str | None], list[Episode]]:
    """A valid Child's texts in one pass: its identifiers (stripped), its ethnicity and disabilities, and
    each episode (``Episode``)."""
    identifiers: dict[str, str] = {}
    ethnicity = None
    disabilities: list[str | None] = []
    episodes: list[Episode] = []
    values: dict[str, str | None] = {}
    groups: list[tuple[str, dict[str, str | None], list[str | None]]] = []
    texts, items, details = values, [], None
    place_of = PLACES.get
    parts = element.iter()
    next(parts)  # the Child itself
    for part in parts:  # the most frequent places first
        tag = part.tag
        place = place_of(tag)
        if place is None:
            texts[tag] = part.text
        elif place == EPISODE_VALUE:
            values[tag] = part.text
        elif place == IDENTIFIER:
            identifiers[tag] = (part.text or "").strip()
        elif place == LIST_ITEM:
            items.append(part.text)
        elif place == GROUP:
            texts, items = {}, []
            groups.append((tag, texts, items))
        elif place == EPISODE:
            details, values, groups = part, {}, []
            texts = values
            episodes.append((values, groups))
        elif place == DISABILITY:
            disabilities.append(part.text)
        elif place == ETHNICITY:
            ethnicity = part.text
        else:  # DateOfInitialCPC: the episode's or its section 47 enquiry's
            (values if part.getparent() is details else texts)[tag] = part.text
    return identifiers, ethnicity, disabilities, episodes


def _child_data(element: Any, la_code: str, year: int) -> tuple[dict[str, Any], str | None]:
    """The canonical child, and its ``GenderCurrent`` as given (before 2025)."""
    identifiers, ethnicity, disabilities, episodes = _read(element)
    sex = identifiers["Sex"] if "Sex" in identifiers else GENDER_TO_SEX[identifiers["GenderCurrent"]]
    data = {
        "la_code": la_code,
        "collection_year": year,
        "la_child_id": identifiers["LAchildID"],
        "upn": identifiers.get("UPN") or None,
        "former_upn": identifiers.get("FormerUPN") or None,
        "upn_unknown": identifiers.get("UPNunknown") or None,
        "date_of_birth": _date(identifiers.get("PersonBirthDate")),
        "expected_date_of_birth": _date(identifiers.get("ExpectedPersonBirthDate")),
        "sex": sex,
        "date_of_death": _date(identifiers.get("PersonDeathDate")),
        "ethnicity": _text(ethnicity),
        "disabilities": list(map(_text, disabilities)),
        "cin_episodes": list(starmap(_episode, episodes)),
    }
    return data, identifiers.get("GenderCurrent")


def _episode(
    values: dict[str, str | None], groups: list[tuple[str, dict[str, Any], list[Any]]]
) -> dict[str, Any]:
    assessments, plans, enquiries, protection_plans = [], [], [], []
    pre_proceedings = None
    for tag, group, items in groups:
        if tag == "Assessments":
            assessments.append(
                {
                    "start_date": _date(group.get("AssessmentActualStartDate")),
                    "internal_review_date": _date(group.get("AssessmentInternalReviewDate")),
                    "authorisation_date": _date(group.get("AssessmentAuthorisationDate")),
                    "factors": list(map(_text, items)),
                }
            )
        elif tag == "CINPlanDates":
            plans.append(
                {
                    "start_date": _date(group.get("CINPlanStartDate")),
                    "end_date": _date(group.get("CINPlanEndDate")),
                }
            )
        elif tag == "Section47":
            enquiries.append(
                {
                    "start_date": _date(group.get("S47ActualStartDate")),
                    "initial_cpc_target": _date(group.get("InitialCPCtarget")),
                    "date_of_initial_cpc": _date(group.get("DateOfInitialCPC")),
                    "icpc_not_required": YES_NO[(group.get("ICPCnotRequired") or "").strip()],
                }
            )
        elif tag == "ChildProtectionPlans":
            protection_plans.append(
                {
                    "start_date": _date(group.get("CPPstartDate")),
                    "end_date": _date(group.get("CPPendDate")),
                    "initial_category_of_abuse": _text(group.get("InitialCategoryOfAbuse")),
                    "latest_category_of_abuse": _text(group.get("LatestCategoryOfAbuse")),
                    "number_of_previous_cpp": int(group.get("NumberOfPreviousCPP") or 0),
                    "reviews": list(map(_date, items)),
                }
            )
        else:
            pre_proceedings = _pre_proceedings(group)
    return {
        "referral_date": _date(values.get("CINreferralDate")),
        "referral_source": _text(values.get("ReferralSource")),
        "primary_need": _text(values.get("PrimaryNeedCode")),
        "closure_date": _date(values.get("CINclosureDate")),
        "reason_for_closure": _text(values.get("ReasonForClosure")),
        "date_of_initial_cpc": _date(values.get("DateOfInitialCPC")),
        "referral_nfa": YES_NO[(values.get("ReferralNFA") or "").strip()],
        "assessments": assessments,
        "cin_plans": plans,
        "section47_enquiries": enquiries,
        "child_protection_plans": protection_plans,
        "pre_proceedings": pre_proceedings,
    }


def _pre_proceedings(block: dict[str, str | None]) -> dict[str, Any]:
    count = _text(block.get("ReviewMeetingsCount"))
    return {
        "pp_start_date": _date(block.get("PPStartDate")),
        "lbp_sent_date": _date(block.get("LBPSentDate")),
        "fgdm_meeting_offer": _text(block.get("FGDMMeetingOffer")),
        "fgdm_meeting_facilitated": _text(block.get("FGDMMeetingFac")),
        "initial_pp_meeting_date": _date(block.get("InitialPPMeetingDate")),
        "review_meetings_count": int(count) if count is not None else None,
        "step_decision_date": _date(block.get("StepDecisionDate")),
        "pp_outcome": _text(block.get("PPOutcome")),
        "court_application_date": _date(block.get("CourtAppDate")),
        "letter_init_cp_date": _date(block.get("LetterInitCPDate")),
    }


# --- the schemas ------------------------------------------------------------------------------------

_compiled = threading.local()


def year_schema(year: int) -> etree.XMLSchema:
    """One collection year's validator, compiled once per thread (a validator keeps its own error log)."""
    schemas = getattr(_compiled, "by_year", None)
    if schemas is None:
        schemas = _compiled.by_year = {}
    if year not in schemas:
        schemas[year] = etree.XMLSchema(etree.fromstring(derived_xsd(year), etree.XMLParser(**SECURE)))
    return schemas[year]


@cache
def derived_xsd(year: int) -> bytes:
    """That year's shipped schema with the exchange's overlays merged in (read from the package once)."""
    if year not in YEARS:
        raise KeyError(year)
    base = _read_xsd(f"CIN_schema_{min(year, LATEST_SCHEMA)}.xsd")
    for name in OVERLAYS[year]:
        _overlay(base, _read_xsd(name))
    return etree.tostring(base)


def _read_xsd(name: str) -> Any:
    data = files("schemas").joinpath("xsd", "cin", name).read_bytes()
    return etree.fromstring(data, etree.XMLParser(remove_comments=True, **SECURE))


def _overlay(base: Any, overlay: Any) -> None:
    """Each top-level component of ``overlay`` replaces the same-named one of ``base``, or is added."""
    existing = {(c.tag, c.get("name")): c for c in base}
    for component in list(overlay):
        if not component.tag.startswith(XS):
            continue
        old = existing.get((component.tag, component.get("name")))
        if old is not None:
            base.replace(old, component)
        else:
            base.append(component)


def _utf8_only(stream: BinaryIO) -> BinaryIO:
    """The stream, refused unless it is UTF-8: no UTF-16/32 byte order mark, no other declared encoding."""
    head = stream.read(1024)
    if not head:
        raise FormatError(codes.XML_TRUNCATED, "The file is empty.")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:1] == b"\x00" or head[1:2] == b"\x00":
        raise FormatError(codes.XML_ENCODING, "The file must be encoded in UTF-8.")
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise FormatError(codes.XML_ENCODING, "The file must be encoded in UTF-8.")
    return rewound(head, stream)
