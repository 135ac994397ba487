"""The one boundary between session memory and its database driver.

Every read and write of the store goes through a Database: its read sessions, connections,
write sessions and write transactions. Whatever the driver raises there (SQLAlchemy's errors,
sqlite3's and asyncpg's own, OSError from the file or the socket, TimeoutError from a
connection attempt) leaves it as one MemoryUnavailable, so callers handle one error, and a
database that is down, locked, read-only or damaged never reaches them as a raw driver error.
Errors of the caller's input (InputError) pass through unchanged."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from ..errors import RouterError
from .reads import whole_reads
from .transactions import write_transactions
from .writes import dialect_insert

T = TypeVar("T")


class MemoryUnavailable(RouterError):
    """The database is down, locked, read-only, full or damaged, or refused the statement:
    nothing was read, or nothing was stored."""


def driver_errors() -> tuple[type[BaseException], ...]:
    """What a driver raises when the database fails. TimeoutError is an OSError. asyncpg's own
    errors count once it is loaded: only a PostgreSQL engine loads it, and importing it for a
    SQLite store would cost start-up time for nothing."""
    asyncpg = sys.modules.get("asyncpg")
    extra = (asyncpg.PostgresError, asyncpg.InterfaceError) if asyncpg is not None else ()
    return (SQLAlchemyError, sqlite3.Error, OSError, *extra)


def reason(exc: BaseException) -> str:
    """The driver's own first line, which says what happened ("database is locked", "file is
    not a database", "attempt to write a readonly database", "connection refused")."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{cause.__class__.__name__}: {lines[0] if lines else 'no message'}"[:300]


@contextmanager
def unavailable_on_driver_error() -> Iterator[None]:
    """Driver errors inside become MemoryUnavailable; anything else passes unchanged."""
    try:
        yield
    except driver_errors() as exc:
        raise MemoryUnavailable(f"session memory is unavailable: {reason(exc)}") from exc


class Database:
    """The engine of one store and every way the store reaches it, each behind the boundary."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.dialect: str = engine.dialect.name
        # Turns, session events and embeddings: the writes every routed turn makes.
        self.transactions = write_transactions(engine)
        # The safety check's session read, before every checked action.
        self.reads = whole_reads(engine)
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # The rare writes (forget, retention, import, demotion, screen text) keep async sessions.
        self._write_sessions = async_sessionmaker(
            engine.execution_options(immediate=True), expire_on_commit=False
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """An ORM session for reads."""
        with unavailable_on_driver_error():
            async with self._sessions() as db:
                yield db

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for reads of plain columns (memory/views.py)."""
        with unavailable_on_driver_error():
            async with self.engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """An ORM session inside one write transaction, committed when the block ends."""
        with unavailable_on_driver_error():
            async with self._write_sessions() as db, db.begin():
                yield db

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work` in a write transaction of its own on the hot write path
        (memory/transactions.py)."""
        with unavailable_on_driver_error():
            return await self.transactions.run(work)

    async def read_whole(self, work: Callable[[Connection], T]) -> T:
        """`work` as one read handed over whole (memory/reads.py)."""
        with unavailable_on_driver_error():
            return await self.reads.run(work)

    async def ping(self) -> None:
        """One round trip (SELECT 1): whether the database answers now (/readyz)."""
        with unavailable_on_driver_error():
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")

    def insert(self, table: type) -> Any:
        """INSERT with ON CONFLICT for this backend."""
        return dialect_insert(self.dialect, table)

    async def aclose(self) -> None:
        with unavailable_on_driver_error():
            await self.transactions.aclose()
            await self.reads.aclose()
            await self.engine.dispose()
