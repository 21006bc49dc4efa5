"""Each app keeps its own state on ``app.extensions``: two apps built in one process never share an engine
or reference data."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest
from sqlalchemy import select

from exchange import create_app, migrations, reference
from exchange.api import context
from exchange.cli import main
from exchange.db import db
from exchange.models import Organisation

#: the shipped reference data, and a copy that knows no local authority
SHIPPED = reference.load()
NO_LAS = dataclasses.replace(SHIPPED, local_authorities=MappingProxyType({}))


@pytest.fixture
def two_apps(tmp_path: Path):
    """Two apps on two SQLite files, migrated here (a PostgreSQL run of the suite has one database)."""
    apps = []
    for name, data in (("first", SHIPPED), ("second", NO_LAS)):
        url = f"sqlite:///{tmp_path / name}.db"
        migrations.upgrade(url)
        apps.append(create_app({"database_url": url, "reference": data}))
    yield apps
    for app in apps:
        app.extensions[db.EXTENSION].engine.dispose()


def _org_ids() -> list[str]:
    return list(db.session.scalars(select(Organisation.id)))


def test_two_apps_in_one_process_each_use_their_own_database(two_apps):
    first, second = two_apps
    with first.app_context():
        db.session.add(Organisation(id="only-in-first", kind="fjb", name="First's board"))
        db.session.commit()
        with second.app_context():  # the app in use is the inner one, then the outer one again
            assert db.engine.url.database.endswith("second.db")
            with db.transaction() as session:
                session.add(Organisation(id="only-in-second", kind="fjb", name="Second's board"))
            assert _org_ids() == ["only-in-second"]
        assert db.engine.url.database.endswith("first.db")
        assert _org_ids() == ["only-in-first"]
    assert first.extensions[db.EXTENSION].engine is not second.extensions[db.EXTENSION].engine


def test_the_latest_app_does_not_take_over_an_earlier_one(two_apps):
    first, _ = two_apps
    # a third app built later (the way the old module-level engine was rebound) changes nothing for the first
    third = create_app({"database_url": "sqlite://"})
    try:
        with first.app_context():
            assert db.engine.url.database.endswith("first.db")
        with pytest.raises(RuntimeError, match="application context"):
            db.session()  # outside every app there is no database to guess
    finally:
        third.extensions[db.EXTENSION].engine.dispose()


def test_each_app_reads_its_own_reference_data(two_apps):
    first, second = two_apps
    for app, data in ((first, SHIPPED), (second, NO_LAS)):
        with app.app_context():
            assert context.reference() is data is app.extensions[reference.EXTENSION]
    add = ["org", "add", "--id", "camden", "--kind", "local_authority", "--la-code", "202"]
    assert first.test_cli_runner().invoke(main, add).exit_code == 0
    refused = second.test_cli_runner().invoke(main, add)
    assert refused.exit_code == 2 and "not a known LA code" in refused.output
