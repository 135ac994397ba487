"""route_turn: the routing decision for one agent turn."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..core import routing as core
from ..core.turn import Turn
from ..routing import Constraints, RoutingDecision
from ..turns import ChatMessage
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .identity import caller_of

MESSAGES_HELP = (
    "the turn as OpenAI-style chat messages; content is text or parts: "
    "{type: text}, {type: image_url, image_url: {url: data URL (a file path only on stdio)}}, "
    "or MCP ImageContent {type: image, data, mimeType}"
)


def register(server: MCPServer) -> None:
    # Not read-only: with a session_id the turn is recorded. Recording never destroys
    # anything and a retry with the same turn_id stores nothing new.
    @server.tool(
        annotations=ToolAnnotations(
            title="Route a turn",
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        )
    )
    @reports_input_errors
    @tool_errors
    async def route_turn(
        messages: Annotated[list[ChatMessage], Field(description=MESSAGES_HELP)],
        ctx: Context,
        constraints: Constraints | None = None,
        session_id: Annotated[
            str | None,
            Field(
                description="record this turn in the named session (created when new) so "
                "get_context and recall can use it"
            ),
        ] = None,
        turn_id: Annotated[
            str | None,
            Field(
                description="idempotency key: a retry with the same turn_id is not stored twice",
            ),
        ] = None,
        agent_id: Annotated[str | None, Field(description="the agent the session belongs to")] = None,
    ) -> RoutingDecision:
        """Pick the model that should answer this turn, with fallbacks, the signals behind the
        choice and reasons a person can read."""
        app = app_of(ctx)
        caller = caller_of(ctx, agent_id)
        turn = await Turn.read(messages, app.config.limits, caller)
        return await core.route_turn(
            app,
            turn,
            caller,
            session_id=session_id,
            turn_id=turn_id,
            constraints=constraints,
        )
