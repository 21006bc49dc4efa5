"""Durable, idempotent intake: a body in a partner's format becomes stored canonical records and a report.

Callers (the HTTP API, ``exchange import``, the demo loader, the worker) use two functions, each given the
session to work in and the settings; neither needs a request or an app context:

``check(org, body, media_type, profile, *, reference, collection_year=None) -> Prepared``
    Reads and checks a body as ``submit`` would, without the database (another process may do it): the
    records kept (each case built ahead as a new case, ``exchange.store.cases.build``) and the report so
    far. ``submit(..., checked=prepared)`` then stores them without reading
    the body again; it refuses (``ValueError``) a ``Prepared`` of another body, adapter, organisation or
    collection year. A ``collection_year`` is checked as ``submit``'s is and chooses that year's code
    lists and rules; last year's return and this year's other tables are not looked for (they are in the
    database), so the rules comparing with them do not run and the stored submission's
    ``previous_submissions`` and ``same_year_tables`` are null.

``submit(org, client_id, body, media_type, profile, *, session, settings, idempotency_key=None,
atomic=False) -> Submission``
    Chooses the adapter (``DomainError`` of kind unsupported, 415, or invalid ``unknown_profile`` or
    ``profile_required``, 422, listing the ``profiles`` that read the media type),
    then commits the raw body (an ``exchange.bodies.Body``: content-addressed by SHA-256, stored in
    chunks, never read whole into memory), the submission row and the audit event in
    one transaction before anything else. A repeated ``idempotency_key`` with the same body returns the
    original submission (``replayed`` is True); with another body it raises a ``DomainError`` conflict
    (409). A body of at most ``settings.inline_submission_bytes`` is processed at once; a larger one is left
    ``processing`` for the worker (``answer_status`` 202).

``submit(..., collection_year=Y)`` (the ``collection_year`` query parameter, ``import --collection-year``)
    Must be one the adapter has rules for (``DomainError`` ``unknown_collection_year``, 422, listing
    ``collection_years``) and is kept on the submission. Processing reads the body with that year's rules;
    for an adapter whose rules compare with last year's return (SSDA903) the submitter's own processed
    submissions of the year before are read as that return (``_for_year``), and the receipt's
    ``previous_submissions`` names them ([] when there are none: the adapter then says so in a finding);
    the tables of this year's return that the body does not give are read from its processed submissions of
    this year, so the rules reading across tables run, and ``same_year_tables`` names them.

``process_next_submission(session, settings) -> bool``
    What ``exchange worker`` calls in its loop: lease one submission still ``processing`` (SKIP LOCKED on
    PostgreSQL), read it while staging its valid records in short transactions (progress shows in
    ``records``), then store them all in one transaction. False when there was nothing to do.

Processing reads the adapter's stream record by record. ``records`` counts data records (a return's
header is not one), ``accepted + rejected = records``. A record the adapter rejects (``RecordError``, or
``Rejected`` with all its faults) goes in the report; a ``Finding`` (a DfE rule a kept record breaks) is
stored beside the records, in the same transaction, counted by severity in ``findings`` and listed in the
report too (whose first ``REPORT_LIMIT`` items are kept). Each record is checked against
``schemas.RECORD_SCHEMAS[kind]`` (cases also against ``schemas.rules.case_faults``) and the rules only the
exchange can check (the submitting LA is the applicant LA; a reference appears once per submission; a
return's header names the submitter's LA), then stored. A rejected record goes in the report with its
position, a stable code and a message (never a value); the others are kept unless ``atomic``. A
``FormatError`` (or a return from another LA) stores nothing from the stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import groupby
from typing import Any, BinaryIO

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters import registry
from adapters.base import Adapter, Earlier, Finding, FormatError, Position, Record, RecordError, Rejected
from exchange import audit, clock, idempotency
from exchange.auth.receipts import sign_claims
from exchange.bodies import Body
from exchange.errors import DomainError
from exchange.models import Organisation, Submission
from exchange.reference import Reference
from exchange.settings import Settings
from exchange.store import cases as case_store
from exchange.store import episodes
from exchange.store import findings as finding_store
from exchange.store import returns as return_store
from exchange.store import submissions as store
from schemas import RECORD_SCHEMAS, rules
from schemas import error_codes as codes
from schemas.base import validation_faults

#: the report keeps this many faults; the counts always cover every record
REPORT_LIMIT = 1000
STORED_IDS_LIMIT = 1000
STAGE_BATCH = 500
#: checked records are stored this many at a time (return records in one multi-row upsert per table)
APPLY_BATCH = 1000
#: ``progress(records_read, bytes_read)``
Progress = Callable[[int, int], None]


def select_adapter(
    media_type: str, profile: str | None, reference: Reference, collection_year: int | None = None
) -> Adapter:
    """The inbound adapter for a media type and optional profile, or the problem to answer; a
    ``collection_year`` must be one the adapter has rules for (``unknown_collection_year``, 422)."""
    try:
        adapter = registry.select_inbound(media_type, profile, reference)
    except registry.UnsupportedMediaType:
        readable = sorted({t for a in registry.installed().values() if a.inbound for t in a.media_types})
        raise DomainError(
            codes.UNSUPPORTED_MEDIA_TYPE,
            f"No adapter reads this media type; they read {', '.join(readable)}.",
            kind="unsupported",
        ) from None
    except registry.UnknownProfile as unknown:
        choice = " or ".join(unknown.profiles)
        if unknown.profile:
            code, detail = codes.UNKNOWN_PROFILE, f"The profile names no adapter that reads {media_type}."
        else:
            code, detail = codes.PROFILE_REQUIRED, f"A body of {media_type} needs a profile."
        message = f"Choose the profile: {choice}."
        raise DomainError(
            code,
            message,
            "/profile",
            detail=f"{detail} {message}",
            extensions={"profiles": list(unknown.profiles)},
        ) from None
    if collection_year is not None and collection_year not in adapter.collection_years:
        years = list(adapter.collection_years)
        known = f"it reads {', '.join(map(str, years))}" if years else "it takes none"
        raise DomainError(
            codes.UNKNOWN_COLLECTION_YEAR,
            f"The {adapter.name} adapter has no rules for this collection year: {known}.",
            "/collection_year",
            extensions={"collection_years": years},
        )
    return adapter


def submit(
    org: Organisation,
    client_id: str,
    body: Body,
    media_type: str,
    profile: str | None = None,
    *,
    session: Session,
    settings: Settings,
    idempotency_key: str | None = None,
    atomic: bool = False,
    inline: bool | None = None,
    progress: Progress | None = None,
    checked: Prepared | None = None,
    collection_year: int | None = None,
) -> Submission:
    """Record a submission durably, then process it inline or leave it to the worker (module docstring).

    ``inline`` True processes now whatever the size (the CLI and the demo loader do); ``progress(records,
    bytes_read)`` is called after each record read inline. ``checked``, what ``check`` made of this very
    body, is stored inline without reading the body again (it is used up; its collection year is the
    submission's). ``collection_year`` (the year a statutory return's collection ends) chooses the
    adapter's rules for that year and, for an adapter whose rules compare with last year's return, the
    submitter's return of the year before (``_for_year``).
    """
    if checked is not None:
        if collection_year not in (None, checked.collection_year):
            raise ValueError("the body was checked ahead for another collection year")
        collection_year = checked.collection_year
    adapter = select_adapter(media_type, profile, settings.reference, collection_year)
    sha256 = body.sha256
    if checked is not None:
        if (checked.org_id, checked.sha256, checked.adapter) != (org.id, sha256, adapter.name):
            raise ValueError("the checked records are of another body, adapter or organisation")
        inline = True
    asked = idempotency.fingerprint(sha256, media_type, adapter.name, atomic, collection_year)
    if idempotency_key:
        earlier = store.by_idempotency_key(session, org.id, idempotency_key)
        if earlier is not None:
            return _replay(earlier, asked)
    small = settings.inline_submission_bytes
    if inline is None:
        inline = body.size <= small
    now = clock.now()
    submission = Submission(
        id=uuid.uuid4(),
        org_id=org.id,
        client_id=client_id,
        idempotency_key=idempotency_key,
        sha256=sha256,
        media_type=media_type.lower(),
        adapter=adapter.name,
        atomic=atomic,
        status="processing",
        records=0,
        accepted=0,
        rejected=0,
        findings={},
        stored_ids=[],
        received_at=now,
        # the request processes an inline body itself; the worker takes it over only if the request dies
        lease_until=now + store.lease_for(body.size, small) if inline else None,
        answer_status=201 if inline else 202,
        collection_year=collection_year,
    )
    submission.receipt = _receipt(submission)
    store.store_body(session, body)
    session.add(submission)
    audit.record(
        "submission.received",
        "success",
        client_id=client_id,
        org_id=org.id,
        resource_type="submission",
        resource_ids=[submission.id],
        detail={"sha256": sha256, "bytes": body.size, "adapter": adapter.name, "atomic": atomic},
        session=session,
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        earlier = store.by_idempotency_key(session, org.id, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return _replay(earlier, asked)
    if checked is not None:
        _process_inline(session, org, submission, checked.report, _prepared(checked), settings.reference)
    elif inline:
        report = Report()
        adapter = _for_year(session, submission, adapter, report)
        records = _checked(adapter, body.open(), org, report, settings.reference, progress)
        _process_inline(session, org, submission, report, records, settings.reference)
    return submission


@dataclass
class Prepared:
    """A body read and checked by ``check``, for ``submit(checked=...)`` to store: the records kept, the
    report of what was refused, or why the whole body was (``refused``)."""

    org_id: str
    sha256: str
    adapter: str
    records: list[Checked]
    report: Report
    refused: Refused | None = None
    #: the collection year it was read with (``check``'s)
    collection_year: int | None = None


def check(
    org: Organisation,
    body: Body,
    media_type: str,
    profile: str | None = None,
    *,
    reference: Reference,
    collection_year: int | None = None,
) -> Prepared:
    """Read and check ``body`` as ``submit`` would, touching no database (module docstring)."""
    adapter = select_adapter(media_type, profile, reference, collection_year)
    if collection_year is not None:
        adapter = adapter.for_year(collection_year)
    prepared = Prepared(org.id, body.sha256, adapter.name, [], Report(), collection_year=collection_year)
    try:
        for record in _checked(adapter, body.open(), org, prepared.report, reference):
            if record.kind == "case":  # the storing process then only builds a resubmitted case
                record = replace(record, built=case_store.build(record.data, reference))
            prepared.records.append(record)
    except Refused as refused:
        prepared.records.clear()
        prepared.refused = refused
    return prepared


def _prepared(prepared: Prepared) -> Iterator[Checked]:
    """The records ``check`` kept, used up as they are read; its refusal, if it refused the body."""
    if prepared.refused is not None:
        raise prepared.refused
    records, prepared.records = prepared.records, []
    yield from records


def _replay(earlier: Submission, asked: str) -> Submission:
    idempotency.same_request(
        earlier.id,
        idempotency.fingerprint(
            earlier.sha256, earlier.media_type, earlier.adapter, earlier.atomic, earlier.collection_year
        ),
        asked,
        resource_type="submission",
        action="submission",
    )
    earlier.replayed = True
    return earlier


def summary(submission: Submission) -> dict[str, Any]:
    """What a submitter is told: the receipt fields, the signed receipt, the report and what was stored."""
    return {
        "id": submission.id,
        "sha256": submission.sha256,
        "received_at": submission.received_at,
        "completed_at": submission.completed_at,
        "status": submission.status,
        "adapter": submission.adapter,
        "atomic": submission.atomic,
        "collection_year": submission.collection_year,
        "previous_submissions": submission.previous_submissions,
        "same_year_tables": submission.same_year_tables,
        "records": submission.records,
        "accepted": submission.accepted,
        "rejected": submission.rejected,
        "findings": submission.findings,
        "report": submission.report,
        "stored_ids": submission.stored_ids,
        "receipt": submission.receipt,
    }


def _receipt(submission: Submission) -> str:
    return sign_claims(
        {
            "id": str(submission.id),
            "sha256": submission.sha256,
            "received_at": submission.received_at.isoformat(),
            "status": submission.status,
            "records": submission.records,
            "accepted": submission.accepted,
            "rejected": submission.rejected,
            "findings": submission.findings,
        }
    )


# --- reading and checking a stream ---------------------------------------------------------------
class Refused(Exception):
    """The whole stream is refused (a FormatError, or a return from another LA): nothing is stored."""

    def __init__(self, code: str, message: str, position: Position) -> None:
        super().__init__(message)
        self.code, self.message, self.position = code, message, position

    def __reduce__(self) -> tuple[Any, ...]:  # ``check`` may run in another process
        return Refused, (self.code, self.message, self.position)


@dataclass(frozen=True)
class Checked:
    """A record that passed its schema and rules: JSON-ready canonical data."""

    seq: int
    kind: str
    data: dict[str, Any]
    position: Position
    #: a case built ahead as a new case (``check``), which storing uses if the case is new
    built: case_store.Built | case_store.CaseFault | None = None


#: the kind of a ``Checked`` finding (stored in the findings table, not as a record)
FINDING = "finding"


@dataclass
class Report:
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    faults: list[dict[str, Any]] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)
    findings: dict[str, int] = field(default_factory=dict)
    #: ids of the submissions read as last year's return (``_for_year``), else None
    previous: list[str] | None = None
    #: the parts of this year's return read from earlier submissions, each with its submission's id, else None
    same_year: dict[str, str] | None = None

    def reject(self, position: Position, faults: list[tuple[str, str, str]]) -> None:
        """One rejected record, with its (pointer suffix, code, message) faults."""
        self.rejected += 1
        for suffix, code, message in faults:
            where = position.as_dict()
            if suffix and position.pointer is not None:
                where["pointer"] = position.pointer.rstrip("/") + suffix
            self._item({"position": where, "code": code, "message": message})

    def reject_all(self, rejected: Rejected) -> None:
        """One record rejected with every fault, each at its own position."""
        self.rejected += 1
        for fault in rejected.faults:
            self._item({"position": fault.position.as_dict(), "code": fault.code, "message": fault.message})

    def found(self, finding: dict[str, Any]) -> None:
        self.findings[finding["severity"]] = self.findings.get(finding["severity"], 0) + 1
        self._item(finding)

    def _item(self, item: dict[str, Any]) -> None:
        if len(self.faults) < REPORT_LIMIT:
            self.faults.append(item)

    def stored(self, record_id: str) -> None:
        self.accepted += 1
        if len(self.stored_ids) < STORED_IDS_LIMIT and record_id not in self.stored_ids:
            self.stored_ids.append(record_id)

    def stored_many(self, record_ids: list[str]) -> None:
        for record_id in record_ids:
            self.stored(record_id)


def _schema_faults(
    kind: str, data: dict[str, Any], reference: Reference
) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    schema = RECORD_SCHEMAS.get(kind)
    if schema is None:
        return None, [("", codes.UNKNOWN_RECORD_KIND, "The adapter produced a record of no known kind.")]
    try:
        loaded = schema.load(data)
    except ValidationError as error:
        return None, [(f.pointer, f.code, f.message) for f in validation_faults(error)]
    if kind == "case":
        faults = [
            (f.pointer, f.code, f.message)
            for f in rules.case_faults(loaded, today=clock.today(), courts=reference.courts)
        ]
        if faults:
            return None, faults
    return schema.dump(loaded), []


def _checked(
    adapter: Adapter,
    stream: BinaryIO,
    org: Organisation,
    report: Report,
    reference: Reference,
    progress: Progress | None = None,
) -> Iterator[Checked]:
    """The stream's valid records; the invalid go to ``report``. Raises ``Refused``."""
    references: set[str] = set()
    try:
        for item in adapter.parse(stream):
            if isinstance(item, Finding):
                finding = _finding(item)
                report.found(finding)
                yield Checked(report.records, FINDING, finding, item.position)
                continue
            header = isinstance(item, Record) and return_store.is_header(item.kind)
            if not header:
                report.records += 1
            if progress is not None:
                progress(report.records, stream.tell())
            if isinstance(item, RecordError):
                report.reject(item.position, [("", item.code, item.message)])
                continue
            if isinstance(item, Rejected):
                report.reject_all(item)
                continue
            if header and return_store.header_la(item.data) != org.la_code:
                raise Refused(
                    codes.LA_NOT_SUBMITTER,
                    "The return is for another local authority than the submitter.",
                    item.position,
                )
            data, faults = _schema_faults(item.kind, item.data, reference)
            if data is not None:
                faults = _exchange_rules(item, data, org, references)
            if faults:
                if header:  # a header the canonical schema refuses: the return cannot be read
                    raise Refused(faults[0][1], faults[0][2], item.position)
                report.reject(item.position, faults)
                continue
            yield Checked(report.records, item.kind, data, item.position)  # type: ignore[arg-type]
    except FormatError as error:
        raise Refused(error.code, error.message, error.position) from None


def _finding(item: Finding) -> dict[str, Any]:
    return {
        "code": item.code,
        "severity": item.severity,
        "record": item.record,
        "position": item.position.as_dict(),
        "message": item.message,
    }


def _exchange_rules(
    item: Record, data: dict[str, Any], org: Organisation, references: set[str]
) -> list[tuple[str, str, str]]:
    """The rules on a case that need to know the submitter or the rest of the submission."""
    if item.kind != "case":
        return []
    if data["applicant_la"] != org.la_code:
        return [
            ("/applicant_la", codes.APPLICANT_LA_NOT_SUBMITTER, "The applicant LA must be the submitter.")
        ]
    if data["reference"] in references:
        return [("/reference", codes.DUPLICATE_REFERENCE, "The reference appears twice in this submission.")]
    references.add(data["reference"])
    return []


def _apply(
    session: Session,
    org: Organisation,
    submission: Submission,
    records: list[Checked],
    report: Report,
    reference: Reference,
) -> None:
    """Store checked records in order: a case at a time, a run of return records or findings in bulk."""
    for kind, group in groupby(records, key=lambda r: r.kind if r.kind in ("case", FINDING) else ""):
        run = list(group)
        if kind == FINDING:
            finding_store.add_many(session, submission.id, [r.data for r in run])
            continue
        if kind != "case":
            rows = [(r.kind, r.data) for r in run]
            ids = return_store.apply_many(session, org, submission.id, rows, submission.collection_year)
            # a return's header is stored with it but is no data record: not counted as accepted
            report.stored_many(
                [i for r, i in zip(run, ids, strict=True) if not return_store.is_header(r.kind)]
            )
            episodes.reach_cases(session, org, [d for k, d in rows if k == "legal_status_episode"], reference)
            continue
        cases = list(run)
        stored = case_store.store_submitted_many(
            session, org, [r.data for r in cases], reference, [r.built for r in cases]
        )
        for record, case in zip(cases, stored, strict=True):
            if isinstance(case, case_store.CaseFault):
                report.reject(record.position, [(case.pointer, case.code, case.message)])
            else:
                report.stored(str(case.id))
    records.clear()


