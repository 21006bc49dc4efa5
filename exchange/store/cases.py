"""Cases: the output document built from canonical input, who may see it, its versions and its queries.

A case is stored as its current output document (exchange ids on the case, children, parties, hearings
and orders; ``dfj_area`` and ``region`` from the reference courts; ``version``; ``updated_at``) beside
the columns and rows the board metrics query. ``save`` is the only writer of a stored case: it bumps the
version only when a recipient would see a difference (compared through the field policy of every
recipient kind), appends a ``CaseVersion`` and sends ``signals.case_changed``. New cases submitted in a
batch are written by ``store_submitted_many`` with one bulk INSERT per table (``db.insert_many``), with the
same version, feed row and signal, and ``signals.cases_inserted`` for the metric counts. ``feed_seq`` is
assigned when the transaction commits, under the audit chain's lock, so the feed follows commit order across
processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, cached_property
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, and_, event, false, func, or_, select, true
from sqlalchemy.orm import Session

from exchange import clock, cursors, field_policy, signals
from exchange.audit import CHAIN_LOCK
from exchange.db import EncodedJSON, insert_many, new_id, serialize
from exchange.errors import DomainError
from exchange.models import Case, CaseChild, CaseHearing, CaseVersion, Organisation
from exchange.reference import Court, FieldPolicy, Reference
from schemas import code_lists
from schemas import error_codes as codes

CLOSED_STATE = "CLOSED"
FINAL_OUTCOMES = frozenset({"FINAL_ORDER", "REFUSAL", "WITHDRAWN", "NO_ORDER"})
#: every kind of organisation that may be shown a case (the others never see one)
RECIPIENT_KINDS = ("local_authority", "court", "cafcass")
#: Children and Families Act 2014: care proceedings end within 26 weeks of issue unless extended
STATUTORY_TIMETABLE = timedelta(weeks=26)
_PENDING = "case_versions_pending"
#: input fields that say how the case came to its court; the document keeps them as ``transfers``
TRANSFER_INPUT = ("transferred_from", "transferred_on")


class CaseFault(DomainError):
    """A rule a write breaks: a stable ``code``, a message without personal data, a JSON pointer."""


# --- who may see a case -----------------------------------------------------------------------------
def may_see(org: Organisation, case: Case) -> bool:
    """SPEC §1 and §9: the applicant LA, the case's court, and the Cafcass service the case is routed to
    (by the applicant LA: Cafcass Cymru for a Welsh LA's case wherever the court)."""
    if org.kind == "local_authority":
        return case.applicant_la == org.la_code
    if org.kind == "court":
        return case.court in (org.court_codes or [])
    if org.kind == "cafcass":
        return case.cafcass_service == org.service
    return False


def visible_to(org: Organisation) -> ColumnElement[bool]:
    """``may_see`` as a SQL condition on ``cases``."""
    if org.kind == "local_authority":
        return Case.applicant_la == org.la_code if org.la_code else false()
    if org.kind == "court":
        return Case.court.in_(org.court_codes) if org.court_codes else false()
    if org.kind == "cafcass":
        return Case.cafcass_service == org.service if org.service else false()
    return false()


def view(case_document: dict[str, Any], org: Organisation, policy: FieldPolicy) -> dict[str, Any]:
    """The document as ``org`` may receive it (need to know: the field policy of its kind)."""
    return field_policy.filter_case(case_document, org.kind, policy)


def etag(case: Case, org: Organisation) -> str:
    """A strong validator of the representation ``org`` gets: its version as seen by its kind."""
    return hashlib.sha256(f"{case.id}:{case.version}:{org.kind}".encode()).hexdigest()[:32]


# --- reading ----------------------------------------------------------------------------------------
def get(session: Session, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    """The case; ``for_update`` holds its row until the transaction ends, so concurrent writers take turns."""
    return session.get(Case, case_id, with_for_update=for_update or None)


def _reference_lock(org_id: str, reference: str) -> int:
    """A database lock id for one partner reference (63 bits of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(f"{org_id}\x00{reference}".encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    court: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None


def page(
    session: Session, org: Organisation, where: CaseFilter, limit: int, cursor: str | None = None
) -> tuple[Sequence[Case], str | None]:
    """One page of the cases ``org`` may see, oldest first, and the cursor of the next page (or None)."""
    query = select(Case).where(visible_to(org))
    if where.state:
        query = query.where(Case.state == where.state)
    if where.court:
        query = query.where(Case.court == where.court)
    if where.issued_from:
        query = query.where(Case.date_issued >= where.issued_from)
    if where.issued_to:
        query = query.where(Case.date_issued <= where.issued_to)
    if cursor:
        created, case_id = cursors.decode("c", cursor, cursors.instant, cursors.identifier)
        query = query.where(
            or_(Case.created_at > created, and_(Case.created_at == created, Case.id > case_id))
        )
    rows = session.scalars(query.order_by(Case.created_at, Case.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (cursors.encode("c", rows[-1].created_at, rows[-1].id) if more and rows else None)


def versions(session: Session, case: Case, limit: int, after: int = 0) -> Sequence[CaseVersion]:
    query = (
        select(CaseVersion)
        .where(CaseVersion.case_id == case.id, CaseVersion.version > after)
        .order_by(CaseVersion.version)
        .limit(limit)
    )
    return session.scalars(query).all()


def version(session: Session, case: Case, number: int) -> CaseVersion | None:
    return session.scalar(
        select(CaseVersion).where(CaseVersion.case_id == case.id, CaseVersion.version == number)
    )


# --- writing ----------------------------------------------------------------------------------------
def _matched_ids(
    items: list[dict[str, Any]],
    previous: list[dict[str, Any]],
    key: tuple[str, ...],
    made: dict[str, uuid.UUID] | None = None,
) -> None:
    """Give each item an exchange id: its own when it names a known one, else the id of the previous
    item with the same natural ``key``, else the previous item at the same position, else a new one.
    The ids of a new case's items, all new, are also put in ``made`` as UUIDs (text -> UUID)."""
    if not previous:  # a new case: every item is new
        for item in items:
            made_id = new_id()
            item["id"] = text = str(made_id)
            if made is not None:
                made[text] = made_id
        return
    known = {p["id"] for p in previous}
    by_key = {tuple(p.get(k) for k in key): p["id"] for p in previous if all(p.get(k) for k in key)}
    taken: set[str] = set()
    for n, item in enumerate(items):
        candidates = [
            item.get("id") if item.get("id") in known else None,
            by_key.get(tuple(item.get(k) for k in key)) if all(item.get(k) for k in key) else None,
            previous[n]["id"] if n < len(previous) else None,
        ]
        item["id"] = next((c for c in candidates if c and c not in taken), None) or str(new_id())
        taken.add(item["id"])


def _court(courts: Mapping[str, Court], code: str, pointer: str = "/court") -> Court:
    court = courts.get(code)
    if court is None:
        raise CaseFault(codes.CASE_COURT_UNKNOWN, "The court code is not a known FamilyMan court.", pointer)
    return court


def place(document: dict[str, Any], reference: Reference) -> None:
    """Set what the court and the applicant LA decide: ``dfj_area``, ``region`` and ``cafcass_service``."""
    court = _court(reference.courts, document["court"])
    document["dfj_area"], document["region"] = court.dfj_area, court.region
    document["cafcass_service"] = reference.advice_recipient(court.code, document["applicant_la"])


def transfer(document: dict[str, Any], court_code: str, on: date, reference: Reference) -> None:
    """Move the case to another court ``on`` a date; figures before it stay with the old DFJ area."""
    if court_code == document["court"]:
        raise CaseFault(codes.CASE_TRANSFERRED_TO_SAME_COURT, "The case is already at this court.", "/court")
    new_court = _court(reference.courts, court_code)
    earlier = document.get("transfers") or []
    if earlier and on < date.fromisoformat(earlier[-1]["on"]):
        raise CaseFault(
            codes.EVENT_OUT_OF_ORDER, "The transfer is dated before the case's last transfer.", "/on"
        )
    move = {
        "from_court": document["court"],
        "from_dfj_area": document["dfj_area"],
        "court": court_code,
        "dfj_area": new_court.dfj_area,
        "on": on.isoformat(),
    }
    document["transfers"] = [*earlier, move]
    document["court"] = court_code
    place(document, reference)


def build_document(
    case_id: uuid.UUID,
    data: dict[str, Any],
    previous: dict[str, Any] | None,
    reference: Reference,
    made: dict[str, uuid.UUID] | None = None,
) -> dict[str, Any]:
    """The output document (without ``version`` and ``updated_at``) of canonical input ``data``; the ids
    given to the items of a new case (no ``previous``) are put in ``made`` as UUIDs (text -> UUID).

    A case whose court differs from the ``previous`` document's (or from ``transferred_from`` on its first
    submission) has been transferred (``transfer``) on ``transferred_on`` or, when no date is given, today.
    """
    before = previous or {}
    document = {key: value for key, value in data.items() if key not in TRANSFER_INPUT}
    document["id"] = str(case_id)
    origin = before.get("court") or data.get("transferred_from")
    if origin and origin != data["court"]:
        document.update(court=origin, transfers=before.get("transfers") or [])
        place(document, reference)
        on = _date(data.get("transferred_on")) or clock.today()
        transfer(document, data["court"], on, reference)
    else:
        place(document, reference)
    for field, key in (
        ("children", ("la_child_id",)),
        ("respondents", ("role", "first_name", "last_name")),
        ("hearings", ("type", "starts_at")),
        ("orders_made", ("type", "made_on")),
    ):
        document[field] = [dict(item) for item in data.get(field, [])]
        _matched_ids(document[field], before.get(field, []), key, made)
    child_ids = {c["id"] for c in document["children"]}
    by_la_id = {c["la_child_id"]: c["id"] for c in document["children"] if c.get("la_child_id")}
    for n, order in enumerate(document["orders_made"]):
        mapped = [by_la_id.get(ref, ref) for ref in order.get("child_ids", [])]
        if any(ref not in child_ids for ref in mapped):
            raise CaseFault(
                codes.ORDER_UNKNOWN_CHILD,
                "An order names a child that is not in the case.",
                f"/orders_made/{n}/child_ids",
            )
        if "child_ids" in order:
            order["child_ids"] = mapped
    issued = _date(document.get("date_issued"))
    for child in document["children"]:
        if issued and not child.get("timetable_deadline"):
            child["timetable_deadline"] = (issued + STATUTORY_TIMETABLE).isoformat()
    return document


@cache
def _agencies() -> dict[str, str]:
    """Cancellation reason code -> the agency it blames (``LocalAuthority``, ``Cafcass``, ``HMCTS``, …)."""
    return {entry["code"]: entry["agency"] for entry in code_lists.get("cancellation_reasons")}


def _visible_difference(old: dict[str, Any] | None, new: dict[str, Any], policy: FieldPolicy) -> bool:
    if old is None:
        return True
    strip = ("version", "updated_at")
    old_core = {k: v for k, v in old.items() if k not in strip}
    new_core = {k: v for k, v in new.items() if k not in strip}
    return any(
        field_policy.filter_case(old_core, kind, policy) != field_policy.filter_case(new_core, kind, policy)
        for kind in RECIPIENT_KINDS
    )


def _date(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _columns(
    document: dict[str, Any], made: Mapping[str, uuid.UUID] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The query columns the metrics read, and the child and hearing rows (without ``case_id``); an item id
    in ``made`` (``build_document``'s) is taken from it rather than parsed."""
    ids: Mapping[str, uuid.UUID] = made or {}
    agencies = _agencies()
    disposals = [
        _date(c.get("outcome_date"))
        for c in document["children"]
        if c.get("outcome") in FINAL_OUTCOMES and c.get("outcome_date")
    ]
    columns = {
        "reference": document["reference"],
        "applicant_la": document["applicant_la"],
        "court": document["court"],
        "dfj_area": document["dfj_area"],
        "region": document["region"],
        "cafcass_service": document["cafcass_service"],
        "law": document["law"],
        "application_type": document["application_type"],
        "state": document.get("state") or "Submitted",
        "date_received": _date(document.get("date_received")),
        "date_issued": _date(document.get("date_issued")),
        "closed_date": _date(document.get("closed_date")),
        "first_disposal_date": min(disposals) if disposals else None,
    }
    children = [
        {
            "id": ids[c["id"]] if c["id"] in ids else uuid.UUID(c["id"]),
            "la_child_id": c.get("la_child_id") or "",
            "date_of_birth": _date(c.get("date_of_birth")),
            "sex": c.get("sex"),
            "outcome": c.get("outcome"),
            "outcome_date": _date(c.get("outcome_date")),
        }
        for c in document["children"]
    ]
    hearings = [
        {
            "id": ids[h["id"]] if h["id"] in ids else uuid.UUID(h["id"]),
            "type": h["type"],
            "starts_at": _instant(h.get("starts_at")),
            "status": h.get("status") or "listed",
            "cancellation_reason": h.get("cancellation_reason"),
            "cancellation_agency": agencies.get(h.get("cancellation_reason") or ""),
        }
        for h in document["hearings"]
    ]
    return columns, children, hearings


def _fill_columns(case: Case, document: dict[str, Any]) -> None:
    """The query columns and the child and hearing rows the metrics read, from the document."""
    columns, children, hearings = _columns(document)
    for name, value in columns.items():
        setattr(case, name, value)
    case.children = [CaseChild(**row) for row in children]
    case.hearings = [CaseHearing(**row) for row in hearings]


def save(
    session: Session,
    case: Case,
    document: dict[str, Any],
    event_type: str,
    policy: FieldPolicy,
    event_at: datetime | None = None,
) -> bool:
    """Store ``document`` as the case's new state; True if a recipient sees a change (a new version).

    ``case`` is new (not yet in the session) or loaded. A change no recipient sees (a date only the
    metrics read, say) is stored without a new version; no change at all writes nothing.
    """
    if not _visible_difference(case.document if case.version else None, document, policy):
        kept = {**document, "version": case.version, "updated_at": case.document["updated_at"]}
        if kept != case.document:
            case.document = kept
            _fill_columns(case, kept)
        return False
    now = clock.now()
    case.version = (case.version or 0) + 1
    case.updated_at = now
    case.last_event_at = max(filter(None, (case.last_event_at, event_at)), default=None)
    document = {**document, "version": case.version, "updated_at": now.isoformat()}
    # SQLAlchemy's JSON type sees a change only when the attribute is assigned a new object
    case.document = document
    _fill_columns(case, document)
    session.add(case)
    row = PendingVersion(case.id, case.version, event_type, document)
    session.info.setdefault(_PENDING, []).append(row)
    signals.case_changed.send(session=session, case=case, version=row, policy=policy)
    return True


@dataclass(slots=True)
class PendingVersion:
    """A ``CaseVersion`` row to be written when the transaction commits (``_number_versions`` numbers it):
    a plain object, never one the ORM tracks, since the row is only ever inserted."""

    case_id: uuid.UUID
    version: int
    event_type: str
    #: the document, or None when it is at hand only as the text written (``encoded``): ``document``
    _document: dict[str, Any] | None
    feed_seq: int | None = None
    committed_at: datetime | None = None
    #: the document as the JSON column writes it, when it was encoded already (a new case's, ``_insert_new``)
    encoded: EncodedJSON | None = None

    @property
    def document(self) -> dict[str, Any]:
        """The version's document; read back from ``encoded`` the first time it is asked for, when the
        version was made from its text alone (a bulk load's receivers mostly never ask)."""
        if self._document is None:
            self._document = json.loads(self.encoded or "null")
        return self._document


def new_case(org: Organisation) -> Case:
    """An empty case of ``org``, to be filled by ``save``."""
    return Case(id=new_id(), org_id=org.id, version=0, created_at=clock.now())


@event.listens_for(Session, "before_commit")
def _number_versions(session: Session) -> None:
    """Give the transaction's new versions the next feed numbers, in commit order across processes, and
    write them."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the cases the versions belong to
    serialize(session, CHAIN_LOCK)
    last = session.scalar(select(func.coalesce(func.max(CaseVersion.feed_seq), 0)).where(true()))
    now = clock.now()
    rows = []
    for seq, row in enumerate(pending, start=last + 1):
        row.feed_seq, row.committed_at = seq, now
        rows.append(
            {
                "feed_seq": seq,
                "case_id": row.case_id,
                "version": row.version,
                "event_type": row.event_type,
                "document": row.encoded if row.encoded is not None else row.document,
                "committed_at": now,
            }
        )
    # one bulk INSERT: the rows are written, never read back, so the ORM has nothing to track
    insert_many(session.connection(), CaseVersion.__table__, rows)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def store_submitted(session: Session, org: Organisation, data: dict[str, Any], reference: Reference) -> Case:
    """Create or update ``org``'s case with the submitted ``data`` (its reference says which)."""
    (case,) = store_submitted_many(session, org, [data], reference)
    if isinstance(case, CaseFault):
        raise case
    return case


@dataclass(frozen=True)
class Built:
    """A submitted case built as a new case (``build``): its id, its document's JSON text (``json.dumps``
    of the document without ``version`` and ``updated_at``: the text, not the document, travels from a
    checking process), query columns and child and hearing rows (with ``case_id``), which
    ``store_submitted_many`` writes when the case is new, and what ``signals.case_built``'s receivers
    worked out ahead (``ahead``). It needs no database, so it may be built ahead, in another process."""

    id: uuid.UUID
    encoded: str
    columns: dict[str, Any]
    children: list[dict[str, Any]]
    hearings: list[dict[str, Any]]
    ahead: dict[str, Any] = dataclasses.field(default_factory=dict)


def build(data: dict[str, Any], reference: Reference) -> Built | CaseFault:
    """Canonical input ``data`` built as a new case (``signals.case_built`` sent), or the ``CaseFault`` that
    refuses it."""
    case_id = new_id()
    made: dict[str, uuid.UUID] = {}
    try:
        document = build_document(case_id, data, None, reference, made)
    except CaseFault as fault:
        return fault
    columns, children, hearings = _columns(document, made)
    for row in (*children, *hearings):  # rows made for this case alone: given its id in place
        row["case_id"] = case_id
    built = Built(case_id, json.dumps(document), columns, children, hearings)
    if signals.case_built.receivers:
        view = _as_row({"id": case_id, "document": document, **built.columns}, built.children, built.hearings)
        signals.case_built.send(case=view, ahead=built.ahead)
    return built


class _Row(SimpleNamespace):
    """A case as the rows written for it (``_as_row``). Given no ``document``, it reads the document back
    from the text written (``encoded``) the first time it is asked for: a bulk load's receivers mostly
    never ask."""

    @cached_property
    def document(self) -> dict[str, Any]:
        return json.loads(self.encoded)


def _as_row(
    columns: dict[str, Any], children: list[dict[str, Any]], hearings: list[dict[str, Any]], **more: Any
) -> SimpleNamespace:
    """A case as the rows written for it (its columns, children and hearings), read by attribute as a
    ``Case`` is."""
    return _Row(
        **columns,
        children=[SimpleNamespace(**child) for child in children],
        hearings=[SimpleNamespace(**hearing) for hearing in hearings],
        **more,
    )


def store_submitted_many(
    session: Session,
    org: Organisation,
    batch: Sequence[dict[str, Any]],
    reference: Reference,
    built: Sequence[Built | CaseFault | None] | None = None,
) -> list[Case | SimpleNamespace | CaseFault]:
    """``store_submitted`` for each of a batch of cases with distinct references: the stored case (a new
    one as the row ``_insert_new`` wrote, which reads as a ``Case``), or the ``CaseFault`` that refused it
    (the others are stored all the same). ``built[n]``, when given, is what ``build`` made of ``batch[n]``
    beforehand: used if the case is new, else (a resubmission) the case is built again on what is stored.

    The batch's earlier cases are read in one query, and nothing is flushed case by case: the session
    writes the batch's rows when it next flushes, many rows to a statement (a bulk load's cost is then
    the rows, not a round trip and a unit of work per case).
    """
    # concurrent submissions of one reference take turns: the second then updates what the first created
    for lock in sorted({_reference_lock(org.id, data["reference"]) for data in batch}):
        serialize(session, lock)
    references = [data["reference"] for data in batch]
    earlier = {
        case.reference: case
        for case in session.scalars(select(Case).where(Case.org_id == org.id, Case.reference.in_(references)))
    }
    out: list[Any] = []
    new: list[tuple[int, Built]] = []  # (place in ``out``, the new case)
    with session.no_autoflush:
        for n, data in enumerate(batch):
            case = earlier.get(data["reference"])
            if case is None:
                made = built[n] if built is not None else None
                made = build(data, reference) if made is None else made
                if isinstance(made, CaseFault):
                    out.append(made)
                else:
                    new.append((len(out), made))
                    out.append(None)  # the inserted row, below
                continue
            try:
                document = build_document(case.id, data, case.document, reference)
            except CaseFault as fault:
                out.append(fault)
                continue
            out.append(case)
            # what progression events added that a resubmission does not carry is kept
            kept = {k: v for k, v in case.document.items() if k not in ("version", "updated_at")}
            save(session, case, {**kept, **document}, "case.submitted", reference.field_policy)
    inserted = _insert_new(session, org, [made for _, made in new], reference.field_policy)
    for (at, _), row in zip(new, inserted, strict=True):
        out[at] = row
    return out


def _insert_new(
    session: Session, org: Organisation, new: list[Built], policy: FieldPolicy
) -> list[SimpleNamespace]:
    """``save`` for cases not stored before, with one bulk INSERT per table (``insert_many``): version 1
    of each, its feed row and ``case_changed`` as ``save`` gives them, then ``signals.cases_inserted`` for
    what listens to the ORM's flushes (the metric counts). Each case is answered as the row written (its
    columns, document, children and hearings), not as an ORM object."""
    if not new:
        return []
    now = clock.now()
    cases, children, hearings, inserted = [], [], [], []
    # the keys ``save`` adds, in its order, as ``json.dumps`` writes them after the document's own
    added = {"version": 1, "updated_at": now.isoformat()}
    tail = ", " + json.dumps(added)[1:]
    for made in new:
        row = {"id": made.id, "org_id": org.id, "version": 1, "last_event_at": None}
        row |= {"created_at": now, "updated_at": now, **made.columns}
        # the document's text written once, for its row and its version's: the built text with the keys
        text = EncodedJSON(made.encoded[:-1] + tail)
        cases.append(row | {"document": text})
        children += made.children
        hearings += made.hearings
        inserted.append(_as_row(row, made.children, made.hearings, ahead=made.ahead, encoded=text))
    connection = session.connection()
    insert_many(connection, Case.__table__, cases)
    insert_many(connection, CaseChild.__table__, children)
    insert_many(connection, CaseHearing.__table__, hearings)
    pending = session.info.setdefault(_PENDING, [])
    for case in inserted:
        row = PendingVersion(case.id, 1, "case.submitted", None, encoded=case.encoded)
        pending.append(row)
        signals.case_changed.send(session=session, case=case, version=row, policy=policy)
    signals.cases_inserted.send(session=session, cases=inserted)
    return inserted
