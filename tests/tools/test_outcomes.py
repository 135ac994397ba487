"""Outcome-aware selection from memory: calls that succeeded pull their tools toward the queries
that found them, feedback on a turn weights the tools that turn used, across a restart."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest
from mcp import Client

from agent_router.app import App
from agent_router.config import MemorySpec
from agent_router.config.tools import ToolsSpec
from agent_router.memory import MemoryStore, ToolOutcome, feedback_outcomes, recorded_outcomes
from agent_router.tools.catalog import ToolEntry, from_definition
from agent_router.tools.gateway import Gateway
from agent_router.turns import parse_messages


async def test_restarted_gateway_relearns_successful_calls(client: Client, gateway_app: App) -> None:
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
    assert restarted.index.learning().outcomes["time/get_current_time"].count >= 1


async def test_feedback_through_mcp_is_learned_at_once(client: Client, gateway_app: App) -> None:
    session, query = f"s-{uuid.uuid4().hex[:10]}", "tell me the current time in Lisbon"
    await client.call_tool(
        "route_turn",
        {"messages": [{"role": "user", "content": query}], "session_id": session, "turn_id": "t1"},
    )
    await client.call_tool("select_tools", {"query": query, "session_id": session})
    called = await client.call_tool(
        "call_tool",
        {
            "server": "time",
            "name": "get_current_time",
            "arguments": {"timezone": "Europe/Lisbon"},
            "session_id": session,
        },
    )
    assert not called.is_error
    assert gateway_app.tools is not None
    outcomes = gateway_app.tools.index.learning().outcomes
    before = outcomes["time/get_current_time"].count if "time/get_current_time" in outcomes else 0
    scored = await client.call_tool(
        "record_feedback", {"session_id": session, "turn_id": "t1", "score": -1.0}
    )
    assert not scored.is_error
    assert outcomes["time/get_current_time"].count == before + 1


async def test_feedback_on_a_turn_weights_the_tools_it_called_or_was_offered(
    tmp_path: Path, app: App
) -> None:
    store = await MemoryStore.open(MemorySpec(), url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        sid = "s-feedback"
        osaka, paris, meet = "what time is it in Osaka", "3pm Tokyo in Paris time", "a meeting slot"
        offered = [{"server": "time", "name": n} for n in ("get_current_time", "convert_time")]
        for turn, text in (("t1", osaka), ("t2", paris), ("t3", meet)):
            await store.record_turn(sid, turn, parse_messages([{"role": "user", "content": text}]), None)
            await store.record_tool_selection(sid, None, text, offered)
            if turn == "t1":
                await store.record_tool_call(sid, "time", "get_current_time", {}, result={"c": 1}, error=None)
                await store.record_tool_call(sid, "time", "convert_time", {}, result=None, error="timed out")
            if turn == "t2":
                await store.record_tool_call(sid, "time", "convert_time", {}, result={"c": 2}, error=None)
        await store.record_feedback(sid, "t1", 1.0)
        await store.record_feedback(sid, "t2", -1.0)
        await store.record_feedback(sid, "t3", 0.5)  # nothing called: the offered tools

        feedback = await feedback_outcomes(store.database)
        assert feedback == [
            ToolOutcome(osaka, "time", "get_current_time", 1.0),  # the failed call is not praised
            ToolOutcome(paris, "time", "convert_time", -1.0),
            ToolOutcome(meet, "time", "convert_time", 0.5),
            ToolOutcome(meet, "time", "get_current_time", 0.5),
        ]
        assert await feedback_outcomes(store.database, sid, "t2") == [feedback[1]]
        recorded = await recorded_outcomes(store.database)
        assert ToolOutcome(paris, "time", "convert_time", 1.0) in recorded  # the call itself worked
        assert set(feedback) <= set(recorded)

        text = app.encoders.text.encoder
        gateway = Gateway(ToolsSpec(cache_dir=tmp_path, outcome_rate=0.5), text.encode, text.name)
        gateway.index.rebuild(time_tools(), gateway.store, text.encode)
        (vector,) = text.encode([paris])
        before = semantic(gateway, vector, paris)
        assert await gateway.learn(recorded) == len(recorded)
        after = semantic(gateway, vector, paris)
        # Blame cancels the successful call on the same query: what is left is t3's praise.
        praised_only = Gateway(ToolsSpec(cache_dir=tmp_path, outcome_rate=0.5), text.encode, text.name)
        praised_only.index.rebuild(time_tools(), praised_only.store, text.encode)
        await praised_only.learn([u for u in recorded if u.query != paris])
        assert np.isclose(
            after["convert_time"], semantic(praised_only, vector, paris)["convert_time"], atol=1e-5
        )
        assert after["get_current_time"] != before["get_current_time"]
    finally:
        await store.aclose()


async def test_blame_pushes_a_tool_away_from_the_query(tmp_path: Path, app: App) -> None:
    text = app.encoders.text.encoder
    gateway = Gateway(ToolsSpec(cache_dir=tmp_path, outcome_rate=0.5), text.encode, text.name)
    gateway.index.rebuild(time_tools(), gateway.store, text.encode)
    query = "what time is it in Osaka"
    (vector,) = text.encode([query])
    before = semantic(gateway, vector, query)
    await gateway.learn([ToolOutcome(query, "time", "get_current_time", -1.0)])
    after = semantic(gateway, vector, query)
    assert after["get_current_time"] < before["get_current_time"]
    assert after["convert_time"] == before["convert_time"]


def time_tools() -> list[ToolEntry]:
    return [
        from_definition(
            {"name": "get_current_time", "description": "Current time in a time zone"}, "time", "t"
        ),
        from_definition({"name": "convert_time", "description": "Convert a time between zones"}, "time", "t"),
    ]


def semantic(gateway: Gateway, vector: np.ndarray, query: str) -> dict[str, float]:
    return {r.tool.name: r.semantic for r in gateway.index.search(vector, query, 10)}


async def test_a_repeated_request_shows_what_learning_added(client: Client, gateway_app: App) -> None:
    """After a successful call, the same request in another session lifts the tool by the
    repeat weight, and in its own session by the session's recent use as well; the selection
    says so in each tool's boost."""
    spec = gateway_app.config.tools
    query = "what is the local time in Nairobi"

    async def boosts(session: str) -> dict[str, float]:
        picked = await client.call_tool("select_tools", {"query": query, "session_id": session})
        return {t["name"]: t["boost"] for t in picked.structured_content["tools"]}

    first = f"s-{uuid.uuid4().hex[:10]}"
    assert all(b == 0 for b in (await boosts(first)).values())
    called = await client.call_tool(
        "call_tool",
        {
            "server": "time",
            "name": "get_current_time",
            "arguments": {"timezone": "Africa/Nairobi"},
            "session_id": first,
        },
    )
    assert not called.is_error
    again = await boosts(first)
    assert again["get_current_time"] == pytest.approx(spec.session_boost + spec.repeat_weight, abs=1e-3)
    elsewhere = await boosts(f"s-{uuid.uuid4().hex[:10]}")
    assert elsewhere["get_current_time"] == pytest.approx(spec.repeat_weight, abs=1e-3)
