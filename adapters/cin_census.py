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
            previous = element.getprevious()  # the child before (read, cleared), a stray or nothing
            return [] if previous is None or previous.tag == "Child" else self._strays(previous)
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


def _yes_no(value: str | None) -> bool:
    return YES_NO[(value or "").strip()]


def _number(value: str | None) -> int:
    return int(value or 0)


def _count(value: str | None) -> int | None:
    count = _text(value)
    return int(count) if count is not None else None


def _assessment() -> tuple[dict[str, Any], list[Any]]:
    factors: list[str | None] = []
    group = {"start_date": None, "internal_review_date": None, "authorisation_date": None, "factors": factors}
    return group, factors


def _cin_plan() -> tuple[dict[str, Any], list[Any]]:
    return {"start_date": None, "end_date": None}, []


def _section47() -> tuple[dict[str, Any], list[Any]]:
    # ICPCnotRequired is required in every year's schema: the reader always sets it
    return {
        "start_date": None,
        "initial_cpc_target": None,
        "date_of_initial_cpc": None,
        "icpc_not_required": None,
    }, []


def _protection_plan() -> tuple[dict[str, Any], list[Any]]:
    reviews: list[str | None] = []
    group = {
        "start_date": None,
        "end_date": None,
        "initial_category_of_abuse": None,
        "latest_category_of_abuse": None,
        "number_of_previous_cpp": 0,
        "reviews": reviews,
    }
    return group, reviews


def _pre_proceedings() -> tuple[dict[str, Any], list[Any]]:
    block = dict.fromkeys(
        (
            "pp_start_date",
            "lbp_sent_date",
            "fgdm_meeting_offer",
            "fgdm_meeting_facilitated",
            "initial_pp_meeting_date",
            "review_meetings_count",
            "step_decision_date",
            "pp_outcome",
            "court_application_date",
            "letter_init_cp_date",
        )
    )
    return block, []


IDENTIFIER, GROUP, GROUP_VALUE, EPISODE_VALUE, LIST_ITEM, EPISODE, CONFERENCE, ETHNICITY, DISABILITY = range(
    1, 10
)
#: how ``_read`` places each element of a Child, met in one pass over ``Child.iter()`` (one iterator in C,
#: where a loop over the children of each element costs twice as much): (its place, its key in the canonical
#: record, how its text is read). An element that starts a group of the episode makes the group (its key: the
#: episode's list of them; None for the one pre-proceedings block) and is the open group until the next one;
#: an element of a group is a value of the open group; a list item (an assessment factor, a review date) is
#: added to the open group's list. In every year's schema each of these names stands in one place only, but
#: DateOfInitialCPC (an episode's or a section 47 enquiry's: its parent tells); the elements that only hold
#: others (ChildIdentifiers, Reviews...) are not here.
PLACES: dict[str, tuple[int, Any, Any]] = {
    **{
        name: (IDENTIFIER, None, None)
        for name in (
            "LAchildID",
            "UPN",
            "FormerUPN",
            "UPNunknown",
            "PersonBirthDate",
            "ExpectedPersonBirthDate",
            "GenderCurrent",
            "Sex",
            "PersonDeathDate",
        )
    },
    "Ethnicity": (ETHNICITY, None, _text),
    "Disability": (DISABILITY, None, _text),
    "CINdetails": (EPISODE, None, None),
    "CINreferralDate": (EPISODE_VALUE, "referral_date", _date),
    "ReferralSource": (EPISODE_VALUE, "referral_source", _text),
    "PrimaryNeedCode": (EPISODE_VALUE, "primary_need", _text),
    "CINclosureDate": (EPISODE_VALUE, "closure_date", _date),
    "ReasonForClosure": (EPISODE_VALUE, "reason_for_closure", _text),
    "ReferralNFA": (EPISODE_VALUE, "referral_nfa", _yes_no),
    "DateOfInitialCPC": (CONFERENCE, "date_of_initial_cpc", _date),
    "Assessments": (GROUP, "assessments", _assessment),
    "AssessmentActualStartDate": (GROUP_VALUE, "start_date", _date),
    "AssessmentInternalReviewDate": (GROUP_VALUE, "internal_review_date", _date),
    "AssessmentAuthorisationDate": (GROUP_VALUE, "authorisation_date", _date),
    "AssessmentFactors": (LIST_ITEM, None, _text),
    "CINPlanDates": (GROUP, "cin_plans", _cin_plan),
    "CINPlanStartDate": (GROUP_VALUE, "start_date", _date),
    "CINPlanEndDate": (GROUP_VALUE, "end_date", _date),
    "Section47": (GROUP, "section47_enquiries", _section47),
    "S47ActualStartDate": (GROUP_VALUE, "start_date", _date),
    "InitialCPCtarget": (GROUP_VALUE, "initial_cpc_target", _date),
    "ICPCnotRequired": (GROUP_VALUE, "icpc_not_required", _yes_no),
    "ChildProtectionPlans": (GROUP, "child_protection_plans", _protection_plan),
    "CPPstartDate": (GROUP_VALUE, "start_date", _date),
    "CPPendDate": (GROUP_VALUE, "end_date", _date),
    "InitialCategoryOfAbuse": (GROUP_VALUE, "initial_category_of_abuse", _text),
    "LatestCategoryOfAbuse": (GROUP_VALUE, "latest_category_of_abuse", _text),
    "NumberOfPreviousCPP": (GROUP_VALUE, "number_of_previous_cpp", _number),
    "CPPreviewDate": (LIST_ITEM, None, _date),
    "PreProceedingsandFGDM": (GROUP, None, _pre_proceedings),
    "PPStartDate": (GROUP_VALUE, "pp_start_date", _date),
    "LBPSentDate": (GROUP_VALUE, "lbp_sent_date", _date),
    "FGDMMeetingOffer": (GROUP_VALUE, "fgdm_meeting_offer", _text),
    "FGDMMeetingFac": (GROUP_VALUE, "fgdm_meeting_facilitated", _text),
    "InitialPPMeetingDate": (GROUP_VALUE, "initial_pp_meeting_date", _date),
    "ReviewMeetingsCount": (GROUP_VALUE, "review_meetings_count", _count),
    "StepDecisionDate": (GROUP_VALUE, "step_decision_date", _date),
    "PPOutcome": (GROUP_VALUE, "pp_outcome", _text),
    "CourtAppDate": (GROUP_VALUE, "court_application_date", _date),
    "LetterInitCPDate": (GROUP_VALUE, "letter_init_cp_date", _date),
}
#: the names of each kind of place (the test of the reader against every year's schema reads them)
IDENTIFIERS, GROUPS, EPISODE_VALUES, LIST_ITEMS = (
    frozenset(name for name, (place, _, _) in PLACES.items() if place == kind)
    for kind in (IDENTIFIER, GROUP, EPISODE_VALUE, LIST_ITEM)
)


