"""What dispatch and pool status return to callers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Attempt(BaseModel):
    model: str
    endpoint: str
    outcome: str = Field(description="'answered', 'woken', or what failed: connect, timeout, ...")
    detail: str = ""
    ms: float


class CascadeStep(BaseModel):
    model: str
    endpoint: str | None
    mean_logprob: float | None = Field(description="the answer's confidence")
    threshold: float
    kept: bool
    cost_usd: float


class DispatchOutcome(BaseModel):
    answer: str
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, description="the tool calls the model asked for, OpenAI shape"
    )
    model: str
    endpoint: str
    finish_reason: str | None
    ttft_ms: float = Field(description="request sent to first token, as the router saw it")
    total_ms: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    mean_logprob: float | None = None
    woke: bool = Field(False, description="a cold endpoint was woken and awaited for this turn")
    affinity: bool = Field(False, description="the session's previous endpoint served it")
    attempts: list[Attempt]
    cascade: list[CascadeStep] = Field(default_factory=list)
    cost_usd: float = 0.0
    cost_saved_usd: float = Field(0.0, description="against the cascade's last model")
    notes: list[str] = Field(default_factory=list)


class EndpointStatus(BaseModel):
    name: str
    pool: str
    url: str
    models: list[str]
    state: str
    reason: str
    breaker: str
    in_flight: int
    served: int
    failed: int
    queue_depth: float | None = None
    running: float | None = None
    kv_cache_usage: float | None = None
    cold_start_s: float | None = Field(None, description="median measured wake time")
    cold_starts_measured: int = 0
    api_key_env: str | None = Field(None, description="the variable's name; the key is never shown")
    api_key_set: bool | None = None
