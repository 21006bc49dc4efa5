"""Alembic migrations for SQLite and PostgreSQL; run them with `exchange db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


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
