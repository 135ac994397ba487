"""A whole replay: every session read, re-decided and summed up."""

from __future__ import annotations

from dataclasses import dataclass

from .diff import ReplayItem, ReplaySummary, summarize
from .policy import Policy
from .replayer import ReplayOptions, replay_sessions
from .sessions import Loaded


@dataclass
class ReplayRun:
    items: list[ReplayItem]
    summary: ReplaySummary


async def replay_all(
    loaded: Loaded, new: Policy, baseline: Policy | None = None, options: ReplayOptions | None = None
) -> ReplayRun:
    per_session = await replay_sessions(loaded.sessions, new, baseline, options)
    items = [item for session_items in per_session for item in session_items]
    problems = [str(p) for p in loaded.problems]
    problems += [str(p) for s in loaded.sessions for p in s.problems]
    recorded = sorted(
        {
            str(t.decision["config_digest"])
            for s in loaded.sessions
            for t in s.turns
            if isinstance(t.decision, dict) and t.decision.get("config_digest")
        }
    )
    summary = summarize(
        items, len(loaded.sessions), new.digest, baseline.digest if baseline else None, recorded, problems
    )
    return ReplayRun(items, summary)
