"""Tool selections and calls name the turn they belong to: given, or the session's latest turn at
the time of the write; export and import carry it; a database from before it keeps its calls."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from builders import user
from sqlalchemy.ext.asyncio import AsyncSession

from agent_router.errors import InputError
from agent_router.memory import MemoryStore
from agent_router.memory.engine import create_engine
from agent_router.memory.migrate import current_revision, upgrade
from agent_router.memory.schema import Base, ToolSelectionRow
from agent_router.memory.transcript import export_lines, import_events, parse_lines
from agent_router.replay.sessions import read_lines
from agent_router.turns import parse_messages

EXAMPLES = Path(__file__).parents[2] / "examples" / "sessions"


async def turn(store: MemoryStore, sid: str, turn_id: str) -> None:
    """A turn of its own text: a turn that only repeats the stored history stores nothing."""
    await store.record_turn(sid, turn_id, parse_messages([user(f"ask {turn_id}")]), None)


async def call_turns(store: MemoryStore, sid: str) -> list[str | None]:
    return [c.turn_id for c in await store.recent_tool_calls(sid)]


async def selection_turns(store: MemoryStore, sid: str) -> list[str | None]:
    async with AsyncSession(store.engine) as db:
        return list(
            (
                await db.scalars(
                    sa.select(ToolSelectionRow.turn_key)
                    .where(ToolSelectionRow.session_id == sid)
                    .order_by(ToolSelectionRow.id)
                )
            ).all()
        )


async def test_an_omitted_turn_is_the_latest_one_when_written(store: MemoryStore, sid: str) -> None:
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 0}, error=None)  # no turn yet
    await turn(store, sid, "t1")
    await store.record_tool_selection(sid, None, "the time", [{"server": "time", "name": "now"}])
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 1}, error=None)
    await turn(store, sid, "t2")
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 2}, error=None, turn_id="t1")
    await store.record_tool_selection(sid, "t1", "the time", [])
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 3}, error=None)
    assert await call_turns(store, sid) == [None, "t1", "t1", "t2"]
    assert await selection_turns(store, sid) == ["t1", "t1"]


async def test_a_turn_the_session_lacks_is_refused_and_nothing_is_stored(
    store: MemoryStore, sid: str
) -> None:
    await turn(store, sid, "t1")
    await store.check_turn(sid, "t1")
    for record in (
        store.record_tool_call(sid, "time", "now", {}, result=None, error=None, turn_id="t9"),
        store.record_tool_selection(sid, "t9", "the time", []),
        store.check_turn(sid, "t9"),
    ):
        with pytest.raises(InputError, match=r"^turn_id: session '.*' has no turn 't9'"):
            await record
    assert await store.recent_tool_calls(sid) == []
    assert await selection_turns(store, sid) == []
    nobody = f"{sid}-never"
    with pytest.raises(InputError, match="turn_id"):
        await store.record_tool_call(nobody, "time", "now", {}, result=None, error=None, turn_id="t1")
    assert nobody not in [s.id for s in await store.list_sessions(limit=1000)]


async def test_export_and_import_keep_a_calls_turn(store: MemoryStore, open_store, sid: str) -> None:
    await turn(store, sid, "t1")
    await turn(store, sid, "t2")
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 1}, error=None, turn_id="t1")
    await store.record_tool_call(sid, "time", "now", {}, result={"t": 2}, error=None)
    exported = [line async for line in export_lines(store.database, [sid])]
    events = [json.loads(line) for line in exported]
    assert [e["turn_id"] for e in events if e["event"] == "tool_call"] == ["t1", "t2"]
    other = await open_store()
    assert await import_events(other.database, parse_lines(exported)) == [sid]
    assert await call_turns(other, sid) == ["t1", "t2"]
    assert [line async for line in export_lines(other.database, [sid])] == exported
    loaded = read_lines(exported)
    assert [c.turn_id for c in loaded.sessions[0].calls] == ["t1", "t2"]

    # An export from before calls named their turn imports them with none.
    older = [
        {k: v for k, v in e.items() if not (e["event"] == "tool_call" and k == "turn_id")} for e in events
    ]
    older[0]["id"] = f"{sid}-older"
    third = await open_store()
    assert await import_events(third.database, parse_lines(json.dumps(e) for e in older)) == [f"{sid}-older"]
    assert await call_turns(third, f"{sid}-older") == [None, None]


async def test_recorded_example_sessions_still_load_and_import(open_store) -> None:
    target = await open_store()
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        lines = path.read_text().splitlines()
        loaded = read_lines(lines, path.name)
        assert not loaded.problems and not [p for s in loaded.sessions for p in s.problems]
        imported = await import_events(target.database, parse_lines(lines))
        for session in loaded.sessions:
            assert session.id in imported
            recorded = [c.turn_id for c in session.calls]
            # Recorded by today's server, so each call names its turn, and the import keeps it.
            assert all(recorded), path.name
            assert sorted(await call_turns(target, session.id)) == sorted(recorded)


async def test_a_database_at_0002_upgrades_in_place_keeping_its_calls(databases, open_store) -> None:
    url = await databases.new()
    engine = create_engine(url)
    try:
        await upgrade(engine, "0002")
        created = datetime(2026, 11, 1, 12, 0, 0)
        sessions = sa.table(
            "sessions",
            *(
                sa.column(c)
                for c in (
                    "id",
                    "agent_id",
                    "turn_count",
                    "message_count",
                    "external_chars",
                    "history_digest",
                    "generation",
                )
            ),
            sa.column("created_at", sa.DateTime),
            sa.column("updated_at", sa.DateTime),
            sa.column("metadata", sa.JSON),
        )
        calls = sa.table(
            "tool_calls",
            sa.column("session_id"),
            sa.column("server"),
            sa.column("tool"),
            sa.column("arguments", sa.JSON),
            sa.column("result", sa.JSON),
            sa.column("error"),
            sa.column("created_at", sa.DateTime),
        )
        async with engine.begin() as conn:
            await conn.execute(
                sessions.insert().values(
                    id="old",
                    agent_id=None,
                    turn_count=0,
                    message_count=0,
                    external_chars=0,
                    history_digest="",
                    generation="g",
                    created_at=created,
                    updated_at=created,
                    metadata={},
                )
            )
            await conn.execute(
                calls.insert().values(
                    session_id="old",
                    server="time",
                    tool="now",
                    arguments={"tz": "UTC"},
                    result={"t": 1},
                    error=None,
                    created_at=created,
                )
            )
        await upgrade(engine)
        assert await current_revision(engine) == "0005"
        async with engine.connect() as conn:
            drift = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert drift == []  # the migrated schema is the one the models describe
    (kept,) = await (await open_store(url)).recent_tool_calls("old")
    assert (kept.server, kept.tool, kept.arguments, kept.created_at, kept.turn_id) == (
        "time",
        "now",
        {"tz": "UTC"},
        created,
        None,
    )


async def test_an_offer_for_images_alone_teaches_no_query(store: MemoryStore, sid: str) -> None:
    """select_tools on a turn of images alone (CLIP) records a blank query: a call of its tool
    must not be learned as a success for the blank text, nor for an older offer's text."""
    tool = f"now-{sid}"  # the store is shared: this session's tool alone
    await turn(store, sid, "t1")
    offered = [{"server": "time", "name": tool}]
    await store.record_tool_selection(sid, None, "what time is it", offered)
    await store.record_tool_call(sid, "time", tool, {}, result={"t": 1}, error=None)
    await turn(store, sid, "t2")
    await store.record_tool_selection(sid, None, "", offered)
    await store.record_tool_call(sid, "time", tool, {}, result={"t": 2}, error=None)
    uses = [use for use in await store.successful_tool_uses() if use[1:] == ("time", tool)]
    assert [use[0] for use in uses] == ["what time is it"]
