"""The real model server: llama.cpp's llama-server serving SmolLM2-135M-Instruct, started by the
pool's command wake (a real cold start: process start and model load) and streamed from."""

from __future__ import annotations

import pytest
from doubles import make_config
from llama_paths import cold_pool, installed_llama
from mcp import Client
from processes import free_port

from agent_router.pools import Dispatcher
from agent_router.server import build_server

pytestmark = pytest.mark.e2e

BINARY, GGUF = installed_llama()


def llama_config():
    url = f"http://127.0.0.1:{free_port()}/v1"
    return make_config([cold_pool(BINARY, GGUF, models=["small"], url=url)])


async def test_a_real_cold_start_then_a_real_stream(app):
    from agent_router.app import App
    from agent_router.routing import Router

    config = llama_config()
    pools = Dispatcher(config)
    await pools.start()
    deltas: list[str] = []

    async def collect(delta: str) -> None:
        deltas.append(delta)

    try:
        assert pools.status()[0].state == "cold"
        turn = [{"role": "user", "content": "Name three colours."}]
        first = await pools.dispatch(turn, ["small"], on_delta=collect, max_tokens=24)
        assert first.woke and first.attempts[0].outcome == "woken"
        assert len(deltas) > 3 and "".join(deltas) == first.answer and first.answer.strip()
        assert first.ttft_ms < first.total_ms
        second = await pools.dispatch(turn, ["small"], max_tokens=8)
        assert not second.woke and second.completion_tokens and second.completion_tokens <= 8
        built = App(config, app.encoders, Router(config, app.encoders), pools=pools)
        async with Client(build_server(app=built)) as client:
            result = await client.call_tool("pool_status", {})
        (shown,) = result.structured_content["endpoints"]
        assert shown["state"] == "warm" and shown["cold_starts_measured"] == 1
        assert shown["cold_start_s"] > 0  # process start plus model load, measured
        assert shown["running"] is not None  # llama-server's /metrics was read
    finally:
        await pools.aclose()
    assert pools.endpoints[0].process is None  # the server the pool started is stopped
