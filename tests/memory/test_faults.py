"""Faults on the write path: after each, every acknowledged turn is there exactly once, in
order, and the store keeps working."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import event, select

from agent_router.memory import MemoryStore, MemoryUnavailable
from agent_router.memory.schema import TurnRow
from agent_router.turns import parse_messages


def turn(text: str) -> list:
    return parse_messages([{"role": "user", "content": text}])


async def stored_keys(store: MemoryStore, sid: str) -> list[tuple[int, str | None]]:
    async with store._read() as db:
        return list((await db.execute(select(TurnRow.seq, TurnRow.turn_key)
                                      .where(TurnRow.session_id == sid)
                                      .order_by(TurnRow.seq))).all())


async def test_full_sqlite_database_keeps_acknowledged_turns(open_store, databases,
                                                             sid: str) -> None:
    if databases.backend != "sqlite":
        pytest.skip("max_page_count simulates a full disk on SQLite only")
    store = await open_store()
    store.index_in_background = False
    async with store.engine.connect() as conn:
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()

    @event.listens_for(store.engine.sync_engine, "connect")
    def _cap(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.cursor().execute(f"PRAGMA max_page_count={pages + 6}")

    await store.engine.dispose()  # reconnect with the cap
    acknowledged, reason = [], None
    for n in range(200):
        try:
            await store.record_turn(sid, f"t{n}", turn(f"{n} " + "x" * 3000), {"model": "m"})
        except MemoryUnavailable as exc:
            reason = str(exc)
            break
        acknowledged.append(f"t{n}")
    assert reason is not None and "full" in reason
    assert acknowledged, "the cap left no room for a single turn"
    assert await stored_keys(store, sid) == [(i + 1, k) for i, k in enumerate(acknowledged)]


async def test_connection_killed_mid_transaction(open_store, databases, sid: str) -> None:
    if databases.backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    store = await open_store()
    await store.record_turn(sid, "t0", turn("before the fault"), None)
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    blocker = await asyncpg.connect(url)
    lock = blocker.transaction()
    await lock.start()
    await blocker.execute("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", sid)
    writer = asyncio.create_task(store.record_turn(sid, "t1", turn("doomed"), None))
    pid = None
    while pid is None and not writer.done():  # the writer is inside its transaction, waiting
        await asyncio.sleep(0.05)
        pid = await blocker.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
    assert pid is not None
    assert await blocker.fetchval("SELECT pg_terminate_backend($1)", pid)
    with pytest.raises(MemoryUnavailable):
        await writer
    await lock.rollback()
    await blocker.close()
    assert await stored_keys(store, sid) == [(1, "t0")]
    again = await store.record_turn(sid, "t1", turn("after the fault"), None)
    assert (again.seq, again.duplicate) == (2, False)
    assert await stored_keys(store, sid) == [(1, "t0"), (2, "t1")]
