"""Session memory: where it is stored, how long it is kept, and how context is assembled."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from .routing import Strict

DEFAULT_DB = Path("~/.local/share/agent-router/memory.db")


class MemorySpec(Strict):
    enabled: bool = True
    url: str | None = Field(
        None,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path.db or "
        "postgresql+asyncpg://user@host/db; default: a SQLite file under ~/.local/share",
    )
    write_timeout_s: float = Field(
        5.0,
        gt=0,
        description="route_turn answers without memory when a write takes longer",
    )
    ttl_days: float | None = Field(None, gt=0, description="sessions idle this long are deleted")
    max_turns_per_session: int | None = Field(
        None, gt=0, description="older unpinned turns beyond this are deleted"
    )
    retention_interval_s: float = Field(300.0, gt=0, description="how often retention runs")
    external_cap_chars: int = Field(
        200_000, ge=0, description="most characters of below-owner content a session keeps"
    )
    recent_messages: int = Field(8, ge=1, description="newest messages always kept in context")
    max_prefill_usd: float | None = Field(
        None, gt=0, description="context for pricier models is trimmed to stay under this cost"
    )
    tenant_quota_bytes: int | None = Field(
        None,
        gt=0,
        description="most bytes of message text and images one tenant's sessions may hold "
        "(memory/quota.py says what counts); a turn that would go over is refused, nothing stored",
    )
    retrieval_k: int = Field(16, ge=1, description="relevant older messages retrieval-first keeps")

    def resolved_url(self) -> str:
        if self.url:
            return self.url
        if os.environ.get("AGENT_ROUTER_MEMORY_URL"):  # lets test suites keep off the user's file
            return os.environ["AGENT_ROUTER_MEMORY_URL"]
        path = DEFAULT_DB.expanduser()
        return f"sqlite+aiosqlite:///{path}"
