"""CIN census ingest end to end (parse, validate, transform, store) beside the bare parse-and-validate floor.

For synthetic censuses of 10,000 and 50,000 children valid against the 2026 schema
(``exchange.synthetic_cin``), on SQLite and, when it answers, PostgreSQL (``EXCHANGE_BENCH_DATABASE_URL``):

- **end to end**: ``exchange.pipeline.submit(..., inline=True)`` of the file (hashed, stored in chunks and
  read in place) as an LA of the file's code, as ``exchange import`` does; children per second (every
  child must be accepted);
- **floor**, same run, same file: lxml ``iterparse`` under the secure settings plus validating each ``Child``
  against ``adapters.cin_census.year_schema(2026)`` (the adapter's own derived schema), and nothing else;
- **peak memory**: the resident set size (``ru_maxrss``) of the subprocess doing each, for both sizes, and
  of one that only receives and stores the raw body (``submit`` without processing), which tells the cost
  of holding the body whole apart from that of reading it record by record;
- **the peer validator** ``csc-validator-be-cin`` 0.1.13, installed into a throwaway venv under this run's
  temporary directory, on a census of its own (``--peer-children``, 10,000 by default, the smaller of the
  sizes the goal names: the peer takes about three minutes on it and slows faster than the count grows, so
  50,000 is a run of its own, ``--peer-children 50000``), and the exchange's validator alone
  (``--measure validation``) on the same file in the same run. Printed: children per second of each and
  their ratio, by wall time and by CPU time of each process, and the peer's also less its start-up (its CPU
  time on a census of one child).

Each measurement runs in a subprocess of this module (``--measure floor|ingest|validation FILE``), timed
inside it, so start-up is not counted and its peak memory is its own. ``--sizes`` and ``--no-peer``
shorten a run. ``--validation-only`` measures the CIN census adapter alone (parse, XSD and every DfE rule
of the year, no database) beside the floor and the peer: the validator's own speed and memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import ROOT, exchange, postgres_available, report
from exchange.synthetic_cin import write_census

SIZES = (10_000, 50_000)
YEAR = 2026
LA_CODE = "202"
PEER = "csc-validator-be-cin==0.1.13"
PEER_RULESET = "cin2026_27"
PEER_CHILDREN = 10_000
PEER_LIMIT = 3600  # seconds: the peer "did not finish" beyond this
INSTALL_LIMIT = 600
FLOOR = "iterparse + per-Child XSD validation"


# --- what each subprocess measures -------------------------------------------------------------------
def measure_floor(path: Path) -> dict[str, float]:
    """iterparse + per-Child validation against the adapter's derived schema, memory kept flat likewise."""
    from lxml import etree

    from adapters.cin_census import SECURE, year_schema

    schema = year_schema(YEAR)
    started, cpu = time.perf_counter(), time.process_time()
    children = invalid = 0
    for _, child in etree.iterparse(str(path), events=("end",), tag="Child", **SECURE):
        children += 1
        invalid += not schema.validate(child)
        child.clear()
        while child.getprevious() is not None:
            del child.getparent()[0]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if invalid:
        raise RuntimeError(f"{invalid} synthetic children are invalid: the generator and schema disagree")
    return {"children": children, "seconds": elapsed, "cpu_seconds": cpu}


def measure_ingest(path: Path, inline: bool = True) -> dict[str, float]:
    """The whole intake of the file through ``exchange.pipeline.submit`` inline, as ``exchange import``;
    with ``inline`` False only the raw body, submission row and audit event are stored (the worker's part
    is left undone): what holding and storing the body costs in memory."""
    from sqlalchemy import select

    from exchange import create_app, pipeline
    from exchange.bodies import Body
    from exchange.db import db
    from exchange.models import Organisation

    app = create_app()
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.la_code == LA_CODE))
        started, cpu = time.perf_counter(), time.process_time()
        with Body.from_path(path) as body:
            where = {"session": db.session(), "settings": app.config["EXCHANGE_SETTINGS"], "inline": inline}
            submission = pipeline.submit(org, "operator", body, "application/xml", "cin-census", **where)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = {"records": submission.records, "accepted": submission.accepted}
    if inline and (counts["accepted"] != counts["records"] or not counts["records"]):
        raise RuntimeError(f"not every synthetic record was accepted: {counts}")
    # less the header record
    return {"children": counts["accepted"] - 1, "seconds": elapsed, "cpu_seconds": cpu}


