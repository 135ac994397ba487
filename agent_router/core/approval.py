"""Whether a downstream tool call may go ahead: destructive tools, every tool of a server the
agent's safety policy blocks, and every call in a session with recorded history (traced through
it, with the catalog's facts about the tool) go through the safety check; with no checker the
destructive annotation alone decides. confirm: true is the owner's yes."""

from __future__ import annotations

from typing import Any

from ..app import App
from ..config.safety import same_name
from ..errors import InputError, Refused
from ..safety.checker import SafetyChecker
from ..safety.findings import Outcome
from ..tools.catalog import ToolEntry
from ..tools.gateway import Gateway
from .caller import Caller
from .safety import action_inputs, judge_inputs, read_session, record_verdict, tool_facts


def blocked_servers(safety: SafetyChecker | None, agent_id: str | None) -> list[str]:
    """The servers this agent's safety policy blocks: none of their tools is selected or called."""
    return [] if safety is None else safety.spec.policy(agent_id).blocked_servers


async def approve(
    app: App,
    gateway: Gateway,
    tool: ToolEntry,
    arguments: dict[str, Any],
    caller: Caller,
    *,
    confirm: bool,
    session_id: str | None,
) -> None:
    """Returns when the call may go ahead; raises InputError on `confirm` when the user must say
    yes first, and Refused when the policy denies it. session_id: the session's key."""
    checker = app.safety
    if checker is None:
        if gateway.needs_confirmation(tool) and not confirm:
            raise InputError.single(
                "confirm",
                f"{tool.key} is marked destructive; check the "
                "arguments with the user, then call again with confirm: true",
            )
        return
    blocked = any(same_name(tool.server, b) for b in blocked_servers(app.safety, caller.agent_id))
    session = await read_session(app, session_id)
    if not (tool.hints.is_destructive or blocked or session.history):
        return  # with a recorded session, every call is traced: names and hints do not decide
    action: dict[str, Any] = {
        "type": "tool_call",
        "server": tool.server,
        "tool": tool.name,
        "arguments": arguments,
    }
    if confirm:
        action["context"] = {"confirmation": {"text": "confirm: true", "integrity": "owner"}}
    inputs = action_inputs(action, caller.agent_id, session, tool_facts(tool))
    verdict = await judge_inputs(checker, inputs)
    await record_verdict(app, verdict, kind="tool_call", session_id=session_id, turn_id=None, inputs=inputs)
    if verdict.decision is Outcome.deny:
        reasons = "; ".join(f.message for f in verdict.findings if f.outcome is Outcome.deny)
        raise Refused(f"the safety policy refuses {tool.key}: {reasons} (rules: {', '.join(verdict.rules)})")
    if verdict.decision is Outcome.confirm:
        raise InputError.single(
            "confirm",
            f"{verdict.question} Ask the user; once they agree, call again with confirm: true",
        )
