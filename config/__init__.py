"""The exchange's editable configuration data: courts, DFJ areas, LAs, routing, field policy, bank holidays.

The data files beside this module are the operator's copies (origin, licence and how to edit them:
``config/README.txt``). Each is read once and cached; ``EXCHANGE_CONFIG_DIR`` points the exchange at
another folder holding the whole set. ``validate()`` lists every inconsistency: the app calls it at
start-up and refuses to start if the list is not empty.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

CONFIG_DIR_ENV = "EXCHANGE_CONFIG_DIR"
ADVICE_RECIPIENTS = ("cafcass", "cafcass_cymru")
AdviceRecipient = Literal["cafcass", "cafcass_cymru"]
RECIPIENT_KINDS = ("local_authority", "court", "cafcass")
FIELD_PATH = re.compile(r"[a-z][a-z0-9_]*(\[\]\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True)
class Court:
    """A family court, keyed by its FamilyMan code."""

    code: str
    name: str
    region: str
    region_id: str
    dfj_area: str


@dataclass(frozen=True)
class LocalAuthority:
    """A local authority: DfE 3-digit code in England, ONS ``W06…`` code in Wales.

    ``dfj_area`` is None where the derivation could not place the LA in one area (``ambiguous``).
    """

    code: str
    name: str
    country: str
    dfj_area: str | None
    ambiguous: bool


@dataclass(frozen=True)
class FieldPolicy:
    """Need to know: the case field paths each recipient kind may see, and who sees a confidential address.

    A path is a case field (``court``) or a field of each element of a list (``children[].upn``).
    """

    fields: Mapping[str, frozenset[str]]
    confidential_flag: str
    confidential_fields: frozenset[str]
    confidential_visible_to: frozenset[str]


def config_dir() -> Path:
    """The folder the data files are read from: ``EXCHANGE_CONFIG_DIR`` or this package's folder."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or Path(__file__).parent)


class ConfigError(Exception):
    """A data file is missing or unreadable; the message names the file, never its full path."""


def _read(name: str) -> str:
    try:
        return (config_dir() / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({type(exc).__name__})") from exc


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_read(name).splitlines()))


def _json(name: str) -> Any:
    try:
        return json.loads(_read(name))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: not valid JSON (line {exc.lineno})") from exc


def _duplicates(keys: list[str]) -> list[str]:
    return sorted(k for k, n in Counter(keys).items() if n > 1)


@cache
def courts() -> Mapping[str, Court]:
    """Every court by FamilyMan code (``courts.csv``)."""
    return MappingProxyType({r["code"]: Court(**r) for r in _rows("courts.csv")})


@cache
def dfj_areas() -> Mapping[str, str]:
    """Every DFJ area code -> name, the 43 areas and the High Court (``dfj_areas.csv``)."""
    return MappingProxyType({r["code"]: r["name"] for r in _rows("dfj_areas.csv")})


@cache
def board_areas() -> Mapping[str, str]:
    """The DFJ areas that have a local family justice board and get their own metrics (``board_area=Y``).

    The High Court is a DFJ area for courts but has no board: its cases count in the national figures only.
    """
    return MappingProxyType({r["code"]: r["name"] for r in _rows("dfj_areas.csv") if r["board_area"] == "Y"})


@cache
def local_authorities() -> Mapping[str, LocalAuthority]:
    """Every LA by its code (``local_authorities.csv``)."""
    return MappingProxyType(
        {
            r["code"]: LocalAuthority(
                code=r["code"],
                name=r["name"],
                country=r["country"],
                dfj_area=r["dfj_area"] or None,
                ambiguous=r["ambiguous"] == "Y",
            )
            for r in _rows("local_authorities.csv")
        }
    )


@cache
def _hmcts_la_codes() -> Mapping[str, str]:
    return MappingProxyType(_json("hmcts_la_codes.json")["codes"])


def hmcts_la_code(letter_code: str) -> str | None:
    """The exchange's LA code for an HMCTS letter code (``BIR`` -> ``330``, ``SA`` -> ``W06000011``)."""
    return _hmcts_la_codes().get(letter_code)


@cache
def _routing() -> Mapping[str, Any]:
    return _json("routing.json")["advice_recipient"]


def advice_recipient(court_code: str) -> AdviceRecipient:
    """Which Cafcass serves a court: its own rule in ``routing.json``, else its region's, else the default.

    Raises KeyError for a court that is not in ``courts()``.
    """
    rules = _routing()
    court = courts()[court_code]
    return rules["by_court"].get(court_code) or rules["by_region_id"].get(court.region_id) or rules["default"]


@cache
def field_policy() -> FieldPolicy:
    """The field policy in ``field_policy.json``."""
    doc = _json("field_policy.json")
    confidential = doc["confidential_address"]
    return FieldPolicy(
        fields=MappingProxyType({kind: frozenset(paths) for kind, paths in doc["kinds"].items()}),
        confidential_flag=confidential["flag"],
        confidential_fields=frozenset(confidential["fields"]),
        confidential_visible_to=frozenset(confidential["visible_to"]),
    )


@cache
def bank_holidays() -> frozenset[date]:
    """The England and Wales bank holidays shipped in ``bank_holidays.json``."""
    return frozenset(date.fromisoformat(d["date"]) for d in _json("bank_holidays.json")["dates"])


def bank_holiday_years() -> range:
    """The years ``bank_holidays.json`` covers; working-day arithmetic outside them is not trustworthy."""
    doc = _json("bank_holidays.json")
    return range(doc["first_year"], doc["last_year"] + 1)


_CACHED: tuple[Callable[[], Any], ...] = (
    courts,
    dfj_areas,
    board_areas,
    local_authorities,
    _hmcts_la_codes,
    _routing,
    field_policy,
    bank_holidays,
)


def reload() -> None:
    """Forget the cached data: the next call reads the files again (tests, a changed EXCHANGE_CONFIG_DIR)."""
    for loader in _CACHED:
        loader.cache_clear()  # type: ignore[attr-defined]


def validate() -> list[str]:
    """Every problem in the configuration data, as one message each; an empty list means it is consistent."""
    try:
        return _problems()
    except ConfigError as exc:
        return [str(exc)]
    except (KeyError, TypeError, ValueError) as exc:  # a renamed column or key, a malformed date
        return [f"configuration data is malformed: {type(exc).__name__}: {exc}"]


def _problems() -> list[str]:
    problems: list[str] = []
    area_rows = _rows("dfj_areas.csv")
    court_rows = _rows("courts.csv")
    la_rows = _rows("local_authorities.csv")
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
    areas = dfj_areas()
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
    las = local_authorities()
    problems += [
        f"hmcts_la_codes.json: {letter} maps to unknown LA {code!r}"
        for letter, code in _hmcts_la_codes().items()
        if code not in las
    ]
    rules = _routing()
    targets = [rules["default"], *rules["by_region_id"].values(), *rules["by_court"].values()]
    problems += [f"routing.json: unknown recipient {t!r}" for t in targets if t not in ADVICE_RECIPIENTS]
    problems += [f"routing.json: unknown court {c}" for c in rules["by_court"] if c not in courts()]
    problems += _field_policy_problems(_json("field_policy.json"))
    holidays = _json("bank_holidays.json")["dates"]
    problems += [
        f"bank_holidays.json: duplicate date {d}" for d in _duplicates([h["date"] for h in holidays])
    ]
    problems += [f"bank_holidays.json: {d} is a weekend" for d in bank_holidays() if d.weekday() >= 5]
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
