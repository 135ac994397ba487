"""Bad recordings: a cut-off line, an older schema, a config without a recorded model. Each
gets a message naming the turn, and the rest of the replay goes on."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from agent_router.app import App
from agent_router.config import RouterConfig
from agent_router.replay import Policy, build_policy, read_lines, replay_all
from agent_router.server import build_server

OLD_SESSION = [
    {"event": "session", "id": "old-one", "agent_id": None},  # no format: before version 1
    {
        "event": "turn",
        "session_id": "old-one",
        "seq": 1,
        "turn_id": "o1",
        "messages": [{"role": "user", "content": "Write a function that reverses a string."}],
        "decision": {"model": "coder", "route": "code"},
    },  # no signals, no parts
    {
        "event": "verdict",
        "session_id": "old-one",
        "turn_id": "o1",
        "verdict": {"kind": "action", "decision": "allow", "rules": []},
    },  # no input
]


async def test_cut_off_lines_and_an_older_schema_are_reported_per_turn(recorded, same_policy):
    lines = list(recorded)
    turn_line = next(i for i, line in enumerate(lines) if '"turn_id": "t-doc"' in line)
    lines[turn_line] = lines[turn_line][: len(lines[turn_line]) // 2]  # cut off mid-line
    lines += [json.dumps(e) for e in OLD_SESSION]
    run = await replay_all(read_lines(lines, "rec.jsonl"), same_policy)
    s = run.summary
    assert s.sessions == 3 and s.turns_replayed == 11  # 10 recorded turns left, plus the old one
    problems = "\n".join(s.problems)
    assert f"rec.jsonl: line {turn_line + 1}: not JSON" in problems
    assert "session old-one: recorded with export format unnamed" in problems
    assert "old-one route 1: the recorded decision has no prompt size (older schema)" in problems
    assert "old-one verdict 1: the action verdict was recorded without its input" in problems
    old = next(i for i in run.items if i.session_id == "old-one" and i.kind == "route")
    assert old.before.model == "coder" and old.after.route == "code"
    assert old.before.cost_usd is None and old.after.cost_usd is not None
    others = [i for i in run.items if i.session_id != "old-one"]
    assert all(i.exact for i in others)  # the rest is replayed as before


@pytest.fixture(scope="module")
async def renamed_policy(replay_config: RouterConfig, recording_app: App) -> Policy:
    """A config where small-chat is now called tiny-chat."""

    def rename(name: str) -> str:
        return "tiny-chat" if name == "small-chat" else name

    config = replay_config.model_copy(
        update={
            "models": [m.model_copy(update={"name": rename(m.name)}) for m in replay_config.models],
            "routes": [
                r.model_copy(update={"models": [rename(n) for n in r.models]}) for r in replay_config.routes
            ],
            "pools": [
                p.model_copy(update={"models": [rename(n) for n in p.models]}) for p in replay_config.pools
            ],
            "defaults": replay_config.defaults.model_copy(update={"model": "tiny-chat"}),
        }
    )
    a = recording_app
    policy = await build_policy("new", config, a.encoders, a.config, a.router, a.tools, a.safety)
    yield policy
    await policy.aclose()


async def test_a_config_without_the_recorded_model(recorded, renamed_policy):
    run = await replay_all(read_lines(recorded), renamed_policy)
    s = run.summary
    assert s.turns_replayed == 11
    gone = [i for i in run.items if i.kind == "route" and i.before.model == "small-chat"]
    assert gone and all(i.after.model == "tiny-chat" and i.changed == ["model"] for i in gone)
    for item in gone:
        assert item.problems == [
            "model 'small-chat' is not in the new config: its cost and latency are unknown"
        ]
        assert item.before.cost_usd is None
    assert s.problem_count == len(gone)


async def test_replay_session_tool(recording_app: App, recorded):
    async with Client(build_server(app=recording_app)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["replay_session"].annotations.read_only_hint is True
        ok = await client.call_tool("replay_session", {"session_id": "every-route"})
        bad = await client.call_tool(
            "replay_session", {"session_id": "every-route", "config_yaml": "models: []\n"}
        )
        missing = await client.call_tool("replay_session", {"session_id": "nobody"})
    summary = ok.structured_content
    assert not ok.is_error and summary["turns_replayed"] == 9 and summary["exact"] == 16
    assert summary["model_changed"] == 0 and summary["verdicts_replayed"] == 5
    assert bad.is_error and "config_yaml.models" in bad.content[0].text
    assert missing.is_error and "no session 'nobody'" in missing.content[0].text
