"""Reading the reference data files of one folder; a fault names the file, never its full path."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ReferenceDataError(Exception):
    """A data file is missing, unreadable or inconsistent with the others; the message names each fault."""


@dataclass(frozen=True)
class Folder:
    """One folder holding the whole set of reference data files."""

    path: Path

    def read(self, name: str) -> str:
        try:
            return (self.path / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise ReferenceDataError(f"{name}: cannot be read ({type(exc).__name__})") from exc

    def rows(self, name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(self.read(name).splitlines()))

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except json.JSONDecodeError as exc:
            raise ReferenceDataError(f"{name}: not valid JSON (line {exc.lineno})") from exc
