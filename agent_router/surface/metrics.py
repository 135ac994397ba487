"""GET /metrics on the HTTP transport: the Prometheus text exposition of the running App.

Custom routes are outside the SDK's RequireAuthMiddleware, so with authentication on this route
checks for itself that the request carried a valid bearer token with the required scopes: the
SDK's authentication middleware wraps the whole app and has already run the same TokenVerifier
on it (a scraper needs a key or token like any caller: 401 without one, 403 without a scope)."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import App
from ..observability import CONTENT_TYPE, Metrics


def register(
    server: MCPServer, running: Callable[[], App | None], *, required_scopes: list[str] | None
) -> None:
    """`running` gives the App the lifespan holds, None before it has started;
    `required_scopes`: None where authentication is off, else what a scrape's token must have."""
    idle = Metrics()  # a scrape before start-up gets the metric names, all at zero

    @server.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if required_scopes is not None:
            refused = _refusal(request, required_scopes)
            if refused is not None:
                return refused
        app = running()
        if app is None:
            return Response(idle.exposition(), media_type=CONTENT_TYPE)
        endpoints = app.pools.status() if app.pools is not None else []
        return Response(app.metrics.exposition(endpoints), media_type=CONTENT_TYPE)


def _refusal(request: Request, required_scopes: list[str]) -> Response | None:
    """The SDK's answers to a request without a verified token, or without a scope."""
    if not isinstance(request.scope.get("user"), AuthenticatedUser):
        return _auth_error(401, "invalid_token", "Authentication required")
    granted = request.scope["auth"].scopes
    for scope in required_scopes:
        if scope not in granted:
            return _auth_error(403, "insufficient_scope", f"Required scope: {scope}")
    return None


def _auth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"WWW-Authenticate": f'Bearer error="{error}", error_description="{description}"'},
    )
