"""How fast each tenant may call: a token bucket per tenant, refilled at its requests per second
up to its burst. The buckets live in this process: replicas behind a load balancer each allow
the full rate, so a budget shared between replicas needs shared state (issue 19)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import Limits, TenantLimits
from .errors import RateLimited

MAX_BUCKETS = 4096  # past this many tenants, full buckets (idle tenants) are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(
        self,
        limits: Limits,
        tenants: dict[str, TenantLimits],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limits = limits
        self.tenants = tenants
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()  # tools run on the loop, but the CLI and tests may share one

    def rate(self, tenant: str) -> tuple[float, int, str]:
        """(requests a second, burst, the setting that says so) for this tenant."""
        own = self.tenants.get(tenant)
        if own is not None and own.requests_per_second is not None:
            burst = own.burst or max(1, round(own.requests_per_second * 2))
            return own.requests_per_second, burst, f"tenants.{tenant}.requests_per_second"
        burst = own.burst if own is not None and own.burst is not None else self.limits.burst
        return self.limits.requests_per_second, burst, "limits.requests_per_second"

    def admit(self, tenant: str) -> None:
        """Take one request from the tenant's bucket, or raise RateLimited naming the limit."""
        per_second, burst, setting = self.rate(tenant)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(tenant)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_idle(now)
                bucket = self._buckets[tenant] = _Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * per_second)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = (1 - bucket.tokens) / per_second
        raise RateLimited(
            f"tenant {tenant!r} is calling faster than {setting} = {per_second:g} "
            f"(burst {burst}); retry in {wait:.2f} s"
        )

    def _forget_idle(self, now: float) -> None:
        for tenant, bucket in list(self._buckets.items()):
            per_second, burst, _ = self.rate(tenant)
            if bucket.tokens + (now - bucket.at) * per_second >= burst:
                del self._buckets[tenant]