def measure_validation(path: Path) -> dict[str, float]:
    """The adapter alone: every item of ``CinCensusAdapter.parse`` (XSD, canonical records, every DfE rule
    of the year as findings), nothing stored."""
    from adapters.base import Finding, Record
    from adapters.cin_census import CinCensusAdapter
    from exchange import reference

    adapter = CinCensusAdapter(reference.load())
    started, cpu = time.perf_counter(), time.process_time()
    children = findings = 0
    with open(path, "rb") as stream:
        for item in adapter.parse(stream):
            children += isinstance(item, Record) and item.kind == "cin_child"
            findings += isinstance(item, Finding)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"children": children, "findings": findings, "seconds": elapsed, "cpu_seconds": cpu}


def in_subprocess(what: str, path: Path, env: dict[str, str] | None = None) -> tuple[dict[str, float], float]:
    """Run ``--measure what path`` in a fresh interpreter: its result and its own peak RSS in MiB."""
    out = path.with_suffix(f".{what}.json")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--measure", what, str(path), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"--measure {what} failed: {done.stderr.decode()[-2000:]}")
    result = json.loads(out.read_text())
    return result, result["maxrss_kib"] / 1024


# --- the peer validator --------------------------------------------------------------------------------
def peer_python(workdir: Path) -> Path | None:
    """A throwaway venv with the peer validator (it pins pandas<2; numpy<2 and pytest it needs too)."""
    venv = workdir / "peer-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", PEER, "numpy<2", "pytest"],
            check=True,
            capture_output=True,
            timeout=INSTALL_LIMIT,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failure:
        detail = getattr(failure, "stderr", b"") or b""
        print(f"peer validator {PEER}: could not be installed ({detail.decode()[-300:].strip()!r})")
        return None
    return venv / "bin" / "python"


def run_peer(python: Path, path: Path) -> tuple[float, float] | None:
    """Seconds the peer takes to validate the file, wall and CPU (its process's own, from the resource usage
    of finished children), or None when it does not finish within the limit."""
    import resource

    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run(
            [str(python), "-m", "cin_validator", "run", str(path), "--ruleset", PEER_RULESET],
            check=True,
            capture_output=True,
            timeout=PEER_LIMIT,
            cwd=path.parent,
        )
    except subprocess.TimeoutExpired:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def bench_peer(workdir: Path, children: int) -> None:
    """The peer and the exchange's validator on the same census of ``children``, same run."""
    path, one = workdir / f"census-peer-{children}.xml", workdir / "census-peer-1.xml"
    write_census(path, children, year=YEAR, seed=children, la_code=LA_CODE)
    write_census(one, 1, year=YEAR, seed=1, la_code=LA_CODE)
    python = peer_python(workdir)
    if python is None:
        return
    ours, _ = in_subprocess("validation", path)
    start_up, timed = run_peer(python, one), run_peer(python, path)
    if timed is None or start_up is None:
        print(f"peer {PEER} on {children:,} children: did not finish in {PEER_LIMIT} s")
        return
    (seconds, cpu_seconds), start_up_cpu = timed, start_up[1]
    peer = f"{PEER} run --ruleset {PEER_RULESET}"
    what = f"CIN validation alone vs the peer, the same {children:,}-child census"
    report(what, ours["children"] / ours["seconds"], "children/s", f"{peer}, wall time", children / seconds)
    report(
        "  the same per CPU second of each process (the peer's start-up included)",
        ours["children"] / ours["cpu_seconds"],
        "children/s",
        f"{peer}, CPU time",
        children / cpu_seconds,
    )
    report(
        f"  the same, the peer's start-up less (its CPU time on one child: {start_up_cpu:.1f} s)",
        ours["children"] / ours["cpu_seconds"],
        "children/s",
        f"{peer}, CPU time less start-up",
        children / max(cpu_seconds - start_up_cpu, 1e-9),
    )


