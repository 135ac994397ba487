"""Session memory in SQL (installed as agent_router.memory): every turn recorded durably,
context fitted to a model's window, recall by meaning, export and import as JSON Lines."""

from .records import (
    ContextResult,
    MemoryTier,
    RecallHit,
    SessionSummary,
    ToolCallRecord,
    TurnRecord,
)
from .store import MemoryStore, MemoryUnavailable
from .tool_outcomes import ToolOutcome, feedback_outcomes, recorded_outcomes

__all__ = [
    "ContextResult",
    "MemoryStore",
    "MemoryTier",
    "MemoryUnavailable",
    "RecallHit",
    "SessionSummary",
    "ToolCallRecord",
    "ToolOutcome",
    "TurnRecord",
    "feedback_outcomes",
    "recorded_outcomes",
]
