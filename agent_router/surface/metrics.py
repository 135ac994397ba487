"""GET /metrics on the HTTP transport: the Prometheus text exposition of the running App.

Custom routes are outside the SDK's RequireAuthMiddleware, so with authentication on this route
checks for itself that the request carried a valid bearer token: the SDK's authentication
middleware wraps the whole app and has already run the same TokenVerifier on it (a scraper needs
a key or token like any caller, and gets 401 without one)."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import Response

from ..app import App
from ..observability import CONTENT_TYPE, Metrics

UNAUTHORIZED = 'Bearer error="invalid_token", error_description="Authentication required"'


def register(server: MCPServer, running: Callable[[], App | None], *, protected: bool) -> None:
    """`running` gives the App the lifespan holds, None before it has started; `protected`:
    authentication is on and a scrape must prove itself."""
    idle = Metrics()  # a scrape before start-up gets the metric names, all at zero

    @server.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if protected and not isinstance(request.scope.get("user"), AuthenticatedUser):
            return Response(
                '{"error": "invalid_token", "error_description": "Authentication required"}',
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": UNAUTHORIZED},
            )
        app = running()
        if app is None:
            return Response(idle.exposition(), media_type=CONTENT_TYPE)
        endpoints = app.pools.status() if app.pools is not None else []
        return Response(app.metrics.exposition(endpoints), media_type=CONTENT_TYPE)
