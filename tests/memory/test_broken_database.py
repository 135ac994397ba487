"""A broken database behind an open store: every public method, and the transcript functions,
answer MemoryUnavailable saying what happened (or, where the database still serves them, their
result), never a raw driver error; once the database is back, the store works again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import event

from agent_router.memory import MemoryStore, MemoryUnavailable
from agent_router.memory.transcript import export_lines, import_events
from agent_router.turns import parse_messages

Call = Callable[[MemoryStore, str], Awaitable[object]]


def turn(text: str) -> list:
    return parse_messages([{"role": "user", "content": text}])


async def _export(store: MemoryStore, sid: str) -> list[str]:
    return [line async for line in export_lines(store.database, [sid])]


async def _import(store: MemoryStore, sid: str) -> list[str]:
    event = {
        "event": "session",
        "_line": 1,
        "id": f"{sid}-imported",
        "agent_id": None,
        "created_at": "2026-01-01T00:00:00",
        "updated_at": "2026-01-01T00:00:00",
        "metadata": {},
        "external_chars": 0,
        "history_digest": "",
    }
    return await import_events(store.database, [event])


# Calls that write, and calls that only read; the session `sid` has turn t1, embedded already,
# when they run, so index_session and enforce_retention find nothing to write.
WRITES: dict[str, Call] = {
    "record_turn": lambda s, sid: s.record_turn(sid, "t2", turn("written while broken"), None),
    "record_tool_selection": lambda s, sid: s.record_tool_selection(sid, None, "the time", []),
    "record_tool_call": lambda s, sid: s.record_tool_call(sid, "time", "now", {}, result={}, error=None),
    "record_verdict": lambda s, sid: s.record_verdict(sid, "t1", {"action": "block"}),
    "record_feedback": lambda s, sid: s.record_feedback(sid, "t1", 1.0),
    "mark_hostile": lambda s, sid: s.mark_hostile(sid, "t1"),
    "forget_session": lambda s, sid: s.forget_session(sid),
    "import_events": _import,
}
READS: dict[str, Call] = {
    "enforce_retention": lambda s, sid: s.enforce_retention(),
    "index_session": lambda s, sid: s.index_session(sid),
    "check_turn": lambda s, sid: s.check_turn(sid, "t1"),
    "recent_tool_calls": lambda s, sid: s.recent_tool_calls(sid),
    "user_texts": lambda s, sid: s.user_texts(sid),
    "successful_tool_uses": lambda s, sid: s.successful_tool_uses(),
    "list_sessions": lambda s, sid: s.list_sessions(),
    "load_messages": lambda s, sid: s.load_messages(sid),
    "transcript": lambda s, sid: s.transcript(sid),
    "get_context": lambda s, sid: s.get_context(sid, "small-chat"),
    "recall": lambda s, sid: s.recall("seabirds", session_id=sid),
    "export_lines": _export,
}


async def unavailable(store: MemoryStore, sid: str, calls: dict[str, Call]) -> dict[str, str]:
    """The message of each call that raised MemoryUnavailable; the others returned. Any other
    error fails the test."""
    found = {}
    for name, call in calls.items():
        try:
            await call(store, sid)
        except MemoryUnavailable as exc:
            found[name] = str(exc)
    return found


def assert_unavailable(found: dict[str, str], calls: set[str], saying: str) -> None:
    assert set(found) == calls
    assert all(saying in message for message in found.values()), found


async def prepared(open_store, sid: str) -> MemoryStore:  # noqa: ANN001
    """A store with a session, a turn of it embedded and retention to enforce."""
    store = await open_store(max_turns_per_session=50)
    store.index_in_background = False
    await store.record_turn(sid, "t1", turn("the lighthouse keeper counts seabirds"), None)
    await store.index_session(sid)
    return store


async def works(store: MemoryStore, sid: str) -> None:
    """Every call answers again (forget last: it removes the session)."""
    assert await unavailable(store, sid, READS) == {}
    assert await unavailable(store, sid, {n: c for n, c in WRITES.items() if n != "forget_session"}) == {}
    assert (await store.forget_session(sid))["sessions"] == 1


def sqlite_files(store: MemoryStore) -> list[Path]:
    path = Path(store.engine.url.database)
    return [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))]


async def test_file_overwritten_with_garbage(open_store, databases, sid: str) -> None:
    if databases.backend != "sqlite":
        pytest.skip("a database file is SQLite's")
    store = await prepared(open_store, sid)
    files = [f for f in sqlite_files(store) if f.exists()]
    saved = {f: f.read_bytes() for f in files}
    for f in files:  # in place, as another program writing over it would
        with open(f, "r+b") as handle:
            handle.write(os.urandom(max(len(saved[f]), 4096)))
    found = await unavailable(store, sid, {**WRITES, **READS})
    assert_unavailable(found, {*WRITES, *READS}, "file is not a database")
    for f, data in saved.items():
        with open(f, "r+b") as handle:
            handle.write(data)
            handle.truncate(len(data))
    await works(store, sid)


async def test_read_only_database(open_store, databases, sid: str) -> None:
    """Writes fail saying so; reads still answer."""
    store = await prepared(open_store, sid)
    async with read_only(store, databases.backend):
        found = await unavailable(store, sid, {**WRITES, **READS})
    assert_unavailable(found, set(WRITES), "read-only" if databases.backend == "postgresql" else "readonly")
    await works(store, sid)


async def test_path_that_is_a_directory(open_store, databases, sid: str) -> None:
    if databases.backend != "sqlite":
        pytest.skip("a database file is SQLite's")
    store = await prepared(open_store, sid)
    files = [f for f in sqlite_files(store) if f.exists()]
    for f in files:
        f.rename(f.with_name(f.name + ".away"))
    files[0].mkdir()
    # Connections opened before keep the moved file; the ones opened from now on find the folder.
    await close_sqlite_connections(store)
    found = await unavailable(store, sid, {**WRITES, **READS})
    assert_unavailable(found, {*WRITES, *READS}, "unable to open database file")
    files[0].rmdir()
    for f in files:
        f.with_name(f.name + ".away").rename(f)
    await works(store, sid)


async def test_opening_a_directory(open_store, databases, tmp_path: Path) -> None:
    if databases.backend != "sqlite":
        pytest.skip("a database file is SQLite's")
    (tmp_path / "memory.db").mkdir()
    with pytest.raises(MemoryUnavailable, match="unable to open database file"):
        await open_store(url=f"sqlite+aiosqlite:///{tmp_path / 'memory.db'}")


async def test_database_down(open_store, databases, sid: str) -> None:
    """PostgreSQL refusing connections (the database closed to them, the pool's connections
    ended), then open again."""
    if databases.backend != "postgresql":
        pytest.skip("SQLite has no server to go down")
    store = await prepared(open_store, sid)
    async with pg_admin(store) as admin:
        name = store.engine.url.database
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await close_connections(admin, name)
        try:
            found = await unavailable(store, sid, {**WRITES, **READS})
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert_unavailable(found, {*WRITES, *READS}, "not currently accepting connections")
    await works(store, sid)


async def close_sqlite_connections(store: MemoryStore) -> None:
    await store.engine.dispose()
    store.database.transactions.engine.dispose()
    store.database.reads.engine.dispose()


@asynccontextmanager
async def pg_admin(store: MemoryStore) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server's postgres database, beside the store's."""
    url = store.engine.url.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        yield admin
    finally:
        await admin.close()


async def close_connections(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )
    await asyncio.sleep(0.2)  # the event loop hears of the closed sockets


@asynccontextmanager
async def read_only(store: MemoryStore, backend: str) -> AsyncIterator[None]:
    """The database refuses writes until the block ends. SQLite: every connection opened
    meanwhile is query_only, which fails writes as a read-only file does (the tests may run as
    root, whom file modes do not stop). PostgreSQL: the database's transactions default to
    read-only, and the connections opened before are closed."""
    if backend == "sqlite":
        engines = [store.engine.sync_engine, store.database.transactions.engine]

        def refuse_writes(dbapi_connection, _record) -> None:  # noqa: ANN001
            dbapi_connection.execute("PRAGMA query_only=ON")

        for engine in engines:
            event.listen(engine, "connect", refuse_writes)
        await close_sqlite_connections(store)
        try:
            yield
        finally:
            for engine in engines:
                event.remove(engine, "connect", refuse_writes)
            await close_sqlite_connections(store)
        return
    async with pg_admin(store) as admin:
        name = store.engine.url.database
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await close_connections(admin, name)
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await close_connections(admin, name)
