"""Outcome-aware selection across a restart: calls that succeeded, as memory recorded them, pull
their tools toward the queries that found them in a gateway that never saw those calls."""

from __future__ import annotations

import uuid

from mcp import Client

from agent_router.app import App
from agent_router.tools.gateway import Gateway


async def test_restarted_gateway_relearns_successful_calls(
    client: Client, gateway_app: App
) -> None:
    session, query = f"s-{uuid.uuid4().hex[:10]}", "which hour is it right now in Osaka"
    picked = await client.call_tool("select_tools", {"query": query, "session_id": session})
    assert "get_current_time" in [t["name"] for t in picked.structured_content["tools"]]
    called = await client.call_tool(
        "call_tool",
        {
            "server": "time",
            "name": "get_current_time",
            "arguments": {"timezone": "Asia/Tokyo"},
            "session_id": session,
        },
    )
    assert not called.is_error
    assert gateway_app.memory is not None and gateway_app.tools is not None
    uses = await gateway_app.memory.successful_tool_uses()
    assert (query, "time", "get_current_time") in uses

    text = gateway_app.encoders.text.encoder
    restarted = Gateway(gateway_app.config.tools, text.encode, text.name)
    restarted.index.rebuild(gateway_app.tools.index.tools, restarted.store, text.encode)
    (vector,) = text.encode([query])

    def score() -> float:
        hits = restarted.index.search(vector, query, 50, servers=["time"])
        return next(h.semantic for h in hits if h.tool.name == "get_current_time")

    before = score()
    assert await restarted.learn(uses) == len(uses)
    assert score() > before
    assert restarted.index.outcomes["time/get_current_time"].count >= 1
