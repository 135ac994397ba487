"""dispatch_turn and pool_status over a real MCP client session, with real SQLite memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from doubles import Double, fast_pool, make_config
from mcp import Client

from agent_router.app import App
from agent_router.memory import MemoryStore
from agent_router.pools import Dispatcher
from agent_router.routing import Router
from agent_router.server import build_server


@pytest.fixture
async def served(app: App, fresh: dict[str, Double], tmp_path: Path):
    """A server on the shared encoders, with pools on the doubles and memory in SQLite."""
    a, b = fresh["a"], fresh["b"]
    config = make_config(
        [fast_pool("p", ["small"], [a.url]), fast_pool("q", ["big"], [b.url])],
        memory={"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
    )
    pools = Dispatcher(config)
    await pools.start()
    memory = await MemoryStore.open(config.memory, config.models, app.encoders.text, app.encoders.ocr)
    built = App(config, app.encoders, Router(config, app.encoders), memory=memory, pools=pools)
    yield built, fresh
    await memory.aclose()
    await pools.aclose()


async def test_dispatch_turn_routes_answers_streams_and_records(served):
    built, doubles = served
    doubles["a"].set(token_delay_ms=5)
    progress: list[str | None] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message)

    async with Client(build_server(app=built)) as client:
        result = await client.call_tool(
            "dispatch_turn",
            {
                "messages": [{"role": "user", "content": "hello there router"}],
                "session_id": "sess-1",
                "turn_id": "t1",
            },
            progress_callback=on_progress,
        )
    assert not result.is_error, result.content
    out = result.structured_content
    assert out["answer"] == "a: hello there router" and out["model"] == "small"
    assert out["decision"]["model"] == "small" and out["endpoint"].startswith("p@")
    assert 0 < out["ttft_ms"] <= out["total_ms"]
    assert "".join(m for m in progress if m) == out["answer"]
    assert "recorded as turn" in out["memory"]
    calls = await built.memory.recent_tool_calls("sess-1")
    assert calls[0].tool == "dispatch_turn" and calls[0].error is None
    stored = await built.memory.load_messages("sess-1")
    assert [(m.role, m.text) for m in stored] == [
        ("user", "hello there router"),
        ("assistant", out["answer"]),
    ]
    assert stored[1].integrity == "known"


async def test_a_failed_turn_is_recorded_with_its_failure(served):
    built, doubles = served
    doubles["a"].set(malformed=True)
    doubles["b"].set(fail=-1)
    async with Client(build_server(app=built)) as client:
        result = await client.call_tool(
            "dispatch_turn",
            {
                "messages": [{"role": "user", "content": "hello"}],
                "session_id": "sess-2",
                "turn_id": "t1",
                "model": "small",
            },
        )
    assert result.is_error
    text = result.content[0].text
    assert "malformed" in text and "recorded in session 'sess-2'" in text
    calls = await built.memory.recent_tool_calls("sess-2")
    assert calls[0].tool == "dispatch_turn" and "malformed" in calls[0].error
    assert await built.memory.user_texts("sess-2") == ["hello"]


async def test_bad_model_names_are_input_errors(served):
    built, _ = served
    async with Client(build_server(app=built)) as client:
        unknown = await client.call_tool(
            "dispatch_turn", {"messages": [{"role": "user", "content": "hi"}], "model": "gpt-nine"}
        )
        offline = await client.call_tool(
            "dispatch_turn", {"messages": [{"role": "user", "content": "hi"}], "model": "offline"}
        )
    assert unknown.is_error and "model: unknown model 'gpt-nine'" in unknown.content[0].text
    assert offline.is_error and "model 'offline' has no endpoint" in offline.content[0].text


async def test_pool_status_shows_every_endpoint(served):
    built, doubles = served
    async with Client(build_server(app=built)) as client:
        result = await client.call_tool("pool_status", {})
    endpoints = result.structured_content["endpoints"]
    assert [(e["pool"], e["state"]) for e in endpoints] == [("p", "warm"), ("q", "warm")]
    assert endpoints[0]["url"] == doubles["a"].url and endpoints[0]["kv_cache_usage"] == 0.25
