"""Issue 16: select_tools takes any string as its query, JSON-looking text included, through a
real client (the SDK reads JSON-looking strings as JSON for arguments not typed `str`)."""

from __future__ import annotations

import pytest
from mcp import Client

from agent_router.app import App
from agent_router.server import build_server


@pytest.mark.parametrize("query", ['{"city": "Paris"}', "[1, 2]", "null", "42", '"quoted"'])
async def test_json_looking_query_is_taken_as_text(tools_app: App, query: str) -> None:
    async with Client(build_server(app=tools_app)) as client:
        result = await client.call_tool("select_tools", {"query": query, "k": 2})
    assert not result.is_error, result.content
    assert result.structured_content["query"] == query


async def test_no_query_and_null_query_still_ask_for_one(tools_app: App) -> None:
    async with Client(build_server(app=tools_app)) as client:
        missing = await client.call_tool("select_tools", {"k": 2})
        null = await client.call_tool("select_tools", {"query": None, "k": 2})
        schema = next(t for t in (await client.list_tools()).tools if t.name == "select_tools").input_schema
    for result in (missing, null):
        assert result.is_error and "give query (text) or messages" in result.content[0].text
    assert {"type": "string"} in schema["properties"]["query"]["anyOf"]
