"""dispatch_turn and pool_status: answering a turn through the model pools, and their state."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..core import dispatch as core
from ..core.results import PoolStatus, TurnAnswer
from ..core.turn import Turn
from ..routing import Constraints
from ..turns import ChatMessage
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .identity import caller_of


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(
            title="Answer a turn", read_only_hint=False, destructive_hint=False, open_world_hint=True
        )
    )
    @reports_input_errors
    @tool_errors
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
        caller = caller_of(ctx)
        turn = await Turn.read(messages, app.config.limits, caller)
        chunks = 0

        async def progress(delta: str) -> None:
            nonlocal chunks
            chunks += 1
            await ctx.report_progress(chunks, None, message=delta)

        return await core.dispatch_turn(
            app,
            turn,
            caller,
            session_id=session_id,
            turn_id=turn_id,
            model=model,
            constraints=constraints,
            latency_budget_ms=latency_budget_ms,
            on_delta=progress if stream else None,
            max_tokens=max_tokens,
        )

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
