"""replay_session: one recorded session re-decided under the running config or a proposed one,
offline, summed up the way `agent-router replay` prints it."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..core.ids import check_ids
from ..core.recorder import required
from ..errors import InputError
from ..replay import ReplaySummary, build_policy, from_store, replay_all
from ..replay.overlay import replay_config
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .identity import caller_of


def register(server: MCPServer) -> None:
    @server.tool(
        annotations=ToolAnnotations(
            title="Replay a session", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        )
    )
    @reports_input_errors
    @tool_errors
    async def replay_session(
        session_id: Annotated[str, Field(description="a session recorded by route_turn")],
        ctx: Context,
        config_yaml: Annotated[
            str | None,
            Field(
                description="policy as YAML to replay under, laid over the running config: routes, "
                "models, defaults, safety and tool-selection settings (the machine's own user, on "
                "stdio, may send a whole config); default: the running config, which shows whether "
                "recorded decisions still hold"
            ),
        ] = None,
    ) -> ReplaySummary:
        """Re-decide every routed turn, tool selection and safety verdict of a recorded session
        under a config, without calling any model, and count what changed: models, routes,
        tools, verdicts by direction, estimated cost and latency."""
        app = app_of(ctx)
        check_ids(session_id, None)
        caller = caller_of(ctx)
        # A whole config names programs, URLs and files: only the machine's own user's is run.
        whole = caller.local
        config = app.config if config_yaml is None else replay_config(config_yaml, app.config, whole=whole)
        loaded = await required(
            app, f"read session {session_id!r}", lambda m: from_store(m, [session_id], tenant=caller.tenant)
        )
        if not loaded.sessions:
            raise InputError.single(
                "session_id",
                f"no session {session_id!r}; sessions are created by route_turn with a session_id",
            )
        policy = await build_policy(
            "new",
            config,
            app.encoders,
            app.config,
            app.router,
            app.tools,
            app.safety,
            running_catalog=not whole,
        )
        try:
            return (await replay_all(loaded, policy)).summary
        finally:
            await policy.aclose()