# --- the run -------------------------------------------------------------------------------------------
def bench_database(kind: str, files: dict[int, Path]) -> None:
    """End to end against the floor for each file, each on a fresh database."""
    memory: dict[int, tuple[float, float]] = {}
    for size, path in files.items():
        with exchange(kind) as ex:
            ex.cli("org", "add", "--id", "bench-la", "--kind", "local_authority", "--la-code", LA_CODE)
            floor, floor_rss = in_subprocess("floor", path)
            ingest, ingest_rss = in_subprocess("ingest", path, ex.env)
        with exchange(kind) as ex:
            ex.cli("org", "add", "--id", "bench-la", "--kind", "local_authority", "--la-code", LA_CODE)
            _, body_rss = in_subprocess("body", path, ex.env)
        rate, floor_rate = ingest["children"] / ingest["seconds"], floor["children"] / floor["seconds"]
        report(f"CIN ingest end to end, {size:,} children, {kind}", rate, "children/s", FLOOR, floor_rate)
        # CPU time of the measuring process: steadier on a busy machine (PostgreSQL's own CPU not counted)
        report(
            f"  the same per CPU second of the ingesting process ({kind})",
            ingest["children"] / ingest["cpu_seconds"],
            "children/s",
            FLOOR,
            floor["children"] / floor["cpu_seconds"],
        )
        memory[size] = (ingest_rss, body_rss, floor_rss)
    for size, (ingest_rss, body_rss, floor_rss) in memory.items():
        megabytes = files[size].stat().st_size / 2**20
        print(
            f"peak RSS, {size:,} children ({megabytes:.0f} MiB file), {kind}: end to end {ingest_rss:.0f} MiB"
            f"  |  raw body received and stored only {body_rss:.0f} MiB  |  floor {floor_rss:.0f} MiB"
        )


def bench_validation(files: dict[int, Path]) -> None:
    """The validator alone against the floor for each file, per wall second and per CPU second, then peak
    memory."""
    memory: dict[int, tuple[float, float]] = {}
    for size, path in files.items():
        floor, floor_rss = in_subprocess("floor", path)
        checked, checked_rss = in_subprocess("validation", path)
        report(
            f"CIN validation, every DfE rule on, {size:,} children ({checked['findings']:,} findings)",
            checked["children"] / checked["seconds"],
            "children/s",
            FLOOR,
            floor["children"] / floor["seconds"],
        )
        report(
            "  the same per CPU second",
            checked["children"] / checked["cpu_seconds"],
            "children/s",
            FLOOR,
            floor["children"] / floor["cpu_seconds"],
        )
        memory[size] = (checked_rss, floor_rss)
    for size, (checked_rss, floor_rss) in memory.items():
        print(f"peak RSS, {size:,} children: validation {checked_rss:.0f} MiB  |  floor {floor_rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-peer", action="store_true", help="skip the peer validator")
    parser.add_argument(
        "--peer-children",
        type=int,
        default=PEER_CHILDREN,
        help="children in the census the peer and the exchange's validator both read",
    )
    parser.add_argument(
        "--validation-only",
        action="store_true",
        help="the CIN validator alone (no database) beside the floor",
    )
    parser.add_argument(
        "--measure", choices=("floor", "ingest", "body", "validation"), help=argparse.SUPPRESS
    )
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        import resource

        if args.measure == "floor":
            result = measure_floor(args.file)
        elif args.measure == "validation":
            result = measure_validation(args.file)
        else:
            result = measure_ingest(args.file, inline=args.measure == "ingest")
        result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        args.out.write_text(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        files = {}
        for size in args.sizes:
            files[size] = workdir / f"census-{size}.xml"
            write_census(files[size], size, year=YEAR, seed=size, la_code=LA_CODE)
        print("SYNTHETIC data: exchange.synthetic_cin, collection year 2026 (with pre-proceedings blocks)")
        if args.validation_only:
            bench_validation(files)
        else:
            bench_database("sqlite", files)
            if postgres_available():
                bench_database("postgresql", files)
            else:
                print("PostgreSQL: not available (EXCHANGE_BENCH_DATABASE_URL), skipped")
        if not args.no_peer:
            bench_peer(workdir, args.peer_children)


if __name__ == "__main__":
    main()
