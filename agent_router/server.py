"""The MCP server: one MCPServer whose lifespan holds the App, with tools from surface/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus

from .app import App, build_app
from .collector import release_start_up, settle_start_up
from .config import RouterConfig
from .surface import memory, metrics, pools, replay, routing, safety, tools

INSTRUCTIONS = (
    "agent-router sits between an agent and its models. route_turn picks the model for a turn "
    "and explains why; dispatch_turn also sends it. select_tools returns the few tools that fit "
    "a turn and call_tool forwards a call. check_action and check_observation judge what the "
    "agent is about to do or has just read. Pass session_id to keep the session in memory "
    "(get_context, recall). Turns are chat messages; images are data URLs, file paths or MCP "
    "image content."
)


def build_server(config: RouterConfig | None = None, app: App | None = None) -> MCPServer:
    """A server for a config, or around an App already built (tests share one across servers)."""
    running: list[App] = [] if app is None else [app]  # what /metrics reads

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[App]:
        if app is not None:
            yield app
            return
        built = await anyio.to_thread.run_sync(build_app, config)
        running.append(built)
        try:
            await built.start()
            settle_start_up()
            yield built
        finally:
            running.remove(built)
            await built.aclose()
            release_start_up()

    # Kept here because tools announces changes of the tools it exposes on it.
    subscriptions = InMemorySubscriptionBus()
    # WARNING: where nothing configured logging (the server embedded in a process), the SDK's
    # rich handler would otherwise render an INFO line per tool call, about 1 ms each;
    # `agent-router serve` configures its own handlers and level first.
    server = MCPServer(
        "agent-router",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        subscriptions=subscriptions,
        log_level="WARNING",
    )
    routing.register(server)
    tools.register(server, subscriptions)
    for module in (safety, memory, pools, replay):
        module.register(server)
    metrics.register(server, lambda: running[-1] if running else None)
    return server
