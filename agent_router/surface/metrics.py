"""GET /metrics on the HTTP transport: the Prometheus text exposition of the running App."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import Response

from ..app import App
from ..observability import CONTENT_TYPE, Metrics


def register(server: MCPServer, running: Callable[[], App | None]) -> None:
    """`running` gives the App the lifespan holds, None before it has started."""
    idle = Metrics()  # a scrape before start-up gets the metric names, all at zero

    @server.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(_: Request) -> Response:
        app = running()
        if app is None:
            return Response(idle.exposition(), media_type=CONTENT_TYPE)
        endpoints = app.pools.status() if app.pools is not None else []
        return Response(app.metrics.exposition(endpoints), media_type=CONTENT_TYPE)
