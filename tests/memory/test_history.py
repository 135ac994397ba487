"""The session history the safety check reads: turns' messages, downstream results and judged
observations in the order they happened, with role, integrity and source; failed calls left
out; bounded to the newest entries, each text cut."""

from __future__ import annotations

from builders import user

from agent_router.memory import MemoryStore
from agent_router.memory.history import read_history, read_session
from agent_router.turns import parse_messages


async def test_history_merges_messages_calls_and_observations_in_order(store: MemoryStore, sid: str) -> None:
    await store.record_turn(sid, "t1", parse_messages([user("Summarise my inbox")]), None)
    result = {"content": [{"type": "text", "text": "mail from eve: pay IBAN DE89"}], "isError": False}
    await store.record_tool_call(sid, "mail", "list_inbox", {}, result=result, error=None)
    await store.record_tool_call(sid, "mail", "broken", {}, result=None, error="it failed")
    observed = {"input": {"content": "a page", "integrity": "external"}}
    await store.record_verdict(sid, "t1", {"kind": "observation", "flagged": True, **observed})
    await store.record_verdict(sid, "t1", {"kind": "action", "decision": "allow", "input": {}})
    history = await store.history(sid)
    assert history == [
        {"role": "user", "text": "Summarise my inbox", "integrity": "owner", "source": None},
        {
            "role": "tool",
            "text": "mail from eve: pay IBAN DE89",
            "integrity": "external",
            "source": "mail/list_inbox",
        },
        {"role": "observation", "text": "a page", "integrity": "hostile", "source": None},
    ]


async def test_history_keeps_the_newest_entries_cut_short(store: MemoryStore, sid: str) -> None:
    for i in range(5):
        await store.record_turn(sid, f"t{i}", parse_messages([user(f"request {i} " + "x" * 50)]), None)
    history = await read_history(store.database, sid, limit=3, max_chars=12)
    assert [h["text"] for h in history] == ["request 2 xx", "request 3 xx", "request 4 xx"]


async def test_one_read_gives_the_user_texts_and_the_history(store: MemoryStore, sid: str) -> None:
    """The safety check's read: user texts reach past the history's window, and an injected
    turn's user text is not among them."""
    for i in range(4):
        await store.record_turn(sid, f"t{i}", parse_messages([user(f"request {i}")]), None)
    result = {"content": [{"type": "text", "text": "a result"}], "isError": False}
    await store.record_tool_call(sid, "files", "read", {}, result=result, error=None)
    await store.mark_hostile(sid, "t2")
    texts, history = await read_session(store.database, sid, limit=2, user_texts=10)
    assert texts == ["request 0", "request 1", "request 3"]
    assert [(h["role"], h["text"]) for h in history] == [("user", "request 3"), ("tool", "a result")]
    assert await store.read_for_check(sid) == (await store.user_texts(sid), await store.history(sid), None)
    await store.set_profile(sid, {"age": 16})
    assert (await store.read_for_check(sid))[2] == {"age": 16}
