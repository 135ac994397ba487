"""Reads handed over whole, for the read on every checked action's path (the safety check's
session read, memory/history.py).

Through aiosqlite every DB-API call is a round trip to its worker thread (transactions.py says
what that costs): a one-statement read made about eight (BEGIN, cursor, execute, fetch, close,
ROLLBACK), most of its time on two busy cores. So on SQLite the read runs whole on one reader
thread over the plain sqlite3 driver: one hand-over, and in WAL mode it reads beside the
writer without waiting for it. PostgreSQL keeps asyncpg, in one pass of the driver's greenlet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import sqlite_thread_engine

T = TypeVar("T")


class ThreadReads:
    """SQLite: each read runs on the one reader thread, in submission order."""

    def __init__(self, engine: AsyncEngine):
        self.engine: Engine = sqlite_thread_engine(engine, writes=False)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="memory-reader")

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.wrap_future(self._thread.submit(self._read, work))

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return work(conn)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._thread.shutdown)
        self.engine.dispose()


class LoopReads:
    """PostgreSQL: the same work on the event loop, each statement awaiting asyncpg."""

    def __init__(self, engine: AsyncEngine):
        self._async = engine

    async def run(self, work: Callable[[Connection], T]) -> T:
        async with self._async.connect() as conn:
            return await conn.run_sync(work)

    async def aclose(self) -> None:
        """The store disposes the async engine itself."""


def whole_reads(engine: AsyncEngine) -> ThreadReads | LoopReads:
    return ThreadReads(engine) if engine.dialect.name == "sqlite" else LoopReads(engine)
