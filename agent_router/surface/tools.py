"""select_tools and call_tool: the few right tools for a turn, and calls forwarded downstream."""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import mcp_types as types
import numpy as np
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import SubscriptionBus, ToolsListChanged
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..app import App
from ..config.safety import same_name
from ..errors import InputError
from ..images import load_images
from ..memory import MemoryUnavailable
from ..safety.findings import Outcome
from ..tools.catalog import ToolEntry
from ..tools.downstream import DownstreamError
from ..tools.exposure import ExposedView, expose
from ..tools.gateway import Gateway
from ..tools.query import embed_request
from ..turns import ChatMessage, latest_user_text, parse_messages
from .context import app_of, reports_input_errors
from .memory import check_memory_ids
from .safety import _remember, _user_texts

log = logging.getLogger("agent_router.tools")

SESSION_META = "agent-router/session_id"  # in a call's _meta: the session that records it


class SelectedTool(BaseModel):
    server: str
    name: str
    score: float = Field(description="fused score the ranking used")
    semantic: float = Field(description="cosine similarity of the query and the tool")
    lexical: float = Field(description="BM25 score scaled so the best tool has 1")
    image: float | None = Field(
        None,
        description="CLIP cosine of the turn's closest image and the tool; null unless "
        "encoders.clip is set and the turn has images",
    )
    boost: float = Field(
        0.0,
        description="part of score from the session's recent use of the tool and from requests "
        "like this one that the tool served (+) or failed (-) before",
    )
    tokens: int = Field(description="estimated tokens of the definition")
    definition: dict[str, Any] = Field(description="the complete MCP tool definition")


class ToolSelection(BaseModel):
    query: str = Field(description="the text the tools were matched against")
    tools: list[SelectedTool]
    tokens: int = Field(description="estimated tokens of all returned definitions")
    over_budget: list[str] = Field(description="server/name of tools left out for max_tokens")


def gateway_of(app: App) -> Gateway:
    if app.tools is None:
        raise ToolError("tool selection is not set up in this router")
    return app.tools


@dataclass(frozen=True)
class ToolRequest:
    text: str  # blank when the turn is only images that CLIP matches
    images: np.ndarray | None  # CLIP vectors of the turn's images, with encoders.clip set


async def read_request(app: App, query: str | None, messages: list[ChatMessage] | None) -> ToolRequest:
    """The query itself, or the turn's newest user text plus what its images show on screen,
    and the images themselves through CLIP where it is configured."""
    if query is not None and messages is not None:
        raise InputError.single("query", "give query or messages, not both")
    if query is not None:
        if not query.strip():
            raise InputError.single("query", "the query is blank; describe what the agent needs")
        return ToolRequest(query, None)
    if messages is None:
        raise InputError.single("query", "give query (text) or messages (the turn)")
    parsed = parse_messages(messages)
    text = latest_user_text(parsed)
    limits = app.config.defaults
    images = load_images(parsed, limits.max_image_bytes, limits.max_image_pixels)
    if images and app.encoders.ocr is not None:
        screens = await app.encoders.ocr.encode(images)
        text = "\n".join([text, *(s.text for s in screens if s.text)]).strip()
    clip = app.encoders.clip
    pictures = np.stack(await clip.encode(images)) if images and clip is not None else None
    if not text and pictures is None:
        raise InputError.single(
            "messages",
            "the turn has no text to match tools against"
            + (" (its images show none, and encoders.clip is not set)" if images else ""),
        )
    return ToolRequest(text, pictures)


async def check_turn(app: App, session_id: str | None, turn_id: str | None) -> None:
    """A turn_id needs its session and must be one of its turns. Checked before anything is
    selected or forwarded, so a bad one fails fast and nothing half-happens; memory that is
    down cannot tell, so the work goes on and its record is tried (and logged) as ever."""
    check_memory_ids(session_id, turn_id, None)
    if session_id is None or turn_id is None or app.memory is None:
        return
    try:
        await app.memory.check_turn(session_id, turn_id)
    except MemoryUnavailable as exc:
        log.warning("could not check turn %s of session %s: %s", turn_id, session_id, exc)


