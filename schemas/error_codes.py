"""Every error code the exchange answers with, declared here once and used by name everywhere else.

A code is stable: partners match on it. The registry lives in ``schemas/`` because adapters import no
gateway code. ``tests/test_codes.py`` fails when a code is written as a string literal anywhere else in
``exchange/``, ``adapters/`` or ``schemas/``, or when two names declare one code. Two families are not
listed because their codes come from data: ``cin.<rule>`` (the DfE CIN validation rule a census record
breaks, ``schemas.rules``) and the SSDA903 rule ids and ``ssda903.<kind>`` cell faults of
``adapters.ssda903``.
"""

from __future__ import annotations

# request, intake and domain rules
ADVICE_STATUS = "advice_status"
ALREADY_ISSUED = "already_issued"
APPLICANT_LA_NOT_SUBMITTER = "applicant_la_not_submitter"
CASE_CLOSED = "case_closed"
DATE_IN_PAST = "date_in_past"
DUE_DATE_TOO_LATE = "due_date_too_late"
DUPLICATE_REFERENCE = "duplicate_reference"
ERRORS_TRUNCATED = "errors_truncated"
EVENT_OUT_OF_ORDER = "event_out_of_order"
HEARING_DATE_REQUIRED = "hearing_date_required"
HOLIDAYS_NOT_KNOWN = "holidays_not_known"
HEARING_NOT_LISTED = "hearing_not_listed"
IDEMPOTENCY_CONFLICT = "idempotency_conflict"
INVALID = "invalid"
INVALID_BASE64 = "invalid_base64"
INVALID_CURSOR = "invalid_cursor"
LA_NOT_SUBMITTER = "la_not_submitter"
NO_RECORDS = "no_records"
NOT_ISSUED = "not_issued"
NOT_PUBLISHED = "not_published"
NOT_YOUR_COURT = "not_your_court"
OUTCOME_RECORDED = "outcome_recorded"
PROFILE_REQUIRED = "profile_required"
REQUIRED = "required"
SECTION_37_NO_LOCAL_AUTHORITY = "section_37_no_local_authority"
UNKNOWN_COLLECTION_YEAR = "unknown_collection_year"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_PROFILE = "unknown_profile"
UNKNOWN_RECORD_KIND = "unknown_record_kind"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"

# case.*
CASE_APPLICANT_LA_UNKNOWN = "case.applicant_la_unknown"
CASE_APPLICATION_TYPE_LAW = "case.application_type_law"
CASE_CLOSED_BEFORE_ISSUE = "case.closed_before_issue"
CASE_COURT_UNKNOWN = "case.court_unknown"
CASE_DATE_IN_FUTURE = "case.date_in_future"
CASE_ISSUED_BEFORE_RECEIVED = "case.issued_before_received"
CASE_TRANSFERRED_TO_SAME_COURT = "case.transferred_to_same_court"

# child.*
CHILD_BORN_IN_FUTURE = "child.born_in_future"
CHILD_DUPLICATE_LA_CHILD_ID = "child.duplicate_la_child_id"
CHILD_TOO_OLD_FOR_CARE_ORDER = "child.too_old_for_care_order"

# cin.*
CIN_ENVELOPE = "cin.envelope"
CIN_HEADER = "cin.header"
CIN_ROOT = "cin.root"
CIN_UNKNOWN_YEAR = "cin.unknown_year"

# csv.*
CSV_CELLS = "csv.cells"
CSV_COLUMNS = "csv.columns"
CSV_EXTRA_COLUMNS = "csv.extra_columns"
CSV_ENCODING = "csv.encoding"
CSV_HEADER = "csv.header"
CSV_LINE_LENGTH = "csv.line_length"
CSV_SYNTAX = "csv.syntax"

# event.*
EVENT_BEFORE_ISSUE = "event.before_issue"
EVENT_IN_FUTURE = "event.in_future"
EVENT_UNKNOWN_CHILD = "event.unknown_child"
EVENT_UNKNOWN_HEARING = "event.unknown_hearing"

# hearing.*
HEARING_BEFORE_ISSUE = "hearing.before_issue"
HEARING_ENDS_BEFORE_START = "hearing.ends_before_start"
HEARING_UNEXPECTED_CANCELLATION_REASON = "hearing.unexpected_cancellation_reason"

