"""One endpoint's live state: what it serves, whether it can answer now, and how loaded it is."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO
from urllib.parse import urlparse

from ..config.pools import EndpointSpec, PoolSpec, PoolTemperature
from .breaker import CircuitBreaker
from .metrics import LoadFigures


class EndpointState(StrEnum):
    warm = "warm"  # answering now
    cold = "cold"  # asleep or not started; can be woken
    waking = "waking"
    draining = "draining"  # finishing its requests before going cold
    unhealthy = "unhealthy"  # down, failing, or not yet probed


@dataclass
class Endpoint:
    pool: PoolSpec
    spec: EndpointSpec
    name: str
    models: list[str]
    breaker: CircuitBreaker
    state: EndpointState = EndpointState.unhealthy
    reason: str = "not probed yet"
    in_flight: int = 0
    served: int = 0
    failed: int = 0
    load: LoadFigures = field(default_factory=LoadFigures)
    metrics_supported: bool | None = None  # None until /metrics was tried
    cold_starts: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    last_used: float = field(default_factory=time.monotonic)
    waking: asyncio.Task[None] | None = None
    process: asyncio.subprocess.Process | None = None  # the server this pool started
    process_log: IO[bytes] | None = None

    @classmethod
    def build(cls, pool: PoolSpec, spec: EndpointSpec) -> Endpoint:
        start = (
            EndpointState.cold
            if pool.temperature is PoolTemperature.cold and pool.wake
            else EndpointState.unhealthy
        )
        return cls(
            pool,
            spec,
            f"{pool.name}@{urlparse(spec.url).netloc}",
            pool.models_of(spec),
            CircuitBreaker(pool.breaker),
            state=start,
            reason="asleep until needed" if start is EndpointState.cold else "not probed yet",
        )

    @property
    def base_url(self) -> str:
        return self.spec.url

    @property
    def root_url(self) -> str:
        """The server itself: /health, /metrics and /wake_up live beside /v1, not under it."""
        return self.spec.url.removesuffix("/v1")

    @property
    def can_wake(self) -> bool:
        return self.pool.wake is not None

    @property
    def cold_start_s(self) -> float:
        """The measured median wake time, or the configured guess until one is measured."""
        return statistics.median(self.cold_starts) if self.cold_starts else self.pool.cold_start_s

    @property
    def busy(self) -> float:
        """Requests ahead of a new one: ours in flight or the server's own count, plus its queue."""
        running = max(self.in_flight, int(self.load.running or 0))
        return running + (self.load.waiting or 0)

    @property
    def overloaded(self) -> bool:
        return self.busy >= self.pool.max_in_flight

    def served_name(self, model: str) -> str:
        return self.spec.served_names.get(model, model)

    def headers(self) -> dict[str, str]:
        """Authorization from the named environment variable, read at call time so a rotated
        key is picked up. Raises KeyError naming the variable when it is not set."""
        name = self.pool.api_key_env
        if name is None:
            return {}
        key = os.environ.get(name)
        if not key:
            raise KeyError(name)
        return {"Authorization": f"Bearer {key}"}

    def set_state(self, state: EndpointState, reason: str) -> None:
        self.state, self.reason = state, reason
