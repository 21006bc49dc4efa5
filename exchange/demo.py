"""Synthetic national data for the demo: SYNTHETIC cases shaped by published figures, loaded through the
public intake (canonical-json batches submitted by each area's local authority organisation, CIN census
returns, advice requests asked and answered through ``exchange.advice``).

Nothing here is real: organisations are named "(synthetic)", references start ``SYN-``, children have no
names or UPNs. Shapes (SPEC §8, DOMAIN.md; ``scale`` takes a share of every volume): about 16,000 care and
supervision (s31) and 50,000 private-law cases a year across the DFJ areas, with monthly seasonality of
±10% and December lower; children per care case 1..4 with P .62/.22/.10/.06 (1.6), per private case 1.5;
care durations lognormal with median 31 weeks and sigma 0.40 times an area effect of about ±16% (centred,
so that the areas spread around the national median), and a long tail: 4.5% of care cases run 100 weeks
and an exponential 130 more on average, with larger sibling groups (the cases open over 100 weeks);
private law 30% ending at the first hearing and the rest lognormal around 48 weeks; hearings per care case
1 + Poisson(4.5) (more for longer cases) with about a third of cases having one vacated (the agency from
the HMCTS cancellation codes), every hearing, issue and disposal on a working day and none listed more than
16 weeks ahead; a disposed case closed within four weeks; 3% of cases transferred from another area's
court while open. Cases issued in the years before the window that
are still open when it starts are loaded too, so that its first year's disposals and open cases are those
of a steady state. Calibrated so that the last whole year gives (the published national figures, DOMAIN.md)
a mean care duration of about 40 weeks, about a third within 26 weeks, and over 3,000 children in care
cases open over 100 weeks. The same seed and end date give the same data.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import multiprocessing
import os
import random
import secrets
import signal
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from adapters.cin_census import YEARS
from exchange import advice, audit, clock, pipeline
from exchange.bodies import Body
from exchange.metrics import measures
from exchange.metrics.aggregates import NATIONAL, OVER_100_WEEKS_DAYS
from exchange.metrics.periods import Period, month_of, month_start
from exchange.models import Advice, Case, CaseChild, CaseHearing, OAuthClient, Organisation
from exchange.models.oauth import AUTH_SECRET, hash_secret
from exchange.models.orgs import KIND_SCOPES
from exchange.reference import Reference
from exchange.settings import Settings
from exchange.synthetic_cin import census_chunks
from exchange.working_days import ONE_DAY, add_working_days, is_working_day
from schemas import code_lists
from schemas.advice import AdviceRequestIn, CaseDetails

PUBLIC_PER_YEAR, PRIVATE_PER_YEAR = 16_000, 50_000
#: the share of the nation ``exchange demo`` loads by default (care and private law alike): all of it, three
#: years of which are about 247,000 cases with the history before the window (docs/metrics.md)
DEFAULT_SCALE = 1.0
CHILDREN_WEIGHTS = (0.62, 0.22, 0.10, 0.06)
#: the long tail's larger sibling groups (a case about four children takes longer)
LONG_CHILDREN_WEIGHTS = (0.35, 0.30, 0.20, 0.15)
PRIVATE_CHILDREN_WEIGHTS = (0.65, 0.25, 0.07, 0.03)
#: age at issue: (from, to years, share); a care or supervision order cannot be sought for a child of 17 or
#: more (Children Act 1989 s31(3)), so the oldest band stops short of the 17th birthday
AGE_BANDS_YEARS = ((0, 1, 0.23), (1, 5, 0.22), (5, 10, 0.23), (10, 15, 0.22), (15, 16.99, 0.10))
CARE_MEDIAN_WEEKS, CARE_SIGMA, AREA_SIGMA = 31.0, 0.40, 0.16
#: the cases that run on: this share lasts 100 weeks plus an exponential tail of this mean
LONG_SHARE, LONG_FROM_WEEKS, LONG_TAIL_WEEKS = 0.045, 100, 130
PRIVATE_MEDIAN_WEEKS, PRIVATE_EARLY_SHARE = 48.0, 0.30
#: s31 applications: (orders sought, share)
CARE_APPLICATIONS = (
    (("CARE_ORDER", "INTERIM_CARE_ORDER"), 0.80),
    (("CARE_ORDER",), 0.10),
    (("SUPERVISION_ORDER", "INTERIM_SUPERVISION_ORDER"), 0.10),
)
VACATED_SHARE = 1 / 3
OUTCOMES = (("FINAL_ORDER", 0.88), ("WITHDRAWN", 0.06), ("NO_ORDER", 0.04), ("REFUSAL", 0.02))
#: hearings further ahead than this are not listed yet
LISTING_HORIZON = timedelta(weeks=16)
#: a disposed case is closed on the court's system within this many days (if that day has come)
CLOSING_DAYS = 28
#: cases transferred to their court from another area's before they end (or today): their first
#: submission names the court they came from and the day (``transferred_from``, ``transferred_on``)
TRANSFER_SHARE = 0.03
#: years of cases issued before the window (care, private law), of which those still open at its start
#: are loaded; the care history stops where the bank-holiday calendar does
HISTORY_YEARS = {"public": 9, "private": 2}
#: advice requests: a safeguarding letter for this share of the private-law cases issued in the window's
#: last months (the courts that ask through the exchange), answered on time this often
ADVICE_MONTHS, ADVICE_SHARE, ADVICE_ON_TIME = 6, 0.25, 0.85
#: children in the CIN census returns (2026-27 collection, with pre-proceedings) of the English areas' LAs
CENSUS_CHILDREN = 20_000
BATCH_BYTES = 900_000  # under the inline limit, so every batch is processed in the request
BATCH_CASES = 1000
#: batches handed to the checking processes before the first of them is stored
CHECKING_AHEAD = 8
#: how much the generating and checking processes yield the CPU (``os.nice``) to the storing process, the
#: one whose work cannot be spread: with more processes ready than CPUs, it runs and they wait
HELPERS_NICENESS = 10
#: during the load the cyclic garbage collector runs after this many new containers, not 700: a batch makes
#: hundreds of thousands of short-lived ones (rows, documents), few of them in a cycle
LOAD_GC_THRESHOLD = 50_000
DEMO_PREFIX = "demo-"
SYNTHETIC = "(synthetic)"
SHOWCASE_AREA = "CENTRAL_LONDON"


@dataclass(frozen=True)
class Client:
    org_id: str
    kind: str
    client_id: str
    client_secret: str
    scopes: str


def _seasonality(month: int) -> float:
    """±10% over the year, December lowest."""
    number = month % 12 + 1
    return 0.85 if number == 12 else 1.0 + 0.1 * math.sin(2 * math.pi * (number - 3) / 12)


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def demo_areas(reference: Reference) -> dict[str, tuple[str, str]]:
    """Each board's DFJ area -> (one LA of it, one court of it): the LA that submits the area's cases."""
    courts: dict[str, str] = {}
    for code, court in sorted(reference.courts.items()):
        courts.setdefault(court.dfj_area, code)
    las: dict[str, str] = {}
    for code, la in sorted(reference.local_authorities.items()):
        if la.dfj_area and not la.ambiguous:
            las.setdefault(la.dfj_area, code)
    return {
        area: (las[area], courts[area]) for area in reference.board_areas if area in las and area in courts
    }


def _cancellation_reasons() -> list[str]:
    return [e["code"] for e in code_lists.get("cancellation_reasons")]


class Generator:
    """Deterministic synthetic cases issued month by month for ``years`` up to the month before ``today``
    (the window), and the care cases issued in the ``HISTORY_YEARS`` before it that are still open when it
    starts, so that its first year's disposals and open cases are those of a steady state.

    Courts sit on working days (``reference.bank_holidays``): a case is issued, heard and disposed on one.
    """

    def __init__(
        self,
        seed: int,
        years: int,
        today: date,
        scale: float,
        reference: Reference,
        transfer_share: float = TRANSFER_SHARE,
    ) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.last_month = month_of(today) - 1
        self.first_month = self.last_month - 12 * years + 1
        self.window_start = month_start(self.first_month)
        holidays = reference.bank_holidays
        self.history_months = {
            law: max(self.first_month - 12 * years, holidays.years.start * 12)
            for law, years in HISTORY_YEARS.items()
        }
        self.holidays = holidays
        self.working: dict[date, date] = {}
        self.scale = scale
        self.areas = demo_areas(reference)
        # area sizes and duration effects: fixed per seed
        self.weights = {a: self.rng.lognormvariate(0, 0.5) for a in self.areas}
        effect = {a: self.rng.gauss(0, AREA_SIGMA) for a in self.areas}
        # centred on the national median: the areas spread around it, whatever the seed
        centre = sum(self.weights[a] * effect[a] for a in self.areas) / sum(self.weights.values())
        self.effect = {a: math.exp(effect[a] - centre) for a in self.areas}
        self.reasons = _cancellation_reasons()
        self.serial = 0
        # transfers draw from their own sequence: the cases are those the seed gives without them
        self.transfers = random.Random(seed + 1)
        self.transfer_share = transfer_share

    def _working_day(self, day: date) -> date:
        """``day`` if the courts sit on it, else the next day they do (remembered: asked ~20 times a case)."""
        found = self.working.get(day)
        if found is None:
            found = day
            while not is_working_day(found, self.holidays):
                found += ONE_DAY
            self.working[day] = found
        return found

    def _day_in(self, month: int) -> date:
        start = month_start(month)
        days = (month_start(month + 1) - start).days
        return start + timedelta(days=self.rng.randrange(days))

    def _children(
        self, issued: date, outcome: str, disposed: date | None, weights: tuple[float, ...]
    ) -> list[dict[str, Any]]:
        count = self.rng.choices((1, 2, 3, 4), weights)[0]
        children = []
        for n in range(count):
            low, high, _ = self.rng.choices(AGE_BANDS_YEARS, [b[2] for b in AGE_BANDS_YEARS])[0]
            born = issued - timedelta(days=int(self.rng.uniform(low, high) * 365.25))
            child = {
                "la_child_id": f"SYN-C{self.serial:07d}-{n}",
                "date_of_birth": born.isoformat(),
                "sex": self.rng.choice("MF"),
            }
            if disposed:
                child |= {"outcome": outcome, "outcome_date": disposed.isoformat()}
            children.append(child)
        return children

    def _hearings(self, issued: date, ends: date, count: int, vacate: bool) -> list[dict[str, Any]]:
        """A case management hearing at day 12-30, then further hearings, the IRH and the final hearing on
        ``ends``, each on a working day; only those up to ``LISTING_HORIZON`` ahead of today are listed."""
        span = max((ends - issued).days, 2)
        first = min(self.rng.randint(12, 30), span)
        middle = sorted(self.rng.randint(first, span) for _ in range(count - 2))
        days = [first, *middle, span][:count]
        types = ["CASE_MANAGEMENT", *["FURTHER_CASE_MANAGEMENT"] * (count - 3), "ISSUE_RESOLUTION", "FINAL"]
        types = types if count >= 3 else ["CASE_MANAGEMENT", "FINAL"][:count]
        vacated = self.rng.randrange(count) if vacate else -1
        horizon = self.today + LISTING_HORIZON
        hearings = []
        for n, (kind, day) in enumerate(zip(types, days, strict=True)):
            when = ends if kind == "FINAL" else issued + timedelta(days=day)
            if when > horizon:
                break
            when = self._working_day(when)
            hearing = {
                "type": kind,
                "starts_at": f"{when.isoformat()}T10:00:00+00:00",
                "status": "held" if when < self.today else "listed",
            }
            if n == vacated and when < self.today:
                hearing |= {"status": "vacated", "cancellation_reason": self.rng.choice(self.reasons)}
            hearings.append(hearing)
        return hearings

    def _weeks(self, area: str, law: str) -> tuple[float, bool]:
        """How long a case runs, and whether it is one of the long tail."""
        if law == "public":
            if self.rng.random() < LONG_SHARE:
                return LONG_FROM_WEEKS + self.rng.expovariate(1 / LONG_TAIL_WEEKS), True
            return self.rng.lognormvariate(math.log(CARE_MEDIAN_WEEKS * self.effect[area]), CARE_SIGMA), False
        if self.rng.random() < PRIVATE_EARLY_SHARE:
            return self.rng.uniform(6, 12), False
        return self.rng.lognormvariate(math.log(PRIVATE_MEDIAN_WEEKS), CARE_SIGMA), False

    def _case(self, area: str, law: str, issued: date, weeks: float, long: bool) -> dict[str, Any]:
        la, court = self.areas[area]
        self.serial += 1
        ends = issued + timedelta(days=int(weeks * 7))
        if ends <= self.today + LISTING_HORIZON:  # else not yet known, nor within the holiday calendar
            ends = self._working_day(ends)
        disposed = ends if ends < self.today else None
        outcome = _weighted(self.rng, OUTCOMES)
        mean_hearings = 4.5 * max(1.0, weeks / 40) if law == "public" else 1.5
        hearings = 1 + _poisson(self.rng, mean_hearings)
        if law == "public":
            weights = LONG_CHILDREN_WEIGHTS if long else CHILDREN_WEIGHTS
            orders = list(_weighted(self.rng, CARE_APPLICATIONS))
        else:
            weights, orders = PRIVATE_CHILDREN_WEIGHTS, ["childArrangementsOrder"]
        case = {
            "reference": f"SYN-{law[:3].upper()}-{self.serial:08d}",
            "law": law,
            "application_type": "C110A" if law == "public" else "C100",
            "orders_sought": orders,
            "applicant_la": la,
            "court": court,
            "date_received": (issued - timedelta(days=self.rng.randint(0, 2))).isoformat(),
            "date_issued": issued.isoformat(),
            "children": self._children(issued, outcome, disposed, weights),
            "hearings": self._hearings(issued, ends, hearings, self.rng.random() < VACATED_SHARE),
            "state": "FINAL_HEARING" if disposed else "PREPARE_FOR_HEARING",
        }
        closed = disposed + timedelta(days=self.rng.randint(0, CLOSING_DAYS)) if disposed else None
        if closed is not None and closed < self.today:
            case |= {"state": "CLOSED", "closed_date": closed.isoformat()}
        return case | self._transfer(area, issued, min(ends, self.today))

    def _transfer(self, area: str, issued: date, before: date) -> dict[str, str]:
        """For ``transfer_share`` of the cases, the court of another area they came from and the working
        day they came (after issue, before ``before``); else nothing."""
        if self.transfers.random() >= self.transfer_share or (before - issued).days < 2:
            return {}
        on = self._working_day(issued + timedelta(days=self.transfers.randrange(1, (before - issued).days)))
        if on >= before:
            return {}
        elsewhere = self.transfers.choice(sorted(a for a in self.areas if a != area))
        return {"transferred_from": self.areas[elsewhere][1], "transferred_on": on.isoformat()}

    def cases(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(DFJ area, canonical case) for every synthetic case, month by month of issue: the history's
        care cases still open when the window starts, then every case of the window."""
        areas = sorted(self.areas)
        weights = [self.weights[a] for a in areas]
        for month in range(min(self.history_months.values()), self.last_month + 1):
            in_window = month >= self.first_month
            for law, per_year in (("public", PUBLIC_PER_YEAR), ("private", PRIVATE_PER_YEAR)):
                if month < self.history_months[law]:
                    continue
                count = round(per_year / 12 * _seasonality(month) * self.scale)
                for area in self.rng.choices(areas, weights, k=count):
                    issued = self._working_day(self._day_in(month))
                    weeks, long = self._weeks(area, law)
                    if issued >= self.today:
                        continue
                    if not in_window and issued + timedelta(days=int(weeks * 7)) < self.window_start:
                        continue  # disposed before the window: it changes none of its figures
                    yield area, self._case(area, law, issued, weeks, long)