# hmcts.*
HMCTS_CANCELLATION_REASON = "hmcts.cancellation_reason"
HMCTS_CHILD_DATE_OF_BIRTH = "hmcts.child_date_of_birth"
HMCTS_CHILD_FINAL_DECISION = "hmcts.child_final_decision"
HMCTS_CHILD_GENDER = "hmcts.child_gender"
HMCTS_CHILD_ID = "hmcts.child_id"
HMCTS_COLLECTION = "hmcts.collection"
HMCTS_CLOSE_DATE = "hmcts.close_date"
HMCTS_COURT = "hmcts.court"
HMCTS_DATE_SUBMITTED = "hmcts.date_submitted"
HMCTS_HEARING_DATE = "hmcts.hearing_date"
HMCTS_HEARING_STATUS = "hmcts.hearing_status"
HMCTS_HEARING_TYPE = "hmcts.hearing_type"
HMCTS_HEARING_URGENCY = "hmcts.hearing_urgency"
HMCTS_INVALID_UTF8 = "hmcts.invalid_utf8"
HMCTS_LIVING_SITUATION = "hmcts.living_situation"
HMCTS_LOCAL_AUTHORITY = "hmcts.local_authority"
HMCTS_MALFORMED_JSON = "hmcts.malformed_json"
HMCTS_NOT_A_CASE = "hmcts.not_a_case"
HMCTS_NOT_AN_OBJECT = "hmcts.not_an_object"
HMCTS_ORDER_CHILD = "hmcts.order_child"
HMCTS_ORDER_DATE = "hmcts.order_date"
HMCTS_ORDER_TYPE = "hmcts.order_type"
HMCTS_REFERENCE = "hmcts.reference"
HMCTS_RISK = "hmcts.risk"
HMCTS_STATE = "hmcts.state"
HMCTS_THRESHOLD_REASON = "hmcts.threshold_reason"

# json.*
JSON_EMPTY = "json.empty"
JSON_INVALID_UTF8 = "json.invalid_utf8"
JSON_MALFORMED = "json.malformed"
JSON_NOT_AN_OBJECT = "json.not_an_object"
JSON_NUMBER_OUT_OF_RANGE = "json.number_out_of_range"
JSON_SHAPE = "json.shape"
JSON_TOO_DEEP = "json.too_deep"
JSON_TRAILING_DATA = "json.trailing_data"
JSON_TRUNCATED = "json.truncated"

# order.*
ORDER_BEFORE_ISSUE = "order.before_issue"
ORDER_UNKNOWN_CHILD = "order.unknown_child"

# schema.*
SCHEMA_INVALID = "schema.invalid"
SCHEMA_NULL = "schema.null"
SCHEMA_REQUIRED = "schema.required"
SCHEMA_TYPE = "schema.type"
SCHEMA_UNKNOWN_FIELD = "schema.unknown_field"

# ssda903.* (the exchange's own; DfE's rule ids come from the catalogues)
SSDA903_PREVIOUS_RETURN_ABSENT = "ssda903.previous_return_absent"

# upn.*
UPN_LENGTH = "upn.length"

# xml.*
XML_DOCTYPE = "xml.doctype"
XML_EMPTY = "xml.empty"
XML_ENCODING = "xml.encoding"
XML_ENTITY = "xml.entity"
XML_MALFORMED = "xml.malformed"
XML_PROCESSING_INSTRUCTION = "xml.processing_instruction"
XML_ROOT = "xml.root"
XML_SCHEMA = "xml.schema"
XML_SYNTAX = "xml.syntax"
XML_TRUNCATED = "xml.truncated"

# xsd.*
XSD_CODE = "xsd.code"
XSD_DATATYPE = "xsd.datatype"
XSD_INVALID = "xsd.invalid"
XSD_LENGTH = "xsd.length"
XSD_PATTERN = "xsd.pattern"
XSD_RANGE = "xsd.range"
XSD_STRUCTURE = "xsd.structure"
XSD_TEXT = "xsd.text"

# zip.*
ZIP_EMPTY = "zip.empty"
ZIP_INVALID = "zip.invalid"
ZIP_TABLE_REPEATED = "zip.table_repeated"
ZIP_TOO_LARGE = "zip.too_large"
