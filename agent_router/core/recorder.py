"""The one place session memory is read and written best-effort. A database that is off, down,
locked, read-only or damaged costs an operation its memory, never its answer: the failure is
caught here, counted as `memory_down`, logged, and handed back as a note in words that the
operation puts in its result."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from ..app import App
from ..errors import InputError
from ..memory import MemoryStore, MemoryUnavailable

T = TypeVar("T")

log = logging.getLogger("agent_router.memory")

# MemoryUnavailable is the store's one error for every driver failure (memory/database.py); a
# write that outlives write_timeout_s is given up.
MEMORY_FAILURES = (MemoryUnavailable, TimeoutError)


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What a best-effort use of memory gave: the value, or why memory was not used."""

    value: T | None = None
    failure: str | None = None  # None when memory answered

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class Recorder:
    """Best-effort reads and writes of the App's session memory. The store is looked up on the
    App at each use: it may be reopened while the server runs."""

    app: App

    def off(self) -> str | None:
        """Why memory is not there to use, or None when it is."""
        if self.app.memory is not None:
            return None
        return f"memory is off ({self.app.memory_down or 'disabled in the config'})"

    async def attempt(
        self, what: str, work: Callable[[MemoryStore], Awaitable[T]], *, bounded: bool = True
    ) -> Attempt[T]:
        """Run `work` on the store, `bounded` by the write timeout (a side job of an operation
        that must answer anyway). `what` names it in the log."""
        memory = self.app.memory
        if memory is None:
            if self.app.memory_down:  # configured but could not be opened
                self.app.metrics.error("memory_down")
            return Attempt(failure=self.off())
        timeout = self.app.config.memory.write_timeout_s
        try:
            return Attempt(await asyncio.wait_for(work(memory), timeout if bounded else None))
        except MEMORY_FAILURES as exc:
            failure = _in_words(exc, timeout)
        self.app.metrics.error("memory_down")
        log.warning("memory not used to %s: %s", what, failure)
        return Attempt(failure=failure)


async def required(app: App, what: str, work: Callable[[MemoryStore], Awaitable[T]]) -> T:
    """For operations whose job is memory (context, recall, forgetting, feedback, transcripts,
    replay): memory off is the caller's InputError on session_id; memory failing is
    MemoryUnavailable with the reason in words, never a bare driver error."""
    recorder = Recorder(app)
    off = recorder.off()
    if off is not None:
        raise InputError.single("session_id", f"session {off} on this server")
    done = await recorder.attempt(what, work, bounded=False)
    if done.failure is not None:
        raise MemoryUnavailable(f"session memory could not {what}: {done.failure}")
    return cast(T, done.value)  # the work's own value, None included


def _in_words(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"the database did not answer within {timeout:g}s"
    return f"the database failed ({exc})"
