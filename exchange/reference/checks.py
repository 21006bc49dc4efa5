"""The reference data checked as a whole: every inconsistency an operator's edit can introduce."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from exchange.reference.files import Folder, ReferenceDataError

ADVICE_RECIPIENTS = ("cafcass", "cafcass_cymru")
RECIPIENT_KINDS = ("local_authority", "court", "cafcass")
FIELD_PATH = re.compile(r"[a-z][a-z0-9_]*(\[\]\.[a-z][a-z0-9_]*)*")


def _duplicates(keys: list[str]) -> list[str]:
    return sorted(k for k, n in Counter(keys).items() if n > 1)


def problems(folder: Folder) -> list[str]:
    """Every problem in the reference data, as one message each; an empty list means it is consistent."""
    try:
        return _problems(folder)
    except ReferenceDataError as exc:
        return [str(exc)]
    except (KeyError, TypeError, ValueError) as exc:  # a renamed column or key, a malformed date
        return [f"reference data is malformed: {type(exc).__name__}: {exc}"]


def _problems(folder: Folder) -> list[str]:
    problems: list[str] = []
    area_rows = folder.rows("dfj_areas.csv")
    court_rows = folder.rows("courts.csv")
    la_rows = folder.rows("local_authorities.csv")
    for name, rows in (
        ("dfj_areas.csv", area_rows),
        ("courts.csv", court_rows),
        ("local_authorities.csv", la_rows),
    ):
        problems += [f"{name}: duplicate code {k}" for k in _duplicates([r["code"] for r in rows])]
    problems += [
        f"dfj_areas.csv: {r['code']}: board_area must be Y or N"
        for r in area_rows
        if r["board_area"] not in ("Y", "N")
    ]
    areas = {r["code"] for r in area_rows}
    problems += [
        f"courts.csv: court {r['code']} is in unknown DFJ area {r['dfj_area']!r}"
        for r in court_rows
        if r["dfj_area"] not in areas
    ]
    for r in la_rows:
        where = f"local_authorities.csv: LA {r['code']}"
        if r["country"] not in ("England", "Wales"):
            problems.append(f"{where}: country must be England or Wales")
        if r["ambiguous"] not in ("Y", "N"):
            problems.append(f"{where}: ambiguous must be Y or N")
        if r["dfj_area"] and r["dfj_area"] not in areas:
            problems.append(f"{where} is in unknown DFJ area {r['dfj_area']!r}")
        if not r["dfj_area"] and r["ambiguous"] != "Y":
            problems.append(f"{where} has no DFJ area but is not flagged ambiguous")
        candidates = [c for c in r["dfj_area_candidates"].split(";") if c]
        if len(candidates) > 1 and r["ambiguous"] != "Y":
            problems.append(f"{where} has several candidate DFJ areas but is not flagged ambiguous")
    las = {r["code"] for r in la_rows}
    problems += [
        f"hmcts_la_codes.json: {letter} maps to unknown LA {code!r}"
        for letter, code in folder.json("hmcts_la_codes.json")["codes"].items()
        if code not in las
    ]
    rules = folder.json("routing.json")["advice_recipient"]
    courts = {r["code"] for r in court_rows}
    problems += [
        f"hmcts_la_codes.json: courts: {letter} is at unknown court {code!r}"
        for letter, code in folder.json("hmcts_la_codes.json").get("courts", {}).items()
        if code not in courts
    ]
    targets = [rules["default"]]
    for key in ("by_region_id", "by_court", "by_la", "by_la_country"):
        targets += rules[key].values()
    problems += [f"routing.json: unknown recipient {t!r}" for t in targets if t not in ADVICE_RECIPIENTS]
    problems += [f"routing.json: unknown court {c}" for c in rules["by_court"] if c not in courts]
    problems += [f"routing.json: unknown LA {c}" for c in rules["by_la"] if c not in las]
    countries = {r["country"] for r in la_rows}
    problems += [f"routing.json: unknown country {c}" for c in rules["by_la_country"] if c not in countries]
    problems += _field_policy_problems(folder.json("field_policy.json"))
    holidays = folder.json("bank_holidays.json")["dates"]
    problems += [
        f"bank_holidays.json: duplicate date {d}" for d in _duplicates([h["date"] for h in holidays])
    ]
    problems += [
        f"bank_holidays.json: {h['date']} is a weekend"
        for h in holidays
        if date.fromisoformat(h["date"]).weekday() >= 5
    ]
    defaults = folder.json("advice_defaults.json")["types"]
    problems += [
        f"advice_defaults.json: {t}: needs working_days_before_hearing or working_days_after_request"
        for t, rule in defaults.items()
        if not {"working_days_before_hearing", "working_days_after_request"} & set(rule)
    ]
    return problems


def _field_policy_problems(doc: Mapping[str, Any]) -> list[str]:
    problems = [f"field_policy.json: unknown kind {k!r}" for k in doc["kinds"] if k not in RECIPIENT_KINDS]
    for kind, paths in doc["kinds"].items():
        problems += [
            f"field_policy.json: {kind}: malformed field {p!r}" for p in paths if not FIELD_PATH.fullmatch(p)
        ]
        problems += [f"field_policy.json: {kind}: duplicate field {p}" for p in _duplicates(paths)]
        lists = {p.rsplit("[].", 1)[0] for p in paths if "[]." in p}
        problems += [
            f"field_policy.json: {kind}: {p} is listed whole and by its fields"
            for p in sorted(lists & set(paths))
        ]
    confidential = doc["confidential_address"]
    problems += [
        f"field_policy.json: confidential_address: unknown kind {k!r}"
        for k in confidential["visible_to"]
        if k not in RECIPIENT_KINDS
    ]
    return problems
