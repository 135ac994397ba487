"""A circuit breaker per endpoint: after repeated failures stop sending turns to it, then let
one trial through after a pause so a recovered endpoint comes back by itself."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from ..config.pools import BreakerSpec


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half-open"


@dataclass
class CircuitBreaker:
    spec: BreakerSpec
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.closed
        if time.monotonic() - self.opened_at >= self.spec.reset_after_s:
            return BreakerState.half_open
        return BreakerState.open

    def available(self) -> bool:
        state = self.state
        return state is BreakerState.closed or (state is BreakerState.half_open and not self.trial_in_flight)

    def acquire(self) -> bool:
        """True when a request may go; in half-open only one trial goes at a time."""
        state = self.state
        if state is BreakerState.closed:
            return True
        if state is BreakerState.half_open and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def success(self) -> None:
        self.failures, self.opened_at, self.trial_in_flight = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.opened_at is not None or self.failures >= self.spec.failures:
            self.opened_at = time.monotonic()
