"""The operations whose job is session memory: context for a model, recall, forgetting,
feedback, transcripts and recent sessions, each within the caller's tenant. Memory off is an
InputError on session_id; memory failing is MemoryUnavailable naming the problem
(core/recorder.py), never a bare driver error."""

from __future__ import annotations

import logging
from typing import Any

from ..app import App
from ..memory import ContextResult, RecallHit, SessionSummary, feedback_outcomes
from ..safety.redaction import redact
from .caller import Caller
from .ids import check_ids, key_of, own_id
from .learning import learn_from_feedback
from .recorder import required
from .results import FeedbackResult, ForgetResult

log = logging.getLogger("agent_router.memory")

RECENT_SESSIONS = 50


async def get_context(
    app: App, caller: Caller, session_id: str, model: str, *, query: str | None = None
) -> ContextResult:
    """The session's messages fitted to the model's window."""
    key = _key(caller, session_id)
    context = await required(
        app, f"fit session {session_id!r} to {model!r}", lambda m: m.get_context(key, model, query)
    )
    return context.model_copy(update={"session_id": session_id})


async def recall(
    app: App, query: str, caller: Caller, *, session_id: str | None = None, k: int = 5
) -> list[RecallHit]:
    """Earlier messages by meaning, best first: one session's, or all of the caller's agent's
    sessions in its tenant."""
    check_ids(session_id, None)
    key = key_of(caller, session_id)
    agent_id = caller.agent_id if key is None else None  # an agent-bound caller names a session too
    hits = await required(
        app,
        "recall earlier messages",
        lambda m: m.recall(query, session_id=key, agent_id=agent_id, tenant=caller.tenant, k=k),
    )
    return [hit.model_copy(update={"session_id": own_id(hit.session_id)}) for hit in hits]


async def forget_session(app: App, caller: Caller, session_id: str) -> ForgetResult:
    key = _key(caller, session_id)
    deleted = await required(app, f"forget session {session_id!r}", lambda m: m.forget_session(key))
    return ForgetResult(session_id=session_id, deleted=deleted)


async def record_feedback(
    app: App, caller: Caller, session_id: str, turn_id: str, score: float, *, comment: str | None = None
) -> FeedbackResult:
    """Store the score; the caller's tenant's tool selection learns from it at once (and again
    on every start), and so does its choice among the rated turn's route's models."""
    key = _key(caller, session_id)
    await required(
        app,
        f"record feedback on turn {turn_id!r} of session {session_id!r}",
        lambda m: m.record_feedback(
            key, turn_id, score, comment=redact(comment)[0] if comment is not None else None
        ),
    )
    if app.tools is not None and app.memory is not None:
        try:
            await app.tools.learn(await feedback_outcomes(app.memory.database, key, turn_id))
            app.tools.taught.note("feedback", key, turn_id)
        except Exception:  # noqa: BLE001 - the feedback is recorded; selection relearns it on start
            log.exception("tool selection could not learn from feedback on %s/%s", key, turn_id)
    if app.config.learning.enabled:
        try:
            await learn_from_feedback(app, caller, key, turn_id, score)
        except Exception:  # noqa: BLE001 - the feedback is recorded; model choice misses it
            log.exception("model choice could not learn from feedback on %s/%s", key, turn_id)
    return FeedbackResult(session_id=session_id, turn_id=turn_id, score=score)


async def transcript(app: App, caller: Caller, session_id: str) -> dict[str, Any]:
    key = _key(caller, session_id)
    session = await required(app, f"read session {session_id!r}", lambda m: m.transcript(key))

    def own(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "session_id": session_id} if "session_id" in event else event

    return {
        **session,
        "id": session_id,
        "turns": [own(t) for t in session["turns"]],
        "events": [own(e) for e in session["events"]],
    }


async def recent_sessions(app: App, caller: Caller, *, limit: int = RECENT_SESSIONS) -> list[SessionSummary]:
    """The caller's tenant's most recently active sessions."""
    sessions = await required(
        app, "list the recent sessions", lambda m: m.list_sessions(limit, tenant=caller.tenant)
    )
    return [s.model_copy(update={"id": own_id(s.id)}) for s in sessions]


def _key(caller: Caller, session_id: str) -> str:
    check_ids(session_id, None)
    return key_of(caller, session_id)
