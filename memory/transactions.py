"""Write transactions handed over whole, so the event loop waits once per write.

Through aiosqlite every DB-API call (cursor, execute, fetch, close) is a round trip to its
worker thread: a six-statement turn made 26 of them, and on two busy cores each wake-up waits
for a time slice, which is where most of an append's time went. So on SQLite the transaction
runs whole on one writer thread over the plain sqlite3 driver: one hand-over, one connection,
and the process's writers never contend for SQLite's lock among themselves. PostgreSQL keeps
asyncpg: its statements are network round trips either way."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import sqlite_thread_engine

T = TypeVar("T")


class AbandonedWrite(Exception):
    """The caller stopped waiting (its write timeout) before this write committed."""


class ThreadTransactions:
    """SQLite: each transaction runs on the one writer thread, in submission order."""

    def __init__(self, engine: AsyncEngine):
        self.engine: Engine = sqlite_thread_engine(engine, writes=True)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="memory-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """A caller that gives up (route_turn's write timeout) was told nothing was stored,
        so its write is rolled back if it has not committed yet."""
        abandoned = threading.Event()
        try:
            return await asyncio.wrap_future(self._thread.submit(self._transaction, work, abandoned))
        except asyncio.CancelledError:
            abandoned.set()
            raise

    def _transaction(self, work: Callable[[Connection], T], abandoned: threading.Event) -> T:
        with self.engine.begin() as conn:
            result = work(conn)
            if abandoned.is_set():
                raise AbandonedWrite
        return result

    async def aclose(self) -> None:
        await asyncio.to_thread(self._thread.shutdown)
        self.engine.dispose()


class LoopTransactions:
    """PostgreSQL: the same work on the event loop, each statement awaiting asyncpg."""

    def __init__(self, engine: AsyncEngine):
        self._async = engine
        self.engine: Engine = engine.sync_engine

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with self._async.begin() as conn:
            return await conn.run_sync(work)

    async def aclose(self) -> None:
        """The store disposes the async engine itself."""


def write_transactions(engine: AsyncEngine) -> ThreadTransactions | LoopTransactions:
    return ThreadTransactions(engine) if engine.dialect.name == "sqlite" else LoopTransactions(engine)
