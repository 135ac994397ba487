"""dispatch_turn and pool_status: answering a turn through the model pools, and their state."""

from __future__ import annotations

import asyncio
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..app import App
from ..errors import InputError
from ..images import turn_images
from ..memory import MemoryUnavailable
from ..pools import DispatchFailed, DispatchOutcome, EndpointStatus, NoEndpoint
from ..routing import Constraints, RoutingDecision
from ..trust import Integrity
from ..turns import ChatMessage, parse_messages
from .context import app_of, reports_input_errors
from .memory import check_memory_ids, remember_turn


class TurnAnswer(DispatchOutcome):
    decision: RoutingDecision | None = Field(description="the routing decision; null when forced")
    memory: str | None = Field(None, description="what session memory did with the turn")


class PoolStatus(BaseModel):
    endpoints: list[EndpointStatus]


async def _record_outcome(
    app: App, session_id: str | None, turn_id: str | None, result: dict | None, error: str | None
) -> str | None:
    """The answer, or the failure, beside the recorded turn: a failed turn is never lost. An
    answer also becomes the session's next assistant message, so get_context carries it; the
    model is a known party, not the owner, so it is stored at the known level."""
    if session_id is None or app.memory is None:
        return None
    timeout = app.config.memory.write_timeout_s
    try:
        await asyncio.wait_for(
            app.memory.record_tool_call(
                session_id, "agent-router", "dispatch_turn", {"turn_id": turn_id}, result=result, error=error
            ),
            timeout,
        )
        if result is not None:
            answer = ChatMessage(role="assistant", content=result["answer"])
            await asyncio.wait_for(
                app.memory.record_turn(
                    session_id,
                    f"{turn_id}.answer" if turn_id else None,
                    [answer],
                    {"model": result["model"], "endpoint": result["endpoint"]},
                    integrity=Integrity.known,
                ),
                timeout,
            )
    except (MemoryUnavailable, TimeoutError, InputError) as exc:
        return f"outcome not recorded: {exc or 'the database did not answer'}"
    return "outcome recorded"


async def _record_forced(
    app: App, session_id: str | None, turn_id: str | None, messages: list[ChatMessage], model: str
) -> str | None:
    if session_id is None:
        return None
    if app.memory is None:
        return f"not recorded: memory is off ({app.memory_down or 'disabled in the config'})"
    try:
        record = await asyncio.wait_for(
            app.memory.record_turn(session_id, turn_id, messages, {"model": model, "forced": True}),
            app.config.memory.write_timeout_s,
        )
    except (MemoryUnavailable, TimeoutError) as exc:
        return f"not recorded: {exc or 'the database did not answer'}"
    return f"recorded as turn {record.seq} of session {session_id!r}"


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(
            title="Answer a turn", read_only_hint=False, destructive_hint=False, open_world_hint=True
        )
    )
    @reports_input_errors
    async def dispatch_turn(
        messages: Annotated[
            list[ChatMessage], Field(description="the turn as OpenAI-style chat messages, as for route_turn")
        ],
        ctx: Context,
        session_id: str | None = None,
        turn_id: Annotated[
            str | None, Field(description="makes retries of a turn idempotent in memory")
        ] = None,
        model: Annotated[str | None, Field(description="force this model; skips routing")] = None,
        constraints: Constraints | None = None,
        latency_budget_ms: Annotated[
            float | None,
            Field(
                ge=0,
                description="a cold model is woken and awaited only if it wakes within this",
            ),
        ] = None,
        stream: Annotated[
            bool, Field(description="send the answer as progress notifications while it is written")
        ] = True,
        max_tokens: Annotated[int | None, Field(gt=0)] = None,
    ) -> TurnAnswer:
        """Route the turn (unless a model is forced), send it to the best endpoint that can
        answer now, and return the model's answer with the decision, the endpoint, time to
        first token and total time."""
        app = app_of(ctx)
        pools = app.pools
        if pools is None:
            raise ToolError("model pools are off on this server")
        check_memory_ids(session_id, turn_id, None)
        parsed = parse_messages(messages)
        images = turn_images(parsed, app.config.defaults)
        decision: RoutingDecision | None = None
        if model is not None:
            known = {m.name for m in app.config.models}
            if model not in known:
                raise InputError.single(
                    "model", f"unknown model {model!r}; known models: {', '.join(sorted(known))}"
                )
            if not pools.dispatchable(model):
                raise InputError.single(
                    "model",
                    f"model {model!r} has no endpoint; give it one in pools[].endpoints or models[].endpoint",
                )
            models, route = [model], None
            memory_note = await _record_forced(app, session_id, turn_id, parsed, model)
        else:
            decision = await app.router.route(parsed, images, constraints)
            app.metrics.routed(decision.route, decision.model)
            decision = await remember_turn(app, session_id, turn_id, None, parsed, images, decision)
            models, route, memory_note = (
                [decision.model, *decision.fallbacks],
                decision.route,
                decision.memory,
            )
        chunks = 0

        async def progress(delta: str) -> None:
            nonlocal chunks
            chunks += 1
            await ctx.report_progress(chunks, None, message=delta)

        wire = [m.model_dump(mode="json", exclude_none=True) for m in parsed]
        try:
            outcome = await pools.dispatch(
                wire,
                models,
                route=route,
                session_id=session_id,
                budget_ms=latency_budget_ms,
                on_delta=progress if stream else None,
                max_tokens=max_tokens,
            )
        except (NoEndpoint, DispatchFailed) as exc:
            app.metrics.error("no_endpoint" if isinstance(exc, NoEndpoint) else "dispatch_failed")
            await _record_outcome(app, session_id, turn_id, None, str(exc))
            kept = (
                f" (the turn is recorded in session {session_id!r} with this failure)"
                if session_id and app.memory is not None
                else ""
            )
            raise ToolError(f"{exc}{kept}") from None
        app.metrics.dispatched(outcome.model, outcome.total_ms, outcome.ttft_ms)
        note = await _record_outcome(
            app,
            session_id,
            turn_id,
            {
                "model": outcome.model,
                "endpoint": outcome.endpoint,
                "answer": outcome.answer,
                "ttft_ms": outcome.ttft_ms,
                "total_ms": outcome.total_ms,
            },
            None,
        )
        if note and memory_note:
            memory_note = f"{memory_note}; {note}"
        return TurnAnswer(**outcome.model_dump(), decision=decision, memory=memory_note)

    @server.tool(
        annotations=ToolAnnotations(
            title="Model pool status", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        )
    )
    @reports_input_errors
    async def pool_status(ctx: Context) -> PoolStatus:
        """Every model endpoint: state (warm, cold, waking, draining, unhealthy), load, breaker,
        and the measured cold-start time."""
        pools = app_of(ctx).pools
        return PoolStatus(endpoints=pools.status() if pools is not None else [])