# --- processing ----------------------------------------------------------------------------------
def _for_year(session: Session, submission: Submission, adapter: Adapter, report: Report) -> Adapter:
    """``adapter`` reading the submission's collection year (as it is when none was named). When its rules
    compare with last year's return, that return is each part (an SSDA903 table: an XML return gives them
    all, a zip those of its files) from the newest of the submitter's own processed submissions of the year
    before that gave it; their ids go in ``report.previous``, [] when there are none. The parts of this
    year's return the body does not give are read likewise from the submitter's processed submissions of
    this year (``report.same_year``: each part with its submission's id), so the rules read across them."""
    year = submission.collection_year
    if year is None:
        return adapter
    if not adapter.reads_last_year:
        return adapter.for_year(year)
    last_year = _newest_parts(session, adapter, submission, year - 1, frozenset())
    report.previous = [str(earlier.id) for earlier, _ in last_year]
    own = adapter.parts(store.open_body(session, submission.sha256))
    this_year = _newest_parts(session, adapter, submission, year, own) if own else []
    report.same_year = {part: str(earlier.id) for earlier, parts in this_year for part in sorted(parts)}
    return adapter.for_year(
        year,
        [Earlier(store.open_body(session, earlier.sha256), parts) for earlier, parts in last_year],
        [Earlier(store.open_body(session, earlier.sha256), parts) for earlier, parts in this_year],
    )


