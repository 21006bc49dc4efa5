"""The database: engine, sessions, the declarative base and the column types every model shares.

SQLite (the embedded default) and PostgreSQL both run the same models. On SQLite every
transaction begins IMMEDIATE, so that two processes never deadlock upgrading a read lock to a
write lock; on PostgreSQL the commit-order sections (the audit chain, the feed) take an advisory
transaction lock (``serialize``).
"""

from __future__ import annotations

import functools
import json
import operator
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Dialect,
    Engine,
    Insert,
    Table,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator
from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562 section 5.7: the Unix time in milliseconds, then random
    bits; ``uuid_utils`` keeps one process's ids in order within a millisecond too). A table's new rows then
    go to the end of the indexes on their ids (and on the ids that refer to them), not anywhere in them: a
    bulk load touches a few index pages a batch, not most of them."""
    return uuid7()


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


class EncodedJSON(str):
    """A JSON column's value already encoded as the column would encode it (``json.dumps``): written as it
    is, not encoded again (a bulk load encodes a document once, perhaps in another process)."""


def _json_text(value: Any) -> str:
    """What the engines write in a JSON column: ``json.dumps`` of a value, an ``EncodedJSON`` as it is."""
    return str(value) if isinstance(value, EncodedJSON) else json.dumps(value)


#: each SQLite connection's page cache, in KiB
SQLITE_CACHE_KIB = 64 * 1024


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let the begin hook below open transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL survives any process crash; only a power cut can lose the last commits
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # 64 MiB of pages (the default is 2 MiB): a large database's indexes stay in memory as it grows
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, json_serializer=_json_text)


@dataclass(frozen=True)
class Bound:
    """One app's database: its engine, and its sessions (one a thread, removed when the app context ends)."""

    engine: Engine
    session: scoped_session[Session]


class Database:
    """The engine and sessions of the app in use: a stateless accessor (the Flask-SQLAlchemy pattern).

    ``init_app`` gives each app its own engine and session registry, kept in
    ``app.extensions["exchange.db"]``; ``db.session``, ``db.engine`` and ``db.transaction()`` answer for
    the app whose context is pushed, so two apps built in one process never share an engine. Services
    below the HTTP layer take a ``Session`` as an argument instead.
    """

    EXTENSION = "exchange.db"

    def __init__(self) -> None:
        self._current_app: Any = None

    def init_app(self, app: Any, current_app: Any) -> None:
        """Bind ``app`` to its own engine. ``current_app`` is Flask's proxy of the app in use, which the app
        factory passes so that this module needs no Flask."""
        engine = make_engine(app.config["EXCHANGE_SETTINGS"].database_url)
        bound = Bound(engine, scoped_session(sessionmaker(engine, expire_on_commit=False)))
        app.extensions[self.EXTENSION] = bound
        # the pool's connections are closed when the app goes, not left for the garbage collector
        weakref.finalize(app, bound.engine.dispose)
        app.teardown_appcontext(lambda _exc: bound.session.remove())
        self._current_app = current_app

    def app_state(self, name: str) -> Any:
        """``app.extensions[name]`` of the app in use: how a service outside a request reaches the other
        state its app holds (the key ring), as it reaches the app's database."""
        if self._current_app is None:
            raise RuntimeError("no app is built: the database is bound to an app by exchange.create_app")
        return self._current_app.extensions[name]

    def _bound(self) -> Bound:
        return self.app_state(self.EXTENSION)

    @property
    def engine(self) -> Engine:
        """The engine of the app in use."""
        return self._bound().engine

    @property
    def session(self) -> scoped_session[Session]:
        """The session of the app in use, in this thread (``db.session()`` is the ``Session`` itself)."""
        return self._bound().session

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


def insert_many(connection: Connection, into: Table | Insert, rows: Sequence[Mapping[str, Any]]) -> None:
    """``connection.execute(insert(into), rows)`` (or of the INSERT ``into``, an upsert say) as one driver
    ``executemany``: the statement rendered by the dialect once, and each value bound by its column's
    type as Core binds it (``bind_processor``), but a column at a time and without Core's work on each
    row's parameters, which is most of a bulk insert's cost on SQLite. ``into`` is used as a cache key:
    a statement should be made once, not per call. Every row has the first row's keys; a column not among
    them takes its server default, so none may have a default of Core's to apply."""
    if rows:
        connection.exec_driver_sql(*_driver_parameters(connection, into, rows))


def insert_one(connection: Connection, into: Table | Insert, row: Mapping[str, Any]) -> CursorResult[Any]:
    """``connection.execute(into, row)`` as ``insert_many`` sends it, for one row: the driver's result
    (rows for an INSERT … RETURNING, values as the driver gives them)."""
    sql, (parameters,) = _driver_parameters(connection, into, [row])
    return connection.exec_driver_sql(sql, parameters)


def _driver_parameters(
    connection: Connection, into: Table | Insert, rows: Sequence[Mapping[str, Any]]
) -> tuple[str, list[Any]]:
    """The statement ``into`` as the driver takes it for rows keyed as ``rows[0]``, and their values bound."""
    keys = tuple(rows[0])
    dialect = connection.dialect
    sql, places, processors = _inserting(into, keys, dialect)
    values: list[Any] = list(map(operator.itemgetter(*places), rows))
    if len(places) == 1:
        values = [(value,) for value in values]
    if processors:
        columns: list[Any] = list(zip(*values, strict=True))
        for at, process in processors:
            columns[at] = map(process, columns[at])
        values = list(zip(*columns, strict=True))
    if not dialect.positional:  # psycopg's pyformat: the rendered statement names its parameters
        values = [dict(zip(places, row, strict=True)) for row in values]
    return sql, values


@functools.lru_cache(maxsize=64)
def _inserting(
    into: Table | Insert, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...], list[tuple[int, Callable[[Any], Any]]]]:
    """``insert_many``'s statement for rows with ``keys`` in ``dialect``, the keys in the order its
    parameters take them, and the bind processor of each key's column that has one (by its place)."""
    statement = insert(into) if isinstance(into, Table) else into
    table = statement.table
    defaulted = [c.name for c in table.columns if c.name not in keys and c.default is not None]
    if defaulted:
        raise ValueError(f"insert_many leaves out columns with a Python-side default: {defaulted}")
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    places = tuple(compiled.positiontup) if dialect.positional else keys
    processors = [
        (at, process)
        for at, key in enumerate(places)
        if (process := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    return compiled.string, places, processors


def serialize(session: Session, lock_id: int) -> None:
    """Hold a database-wide lock until this transaction ends (PostgreSQL; SQLite writes are serial)."""
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


db = Database()
