"""Fixtures for the reference data tests: the public sources, the shipped data, an operator's copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exchange.reference import DATA_DIR, Reference, load
from exchange.reference.checks import problems
from exchange.reference.files import Folder
from tests.fixtures import FIXTURES

#: the shipped reference data, read once for the module's tests (each ``load`` builds a fresh object)
SHIPPED = load()


def validate(path: Path = DATA_DIR) -> list[str]:
    """Every problem ``checks.problems`` finds in the data files of ``path``."""
    return problems(Folder(path))


@pytest.fixture
def reference() -> Path:
    """The public reference data the shipped data files were derived from."""
    return FIXTURES


@pytest.fixture
def shipped() -> Reference:
    return SHIPPED


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """An operator's copy of the shipped data files (what EXCHANGE_CONFIG_DIR would name)."""
    copy = tmp_path / "config"
    shutil.copytree(DATA_DIR, copy)
    return copy
