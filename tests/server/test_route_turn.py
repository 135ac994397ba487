"""route_turn through real MCP client sessions: in process, stdio subprocess, streamable HTTP."""

from __future__ import annotations

import base64

import pytest
from builders import data_url, noise_photo, user
from mcp import Client, StdioServerParameters
from processes import CLI

from agent_router.server import build_server


def in_process(app) -> Client:
    # Opened inside each test: anyio scopes cannot cross the tasks of an async fixture.
    return Client(build_server(app=app))


async def test_route_turn_is_listed_as_safe_to_retry_with_schemas(app):
    async with in_process(app) as client:
        tools = (await client.list_tools()).tools
    (tool,) = [t for t in tools if t.name == "route_turn"]
    assert tool.annotations.destructive_hint is False
    assert tool.annotations.idempotent_hint is True
    assert "messages" in tool.input_schema["properties"]
    assert {"model", "fallbacks", "route", "confidence", "signals", "reasons"} <= set(
        tool.output_schema["properties"]
    )


async def test_route_turn_returns_a_structured_decision(app):
    async with in_process(app) as client:
        result = await client.call_tool(
            "route_turn",
            {
                "messages": [user("Implement a trie with insert and prefix search in Python.")],
                "constraints": {"max_cost_per_mtok": 5},
            },
        )
    assert not result.is_error
    decision = result.structured_content
    assert decision["route"] == "code" and decision["model"] == "coder"
    assert decision["signals"]["constraints"]["max_cost_per_mtok"] == 5
    assert decision["reasons"]


async def test_mcp_image_content_is_accepted(app):
    data = data_url(noise_photo()).split(",", 1)[1]
    async with in_process(app) as client:
        result = await client.call_tool(
            "route_turn",
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image", "data": data, "mimeType": "image/png"}]}
                ]
            },
        )
    assert not result.is_error
    assert result.structured_content["signals"]["image_count"] == 1


@pytest.mark.parametrize(
    ("messages", "field", "words"),
    [
        ([user("x", "data:image/png;base64,@@")], "messages[0].content[1].image_url.url", "base64"),
        (
            [user("x", "data:image/png;base64," + base64.b64encode(b"not an image").decode())],
            "messages[0].content[1].image_url.url",
            "not a readable image",
        ),
        ([{"role": "user", "content": ""}], "messages", "empty"),
        ([], "messages", "non-empty"),
        ([{"role": "wizard", "content": "hi"}], "messages.0.role", "Input should be"),
        ([{"role": "user", "content": [{"type": "video", "url": "x"}]}], "messages.0.content", "video"),
    ],
)
async def test_bad_input_is_a_tool_error_naming_the_field_and_the_server_stays_up(
    app, messages, field, words
):
    async with in_process(app) as client:
        result = await client.call_tool("route_turn", {"messages": messages})
        after = await client.call_tool("route_turn", {"messages": [user("hello")]})
    assert result.is_error
    text = result.content[0].text
    assert field in text and words in text
    assert not after.is_error


async def test_stdio_transport_serves_route_turn():
    params = StdioServerParameters(command=CLI, args=["serve"])
    async with Client(params) as c:
        result = await c.call_tool("route_turn", {"messages": [user("Send an email to Bob.")]})
    assert not result.is_error
    assert result.structured_content["route"] == "tool_use"


async def test_streamable_http_transport_serves_route_turn(http_server):
    async with Client(http_server) as c:
        result = await c.call_tool("route_turn", {"messages": [user("Write a regex for emails.")]})
    assert not result.is_error
    assert result.structured_content["model"] == "coder"
