"""Learning from outcomes through a real MCP client, on both backends: ratings given with
record_feedback move route_turn's choice among a route's models, the decision's `learning`
passes the tool's output schema, and a second server on the same database starts with them."""

from __future__ import annotations

import dataclasses

from builders import user
from conftest import StoreFactory
from mcp import Client

from agent_router.app import App
from agent_router.server import build_server

CODE = "def mean(xs): return sum(xs) / len(xs)  # fix the traceback on an empty list"


async def test_ratings_over_mcp_move_the_choice_and_outlive_the_server(app: App, open_store: StoreFactory):
    store = await open_store()
    served = dataclasses.replace(app, memory=store)
    async with Client(build_server(app=served)) as client:
        for n in range(4):
            turn = {"messages": [user(f"{CODE} ({n})")], "session_id": "rated", "turn_id": f"t{n}"}
            decision = (await client.call_tool("route_turn", turn)).structured_content
            assert decision["route"] == "code"
            score = 1 if decision["model"] == "agent-tools" else -1
            rated = await client.call_tool(
                "record_feedback", {"session_id": "rated", "turn_id": f"t{n}", "score": score}
            )
            assert not rated.is_error
        later = await client.call_tool(
            "route_turn", {"messages": [user(CODE)], "session_id": "later", "turn_id": "u1"}
        )
    decision = later.structured_content
    assert not later.is_error and decision["learning"]["applied"] is True
    observed = decision["learning"]["observed"]
    assert sum(sum(counts) for counts in observed.values()) == 4 and observed["coder"][0] == 0
    assert any(r.startswith("learning: ") for r in decision["reasons"])

    restarted = App(app.config, app.encoders, app.router, memory=store)
    await restarted.relearn_model_outcomes()
    assert restarted.outcomes.by_tenant == served.outcomes.by_tenant
