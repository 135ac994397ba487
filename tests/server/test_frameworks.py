"""Agent frameworks as real MCP clients of the router."""

from __future__ import annotations

import json

from agents.mcp import MCPServerStdio, MCPServerStreamableHttp
from builders import user
from processes import CLI


async def test_openai_agents_sdk_over_stdio_lists_and_calls_route_turn():
    async with MCPServerStdio(
        params={"command": CLI, "args": ["serve"]},
        use_structured_content=True,
        client_session_timeout_seconds=120,
    ) as server:
        names = [t.name for t in await server.list_tools()]
        assert "route_turn" in names
        result = await server.call_tool("route_turn", {"messages": [user("Fix this TypeError in my loop.")]})
    assert not result.is_error
    decision = result.structured_content or json.loads(result.content[0].text)
    assert decision["route"] == "code"


async def test_openai_agents_sdk_over_streamable_http(http_server):
    async with MCPServerStreamableHttp(
        params={"url": http_server}, client_session_timeout_seconds=60
    ) as server:
        text = "Reserve a table for two at an Italian place tonight at eight."
        result = await server.call_tool("route_turn", {"messages": [user(text)]})
    decision = result.structured_content or json.loads(result.content[0].text)
    assert decision["route"] == "tool_use"
