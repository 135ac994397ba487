"""Safety fixtures: the checker of the shared session App, and a policy with lists set."""

from __future__ import annotations

import pytest

from agent_router.app import App
from agent_router.config.safety import AgentPolicy
from agent_router.safety.checker import SafetyChecker


@pytest.fixture(scope="session")
def checker(app: App) -> SafetyChecker:
    assert app.safety is not None
    return app.safety


@pytest.fixture
def policy() -> AgentPolicy:
    return AgentPolicy(
        allowed_domains=["example.com", "mybank.com"],
        blocked_domains=["evil.test"],
        blocked_apps=["Terminal"],
        allowed_servers=["calendar"],
        blocked_servers=["shell-exec"],
        send_allowlist=["mybank.com"],
    )
