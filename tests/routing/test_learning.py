"""Learning from outcomes in the router: posterior sampling among the fired route's eligible
models, seeded, recorded in the decision, and never outside the caller's limits."""

from __future__ import annotations

from agent_router.app import App
from agent_router.config import parse_config
from agent_router.routing import Constraints, LearningInput, LearningRecord, Router, turn_seed
from agent_router.turns import parse_messages

CODE = [{"role": "user", "content": "def parse(s): fails with a traceback, fix it"}]
# On route `code` (coder, agent-tools): coder rated badly, agent-tools well.
FAVOUR_AGENT = {"code": {"coder": (1.0, 9.0), "agent-tools": (8.0, 1.0)}}


async def decide(router: Router, learned: LearningInput | None, constraints: Constraints | None = None):
    return await router.route(parse_messages(CODE), [], constraints, learned)


async def test_outcomes_move_the_choice_and_the_reasons_say_how(app: App):
    decisions = [await decide(app.router, LearningInput(FAVOUR_AGENT, seed)) for seed in range(20)]
    assert all(d.route == "code" for d in decisions)
    assert sum(d.model == "agent-tools" for d in decisions) >= 17
    moved = next(d for d in decisions if d.model == "agent-tools")
    assert moved.fallbacks[0] == "coder"  # the configured order keeps the rest
    assert moved.learning is not None and moved.learning.applied
    assert moved.learning.observed == FAVOUR_AGENT["code"]
    samples = moved.learning.samples
    assert samples["agent-tools"] > samples["coder"]
    why = next(r for r in moved.reasons if r.startswith("learning: "))
    assert why.startswith("learning: chose 'agent-tools' over 'coder': posterior sample ")
    assert "from 19 outcomes (agent-tools 8 good, 1 bad; coder 1 good, 9 bad)" in why


async def test_the_same_seed_and_state_decide_the_same(app: App):
    seed = turn_seed("acme", "acme/s1", "t7")
    assert seed == turn_seed("acme", "acme/s1", "t7") != turn_seed("globex", "globex/s1", "t7")
    even = {"code": {"coder": (3.0, 3.0), "agent-tools": (3.0, 3.0)}}
    one = await decide(app.router, LearningInput(even, seed))
    two = await decide(app.router, LearningInput(even, seed))
    assert one.model_dump() == two.model_dump() and one.learning is not None
    # what the decision records is enough to draw the same again (replay's path)
    again = await decide(app.router, LearningInput.recorded(LearningRecord.model_validate(one.learning)))
    assert again.model == one.model and again.learning == one.learning


async def test_no_outcomes_or_too_few_keep_the_configured_order(app: App):
    plain = await decide(app.router, None)
    empty = await decide(app.router, LearningInput({}, 1))
    assert plain.model == empty.model == "coder" and plain.learning is empty.learning is None
    assert plain.reasons == empty.reasons
    few = await decide(app.router, LearningInput({"code": {"agent-tools": (2.0, 0.0)}}, 1))
    assert few.model == "coder" and few.learning is not None and not few.learning.applied
    assert few.learning.samples == {}
    assert any("fewer than learning.min_observations 3" in r for r in few.reasons)


async def test_learning_chooses_only_among_models_within_the_limits(app: App):
    # agent-tools' latency is 300 ms, coder's 400: a 350 ms limit leaves agent-tools alone.
    favour_coder = {"code": {"coder": (20.0, 0.0), "agent-tools": (0.0, 20.0)}}
    limited = Constraints(max_latency_ms=350)
    for seed in range(5):
        decision = await decide(app.router, LearningInput(favour_coder, seed), limited)
        assert decision.model == "agent-tools" and "coder" in decision.rejected
        assert decision.learning is None  # one model left: nothing to choose between


async def test_learning_off_in_config_ignores_outcomes(app: App):
    data = app.config.model_dump(mode="json")
    data["learning"] = {"enabled": False}
    off = Router(parse_config(data), app.encoders)
    decisions = [await decide(off, LearningInput(FAVOUR_AGENT, seed)) for seed in range(5)]
    assert {d.model for d in decisions} == {"coder"} and all(d.learning is None for d in decisions)
