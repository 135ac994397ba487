"""The shipped example sessions replay exactly under the config they were recorded with
(examples/sessions/config.yaml, written by scripts/record_example_sessions.py), as the README's
commands run them: from the repository root, with the venv's mcp-server-time on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from agent_router.app import App
from agent_router.config import load_config
from agent_router.replay import build_policy, read_lines, replay_all

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "sessions"


@pytest.mark.parametrize("name", ["coding-agent", "computer-use", "research-agent"])
async def test_example_replays_exactly(app: App, name: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    config = load_config(EXAMPLES / "config.yaml")
    with open(EXAMPLES / f"{name}.jsonl", encoding="utf-8") as handle:
        loaded = read_lines(handle, name)
    policy = await build_policy("new", config, app.encoders, app.config, app.router, None, app.safety)
    try:
        run = await replay_all(loaded, policy)
    finally:
        await policy.aclose()
    s = run.summary
    assert s.problems == [] and s.turns_replayed >= 2 and s.verdicts_replayed >= 1
    assert [(i.kind, i.index) for i in run.items if not i.exact] == []
    assert s.exact == len(run.items)
    if name == "computer-use":
        screens = [i for i in run.items if i.kind == "route" and i.after.route == "computer_use"]
        assert len(screens) == 2
    if name == "research-agent":
        (session,) = loaded.sessions
        assert s.selections_replayed == 4 and {c.server for c in session.calls} == {"time"}
        assert any(t.startswith("time/") for i in run.items if i.kind == "tools" for t in i.after.tools)
