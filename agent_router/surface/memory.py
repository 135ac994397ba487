"""Session memory on MCP: the tools and resources that read it and forget it."""

from __future__ import annotations

import json
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations
from pydantic import Field

from ..core import memory as core
from ..core.results import FeedbackResult, ForgetResult
from ..errors import InputError
from ..memory import ContextResult, MemoryUnavailable, RecallHit
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .identity import caller_of


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(title="Context for a model", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
    @tool_errors
    async def get_context(
        session_id: Annotated[str, Field(description="the session_id given to route_turn")],
        model: Annotated[str, Field(description="the model the context is for (from the config)")],
        ctx: Context,
        query: Annotated[
            str | None,
            Field(description="what the next turn is about; default: the session's newest user message"),
        ] = None,
    ) -> ContextResult:
        """The session's messages fitted to the model's window: full history, a summary of
        older turns plus recent ones, or retrieval-first, saying which and what it saved."""
        return await core.get_context(app_of(ctx), caller_of(ctx), session_id, model, query=query)

    @server.tool(
        annotations=ToolAnnotations(title="Recall earlier turns", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
    @tool_errors
    async def recall(
        query: Annotated[str, Field(description="what to look for, in plain words")],
        ctx: Context,
        session_id: str | None = None,
        agent_id: Annotated[
            str | None, Field(description="search all sessions of this agent instead of one session")
        ] = None,
        k: Annotated[int, Field(ge=1, le=100)] = 5,
    ) -> list[RecallHit]:
        """Earlier messages by meaning, best first."""
        return await core.recall(app_of(ctx), query, caller_of(ctx, agent_id), session_id=session_id, k=k)

    @server.tool(
        annotations=ToolAnnotations(
            title="Forget a session", destructive_hint=True, idempotent_hint=False, open_world_hint=False
        )
    )
    @reports_input_errors
    @tool_errors
    async def forget_session(session_id: str, ctx: Context) -> ForgetResult:
        """Delete a session and everything recorded for it."""
        return await core.forget_session(app_of(ctx), caller_of(ctx), session_id)

    @server.tool(
        annotations=ToolAnnotations(
            title="Feedback on a routed turn", destructive_hint=False, open_world_hint=False
        )
    )
    @reports_input_errors
    @tool_errors
    async def record_feedback(
        session_id: str,
        turn_id: Annotated[str, Field(description="the turn_id given to route_turn")],
        score: Annotated[float, Field(ge=-1, le=1, description="-1 bad choice .. 1 good choice")],
        ctx: Context,
        comment: str | None = None,
    ) -> FeedbackResult:
        """Score the routing of one turn, for replay and tuning; tool selection learns from it."""
        return await core.record_feedback(
            app_of(ctx), caller_of(ctx), session_id, turn_id, score, comment=comment
        )

    @server.resource(
        "session://{session_id}",
        mime_type="application/json",
        description="a session's transcript with routing decisions",
    )
    async def session_resource(session_id: str, ctx: Context) -> str:
        try:
            transcript = await core.transcript(app_of(ctx), caller_of(ctx), session_id)
        except (InputError, MemoryUnavailable) as exc:
            raise ResourceError(_failure(exc)) from exc
        return json.dumps(transcript, default=str)

    @server.resource(
        "sessions://recent{?limit}",
        mime_type="application/json",
        description="the most recently active sessions, newest first",
    )
    async def recent_sessions(ctx: Context, limit: int = core.RECENT_SESSIONS) -> str:
        try:
            sessions = await core.recent_sessions(app_of(ctx), caller_of(ctx), limit=limit)
        except (InputError, MemoryUnavailable) as exc:
            raise ResourceError(_failure(exc)) from exc
        return json.dumps([s.model_dump(mode="json") for s in sessions])


def _failure(exc: InputError | MemoryUnavailable) -> str:
    return f"invalid input: {exc}" if isinstance(exc, InputError) else str(exc)
