"""The exchange's SSDA903 rules beside the peer validator (quality-lac-data-validator 1.0.3): findings, speed.

The peer is installed into a throwaway virtual environment (``--peer-python`` reuses one): without its pins
(numpy 1.17 and pandas 1.0 have no wheels for this Python) but with ``numpy<1.24`` and ``pandas<2``, under
which it runs; its two reference-data packages (ONS LA list, postcode directory) are stood in by empty
modules (``benchmarks/peer_ssda903.py``), so the postcode and Ofsted rules, which the exchange cannot run
either (``adapters.ssda903_rules.UNAVAILABLE``), are left out.

Returns, run as the 2023-24 collection by both:
- **public**: the public fake return (header, episodes, reviews, oc2, previous_permanence) and the public
  fake small tables (ad1, missing, oc3, uasc, placed_for_adoption) as a second return;
- **generated**: the public fake return copied until it holds about 10,000 and 50,000 children, each
  copy's child ids made distinct.

Agreement: per rule both run, the (rule, child) pairs both report, only the peer reports and only the
exchange reports (the exchange's pairs are its findings and the faults of the rows it rejects, which carry
the DfE rule id). Two figures: the raw agreement over every rule both run, and the agreement over the rules
where the peer follows DfE's current wording (``PEER_DEPARTS`` names each rule left out and why).
Speed: children per second through the SSDA903 adapter with every rule on, beside the peer (its reading
and rules, same files) and beside the floor (the same adapter with the rules off), each run ``--repeats``
times in turn (ours, floor, peer, ours, ...) so that the shared machine's load falls on all alike: the best
of each is reported, with the range and the load average; peak memory (RSS of a process reading the
return) at each size.

Columnar bound: how fast a columnar engine could be. DuckDB reads the same files into tables (every cell
text, the episodes' dates parsed) and runs ``COLUMNAR_RULES`` (six of our rules as SQL, from a one-column
filter to a window over each child's episodes) 50 times each in one query, 300 subqueries for the catalogue's
300-odd rules, every hit fetched into Python; printed beside the peer in the same run. It checks no cell and
emits no finding object, and most of the catalogue's rules are heavier than these six, so it is a bound on
what rewriting the rules for such an engine could give, not an estimate of it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import venv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from adapters.base import Finding, Rejected
from adapters.ssda903 import Ssda903Adapter
from adapters.ssda903_rules import RULES, UNAVAILABLE, catalogue
from benchmarks._harness import ROOT, report

SAMPLES = ROOT / "tests" / "fixtures" / "ssda903" / "samples"
LARGE = ("header", "episodes", "reviews", "oc2", "previous_permanence")
SMALL = ("ad1", "missing", "oc3", "uasc", "placed_for_adoption")
PEER = "quality-lac-data-validator==1.0.3"
PEER_YEAR, YEAR = "2023/24", 2024
SIZES = (10_000, 50_000)
#: rules where the peer's code departs from DfE's current wording (evidence in docs/validation.md): their
#: pairs are left out of the second agreement figure, never out of the raw one
PEER_DEPARTS = {
    "634": "peer bug: compares the latest start with the collection year's start, not with 1 April 2016",
    "186": "peer bug: flags a blank score or a blank reason, though 197a says a scored child needs no reason",
    "1012": "peer reads it about every table's children without episodes; DfE's is about OC3 children",
    "351": "outdated threshold: the peer checks age 21; the 2023-24 and 2024-25 catalogues say 25",
    "157": "peer adds conditions (the 12-month cohort, a blank score) and reads '16 or under' as under 16",
    "336": "peer bug: tests A3 and A4 for DfE's A3 and A5 (its own comment says A5)",
    "370": "outdated threshold (15 for DfE's 16) and open placements left out",
    "371": "outdated threshold (14 for DfE's 16) and open placements left out",
    "372": "open placements left out: the peer checks only episodes with an end date",
    "373": "open placements left out: the peer checks only episodes with an end date",
    "374": "open placements left out: the peer checks only episodes with an end date",
    "451": "peer adds a condition: the reason ceased must be blank too",
    "431": "peer flags any earlier end (an overlap, 501's) where DfE says 'ended on the same day'",
    "104": "peer adds a condition: a valid date before the collection year is flagged too",
    "389": "peer flags E7 when the age cannot be known (no end date or date of birth)",
    "199": "peer flags episodes after an adoption episode in start order, whatever their dates",
    "377": "peer counts every T3 episode in the return, where DfE says 'in any 12-month period'",
    "133": "peer's code list lacks S1 and X1, which DfE's ACCOM list has",
}


#: six of the rules as DuckDB SQL over the tables as read (``rn``: a row number), for the columnar bound
COLUMNAR_RULES = {
    "101": "SELECT child, rn FROM header WHERE sex IS NULL OR sex NOT IN ('1', '2', 'M', 'F', 'U')",
    "168": "SELECT child, rn FROM header WHERE upn IS NULL "
    "OR NOT regexp_full_match(upn, '[A-Z][0-9]{11}[0-9A-Z]|UN[1-7]')",
    "611": "SELECT child, rn FROM header WHERE mother = '1' AND mc_dob IS NULL",
    "EPI": "SELECT h.child, h.rn FROM header h ANTI JOIN episodes e ON e.child = h.child",
    "INT": "SELECT child, rn FROM (SELECT child, rn, count(*) OVER (PARTITION BY child) AS n FROM header) "
    "WHERE n > 1",
    "501": "SELECT child, rn FROM (SELECT child, rn, decom_day, "
    "lag(dec_day) OVER (PARTITION BY child ORDER BY decom_day NULLS LAST) ended FROM episodes) "
    "WHERE decom_day < ended",
}


def columnar_seconds(files: list[Path]) -> float:
    """Seconds for DuckDB to read ``files`` and run ``COLUMNAR_RULES`` 50 times over, fetching every hit."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    for path in files:
        con.execute(
            f"CREATE TABLE {path.stem} AS SELECT row_number() OVER () + 1 AS rn, * "  # noqa: S608 - LARGE's names
            "FROM read_csv(?, all_varchar = true, header = true)",
            [str(path)],
        )
    con.execute(
        "CREATE OR REPLACE TABLE episodes AS SELECT *, try_strptime(decom, '%d/%m/%Y')::DATE AS decom_day, "
        "try_strptime(dec, '%d/%m/%Y')::DATE AS dec_day FROM episodes"
    )
    query = " UNION ALL ".join(
        f"SELECT '{rule}' AS rule, * FROM ({sql})"  # noqa: S608 - the queries above
        for rule, sql in COLUMNAR_RULES.items()
    )
    con.execute(" UNION ALL ".join([query] * 50)).fetchall()
    con.close()
    return time.perf_counter() - started


