"""Dispatch outcomes teach a route's model choice: against real OpenAI-compatible servers
(the test double as processes), a model whose endpoint keeps failing loses the route to the
model its turns fell back to, per tenant, with the outcomes kept in SQLite memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from doubles import Double, fast_pool, make_config

from agent_router.app import App
from agent_router.core.caller import Caller
from agent_router.core.dispatch import dispatch_turn
from agent_router.core.learning import deferred_outcomes
from agent_router.core.routing import route_turn
from agent_router.core.session_writes import drain_writes
from agent_router.core.turn import Turn
from agent_router.memory import ModelOutcome
from agent_router.pools import Dispatcher
from agent_router.routing import Constraints, Router

ROUTE = {"name": "chat", "when": {"keywords": ["hello"]}, "models": ["small", "big"]}
ACME, GLOBEX = Caller("acme"), Caller("globex")


@pytest_asyncio.fixture
async def learning_app(app: App, fresh: dict[str, Double], tmp_path: Path) -> AsyncIterator[App]:
    """small served by double a, big by double b, both on route `chat`; memory in SQLite."""
    config = make_config(
        [fast_pool("p", ["small"], [fresh["a"].url]), fast_pool("q", ["big"], [fresh["b"].url])],
        routes=[ROUTE],
        memory={"url": f"sqlite+aiosqlite:///{tmp_path / 'memory.db'}"},
    )
    built = App(config, app.encoders, Router(config, app.encoders), pools=Dispatcher(config))
    await built.start()
    yield built
    assert built.pools is not None and built.memory is not None
    await built.pools.aclose()
    await built.memory.aclose()  # not built.aclose(): the encoders are the session's


async def test_a_failing_model_loses_its_route_to_the_one_that_answered(learning_app: App, fresh):  # noqa: ANN001
    app = learning_app
    fresh["a"].set(fail=-1)  # every call to small fails
    first = []
    for n in range(3):
        answer = await dispatch_turn(app, Turn.of_text(f"hello {n}"), ACME, session_id="s", turn_id=f"t{n}")
        assert answer.model == "big" and answer.decision is not None
        first.append(answer.decision.model)
    # two turns go to small as configured (below min_observations); each fails over to big
    assert first[:2] == ["small", "small"]
    tried = first.count("small")
    assert app.outcomes.evidence("acme") == {"chat": {"small": (0.0, float(tried)), "big": (3.0, 0.0)}}

    later = [
        await route_turn(app, Turn.of_text(f"hello again {n}"), ACME, session_id="s2", turn_id=f"u{n}")
        for n in range(10)
    ]
    assert sum(d.model == "big" for d in later) >= 8
    moved = next(d for d in later if d.model == "big")
    assert moved.fallbacks[0] == "small" and moved.learning is not None
    assert any(r.startswith("learning: chose 'big' over 'small'") for r in moved.reasons)
    other = await route_turn(app, Turn.of_text("hello again"), GLOBEX, session_id="s2", turn_id="u0")
    assert other.model == "small" and other.learning is None


async def test_an_answer_over_the_callers_latency_budget_counts_against_it(learning_app: App, fresh):  # noqa: ANN001
    app = learning_app
    fresh["a"].set(delay_ms=300)
    await dispatch_turn(app, Turn.of_text("hello"), ACME, latency_budget_ms=100)
    fresh["a"].set(delay_ms=0)
    await dispatch_turn(app, Turn.of_text("hello"), ACME, latency_budget_ms=5000)
    await dispatch_turn(app, Turn.of_text("hello"), ACME, constraints=Constraints(max_latency_ms=5000))
    assert app.outcomes.evidence("acme") == {"chat": {"small": (2.0, 1.0)}}


async def test_outcomes_learned_later_are_gathered_and_drained(learning_app: App, fresh):  # noqa: ANN001
    """The endpoints' path: outcomes stored after the answer, those of calls close together in
    one write, the rest by the drain the server runs before memory closes."""
    app = learning_app
    deferred_outcomes.add(app, [ModelOutcome("acme", "chat", "small", 1.0, "dispatch")])
    deferred_outcomes.add(app, [ModelOutcome("acme", "chat", "big", 0.0, "dispatch")])
    assert app.outcomes.evidence("acme") == {}  # nothing is stored on the caller's clock
    await drain_writes()
    assert app.outcomes.evidence("acme") == {"chat": {"small": (1.0, 0.0), "big": (0.0, 1.0)}}
    deferred_outcomes.add(app, [ModelOutcome("acme", "chat", "small", 1.0, "dispatch")])
    await drain_writes()
    assert app.outcomes.evidence("acme")["chat"]["small"] == (2.0, 0.0)
