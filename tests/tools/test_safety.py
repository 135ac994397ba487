"""The safety policy over tool selection and calls: a blocked server's tools are never selected
nor called, destructive tools go through the safety check, and what it decided is recorded."""

from __future__ import annotations

import uuid

from builders import challenge_in
from mcp import Client

from agent_router.app import App
from agent_router.server import build_server


def sid() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


async def keys(client: Client, **arguments) -> list[str]:
    result = await client.call_tool("select_tools", arguments)
    assert not result.is_error, result.content
    return [f"{t['server']}/{t['name']}" for t in result.structured_content["tools"]]


async def test_blocked_server_is_never_selected(client: Client) -> None:
    query = {"query": "repeat the text back", "k": 20}
    assert "demo-http/echo" in await keys(client, **query)
    restricted = await keys(client, **query, agent_id="restricted")
    assert "demo/echo" in restricted  # the same tool on a server that is not blocked
    assert not [k for k in restricted if k.startswith("demo-http/")]


async def test_blocked_server_call_is_refused_even_confirmed(client: Client, gateway_app: App) -> None:
    session = sid()
    call = {
        "server": "demo-http",
        "name": "echo",
        "arguments": {"text": "hi"},
        "agent_id": "restricted",
        "session_id": session,
    }
    refused = await client.call_tool("call_tool", call)
    assert refused.is_error
    assert "the safety policy refuses demo-http/echo" in refused.content[0].text
    assert "policy.blocked_server" in refused.content[0].text
    assert gateway_app.memory is not None
    (recorded,) = await gateway_app.memory.recent_tool_calls(session)
    assert recorded.tool == "echo" and "refuses" in (recorded.error or "")
    allowed = await client.call_tool("call_tool", {**call, "agent_id": None})
    assert allowed.content[0].text == "hi"


async def test_destructive_call_asks_the_safety_question(client: Client, gateway_app: App) -> None:
    session = sid()
    call = {
        "server": "demo",
        "name": "delete_records",
        "arguments": {"table": "orders"},
        "session_id": session,
    }
    asked = await client.call_tool("call_tool", call)
    assert asked.is_error
    text = asked.content[0].text
    assert "confirm" in text and "delete_records" in text and "Allow it?" in text
    done = await client.call_tool("call_tool", {**call, "confirmation": challenge_in(text)})
    assert done.content[0].text == "deleted all records of orders"
    assert gateway_app.memory is not None
    events = (await gateway_app.memory.transcript(session))["events"]
    verdicts = [e["verdict"]["decision"] for e in events if e["event"] == "verdict"]
    assert verdicts == ["confirm", "allow"]
    calls = [e["error"] is None for e in events if e["event"] == "tool_call"]
    assert calls == [False, True]


async def test_without_a_checker_the_annotation_decides(gateway_app: App) -> None:
    bare = App(gateway_app.config, gateway_app.encoders, gateway_app.router, tools=gateway_app.tools)
    async with Client(build_server(app=bare)) as client:
        call = {"server": "demo", "name": "delete_records", "arguments": {"table": "t"}}
        asked = await client.call_tool("call_tool", call)
        assert asked.is_error and "marked destructive" in asked.content[0].text
        done = await client.call_tool(
            "call_tool", {**call, "confirmation": challenge_in(asked.content[0].text)}
        )
        assert not done.is_error
        echoed = await client.call_tool(
            "call_tool",
            {
                "server": "demo-http",
                "name": "echo",
                "arguments": {"text": "x"},
                "agent_id": "restricted",
            },
        )
        assert echoed.content[0].text == "x"  # no checker, no policy to block it
