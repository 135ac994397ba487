"""dispatch_turn with session memory whose SQLite file was destroyed while the server ran: the
turn is still routed, answered and returned, and its `memory` says nothing was recorded."""

from __future__ import annotations

from pathlib import Path

from builders import destroy_sqlite
from doubles import Double, fast_pool, make_config
from mcp import Client

from agent_router.app import App
from agent_router.memory import MemoryStore
from agent_router.pools import Dispatcher
from agent_router.routing import Router
from agent_router.server import build_server


async def test_dispatch_turn_answers_with_a_destroyed_database(
    app: App, fresh: dict[str, Double], tmp_path: Path
) -> None:
    path = tmp_path / "m.db"
    config = make_config(
        [fast_pool("p", ["small"], [fresh["a"].url]), fast_pool("q", ["big"], [fresh["b"].url])],
        memory={"url": f"sqlite+aiosqlite:///{path}"},
    )
    pools = Dispatcher(config)
    await pools.start()
    memory = await MemoryStore.open(config.memory, config.models, app.encoders.text, app.encoders.ocr)
    built = App(config, app.encoders, Router(config, app.encoders), memory=memory, pools=pools)
    try:
        async with Client(build_server(app=built)) as client:
            destroy_sqlite(path)
            await memory.engine.dispose()
            result = await client.call_tool(
                "dispatch_turn",
                {
                    "messages": [{"role": "user", "content": "hello there"}],
                    "session_id": "s1",
                    "turn_id": "t1",
                },
            )
    finally:
        await pools.aclose()
    assert not result.is_error, result.content
    out = result.structured_content
    assert out["answer"] == "a: hello there"
    assert out["memory"].startswith("not recorded: the database"), out["memory"]
    assert "outcome not recorded" in out["memory"]