def blocked_servers(app: App, agent_id: str | None) -> list[str]:
    """The servers this agent's safety policy blocks: none of their tools is selected or called."""
    return [] if app.safety is None else app.safety.spec.policy(agent_id).blocked_servers


async def approve(
    app: App,
    gateway: Gateway,
    tool: ToolEntry,
    arguments: dict[str, Any],
    confirm: bool,
    session_id: str | None,
    agent_id: str | None,
) -> None:
    """Destructive tools, and every tool of a blocked server, go through the safety check; with
    no checker the destructive annotation alone decides. confirm: true is the owner's yes."""
    checker = app.safety
    if checker is None:
        if gateway.needs_confirmation(tool) and not confirm:
            raise InputError.single(
                "confirm",
                f"{tool.key} is marked destructive; check the "
                "arguments with the user, then call again with confirm: true",
            )
        return
    blocked = any(same_name(tool.server, b) for b in blocked_servers(app, agent_id))
    if not (tool.hints.is_destructive or blocked):
        return
    action: dict[str, Any] = {
        "type": "tool_call",
        "server": tool.server,
        "tool": tool.name,
        "arguments": arguments,
    }
    if confirm:
        action["context"] = {"confirmation": {"text": "confirm: true", "integrity": "owner"}}
    verdict = await checker.check_action(action, agent_id, await _user_texts(app, session_id))
    await _remember(app, session_id, None, "tool_call", verdict)
    if verdict.decision is Outcome.deny:
        reasons = "; ".join(f.message for f in verdict.findings if f.outcome is Outcome.deny)
        raise ToolError(
            f"the safety policy refuses {tool.key}: {reasons} (rules: {', '.join(verdict.rules)})"
        )
    if verdict.decision is Outcome.confirm:
        raise InputError.single(
            "confirm",
            f"{verdict.question} Ask the user; once they agree, call again with confirm: true",
        )