def _add_org(session: Session, org_id: str, kind: str, name: str, **fields: Any) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        org = Organisation(id=org_id, kind=kind, name=f"{name} {SYNTHETIC}", **fields)
        session.add(org)
        audit.record(
            "operator.org_add",
            "success",
            client_id="operator",
            resource_type="organisation",
            resource_ids=[org_id],
            detail={"kind": kind, "demo": True},
            session=session,
        )
    return org


def _add_client(session: Session, org: Organisation) -> Client:
    """A new client_secret_basic client with every scope its kind may hold (the secret is shown once)."""
    scopes = " ".join(sorted(KIND_SCOPES[org.kind]))
    client_id, secret = f"{org.id}-{secrets.token_hex(4)}", secrets.token_urlsafe(32)
    session.add(
        OAuthClient(
            client_id=client_id,
            org_id=org.id,
            scope=scopes,
            auth_method=AUTH_SECRET,
            secret_hash=hash_secret(secret),
        )
    )
    audit.record(
        "operator.client_add",
        "success",
        client_id="operator",
        resource_type="client",
        resource_ids=[client_id],
        detail={"org": org.id, "demo": True},
        session=session,
    )
    return Client(org.id, org.kind, client_id, secret, scopes)


def create_partners(
    session: Session, reference: Reference
) -> tuple[list[Client], dict[str, tuple[Organisation, Client]]]:
    """Demo organisations with one client each: one of every kind to try, and each area's submitting LA."""
    las = reference.local_authorities
    submitters: dict[str, tuple[Organisation, Client]] = {}
    for area, (la, _) in sorted(demo_areas(reference).items()):
        org = _add_org(session, f"{DEMO_PREFIX}la-{la.lower()}", "local_authority", las[la].name, la_code=la)
        submitters[area] = (org, _add_client(session, org))
    showcase = [
        submitters[SHOWCASE_AREA],
        *(
            (org, _add_client(session, org))
            for org in (
                _add_org(
                    session,
                    f"{DEMO_PREFIX}court",
                    "court",
                    "Central Family Court",
                    court_codes=[demo_areas(reference)[SHOWCASE_AREA][1]],
                ),
                _add_org(session, f"{DEMO_PREFIX}cafcass", "cafcass", "Cafcass", service="cafcass"),
                _add_org(
                    session,
                    f"{DEMO_PREFIX}cafcass-cymru",
                    "cafcass",
                    "Cafcass Cymru",
                    service="cafcass_cymru",
                ),
                _add_org(
                    session, f"{DEMO_PREFIX}lfjb", "lfjb", "Central London LFJB", dfj_areas=[SHOWCASE_AREA]
                ),
                _add_org(session, f"{DEMO_PREFIX}fjb", "fjb", "Family Justice Board"),
            )
        ),
    ]
    session.commit()
    return [client for _, client in showcase], submitters


