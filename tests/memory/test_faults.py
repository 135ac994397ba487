"""Faults on the write path: after each, every acknowledged turn is there exactly once, in
order, and the store keeps working."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest
from sqlalchemy import event, select

from agent_router.memory import MemoryStore, MemoryUnavailable
from agent_router.memory.schema import TurnRow
from agent_router.turns import parse_messages


def turn(text: str) -> list:
    return parse_messages([{"role": "user", "content": text}])


async def stored_keys(store: MemoryStore, sid: str) -> list[tuple[int, str | None]]:
    async with store.database.read() as db:
        return list(
            (
                await db.execute(
                    select(TurnRow.seq, TurnRow.turn_key)
                    .where(TurnRow.session_id == sid)
                    .order_by(TurnRow.seq)
                )
            ).all()
        )


async def test_full_sqlite_database_keeps_acknowledged_turns(open_store, databases, sid: str) -> None:
    if databases.backend != "sqlite":
        pytest.skip("max_page_count simulates a full disk on SQLite only")
    store = await open_store()
    store.index_in_background = False
    async with store.engine.connect() as conn:
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()

    @event.listens_for(store.database.transactions.engine, "connect")
    def _cap(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.cursor().execute(f"PRAGMA max_page_count={pages + 6}")

    store.database.transactions.engine.dispose()  # the writer reconnects with the cap
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
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
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


async def test_connections_the_server_closed_are_replaced(open_store, databases, sid: str) -> None:
    """A restart or an administrator closes the pool's idle connections: the next write and
    read open new ones instead of failing on the dead ones."""
    if databases.backend != "postgresql":
        pytest.skip("SQLite has no server to close connections")
    store = await open_store()
    store.index_in_background = False
    await asyncio.gather(
        *(store.record_turn(f"{sid}-{n}", "t0", turn("warm the pool"), None) for n in range(8))
    )
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(url)
    try:
        closed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert closed > 0
    await asyncio.sleep(0.2)  # the event loop hears of the closed sockets
    again = await store.record_turn(sid, "t1", turn("after the restart"), None)
    assert (again.seq, again.duplicate) == (1, False)
    assert [m["content"] for m in (await store.get_context(sid, "small-chat")).messages] == [
        "after the restart"
    ]


async def hold_session_lock(store: MemoryStore, databases, sid: str):  # noqa: ANN001, ANN201
    """Another client holding the lock a write of `sid` needs; returns its release."""
    url = store.engine.url
    if databases.backend == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")

        async def release_sqlite() -> None:
            holder.execute("ROLLBACK")
            holder.close()

        return release_sqlite
    blocker = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    lock = blocker.transaction()
    await lock.start()
    await blocker.execute("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", sid)

    async def release_pg() -> None:
        await lock.rollback()
        await blocker.close()

    return release_pg


async def test_a_write_its_caller_gave_up_on_is_not_stored(open_store, databases, sid: str) -> None:
    """route_turn stops waiting after write_timeout_s and answers 'not recorded': the write it
    abandoned must not land later, or the decision would have lied."""
    store = await open_store()
    store.index_in_background = False
    await store.record_turn(sid, "t0", turn("before the lock"), None)
    release = await hold_session_lock(store, databases, sid)
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(store.record_turn(sid, "t1", turn("given up on"), None), 0.3)
    finally:
        await release()
    after = await store.record_turn(sid, "t2", turn("after the lock"), None)
    assert (after.seq, after.duplicate) == (2, False)
    assert await stored_keys(store, sid) == [(1, "t0"), (2, "t2")]
    retry = await store.record_turn(sid, "t1", turn("given up on"), None)
    assert (retry.seq, retry.duplicate) == (3, False)
