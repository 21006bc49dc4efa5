"""`exchange demo`: the same seed gives the same figures; every kind of partner gets a working client."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from flask.cli import ScriptInfo

from exchange import create_app
from exchange.auth.keys import keyring
from exchange.cli import main
from exchange.db import db
from exchange.demo import Generator
from exchange.metrics import publication
from exchange.metrics.measures import scopes
from exchange.metrics.periods import month_of, periods_between
from exchange.models import Organisation


def run_demo(database: Path) -> tuple[dict, list[dict], list[str], str]:
    app = create_app({"database_url": f"sqlite:///{database}", "rate_limit": "100000 per minute"})
    keyring.invalidate()
    result = CliRunner().invoke(
        main,
        ["demo", "--years", "1", "--seed", "1", "--scale", "0.02", "--no-serve", "--json"],
        obj=ScriptInfo(create_app=lambda: app),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    with app.app_context():
        last = month_of(date.today()) - 1
        publication.publish(db.session)
        figures = publication.cells(db.session, periods_between("quarter", last - 11, last), scopes())
        names = [o.name for o in db.session.query(Organisation)]
        db.session.remove()
    db.engine.dispose()
    return summary, figures, names, result.stderr


def test_the_same_seed_gives_the_same_figures(tmp_path):
    first, first_figures, names, progress = run_demo(tmp_path / "first.db")
    second, second_figures, _, _ = run_demo(tmp_path / "second.db")
    assert first["loaded"]["accepted"] == first["loaded"]["cases"] == second["loaded"]["cases"] > 500
    cases = first["loaded"]["cases"]
    assert "loading SYNTHETIC cases" in progress and f"{cases}/{cases}" in progress  # the bar, finished
    assert first_figures == second_figures
    national = [c for c in first_figures if c["area"] == "national" and c["measure"] == "care_cases_started"]
    assert all(c["status"] == "published" and c["value"] > 0 for c in national)
    assert {c["kind"] for c in first["clients"]} == {"local_authority", "court", "cafcass", "lfjb", "fjb"}
    assert {c["org_id"] for c in first["clients"]} >= {"demo-cafcass", "demo-cafcass-cymru"}
    assert all(name.endswith("(synthetic)") for name in names)


def test_the_generator_follows_the_published_shapes():
    cases = [case for _, case in Generator(7, 1, date(2025, 1, 1), 0.25).cases()]
    care = [c for c in cases if c["law"] == "public"]
    assert 3_500 < len(care) < 4_500  # a quarter of 16,000 a year
    children = sum(len(c["children"]) for c in care) / len(care)
    assert 1.45 < children < 1.75  # 1.6 per care case
    assert all(c["reference"].startswith("SYN-") for c in cases)
    december = [c for c in care if c["date_issued"][5:7] == "12"]
    june = [c for c in care if c["date_issued"][5:7] == "06"]
    assert len(december) < len(june)
