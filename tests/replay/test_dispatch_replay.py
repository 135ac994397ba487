"""`agent-router replay --dispatch`: a session answered through dispatch_turn by one model server
is replayed against another (the OpenAI-API test double, each a separate process); the new
answers land beside the recorded ones, and a pool whose endpoint is dead costs only its own
turns, each with a message naming the endpoint. The turns dispatch_turn stores besides the
routed ones (the answers, a turn with a forced model) are history, not decisions to replay."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client
from pools.doubles import start_double
from processes import CLI, free_port

from agent_router.app import App
from agent_router.config import parse_config
from agent_router.memory import MemoryStore
from agent_router.memory.transcript import export_lines
from agent_router.pools import Dispatcher
from agent_router.routing import Router
from agent_router.server import build_server

# Code goes to "big", everything else to "small"; no fallbacks, so a dead pool fails its turns.
TURNS = [
    ("d1", "hello there, how is the weather"),
    ("d2", "fix this:\n```\nprint(1/0)\n```"),
    ("d3", "thanks, that helped a lot"),
    ("d4", "and this one:\n```\nint('x')\n```"),
]
BIG = {"d2", "d4"}
FORCED = ("d5", "answer this one with the small model")  # not routed: nothing to replay


def config_data(small_url: str, big_url: str, **extra: Any) -> dict[str, Any]:
    pool = {
        "retry": {"attempts": 2, "backoff_s": 0.01},
        "timeouts": {"connect_s": 2, "first_token_s": 10, "total_s": 30},
    }
    return {
        "models": [
            {"name": "small", "cost": {"input_per_mtok": 0.1, "output_per_mtok": 0.4}},
            {"name": "big", "cost": {"input_per_mtok": 3.0, "output_per_mtok": 15.0}, "quality": 5},
        ],
        "routes": [{"name": "code", "when": {"keywords": ["```"]}, "models": ["big"]}],
        "defaults": {"model": "small", "max_fallbacks": 0},
        "pools": [
            {"name": "p", "models": ["small"], "endpoints": [{"url": small_url}], **pool},
            {"name": "q", "models": ["big"], "endpoints": [{"url": big_url}], **pool},
        ],
        **extra,
    }


@pytest.fixture(scope="module")
async def answered(app: App, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The export of a session whose turns the double named 'then' answered."""
    then = start_double("then")
    folder = tmp_path_factory.mktemp("dispatched")
    config = parse_config(
        config_data(then.url, then.url, memory={"url": f"sqlite+aiosqlite:///{folder}/m.db"})
    )
    pools = Dispatcher(config)
    await pools.start()
    memory = await MemoryStore.open(config.memory, config.models, app.encoders.text, app.encoders.ocr)
    built = App(config, app.encoders, Router(config, app.encoders), memory=memory, pools=pools)
    try:
        async with Client(build_server(app=built)) as client:
            for turn_id, text in TURNS:
                result = await client.call_tool(
                    "dispatch_turn",
                    {
                        "messages": [{"role": "user", "content": text}],
                        "session_id": "answered",
                        "turn_id": turn_id,
                        "stream": False,
                    },
                )
                assert not result.is_error, result.content
            forced = await client.call_tool(
                "dispatch_turn",
                {
                    "messages": [{"role": "user", "content": FORCED[1]}],
                    "session_id": "answered",
                    "turn_id": FORCED[0],
                    "model": "small",
                    "stream": False,
                },
            )
            assert not forced.is_error, forced.content
        return [line async for line in export_lines(memory.database)]
    finally:
        await memory.aclose()
        await pools.aclose()
        then.stop()


def test_dispatch_records_new_answers_beside_the_old(answered: list[str], tmp_path: Path):
    now = start_double("now")
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    try:
        sessions, config = tmp_path / "answered.jsonl", tmp_path / "live.yaml"
        sessions.write_text("\n".join(answered) + "\n")
        config.write_text(yaml.safe_dump(config_data(now.url, dead, memory={"enabled": False})))
        out = tmp_path / "diff.jsonl"
        done = subprocess.run(
            [CLI, "replay", str(sessions), "--config", str(config), "--dispatch", "--jsonl", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        now.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    routes = {i["turn_id"]: i for i in map(json.loads, out.read_text().splitlines()) if i["kind"] == "route"}
    # Neither the stored answers nor the forced turn are routing decisions to replay.
    assert sorted(routes) == [t for t, _ in TURNS]
    for turn_id, text in TURNS:
        item = routes[turn_id]
        assert item["before"]["answer"] == " ".join(["then:", *text.split()])
        assert item["after"]["model"] == ("big" if turn_id in BIG else "small")
        assert item["exact"] is True
        if turn_id in BIG:
            assert "answer" not in item["after"]
            (problem,) = item["problems"]
            assert problem.startswith("dispatch to big failed") and dead.split("/v1")[0][7:] in problem
        else:
            assert item["after"]["answer"] == " ".join(["now:", *text.split()])
            assert item.get("problems", []) == []
    table = dict(
        line.split("  ", 1) for line in done.stdout.splitlines() if "  " in line and not line.startswith(" ")
    )
    assert table["turns replayed"].strip() == "4" and table["dispatched"].strip() == "2"
    assert table["problems"].strip() == "2"


def test_dispatch_without_pools_is_refused(answered: list[str], tmp_path: Path):
    sessions = tmp_path / "answered.jsonl"
    sessions.write_text("\n".join(answered) + "\n")
    done = subprocess.run(
        [CLI, "replay", str(sessions), "--dispatch"],  # the built-in config
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    assert "--dispatch sends the turns to the model pools, and this config has none" in done.stderr
