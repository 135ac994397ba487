"""The core's selection decision on a fork of the gateway: learning on the fork (a successful
call of an offered tool) moves its ranking there and leaves the live gateway as it was."""

from __future__ import annotations

from agent_router.app import App
from agent_router.core.caller import Caller
from agent_router.core.tool_selection import ToolRequest, decide_tools, select_tools

QUERY = ToolRequest("Repeat the file contents")


async def names(gateway, app: App, session_id: str, k: int = 3) -> list[str]:
    picked = await decide_tools(gateway, app.encoders.text, QUERY, k=k, session_id=session_id)
    return [t.name for t in picked.tools]


async def test_a_fork_learns_alone(tools_app: App) -> None:
    live = tools_app.tools
    assert live is not None
    before = await names(live, tools_app, "live-1", k=5)
    assert "echo" in before and before[0] != "echo"
    fork = live.fork()
    assert await names(fork, tools_app, "replay-1", k=5) == before
    assert fork.learn_call("replay-1", "demo/echo")
    assert not fork.learn_call("nobody", "demo/echo")  # no offer in that session: nothing learned
    assert (await names(fork, tools_app, "replay-1", k=5))[0] == "echo"
    assert await names(live, tools_app, "live-1", k=5) == before


def selections_counted(app: App) -> float:
    lines = app.metrics.exposition().decode().splitlines()
    return sum(float(x.split()[-1]) for x in lines if x.startswith("agent_router_tool_selections_total"))


async def test_select_tools_counts_and_records_the_selection(with_memory) -> None:
    built, _ = with_memory
    before = selections_counted(built)
    result = await select_tools(built, Caller(), query="echo my words", k=2, session_id="sel-1")
    assert selections_counted(built) == before + 1
    assert result.memory == "selection recorded"
    assert built.memory is not None
    events = (await built.memory.transcript("sel-1"))["events"]
    recorded = [e for e in events if e["event"] == "tool_selection"]
    assert [t["name"] for t in recorded[0]["selected"]] == [t.name for t in result.tools]