def _newest_parts(
    session: Session, adapter: Adapter, submission: Submission, year: int, given: frozenset[str]
) -> list[tuple[Submission, frozenset[str]]]:
    """The submitter's processed submissions of ``year`` through ``adapter``, newest first, each with the
    parts it gives that neither ``given`` nor a newer one does (a submission left with none is left out)."""
    kept = []
    for earlier in store.processed_returns(session, submission.org_id, submission.adapter, year):
        parts = adapter.parts(store.open_body(session, earlier.sha256))
        if parts - given:
            kept.append((earlier, parts - given))
        given |= parts
    return kept


def _process_inline(
    session: Session,
    org: Organisation,
    submission: Submission,
    report: Report,
    records: Iterable[Checked],
    reference: Reference,
) -> None:
    """Store ``records`` (read as they are stored; ``Refused`` from them stores nothing) and finish."""
    pending: list[Checked] = []
    store.hold(session, submission.id)  # a long import outlives its lease: no worker may take it over
    try:
        for record in records:
            pending.append(record)
            if len(pending) >= APPLY_BATCH:
                _apply(session, org, submission, pending, report, reference)
        _apply(session, org, submission, pending, report, reference)
    except Refused as refused:
        session.rollback()
        _finish(session, submission, report, refused)
        return
    if submission.atomic and report.rejected:
        session.rollback()
    _finish(session, submission, report)


