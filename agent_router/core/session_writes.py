"""The writes of model calls, off the caller's clock and in order per session."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from .learning import deferred_outcomes

log = logging.getLogger("agent_router.endpoints")


class SessionWrites:
    """A call's writes run off the caller's clock, one after another per session: the turn
    while the model answers, the answer after it is sent. The session's next call waits for
    them before it records anything, so the history the agent re-sends finds the answer already
    stored and the session keeps the order of its calls; a check that reads the session waits
    too."""

    def __init__(self) -> None:
        self.pending: dict[str, asyncio.Task[Any]] = {}

    async def settled(self, session_id: str | None) -> None:
        task = self.pending.get(session_id) if session_id is not None else None
        if task is not None:
            await asyncio.wait([task])  # its failure is the write's own, noted in its record

    def then(self, session_id: str, write: Awaitable[Any]) -> None:
        before = self.pending.get(session_id)

        async def run() -> None:
            if before is not None:
                await asyncio.wait([before])
            await write

        task = asyncio.create_task(run())
        self.pending[session_id] = task
        task.add_done_callback(lambda done: self._finished(session_id, done))

    async def drain(self) -> None:
        """Wait for every write still running: the server calls this before memory closes."""
        while self.pending:
            await asyncio.wait(list(self.pending.values()))

    def _finished(self, session_id: str, task: asyncio.Task[Any]) -> None:
        if self.pending.get(session_id) is task:
            del self.pending[session_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("a write of session %r failed: %s", session_id, task.exception())


writes = SessionWrites()


async def drain_writes() -> None:
    """Before memory closes: the writes of calls already answered are finished, not lost,
    and so are the outcomes they taught."""
    await writes.drain()
    await deferred_outcomes.drain()
