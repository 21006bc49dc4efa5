"""Synthetic CIN census XML of any size, valid against the exchange's schema for its collection year.

Everything is made up (seeded random values; UPNs carry correct check letters and the given LA's
number). The children also keep every DfE validation rule about one child (``adapters.cin_rules``): each
episode is referred within the census year, closes before the next one, records its assessment, plan
and conference dates in order and on working days, so a test or a benchmark plants exactly the breaches
it wants. (A small file may still break the return-level queries, 2887Q: fewer than 8 disability codes.)
Children are written one at a time, so a file of any size costs no memory to make::

    python -m exchange.synthetic_cin census.xml 50000 --year 2026 --seed 0 --la-code 202
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from schemas.upn import check_letter

ETHNICITIES = ("WBRI", "WIRI", "WOTH", "MWBC", "MOTH", "AIND", "APKN", "BAFR", "BCRB", "CHNE", "OOTH", "NOBT")
DISABILITIES = ("MOB", "HAND", "COMM", "LD", "HEAR", "VIS", "BEH", "AUT")
REFERRAL_SOURCES = ("1A", "1B", "2A", "2B", "3A", "3E", "4", "5A", "6", "7", "8", "9", "10")
FACTORS = ("1B", "2B", "3A", "3B", "4B", "6B", "16A", "17A", "20")  # codes common to 2017-2026 (21: none)
CATEGORIES = ("NEG", "PHY", "SAB", "EMO", "MUL")
SEXES = ("M", "F", "U")
GENDER_CODES = {"M": "1", "F": "2", "U": "0"}


def write_census(
    path: str | Path, children: int, year: int = 2026, seed: int = 0, la_code: str = "202"
) -> None:
    """Write a census of ``children`` synthetic children for collection ``year`` to ``path``."""
    with open(path, "wb") as out:
        out.writelines(census_chunks(children, year, seed, la_code))


def census_chunks(children: int, year: int = 2026, seed: int = 0, la_code: str = "202") -> Iterator[bytes]:
    """The same census as UTF-8 bytes, one chunk for the header and one per child."""
    rng = random.Random(seed)
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        f"      <Collection>CIN</Collection>\n      <Year>{year}</Year>\n"
        f"      <ReferenceDate>{year}-03-31</ReferenceDate>\n    </CollectionDetails>\n"
        f"    <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>{la_code}</LEA>\n"
        "      <SoftwareCode>exchange.synthetic_cin (synthetic)</SoftwareCode>\n"
        f"      <SerialNo>001</SerialNo>\n      <DateTime>{year}-05-01T09:00:00</DateTime>\n"
        "    </Source>\n  </Header>\n  <Children>\n"
    ).encode()
    for number in range(children):
        yield _child(rng, number, year, date(year - 1, 4, 1), la_code).encode()
    yield b"  </Children>\n</Message>\n"


def synthetic_upn(rng: random.Random, la_code: str) -> str:
    """A made-up UPN of the LA whose check letter is right (DfE rule 1510)."""
    tail = f"{la_code}{rng.randrange(10**8):08d}{rng.randrange(10)}"
    return check_letter("A" + tail) + tail


def _weekday(day: date) -> date:
    """``day``, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _child(rng: random.Random, number: int, year: int, census_start: date, la_code: str) -> str:
    unborn = rng.random() < 0.02
    sex = "U" if unborn else rng.choice(SEXES[:2])
    sex_element = (
        f"<Sex>{sex}</Sex>" if year >= 2025 else f"<GenderCurrent>{GENDER_CODES[sex]}</GenderCurrent>"
    )
    census_end = census_start.replace(year=census_start.year + 1) - timedelta(days=1)
    if unborn:
        expected = census_end + timedelta(days=rng.randrange(10, 200))
        birth = f"<ExpectedPersonBirthDate>{expected}</ExpectedPersonBirthDate>"
        upn = "<UPNunknown>UN1</UPNunknown>"
        first_referral = census_end - timedelta(days=rng.randrange(40, 60))
    else:
        birth = (
            f"<PersonBirthDate>{census_start - timedelta(days=rng.randrange(30, 17 * 365))}</PersonBirthDate>"
        )
        upn = f"<UPN>{synthetic_upn(rng, la_code)}</UPN>"
        first_referral = census_start + timedelta(days=rng.randrange(0, 120))
    disabilities = "".join(
        f"<Disability>{d}</Disability>" for d in rng.sample(DISABILITIES, rng.randrange(0, 3))
    )
    two = not unborn and rng.random() < 0.2
    episodes = _episode(rng, year, first_referral, closed=True if two else False if unborn else None)
    if two:
        episodes += _episode(
            rng, year, first_referral + timedelta(days=rng.randrange(130, 160)), closed=False
        )
    return (
        f"    <Child>\n      <ChildIdentifiers><LAchildID>SYN{number:09d}</LAchildID>"
        f"{upn}{birth}{sex_element}"
        f"</ChildIdentifiers>\n      <ChildCharacteristics><Ethnicity>{rng.choice(ETHNICITIES)}</Ethnicity>"
        + (f"<Disabilities>{disabilities}</Disabilities>" if disabilities else "")
        + f"</ChildCharacteristics>\n{episodes}    </Child>\n"
    )


