"""Limits on dispatch: a tenant's models (routing and dispatch never reach another), and
max_tokens capped at the answering model's max_output_tokens. Real pools on the HTTP doubles."""

from __future__ import annotations

import pytest
from builders import user
from doubles import Double, fast_pool, make_config

from agent_router.app import App
from agent_router.config import Limits
from agent_router.core.caller import Caller, Role
from agent_router.core.dispatch import dispatch_turn
from agent_router.core.routing import route_turn
from agent_router.core.turn import Turn
from agent_router.errors import InputError
from agent_router.pools import Dispatcher
from agent_router.routing import Router

ACME = Caller(tenant="acme", local=False, role=Role.agent)
TURN = Turn.parse([user("hello there router")], Limits(), ACME)


@pytest.fixture
async def limited(app: App, fresh: dict[str, Double]):
    """`small` is what routing picks; tenant acme may use only `big`."""
    a, b = fresh["a"], fresh["b"]
    config = make_config(
        [fast_pool("p", ["small"], [a.url]), fast_pool("q", ["big"], [b.url])],
        tenants={"acme": {"models": ["big"]}},
    )
    pools = Dispatcher(config)
    await pools.start()
    yield App(config, app.encoders, Router(config, app.encoders), pools=pools)
    await pools.aclose()


async def test_a_tenant_held_to_one_model_is_never_routed_or_dispatched_elsewhere(limited: App):
    free = await route_turn(limited, TURN, Caller())
    assert free.model == "small"
    decision = await route_turn(limited, TURN, ACME)
    assert decision.model == "big" and "small" not in decision.fallbacks
    assert "tenant 'acme' may not use it" in decision.rejected["small"]
    assert any("tenant 'acme' may use only big" in r for r in decision.reasons)
    answer = await dispatch_turn(limited, TURN, ACME)
    assert answer.model == "big" and answer.answer.startswith("b:")
    with pytest.raises(InputError) as info:
        await dispatch_turn(limited, TURN, ACME, model="small")
    assert info.value.problems == [
        ("model", "tenant 'acme' may not use model 'small'; its models are big (tenants.acme.models)")
    ]


async def test_max_tokens_over_the_models_maximum_is_refused(limited: App):
    with pytest.raises(InputError) as info:
        await dispatch_turn(limited, TURN, Caller(), model="small", max_tokens=1025)
    assert info.value.problems == [
        ("max_tokens", "1025 is above the maximum of model 'small': its max_output_tokens is 1024")
    ]
    with pytest.raises(InputError, match=r"^max_tokens: 5000 is above the maximum"):
        await dispatch_turn(limited, TURN, ACME, max_tokens=5000)
    answer = await dispatch_turn(limited, TURN, Caller(), model="small", max_tokens=1024)
    assert answer.model == "small"
