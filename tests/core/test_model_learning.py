"""Learning from outcomes through the core operations, on real SQLite memory: ratings of
routed turns move the tenant's later choices among a route's models, not another tenant's;
the sums survive a restart; a recorded session replays exactly, and against a policy without
learning shows which choices learning made."""

from __future__ import annotations

import asyncio
import uuid

from agent_router.app import App
from agent_router.config import parse_config
from agent_router.core import memory as core_memory
from agent_router.core.caller import Caller, Role
from agent_router.core.following import start_following
from agent_router.core.routing import route_turn
from agent_router.core.turn import Turn
from agent_router.memory import MemoryStore
from agent_router.replay import build_policy, from_store, replay_all

CODE = "def total(xs): return sum(xs)  -- this raises a traceback on None, fix it"
SID = "learning-1"


def tenants() -> tuple[Caller, Caller]:
    suffix = uuid.uuid4().hex[:6]
    return Caller(f"acme{suffix}", "bot", Role.agent, local=False), Caller(
        f"globex{suffix}", "bot", Role.agent, local=False
    )


async def rated_session(app: App, caller: Caller, turns: int = 8) -> list[str]:
    """A session on route `code` whose agent rates coder's answers -1 and agent-tools' +1."""
    chosen = []
    for n in range(turns):
        turn = Turn.of_text(f"{CODE} (case {n})")  # a turn repeating the last one is not stored
        decision = await route_turn(app, turn, caller, session_id=SID, turn_id=f"t{n}")
        assert decision.route == "code"
        chosen.append(decision.model)
        score = 1.0 if decision.model == "agent-tools" else -1.0
        await core_memory.record_feedback(app, caller, SID, f"t{n}", score)
    return chosen


async def choices(app: App, caller: Caller, n: int = 20) -> list[str]:
    return [
        (
            await route_turn(app, Turn.of_text(f"{CODE} ({i})"), caller, session_id="later", turn_id=f"u{i}")
        ).model
        for i in range(n)
    ]


async def test_feedback_moves_the_tenants_choice_and_no_other_tenants(with_memory) -> None:  # noqa: ANN001
    app, path = with_memory
    a, b = tenants()
    first = await rated_session(app, a)
    assert first[:3] == ["coder"] * 3  # fewer than min_observations outcomes: configured order
    counts = app.outcomes.evidence(a.tenant)["code"]
    assert sum(good + bad for good, bad in counts.values()) == 8
    assert counts["coder"][0] == 0 and counts.get("agent-tools", (0, 0))[1] == 0

    learned = await choices(app, a)
    assert learned.count("agent-tools") >= 15
    decision = await route_turn(app, Turn.of_text(f"{CODE} (0)"), a, session_id="later", turn_id="u0")
    assert decision.learning is not None and decision.learning.applied
    assert any(r.startswith("learning: ") and "posterior sample" in r for r in decision.reasons)

    assert await choices(app, b) == ["coder"] * 20  # tenant B has no outcomes
    assert app.outcomes.evidence(b.tenant) == {}

    # a restart (another process on the same database) sums the same outcomes
    store = await MemoryStore.open(app.config.memory, app.config.models, url=f"sqlite+aiosqlite:///{path}")
    try:
        restarted = App(app.config, app.encoders, app.router, memory=store)
        await restarted.relearn_model_outcomes()
        assert restarted.outcomes.by_tenant == app.outcomes.by_tenant
        assert await choices(restarted, a) == learned  # same state, same seeds: same choices
    finally:
        await store.aclose()


async def test_a_rated_session_replays_exactly_and_shows_what_learning_chose(with_memory) -> None:  # noqa: ANN001
    app, _ = with_memory
    a, _ = tenants()
    chosen = await rated_session(app, a, turns=10)
    assert "agent-tools" in chosen[3:]
    loaded = await from_store(app.memory, [SID], tenant=a.tenant)
    same = await build_policy("new", app.config, app.encoders, app.config, app.router, app.tools, app.safety)
    run = await replay_all(loaded, same)
    routes = [i for i in run.items if i.kind == "route"]
    assert len(routes) == 10 and all(i.exact for i in routes)
    assert [i.after.model for i in routes] == chosen

    data = app.config.model_dump(mode="json")
    data["learning"] = {"enabled": False}
    off = await build_policy("new", parse_config(data), app.encoders, app.config, None, app.tools, app.safety)
    try:
        changed = [i for i in (await replay_all(loaded, off)).items if i.kind == "route" and i.changed]
    finally:
        await off.aclose()
    moved = [n for n, model in enumerate(chosen) if model != "coder"]
    assert [i.index - 1 for i in changed] == moved and moved
    assert all(i.before.model == "agent-tools" and i.after.model == "coder" for i in changed)


async def test_a_rating_counts_as_a_graded_outcome_and_a_neutral_one_not_at_all(with_memory) -> None:  # noqa: ANN001
    app, _ = with_memory
    a, _ = tenants()
    for n, score in enumerate([0.0, 0.5, -0.5]):
        await route_turn(app, Turn.of_text(f"{CODE} ({n})"), a, session_id=SID, turn_id=f"t{n}")
        await core_memory.record_feedback(app, a, SID, f"t{n}", score)
    assert app.outcomes.evidence(a.tenant) == {"code": {"coder": (1.0, 1.0)}}  # 0.75 + 0.25 each way


async def test_another_replica_follows_the_outcomes(with_memory) -> None:  # noqa: ANN001
    """Two processes on one database: what one learns, the other's follow loop sums in."""
    app, path = with_memory
    a, _ = tenants()
    data = app.config.model_dump(mode="json")
    data["state"] = {"follow_s": 0.05}
    config = parse_config(data)
    store = await MemoryStore.open(config.memory, config.models, url=f"sqlite+aiosqlite:///{path}")
    other = App(config, app.encoders, app.router, memory=store)
    following = await start_following(other)
    assert following is not None
    try:
        await rated_session(app, a, turns=4)
        for _ in range(200):  # a deadline, not a timing: the loop reads every 0.05 s
            if other.outcomes.evidence(a.tenant) == app.outcomes.evidence(a.tenant):
                break
            await asyncio.sleep(0.05)
        assert other.outcomes.evidence(a.tenant) == app.outcomes.evidence(a.tenant) != {}
    finally:
        following.cancel()
        await store.aclose()