def area_courts(session: Session, reference: Reference) -> dict[str, Organisation]:
    """Each area's court organisation (the showcase area's is the demo court), which asks for advice."""
    courts = {}
    for area, (_, code) in sorted(demo_areas(reference).items()):
        org_id = f"{DEMO_PREFIX}court" if area == SHOWCASE_AREA else f"{DEMO_PREFIX}court-{code}"
        courts[area] = _add_org(
            session, org_id, "court", f"{reference.courts[code].name}", court_codes=[code]
        )
    session.commit()
    return courts


def _checking(orgs: dict[str, Organisation], reference: Reference) -> None:
    """A checking process's state, inherited from the loader when it forked (never pickled)."""
    _CHECKER.update(orgs=orgs, reference=reference)


def _checker(orgs: dict[str, Organisation], reference: Reference) -> None:
    """A forked checking process starting: ``_checking``, SIGTERM's default action back, whatever handler
    the loader had (the pool ends its processes with SIGTERM; one that only set a flag would leave the pool
    waiting for them for ever), and the CPU yielded to the storing process (``HELPERS_NICENESS``)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.nice(HELPERS_NICENESS)
    _checking(orgs, reference)


def _check(area: str, content: bytes) -> pipeline.Prepared:
    """What a checking process does: read and check one area's batch as its LA submits it."""
    with Body.of(content) as body:
        return pipeline.check(
            _CHECKER["orgs"][area], body, "application/json", reference=_CHECKER["reference"]
        )


