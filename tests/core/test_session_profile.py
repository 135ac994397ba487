"""A user profile an operator states for a session applies to the agent's own later checks in
it, through session memory, and to no other tenant's session of the same name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from agent_router.app import App
from agent_router.config.safety import SafetySpec, UserProfile
from agent_router.core.caller import Caller, Role
from agent_router.core.safety import check_action
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.findings import Outcome

WINE = {"type": "click", "x": 1, "y": 2, "context": {"intent": "click Add to cart for the red wine"}}


def with_rules(app: App) -> App:
    spec = app.config.safety.model_copy(
        update={"rules": SafetySpec(rules=[{"category": "alcohol", "require": {"age_at_least": 18}}]).rules}
    )
    return dataclasses.replace(app, safety=SafetyChecker(spec, app.encoders, app.config.limits))


async def test_the_operators_profile_holds_for_the_agents_checks(with_memory: tuple[App, Path]) -> None:
    app = with_rules(with_memory[0])
    operator = Caller("acme", None, Role.operator, local=False)
    agent = Caller("acme", "shop-bot", Role.agent, local=False)
    before = await check_action(app, WINE, agent, session_id="s1")
    assert before.rules == ["profile.alcohol_unknown"]  # nobody said how old the user is

    stated = await check_action(app, WINE, operator, session_id="s1", profile=UserProfile(age=16))
    assert stated.decision is Outcome.deny and "verdict recorded" in (stated.memory or "")
    later = await check_action(app, WINE, agent, session_id="s1")
    assert later.decision is Outcome.deny and later.rules == ["profile.alcohol"]
    assert "the user is 16" in later.findings[0].message

    other_tenant = Caller("globex", "shop-bot", Role.agent, local=False)
    assert (await check_action(app, WINE, other_tenant, session_id="s1")).rules == ["profile.alcohol_unknown"]
    # a later statement is laid over the earlier one
    await check_action(app, WINE, operator, session_id="s1", profile=UserProfile(attributes={"vip": True}))
    assert (await check_action(app, WINE, agent, session_id="s1")).decision is Outcome.deny
    await check_action(app, WINE, operator, session_id="s1", profile=UserProfile(age=30))
    assert (await check_action(app, WINE, agent, session_id="s1")).decision is Outcome.allow


async def test_without_memory_the_profile_holds_for_the_call_and_says_so(tools_app: App) -> None:
    app = with_rules(tools_app)
    operator = Caller("acme", None, Role.operator, local=False)
    verdict = await check_action(app, WINE, operator, session_id="s2", profile=UserProfile(age=16))
    assert verdict.decision is Outcome.deny
    assert "profile not kept" in (verdict.memory or "")