def _child_data(element: Any, la_code: str, year: int) -> tuple[dict[str, Any], str | None]:
    """The canonical child, and its ``GenderCurrent`` as given (before 2025): one pass (``PLACES``)."""
    identifiers: dict[str, str] = {}
    ethnicity = None
    disabilities: list[str | None] = []
    episodes: list[dict[str, Any]] = []
    episode: dict[str, Any] = {}
    group: dict[str, Any] = {}
    items: list[Any] = []
    details = None
    place_of = PLACES.get
    parts = element.iter()
    next(parts)  # the Child itself
    for part in parts:  # the most frequent places first
        tag = part.tag
        place = place_of(tag)
        if place is None:
            continue
        kind, key, read = place
        if kind == GROUP_VALUE:
            group[key] = read(part.text)
        elif kind == EPISODE_VALUE:
            episode[key] = read(part.text)
        elif kind == IDENTIFIER:
            identifiers[tag] = (part.text or "").strip()
        elif kind == LIST_ITEM:
            items.append(read(part.text))
        elif kind == GROUP:
            group, items = read()
            if key is None:
                episode["pre_proceedings"] = group
            else:
                episode[key].append(group)
        elif kind == EPISODE:
            details, episode = part, _episode()
            episodes.append(episode)
        elif kind == DISABILITY:
            disabilities.append(read(part.text))
        elif kind == ETHNICITY:
            ethnicity = read(part.text)
        else:  # DateOfInitialCPC: the episode's or its section 47 enquiry's
            (episode if part.getparent() is details else group)[key] = read(part.text)
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
        "ethnicity": ethnicity,
        "disabilities": disabilities,
        "cin_episodes": episodes,
    }
    return data, identifiers.get("GenderCurrent")


def _episode() -> dict[str, Any]:
    # ReferralNFA is required in every year's schema: the reader always sets it
    return {
        "referral_date": None,
        "referral_source": None,
        "primary_need": None,
        "closure_date": None,
        "reason_for_closure": None,
        "date_of_initial_cpc": None,
        "referral_nfa": None,
        "assessments": [],
        "cin_plans": [],
        "section47_enquiries": [],
        "child_protection_plans": [],
        "pre_proceedings": None,
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
