"""Memory through real MCP client sessions: route_turn records, the memory tools and resources
read it, and a database that is down or locked never stops route_turn from answering."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest
from builders import user
from mcp import Client
from sqlalchemy.engine import make_url

from agent_router.app import App
from agent_router.config import MemorySpec
from agent_router.memory import MemoryStore
from agent_router.server import build_server


def client_for(app: App, store: MemoryStore | None, down: str | None = None) -> Client:
    return Client(build_server(app=dataclasses.replace(app, memory=store, memory_down=down)))


async def route(client: Client, text: str, **memory: str) -> dict:
    result = await client.call_tool("route_turn", {"messages": [user(text)], **memory})
    assert not result.is_error, result.content
    return result.structured_content


async def test_route_turn_records_once_and_tools_read_it(app: App, store: MemoryStore, sid: str) -> None:
    async with client_for(app, store) as client:
        first = await route(
            client,
            "Write a Python function that reverses a linked list.",
            session_id=sid,
            turn_id="t1",
            agent_id="coder-bot",
        )
        retry = await route(
            client,
            "Write a Python function that reverses a linked list.",
            session_id=sid,
            turn_id="t1",
            agent_id="coder-bot",
        )
        await route(client, "Now add type hints to it.", session_id=sid, turn_id="t2")
        assert first["memory"] == f"recorded as turn 1 of session {sid!r}"
        assert retry["memory"].startswith("already recorded as turn 1")
        assert f"memory: {first['memory']}" in first["reasons"]

        context = await client.call_tool("get_context", {"session_id": sid, "model": "coder"})
        assert context.structured_content["tier"] == "full"
        assert [m["content"] for m in context.structured_content["messages"]] == [
            "Write a Python function that reverses a linked list.",
            "Now add type hints to it.",
        ]

        hits = await client.call_tool("recall", {"query": "linked list", "session_id": sid, "k": 1})
        assert hits.structured_content["result"][0]["turn_id"] == "t1"

        feedback = await client.call_tool(
            "record_feedback", {"session_id": sid, "turn_id": "t1", "score": 1, "comment": "right"}
        )
        assert not feedback.is_error

        resource = await client.read_resource(f"session://{sid}")
        transcript = json.loads(resource.contents[0].text)
        assert [t["turn_id"] for t in transcript["turns"]] == ["t1", "t2"]
        assert transcript["turns"][0]["decision"]["model"] == first["model"]
        assert transcript["events"][0]["event"] == "feedback"

        recent = json.loads((await client.read_resource("sessions://recent")).contents[0].text)
        assert sid in [s["id"] for s in recent]

        forgot = await client.call_tool("forget_session", {"session_id": sid})
        assert forgot.structured_content["deleted"]["turns"] == 2
        gone = await client.call_tool("get_context", {"session_id": sid, "model": "coder"})
        assert gone.is_error and "session_id: no session" in gone.content[0].text


async def test_bad_memory_input_is_a_tool_error_naming_the_field(app: App, store: MemoryStore) -> None:
    async with client_for(app, store) as client:
        bad = await client.call_tool(
            "route_turn", {"messages": [user("hi")], "session_id": "no spaces allowed"}
        )
        orphan = await client.call_tool("route_turn", {"messages": [user("hi")], "turn_id": "t1"})
        score = await client.call_tool("record_feedback", {"session_id": "x", "turn_id": "y", "score": 7})
    assert bad.is_error and "session_id: use 1-200 characters" in bad.content[0].text
    assert orphan.is_error and "turn_id: a turn_id needs a session_id" in orphan.content[0].text
    assert score.is_error and "score" in score.content[0].text


async def test_memory_down_at_start_leaves_route_turn_answering(app: App, sid: str) -> None:
    broken = dataclasses.replace(
        app,
        memory=None,
        memory_down=None,
        config=app.config.model_copy(
            update={"memory": MemorySpec(url="postgresql+asyncpg://postgres@127.0.0.1:1/none")}
        ),
    )
    await broken.open_memory()
    assert broken.memory is None and broken.memory_down
    async with Client(build_server(app=broken)) as client:
        decision = await route(client, "Summarise this paragraph for me.", session_id=sid)
    assert decision["model"]
    assert decision["memory"] == f"not recorded: memory is off ({broken.memory_down})"


async def test_locked_database_times_out_and_route_turn_still_answers(
    app: App, open_store, databases, sid: str
) -> None:
    if databases.backend != "sqlite":
        pytest.skip("a whole-database lock is SQLite's; PostgreSQL faults are in test_faults")
    store = await open_store(write_timeout_s=0.5)
    locked_app = dataclasses.replace(app, config=app.config.model_copy(update={"memory": store.spec}))
    path = make_url(str(store.engine.url)).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        async with client_for(locked_app, store) as client:
            decision = await route(client, "What is the capital of France?", session_id=sid, turn_id="t1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert decision["model"]
    assert decision["memory"] == "not recorded: the database did not answer within 0.5s"
    async with client_for(locked_app, store) as client:
        again = await route(client, "What is the capital of France?", session_id=sid, turn_id="t1")
    assert again["memory"] == f"recorded as turn 1 of session {sid!r}"
