"""Replicas follow each other's learning: a call that succeeded through one replica (its
select_tools and call_tool there) teaches another replica's ranking once that replica reads
memory (core/following.py), and the replica that learned it at once does not learn it twice."""

from __future__ import annotations

import uuid

from mcp import Client

from agent_router.app import App
from agent_router.core.following import catch_up
from agent_router.memory import seen_now
from agent_router.tools.gateway import Gateway


def other_replica(gateway_app: App) -> App:
    """Another process on the same database: its own gateway and index, nothing learned."""
    text = gateway_app.encoders.text.encoder
    gateway = Gateway(gateway_app.config.tools, text.encode, text.name)
    assert gateway_app.tools is not None
    gateway.index.rebuild(gateway_app.tools.index.tools, gateway.store, text.encode)
    return App(
        gateway_app.config, gateway_app.encoders, gateway_app.router, tools=gateway, memory=gateway_app.memory
    )


async def test_a_call_through_one_replica_teaches_the_others_once(client: Client, gateway_app: App) -> None:
    assert gateway_app.memory is not None
    replica = other_replica(gateway_app)
    assert replica.tools is not None
    seen = await seen_now(gateway_app.memory.database)
    session, query = f"s-{uuid.uuid4().hex[:10]}", "what is the clock showing in Reykjavik"
    await client.call_tool("select_tools", {"query": query, "session_id": session})
    called = await client.call_tool(
        "call_tool",
        {
            "server": "time",
            "name": "get_current_time",
            "arguments": {"timezone": "Atlantic/Reykjavik"},
            "session_id": session,
        },
    )
    assert not called.is_error

    (vector,) = gateway_app.encoders.text.encoder.encode([query])

    def score() -> float:
        hits = replica.tools.index.search(vector, query, 50, servers=["time"])  # type: ignore[union-attr]
        return next(h.semantic for h in hits if h.tool.name == "get_current_time")

    before = score()
    learned, after = await catch_up(replica, seen)
    assert learned == 1 and after.call_id > seen.call_id
    assert score() > before
    assert (await catch_up(replica, after))[0] == 0  # read once
    assert (await catch_up(gateway_app, seen))[0] == 0  # learned at once where it was called