def process_next_submission(session: Session, settings: Settings) -> bool:
    """Lease and process one large submission; False if none is waiting (the worker then sleeps)."""
    small = settings.inline_submission_bytes
    submission = store.claim_next(session, small)
    if submission is None:
        session.rollback()
        return False
    session.commit()
    org = session.get(Organisation, submission.org_id)
    reference = settings.reference
    lease = store.lease_for(store.body_size(session, submission.sha256), small)
    store.drop_staged(session, submission.id)  # what a dead worker staged before its lease ran out
    report = Report()
    adapter = _for_year(session, submission, registry.get(submission.adapter, reference), report)
    batch: list[dict[str, Any]] = []
    try:
        stream = store.open_body(session, submission.sha256)
        for record in _checked(adapter, stream, org, report, reference):  # type: ignore[arg-type]
            batch.append(
                {
                    "seq": record.seq,
                    "kind": record.kind,
                    "position": record.position.as_dict(),
                    "data": record.data,
                }
            )
            if len(batch) >= STAGE_BATCH:
                _stage(session, submission, batch, report, lease)
        _stage(session, submission, batch, report, lease)
    except Refused as refused:
        session.rollback()
        store.drop_staged(session, submission.id)
        _finish(session, submission, report, refused)
        return True
    pending: list[Checked] = []
    for staged in store.staged(session, submission.id):
        pending.append(Checked(staged.seq, staged.kind, staged.data, Position(**staged.position)))
        if len(pending) >= APPLY_BATCH:
            _apply(session, org, submission, pending, report, reference)  # type: ignore[arg-type]
    _apply(session, org, submission, pending, report, reference)  # type: ignore[arg-type]
    if submission.atomic and report.rejected:
        session.rollback()
    store.drop_staged(session, submission.id)
    _finish(session, submission, report)
    return True


