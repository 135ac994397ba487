"""/healthz and /readyz as a load balancer sees them: no key asked, 200 alive always, ready only
once the App has started and its memory database answers, else 503 naming what is not ready
and nothing else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx

from agent_router.app import App
from agent_router.server import build_server


async def probe(app: App, path: str) -> httpx.Response:
    served = build_server(app=app, http_url="http://127.0.0.1:1/mcp")  # authentication on
    transport = httpx.ASGITransport(app=served.streamable_http_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:1") as http:
        return await http.get(path)


async def test_probes_answer_without_a_key_and_say_what_is_not_ready(
    with_memory: tuple[App, Path],
) -> None:
    app, _ = with_memory
    for state, status, body in (
        (dataclasses.replace(app, started=False), 503, {"status": "not ready", "not_ready": ["starting"]}),
        (
            dataclasses.replace(app, started=True, memory=None),
            503,
            {"status": "not ready", "not_ready": ["database"]},
        ),
        (dataclasses.replace(app, started=True), 200, {"status": "ready"}),
    ):
        alive = await probe(state, "/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "alive"}
        ready = await probe(state, "/readyz")
        assert (ready.status_code, ready.json()) == (status, body)
    refused = await probe(app, "/metrics")  # the other routes still ask for a key
    assert refused.status_code == 401
