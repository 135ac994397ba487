"""Whether a downstream tool call may go ahead: a server outside the agent's allowed_servers is
refused outright; destructive tools, every tool of a server the agent's safety policy blocks,
and every call in a session with recorded history (traced through it, with the catalog's facts
about the tool) go through the safety check; with no checker the destructive annotation alone
decides. A confirm is answered only with the challenge the router issued for that call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..app import App
from ..config.safety import same_name
from ..errors import InputError, Refused
from ..safety.checker import SafetyChecker
from ..safety.findings import Outcome
from ..tools.catalog import ToolEntry
from ..tools.gateway import Gateway
from .caller import Caller
from .confirmations import ask_again, binding, expiry, settle
from .safety import action_inputs, judge_inputs, read_session, record_verdict, tool_facts


def blocked_servers(
    safety: SafetyChecker | None, agent_id: str | None, known: Iterable[str] = ()
) -> list[str]:
    """The servers this agent's safety policy shuts out, none of whose tools is selected or
    called: those it blocks and, when it lists allowed_servers, every other `known` server."""
    if safety is None:
        return []
    policy = safety.spec.policy(agent_id)
    shut = list(policy.blocked_servers)
    if policy.allowed_servers:
        shut += [s for s in known if not any(same_name(s, a) for a in policy.allowed_servers)]
    return shut


async def approve(
    app: App,
    gateway: Gateway,
    tool: ToolEntry,
    arguments: dict[str, Any],
    caller: Caller,
    *,
    confirmation: str | None,
    session_id: str | None,
) -> None:
    """Returns when the call may go ahead; raises InputError on `confirmation` (with a fresh
    challenge) when the user must say yes first, and Refused when the policy denies it.
    session_id: the session's key."""
    action: dict[str, Any] = {
        "type": "tool_call",
        "server": tool.server,
        "tool": tool.name,
        "arguments": arguments,
    }
    checker = app.safety
    if checker is None:
        if gateway.needs_confirmation(tool):
            bound = binding(caller, session_id, action)
            refused = "" if confirmation is None else await app.challenges.redeem(confirmation, bound)
            if refused is None:
                return
            issued = app.challenges.issue(bound)
            why = f" (the confirmation given does not count: {refused})" if refused else ""
            raise InputError.single(
                "confirmation",
                ask_again(f"{tool.key} is marked destructive{why}.", issued.token, expiry(issued)),
            )
        return
    _check_allowed(checker, caller.agent_id, tool)
    blocked = any(same_name(tool.server, b) for b in blocked_servers(checker, caller.agent_id))
    session = await read_session(app, session_id)
    if not (tool.counts_destructive or blocked or session.history):
        return  # with a recorded session, every call is traced: names and hints do not decide
    inputs = action_inputs(action, caller.agent_id, session, tool_facts(tool))
    verdict = await judge_inputs(checker, inputs)
    if await settle(app, verdict, caller, session_id=session_id, action=action, token=confirmation):
        inputs["confirmed"] = True
    await record_verdict(app, verdict, kind="tool_call", session_id=session_id, turn_id=None, inputs=inputs)
    if verdict.decision is Outcome.deny:
        reasons = "; ".join(f.message for f in verdict.findings if f.outcome is Outcome.deny)
        raise Refused(f"the safety policy refuses {tool.key}: {reasons} (rules: {', '.join(verdict.rules)})")
    if verdict.decision is Outcome.confirm:
        unaccepted = [f.message for f in verdict.findings if f.rule == "trust.challenge_refused"]
        what = f"{verdict.question}" + (f" ({unaccepted[0]})" if unaccepted else "")
        raise InputError.single("confirmation", ask_again(what, verdict.challenge, verdict.challenge_expires))


def _check_allowed(checker: SafetyChecker, agent_id: str | None, tool: ToolEntry) -> None:
    policy = checker.spec.policy(agent_id)
    if policy.allowed_servers and not any(same_name(tool.server, a) for a in policy.allowed_servers):
        raise Refused(
            f"the safety policy refuses {tool.key}: server {tool.server!r} is not in this agent's "
            f"allowed_servers ({', '.join(policy.allowed_servers)}) (rules: policy.unlisted_server)"
        )
