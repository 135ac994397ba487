"""The MCP server: one MCPServer whose lifespan holds the App, with tools from surface/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import Tool

from . import endpoints
from .app import App, build_app
from .auth import KeyVerifier, http_auth
from .collector import release_start_up, settle_start_up
from .config import RouterConfig, default_config
from .core.following import start_following
from .core.session_writes import drain_writes
from .errors import RouterError
from .memory.keys import ApiKeys
from .surface import memory, metrics, pools, probes, replay, routing, safety, tools
from .surface.schemas import without_refs

INSTRUCTIONS = (
    "agent-router sits between an agent and its models. route_turn picks the model for a turn "
    "and explains why; dispatch_turn also sends it. select_tools returns the few tools that fit "
    "a turn and call_tool forwards a call. check_action and check_observation judge what the "
    "agent is about to do or has just read. Pass session_id to keep the session in memory "
    "(get_context, recall). Turns are chat messages; images are data URLs or MCP image content "
    "(file paths only for the machine's own user). A confirm verdict carries a challenge: repeat "
    "the same action with it once the user agrees."
)


class RouterServer(MCPServer[App]):
    """Lists its tools with self-contained output schemas (surface/schemas.py), computed once
    per schema, so that the client's check of every result resolves no references."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._inlined: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    async def list_tools(self) -> list[Tool]:
        return [
            tool
            if tool.output_schema is None
            else tool.model_copy(update={"output_schema": self._inline(tool.output_schema)})
            for tool in await super().list_tools()
        ]

    def _inline(self, schema: dict[str, Any]) -> dict[str, Any]:
        known = self._inlined.get(id(schema))
        if known is None or known[0] is not schema:
            known = self._inlined[id(schema)] = (schema, without_refs(schema))
        return known[1]


def build_server(
    config: RouterConfig | None = None, app: App | None = None, *, http_url: str | None = None
) -> RouterServer:
    """A server for a config, or around an App already built (tests share one across servers).
    `http_url`: the URL `serve --http` answers at; with it every MCP request and /metrics need
    a bearer token as the config's auth section says (in process and on stdio none is asked:
    the caller is the machine's own user). Raises ConfigError for auth that cannot work."""
    running: list[App] = [] if app is None else [app]  # what /metrics and the key check read

    def keys() -> ApiKeys | None:
        memory = running[-1].memory if running else None
        return None if memory is None else memory.keys

    guard = None
    if http_url is not None:
        settings = config if config is not None else app.config if app is not None else default_config()
        guard = http_auth(settings.auth, url=http_url, keys=keys, memory_enabled=settings.memory.enabled)
    keys_checked = guard is not None and isinstance(guard.verifier, KeyVerifier)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[App]:
        if app is not None:
            yield app
            return
        built = await anyio.to_thread.run_sync(build_app, config)
        running.append(built)
        following = None
        try:
            await built.start()
            if keys_checked and built.memory is None:
                raise RouterError(
                    "auth.mode keys checks API keys in the memory database, which did not open "
                    f"({built.memory_down}); fix memory.url or use mode jwt"
                )
            settle_start_up()
            following = await start_following(built)
            yield built
        finally:
            if following is not None:
                following.cancel()
            running.remove(built)
            await drain_writes()  # model calls already answered keep their records
            await built.aclose()
            release_start_up()

    # Kept here because tools announces changes of the tools it exposes on it.
    subscriptions = InMemorySubscriptionBus()
    # WARNING: where nothing configured logging (the server embedded in a process), the SDK's
    # rich handler would otherwise render an INFO line per tool call, about 1 ms each;
    # `agent-router serve` configures its own handlers and level first.
    server = RouterServer(
        "agent-router",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        subscriptions=subscriptions,
        log_level="WARNING",
        auth=None if guard is None else guard.settings,
        token_verifier=None if guard is None else guard.verifier,
    )
    routing.register(server)
    tools.register(server, subscriptions)
    for module in (safety, memory, pools, replay):
        module.register(server)
    metrics.register(
        server,
        lambda: running[-1] if running else None,
        required_scopes=None if guard is None else guard.settings.required_scopes or [],
    )
    if config is None or config.endpoints.enabled:
        endpoints.register(server, lambda: running[-1] if running else None)
    probes.register(server, lambda: running[-1] if running else None)
    return server