def peer_python(where: Path) -> Path:
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "numpy<1.24", "pandas<2"], check=True)
    subprocess.run([*pip, "--no-deps", PEER], check=True)
    return python


def run_peer(python: Path, files: list[Path], mode: str = "pairs") -> dict:
    runner = str(ROOT / "benchmarks" / "peer_ssda903.py")
    done = subprocess.run(
        [str(python), "-P", runner, mode, PEER_YEAR, *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
        cwd=files[0].parent,
    )
    return json.loads(done.stdout)


def run_ours(files: list[Path], *, rules: bool = True) -> tuple[set[tuple[str, str]], float]:
    """The (rule, child) pairs of the exchange's findings and rejections, and the seconds the adapter took
    to read the files and give them (the rows' children, which name a rejected row's pairs, are looked up
    before the clock starts: the intake has no need of them)."""
    rule_ids = set(catalogue(YEAR))
    children_of = []  # per file, row -> child (for a rejected row's faults)
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as source:
            children_of.append(
                {number: row["CHILD"] for number, row in enumerate(csv.DictReader(source), start=2)}
            )
    reading: list[dict[int, str]] = [{}]  # the children of the file being read

    def streams() -> Iterator:
        for path, rows in zip(files, children_of, strict=True):
            reading[0] = rows
            with path.open("rb") as stream:
                yield stream

    pairs = set()
    started = time.perf_counter()
    for item in Ssda903Adapter(None, collection_year=YEAR, rules=rules).parse_return(streams()):
        if isinstance(item, Finding) and item.code.startswith("ssda903."):
            pairs.add((item.code.removeprefix("ssda903."), item.record))
        elif isinstance(item, Rejected):
            for fault in item.faults:
                if fault.code in rule_ids:
                    pairs.add((fault.code, reading[0][fault.position.row]))
    return pairs, time.perf_counter() - started


def generated(folder: Path, copies: int) -> list[Path]:
    """The public fake return ``copies`` times over, child ids suffixed per copy."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in LARGE:
        with (SAMPLES / "d2i_fake_large" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as source:
            rows = list(csv.reader(source))
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(rows[0])
            for copy in range(copies):
                writer.writerows([f"{row[0]}{copy:03d}", *row[1:]] for row in rows[1:])
        paths.append(path)
    return paths


def children_in(files: list[Path]) -> int:
    with files[0].open(encoding="utf-8-sig") as header:
        return sum(1 for _ in header) - 1


def compare(peer: dict, ours: set[tuple[str, str]]) -> Counter:
    """Per-rule counts of pairs both / only the peer / only the exchange report, for the rules both run."""
    compared = (set(peer["ran"]) & set(RULES) & set(catalogue(YEAR))) - set(UNAVAILABLE)
    theirs = {(rule, child) for rule, child in peer["pairs"] if rule in compared}
    mine = {(rule, child) for rule, child in ours if rule in compared}
    counts: Counter = Counter()
    for rule, _ in theirs & mine:
        counts[rule, "both"] += 1
    for rule, _ in theirs - mine:
        counts[rule, "peer"] += 1
    for rule, _ in mine - theirs:
        counts[rule, "ours"] += 1
    return counts


def agreement(python: Path, folder: Path) -> None:
    counts: Counter = Counter()
    returns = {
        "public fake return": [SAMPLES / "d2i_fake_large" / f"{name}.csv" for name in LARGE],
        "public fake small tables": [SAMPLES / f"{name}.csv" for name in SMALL],
        "generated (2 copies)": generated(folder / "agreement", 2),
    }
    for name, files in returns.items():
        found = compare(run_peer(python, files), run_ours(files)[0])
        print(f"{name}: {sum(found.values()):,} (rule, child) pairs")
        counts += found
    rules = sorted({rule for rule, _ in counts})
    print(f"{'rule':>10} {'both':>7} {'only peer':>10} {'only ours':>10}")
    for rule in rules:
        both, peer, ours = (counts[rule, side] for side in ("both", "peer", "ours"))
        if peer or ours:
            print(f"{rule:>10} {both:>7} {peer:>10} {ours:>10}")
    total = sum(counts.values())
    both = sum(n for (_, side), n in counts.items() if side == "both")
    agreeing = sum(1 for rule in rules if not counts[rule, "peer"] and not counts[rule, "ours"])
    print(
        f"raw agreement: {both:,} of {total:,} pairs ({100 * both / total:.1f} %) over {len(rules)} rules "
        f"both run; {agreeing} rules agree on every pair"
    )
    excluded = [rule for rule in rules if rule in PEER_DEPARTS]
    print(
        "left out of the second figure, the peer departing from DfE's wording (both / only peer / only ours):"
    )
    for rule in excluded:
        print(
            f"{rule:>10} {counts[rule, 'both']:>6} {counts[rule, 'peer']:>6} {counts[rule, 'ours']:>6}  "
            f"{PEER_DEPARTS[rule]}"
        )
    kept = {key: n for key, n in counts.items() if key[0] not in PEER_DEPARTS}
    kept_both = sum(n for (_, side), n in kept.items() if side == "both")
    kept_total = sum(kept.values())
    print(
        f"agreement where the peer follows DfE's wording: {kept_both:,} of {kept_total:,} pairs "
        f"({100 * kept_both / kept_total:.1f} %) over {len(rules) - len(excluded)} rules"
    )


PEAK = """
import sys
from adapters.ssda903 import Ssda903Adapter
streams = (open(path, "rb") for path in sys.argv[1:])
for _ in Ssda903Adapter(None, collection_year={year}).parse_return(streams):
    pass
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def peak_rss(files: list[Path]) -> int:
    """The peak resident memory (KiB) of a fresh process reading ``files`` with every rule on (each item
    dropped once read, as the intake stores it). Linux's ``VmHWM``: ``ru_maxrss`` would carry over the
    peak of this process, from which the child was forked."""
    script = PEAK.format(year=YEAR)
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, files)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return int(done.stdout.split()[-1])


