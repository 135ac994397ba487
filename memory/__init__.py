"""Session memory in SQL (installed as agent_router.memory): every turn recorded durably,
context fitted to a model's window, recall by meaning, export and import as JSON Lines."""

from .database import Database, MemoryUnavailable
from .ids import check_id
from .model_outcomes import (
    ANSWER_SUFFIX,
    ModelOutcome,
    OutcomeSum,
    model_outcomes_after,
    record_model_outcomes,
    turn_choice,
)
from .records import (
    ContextResult,
    MemoryTier,
    RecallHit,
    SessionSummary,
    ToolCallRecord,
    TurnRecord,
)
from .store import MemoryStore
from .tool_outcomes import Seen, ToolOutcome, feedback_outcomes, outcomes_since, recorded_outcomes, seen_now

__all__ = [
    "ANSWER_SUFFIX",
    "ContextResult",
    "Database",
    "MemoryStore",
    "MemoryTier",
    "MemoryUnavailable",
    "ModelOutcome",
    "OutcomeSum",
    "RecallHit",
    "Seen",
    "SessionSummary",
    "ToolCallRecord",
    "ToolOutcome",
    "TurnRecord",
    "check_id",
    "feedback_outcomes",
    "model_outcomes_after",
    "outcomes_since",
    "record_model_outcomes",
    "recorded_outcomes",
    "seen_now",
    "turn_choice",
]
