"""The shipped example sessions replay exactly under the config they were recorded with
(examples/sessions/config.yaml, written by scripts/record_example_sessions.py), as the README's
commands run them: from the repository root, with the venv's mcp-server-time on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from agent_router.app import App
from agent_router.config import load_config, parse_config
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


async def test_the_rated_example_replays_exactly_and_shows_what_learning_changed(
    app: App, monkeypatch: pytest.MonkeyPatch
):
    """rated-coding rates every answer: its later turns went to agent-tools by learning. Under
    its own config it replays exactly (the recorded outcomes and seeds, not today's); under
    the same config with learning off, exactly those turns change, and say why."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    data = yaml.safe_load((EXAMPLES / "config.yaml").read_text())
    config = parse_config(data)
    with open(EXAMPLES / "rated-coding.jsonl", encoding="utf-8") as handle:
        loaded = read_lines(handle, "rated-coding")
    learned = [t.turn_id for t in loaded.sessions[0].turns if (t.decision or {}).get("learning")]
    by_learning = [
        t.turn_id
        for t in loaded.sessions[0].turns
        if ((t.decision or {}).get("learning") or {}).get("applied") and t.decision["model"] != "coder"
    ]
    assert learned and by_learning
    policy = await build_policy("new", config, app.encoders, app.config, app.router, None, app.safety)
    off = await build_policy(
        "new",
        parse_config(data | {"learning": {"enabled": False}}),
        app.encoders,
        config,
        policy.router,
        policy.tools,
        app.safety,
    )
    try:
        same = await replay_all(loaded, policy)
        without = await replay_all(loaded, off)
    finally:
        await off.aclose()
        await policy.aclose()
    assert same.summary.problems == [] and all(i.exact for i in same.items)
    changed = [i for i in without.items if i.changed]
    assert [i.turn_id for i in changed] == by_learning
    for item in changed:
        assert item.changed == ["model"] and (item.before.model, item.after.model) == ("agent-tools", "coder")
        assert item.why[0].startswith("recorded: learning: chose 'agent-tools' over 'coder'")
        assert item.why[1].startswith("replayed: learning: no outcomes sampled")
