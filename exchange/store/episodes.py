"""SSDA903 episodes reaching the care case: legal status, and the final orders they record.

A looked-after child's episodes (``legal_status_episode`` records) name the child by the LA's own id, as a
care case does (``la_child_id``). For each child of a care case of the same LA (the latest, as
``store.returns.matching_cases`` finds it) ``reach_cases`` sets the child's ``legal_status`` to that of its
latest episode and records the final orders the episodes show (``ORDERS_BY_STATUS``, ``ORDERS_BY_REASON``):

* an episode under a full care order (``C2``) or placement order (``E1``; the old freeing order ``D1``
  too) starting on or after issue: that order, made on the episode's start (``DECOM``);
* an episode that ended (``DEC``) for a special guardianship order (``REC`` E43, E44) or a residence or
  child arrangements order (E41, E45, E46): that order, made on the end date;

and, for a child with no outcome yet, its outcome ``FINAL_ORDER`` on the earliest of those dates, which
disposes of the case the day FCSQ counts (the first final order). An episode before issue, an interim care
order (``C1``) or an episode of a child in no care case changes no case. The case is saved through
``store.cases.save`` like any other change: a version when a recipient sees a difference, and the counts.
"""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from exchange.models import Organisation
from exchange.reference import Reference
from exchange.store import cases as case_store
from exchange.store.returns import matching_cases

#: legal status (LS) an episode starts under -> the final order it shows
ORDERS_BY_STATUS = {"C2": "CARE_ORDER", "E1": "PLACEMENT_ORDER", "D1": "PLACEMENT_ORDER"}
#: reason episode ceased (REC) -> the final order that ended it
ORDERS_BY_REASON = {
    "E41": "childArrangementsOrder",
    "E45": "childArrangementsOrder",
    "E46": "childArrangementsOrder",
    "E43": "SPECIAL_GUARDIANSHIP_ORDER",
    "E44": "SPECIAL_GUARDIANSHIP_ORDER",
}
EVENT_TYPE = "child.outcome_recorded"


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _orders(episode: dict[str, Any]) -> list[tuple[date, str]]:
    """(made on, order type) of the final orders one episode shows."""
    found = []
    start, end = _day(episode.get("start_date")), _day(episode.get("end_date"))
    status_order = ORDERS_BY_STATUS.get(episode.get("legal_status") or "")
    if status_order and start:
        found.append((start, status_order))
    reason_order = ORDERS_BY_REASON.get(episode.get("reason_episode_ceased") or "")
    if reason_order and end:
        found.append((end, reason_order))
    return found


def reach_cases(
    session: Session, org: Organisation, episodes: Iterable[dict[str, Any]], reference: Reference
) -> list[uuid.UUID]:
    """Carry checked episode records onto the LA's care cases (module docstring); the cases changed."""
    by_child: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for episode in episodes:
        by_child[episode["child_id"]].append(episode)
    matched = matching_cases(session, org.la_code, set(by_child))
    by_case: dict[uuid.UUID, list[str]] = defaultdict(list)
    for child_id, case_id in matched.items():
        by_case[case_id].append(child_id)
    changed = []
    for case_id, child_ids in by_case.items():
        case = case_store.get(session, case_id, for_update=True)
        if case is None or case.state == case_store.CLOSED_STATE:
            continue
        document = copy.deepcopy(case.document)
        issued = _day(document.get("date_issued"))
        for child in document["children"]:
            if child.get("la_child_id") in child_ids:
                _apply(document, child, by_child[child["la_child_id"]], issued)
        if case_store.save(session, case, document, EVENT_TYPE, reference.field_policy):
            changed.append(case.id)
    return changed


def _apply(
    document: dict[str, Any], child: dict[str, Any], episodes: list[dict[str, Any]], issued: date | None
) -> None:
    latest = max(episodes, key=lambda e: e.get("start_date") or "")
    child["legal_status"] = latest["legal_status"]
    if issued is None:
        return
    made = sorted({order for episode in episodes for order in _orders(episode) if order[0] >= issued})
    known = {
        (o["type"], o["made_on"]) for o in document.get("orders_made", []) if child["id"] in o["child_ids"]
    }
    for day, kind in made:
        if (kind, day.isoformat()) not in known:
            document.setdefault("orders_made", []).append(
                {
                    "id": str(uuid.uuid4()),
                    "type": kind,
                    "child_ids": [child["id"]],
                    "made_on": day.isoformat(),
                    "interim": False,
                }
            )
    if made and not child.get("outcome"):
        child["outcome"] = "FINAL_ORDER"
        child["outcome_date"] = made[0][0].isoformat()
