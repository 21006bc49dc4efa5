"""Alembic migrations for SQLite and PostgreSQL; run them with `exchange db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from exchange.settings import sqlite_file

HERE = Path(__file__).parent


UPGRADE_HINT = "run `exchange db upgrade`"


class NotReady(Exception):
    """The database is missing, cannot be reached, or is not at the latest migration: the message says which
    and what to do, on one line (never the URL, which may hold a password)."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a revision from the models (a developer's command: `exchange db revision -m …`)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def check(database_url: str) -> None:
    """``NotReady`` unless the database exists and is at the latest migration; an SQLite file that is not
    there is not created."""
    path = sqlite_file(database_url)
    if path is not None and not path.is_file():
        raise NotReady(f"there is no database at {path}: {UPGRADE_HINT} to create it")
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
            current = (
                set(connection.scalars(text("SELECT version_num FROM alembic_version")))
                if migrated
                else set()
            )
    except SQLAlchemyError as error:
        raise NotReady(
            f"the database cannot be reached ({type(error).__name__}): check EXCHANGE_DATABASE_URL and that "
            f"the database exists, then {UPGRADE_HINT}"
        ) from None
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = set(script.get_heads())
    at, needed = ", ".join(sorted(current)), ", ".join(sorted(heads))
    if not current:
        raise NotReady(f"the database has none of the exchange's tables yet: {UPGRADE_HINT}")
    if current - {revision.revision for revision in script.walk_revisions()}:
        raise NotReady(f"the database is at migration {at}, newer than this exchange's {needed}")
    if current != heads:
        raise NotReady(f"the database is at migration {at} and this exchange needs {needed}: {UPGRADE_HINT}")