_CHECKER: dict[str, Any] = {}


def _generate(queue: Any, bodies: Iterator[tuple[str, bytes]]) -> None:
    """What the generating process does: put each batch on ``queue``, then None (or what went wrong)."""
    os.nice(HELPERS_NICENESS)
    try:
        for item in bodies:
            queue.put(item)
    except Exception as error:  # noqa: BLE001 - handed to the loader, which raises it
        queue.put(error)
    else:
        queue.put(None)
    queue.close()
    queue.join_thread()


def _received(queue: Any) -> Iterator[tuple[str, bytes]]:
    """The batches the generating process puts on ``queue``, until its None; what went wrong there is
    raised here."""
    while (item := queue.get()) is not None:
        if isinstance(item, Exception):
            raise item
        yield item


def load(
    submitters: dict[str, tuple[Organisation, Client]],
    *,
    session: Session,
    settings: Settings,
    seed: int,
    years: int,
    today: date,
    scale: float,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, int]:
    """Generate the cases and submit them through the pipeline as each area's LA, a batch (a canonical
    JSON body of up to 1,000 cases, under the inline limit) whenever an area's is full; the counts.

    The cases are generated and batched in a forked process, and the batches read and checked
    (``pipeline.check``) by forked processes, one a CPU, while this one stores the batches checked before,
    in order (``pipeline.submit(checked=...)``).
    Memory holds one batch per area and about ``CHECKING_AHEAD`` batches waiting or being checked,
    whatever the scale. ``progress(cases_submitted, cases_in_all)`` is called after each submission
    (``cases_in_all`` None until the last)."""
    totals = {"cases": 0, "accepted": 0, "rejected": 0, "submissions": 0}
    orgs = {area: org for area, (org, _) in submitters.items()}

    def submit(area: str, content: bytes, prepared: pipeline.Prepared) -> None:
        org, client = submitters[area]
        with Body.of(content) as body:
            submission = pipeline.submit(
                org,
                client.client_id,
                body,
                "application/json",
                session=session,
                settings=settings,
                checked=prepared,
            )
        totals["submissions"] += 1
        totals["cases"] += submission.records
        totals["accepted"] += submission.accepted
        totals["rejected"] += submission.rejected
        if progress is not None:
            progress(totals["cases"], None)

    def bodies() -> Iterator[tuple[str, bytes]]:
        batches: dict[str, list[bytes]] = defaultdict(list)
        sizes: dict[str, int] = defaultdict(int)
        for area, case in Generator(seed, years, today, scale, settings.reference).cases():
            encoded = json.dumps(case, separators=(",", ":")).encode()
            batch = batches[area]
            if batch and (sizes[area] + len(encoded) > BATCH_BYTES or len(batch) >= BATCH_CASES):
                yield area, b'{"cases":[' + b",".join(batch) + b"]}"
                batch.clear()
                sizes[area] = 0
            batch.append(encoded)
            sizes[area] += len(encoded) + 1
        for area, batch in sorted(batches.items()):
            if batch:
                yield area, b'{"cases":[' + b",".join(batch) + b"]}"

    if threading.active_count() > 1:
        # a forked child has only the forking thread: a lock another thread held (a console's, a log
        # handler's) stays locked in it for ever, so a process with threads checks its batches itself
        _checking(orgs, settings.reference)
        for area, content in bodies():
            submit(area, content, _check(area, content))
    else:
        with _few_collections():
            _forked(bodies(), orgs, settings.reference, submit)
    if progress is not None:
        progress(totals["cases"], totals["cases"])
    return totals


