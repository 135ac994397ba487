"""Session memory on MCP: recording routed turns, and the tools and resources that read it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..app import App
from ..errors import InputError
from ..images import LoadedImage
from ..memory import ContextResult, MemoryStore, MemoryUnavailable, RecallHit, feedback_outcomes
from ..memory.store import check_id
from ..routing import RoutingDecision
from ..turns import ChatMessage
from .context import app_of, reports_input_errors

log = logging.getLogger("agent_router.memory")

RECENT_SESSIONS = 50


def check_memory_ids(session_id: str | None, turn_id: str | None, agent_id: str | None) -> None:
    """Checked before routing, so a bad id fails fast instead of after the work is done."""
    check_id(session_id, "session_id")
    check_id(turn_id, "turn_id")
    check_id(agent_id, "agent_id")
    if session_id is None and turn_id is not None:
        raise InputError.single("turn_id", "a turn_id needs a session_id to belong to")


async def remember_turn(
    app: App,
    session_id: str | None,
    turn_id: str | None,
    agent_id: str | None,
    messages: list[ChatMessage],
    images: list[LoadedImage],
    decision: RoutingDecision,
) -> RoutingDecision:
    """Record the routed turn with its decision. A database that is down, locked or full costs
    this turn its memory, never its answer; the decision says why."""
    if session_id is None:
        return decision
    if app.memory is None:
        note = f"not recorded: memory is off ({app.memory_down or 'disabled in the config'})"
    else:
        timeout = app.config.memory.write_timeout_s
        try:
            record = await asyncio.wait_for(
                app.memory.record_turn(
                    session_id, turn_id, messages, decision, agent_id=agent_id, images=images
                ),
                timeout,
            )
        except MemoryUnavailable as exc:
            note = f"not recorded: the database refused the write ({exc})"
        except TimeoutError:
            note = f"not recorded: the database did not answer within {timeout:g}s"
        else:
            note = (
                f"already recorded as turn {record.seq} of session {session_id!r}; nothing stored twice"
                if record.duplicate
                else f"recorded as turn {record.seq} of session {session_id!r}"
            )
            if record.resent:
                note += f"; {record.resent} re-sent message(s) were already stored"
            if record.capped:
                note += "; external content was cut at the session's cap"
    if note.startswith("not recorded") and (app.memory is not None or app.memory_down):
        app.metrics.error("memory_down")
    decision.memory = note
    decision.reasons.append(f"memory: {note}")
    return decision


class ForgetResult(BaseModel):
    session_id: str
    deleted: dict[str, int] = Field(description="rows deleted per table")


class FeedbackResult(BaseModel):
    session_id: str
    turn_id: str
    score: float


def _store(app: App) -> MemoryStore:
    if app.memory is None:
        raise InputError.single(
            "session_id",
            "session memory is off on this server ("
            f"{app.memory_down or 'memory.enabled is false in the config'})",
        )
    return app.memory


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(title="Context for a model", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
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
        return await _store(app_of(ctx)).get_context(session_id, model, query)

    @server.tool(
        annotations=ToolAnnotations(title="Recall earlier turns", read_only_hint=True, open_world_hint=False)
    )
    @reports_input_errors
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
        return await _store(app_of(ctx)).recall(query, session_id=session_id, agent_id=agent_id, k=k)

    @server.tool(
        annotations=ToolAnnotations(
            title="Forget a session", destructive_hint=True, idempotent_hint=False, open_world_hint=False
        )
    )
    @reports_input_errors
    async def forget_session(session_id: str, ctx: Context) -> ForgetResult:
        """Delete a session and everything recorded for it."""
        deleted = await _store(app_of(ctx)).forget_session(session_id)
        return ForgetResult(session_id=session_id, deleted=deleted)

    @server.tool(
        annotations=ToolAnnotations(
            title="Feedback on a routed turn", destructive_hint=False, open_world_hint=False
        )
    )
    @reports_input_errors
    async def record_feedback(
        session_id: str,
        turn_id: Annotated[str, Field(description="the turn_id given to route_turn")],
        score: Annotated[float, Field(ge=-1, le=1, description="-1 bad choice .. 1 good choice")],
        ctx: Context,
        comment: str | None = None,
    ) -> FeedbackResult:
        """Score the routing of one turn, for replay and tuning; tool selection learns from it."""
        app = app_of(ctx)
        store = _store(app)
        await store.record_feedback(session_id, turn_id, score, comment=comment)
        if app.tools is not None:
            try:
                await app.tools.learn(await feedback_outcomes(store.database, session_id, turn_id))
            except Exception:  # noqa: BLE001 - the feedback is recorded; selection relearns it on start
                log.exception("tool selection could not learn from feedback on %s/%s", session_id, turn_id)
        return FeedbackResult(session_id=session_id, turn_id=turn_id, score=score)

    @server.resource(
        "session://{session_id}",
        mime_type="application/json",
        description="a session's transcript with routing decisions",
    )
    async def session_resource(session_id: str, ctx: Context) -> str:
        try:
            transcript = await _store(app_of(ctx)).transcript(session_id)
        except InputError as exc:
            raise ResourceError(f"invalid input: {exc}") from exc
        return json.dumps(transcript, default=str)

    @server.resource(
        "sessions://recent{?limit}",
        mime_type="application/json",
        description="the most recently active sessions, newest first",
    )
    async def recent_sessions(ctx: Context, limit: int = RECENT_SESSIONS) -> str:
        try:
            sessions = await _store(app_of(ctx)).list_sessions(limit)
        except InputError as exc:
            raise ResourceError(f"invalid input: {exc}") from exc
        return json.dumps([s.model_dump(mode="json") for s in sessions])
