"""successful_tool_uses: the calls that worked, each with the select_tools query that offered
the tool, which tool selection relearns from at start-up."""

from __future__ import annotations

from agent_router.memory import MemoryStore


async def test_successful_calls_pair_with_the_query_that_offered_them(store: MemoryStore, sid: str) -> None:
    await store.record_tool_selection(
        sid, None, "what time is it in Tokyo", [{"server": "time", "name": "get_current_time"}]
    )
    await store.record_tool_call(sid, "time", "get_current_time", {}, result={"content": []}, error=None)
    await store.record_tool_call(sid, "time", "convert_time", {}, result=None, error="timed out")
    await store.record_tool_call(sid, "git", "git_log", {}, result={"content": []}, error=None)  # not offered
    uses = [u for u in await store.successful_tool_uses() if u[0] == "what time is it in Tokyo"]
    assert uses == [("what time is it in Tokyo", "time", "get_current_time")]