def speed(python: Path, folder: Path, sizes: list[int], repeats: int) -> None:
    per_copy = children_in([SAMPLES / "d2i_fake_large" / "header.csv"])
    for size in sizes:
        files = generated(folder / str(size), max(1, round(size / per_copy)))
        children = children_in(files)
        rates: dict[str, list[float]] = {"ours": [], "floor": [], "peer": [], "columnar bound": []}
        for _ in range(repeats):
            rates["ours"].append(children / run_ours(files)[1])
            rates["floor"].append(children / run_ours(files, rules=False)[1])
            rates["peer"].append(children / run_peer(python, files, "time")["seconds"])
            rates["columnar bound"].append(children / columnar_seconds(files))
        ours, floor, peer, bound = (max(rates[name]) for name in rates)
        report(f"SSDA903 every rule, {children:,} children, best", ours, "children/s", "peer", peer)
        report(
            f"SSDA903 every rule, {children:,} children, best", ours, "children/s", "floor: rules off", floor
        )
        report(
            f"columnar bound (DuckDB: reading, 300 rule queries), {children:,} children, best",
            bound,
            "children/s",
            "peer",
            peer,
        )
        spread = ", ".join(f"{name} {min(r):,.0f}-{max(r):,.0f}" for name, r in rates.items())
        load = " ".join(f"{average:.1f}" for average in os.getloadavg())
        print(f"  range of {repeats} runs (children/s): {spread}; load average {load}")
        print(f"peak memory, {children:,} children: {peak_rss(files) / 1024:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer-python", type=Path, help="a Python with the peer installed (else a new venv)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="children per return")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each at each size")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        python = options.peer_python or peer_python(folder / "peer")
        if not options.skip_agreement:
            agreement(python, folder)
        if not options.skip_speed:
            speed(python, folder, options.sizes, options.repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark process peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
