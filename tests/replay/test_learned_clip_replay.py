"""A session recorded through the server, with tool learning (successful calls between
selections, after another session taught the live gateway too) and CLIP configured, replays
with every decision exact: replay decides through the core's code on a fork of the live gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from builders import PER_TOOL_RANKING, data_url, demo_tools, noise_photo, user
from mcp import Client
from recordings import TOOLS

from agent_router.app import App, build_gateway, build_safety
from agent_router.config import parse_config
from agent_router.embeddings import AsyncEncoder, ClipEncoder, Encoders
from agent_router.memory import MemoryStore
from agent_router.routing import Router
from agent_router.server import build_server


@pytest_asyncio.fixture(scope="module")
async def learning_app(app: App, tiny_clip_section, tmp_path_factory) -> AsyncIterator[App]:
    data = app.config.model_dump(mode="json")
    data["encoders"]["clip"] = tiny_clip_section
    data["tools"] = demo_tools(TOOLS, tmp_path_factory.mktemp("learned-vectors")) | PER_TOOL_RANKING
    config = parse_config(data)
    tower = ClipEncoder(config.encoders.clip, app.encoders.placement)
    clip = AsyncEncoder(tower, key=lambda image: image.sha256, max_batch=8, cache_size=0)
    encoders = Encoders(app.encoders.placement, app.encoders.text, clip, app.encoders.ocr)
    gateway = build_gateway(config, encoders)
    assert gateway.clip is not None
    await gateway.start()
    folder = tmp_path_factory.mktemp("learned-memory")
    store = await MemoryStore.open(
        config.memory, config.models, encoders.text, encoders.ocr, url=f"sqlite+aiosqlite:///{folder}/m.db"
    )
    built = App(
        config,
        encoders,
        Router(config, encoders),
        tools=gateway,
        safety=build_safety(config, encoders),
        memory=store,
    )
    yield built
    await store.aclose()
    await gateway.aclose()
    clip.close()


async def ok(client: Client, tool: str, arguments: dict) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def select(client: Client, sid: str, query: str, k: int) -> list[str]:
    picked = await ok(client, "select_tools", {"query": query, "session_id": sid, "k": k})
    return [t["name"] for t in picked["tools"]]


async def echo(client: Client, sid: str, text: str) -> None:
    """A successful call of demo/echo, which the session's last selection offered."""
    arguments = {"server": "demo", "name": "echo", "arguments": {"text": text}, "session_id": sid}
    await ok(client, "call_tool", arguments)


async def test_session_with_learning_and_clip_replays_exactly(learning_app: App) -> None:
    """Each selection's order is set by what the gateway learned: the teacher session's call
    lifts echo into the learner's first selection; the learner's own call then lifts it to the
    top. A replay on a fresh index, or on the live one without taking the learner's own
    learning back, gets one of them wrong."""
    async with Client(build_server(app=learning_app)) as client:
        assert "echo" in await select(client, "teacher", "Read the file aloud", 4)
        await echo(client, "teacher", "Read the file aloud")
        photo = {"messages": [user("What is this?", data_url(noise_photo()))], "session_id": "learner"}
        routed = await ok(client, "route_turn", {**photo, "turn_id": "t1"})
        assert routed["signals"]["images"][0]["kind_source"] == "clip zero-shot"
        assert await select(client, "learner", "Read the file aloud", 2) == ["read_file", "echo"]
        first = await select(client, "learner", "Repeat the file contents", 3)
        await echo(client, "learner", "Repeat the file contents")
        second = await select(client, "learner", "Repeat the file contents", 3)
        assert first[-1] == "echo" and second[0] == "echo", (first, second)
        summary = await ok(client, "replay_session", {"session_id": "learner"})
    assert summary["turns_replayed"] == 1 and summary["selections_replayed"] == 3
    assert summary["model_changed"] == summary["route_changed"] == summary["tools_changed"] == 0
    # the turn, three selections, and the safety verdict on the echo call: a session with
    # recorded history has every call traced, and the verdict re-judged from what it recorded
    assert summary["verdicts_replayed"] == 1 and summary["exact"] == 5, summary["problems"]
