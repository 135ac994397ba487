"""select_tools and call_tool: the few right tools for a turn, and calls forwarded downstream."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..app import App
from ..config.safety import same_name
from ..errors import InputError
from ..images import load_images
from ..safety.findings import Outcome
from ..tools.catalog import ToolEntry
from ..tools.downstream import DownstreamError
from ..tools.gateway import Gateway
from ..turns import ChatMessage, latest_user_text, parse_messages
from .context import app_of, reports_input_errors
from .safety import _remember, _user_texts

log = logging.getLogger("agent_router.tools")


class SelectedTool(BaseModel):
    server: str
    name: str
    score: float = Field(description="fused score the ranking used")
    semantic: float = Field(description="cosine similarity of the query and the tool")
    lexical: float = Field(description="BM25 score scaled so the best tool has 1")
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


async def query_text(app: App, query: str | None, messages: list[ChatMessage] | None) -> str:
    """The query itself, or the turn's newest user text plus what its images show on screen."""
    if query is not None and messages is not None:
        raise InputError.single("query", "give query or messages, not both")
    if query is not None:
        if not query.strip():
            raise InputError.single("query", "the query is blank; describe what the agent needs")
        return query
    if messages is None:
        raise InputError.single("query", "give query (text) or messages (the turn)")
    parsed = parse_messages(messages)
    text = latest_user_text(parsed)
    limits = app.config.defaults
    images = load_images(parsed, limits.max_image_bytes, limits.max_image_pixels)
    if images and app.encoders.ocr is not None:
        screens = await app.encoders.ocr.encode(images)
        text = "\n".join([text, *(s.text for s in screens if s.text)]).strip()
    if not text:
        raise InputError.single("messages", "the turn has no text to match tools against")
    return text


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


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(
            title="Select tools", read_only_hint=True, open_world_hint=False
        )
    )
    @reports_input_errors
    async def select_tools(
        ctx: Context,
        query: Annotated[str | None, Field(description="what the agent needs to do")] = None,
        messages: Annotated[
            list[ChatMessage] | None,
            Field(
                description="the turn as chat messages, instead of query; images add their "
                "screen text",
            ),
        ] = None,
        k: Annotated[int, Field(ge=1, le=100, description="how many tools")] = 5,
        session_id: Annotated[
            str | None, Field(description="the session: its recent tool use lifts those tools")
        ] = None,
        servers: Annotated[
            list[str] | None, Field(description="only tools of these servers")
        ] = None,
        max_tokens: Annotated[
            int | None,
            Field(
                gt=0, description="budget for the returned definitions (default from the config)"
            ),
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
        text = await query_text(app, query, messages)
        (vector,) = await app.encoders.text.encode([text])
        boost: dict[str, float] = {}
        memory = app.memory
        if session_id is not None and memory is not None:
            for call in await memory.recent_tool_calls(session_id):
                if call.error is None:
                    boost[f"{call.server}/{call.tool}"] = gateway.spec.session_boost
        budget = max_tokens or gateway.spec.max_tokens
        picked = gateway.select(
            text, vector, k, budget, servers, boost, session_id, blocked_servers(app, agent_id)
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
                None,
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
        server: Annotated[
            str, Field(description="the downstream server, as select_tools named it")
        ],
        name: Annotated[str, Field(description="the tool's name on that server")],
        arguments: Annotated[
            dict[str, Any] | None,
            Field(description="arguments, checked against the tool's input schema"),
        ] = None,
        session_id: Annotated[
            str | None, Field(description="record the call in this session")
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
        arguments = arguments or {}
        try:
            tool = gateway.prepare(server, name, arguments)
            await approve(app, gateway, tool, arguments, confirm, session_id, agent_id)
            result = await gateway.forward(tool, arguments, session_id)
        except (InputError, DownstreamError, ToolError) as exc:
            await _record(app, session_id, server, name, arguments, None, str(exc))
            if isinstance(exc, DownstreamError):
                raise ToolError(str(exc)) from exc
            raise
        error = _error_text(result) if result.is_error else None
        await _record(
            app,
            session_id,
            server,
            name,
            arguments,
            result.model_dump(mode="json", by_alias=True, exclude_none=True),
            error,
        )
        return result


async def _record(
    app: App,
    session_id: str | None,
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
        await memory.record_tool_call(session_id, server, name, arguments, result, error)
    except Exception:  # noqa: BLE001 - memory down must not fail a call that already happened
        log.exception("could not record the call of %s/%s in session %s", server, name, session_id)


def _error_text(result: types.CallToolResult) -> str:
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    return "; ".join(texts) or "the tool reported an error"
