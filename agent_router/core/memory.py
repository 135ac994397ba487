"""The operations whose job is session memory: context for a model, recall, forgetting,
feedback, transcripts and recent sessions. Memory off is an InputError on session_id; memory
failing is MemoryUnavailable naming the problem (core/recorder.py), never a bare driver error."""

from __future__ import annotations

import logging
from typing import Any

from ..app import App
from ..memory import ContextResult, RecallHit, SessionSummary, feedback_outcomes
from ..safety.redaction import redact
from .caller import Caller
from .recorder import required
from .results import FeedbackResult, ForgetResult

log = logging.getLogger("agent_router.memory")

RECENT_SESSIONS = 50


async def get_context(app: App, session_id: str, model: str, *, query: str | None = None) -> ContextResult:
    """The session's messages fitted to the model's window."""
    return await required(
        app, f"fit session {session_id!r} to {model!r}", lambda m: m.get_context(session_id, model, query)
    )


async def recall(
    app: App, query: str, caller: Caller, *, session_id: str | None = None, k: int = 5
) -> list[RecallHit]:
    """Earlier messages by meaning, best first: one session's, or all of the caller's agent's."""
    return await required(
        app,
        "recall earlier messages",
        lambda m: m.recall(query, session_id=session_id, agent_id=caller.agent_id, k=k),
    )


async def forget_session(app: App, session_id: str) -> ForgetResult:
    deleted = await required(app, f"forget session {session_id!r}", lambda m: m.forget_session(session_id))
    return ForgetResult(session_id=session_id, deleted=deleted)


async def record_feedback(
    app: App, session_id: str, turn_id: str, score: float, *, comment: str | None = None
) -> FeedbackResult:
    """Store the score; tool selection learns from it at once (and again on every start)."""
    await required(
        app,
        f"record feedback on turn {turn_id!r} of session {session_id!r}",
        lambda m: m.record_feedback(
            session_id, turn_id, score, comment=redact(comment)[0] if comment is not None else None
        ),
    )
    if app.tools is not None and app.memory is not None:
        try:
            await app.tools.learn(await feedback_outcomes(app.memory.database, session_id, turn_id))
        except Exception:  # noqa: BLE001 - the feedback is recorded; selection relearns it on start
            log.exception("tool selection could not learn from feedback on %s/%s", session_id, turn_id)
    return FeedbackResult(session_id=session_id, turn_id=turn_id, score=score)


async def transcript(app: App, session_id: str) -> dict[str, Any]:
    return await required(app, f"read session {session_id!r}", lambda m: m.transcript(session_id))


async def recent_sessions(app: App, *, limit: int = RECENT_SESSIONS) -> list[SessionSummary]:
    return await required(app, "list the recent sessions", lambda m: m.list_sessions(limit))
