from __future__ import annotations

import pytest

from agent_router.config import ConfigError, default_config, parse_config
from agent_router.config.safety import AgentPolicy


def _with_safety(safety: dict) -> dict:
    data = default_config().model_dump(mode="json", exclude_none=True)
    data["safety"] = safety
    return data


def test_default_config_has_a_default_policy():
    config = default_config()
    assert config.safety.policy(None) is config.safety.agents["default"]
    assert config.safety.policy("someone-else") is config.safety.agents["default"]


def test_conflicts_are_reported_at_load_time_with_their_paths():
    data = _with_safety(
        {
            "agents": {
                "default": {},
                "shopper": {
                    "allowed_domains": ["pay.shop.com", "ok.com"],
                    "blocked_domains": ["shop.com"],
                    "allowed_servers": ["Bank"],
                    "blocked_servers": ["bank"],
                    "never_send": ["email"],
                    "confirm_send": ["email"],
                },
            }
        }
    )
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    paths = {issue.path for issue in info.value.issues}
    assert paths == {
        "safety.agents.shopper.allowed_domains[0]",
        "safety.agents.shopper.allowed_servers[0]",
        "safety.agents.shopper.confirm_send[0]",
    }


def test_unknown_keys_and_bad_domains_are_errors():
    with pytest.raises(ConfigError) as info:
        parse_config(_with_safety({"agents": {"default": {"blocked_domain": ["x.com"]}}}))
    assert "safety.agents.default.blocked_domain" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_config(_with_safety({"agents": {"default": {"blocked_domains": ["http://x.com/a"]}}}))
    assert "blocked_domains" in str(info.value)


def test_agent_policy_lookup():
    config = parse_config(_with_safety({"agents": {"default": {}, "ops": {"blocked_apps": ["X"]}}}))
    assert config.safety.policy("ops").blocked_apps == ["X"]
    assert AgentPolicy().confirm  # every category needs confirmation unless waived
