"""GET /healthz and /readyz on the HTTP transport, for load balancers and Kubernetes probes.

Probes carry no keys, so both answer without authentication (custom routes are outside the
SDK's RequireAuthMiddleware) and say nothing but what they are for: /healthz is 200 while the
process serves; /readyz is 200 once the App has started (encoders loaded, memory opened, the
tool catalog synced once) and the memory database answers, else 503 with the names of what is
not ready. A replica whose downstream tool server is down stays ready: taking every replica
out for one tool server would be an outage of routing too."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import App

DATABASE_TIMEOUT_S = 2.0


def register(server: MCPServer, running: Callable[[], App | None]) -> None:
    """`running` gives the App the lifespan holds, None before it has started."""

    @server.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    @server.custom_route("/readyz", methods=["GET"], include_in_schema=False)
    async def readyz(_: Request) -> Response:
        missing = await not_ready(running())
        if missing:
            return JSONResponse({"status": "not ready", "not_ready": missing}, status_code=503)
        return JSONResponse({"status": "ready"})


async def not_ready(app: App | None) -> list[str]:
    """The names of what keeps the App from serving: `starting` (encoders, memory, catalog),
    `database` (configured memory that is off or does not answer)."""
    if app is None or not app.started:
        return ["starting"]
    if not app.config.memory.enabled:
        return []
    if app.memory is None:
        return ["database"]
    with anyio.move_on_after(DATABASE_TIMEOUT_S):
        try:
            await app.memory.database.ping()
            return []
        except Exception:  # noqa: BLE001 - a probe reports, it does not raise
            return ["database"]
    return ["database"]
