"""Replays under a changed config: a route's model, a tool removed, a safety rule tightened;
compared with the recording and, with a baseline, config against config."""

from __future__ import annotations

from dataclasses import replace

import pytest
from recordings import tools_config

from agent_router.app import App
from agent_router.config import RouterConfig
from agent_router.config.safety import AgentPolicy
from agent_router.replay import Policy, build_policy, read_lines, replay_all


@pytest.fixture(scope="module")
def changed_config(replay_config: RouterConfig) -> RouterConfig:
    routes = [
        r.model_copy(update={"models": ["agent-tools", "coder"]}) if r.name == "code" else r
        for r in replay_config.routes
    ]
    safety = replay_config.safety.model_copy(
        update={"agents": {"default": AgentPolicy(blocked_domains=["wikipedia.org"])}}
    )
    changed = tools_config(replay_config, replay_config.tools.cache_dir, drop={"weather/get_forecast"})
    return changed.model_copy(update={"routes": routes, "safety": safety})


@pytest.fixture(scope="module")
async def changed_policy(changed_config: RouterConfig, recording_app: App) -> Policy:
    a = recording_app
    policy = await build_policy("new", changed_config, a.encoders, a.config, a.router, a.tools, a.safety)
    yield policy
    await policy.aclose()


def _check_changes(run, before_label: str) -> None:
    s = run.summary
    assert s.before_label == before_label
    changed = {
        (i.turn_id, i.before.model, i.after.model)
        for i in run.items
        if i.kind == "route" and "model" in i.changed
    }
    assert changed == {("t-code", "coder", "agent-tools"), ("r2", "coder", "agent-tools")}
    assert s.model_changed == 2 and s.route_changed == 0
    assert s.cost_after_usd < s.cost_before_usd  # agent-tools is the cheaper model
    weather = next(i for i in run.items if i.kind == "tools" and "weather" in i.text)
    assert "weather/get_forecast" in weather.before.tools
    assert "weather/get_forecast" not in weather.after.tools and weather.changed == ["tools"]
    assert s.tools_changed >= 1
    assert s.verdict_changed == 1 and s.verdict_changes == {"allow->deny": 1}
    denied = next(i for i in run.items if i.kind == "verdict" and "verdict" in i.changed)
    assert denied.before.verdict == "allow" and denied.before.rules == []
    assert any(rule.startswith("navigation.") for rule in denied.after.rules)
    assert s.problem_count == 0


async def test_changes_against_the_recording(recorded, changed_policy):
    run = await replay_all(read_lines(recorded), changed_policy)
    _check_changes(run, "recorded")
    assert run.summary.exact < 18


async def test_changes_against_a_baseline_config(recorded, changed_policy, same_policy):
    baseline = replace(same_policy, label="baseline")
    run = await replay_all(read_lines(recorded), changed_policy, baseline)
    _check_changes(run, "baseline")
    assert run.summary.baseline_digest == same_policy.digest
