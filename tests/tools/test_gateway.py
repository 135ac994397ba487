"""select_tools and call_tool through a real MCP client session, over real downstream servers."""

from __future__ import annotations

import asyncio
import json

import mcp_types as types
import pytest
from builders import challenge_in
from mcp import Client

from agent_router.app import App


async def select(client: Client, **arguments) -> dict:
    result = await client.call_tool("select_tools", arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_catalog_lists_every_source(gateway_app: App) -> None:
    keys = {t.key for t in gateway_app.tools.index.tools}
    assert {
        "time/get_current_time",
        "time/convert_time",
        "git/git_status",
        "git/git_log",
        "fetch/fetch",
        "demo/echo",
        "demo-http/echo",
        "billing/send_invoice",
        "weather/get_forecast",
    } <= keys
    git_status = gateway_app.tools.index.get("git/git_status")
    assert "repo_path" in git_status.input_schema["properties"]
    assert gateway_app.tools.index.get("demo/delete_records").hints.is_destructive
    assert gateway_app.tools.index.get("demo/echo").hints.read_only
    # The file's BFCL/OpenAI shape became JSON Schema.
    assert gateway_app.tools.index.get("weather/get_forecast").input_schema["type"] == "object"


async def test_server_that_speaks_no_mcp_is_reported_not_fatal(gateway_app: App) -> None:
    garbage = gateway_app.tools.downstream["garbage"]
    assert not garbage.connected
    assert garbage.last_error


async def test_select_finds_the_right_tool(client: Client) -> None:
    out = await select(client, query="what is the current time", k=3)
    assert out["tools"][0]["name"] == "get_current_time"
    first = out["tools"][0]
    assert first["definition"]["inputSchema"]["properties"]["timezone"]
    assert first["definition"]["annotations"]["readOnlyHint"] is True
    assert first["score"] >= out["tools"][1]["score"]
    # Top five, the figure the selector is held to: in the top three git_log and git_diff_staged
    # are 0.003 apart, and ONNX Runtime's int8 kernels round differently on CPUs with and
    # without VNNI, enough to swap them.
    out = await select(client, query="show the commit history of the repository", k=5)
    assert "git/git_log" in [f"{t['server']}/{t['name']}" for t in out["tools"]]


async def test_select_from_messages_and_by_server(client: Client) -> None:
    messages = [
        {"role": "system", "content": "you are helpful"},
        {"role": "user", "content": "download the web page at example.com as markdown"},
    ]
    out = await select(client, messages=messages, k=2)
    assert out["tools"][0]["name"] == "fetch"
    only = await select(client, query="what time is it", k=5, servers=["demo"])
    assert only["tools"] and {t["server"] for t in only["tools"]} == {"demo"}


async def test_select_respects_token_budget(client: Client) -> None:
    full = await select(client, query="git repository changes", k=5)
    assert full["tokens"] == sum(t["tokens"] for t in full["tools"])
    budget = full["tools"][0]["tokens"] + 1
    small = await select(client, query="git repository changes", k=5, max_tokens=budget)
    assert small["tokens"] <= budget
    assert len(small["tools"]) < len(full["tools"])
    assert small["over_budget"]


async def test_denied_tools_are_never_selected(client: Client) -> None:
    out = await select(client, query="git reset: unstage all staged changes", k=20, servers=["git"])
    assert "git_reset" not in {t["name"] for t in out["tools"]}
    result = await client.call_tool(
        "call_tool", {"server": "git", "name": "git_reset", "arguments": {"repo_path": "."}}
    )
    assert result.is_error and "deny" in result.content[0].text


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"query": "   "}, "query"),
        ({}, "query"),
        ({"query": "time", "servers": ["nope"]}, "servers[0]"),
        ({"query": "x", "messages": [{"role": "user", "content": "y"}]}, "query"),
        ({"messages": [{"role": "robot", "content": "y"}]}, "messages.0.role"),
    ],
)
async def test_select_bad_input_names_the_field(client: Client, arguments: dict, field: str) -> None:
    result = await client.call_tool("select_tools", arguments)
    assert result.is_error
    assert field in result.content[0].text


