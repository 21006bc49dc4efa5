"""The Makefile: each target installs only the extras it uses, into one virtualenv later targets extend."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dry_run(target: str, venv: Path) -> str:
    """The commands ``make TARGET`` would run with its virtualenv at ``venv``."""
    command = ["make", "-n", target, f"VENV={venv}"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def installs(target: str, venv: Path) -> list[str]:
    return re.findall(r"pip install --quiet -e '([^']*)'", dry_run(target, venv))


def test_each_target_installs_only_what_it_uses(tmp_path):
    venv = tmp_path / "venv"
    assert installs("demo", venv) == [".[dev-idp]"]  # the service and the development OpenID provider
    assert installs("test", venv) == installs("lint", venv) == installs("reliability", venv) == [".[test]"]
    assert installs("bench", venv) == [".[test,bench]"]


def test_a_demo_virtualenv_is_extended_not_rebuilt(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".ready-demo").touch()
    newer = max((ROOT / name).stat().st_mtime for name in ("setup.cfg", "pyproject.toml")) + 1
    os.utime(venv / ".ready-demo", (newer, newer))
    assert installs("demo", venv) == []  # ready: nothing to install again
    assert installs("test", venv) == [".[test]"] and " -m venv " not in dry_run("test", venv)
