"""One async engine for SQLite or PostgreSQL: the same code above it runs on both. On SQLite
the hot writes also get a plain sqlite3 engine on the same file (memory/transactions.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """Plain sqlite:/// and postgresql:// URLs get their async driver."""
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def create_engine(url: str) -> AsyncEngine:
    """SQLite gets WAL, a busy timeout and, for writes (execution option ``immediate``), BEGIN
    IMMEDIATE, so concurrent writers queue instead of failing on lock upgrades."""
    parsed = make_url(async_url(url))
    url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() != "sqlite":
        # asyncpg can tell a closed connection without a round trip; other drivers get pinged.
        asyncpg = parsed.get_driver_name() == "asyncpg"
        engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=not asyncpg)
        if asyncpg:
            _replace_closed_connections(engine.sync_engine)
        return engine
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError(
            "memory.url: SQLite memory needs a file (sqlite:///path/memory.db); "
            "an in-memory database is private to each connection"
        )
    Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_size=4, max_overflow=4)
    _sqlite_session(engine.sync_engine, always_immediate=False)
    return engine


def sqlite_thread_engine(engine: AsyncEngine, *, writes: bool) -> Engine:
    """The SQLite file of `engine` through the plain sqlite3 driver, for the writer thread
    (`writes`: every transaction starts with BEGIN IMMEDIATE) or the reader thread: one
    connection each."""
    url = engine.url.set(drivername="sqlite+pysqlite")
    threaded = sqlalchemy.create_engine(url, pool_size=1, max_overflow=0)
    _sqlite_session(threaded, always_immediate=writes)
    return threaded


def _replace_closed_connections(engine: Engine) -> None:
    """What pool_pre_ping is for, without its ping: three round trips (BEGIN, a statement,
    ROLLBACK) on every checkout, a sixth of a lone append. asyncpg knows without asking when the
    server closed a connection (a restart, an idle connection terminated), and the pool then
    opens a new one in its place."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")


def _sqlite_session(engine: Engine, always_immediate: bool) -> None:
    """synchronous=NORMAL skips the fsync per commit: in WAL mode commits survive a crash of
    the process, not a power loss (docs/memory.md says what that trades)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # DB-API objects: untyped
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = always_immediate or conn.get_execution_options().get("immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def backend_name(engine: AsyncEngine) -> str:
    return engine.dialect.name
