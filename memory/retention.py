"""Retention: idle sessions past the TTL are forgotten, and the oldest unpinned turns past the
size limit trimmed, in passes on an interval. Also the deletion of turns and the change mark
that forgetting and demotion share with it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import MemorySpec
from .database import Database, MemoryUnavailable
from .ids import tenant_of
from .quota import TenantQuota
from .schema import (
    DecisionRow,
    EmbeddingRow,
    MessageRow,
    PartRow,
    SessionRow,
    TurnRow,
    new_generation,
    utcnow,
)

log = logging.getLogger("agent_router.memory")


async def mark_changed(db: AsyncSession, session_id: str) -> None:
    """Stored turns changed (not just appended to): views of the session are read again
    (memory/views.py)."""
    await db.execute(
        update(SessionRow).where(SessionRow.id == session_id).values(generation=new_generation())
    )


async def delete_turns(db: AsyncSession, turn_ids: Any) -> dict[str, int]:
    """Delete the turns (a list of row ids or a subquery) and all of their rows; returns rows
    deleted per table."""
    messages = select(MessageRow.id).where(MessageRow.turn_pk.in_(turn_ids)).scalar_subquery()
    counts = {}
    for table, where in (
        (EmbeddingRow, EmbeddingRow.message_id.in_(messages)),
        (PartRow, PartRow.message_id.in_(messages)),
        (MessageRow, MessageRow.turn_pk.in_(turn_ids)),
        (DecisionRow, DecisionRow.turn_pk.in_(turn_ids)),
        (TurnRow, TurnRow.id.in_(turn_ids)),
    ):
        counts[table.__tablename__] = await rows_deleted(db, delete(table).where(where))
    return counts


async def rows_deleted(db: AsyncSession, statement: Delete) -> int:
    """Runs a DELETE and says how many rows it took. A DELETE's result is a CursorResult, which
    has the count; AsyncSession.execute is typed as returning the plain Result of a query."""
    result = cast(CursorResult[Any], await db.execute(statement))
    return result.rowcount


class Retention:
    """Enforces a store's MemorySpec limits; `forget` deletes a whole session the way the store
    does (views and pending vectors included)."""

    def __init__(
        self,
        database: Database,
        spec: MemorySpec,
        forget: Callable[[str], Awaitable[dict[str, int]]],
        quota: TenantQuota,
    ):
        self.database = database
        self.spec = spec
        self.forget = forget
        self.quota = quota  # told of trimmed turns, so a tenant's usage is read again
        self._loop: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return self.spec.ttl_days is not None or self.spec.max_turns_per_session is not None

    def start(self) -> None:
        if self.configured and self._loop is None:
            self._loop = asyncio.create_task(self._passes())

    async def aclose(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None

    async def enforce(self) -> dict[str, int]:
        """Drop idle sessions past the TTL and the oldest unpinned turns past the size limit.
        Each session is trimmed in its own short transaction so routing never waits long."""
        expired = trimmed = 0
        if self.spec.ttl_days is not None:
            cutoff = utcnow() - timedelta(days=self.spec.ttl_days)
            async with self.database.read() as db:
                old = (await db.scalars(select(SessionRow.id).where(SessionRow.updated_at < cutoff))).all()
            for sid in old:
                await self.forget(sid)
                expired += 1
        limit = self.spec.max_turns_per_session
        if limit is not None:
            async with self.database.read() as db:
                big = (await db.scalars(select(SessionRow.id).where(SessionRow.turn_count > limit))).all()
            for sid in big:
                trimmed += await self._trim(sid, limit)
        return {"expired_sessions": expired, "trimmed_turns": trimmed}

    async def _trim(self, session_id: str, limit: int) -> int:
        pinned = select(MessageRow.turn_pk).where(
            MessageRow.session_id == session_id, MessageRow.pinned.is_(True)
        )
        async with self.database.write() as db:
            keep_from = await db.scalar(
                select(TurnRow.seq)
                .where(TurnRow.session_id == session_id)
                .order_by(TurnRow.seq.desc())
                .offset(limit - 1)
                .limit(1)
            )
            if keep_from is None:
                return 0
            doomed = (
                await db.scalars(
                    select(TurnRow.id).where(
                        TurnRow.session_id == session_id, TurnRow.seq < keep_from, TurnRow.id.not_in(pinned)
                    )
                )
            ).all()
            if doomed:
                await delete_turns(db, list(doomed))
                await mark_changed(db, session_id)
        if doomed:
            self.quota.deleted(tenant_of(session_id))
        return len(doomed)

    async def _passes(self) -> None:
        """A pass every interval, the first one interval after start: a start-up burst of passes
        from restarting replicas would compete with the first turns for the write lock."""
        while True:
            await asyncio.sleep(self.spec.retention_interval_s)
            try:
                await self.enforce()
            except MemoryUnavailable as exc:
                log.warning("retention pass failed, retrying next interval: %s", exc)
