"""check_action and check_observation: computer-use safety verdicts, recorded in the session
when memory is on, with content a detector flags marked hostile there."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..config.safety import UserProfile
from ..core import safety as core
from ..safety.verdict import ObservationReport, Verdict
from ..trust import Integrity
from .context import app_of, reports_input_errors
from .errors import tool_errors
from .identity import caller_of

ACTION_HELP = (
    "the proposed action: OpenAI computer-use shape {type: click|double_click|type|keypress|"
    "scroll|move|drag|screenshot|wait, ...}, Anthropic's {action: left_click, coordinate: [x, y]},"
    " or {type: shell, command}, {type: navigate, url}, {type: tool_call, server, tool, "
    "arguments}, {type: file_write, path, content}, {type: send_message, to, body}; with "
    "context {url, app, screenshot (data URL or path), screen_text, focused_label, intent "
    "('click Cancel'), instructed_by (external or hostile when such content asked for it; "
    "it only lowers trust), confirmation {challenge: the challenge of "
    "the confirm verdict for this same action, once the user agreed}}"
)


def _read_only(title: str) -> ToolAnnotations:
    return ToolAnnotations(title=title, read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def register(server: MCPServer) -> None:
    @server.tool(annotations=_read_only("Check an action"))
    @reports_input_errors
    @tool_errors
    async def check_action(
        action: Annotated[dict[str, Any], Field(description=ACTION_HELP)],
        ctx: Context,
        session_id: str | None = None,
        turn_id: str | None = None,
        agent_id: Annotated[str | None, Field(description="selects the policy")] = None,
        profile: Annotated[
            UserProfile | None,
            Field(
                description="the user this session acts for (age, region, licences, memberships, "
                "attributes), laid over the agent's configured profile; operator keys only"
            ),
        ] = None,
    ) -> Verdict:
        """Judge a computer-use action before it runs: allow, confirm (with the question to ask
        the user) or deny, with the rules that fired, their evidence, a risk score and whether
        to escalate. An action that cannot be read gives confirm, never allow."""
        return await core.check_action(
            app_of(ctx),
            action,
            caller_of(ctx, agent_id),
            session_id=session_id,
            turn_id=turn_id,
            profile=profile,
        )

    @server.tool(annotations=_read_only("Check an observation"))
    @reports_input_errors
    @tool_errors
    async def check_observation(
        content: Annotated[
            str,
            Field(
                description="screen text, page text, tool output or file contents the agent is about to read"
            ),
        ],
        ctx: Context,
        session_id: str | None = None,
        turn_id: Annotated[
            str | None, Field(description="the turn that carried the content; marked hostile when flagged")
        ] = None,
        integrity: Integrity = Integrity.external,
    ) -> ObservationReport:
        """Look for prompt injection in content the agent takes in, naming the text matched."""
        return await core.check_observation(
            app_of(ctx), content, caller_of(ctx), integrity=integrity, session_id=session_id, turn_id=turn_id
        )
