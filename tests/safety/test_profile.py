"""Rules over the user's profile and the category of what the action does."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent_router.app import App
from agent_router.config.safety import AgentPolicy, SafetySpec, UserProfile
from agent_router.core.caller import Caller, Role
from agent_router.core.safety import check_action as core_check_action
from agent_router.core.safety import judge_inputs
from agent_router.errors import InputError
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


async def test_any_attribute_can_be_required(app: App):
    rules = [
        {"category": "flights", "keywords": ["flight"], "require": {"attributes": {"vaccinated": True}}},
        {"category": "loans", "keywords": ["loan"], "require": {"at_least": {"credit_score": 650}}},
    ]
    flight = {"type": "click", "x": 1, "y": 1, "context": {"intent": "click Book this flight"}}
    loan = {"type": "click", "x": 1, "y": 1, "context": {"intent": "apply for the loan"}}
    unvaccinated = checker_with(app, {"attributes": {"vaccinated": False, "credit_score": 600}}, rules)
    booked = await unvaccinated.check_action(flight)
    assert booked.decision is Outcome.deny and booked.rules == ["profile.flights"]
    assert booked.findings[0].message == "flights needs vaccinated yes (the user's is no)"
    applied = await unvaccinated.check_action(loan)
    assert applied.findings[0].message == "loans needs credit_score at least 650 (the user's is 600)"
    unknown = await checker_with(app, {"age": 40}, rules).check_action(flight)
    assert unknown.decision is Outcome.confirm and "vaccinated" in unknown.findings[0].message
    met = checker_with(app, {"attributes": {"vaccinated": True, "credit_score": 700}}, rules)
    assert (await met.check_action(flight)).decision is Outcome.allow
    assert (await met.check_action(loan)).decision is Outcome.allow
    # A yes/no is not a number: 1 does not stand for true, true does not reach a score.
    odd = checker_with(app, {"attributes": {"vaccinated": 1, "credit_score": True}}, rules)
    assert (await odd.check_action(flight)).decision is Outcome.deny
    assert (await odd.check_action(loan)).decision is Outcome.deny


def test_a_sessions_attributes_merge_with_the_agents():
    agent = UserProfile(age=30, attributes={"vaccinated": True, "member_since": 2019})
    merged = agent.merged(UserProfile(attributes={"vaccinated": False}))
    assert merged.age == 30 and merged.attributes == {"vaccinated": False, "member_since": 2019}


async def test_the_users_request_puts_every_step_in_its_category(app: App):
    """ "Continue" on a neutral page is a car rental when the user asked for one; a request that
    mentions a time slot is not gambling."""
    checker = checker_with(app, {"age": 30, "licences": [], "region": "FR"})
    step = {"type": "click", "x": 5, "y": 5, "context": {"intent": "click Continue"}}
    asked = ["Rent a car in Lyon for Friday, something small", "yes, the cheapest one"]
    verdict = await checker.check_action(step, user_texts=asked)
    assert verdict.decision is Outcome.deny and verdict.rules == ["profile.vehicle_rental"]
    assert "the user's request" in (verdict.findings[0].evidence.text or "")
    assert (await checker.check_action(step)).decision is Outcome.allow
    slot = ["Find me a free 30 minute slot after lunch and move the meeting there"]
    assert (await checker.check_action(step, user_texts=slot)).decision is Outcome.allow


async def test_a_recorded_profile_is_judged_again_in_replay(app: App):
    checker = checker_with(app, None)
    inputs = {"action": WINE, "agent_id": None, "user_texts": []}
    assert (await judge_inputs(checker, inputs)).rules == ["profile.alcohol_unknown"]
    minor = await judge_inputs(checker, {**inputs, "profile": {"age": 16}})
    assert minor.decision is Outcome.deny and minor.rules == ["profile.alcohol"]


async def test_only_an_operator_states_the_profile(app: App):
    agent = Caller("acme", "bot", Role.agent, local=False)
    with pytest.raises(InputError) as refused:
        await core_check_action(app, WINE, agent, profile=UserProfile(age=30))
    assert "profile" in str(refused.value)
    operator = Caller("acme", None, Role.operator, local=False)
    verdict = await core_check_action(app, WINE, operator, profile=UserProfile(age=30))
    assert verdict.decision in {Outcome.allow, Outcome.confirm}
