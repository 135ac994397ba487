"""The request rate per tenant: a token bucket that trips with an error naming the limit and
recovers as time passes (a clock the test moves, so nothing waits)."""

from __future__ import annotations

import dataclasses

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
        rates.admit("acme")
    with pytest.raises(RateLimited) as info:
        rates.admit("acme")
    assert str(info.value) == (
        "tenant 'acme' is calling faster than limits.requests_per_second = 2 (burst 3); retry in 0.50 s"
    )
    rates.admit("other")  # tenants have buckets of their own
    clock.now += 0.5
    rates.admit("acme")
    with pytest.raises(RateLimited):
        rates.admit("acme")


def test_a_tenant_of_its_own_names_its_setting() -> None:
    clock = Clock()
    rates = RateLimiter(Limits(), {"slow": TenantLimits(requests_per_second=1, burst=1)}, clock=clock)
    rates.admit("slow")
    with pytest.raises(RateLimited, match=r"tenants.slow.requests_per_second = 1 \(burst 1\)"):
        rates.admit("slow")


def test_remote_callers_are_admitted_by_tenant_and_the_owner_always(app: App) -> None:
    clock = Clock()
    limited = dataclasses.replace(app)
    limited.rates = RateLimiter(Limits(requests_per_second=1, burst=2), {}, clock=clock)
    remote = Caller(tenant="acme", local=False, role=Role.agent)
    admit(limited, remote)
    admit(limited, remote)
    with pytest.raises(RateLimited, match="limits.requests_per_second"):
        admit(limited, remote)
    for _ in range(10):
        admit(limited, Caller())  # stdio, the CLI, in process: the machine's own user
    clock.now += 1
    admit(limited, remote)
