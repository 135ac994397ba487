"""What the store hands back: plain records and the pydantic shapes the MCP tools return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class TurnRecord:
    session_id: str
    turn_id: str | None
    seq: int
    message_count: int
    created_at: datetime
    duplicate: bool = False  # a retry of a turn already stored: nothing was written
    capped: bool = False  # below-owner content was cut at the session's external cap
    resent: int = 0  # leading messages that repeated the stored history and were skipped


@dataclass(frozen=True)
class ToolCallRecord:
    server: str
    tool: str
    arguments: dict[str, Any]
    error: str | None
    created_at: datetime
    turn_id: str | None = None  # the turn the call belongs to (None: none, or an older row)


class MemoryTier(StrEnum):
    full = "full"
    summary = "summary"  # a summary of older turns plus the recent ones
    retrieval = "retrieval"  # only the turns relevant to the current one, plus the newest


class ContextResult(BaseModel):
    session_id: str
    model: str
    tier: MemoryTier = Field(description="which memory tier was chosen for this prefill")
    messages: list[dict[str, Any]] = Field(description="chat messages to send, oldest first")
    tokens: int = Field(description="tokens of the messages sent")
    full_tokens: int = Field(description="tokens the whole history would take")
    tokens_saved: int
    budget: int = Field(
        description="tokens available: the window less the output reserve, "
        "or less when max_prefill_usd caps it"
    )
    dropped: int = Field(description="stored messages left out")
    counted_with: str
    notes: list[str] = Field(default_factory=list)


class RecallHit(BaseModel):
    session_id: str
    turn_id: str | None
    seq: int = Field(description="position of the message in its session")
    role: str
    integrity: str
    text: str
    score: float = Field(description="cosine similarity to the query")


class SessionSummary(BaseModel):
    id: str
    agent_id: str | None
    created_at: datetime
    updated_at: datetime
    turns: int
    messages: int