@contextmanager
def _few_collections() -> Iterator[None]:
    """The garbage collector as a bulk load wants it: what is alive when the load starts is frozen (no
    collection scans it again, and the forked processes do not copy its pages by touching it, as the
    ``gc.freeze`` documentation advises before a fork), and the young generation is collected every
    ``LOAD_GC_THRESHOLD`` containers; both as before afterwards."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(LOAD_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _forked(
    bodies: Iterator[tuple[str, bytes]],
    orgs: dict[str, Organisation],
    reference: Reference,
    submit: Callable[[str, bytes, pipeline.Prepared], None],
) -> None:
    """``bodies`` generated in a forked process and checked in forked processes, one a CPU, while this one
    stores (``submit``) those checked before, in order, about ``CHECKING_AHEAD`` ahead."""
    fork = multiprocessing.get_context("fork")
    generated: Any = fork.Queue(CHECKING_AHEAD)
    generating = fork.Process(target=_generate, args=(generated, bodies), daemon=True)
    with fork.Pool(os.cpu_count() or 1, _checker, (orgs, reference)) as pool:
        generating.start()
        try:
            ahead: deque[tuple[str, bytes, Any]] = deque()
            for area, content in _received(generated):
                ahead.append((area, content, pool.apply_async(_check, (area, content))))
                if len(ahead) > CHECKING_AHEAD:
                    area, content, checking = ahead.popleft()
                    submit(area, content, checking.get())
            while ahead:
                area, content, checking = ahead.popleft()
                submit(area, content, checking.get())
            pool.close()  # the checking processes end when their work is done, not by a signal
            pool.join()
        finally:
            generating.kill()  # done by now, unless the load failed
            generating.join()


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def ask_for_advice(
    session: Session, settings: Settings, courts: dict[str, Organisation], *, seed: int, today: date
) -> int:
    """Safeguarding letters asked for by each area's court (through ``advice.ask``, the service the API
    calls, and audited as it audits) about a share of its private-law cases issued in the last
    ``ADVICE_MONTHS``, dated the day each case was issued, and answered by Cafcass (``advice.answer``), most
    by their due date; the number asked."""
    rng = random.Random(seed)
    reference = settings.reference
    since = month_start(month_of(today) - ADVICE_MONTHS)
    area_court = {court.court_codes[0]: court for court in courts.values()}
    query = (
        select(Case.id, Case.court, Case.date_issued)
        .where(Case.law == "private", Case.date_issued >= since, Case.reference.like("SYN-%"))
        .order_by(Case.reference)
    )
    asked = 0
    for case_id, court_code, issued in session.execute(query).all():
        court = area_court.get(court_code)
        if court is None or rng.random() >= ADVICE_SHARE:
            continue
        hearing = add_working_days(issued, rng.randint(20, 30), reference.bank_holidays)
        data = {"case_id": case_id, "type": "safeguarding_letter", "hearing_date": hearing}
        body = {**data, "case_id": str(case_id), "hearing_date": hearing.isoformat()}
        request = advice.ask(
            session,
            court.id,
            "operator",
            data,
            court=court_code,
            case_details=None,
            body_sha256=hashlib.sha256(json.dumps(body).encode()).hexdigest(),
            on=issued,
            reference=reference,
        )
        request.created_at = request.updated_at = _at(issued, 11)
        audit.record(
            "advice.request",
            "success",
            client_id="operator",
            org_id=court.id,
            resource_type="advice_request",
            resource_ids=[request.id, case_id],
            detail={"type": request.type, "routed_to": request.routed_to, "demo": True},
            session=session,
        )
        answered = request.due_date - timedelta(days=rng.randint(0, 3))
        if rng.random() >= ADVICE_ON_TIME:
            answered = request.due_date + timedelta(days=rng.randint(1, 5))
        if answered < today:
            advice.answer(
                session,
                request,
                Advice(
                    answered_by_org_id=f"{DEMO_PREFIX}cafcass-cymru"
                    if request.routed_to == "cafcass_cymru"
                    else f"{DEMO_PREFIX}cafcass",
                    summary="SYNTHETIC: checks with the police and the local authority.",
                    answered_at=_at(max(answered, issued), 15),
                ),
            )
        asked += 1
    session.commit()
    return asked


def submit_census(
    submitters: dict[str, tuple[Organisation, Client]],
    *,
    session: Session,
    settings: Settings,
    seed: int,
    scale: float,
) -> int:
    """A CIN census return (the latest collection, with its pre-proceedings blocks) of each English area's
    LA, submitted through the pipeline as the LA would; the records accepted."""
    english = {a: s for a, s in submitters.items() if not s[0].la_code.startswith("W")}
    accepted = 0
    for n, (_, (org, client)) in enumerate(sorted(english.items())):
        children = max(1, round(CENSUS_CHILDREN * scale / len(english)))
        content = b"".join(census_chunks(children, YEARS[-1], seed * 1000 + n, org.la_code))
        with Body.of(content) as body:
            submission = pipeline.submit(
                org,
                client.client_id,
                body,
                "application/xml",
                "cin-census",
                session=session,
                settings=settings,
            )
        accepted += submission.accepted
    return accepted


#: the national measures ``figures`` reads (``exchange.metrics.measures``)
FIGURES = (
    "care_cases_started",
    "care_children_started",
    "care_mean_weeks",
    "care_pct_within_26_weeks",
    "care_open_over_100_weeks",
    "private_cases_started",
    "private_mean_weeks_to_final_order",
    "advice_requests",
    "pre_proceedings_started",
)


def figures(session: Session, reference: Reference, today: date) -> dict[str, Any]:
    """The national picture of the last whole calendar year before ``today``, as the boards' measures give
    it (raw, before disclosure control), with what no measure gives: children per care case, the children
    in care cases open over 100 weeks at the year's end, and the share of hearings on a working day."""
    year = today.year - 1
    cells = measures.compute(session, [Period("year", year)], reference, FIGURES)
    out: dict[str, Any] = {"year": year}
    out |= {c.measure: c.value for c in cells if c.area == NATIONAL}
    started = out["care_cases_started"]
    out["children_per_care_case"] = round(out["care_children_started"] / started, 2) if started else None
    end = date(year, 12, 31)
    out["children_in_care_cases_open_over_100_weeks"] = session.scalar(
        select(func.count(CaseChild.id))
        .join(Case, Case.id == CaseChild.case_id)
        .where(
            Case.law == "public",
            Case.date_issued < end - timedelta(days=OVER_100_WEEKS_DAYS),
            or_(Case.first_disposal_date.is_(None), Case.first_disposal_date > end),
        )
    )
    days = [s.astimezone(clock.LONDON).date() for s in session.scalars(select(CaseHearing.starts_at))]
    on_working_days = sum(is_working_day(day, reference.bank_holidays) for day in days)
    out["hearings_on_working_days_pct"] = round(100 * on_working_days / len(days), 1) if days else None
    return out


