"""The database: engine, sessions, the declarative base and the column types every model shares.

SQLite (the embedded default) and PostgreSQL both run the same models. On SQLite every
transaction begins IMMEDIATE, so that two processes never deadlock upgrading a read lock to a
write lock; on PostgreSQL the commit-order sections (the audit chain, the feed) take an advisory
transaction lock (``serialize``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and always read back with its offset, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let the begin hook below open transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL survives any process crash; only a power cut can lose the last commits
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """The engine and a request-scoped session, bound to an app by ``init_app``."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app: Any) -> None:
        self.configure(app.config["EXCHANGE_SETTINGS"].database_url)
        app.teardown_appcontext(lambda _exc: self.session.remove())

    def configure(self, url: str) -> None:
        if self.engine is not None and str(self.engine.url) == url:
            return
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url)
        self.session.remove()
        self.session.configure(bind=self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session of its own, committed on success and rolled back on error (for CLI and workers)."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def is_postgresql(bind: Session | Connection) -> bool:
    """Whether ``bind`` (a session or a connection) talks to PostgreSQL rather than SQLite, the only other."""
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    return dialect.name == "postgresql"


def upsert(bind: Session | Connection, table: Any) -> Any:
    """An INSERT into ``table`` in ``bind``'s dialect, which offers ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (SQLite and PostgreSQL spell ON CONFLICT alike)."""
    return (postgresql if is_postgresql(bind) else sqlite).insert(table)


def serialize(session: Session, lock_id: int) -> None:
    """Hold a database-wide lock until this transaction ends (PostgreSQL; SQLite writes are serial)."""
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


db = Database()