def _stage(
    session: Session, submission: Submission, batch: list[dict[str, Any]], report: Report, lease: timedelta
) -> None:
    store.stage(session, submission.id, batch)
    store.renew(session, submission.id, report.records, lease)
    session.commit()
    batch.clear()


def _finish(session: Session, submission: Submission, report: Report, refused: Refused | None = None) -> None:
    """Record the outcome, re-sign the receipt and commit (with what was stored, unless rolled back)."""
    store.hold(session, submission.id)
    if refused is not None:
        report.faults = [
            {"position": refused.position.as_dict(), "code": refused.code, "message": refused.message}
        ]
    elif not report.records:
        report.faults = [{"position": {}, "code": codes.NO_RECORDS, "message": "The body holds no record."}]
    kept = refused is None and not (submission.atomic and report.rejected)
    submission.records = report.records
    submission.accepted = report.accepted if kept else 0
    submission.rejected = report.rejected if kept else report.records
    submission.findings = report.findings if kept else {}
    submission.status = (
        "accepted"
        if kept and report.accepted and not report.rejected
        else "partially_accepted"
        if kept and report.accepted
        else "rejected"
    )
    submission.report = report.faults
    submission.stored_ids = report.stored_ids if kept else []
    submission.previous_submissions = report.previous
    submission.same_year_tables = report.same_year
    submission.completed_at = clock.now()
    submission.lease_until = None
    if submission.status == "rejected" and submission.answer_status == 201:
        submission.answer_status = 422
    submission.receipt = _receipt(submission)
    audit.record(
        "submission.processed",
        submission.status,
        client_id=submission.client_id,
        org_id=submission.org_id,
        resource_type="submission",
        resource_ids=[submission.id, *submission.stored_ids],
        detail={
            "records": submission.records,
            "accepted": submission.accepted,
            "rejected": submission.rejected,
            "findings": submission.findings,
        },
        session=session,
    )
    session.add(submission)
    session.commit()