def _episode(rng: random.Random, year: int, referral: date, closed: bool | None) -> str:
    """One episode referred on ``referral``: closed 120-129 days later when ``closed`` (by chance if None)."""
    parts = [
        f"<CINreferralDate>{referral}</CINreferralDate>",
        f"<ReferralSource>{rng.choice(REFERRAL_SOURCES)}</ReferralSource>",
        f"<PrimaryNeedCode>N{rng.randrange(10)}</PrimaryNeedCode>",
    ]
    if closed is None:
        closed = rng.random() < 0.5
    if closed:
        parts.append(f"<CINclosureDate>{referral + timedelta(days=rng.randrange(120, 130))}</CINclosureDate>")
        parts.append(f"<ReasonForClosure>RC{rng.choice('134567')}</ReasonForClosure>")
    factors = "".join(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in rng.sample(FACTORS, 2))
    parts.append(
        f"<Assessments><AssessmentActualStartDate>{referral + timedelta(days=2)}</AssessmentActualStartDate>"
        f"<AssessmentAuthorisationDate>{referral + timedelta(days=9)}</AssessmentAuthorisationDate>"
        f"<FactorsIdentifiedAtAssessment>{factors}</FactorsIdentifiedAtAssessment></Assessments>"
    )
    protection = rng.random() < 0.2
    if year >= 2022 and not protection and rng.random() < 0.4:
        parts.append(
            f"<CINPlanDates><CINPlanStartDate>{referral + timedelta(days=12)}</CINPlanStartDate>"
            + (f"<CINPlanEndDate>{referral + timedelta(days=110)}</CINPlanEndDate>" if closed else "")
            + "</CINPlanDates>"
        )
    conference = _weekday(referral + timedelta(days=15))
    if protection:
        parts.append(
            f"<Section47><S47ActualStartDate>{referral + timedelta(days=1)}</S47ActualStartDate>"
            f"<InitialCPCtarget>{conference}</InitialCPCtarget><DateOfInitialCPC>{conference}</DateOfInitialCPC>"
            f"<ICPCnotRequired>{rng.choice(('0', 'false'))}</ICPCnotRequired></Section47>"
        )
    elif rng.random() < 0.3:
        parts.append(
            f"<Section47><S47ActualStartDate>{referral + timedelta(days=1)}</S47ActualStartDate>"
            f"<ICPCnotRequired>{rng.choice(('1', 'true'))}</ICPCnotRequired></Section47>"
        )
    parts.append(f"<ReferralNFA>{rng.choice(('0', 'false'))}</ReferralNFA>")
    if protection:
        category = rng.choice(CATEGORIES)
        parts.append(
            f"<ChildProtectionPlans><CPPstartDate>{conference}</CPPstartDate>"
            + (f"<CPPendDate>{referral + timedelta(days=110)}</CPPendDate>" if closed else "")
            + f"<InitialCategoryOfAbuse>{category}</InitialCategoryOfAbuse>"
            f"<LatestCategoryOfAbuse>{category}</LatestCategoryOfAbuse>"
            f"<NumberOfPreviousCPP>{rng.randrange(3)}</NumberOfPreviousCPP>"
            f"<Reviews><CPPreviewDate>{referral + timedelta(days=100)}</CPPreviewDate></Reviews>"
            "</ChildProtectionPlans>"
        )
    if year >= 2026 and rng.random() < 0.15:
        parts.append(_pre_proceedings(rng, referral))
    return "      <CINdetails>" + "".join(parts) + "</CINdetails>\n"


def _pre_proceedings(rng: random.Random, referral: date) -> str:
    start = referral + timedelta(days=rng.randrange(20, 120))
    to_court = rng.random() < 0.3
    return (
        f"<PreProceedingsandFGDM><PPStartDate>{start}</PPStartDate>"
        f"<LBPSentDate>{start + timedelta(days=7)}</LBPSentDate>"
        f"<FGDMMeetingOffer>{rng.choice('01')}</FGDMMeetingOffer><FGDMMeetingFac>{rng.choice('01')}</FGDMMeetingFac>"
        f"<InitialPPMeetingDate>{start + timedelta(days=21)}</InitialPPMeetingDate>"
        f"<ReviewMeetingsCount>{rng.randrange(4)}</ReviewMeetingsCount>"
        f"<StepDecisionDate>{start + timedelta(days=90)}</StepDecisionDate>"
        f"<PPOutcome>{'C' if to_court else rng.choice('AB')}</PPOutcome>"
        + (f"<CourtAppDate>{start + timedelta(days=100)}</CourtAppDate>" if to_court else "")
        + "</PreProceedingsandFGDM>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic CIN census XML file.")
    parser.add_argument("path")
    parser.add_argument("children", type=int)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--la-code", default="202")
    args = parser.parse_args()
    write_census(args.path, args.children, args.year, args.seed, args.la_code)


if __name__ == "__main__":
    main()
