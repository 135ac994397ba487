"""A whole replay: every session read, re-decided and summed up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .diff import ReplayItem, ReplaySummary, summarize
from .policy import Policy
from .replayer import ReplayOptions, replay_session
from .sessions import Loaded, RecordedSession

CONCURRENT_SESSIONS = 8


@dataclass
class ReplayRun:
    items: list[ReplayItem]
    summary: ReplaySummary


async def replay_all(loaded: Loaded, new: Policy, baseline: Policy | None = None,
                     options: ReplayOptions | None = None) -> ReplayRun:
    gate = asyncio.Semaphore(CONCURRENT_SESSIONS)

    async def one(session: RecordedSession) -> list[ReplayItem]:
        async with gate:
            return await replay_session(session, new, baseline, options)

    per_session = await asyncio.gather(*(one(s) for s in loaded.sessions))
    items = [item for session_items in per_session for item in session_items]
    problems = [str(p) for p in loaded.problems]
    problems += [str(p) for s in loaded.sessions for p in s.problems]
    recorded = sorted({t.decision.get("config_digest") for s in loaded.sessions for t in s.turns
                       if isinstance(t.decision, dict) and t.decision.get("config_digest")})
    summary = summarize(items, len(loaded.sessions), new.digest,
                        baseline.digest if baseline else None, recorded, problems)
    return ReplayRun(items, summary)
