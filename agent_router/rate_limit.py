"""How fast each tenant may call: a token bucket per tenant, refilled at its requests per second
up to its burst. With `state.redis_url` the buckets live in Redis, so replicas behind a load
balancer share one budget per tenant (one Lua script a call: refill, take, expire); without it
they live in this process.

When Redis does not answer, the call is let in by this process's own bucket and a warning is
logged (fail open): a rate limit protects capacity, and refusing every caller because the
limiter's store is down would turn a Redis outage into a router outage. Each replica then
allows the full rate until Redis is back; Redis is asked again REDIS_RETRY_S after a failure,
so that while it is down a call does not wait for a connection that will fail."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Limits, TenantLimits
from .errors import RateLimited

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("agent_router.rate_limit")

MAX_BUCKETS = 4096  # past this many tenants, full buckets (idle tenants) are forgotten
REDIS_RETRY_S = 5.0

# KEYS[1] the tenant's bucket; ARGV: requests a second, burst. Redis's own clock, so replicas'
# clocks need not agree. Returns {1 when let in, tokens left as a string}.
TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {taken, tostring(tokens)}
"""


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
        self.redis: Redis | None = None  # set by App.start where state.redis_url is configured
        self.key_prefix = "agent-router:"  # state.key_prefix
        self._redis_down_until = 0.0  # by self.clock: until then this process decides alone

    def rate(self, tenant: str) -> tuple[float, int, str]:
        """(requests a second, burst, the setting that says so) for this tenant."""
        own = self.tenants.get(tenant)
        if own is not None and own.requests_per_second is not None:
            burst = own.burst or max(1, round(own.requests_per_second * 2))
            return own.requests_per_second, burst, f"tenants.{tenant}.requests_per_second"
        burst = own.burst if own is not None and own.burst is not None else self.limits.burst
        return self.limits.requests_per_second, burst, "limits.requests_per_second"

    async def admit(self, tenant: str) -> None:
        """Take one request from the tenant's bucket (the shared one in Redis where there is
        one), or raise RateLimited naming the limit."""
        if self.redis is None or self.clock() < self._redis_down_until:
            return self.take(tenant)
        per_second, burst, setting = self.rate(tenant)
        try:
            taken, left = await self.redis.eval(
                TOKEN_BUCKET, 1, f"{self.key_prefix}rate:{tenant}", per_second, burst
            )
        except Exception as exc:  # noqa: BLE001 - any Redis failure: fail open, see the module
            self._redis_down_until = self.clock() + REDIS_RETRY_S
            log.warning("rate limits checked in this process alone for %g s: Redis: %s", REDIS_RETRY_S, exc)
            return self.take(tenant)
        if not int(taken):
            raise _limited(tenant, setting, per_second, burst, (1 - float(left)) / per_second)

    def take(self, tenant: str) -> None:
        """admit against this process's own bucket."""
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
        raise _limited(tenant, setting, per_second, burst, wait)

    def _forget_idle(self, now: float) -> None:
        for tenant, bucket in list(self._buckets.items()):
            per_second, burst, _ = self.rate(tenant)
            if bucket.tokens + (now - bucket.at) * per_second >= burst:
                del self._buckets[tenant]


def _limited(tenant: str, setting: str, per_second: float, burst: int, wait: float) -> RateLimited:
    return RateLimited(
        f"tenant {tenant!r} is calling faster than {setting} = {per_second:g} "
        f"(burst {burst}); retry in {wait:.2f} s"
    )
