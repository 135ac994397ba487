"""tools.expose on the wire: downstream tools listed beside the router's own, called through
call_tool's one path, and changes of the list announced to subscribers."""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import SubscriptionBus, ToolsListChanged
from pydantic import BaseModel

from ..app import App
from ..core.approval import blocked_servers
from ..tools.exposure import ExposedView, expose
from ..tools.gateway import Gateway

log = logging.getLogger("agent_router.tools")

SESSION_META = "agent-router/session_id"  # in a call's _meta: the session that records it


class ExposedTools:
    """tools.expose on the wire. tools/list gains the exposed downstream tools; a call of one
    becomes a call_tool call, so it takes call_tool's one path (schema, safety, session record,
    result unchanged; a tool's own arguments leave no place for a turn id, so the call belongs
    to the session's latest turn); a re-index that changes the exposed tools is announced to
    subscribers (subscriptions/listen) as tools/list_changed."""

    _METHODS = frozenset({"tools/list", "tools/call", "subscriptions/listen"})

    def __init__(self, server: MCPServer, subscriptions: SubscriptionBus, call_tool: str):
        self.server = server
        self.subscriptions = subscriptions
        self.call_tool = call_tool
        self._app: App | None = None  # the App whose catalog is watched
        self._index: object = None  # the catalog index the view was built from
        self._view = ExposedView()
        self._announced: list[dict[str, Any]] = []

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        app = ctx.lifespan_context
        if ctx.method not in self._METHODS or not isinstance(app, App) or app.tools is None:
            return await call_next(ctx)
        if not app.tools.spec.expose.enabled:
            return await call_next(ctx)
        view = await self._watch(app, app.tools)
        if ctx.method == "tools/call":
            return await call_next(self._as_call_tool(ctx, view, app.tools.spec.expose.agent_id))
        result = await call_next(ctx)
        if ctx.method == "tools/list" and result is not None:
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json", by_alias=True, exclude_none=True)
            result["tools"] = [*result.get("tools", []), *view.definitions()]
        return result

    async def _current(self, app: App, gateway: Gateway) -> ExposedView:
        """Rebuilt when the catalog was re-indexed, else the one already built."""
        index = gateway.index
        if index is not self._index:
            spec = gateway.spec
            own = [t.name for t in await self.server.list_tools()]
            view = await anyio.to_thread.run_sync(  # a pass over the whole catalog
                functools.partial(
                    expose,
                    index.tools,
                    spec.expose,
                    server_order=list(gateway.downstream),
                    deny=spec.deny,
                    blocked_servers=blocked_servers(app.safety, spec.expose.agent_id, gateway.server_names()),
                    reserved=own,
                )
            )
            if view.left_out:
                log.warning(
                    "tools.expose: %d more tools match; raise max_tools (%d) or narrow the filter",
                    view.left_out,
                    spec.expose.max_tools,
                )
            self._view, self._index = view, index
        return self._view

    async def _watch(self, app: App, gateway: Gateway) -> ExposedView:
        if self._app is not app:
            self._app = app
            self._announced = (await self._current(app, gateway)).definitions()
            gateway.on_reindex(lambda: self._reindexed(app, gateway))
        return await self._current(app, gateway)

    async def _reindexed(self, app: App, gateway: Gateway) -> None:
        try:
            now = (await self._current(app, gateway)).definitions()
            if now != self._announced:
                self._announced = now
                await self.subscriptions.publish(ToolsListChanged())
        except Exception:  # noqa: BLE001 - a failed announcement must not fail the re-sync
            log.exception("tools.expose: could not announce the changed tool list")

    def _as_call_tool(
        self, ctx: ServerRequestContext[Any, Any], view: ExposedView, agent_id: str | None
    ) -> ServerRequestContext[Any, Any]:
        params = ctx.params or {}
        name = params.get("name")
        exposed = view.by_name.get(name) if isinstance(name, str) else None
        if exposed is None:
            return ctx
        meta = params.get("_meta")
        call = {
            "server": exposed.tool.server,
            "name": exposed.tool.name,
            "arguments": params.get("arguments"),
            "session_id": meta.get(SESSION_META) if isinstance(meta, dict) else None,
            "agent_id": agent_id,
        }
        arguments = {k: v for k, v in call.items() if v is not None}
        return dataclasses.replace(ctx, params={**params, "name": self.call_tool, "arguments": arguments})
