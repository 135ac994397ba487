"""Checking an action or an observation: the verdict, recorded in the session when memory is
on, with content a detector flags marked hostile there. A verdict is never lost because it
could not be recorded: a deny stays a deny, a flagged report stays flagged, and the result's
`memory` says what was not stored."""

from __future__ import annotations

from typing import Any

from ..app import App
from ..errors import NotConfigured
from ..safety.checker import SafetyChecker
from ..safety.verdict import ObservationReport, Verdict
from ..trust import Integrity
from .ids import check_ids
from .recorder import Recorder
from .turn import Caller


def checker_of(app: App) -> SafetyChecker:
    if app.safety is None:
        raise NotConfigured("safety checks are not configured on this server")
    return app.safety


async def session_user_texts(app: App, session_id: str | None) -> tuple[list[str], str | None]:
    """The session's recent user texts, which the escalation check reads, and why they are
    missing when memory could not give them."""
    if session_id is None:
        return [], None
    got = await Recorder(app).attempt(
        f"read the user texts of session {session_id!r}", lambda memory: memory.user_texts(session_id)
    )
    return got.value or [], got.failure


async def record_verdict(
    app: App,
    result: Verdict | ObservationReport,
    *,
    kind: str,
    session_id: str | None,
    turn_id: str | None,
    inputs: dict[str, Any] | None = None,
    hostile: bool = False,
) -> str | None:
    """Count the verdict and store it in the session; a flagged observation demotes its turn to
    hostile. `inputs` (what the checker was given) lets `agent-router replay` judge it again.
    Returns what memory did, None without a session."""
    app.metrics.judged(
        kind,
        ("flagged" if result.flagged else "clean")
        if isinstance(result, ObservationReport)
        else result.decision.value,
    )
    if session_id is None:
        return None
    verdict = {"kind": kind, **result.model_dump(mode="json", exclude={"memory"})}
    if inputs is not None:
        verdict["input"] = inputs

    async def store(memory: Any) -> None:
        await memory.record_verdict(session_id, turn_id, verdict)
        if hostile and turn_id is not None:
            await memory.mark_hostile(session_id, turn_id)

    done = await Recorder(app).attempt(f"record a {kind} verdict in session {session_id!r}", store)
    if done.ok:
        return "verdict recorded" + (f"; turn {turn_id!r} marked hostile" if hostile and turn_id else "")
    return f"verdict not recorded: {done.failure}"


async def check_action(
    app: App,
    action: dict[str, Any],
    caller: Caller,
    *,
    session_id: str | None = None,
    turn_id: str | None = None,
) -> Verdict:
    """Judge a computer-use action before it runs; with a session, its user texts inform the
    escalation check and the verdict is recorded."""
    check_ids(session_id, turn_id, paired=False)
    checker = checker_of(app)
    user_texts, unread = await session_user_texts(app, session_id)
    verdict = await checker.check_action(action, caller.agent_id, user_texts)
    injected = any(rule.startswith("injection.") for rule in verdict.rules)
    note = await record_verdict(
        app,
        verdict,
        kind="action",
        session_id=session_id,
        turn_id=turn_id,
        inputs={"action": action, "agent_id": caller.agent_id, "user_texts": user_texts},
        hostile=injected,
    )
    verdict.memory = _joined(f"session history not read: {unread}" if unread else None, note)
    return verdict


async def check_observation(
    app: App,
    content: str,
    *,
    integrity: Integrity = Integrity.external,
    session_id: str | None = None,
    turn_id: str | None = None,
) -> ObservationReport:
    """Look for prompt injection in content the agent takes in; a flagged report marks its turn
    hostile in the session."""
    check_ids(session_id, turn_id, paired=False)
    report = await checker_of(app).check_observation(content, integrity)
    report.memory = await record_verdict(
        app,
        report,
        kind="observation",
        session_id=session_id,
        turn_id=turn_id,
        inputs={"content": content, "integrity": integrity.value},
        hostile=report.flagged,
    )
    return report


def _joined(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None