def examples(now: datetime, reference: Reference) -> dict[str, dict[str, Any]]:
    """The request bodies of the demo's curl lines, by file name: a care case of the showcase area's LA at
    its court (by ``reference``), a hearing listed in it, a court's private-law safeguarding-letter request
    (its first hearing in five weeks) and Cafcass's answer."""
    today = now.date()
    la_code, court = demo_areas(reference)[SHOWCASE_AREA]
    return {
        "case.json": {
            "reference": f"DEMO-{today:%Y%m%d}-0001",
            "law": "public",
            "application_type": "C110A",
            "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
            "applicant_la": la_code,
            "court": court,
            "date_received": (today - timedelta(days=2)).isoformat(),
            "date_issued": (today - timedelta(days=1)).isoformat(),
            "children": [
                {"la_child_id": "DEMO-CHILD-1", "date_of_birth": "2019-04-02", "sex": "F"},
                {"la_child_id": "DEMO-CHILD-2", "date_of_birth": "2021-09-15", "sex": "M"},
            ],
        },
        "event.json": {
            "type": "hearing.listed",
            "occurred_at": now.isoformat(timespec="seconds"),
            "hearing": {
                "type": "CASE_MANAGEMENT",
                "starts_at": datetime.combine(today + timedelta(weeks=2), time(10), UTC).isoformat(),
            },
        },
        "advice-request.json": {
            "case": {
                "law": "private",
                "court": court,
                "application_type": "C100",
                "children": [{"date_of_birth": "2017-06-01", "sex": "M"}],
            },
            "type": "safeguarding_letter",
            "hearing_date": (today + timedelta(weeks=5)).isoformat(),
        },
        "advice.json": {
            "summary": "SYNTHETIC: checks with the police and the local authority raised no concerns.",
            "recommendation": "SYNTHETIC: no further safeguarding enquiries before the first hearing.",
            "risk_identified": False,
            "recommended_next_hearing": "FHDRA",
        },
    }


