"""Session memory against the issue's targets: append a turn with its decision (SQLite and
PostgreSQL), get_context on a 500-turn session, and sustained writes across 50 sessions on
PostgreSQL with a check that nothing was lost; and what recording costs the caller: route_turn
through an MCP client with and without a session_id, interleaved. Prints a markdown table of
medians.

    .venv/bin/python -m benchmarks.memory_bench

PostgreSQL rows need the server at 127.0.0.1:5432 (trust auth, user postgres); a database is
created for the run and dropped after it."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from mcp import Client
from sqlalchemy import select

from agent_router.app import App, build_app
from agent_router.config import MemorySpec
from agent_router.core.routing import decide_route
from agent_router.core.turn import Turn
from agent_router.memory import MemoryStore
from agent_router.memory.schema import TurnRow
from agent_router.routing import RoutingDecision
from agent_router.server import build_server
from agent_router.turns import parse_messages

from .stats import summary_ms

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
APPENDS = 300
CONTEXT_TURNS = 500
CONTEXT_CALLS = 30
SESSIONS = 50
TURNS_PER_SESSION = 40
ROUTED_TURNS = 150


def user_text(n: int) -> str:
    return (
        f"step {n}: please look at the failing test in module_{n % 37}.py, the traceback "
        f"mentions a KeyError on 'user_{n}' after the cache refresh; what changed?"
    )


async def decision_for(app: App) -> RoutingDecision:
    return await decide_route(app.router, Turn.of_text(user_text(0)))


async def open_store(app: App, url: str) -> MemoryStore:
    store = await MemoryStore.open(
        MemorySpec(), app.config.models, app.encoders.text, app.encoders.ocr, url=url
    )
    store.index_in_background = False  # embeddings are filled off the write path
    return store


async def append_p50(store: MemoryStore, decision: RoutingDecision) -> tuple[float, float]:
    sid = f"bench-{uuid.uuid4().hex[:8]}"
    times = []
    for n in range(APPENDS):
        messages = parse_messages([{"role": "user", "content": user_text(n)}])
        start = time.perf_counter()
        await store.record_turn(sid, f"t{n}", messages, decision)
        times.append(time.perf_counter() - start)
    return summary_ms(times[10:])


async def route_turn_p50(app: App, store: MemoryStore) -> tuple[float, float]:
    """route_turn p50 without and with a session_id, the store as a server runs it (turns
    embedded in the background). Both see each text, alternating which goes first, so the
    encoder's cache favours neither."""
    store.index_in_background = True
    sid = f"route-{uuid.uuid4().hex[:8]}"
    times: dict[bool, list[float]] = {False: [], True: []}
    async with Client(build_server(app=dataclasses.replace(app, memory=store))) as client:
        for n in range(ROUTED_TURNS):
            for recorded in (n % 2 == 0, n % 2 == 1):
                args = {"messages": [{"role": "user", "content": user_text(n)}]}
                if recorded:
                    args |= {"session_id": sid, "turn_id": f"t{n}"}
                start = time.perf_counter()
                result = await client.call_tool("route_turn", args)
                times[recorded].append(time.perf_counter() - start)
                assert not result.is_error, result.content
                await asyncio.sleep(0.02)  # turns arrive apart, as from an agent
    store.index_in_background = False
    return summary_ms(times[False][10:])[0], summary_ms(times[True][10:])[0]


async def context_p50(store: MemoryStore, decision: RoutingDecision, model: str) -> tuple[float, float, str]:
    sid = f"ctx-{uuid.uuid4().hex[:8]}"
    for n in range(CONTEXT_TURNS):
        await store.record_turn(
            sid,
            f"t{n}",
            parse_messages(
                [
                    {"role": "user", "content": user_text(n)},
                    {
                        "role": "assistant",
                        "content": f"the cache key for user_{n} is built before the "
                        "refresh finishes; move the lookup after the await",
                    },
                ]
            ),
            decision,
        )
    await store.index_session(sid)
    times, tier = [], ""
    for _ in range(CONTEXT_CALLS):
        start = time.perf_counter()
        result = await store.get_context(sid, model)
        times.append(time.perf_counter() - start)
        tier = result.tier.value
    p50, p99 = summary_ms(times)
    return p50, p99, tier


async def throughput(store: MemoryStore, decision: RoutingDecision) -> tuple[float, bool]:
    prefix = uuid.uuid4().hex[:6]

    async def writer(s: int) -> None:
        for n in range(TURNS_PER_SESSION):
            await store.record_turn(
                f"{prefix}-{s}",
                f"t{n}",
                parse_messages([{"role": "user", "content": user_text(n)}]),
                decision,
            )

    start = time.perf_counter()
    await asyncio.gather(*(writer(s) for s in range(SESSIONS)))
    rate = SESSIONS * TURNS_PER_SESSION / (time.perf_counter() - start)
    async with store.database.read() as db:
        rows = (
            await db.execute(
                select(TurnRow.session_id, TurnRow.seq, TurnRow.turn_key).where(
                    TurnRow.session_id.like(f"{prefix}-%")
                )
            )
        ).all()
    expected = {(f"{prefix}-{s}", n + 1, f"t{n}") for s in range(SESSIONS) for n in range(TURNS_PER_SESSION)}
    return rate, set(rows) == expected and len(rows) == len(expected)


async def main_async() -> list[tuple[str, str, str]]:
    app = build_app()
    decision = await decision_for(app)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await open_store(app, f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        p50, p99 = await append_p50(sqlite, decision)
        rows.append(("append turn + decision, SQLite", f"{p50:.2f} ms (p99 {p99:.2f})", "<= 3 ms"))
        bare, recorded = await route_turn_p50(app, sqlite)
        rows.append(
            (
                "route_turn without / with session_id, SQLite (MCP client in process)",
                f"{bare:.2f} / {recorded:.2f} ms",
                "(the append's share)",
            )
        )
        for model in ("small-chat", "coder"):
            p50, p99, tier = await context_p50(sqlite, decision, model)
            rows.append(
                (
                    f"get_context 500 turns, SQLite, {model} ({tier})",
                    f"{p50:.1f} ms (p99 {p99:.1f})",
                    "<= 25 ms",
                )
            )
        await sqlite.aclose()
    name = f"ar_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        pg = await open_store(app, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
        p50, p99 = await append_p50(pg, decision)
        rows.append(("append turn + decision, PostgreSQL", f"{p50:.2f} ms (p99 {p99:.2f})", "<= 5 ms"))
        p50, p99, tier = await context_p50(pg, decision, "small-chat")
        rows.append(
            (
                f"get_context 500 turns, PostgreSQL, small-chat ({tier})",
                f"{p50:.1f} ms (p99 {p99:.1f})",
                "<= 25 ms",
            )
        )
        rate, complete = await throughput(pg, decision)
        rows.append(
            (
                f"turns/s, {SESSIONS} sessions x {TURNS_PER_SESSION}, PostgreSQL",
                f"{rate:.0f}/s, {'no loss' if complete else 'LOSS'}",
                ">= 500/s, no loss",
            )
        )
        await pg.aclose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        app.close()
    return rows


def main() -> None:
    rows = asyncio.run(main_async())
    print("| measure | median | target |\n|---|---|---|")
    for measure, value, target in rows:
        print(f"| {measure} | {value} | {target} |")


if __name__ == "__main__":
    main()
