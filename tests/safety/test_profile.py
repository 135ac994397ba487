"""Rules over the user's profile and the category of what the action does."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent_router.app import App
from agent_router.config.safety import AgentPolicy, SafetySpec, UserProfile
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.findings import Outcome

RULES = [
    {"category": "alcohol", "require": {"age_at_least": 18}},
    {"category": "vehicle_rental", "require": {"age_at_least": 21, "licences": ["driving"]}},
    {"category": "gambling", "require": {"not_regions": ["US-UT"]}, "outcome": "confirm"},
    {
        "category": "members_lounge",
        "keywords": ["lounge access"],
        "require": {"memberships": ["gold", "platinum"]},
    },
]
WINE = {
    "type": "click",
    "x": 10,
    "y": 20,
    "context": {"url": "https://shop.example/wine/red", "intent": "click Add to cart for the Rioja red wine"},
}


def checker_with(app: App, profile: dict | None, rules: list[dict] = RULES) -> SafetyChecker:
    policy = AgentPolicy.model_validate({"profile": profile} if profile is not None else {})
    spec = app.config.safety.model_copy(
        update={"agents": {"default": policy}, "rules": SafetySpec(rules=rules).rules}
    )
    return SafetyChecker(spec, app.encoders, app.config.limits)


async def test_a_minor_cannot_buy_alcohol(app: App):
    verdict = await checker_with(app, {"age": 16}).check_action(WINE)
    assert verdict.decision is Outcome.deny and verdict.rules == ["profile.alcohol"]
    assert verdict.findings[0].message == "alcohol needs age at least 18 (the user is 16)"
    assert "wine" in (verdict.findings[0].evidence.text or "")


async def test_the_session_profile_overrides_the_agents(app: App):
    checker = checker_with(app, {"age": 16, "region": "DE"})
    adult = await checker.check_action(WINE, profile=UserProfile(age=30))
    assert adult.decision is Outcome.allow


async def test_unknown_attributes_ask(app: App):
    verdict = await checker_with(app, None).check_action(WINE)
    assert verdict.decision is Outcome.confirm and verdict.rules == ["profile.alcohol_unknown"]
    assert "age" in verdict.findings[0].message


async def test_licence_membership_and_region_rules(app: App):
    checker = checker_with(app, {"age": 30, "licences": [], "memberships": ["silver"], "region": "US-UT"})
    rent = {
        "type": "tool_call",
        "tool": "reserve_vehicle",
        "arguments": {"pickup": "Lisbon airport"},
        "context": {"intent": "rent a car for the weekend"},
    }
    verdict = await checker.check_action(rent)
    assert "profile.vehicle_rental" in verdict.rules and verdict.decision is Outcome.deny
    assert "a driving licence" in verdict.findings[0].message
    lounge = {"type": "click", "x": 1, "y": 1, "context": {"intent": "book lounge access at gate B"}}
    assert (await checker.check_action(lounge)).rules == ["profile.members_lounge"]
    bet = {"type": "navigate", "url": "https://www.sportsbook.example/bets", "context": {}}
    gambling = await checker.check_action(bet)
    assert gambling.decision is Outcome.confirm and gambling.rules == ["profile.gambling"]
    licensed = checker_with(
        app, {"age": 30, "licences": ["Driving"], "memberships": ["gold"], "region": "PT"}
    )
    assert (await licensed.check_action(rent)).decision is Outcome.allow
    assert (await licensed.check_action(lounge)).decision is Outcome.allow


async def test_page_text_needs_two_mentions_and_scrolling_is_free(app: App):
    checker = checker_with(app, {"age": 16})
    one = {
        "type": "click",
        "x": 1,
        "y": 1,
        "context": {"screen_text": "Pasta recipes. Pairs well with wine."},
    }
    assert (await checker.check_action(one)).decision is Outcome.allow
    two = {
        "type": "click",
        "x": 1,
        "y": 1,
        "context": {"screen_text": "Wine shop: red wine, white wine, beer."},
    }
    assert (await checker.check_action(two)).rules == ["profile.alcohol"]
    scroll = {"type": "scroll", "scroll_y": 3, "context": {"url": "https://shop.example/wine"}}
    assert (await checker.check_action(scroll)).decision is Outcome.allow


def test_rules_are_validated():
    with pytest.raises(ValidationError):
        SafetySpec.model_validate({"rules": [{"category": "alcohol", "require": {"age_at_least": -1}}]})
    with pytest.raises(ValidationError):
        SafetySpec.model_validate({"rules": [{"category": "alcohol", "outcome": "maybe"}]})
    spec = SafetySpec.model_validate({"agents": {"kid": {"profile": {"age": 12}}}, "rules": RULES})
    assert spec.policy("kid").profile.age == 12 and spec.rules[1].require.licences == ["driving"]
