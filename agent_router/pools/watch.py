"""Keep every endpoint's state current between turns: probe them on a timer, wake the cold ones
a turn needs (one wake per endpoint, however many turns wait for it), put idle ones back to
sleep, and stop what the pool started when the router closes."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine
from typing import Any

import httpx

from .endpoint import Endpoint, EndpointState
from .health import probe, read_load
from .results import EndpointStatus
from .wake import put_to_sleep, stop_process, wake

log = logging.getLogger("agent_router.pools")


class EndpointWatch:
    def __init__(self, endpoints: list[Endpoint], *, health_interval_s: float):
        self.endpoints = endpoints
        self.health_interval_s = health_interval_s
        self.client: httpx.AsyncClient | None = None
        self._loop: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Probe every endpoint once, then keep probing in the background."""
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128)
        )
        if self.endpoints:
            await self.check_all()
            self._loop = asyncio.create_task(self._keep_watch())

    async def aclose(self) -> None:
        tasks = [t for t in [self._loop, *self._background] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(stop_process(e) for e in self.endpoints))
        if self.client is not None:
            await self.client.aclose()

    def http(self) -> httpx.AsyncClient:
        if self.client is None:
            raise RuntimeError("the dispatcher is not started (call start() first)")
        return self.client

    async def check_all(self) -> None:
        await asyncio.gather(
            *(
                self._check(e)
                for e in self.endpoints
                if e.state not in (EndpointState.waking, EndpointState.draining)
            )
        )

    async def _check(self, endpoint: Endpoint) -> None:
        assert self.client is not None
        result = await probe(self.client, endpoint)
        if endpoint.state in (EndpointState.waking, EndpointState.draining):
            return  # a wake or sleep began while we probed; it owns the state
        endpoint.set_state(result.state, result.reason)
        if result.state is EndpointState.warm:
            await read_load(self.client, endpoint)

    async def _keep_watch(self) -> None:
        while True:
            await asyncio.sleep(self.health_interval_s)
            try:
                await self.check_all()
                self._idle_to_cold()
            except Exception:  # noqa: BLE001 - one bad round must not stop the watch
                log.exception("endpoint health round failed")

    def _idle_to_cold(self) -> None:
        now = time.monotonic()
        for e in self.endpoints:
            idle = e.pool.idle_after_s
            if (
                idle is not None
                and e.can_wake
                and e.state is EndpointState.warm
                and not e.in_flight
                and now - e.last_used >= idle
            ):
                self._in_background(put_to_sleep(self.http(), e))

    def _in_background(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def ensure_awake(self, endpoint: Endpoint) -> float:
        """Join a wake in progress or begin one; returns the seconds this caller waited."""
        started = time.monotonic()
        if endpoint.waking is None or endpoint.waking.done():
            endpoint.waking = self._in_background(self._wake(endpoint))
        await asyncio.shield(endpoint.waking)
        return time.monotonic() - started

    def wake_in_background(self, endpoint: Endpoint) -> None:
        """Start waking an endpoint no caller waits for; a failure shows in its state."""
        self._in_background(self.ensure_awake(endpoint)).add_done_callback(_quiet)

    async def _wake(self, endpoint: Endpoint) -> None:
        while endpoint.state is EndpointState.draining:  # let a sleep finish before waking
            await asyncio.sleep(0.05)
        took = await wake(self.http(), endpoint)
        log.info("woke %s in %.2fs", endpoint.name, took)
        await read_load(self.http(), endpoint)

    def status(self) -> list[EndpointStatus]:
        return [
            EndpointStatus(
                name=e.name,
                pool=e.pool.name,
                url=e.base_url,
                models=e.models,
                state=e.state,
                reason=e.reason,
                breaker=e.breaker.state,
                in_flight=e.in_flight,
                served=e.served,
                failed=e.failed,
                queue_depth=e.load.waiting,
                running=e.load.running,
                kv_cache_usage=e.load.kv_cache_usage,
                cold_start_s=round(e.cold_start_s, 3) if e.cold_starts else None,
                cold_starts_measured=len(e.cold_starts),
                api_key_env=e.pool.api_key_env,
                api_key_set=bool(os.environ.get(e.pool.api_key_env)) if e.pool.api_key_env else None,
            )
            for e in self.endpoints
        ]


def _quiet(task: asyncio.Task[Any]) -> None:
    """Background wakes report through endpoint state; their exceptions need no other home."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("background wake failed: %s", task.exception())
