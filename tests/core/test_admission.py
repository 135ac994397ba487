"""The request rate per tenant: a token bucket that trips with an error naming the limit and
recovers as time passes (a clock the test moves, so nothing waits)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from agent_router.app import App
from agent_router.config import Limits, TenantLimits
from agent_router.core.admission import admit
from agent_router.core.caller import Caller, Role
from agent_router.errors import RateLimited
from agent_router.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_trips_with_the_limit_named_and_recovers() -> None:
    clock = Clock()
    rates = RateLimiter(Limits(requests_per_second=2, burst=3), {}, clock=clock)
    for _ in range(3):
        rates.take("acme")
    with pytest.raises(RateLimited) as info:
        rates.take("acme")
    assert str(info.value) == (
        "tenant 'acme' is calling faster than limits.requests_per_second = 2 (burst 3); retry in 0.50 s"
    )
    rates.take("other")  # tenants have buckets of their own
    clock.now += 0.5
    rates.take("acme")
    with pytest.raises(RateLimited):
        rates.take("acme")


def test_a_tenant_of_its_own_names_its_setting() -> None:
    clock = Clock()
    rates = RateLimiter(Limits(), {"slow": TenantLimits(requests_per_second=1, burst=1)}, clock=clock)
    rates.take("slow")
    with pytest.raises(RateLimited, match=r"tenants.slow.requests_per_second = 1 \(burst 1\)"):
        rates.take("slow")


async def test_remote_callers_are_admitted_by_tenant_and_the_owner_always(app: App) -> None:
    clock = Clock()
    limited = dataclasses.replace(app)
    limited.rates = RateLimiter(Limits(requests_per_second=1, burst=2), {}, clock=clock)
    remote = Caller(tenant="acme", local=False, role=Role.agent)
    await admit(limited, remote)
    await admit(limited, remote)
    with pytest.raises(RateLimited, match="limits.requests_per_second"):
        await admit(limited, remote)
    for _ in range(10):
        await admit(limited, Caller())  # stdio, the CLI, in process: the machine's own user
    clock.now += 1
    await admit(limited, remote)


async def test_replicas_sharing_redis_share_one_budget_per_tenant(redis_url: str) -> None:
    from redis.asyncio import Redis

    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    replicas = [RateLimiter(Limits(requests_per_second=0.01, burst=3), {}) for _ in range(3)]
    async with Redis.from_url(redis_url) as redis:
        for replica in replicas:
            replica.redis = redis
        for replica in replicas:  # one call through each: the burst of 3 is spent
            await replica.admit(tenant)
        for replica in replicas:
            with pytest.raises(RateLimited, match=r"limits.requests_per_second = 0.01 \(burst 3\)"):
                await replica.admit(tenant)


async def test_without_redis_the_rate_is_held_in_process(
    dead_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from redis.asyncio import Redis

    rates = RateLimiter(Limits(requests_per_second=0.01, burst=1), {})
    async with Redis.from_url(dead_redis_url, socket_connect_timeout=0.5) as redis:
        rates.redis = redis
        await rates.admit("acme")  # let in: fail open, by this process's bucket
        with pytest.raises(RateLimited):
            await rates.admit("acme")
    assert caplog.text.count("checked in this process alone") == 1  # Redis not asked again at once
