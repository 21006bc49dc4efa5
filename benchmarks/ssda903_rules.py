"""Every SSDA903 rule over a whole return, beside the floor of reading the same rows.

Data: the public fake SSDA903 return in ``tests/fixtures/ssda903/samples/d2i_fake_large`` (header, episodes,
reviews, oc2, previous_permanence: about 25,000 rows), and the same return copied ``COPIES`` times over with
each copy's child ids made distinct (a large LA's return), run as the 2024-25 collection with last year's
return given (the same rows again, so that the rules against last year run too).

- **floor**, same run, same rows: the CSV files read with the ``csv`` module and every cell cleaned by the
  SSDA903 adapter's ``clean_cell`` into the row mappings the rules take (what the intake does anyway);
- **rules**: ``adapters.ssda903_rules.run`` over those rows, every finding collected.

Both as rows per second of the current return; the ratio is rules / floor (1.0: the rules cost as much as
reading the rows; 0.5: twice as much).
"""

from __future__ import annotations

import csv
import time
from collections import Counter

from adapters.ssda903 import CellFault, clean_cell, columns
from adapters.ssda903_rules import run
from benchmarks._harness import ROOT, report

SAMPLE = ROOT / "tests" / "fixtures" / "ssda903" / "samples" / "d2i_fake_large"
#: file -> the adapter's table name
FILES = {
    "header": "header",
    "episodes": "episodes",
    "reviews": "reviews",
    "oc2": "oc2",
    "previous_permanence": "prev_perm",
}
COPIES = (1, 10)
YEAR = 2025


def read(copies: int) -> dict[str, list[dict]]:
    """The sample's rows cleaned, ``copies`` times over (child ids suffixed per copy); bad rows skipped."""
    tables: dict[str, list[dict]] = {}
    for name, table in FILES.items():
        definitions = columns(table, None)
        rows = tables.setdefault(table, [])
        with (SAMPLE / f"{name}.csv").open(encoding="utf-8", newline="") as source:
            lines = list(csv.reader(source))
        header = lines[0]
        for copy in range(copies):
            for number, cells in enumerate(lines[1:], start=2):
                try:
                    row = {
                        column: clean_cell(definitions[column], cell)
                        for column, cell in zip(header, cells, strict=True)
                    }
                except CellFault:
                    continue
                row["CHILD"] = f"{row['CHILD']}-{copy}"
                row["_row"] = number + copy * len(lines)
                rows.append(row)
    return tables


def measure(copies: int) -> None:
    started = time.perf_counter()
    tables = read(copies)
    floor_seconds = time.perf_counter() - started
    count = sum(len(rows) for rows in tables.values())

    started = time.perf_counter()
    findings = list(run(tables, tables, year=YEAR))
    rules_seconds = time.perf_counter() - started

    by_severity = Counter(finding.severity for finding in findings)
    print(
        f"{copies}x the sample: {count:,} rows, {len(findings):,} findings {dict(by_severity)}"
    )
    report(
        f"SSDA903 rules, {count:,} rows",
        count / rules_seconds,
        "rows/s",
        "reading and cleaning the same rows",
        count / floor_seconds,
    )


def main() -> None:
    for copies in COPIES:
        measure(copies)


if __name__ == "__main__":
    main()
