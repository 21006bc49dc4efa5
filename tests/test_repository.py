"""The repository stands alone: no tracked file points outside it; CI runs the suite from a lone clone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the sibling folder that the public reference files were first copied from (written so as not to match here)
OUTSIDE = re.compile(rb"\.\./shared|shared[/]reference|work[/]shared")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_reads_outside_the_repository() -> None:
    files = tracked_files()
    assert len(files) > 100
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path.is_file()
        for number, line in enumerate(path.read_bytes().splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []
