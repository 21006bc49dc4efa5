"""Fixtures for the configuration tests: the reference fixtures, and a clean cache around each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import config
from tests.fixtures import FIXTURES


@pytest.fixture
def reference() -> Path:
    """The public reference data the configuration was derived from."""
    return FIXTURES


@pytest.fixture(autouse=True)
def fresh_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test reads the files afresh and leaves no cached copy of an edited folder behind."""
    monkeypatch.delenv(config.CONFIG_DIR_ENV, raising=False)
    config.reload()
    yield
    config.reload()


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's copy of the shipped configuration folder, selected with EXCHANGE_CONFIG_DIR."""
    copy = tmp_path / "config"
    shutil.copytree(Path(config.__file__).parent, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(copy))
    config.reload()
    return copy
