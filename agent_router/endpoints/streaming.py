"""A model call answered while the client reads: text deltas pass through as they arrive, the
checked answer (tool calls, blocked-call notices, usage) comes last."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..core.completion import CallAnswer, PreparedCall
from ..errors import RouterError

log = logging.getLogger("agent_router.endpoints")


@dataclass(frozen=True)
class Event:
    """One of: a text `delta`, the final `answer`, or the `error` that ended the call."""

    delta: str | None = None
    answer: CallAnswer | None = None
    error: RouterError | None = None


# A call keeps running when its client goes away, so that its answer is still recorded; the
# loop holds only weak references to tasks, so they are held here until they end.
_running: set[asyncio.Task[None]] = set()


class AnswerStream:
    def __init__(self, prepared: PreparedCall):
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(prepared))
        _running.add(self.task)
        self.task.add_done_callback(_running.discard)
        self.head: Event | None = None

    async def _run(self, prepared: PreparedCall) -> None:
        async def delta(text: str) -> None:
            await self.queue.put(Event(delta=text))

        try:
            answer = await prepared.answer(delta)
        except RouterError as exc:
            await self.queue.put(Event(error=exc))
        except Exception as exc:  # noqa: BLE001 - the client gets an error event, never a hang
            log.exception("a streamed model call failed")
            await self.queue.put(Event(error=RouterError(f"internal error: {exc.__class__.__name__}")))
        else:
            await self.queue.put(Event(answer=answer))

    async def first(self) -> Event:
        """Waits for the first token (or the answer, or the failure): until then the response
        has not started, so a failure can still be an HTTP error status."""
        self.head = await self.queue.get()
        return self.head

    async def events(self) -> AsyncIterator[Event]:
        event = self.head if self.head is not None else await self.queue.get()
        while True:
            yield event
            if event.delta is None:
                return
            event = await self.queue.get()
