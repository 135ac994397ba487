"""check_action and check_observation: computer-use safety verdicts, recorded in the session
when memory is on, with content a detector flags marked hostile there."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..app import App
from ..errors import InputError
from ..memory import MemoryUnavailable
from ..safety.checker import SafetyChecker
from ..safety.verdict import ObservationReport, Verdict
from ..trust import Integrity
from .context import app_of, reports_input_errors

log = logging.getLogger("agent_router.safety")

ACTION_HELP = (
    "the proposed action: OpenAI computer-use shape {type: click|double_click|type|keypress|"
    "scroll|move|drag|screenshot|wait, ...}, Anthropic's {action: left_click, coordinate: [x, y]},"
    " or {type: shell, command}, {type: navigate, url}, {type: tool_call, server, tool, "
    "arguments}, {type: file_write, path, content}, {type: send_message, to, body}; with "
    "context {url, app, screenshot (data URL or path), screen_text, focused_label, intent "
    "('click Cancel'), instructed_by (integrity of what asked for it), confirmation {text, "
    "integrity}}"
)


def _read_only(title: str) -> ToolAnnotations:
    return ToolAnnotations(title=title, read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def _checker(app: App) -> SafetyChecker:
    if app.safety is None:
        raise InputError.single("safety", "safety checks are not configured on this server")
    return app.safety


async def _remember(
    app: App,
    session_id: str | None,
    turn_id: str | None,
    kind: str,
    result: Verdict | ObservationReport,
    hostile: bool = False,
    inputs: dict[str, Any] | None = None,
) -> None:
    """Record the verdict in the session; a flagged observation demotes its turn to hostile.
    Memory is optional: when it is off or down the verdict still goes back to the caller.
    `inputs` (what the checker was given) lets `agent-router replay` judge it again."""
    app.metrics.judged(
        kind,
        ("flagged" if result.flagged else "clean")
        if isinstance(result, ObservationReport)
        else result.decision.value,
    )
    if app.memory is None or session_id is None:
        return
    verdict = {"kind": kind, **result.model_dump(mode="json")}
    if inputs is not None:
        verdict["input"] = inputs
    try:
        await app.memory.record_verdict(session_id, turn_id, verdict)
        if hostile and turn_id is not None:
            await app.memory.mark_hostile(session_id, turn_id)
    except MemoryUnavailable as exc:
        log.warning("safety verdict not recorded, memory is down: %s", exc)


async def _user_texts(app: App, session_id: str | None) -> list[str]:
    if app.memory is None or session_id is None:
        return []
    try:
        return await app.memory.user_texts(session_id)
    except MemoryUnavailable as exc:
        log.warning("session history unavailable for the escalation check: %s", exc)
        return []


def register(server: MCPServer) -> None:
    @server.tool(annotations=_read_only("Check an action"))
    @reports_input_errors
    async def check_action(
        action: Annotated[dict[str, Any], Field(description=ACTION_HELP)],
        ctx: Context,
        session_id: str | None = None,
        turn_id: str | None = None,
        agent_id: Annotated[str | None, Field(description="selects the policy")] = None,
    ) -> Verdict:
        """Judge a computer-use action before it runs: allow, confirm (with the question to ask
        the user) or deny, with the rules that fired, their evidence, a risk score and whether
        to escalate. An action that cannot be read gives confirm, never allow."""
        app = app_of(ctx)
        checker = _checker(app)
        user_texts = await _user_texts(app, session_id)
        verdict = await checker.check_action(action, agent_id, user_texts)
        injected = any(rule.startswith("injection.") for rule in verdict.rules)
        await _remember(
            app,
            session_id,
            turn_id,
            "action",
            verdict,
            hostile=injected,
            inputs={"action": action, "agent_id": agent_id, "user_texts": user_texts},
        )
        return verdict

    @server.tool(annotations=_read_only("Check an observation"))
    @reports_input_errors
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
        app = app_of(ctx)
        report = await _checker(app).check_observation(content, integrity)
        await _remember(
            app,
            session_id,
            turn_id,
            "observation",
            report,
            hostile=report.flagged,
            inputs={"content": content, "integrity": integrity.value},
        )
        return report
