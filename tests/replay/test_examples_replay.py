"""The shipped example sessions replay under the built-in config with nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_router.app import App
from agent_router.replay import build_policy, read_lines, replay_all

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sessions"


@pytest.mark.parametrize("name", ["coding-agent", "computer-use", "research-agent"])
async def test_example_replays_exactly(app: App, name: str) -> None:
    with open(EXAMPLES / f"{name}.jsonl", encoding="utf-8") as handle:
        loaded = read_lines(handle, name)
    policy = await build_policy("new", app.config, app.encoders, app.config, app.router,
                                None, app.safety)
    try:
        run = await replay_all(loaded, policy)
    finally:
        await policy.aclose()
    s = run.summary
    assert s.problems == [] and s.turns_replayed >= 2 and s.verdicts_replayed >= 1
    assert (s.model_changed, s.route_changed, s.tools_changed, s.verdict_changed) == (0, 0, 0, 0)
    assert s.exact >= 1
