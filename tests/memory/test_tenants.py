"""Sessions of tenants on each backend: keys that keep two tenants' same session id apart,
listing, recall and export within one tenant, tool outcomes read back with their tenant, and the
per-tenant storage quota that refuses a turn whole."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from builders import user
from sqlalchemy import func, select

from agent_router.errors import InputError
from agent_router.memory import MemoryStore, recorded_outcomes
from agent_router.memory.ids import KEY_LENGTH, check_key, session_id_of, session_key, split_key
from agent_router.memory.quota import QUOTA_FIELD, stored_bytes
from agent_router.memory.schema import MessageRow, SessionRow
from agent_router.memory.transcript import export_lines, import_events, parse_lines
from agent_router.turns import parse_messages


def tenant() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def msgs(*texts: str) -> list:
    return parse_messages([user(t) for t in texts])


def test_keys_scope_ids_to_their_tenant() -> None:
    assert session_key("local", "s1") == "s1"  # databases from before tenants keep working
    assert session_key("acme", "s1") == "acme#s1"
    assert split_key("acme#s1") == ("acme", "s1") and split_key("s1") == ("local", "s1")
    assert session_id_of(session_key("acme", "a:b/c")) == "a:b/c"
    with pytest.raises(InputError, match="session_id"):
        session_key("acme", "globex#s1")  # no id a caller gives can name another tenant's key
    longest = KEY_LENGTH - len("acme#")
    assert len(session_key("acme", "x" * longest)) == KEY_LENGTH
    with pytest.raises(InputError, match=f"session_id: use at most {longest} characters"):
        session_key("acme", "x" * (longest + 1))
    with pytest.raises(InputError, match="session_id"):
        check_key("a#b#c")


async def test_two_tenants_with_the_same_session_id_have_separate_sessions(
    store: MemoryStore, sid: str
) -> None:
    acme, globex = tenant(), tenant()
    await store.record_turn(session_key(acme, sid), "t1", msgs("acme's card is 4111"), None)
    await store.record_turn(session_key(globex, sid), "t1", msgs("globex says hello"), None)
    first = await store.transcript(session_key(acme, sid))
    second = await store.transcript(session_key(globex, sid))
    assert first["tenant"] == acme and second["tenant"] == globex
    assert [m["text"] for t in first["turns"] for m in t["messages"]] == ["acme's card is 4111"]
    assert [m["text"] for t in second["turns"] for m in t["messages"]] == ["globex says hello"]
    async with store.database.read() as db:
        tenants = dict((await db.execute(select(SessionRow.id, SessionRow.tenant))).all())
    assert tenants[session_key(acme, sid)] == acme and tenants[session_key(globex, sid)] == globex
    with pytest.raises(InputError, match=f"no session '{sid}'"):  # errors show the caller's id
        await store.transcript(session_key(tenant(), sid))


async def test_listing_and_recall_stay_within_the_tenant(store: MemoryStore, sid: str) -> None:
    acme, globex = tenant(), tenant()
    agent = f"agent-{sid}"
    await store.record_turn(
        session_key(acme, sid), None, msgs("the invoice total is 481.20"), None, agent_id=agent
    )
    await store.record_turn(
        session_key(globex, sid + "b"), None, msgs("the invoice total is 999.99"), None, agent_id=agent
    )
    listed = await store.list_sessions(50, tenant=acme)
    assert [s.id for s in listed] == [session_key(acme, sid)]
    assert session_key(globex, sid + "b") not in {s.id for s in await store.list_sessions(50, tenant=acme)}
    await store.index_session(session_key(acme, sid))
    await store.index_session(session_key(globex, sid + "b"))
    hits = await store.recall("invoice total", agent_id=agent, tenant=acme, k=10)
    assert [h.session_id for h in hits] == [session_key(acme, sid)]
    assert "999.99" not in " ".join(h.text for h in hits)
    assert await store.recall("invoice total", agent_id=agent, tenant=tenant(), k=10) == []


async def test_export_carries_the_tenant_and_filters_by_it(open_store) -> None:  # noqa: ANN001
    source, target = await open_store(), await open_store()
    await source.record_turn(session_key("acme", "s1"), "t1", msgs("acme only"), None)
    await source.record_turn("s1", "t1", msgs("the local user"), None)
    lines = [line async for line in export_lines(source.database, tenant="acme")]
    events = parse_lines(lines)
    assert [(e["id"], e["tenant"]) for e in events if e["event"] == "session"] == [("acme#s1", "acme")]
    assert await import_events(target.database, events) == ["acme#s1"]
    assert [s.id for s in await target.list_sessions(10, tenant="acme")] == ["acme#s1"]
    assert [line async for line in export_lines(target.database)] == lines  # round trip, tenant kept
    forged = parse_lines([lines[0].replace('"tenant": "acme"', '"tenant": "globex"')])
    with pytest.raises(InputError, match="stored under tenant 'acme'"):
        await import_events(target.database, forged)


async def test_tool_outcomes_are_read_back_with_their_tenant(store: MemoryStore, sid: str) -> None:
    acme = tenant()
    key = session_key(acme, sid)
    query = f"what time is it in Lima {sid}"
    await store.record_turn(key, "t1", msgs(query), None)
    await store.record_tool_selection(key, "t1", query, [{"server": "time", "name": "get_current_time"}])
    await store.record_tool_call(key, "time", "get_current_time", {}, result={"ok": True}, error=None)
    await store.record_feedback(key, "t1", 1.0)
    mine = [o for o in await recorded_outcomes(store.database) if o.query == query]
    assert len(mine) == 2 and {o.tenant for o in mine} == {acme}


async def test_a_turn_over_the_tenant_quota_is_refused_and_nothing_is_stored(
    open_store,  # noqa: ANN001
) -> None:
    store = await open_store(tenant_quota_bytes=400)
    acme, globex = session_key("acme", "s1"), session_key("globex", "s1")
    await store.record_turn(acme, "t1", msgs("a" * 150), None)  # 300 bytes counted
    assert await stored_bytes(store.database, "acme") == 300
    with pytest.raises(InputError, match=f"{QUOTA_FIELD}: tenant 'acme' stores 300 of 400 bytes"):
        await store.record_turn(acme, "t2", msgs("b" * 60), None)
    async with store.database.read() as db:
        count = await db.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.session_id == acme)
        )
    assert count == 1
    assert (await store.transcript(acme))["turns"][-1]["turn_id"] == "t1"
    await store.record_turn(globex, "t1", msgs("c" * 150), None)  # another tenant has its own
    await store.record_turn(session_key("acme", "s2"), "t1", msgs("d" * 40), None)  # 80 more fit
    with pytest.raises(InputError, match="stores 380 of 400"):
        await store.record_turn(acme, "t3", msgs("e" * 20), None)
    await store.forget_session(acme)  # forgetting frees the tenant's bytes
    await store.record_turn(acme, "t4", msgs("f" * 150), None)
    assert await stored_bytes(store.database, "acme") == 380


async def test_the_cli_lists_and_exports_one_tenant(store: MemoryStore, databases, sid: str) -> None:  # noqa: ANN001
    if databases.backend != "sqlite":
        pytest.skip("the flags are the same for every backend; one run of the CLI is enough")
    acme, globex = tenant(), tenant()
    await store.record_turn(session_key(acme, sid), "t1", msgs("acme's turn"), None)
    await store.record_turn(session_key(globex, sid), "t1", msgs("globex's turn"), None)
    url = store.engine.url.render_as_string(hide_password=False)
    cli = str(Path(sys.executable).parent / "agent-router")

    def run(*args: str) -> str:
        done = subprocess.run(
            [cli, "sessions", *args, "--db", url], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("list", "--tenant", acme).split("\t")[0] == session_key(acme, sid)
    exported = run("export", "--tenant", acme, "--session", sid)
    assert "acme's turn" in exported and "globex's turn" not in exported
    everything = run("export", "--tenant", globex)
    assert "globex's turn" in everything and "acme's turn" not in everything


async def test_replicas_see_each_others_bytes_once_their_figure_is_read_again(
    open_store,  # noqa: ANN001
    databases,  # noqa: ANN001
) -> None:
    """Each replica keeps the tenant's usage and reads it again after quota.REFRESH_S: until
    then a tenant may go over by what other replicas stored, never by more."""
    url = await databases.new()
    one = await open_store(url, tenant_quota_bytes=400)
    two = await open_store(url, tenant_quota_bytes=400)
    t = tenant()
    await two.record_turn(session_key(t, "s2"), "t1", msgs("a" * 10), None)  # two reads: 20 bytes
    await one.record_turn(session_key(t, "s1"), "t1", msgs("b" * 150), None)  # 300 through one
    await two.record_turn(session_key(t, "s2"), "t2", msgs("c" * 50), None)  # two still counts 20
    assert await stored_bytes(two.database, t) == 420
    two.quota.refresh_s = 0  # its figure has aged: read again
    with pytest.raises(InputError, match="stores 420 of 400"):
        await two.record_turn(session_key(t, "s2"), "t3", msgs("d"), None)
