"""Micro-batching: concurrent callers share one forward pass.

The first request runs at once; requests that arrive while a pass is running are gathered
into the next pass. Single callers pay no waiting, and under load the batch grows by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Request(Generic[T, R]):
    items: Sequence[T]
    future: asyncio.Future[Sequence[R]]


@dataclass
class BatchStats:
    passes: int = 0
    items: int = 0
    largest: int = 0


class MicroBatcher(Generic[T, R]):
    def __init__(self, encode: Callable[[list[T]], Sequence[R]], max_batch: int, wait_s: float = 0.0):
        self._encode = encode
        self.max_batch = max_batch
        self._wait_s = wait_s
        self._pending: list[_Request[T, R]] = []
        self._drainer: asyncio.Task[None] | None = None
        # One worker: passes never overlap, so the next batch forms while this one runs.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        self.stats = BatchStats()

    async def run(self, items: Sequence[T]) -> Sequence[R]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Sequence[R]] = loop.create_future()
        self._pending.append(_Request(items, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            # Let callers scheduled in the same tick join this pass.
            await asyncio.sleep(self._wait_s)
            batch = self._take()
            flat = [item for request in batch for item in request.items]
            try:
                vectors = await loop.run_in_executor(self._executor, self._encode, flat)
            except Exception as exc:  # each caller gets the failure, the drainer survives
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            self._record(len(flat))
            start = 0
            for request in batch:
                end = start + len(request.items)
                if not request.future.done():
                    request.future.set_result(vectors[start:end])
                start = end

    def _take(self) -> list[_Request[T, R]]:
        batch: list[_Request[T, R]] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0].items) <= self.max_batch):
            request = self._pending.pop(0)
            batch.append(request)
            size += len(request.items)
        return batch

    def _record(self, size: int) -> None:
        self.stats.passes += 1
        self.stats.items += size
        self.stats.largest = max(self.stats.largest, size)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
