"""Reference data: courts, DFJ areas, LAs, routing, field policy, bank holidays and advice due dates.

``load(folder)`` reads the data files of one folder (``data/`` beside this module, the shipped copies;
``EXCHANGE_CONFIG_DIR`` names an operator's copy of the whole set), checks them as a whole
(``checks.problems``) and returns one frozen ``Reference``. ``create_app`` loads it once, refuses to start
on any fault, and passes it on; nothing reads the files after that, and nothing caches them. Origin,
licence and how to edit each file: ``data/README.txt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from exchange import clock
from exchange.reference.checks import problems
from exchange.reference.files import Folder, ReferenceDataError

__all__ = [
    "DATA_DIR",
    "EXTENSION",
    "BankHolidays",
    "Court",
    "FieldPolicy",
    "LocalAuthority",
    "Reference",
    "ReferenceDataError",
    "load",
]

DATA_DIR = Path(__file__).parent / "data"
#: where ``create_app`` keeps an app's ``Reference`` (``app.extensions``), for its views and commands
EXTENSION = "exchange.reference"
AdviceRecipient = Literal["cafcass", "cafcass_cymru"]


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


@dataclass(frozen=True)
class BankHolidays:
    """The England and Wales bank holidays and the years the list covers (outside them it is not known)."""

    dates: frozenset[date]
    years: range


@dataclass(frozen=True)
class Reference:
    """Every piece of reference data, read once and never changed."""

    #: every court by FamilyMan code
    courts: Mapping[str, Court]
    #: every DFJ area code -> name, the 43 areas and the High Court
    dfj_areas: Mapping[str, str]
    #: the DFJ areas that have a local family justice board and their own metrics (not the High Court,
    #: whose cases count in the national figures only)
    board_areas: Mapping[str, str]
    #: every LA by its code
    local_authorities: Mapping[str, LocalAuthority]
    #: HMCTS letter code (``BIR``) -> the exchange's LA code (``330``)
    hmcts_la_codes: Mapping[str, str]
    #: HMCTS letter code -> the court its CCD cases are at when the case data names none
    hmcts_la_courts: Mapping[str, str]
    #: ``routing.json``'s ``advice_recipient``: ``default``, ``by_la``, ``by_court``, ``by_la_country``,
    #: ``by_region_id``
    routing: Mapping[str, Any]
    field_policy: FieldPolicy
    bank_holidays: BankHolidays
    #: advice type -> its default due rule (``advice_defaults.json``)
    advice_due: Mapping[str, Mapping[str, int]]

    #: the zone of England and Wales, whose wall times partners write (``adapters.base.Places``)
    zone: ClassVar[tzinfo] = clock.LONDON

    def hmcts_la_code(self, letter_code: str) -> str | None:
        """The exchange's LA code for an HMCTS letter code (``BIR`` -> ``330``, ``SA`` -> ``W06000011``)."""
        return self.hmcts_la_codes.get(letter_code)

    def now(self) -> datetime:
        """The exchange's one clock (``exchange.clock.now``), for adapters (``adapters.base.Places``)."""
        return clock.now()

    def hmcts_la_court(self, letter_code: str) -> str | None:
        """The court of an LA's CCD case whose case data names none (``SA`` -> ``344``), or None."""
        return self.hmcts_la_courts.get(letter_code)

    def advice_recipient(self, court_code: str, la_code: str | None = None) -> AdviceRecipient:
        """Which Cafcass serves a case (``routing.json``): the operator's entry for its LA, else for its
        court, else the LA's country (Cafcass Cymru for a Welsh LA wherever the court), else — when no LA
        is known — the court's region, else the default.

        Raises KeyError for a court that is not in ``courts``.
        """
        rules = self.routing
        court = self.courts[court_code]
        la = self.local_authorities.get(la_code) if la_code else None
        by_place = (
            rules["by_la_country"].get(la.country)
            if la is not None
            else rules["by_region_id"].get(court.region_id)
        )
        return (
            rules["by_la"].get(la_code or "")
            or rules["by_court"].get(court_code)
            or by_place
            or rules["default"]
        )


def load(path: Path | str | None = None) -> Reference:
    """The reference data in ``path`` (default: the shipped ``DATA_DIR``), checked as a whole first.

    Raises ``ReferenceDataError`` naming every fault.
    """
    folder = Folder(Path(path) if path else DATA_DIR)
    faults = problems(folder)
    if faults:
        raise ReferenceDataError("; ".join(faults))
    areas = folder.rows("dfj_areas.csv")
    policy = folder.json("field_policy.json")
    confidential = policy["confidential_address"]
    holidays = folder.json("bank_holidays.json")
    return Reference(
        courts=MappingProxyType({r["code"]: Court(**r) for r in folder.rows("courts.csv")}),
        dfj_areas=MappingProxyType({r["code"]: r["name"] for r in areas}),
        board_areas=MappingProxyType({r["code"]: r["name"] for r in areas if r["board_area"] == "Y"}),
        local_authorities=MappingProxyType(
            {
                r["code"]: LocalAuthority(
                    code=r["code"],
                    name=r["name"],
                    country=r["country"],
                    dfj_area=r["dfj_area"] or None,
                    ambiguous=r["ambiguous"] == "Y",
                )
                for r in folder.rows("local_authorities.csv")
            }
        ),
        hmcts_la_codes=MappingProxyType(folder.json("hmcts_la_codes.json")["codes"]),
        hmcts_la_courts=MappingProxyType(folder.json("hmcts_la_codes.json").get("courts", {})),
        routing=MappingProxyType(folder.json("routing.json")["advice_recipient"]),
        field_policy=FieldPolicy(
            fields=MappingProxyType({kind: frozenset(paths) for kind, paths in policy["kinds"].items()}),
            confidential_flag=confidential["flag"],
            confidential_fields=frozenset(confidential["fields"]),
            confidential_visible_to=frozenset(confidential["visible_to"]),
        ),
        bank_holidays=BankHolidays(
            dates=frozenset(date.fromisoformat(d["date"]) for d in holidays["dates"]),
            years=range(holidays["first_year"], holidays["last_year"] + 1),
        ),
        advice_due=MappingProxyType(folder.json("advice_defaults.json")["types"]),
    )
