"""Agreement of the exchange's CIN census rules with the peer validator ``csc-validator-be-cin``, per rule.

Both read the same files: the public samples the exchange ships (``tests/fixtures/cin/samples``) and
generated censuses (``exchange.synthetic_cin``, whose clean children are then disturbed at random, a date
moved or an element dropped, so that every kind of rule has children that break it). The peer (0.1.13, the
release on PyPI) runs in a throwaway virtual environment under this run's temporary directory, with the
rule set of each file's collection year; the exchange runs ``CinCensusAdapter.parse``.

A pair is (rule, LA child id), or (rule, none) for a rule about the return as a whole. Only children the
exchange stores are compared: a child that breaks the year's XSD is rejected whole (with its XSD faults),
where the peer, which reads no XSD, reports rules on it. Rules only one side has for a year are listed
apart and not counted (the peer's 0.1.13 has none of DfE's 2026-27 rules). Printed per rule: the pairs
both report, only the peer reports, only the exchange reports; then the agreement, both / all pairs.
``docs/validation.md`` explains each remaining difference.

    python -m benchmarks.agreement_cin [--children 2000] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from adapters.base import Finding, Record, Rejected
from adapters.cin_census import CinCensusAdapter
from adapters.cin_rules import rules_for
from benchmarks._harness import ROOT
from benchmarks.ingest import peer_python
from exchange import reference
from exchange.synthetic_cin import census_chunks

SAMPLES = ROOT / "tests" / "fixtures" / "cin" / "samples"
#: the peer's rule set for each collection year (the year the census ends); before 2023 its oldest
PEER_RULESETS = {
    2023: "cin2022_23",
    2024: "cin2023_24",
    2025: "cin2024_25",
    2026: "cin2025_26",
    2027: "cin2026_27",
}
GENERATED_YEARS = (2024, 2026, 2027)
GOAL = 0.99

#: run inside the peer's venv: prints [[rule, child id or null], ...] for one file and rule set
PEER_SCRIPT = """
import importlib, json, sys, xml.etree.ElementTree as ET
from cin_validator import cin_validator
data = cin_validator.process_data(cin_validator.convert_data(ET.parse(sys.argv[1]).getroot()))
registry = importlib.import_module("cin_validator.rules." + sys.argv[2]).registry
validator = cin_validator.CinValidator(data, registry)
issues = validator.full_issue_df
pairs = [[str(r), str(c)] for r, c in zip(issues["rule_code"], issues["child_id"])]
pairs += [[str(r), None] for r in validator.multichild_issues["rule_code"]]
print(json.dumps({"rules": [str(code) for code in registry], "pairs": pairs}))
"""

_DATE = re.compile(rb"<(\w+)>(\d{4}-\d{2}-\d{2})</\1>")
#: elements a disturbance may drop (each optional in the XSD, so the child stays valid)
_OPTIONAL = (
    b"CINclosureDate",
    b"ReasonForClosure",
    b"PrimaryNeedCode",
    b"AssessmentAuthorisationDate",
    b"DateOfInitialCPC",
    b"CPPendDate",
    b"CINPlanEndDate",
    b"UPN",
    b"PPStartDate",
    b"FGDMMeetingFac",
    b"ReviewMeetingsCount",
)


def disturbed(chunk: bytes, rng: random.Random, year: int) -> bytes:
    """A child with, by chance, one to three of its dates moved (within two years of the census) or
    optional elements dropped; the header and closing chunks are left as they are."""
    if not chunk.lstrip().startswith(b"<Child>") or rng.random() < 0.3:
        return chunk
    for _ in range(rng.randint(1, 3)):
        dates = list(_DATE.finditer(chunk))
        if rng.random() < 0.7 and dates:
            found = rng.choice(dates)
            moved = date(year - 1, 4, 1) + timedelta(days=rng.randrange(-400, 500))
            chunk = chunk[: found.start(2)] + str(moved).encode() + chunk[found.end(2) :]
        else:
            tag = rng.choice(_OPTIONAL)
            chunk = re.sub(rb"<%s>[^<]*</%s>" % (tag, tag), b"", chunk, count=1)
    return chunk


def generated(path: Path, children: int, year: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as out:
        for chunk in census_chunks(children, year=year, seed=seed, la_code="202"):
            out.write(disturbed(chunk, rng, year))


def header_year(path: Path) -> int:
    found = re.search(rb"<Year>\s*(\d{4})\s*</Year>", path.read_bytes()[:4000])
    return int(found.group(1)) if found else 0


def ours(path: Path) -> tuple[set[str | None], set[tuple[str, str | None]], int]:
    """The LA child ids the exchange stores, its (rule, child) pairs and how many children it rejects."""
    stored: set[str | None] = set()
    pairs: set[tuple[str, str | None]] = set()
    rejected = 0
    for item in CinCensusAdapter(reference.load()).parse(io.BytesIO(path.read_bytes())):
        if isinstance(item, Record) and item.kind == "cin_child":
            stored.add(item.data["la_child_id"])
        elif isinstance(item, Finding) and item.code.startswith("cin."):
            pairs.add((item.code.removeprefix("cin."), item.record))
        elif isinstance(item, Rejected):
            rejected += 1
    return stored, pairs, rejected


_CRASHED = re.compile(r"^Error with rule (\w+):", re.M)


def peers(
    python: Path, script: Path, path: Path, ruleset: str
) -> tuple[set[str], set[tuple[str, str | None]], set[str]]:
    """The peer's rules for the year, its pairs, and the rules that raised an exception on this file (the
    peer prints "Error with rule X" and reports nothing for X): those are not compared."""
    done = subprocess.run(
        [str(python), str(script), str(path), ruleset], capture_output=True, check=True, timeout=1800
    )
    out = done.stdout.decode()
    result = json.loads(out.strip().splitlines()[-1])
    return (
        set(result["rules"]),
        {(rule, child) for rule, child in result["pairs"]},
        set(_CRASHED.findall(out)),
    )


def files(workdir: Path, children: int) -> Iterator[tuple[str, Path]]:
    for sample in sorted(SAMPLES.glob("*.xml")):
        yield f"public sample {sample.name}", sample
    for year in GENERATED_YEARS:
        path = workdir / f"generated-{year}.xml"
        generated(path, children, year, seed=year)
        yield f"generated {year}, {children:,} children, disturbed", path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=2000, help="children in each generated file")
    parser.add_argument("--peer-python", type=Path, help="a python with the peer installed (else a new venv)")
    args = parser.parse_args()
    both: Counter[str] = Counter()
    only_peer: Counter[str] = Counter()
    only_ours: Counter[str] = Counter()
    one_sided: dict[str, set[str]] = {"peer": set(), "exchange": set()}
    crashed: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="bench-agreement-cin-") as tmp:
        workdir = Path(tmp)
        python = args.peer_python or peer_python(workdir)
        if python is None:
            return
        script = workdir / "peer_pairs.py"
        script.write_text(PEER_SCRIPT)
        for name, path in files(workdir, args.children):
            year = header_year(path)
            ruleset = PEER_RULESETS[min(max(year, 2023), 2027)]
            stored, our_pairs, rejected = ours(path)
            try:
                peer_rules, peer_pairs, peer_crashed = peers(python, script, path, ruleset)
            except subprocess.CalledProcessError as failure:
                print(f"{name}: the peer failed ({failure.stderr.decode()[-200:].strip()!r}), not compared")
                continue
            our_rules = {r.id for r in rules_for(year)}
            shared = (our_rules & peer_rules) - peer_crashed
            crashed.update(peer_crashed)
            one_sided["peer"] |= peer_rules - our_rules
            one_sided["exchange"] |= our_rules - peer_rules
            peer_pairs = {(r, c) for r, c in peer_pairs if r in shared and (c is None or c in stored)}
            our_pairs = {(r, c) for r, c in our_pairs if r in shared}
            for pairs, counter in (
                (our_pairs & peer_pairs, both),
                (peer_pairs - our_pairs, only_peer),
                (our_pairs - peer_pairs, only_ours),
            ):
                counter.update(rule for rule, _ in pairs)
            print(
                f"{name} (year {year}, peer {ruleset}): {len(stored):,} children stored, {rejected:,}"
                f" rejected by the XSD; pairs both {len(our_pairs & peer_pairs):,}, only peer"
                f" {len(peer_pairs - our_pairs):,}, only exchange {len(our_pairs - peer_pairs):,}"
            )
    print(f"\n{'rule':>7} {'both':>7} {'only peer':>10} {'only exchange':>14}")
    for rule in sorted(set(both) | set(only_peer) | set(only_ours), key=lambda r: (len(r.rstrip("Q")), r)):
        print(f"{rule:>7} {both[rule]:>7,} {only_peer[rule]:>10,} {only_ours[rule]:>14,}")
    agreed, total = sum(both.values()), sum(both.values()) + sum(only_peer.values()) + sum(only_ours.values())
    print(
        f"rules the peer has and the exchange does not (its XSD enforces them): {sorted(one_sided['peer'])}"
    )
    print(f"rules the exchange has and the peer 0.1.13 does not: {sorted(one_sided['exchange'])}")
    print(
        "rules the peer raised an exception on, not compared on those files: "
        + (", ".join(f"{rule} ({n} files)" for rule, n in sorted(crashed.items())) or "none")
    )
    share = agreed / total if total else 1.0
    print(
        f"agreement on (rule, child) pairs: {agreed:,} of {total:,} = {share:.1%}"
        f"  |  goal {GOAL:.0%}  |  {'met' if share >= GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
