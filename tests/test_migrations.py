"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import exchange.models  # noqa: F401 - registers every table
from exchange import migrations
from exchange.db import Base

#: the newest migration, whichever it is
HEAD = ScriptDirectory.from_config(migrations.alembic_config("sqlite://")).get_current_head()


def test_migrations_match_the_models(migrated_database: str) -> None:
    url = migrated_database if "://" in migrated_database else f"sqlite:///{migrated_database}"
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_nothing_and_back(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrations.upgrade(url)
    from alembic import command

    command.downgrade(migrations.alembic_config(url), "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_bodies_stored_before_chunks_keep_their_bytes_both_ways(tmp_path) -> None:  # noqa: ANN001
    from alembic import command
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'bodies.db'}"
    migrations.upgrade(url, "0005")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO raw_bodies (sha256, size, content) VALUES ('ab', 5, :content)"),
            {"content": b"hello"},
        )
    migrations.upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seq, data FROM raw_body_chunks WHERE sha256 = 'ab'")).all() == [
            (0, b"hello")
        ]
        assert "content" not in {column["name"] for column in inspect(conn).get_columns("raw_bodies")}
    command.downgrade(migrations.alembic_config(url), "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT content FROM raw_bodies WHERE sha256 = 'ab'")).scalar() == b"hello"
    engine.dispose()


def test_check_says_what_is_wrong_with_the_database_and_what_to_do(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'exchange.db'}"
    with pytest.raises(migrations.NotReady, match=r"^there is no database at .*: run `exchange db upgrade`"):
        migrations.check(url)
    assert not (tmp_path / "exchange.db").exists()  # the check creates no file
    migrations.upgrade(url, "0005")
    with pytest.raises(
        migrations.NotReady, match=rf"at migration 0005 and this exchange needs {HEAD}: run `exchange"
    ):
        migrations.check(url)
    migrations.upgrade(url)
    migrations.check(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(migrations.NotReady, match=f"at migration 9999, newer than this exchange's {HEAD}"):
        migrations.check(url)


def test_check_never_shows_the_database_url() -> None:
    url = "postgresql+psycopg://exchange:s3cret-password@127.0.0.1:9/exchange"
    with pytest.raises(migrations.NotReady) as raised:
        migrations.check(url)
    assert "cannot be reached (OperationalError)" in str(raised.value) and "s3cret" not in str(raised.value)
