"""check_action's screenshot follows the image rule: a remote caller names no server file (the
verdict confirms with the one refusal, whether the file exists or not); the owner may."""

from __future__ import annotations

from pathlib import Path

from builders import noise_photo

from agent_router.app import App
from agent_router.core import safety as core
from agent_router.core.caller import Caller, Role
from agent_router.image_files import REFUSED
from agent_router.safety.findings import Outcome

REMOTE = Caller(tenant="acme", local=False, role=Role.agent)


def click_on(screenshot: str) -> dict:
    return {"type": "click", "x": 5, "y": 5, "context": {"screenshot": screenshot, "intent": "click OK"}}


async def test_a_remote_screenshot_path_is_refused_alike(tools_app: App, tmp_path: Path) -> None:
    png = tmp_path / "screen.png"
    noise_photo((64, 64)).save(png)
    messages = set()
    for name in (str(png), str(tmp_path / "missing.png"), "/dev/zero"):
        verdict = await core.check_action(tools_app, click_on(name), REMOTE)
        assert verdict.decision is Outcome.confirm
        assert verdict.rules == ["deputy.screenshot_unreadable"]
        messages.add(verdict.findings[0].message)
    assert len(messages) == 1 and REFUSED in messages.pop()
    owner = await core.check_action(tools_app, click_on(str(png)), Caller())
    assert "deputy.screenshot_unreadable" not in owner.rules
