"""Alembic environment: the exchange's models, on the database URL the caller passes in ``attributes``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import exchange.models  # noqa: F401 - registers every table on the metadata
from exchange.db import Base

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
connection = config.attributes.get("connection")


def run(conn: object) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = create_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
