"""Issue 16: select_tools says which step of a multi-step request each tool serves, through a
real MCP client, and the steps are part of the tool's output schema."""

from __future__ import annotations

from mcp import Client

from agent_router.app import App
from agent_router.server import build_server

TASK = "Get the weather forecast for Paris tomorrow and then read the packing list file"


async def test_tools_are_grouped_by_the_step_they_serve(tools_app: App) -> None:
    async with Client(build_server(app=tools_app)) as client:
        result = await client.call_tool("select_tools", {"query": TASK, "k": 4})
    assert not result.is_error, result.content
    out = result.structured_content
    assert out["steps"] == ["Get the weather forecast for Paris tomorrow", "read the packing list file"]
    step = {t["name"]: t["step"] for t in out["tools"]}
    assert step["get_forecast"] == 0 and step["read_file"] == 1
    assert all(s is None or 0 <= s < len(out["steps"]) for s in step.values())


async def test_a_one_step_request_has_no_steps(tools_app: App) -> None:
    async with Client(build_server(app=tools_app)) as client:
        result = await client.call_tool("select_tools", {"query": "weather forecast for Paris", "k": 2})
        listed = next(t for t in (await client.list_tools()).tools if t.name == "select_tools")
    out = result.structured_content
    assert out["steps"] == [] and all(t["step"] is None for t in out["tools"])
    assert "steps" in listed.output_schema["properties"]