def register(server: MCPServer, subscriptions: SubscriptionBus) -> None:
    """subscriptions: the server's own bus, on which changes of the exposed tools are announced."""

    @server.tool(
        annotations=ToolAnnotations(title="Select tools", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
    async def select_tools(
        ctx: Context,
        query: Annotated[str | None, Field(description="what the agent needs to do")] = None,
        messages: Annotated[
            list[ChatMessage] | None,
            Field(
                description="the turn as chat messages, instead of query; images add their "
                "screen text, and with CLIP configured their CLIP match to each tool",
            ),
        ] = None,
        k: Annotated[int, Field(ge=1, le=100, description="how many tools")] = 5,
        session_id: Annotated[
            str | None, Field(description="the session: its recent tool use lifts those tools")
        ] = None,
        turn_id: Annotated[
            str | None,
            Field(
                description="the turn the selection is for: the turn_id given to route_turn; "
                "when omitted, the session's latest turn",
            ),
        ] = None,
        servers: Annotated[list[str] | None, Field(description="only tools of these servers")] = None,
        max_tokens: Annotated[
            int | None,
            Field(gt=0, description="budget for the returned definitions (default from the config)"),
        ] = None,
        agent_id: Annotated[
            str | None,
            Field(description="the agent: tools its safety policy forbids are never returned"),
        ] = None,
    ) -> ToolSelection:
        """The few tools that fit this turn out of every connected MCP server, with scores and
        complete definitions ready to hand to a model."""
        app = app_of(ctx)
        gateway = gateway_of(app)
        await check_turn(app, session_id, turn_id)
        request = await read_request(app, query, messages)
        text = request.text
        # The request and each of its sentences: a request for several tools finds each one.
        vectors = await embed_request(app.encoders.text, text)
        boost: dict[str, float] = {}
        memory = app.memory
        if session_id is not None and memory is not None:
            for call in await memory.recent_tool_calls(session_id):
                if call.error is None:
                    boost[f"{call.server}/{call.tool}"] = gateway.spec.session_boost
        budget = max_tokens or gateway.spec.max_tokens
        picked = gateway.select(
            text,
            vectors,
            k,
            max_tokens=budget,
            servers=servers,
            boost=boost,
            session_id=session_id,
            blocked_servers=blocked_servers(app, agent_id),
            images=request.images,
        )
        result = ToolSelection(
            query=text,
            tokens=picked.tokens,
            tools=[
                SelectedTool(
                    server=r.tool.server,
                    name=r.tool.name,
                    score=r.score,
                    semantic=r.semantic,
                    lexical=r.lexical,
                    image=r.image,
                    boost=r.boost,
                    tokens=r.tool.tokens,
                    definition=r.tool.definition(),
                )
                for r in picked.tools
            ],
            over_budget=[r.tool.key for r in picked.over_budget],
        )
        app.metrics.selected(r.tool.key for r in picked.tools)
        if session_id is not None and memory is not None:
            await memory.record_tool_selection(
                session_id,
                turn_id,
                text,
                [{"server": t.server, "name": t.name, "score": t.score} for t in result.tools],
            )
        return result

    @server.tool(
        annotations=ToolAnnotations(
            title="Call a downstream tool",
            read_only_hint=False,
            destructive_hint=True,
            open_world_hint=True,
        )
    )
    @reports_input_errors
    async def call_tool(
        ctx: Context,
        server: Annotated[str, Field(description="the downstream server, as select_tools named it")],
        name: Annotated[str, Field(description="the tool's name on that server")],
        arguments: Annotated[
            dict[str, Any] | None,
            Field(description="arguments, checked against the tool's input schema"),
        ] = None,
        session_id: Annotated[str | None, Field(description="record the call in this session")] = None,
        turn_id: Annotated[
            str | None,
            Field(
                description="the turn the call is for: the turn_id given to route_turn; "
                "when omitted, the session's latest turn",
            ),
        ] = None,
        confirm: Annotated[
            bool, Field(description="true once the user agreed to a destructive tool's call")
        ] = False,
        agent_id: Annotated[str | None, Field(description="selects the safety policy")] = None,
    ) -> types.CallToolResult:
        """Forward one call to a downstream MCP server and return its result unchanged (text,
        images, structured content). Destructive tools go through the safety check first: a
        confirm verdict needs the user's yes and confirm: true, a deny refuses."""
        app = app_of(ctx)
        gateway = gateway_of(app)
        await check_turn(app, session_id, turn_id)  # the call cannot be taken back once made
        arguments = arguments or {}
        try:
            tool = gateway.prepare(server, name, arguments)
            await approve(app, gateway, tool, arguments, confirm, session_id, agent_id)
            result = await gateway.forward(tool, arguments, session_id)
        except (InputError, DownstreamError, ToolError) as exc:
            await _record(app, session_id, turn_id, server, name, arguments, None, str(exc))
            if isinstance(exc, DownstreamError):
                raise ToolError(str(exc)) from exc
            raise
        error = _error_text(result) if result.is_error else None
        await _record(
            app,
            session_id,
            turn_id,
            server,
            name,
            arguments,
            result.model_dump(mode="json", by_alias=True, exclude_none=True),
            error,
        )
        return result

    server.middleware.append(ExposedTools(server, subscriptions, call_tool.__name__))


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
                    blocked_servers=blocked_servers(app, spec.expose.agent_id),
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


async def _record(
    app: App,
    session_id: str | None,
    turn_id: str | None,
    server: str,
    name: str,
    arguments: dict[str, Any],
    result: dict[str, Any] | None,
    error: str | None,
) -> None:
    memory = app.memory
    if session_id is None or memory is None:
        return
    try:
        await memory.record_tool_call(
            session_id, server, name, arguments, result=result, error=error, turn_id=turn_id
        )
    except Exception:  # noqa: BLE001 - memory down must not fail a call that already happened
        log.exception("could not record the call of %s/%s in session %s", server, name, session_id)


def _error_text(result: types.CallToolResult) -> str:
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    return "; ".join(texts) or "the tool reported an error"