@dataclass(frozen=True)
class Showcase:
    """What the demo made for its curl lines to act on: the example case, as submitted by the showcase
    LA, and two of the court's advice requests, one to acknowledge and answer, one to withdraw."""

    submission_id: str
    case_id: str
    to_answer: str
    to_withdraw: str


def showcase(
    session: Session,
    settings: Settings,
    la: tuple[Organisation, Client],
    court: Client,
    bodies: dict[str, dict[str, Any]],
) -> Showcase:
    """Submit ``bodies["case.json"]`` through the pipeline as ``la``, and ask for advice twice as ``court``
    (``bodies["advice-request.json"]``), as the API would."""
    org, client = la
    with Body.of(json.dumps(bodies["case.json"]).encode()) as body:
        submission = pipeline.submit(
            org, client.client_id, body, "application/json", session=session, settings=settings
        )
    asked = bodies["advice-request.json"]
    data = AdviceRequestIn().load(asked)
    requests = []
    for _ in range(2):
        request = advice.ask(
            session,
            court.org_id,
            court.client_id,
            data,
            court=data["case"]["court"],
            case_details=CaseDetails().dump(data["case"]),
            body_sha256=hashlib.sha256(json.dumps(asked).encode()).hexdigest(),
            on=clock.today(),
            reference=settings.reference,
        )
        audit.record(
            "advice.request",
            "success",
            client_id=court.client_id,
            org_id=court.org_id,
            resource_type="advice_request",
            resource_ids=[request.id],
            detail={"type": request.type, "routed_to": request.routed_to, "demo": True},
            session=session,
        )
        requests.append(str(request.id))
    session.commit()
    return Showcase(str(submission.id), submission.stored_ids[0], *requests)
