"""Group commit: turns recorded at the same time share one transaction.

Under load, most of an append was cost per transaction and per statement, not per row: a pool
checkout and its ping, BEGIN, six statements and COMMIT, each a round trip that wakes the
database on the same two cores. So writer tasks take the turns waiting, one per session (a
session's turns go in the order they came), and write each batch with one set of statements in
one transaction (TurnWriter.write_many). A caller is answered only once its batch committed. A
batch that fails before its commit is written again turn by turn, so a bad turn fails alone; a
lone turn goes at once, as nothing waits to fill a batch."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from sqlalchemy import Connection

from .database import Database
from .transactions import AbandonedWrite
from .writes import TurnRequest, TurnWriter, Written

MAX_BATCH = 64


@dataclass(eq=False)
class _Waiting:
    request: TurnRequest
    future: asyncio.Future[Written]
    abandoned: bool = False  # its caller stopped waiting: the turn must not be committed


class GroupCommit:
    """`writers` batches at most are written at once: one on SQLite, whose single writer thread
    runs them in turn anyway; a few on PostgreSQL, so a batch waiting on a lock held elsewhere
    does not hold up every other session."""

    def __init__(
        self,
        database: Database,
        writes: TurnWriter,
        *,
        writers: int,
        max_batch: int = MAX_BATCH,
    ):
        self._database = database
        self._writes = writes
        self._writers = writers
        self._max_batch = max_batch
        self._queue: deque[_Waiting] = deque()
        self._busy: set[str] = set()  # sessions of the batches being written
        self._tasks: set[asyncio.Task[None]] = set()

    async def write(self, request: TurnRequest) -> Written:
        """The turn's record once it is committed. A caller that stops waiting (its write
        timeout) was told nothing was stored, so its turn is left out unless it committed."""
        waiting = _Waiting(request, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if len(self._tasks) < self._writers:
            self._tasks.add(asyncio.create_task(self._drain()))
        try:
            return await waiting.future
        except asyncio.CancelledError:
            waiting.abandoned = True
            raise

    async def aclose(self) -> None:
        """Waits for the turns handed over already."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _drain(self) -> None:
        try:
            while batch := self._take():
                try:
                    await self._commit(batch)
                finally:
                    self._busy.difference_update(w.request.session_id for w in batch)
        finally:  # at once, not in a done callback: a write right after must start a writer
            self._tasks.discard(asyncio.current_task())

    def _take(self) -> list[_Waiting]:
        """The oldest waiting turn of each session that no batch is writing."""
        batch: list[_Waiting] = []
        later: list[_Waiting] = []
        while self._queue and len(batch) < self._max_batch:
            waiting = self._queue.popleft()
            if waiting.abandoned:
                continue
            if waiting.request.session_id in self._busy:
                later.append(waiting)
            else:
                batch.append(waiting)
                self._busy.add(waiting.request.session_id)
        self._queue.extendleft(reversed(later))
        return batch

    async def _commit(self, batch: list[_Waiting]) -> None:
        committing = False

        def work(conn: Connection) -> list[Written]:
            nonlocal committing
            written = self._writes.write_many(conn, [w.request for w in batch])
            if any(w.abandoned for w in batch):
                raise AbandonedWrite
            committing = True
            return written

        try:
            written = await self._database.run(work)
        except Exception as exc:
            if committing or len(batch) == 1:  # a failed commit may have stored the batch
                for w in batch:
                    if not w.future.done():
                        w.future.set_exception(exc)
                return
            for w in batch:  # nothing of the batch was stored: each turn on its own
                if not w.abandoned:
                    await self._commit([w])
            return
        except BaseException:
            for w in batch:
                w.future.cancel()
            raise
        for w, result in zip(batch, written, strict=True):
            if not w.future.done():
                w.future.set_result(result)
