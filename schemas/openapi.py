"""Request bodies as /openapi.json documents them: what ``POST /v1/submissions`` reads for each media type
and profile, an outline of HMCTS CCD case data, and the examples of submissions and progression events.

The examples are files in ``schemas/examples/`` (synthetic; see its README). The events name the children and
hearings of ``examples/case.json`` once it is stored, by placeholders for the ids the exchange gives them.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from schemas.case import CaseBatchInputSchema, CaseInputSchema

EXAMPLES = files("schemas").joinpath("examples")
#: the placeholders of ``examples/events.json``: the stored ``case.json``'s children and hearings, in order
EXAMPLE_CHILD_IDS = ("00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2")
EXAMPLE_HEARING_IDS = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2")

CANONICAL_JSON = "application/json"
HMCTS_JSON = "application/json; profile=hmcts-fpl-ccd"
CIN_XML = "application/xml; profile=cin-census"
SSDA903_XML = "application/xml; profile=ssda903"
SSDA903_CSV = "text/csv"
SSDA903_ZIP = "application/zip"
#: the names under which ``register`` adds the HMCTS outline to the spec's components
HMCTS_CASE, HMCTS_CASE_DATA = "HmctsCcdCase", "HmctsCcdCaseData"


def _example(name: str) -> str:
    return EXAMPLES.joinpath(name).read_text(encoding="utf-8")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _collection(value: dict[str, Any], description: str) -> dict[str, Any]:
    """A CCD collection: elements ``{"id", "value"}``."""
    element = {
        "type": "object",
        "required": ["value"],
        "properties": {"id": {"type": "string"}, "value": value},
    }
    return {"type": "array", "items": element, "description": description}


_CCD_HEARING = {
    "type": "object",
    "required": ["type", "startDate"],
    "properties": {
        "type": _string("An HMCTS hearing type (code list hearing_types)."),
        "startDate": _string("Local date and time (Europe/London), ISO 8601."),
        "endDate": {"type": "string"},
        "status": {"type": "string"},
        "cancellationReason": _string("An HMCTS cancellation reason code or label."),
    },
}
#: the fields of CCD caseData that the adapter reads; any others are ignored (``adapters.hmcts_fpl_ccd``)
CCD_CASE_DATA: dict[str, Any] = {
    "type": "object",
    "description": "HMCTS Family Public Law CCD caseData of a care case: the fields the exchange reads "
    "(CCD's other fields are allowed and ignored).",
    "required": ["caseLocalAuthority", "court", "dateSubmitted", "orders"],
    "properties": {
        "caseLocalAuthority": _string("The applicant LA's HMCTS letter code (CDN is Camden)."),
        "familyManCaseNumber": _string("The reference when the envelope has no id."),
        "dateSubmitted": {"type": "string", "format": "date"},
        "dateOfIssue": {"type": "string", "format": "date"},
        "court": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": ["string", "integer"], "description": "FamilyMan court code."}},
        },
        "orders": {
            "type": "object",
            "required": ["orderType"],
            "properties": {"orderType": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
        },
        "c1Application": {"type": "string", "enum": ["Yes", "No"]},
        "hearing": {
            "type": "object",
            "properties": {"hearingUrgencyType": {"type": "string"}, "timeFrame": {"type": "string"}},
        },
        "grounds": {
            "type": "object",
            "properties": {"thresholdReason": {"type": "array", "items": {"type": "string"}}},
        },
        "risks": {"type": "object"},
        "children1": _collection(
            {
                "type": "object",
                "properties": {
                    "party": {
                        "type": "object",
                        "required": ["dateOfBirth"],
                        "properties": {
                            "dateOfBirth": {"type": "string", "format": "date"},
                            "gender": _string("Boy, Girl or another HMCTS gender."),
                            "livingSituation": {"type": "string"},
                        },
                    }
                },
            },
            "The children; each element's id is the LA's id for the child.",
        ),
        "respondents1": _collection({"type": "object"}, "The respondents (party: names, address…)."),
        "hearingDetails": _collection(_CCD_HEARING, "Hearings."),
        "cancelledHearingDetails": _collection(_CCD_HEARING, "Vacated or adjourned hearings."),
        "orderCollection": _collection({"type": "object"}, "Orders made (orderType, approvalDate…)."),
    },
}
CCD_CASE: dict[str, Any] = {
    "description": "One CCD case: an envelope {id, state, caseData} (or case_data, or data), or a bare "
    "caseData object.",
    "anyOf": [
        {
            "type": "object",
            "required": ["caseData"],
            "properties": {
                "id": {"type": ["integer", "string"], "description": "The CCD case id: the reference."},
                "state": _string("The CCD state."),
                "caseData": _ref(HMCTS_CASE_DATA),
            },
        },
        {
            "type": "object",
            "required": ["case_data"],
            "properties": {"id": {"type": ["integer", "string"]}, "case_data": _ref(HMCTS_CASE_DATA)},
        },
        {
            "type": "object",
            "required": ["data"],
            "properties": {"id": {"type": ["integer", "string"]}, "data": _ref(HMCTS_CASE_DATA)},
        },
        _ref(HMCTS_CASE_DATA),
    ],
}


def _xml(description: str) -> dict[str, Any]:
    return {"type": "string", "contentMediaType": "application/xml", "description": description}


SUBMISSION_BODY: dict[str, Any] = {
    "required": True,
    "description": "The adapter follows the Content-Type and its profile; the body may be gzip "
    "(Content-Encoding: gzip).",
    "content": {
        CANONICAL_JSON: {
            "schema": {"oneOf": [CaseInputSchema, CaseBatchInputSchema]},
            "examples": {
                "case": {"summary": "One case", "value": json.loads(_example("case.json"))},
                "batch": {"summary": "A batch of cases", "value": json.loads(_example("batch.json"))},
            },
        },
        HMCTS_JSON: {
            "schema": {"oneOf": [_ref(HMCTS_CASE), {"type": "array", "items": _ref(HMCTS_CASE)}]},
            "example": json.loads(_example("hmcts-fpl-ccd.json")),
        },
        CIN_XML: {
            "schema": _xml(
                "A Children in Need census Message (collection years 2017-2026; text/xml too), each Child "
                "validated against its year's DfE XSD (schemas/xsd/cin/)."
            ),
            "example": _example("cin-census.xml"),
        },
        SSDA903_XML: {
            "schema": _xml("An SSDA903 EXPSSDA903 return, each CHILD validated against the shipped XSD."),
            "example": _example("ssda903.xml"),
        },
        SSDA903_CSV: {
            "schema": {
                "type": "string",
                "contentMediaType": "text/csv",
                "description": "One SSDA903 table (profile=ssda903 may be given), told by its header row.",
            },
            "example": _example("ssda903-episodes.csv"),
        },
        SSDA903_ZIP: {
            "schema": {
                "type": "string",
                "contentMediaType": "application/zip",
                "description": "The CSV tables of one SSDA903 return (profile=ssda903 may be given), one a "
                "file, each told by its header row: the rules then read across them (a table sent alone "
                "runs its own rules only). Binary: no example.",
            },
        },
    },
}
EVENT_EXAMPLES: dict[str, Any] = json.loads(_example("events.json"))


def register(spec: Any) -> None:
    """Add the HMCTS outline to ``spec``'s schema components (``SUBMISSION_BODY`` refers to it)."""
    spec.components.schema(HMCTS_CASE_DATA, CCD_CASE_DATA)
    spec.components.schema(HMCTS_CASE, CCD_CASE)
