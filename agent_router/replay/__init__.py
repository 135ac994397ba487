"""Replay of recorded agent sessions under a new routing, tool and safety policy, offline."""

from .diff import ReplayItem, ReplaySummary, Side, summary_table
from .policy import Policy, build_policy
from .replayer import ReplayOptions, replay_sessions
from .run import ReplayRun, replay_all
from .sessions import Loaded, RecordedSession, from_store, read_lines

__all__ = [
    "Loaded",
    "Policy",
    "RecordedSession",
    "ReplayItem",
    "ReplayOptions",
    "ReplayRun",
    "ReplaySummary",
    "Side",
    "build_policy",
    "from_store",
    "read_lines",
    "replay_all",
    "replay_sessions",
    "summary_table",
]