async def test_call_forwards_and_returns_result_unchanged(client: Client, gateway_app: App) -> None:
    via_router = await client.call_tool(
        "call_tool",
        {
            "server": "time",
            "name": "convert_time",
            "arguments": {
                "source_timezone": "UTC",
                "time": "12:00",
                "target_timezone": "Asia/Tokyo",
            },
        },
    )
    assert not via_router.is_error
    direct = await gateway_app.tools.downstream["time"].call(
        "convert_time",
        {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
        10,
    )
    assert via_router.content == direct.content
    assert json.loads(via_router.content[0].text)["target"]["timezone"] == "Asia/Tokyo"


async def test_call_over_http_with_image_and_structured_content(client: Client) -> None:
    image = await client.call_tool(
        "call_tool", {"server": "demo-http", "name": "red_square", "arguments": {"size": 4}}
    )
    assert not image.is_error
    assert isinstance(image.content[0], types.ImageContent)
    assert image.content[0].mime_type == "image/png"
    summed = await client.call_tool(
        "call_tool",
        {"server": "demo-http", "name": "add_numbers", "arguments": {"numbers": [1, 2, 3.5]}},
    )
    assert summed.structured_content == {"total": 6.5, "count": 3}


async def test_git_server_reads_the_repository(client: Client, git_repo) -> None:
    log = await client.call_tool(
        "call_tool", {"server": "git", "name": "git_log", "arguments": {"repo_path": str(git_repo)}}
    )
    assert not log.is_error
    assert "first commit" in log.content[0].text


@pytest.mark.parametrize(
    "arguments, needle",
    [
        ({"server": "nowhere", "name": "echo"}, "unknown server 'nowhere'"),
        ({"server": "demo", "name": "ech"}, "unknown tool 'ech'"),
        (
            {"server": "demo", "name": "echo", "arguments": {"times": 2}},
            "'text' is a required property",
        ),
        (
            {"server": "demo", "name": "echo", "arguments": {"text": "a", "times": "x"}},
            "arguments.times",
        ),
        ({"server": "billing", "name": "send_invoice"}, "nothing to forward the call to"),
        (
            {"server": "demo", "name": "delete_records", "arguments": {"table": "t"}},
            "confirmation: '",
        ),
    ],
)
async def test_call_bad_input_is_a_clear_error(client: Client, arguments: dict, needle: str) -> None:
    result = await client.call_tool("call_tool", arguments)
    assert result.is_error
    assert needle in result.content[0].text


async def test_destructive_call_goes_through_when_confirmed(client: Client) -> None:
    call = {"server": "demo", "name": "delete_records", "arguments": {"table": "t"}}
    asked = await client.call_tool("call_tool", call)
    result = await client.call_tool(
        "call_tool", {**call, "confirmation": challenge_in(asked.content[0].text)}
    )
    assert not result.is_error
    assert result.content[0].text == "deleted all records of t"


async def test_hung_server_times_out_and_router_stays_up(client: Client) -> None:
    result = await client.call_tool("call_tool", {"server": "demo", "name": "hang"})
    assert result.is_error
    assert "'demo' timed out" in result.content[0].text
    echo = await client.call_tool(
        "call_tool", {"server": "demo-http", "name": "echo", "arguments": {"text": "still here"}}
    )
    assert echo.content[0].text == "still here"


async def test_crashed_server_is_reported_and_reconnected(client: Client, gateway_app: App) -> None:
    before = await client.call_tool("call_tool", {"server": "demo", "name": "pid"})
    connects = gateway_app.tools.downstream["demo"].connects
    crashed = await client.call_tool("call_tool", {"server": "demo", "name": "crash"})
    assert crashed.is_error
    assert "'demo' went away" in crashed.content[0].text
    for _ in range(100):  # the supervisor restarts the server in the background
        if gateway_app.tools.downstream["demo"].connects > connects:
            break
        await asyncio.sleep(0.2)
    after = await client.call_tool("call_tool", {"server": "demo", "name": "pid"})
    assert not after.is_error
    assert after.content[0].text != before.content[0].text


async def test_unavailable_server_call_names_it(client: Client) -> None:
    result = await client.call_tool("call_tool", {"server": "garbage", "name": "anything"})
    assert result.is_error
    assert "garbage" in result.content[0].text
