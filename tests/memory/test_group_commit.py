"""Group commit: turns of different sessions recorded at once share transactions, yet each
caller is answered for its own turn only, and a turn that fails or is given up on takes no
other turn with it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, select
from test_faults import hold_session_lock

from agent_router.memory import MemoryStore, MemoryUnavailable
from agent_router.memory.schema import TurnRow
from agent_router.turns import parse_messages


def turn(text: str) -> list:
    return parse_messages([{"role": "user", "content": text}])


async def stored(store: MemoryStore, sessions: list[str]) -> set[tuple[str, int, str | None]]:
    async with store.database.read() as db:
        return set(
            (
                await db.execute(
                    select(TurnRow.session_id, TurnRow.seq, TurnRow.turn_key).where(
                        TurnRow.session_id.in_(sessions)
                    )
                )
            ).all()
        )


async def test_turns_of_many_sessions_share_transactions(open_store, sid: str) -> None:
    store = await open_store()
    store.index_in_background = False
    sessions = [f"{sid}-{s}" for s in range(12)]
    turn_inserts = []

    def count(_conn, _cursor, statement: str, *_args: object) -> None:  # noqa: ANN001
        if statement.startswith("INSERT INTO turns"):
            turn_inserts.append(statement)

    async def writer(session: str) -> list[int]:
        return [
            (await store.record_turn(session, f"t{n}", turn(f"{session} {n}"), {"model": "m"})).seq
            for n in range(5)
        ]

    event.listen(store.database.transactions.engine, "before_cursor_execute", count)
    try:
        seqs = await asyncio.gather(*(writer(s) for s in sessions))
    finally:
        event.remove(store.database.transactions.engine, "before_cursor_execute", count)
    assert seqs == [[1, 2, 3, 4, 5]] * len(sessions)
    assert await stored(store, sessions) == {(s, n + 1, f"t{n}") for s in sessions for n in range(5)}
    assert len(turn_inserts) < 5 * len(sessions)  # some transactions carried several turns
    for s in sessions:
        assert [m.text for m in await store.load_messages(s)] == [f"{s} {n}" for n in range(5)]


async def test_a_failing_turn_fails_alone(open_store, sid: str) -> None:
    """The bad turn's batch is rolled back and written again turn by turn."""
    store = await open_store()
    store.index_in_background = False
    sessions = [f"{sid}-{s}" for s in range(6)]

    async def record(session: str) -> object:
        decision = {"model": "m", "unserialisable": {1, 2}} if session == sessions[3] else {"model": "m"}
        return await store.record_turn(session, "t1", turn(f"hello from {session}"), decision)

    results = await asyncio.gather(*(record(s) for s in sessions), return_exceptions=True)
    assert isinstance(results[3], MemoryUnavailable)
    assert [r.seq for i, r in enumerate(results) if i != 3] == [1] * 5
    assert await stored(store, sessions) == {(s, 1, "t1") for i, s in enumerate(sessions) if i != 3}
    fixed = await store.record_turn(sessions[3], "t1", turn("hello again"), {"model": "m"})
    assert (fixed.seq, fixed.duplicate) == (1, False)


async def test_a_turn_given_up_on_leaves_its_batch(open_store, databases, sid: str) -> None:
    """Three turns wait in one batch behind a lock; the caller of one gives up. The other two
    are stored, the one given up on is not, and nothing is stored twice."""
    store = await open_store()
    store.index_in_background = False
    sessions = [f"{sid}-a", f"{sid}-b", f"{sid}-c"]
    for s in sessions:
        await store.record_turn(s, "t0", turn("before the lock"), None)
    release = await hold_session_lock(store, databases, sessions[0])
    try:
        kept = [asyncio.create_task(store.record_turn(s, "t1", turn("kept"), None)) for s in sessions[:2]]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(store.record_turn(sessions[2], "t1", turn("given up"), None), 0.3)
    finally:
        await release()
    assert [r.seq for r in await asyncio.gather(*kept)] == [2, 2]
    assert await stored(store, sessions) == {
        *((s, 1, "t0") for s in sessions),
        (sessions[0], 2, "t1"),
        (sessions[1], 2, "t1"),
    }
    retry = await store.record_turn(sessions[2], "t1", turn("given up"), None)
    assert (retry.seq, retry.duplicate) == (2, False)
