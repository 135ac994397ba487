"""select_tools and call_tool: the few right tools for a turn, and calls forwarded downstream."""

from __future__ import annotations

from typing import Annotated, Any

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.subscriptions import SubscriptionBus
from mcp.types import ToolAnnotations
from pydantic import Field, WithJsonSchema, WrapValidator

from ..core import tool_calls, tool_selection
from ..core.results import ToolSelection
from ..core.turn import Turn
from ..turns import ChatMessage
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .exposed import ExposedTools
from .identity import caller_of


def _text_or_none(value: Any, handler: Any) -> Any:
    return None if value is None else handler(value)


# Any string as it is. The SDK reads a JSON-looking string as JSON for every argument not typed
# exactly `str`, so `str | None` would turn '{"city": "Paris"}' into an object and 'null' into
# no query (issue 16): typed `str`, with null let through before validation and in the schema.
OptionalText = Annotated[
    str,
    WrapValidator(_text_or_none),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]}),
]


def register(server: MCPServer, subscriptions: SubscriptionBus) -> None:
    """subscriptions: the server's own bus, on which changes of the exposed tools are announced."""

    @server.tool(
        annotations=ToolAnnotations(title="Select tools", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
    @tool_errors
    async def select_tools(
        ctx: Context,
        query: Annotated[OptionalText, Field(description="what the agent needs to do")] = None,  # type: ignore[assignment]
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
        caller = caller_of(ctx, agent_id)
        turn = (
            None
            if messages is None
            else await Turn.read(messages, app.config.limits, caller, allow_empty=True)
        )
        return await tool_selection.select_tools(
            app,
            caller,
            query=query,
            turn=turn,
            k=k,
            session_id=session_id,
            turn_id=turn_id,
            servers=servers,
            max_tokens=max_tokens,
        )

    @server.tool(
        annotations=ToolAnnotations(
            title="Call a downstream tool",
            read_only_hint=False,
            destructive_hint=True,
            open_world_hint=True,
        )
    )
    @reports_input_errors
    @tool_errors
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
        confirmation: Annotated[
            str | None,
            Field(
                max_length=1_000,
                description="the challenge a confirm answer gave, once the user agreed to this "
                "exact call; valid once",
            ),
        ] = None,
        agent_id: Annotated[str | None, Field(description="selects the safety policy")] = None,
    ) -> types.CallToolResult:
        """Forward one call to a downstream MCP server and return its result unchanged (text,
        images, structured content). Destructive tools (every tool of a server not marked
        trusted) go through the safety check first: a confirm answer carries a challenge, to
        repeat as `confirmation` once the user agreed; a deny refuses."""
        return await tool_calls.call_tool(
            app_of(ctx),
            server,
            name,
            arguments,
            caller_of(ctx, agent_id),
            session_id=session_id,
            turn_id=turn_id,
            confirmation=confirmation,
        )

    server.middleware.append(ExposedTools(server, subscriptions, call_tool.__name__))
