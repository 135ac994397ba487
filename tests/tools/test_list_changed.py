"""A downstream server that adds a tool and sends notifications/tools/list_changed: the gateway
re-lists that server and the new tool becomes selectable and callable."""

from __future__ import annotations

import asyncio

from mcp import Client

from agent_router.app import App


async def test_list_changed_resyncs_the_server(client: Client, gateway_app: App) -> None:
    assert gateway_app.tools is not None
    assert gateway_app.tools.index.get("demo/greet_visitor") is None
    added = await client.call_tool("call_tool", {"server": "demo", "name": "add_greeter"})
    assert added.content[0].text == "added"
    for _ in range(150):  # the re-sync runs in the background once the notification arrives
        if gateway_app.tools.index.get("demo/greet_visitor") is not None:
            break
        await asyncio.sleep(0.2)
    greeted = await client.call_tool(
        "call_tool", {"server": "demo", "name": "greet_visitor", "arguments": {"name": "Ada"}}
    )
    assert greeted.content[0].text == "hello Ada"
    picked = await client.call_tool("select_tools", {"query": "greet a visitor", "k": 3})
    assert "demo/greet_visitor" in [f"{t['server']}/{t['name']}" for t in picked.structured_content["tools"]]
