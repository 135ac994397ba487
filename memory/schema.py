"""The tables of session memory. Append-only by design: a turn, once acknowledged, is never
rewritten, so retries, replicas and lower-trust writers cannot change what an owner said."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no zone, and exports must round-trip the same on both backends."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_generation() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default="local", server_default="local", index=True)
    agent_id: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    external_chars: Mapped[int] = mapped_column(Integer, default=0)
    history_digest: Mapped[str] = mapped_column(String(64), default="")  # see prepare.py
    # New whenever stored content changes other than by a turn appended (a demotion, a trim) and
    # for every new row, so a cached view of the session is checked with one read (views.py).
    generation: Mapped[str] = mapped_column(String(32), default=new_generation, server_default="")


class TurnRow(Base):
    """One route_turn call: the messages it brought and the decision it got."""

    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_turns_session_seq"),
        UniqueConstraint("session_id", "turn_key", name="uq_turns_session_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    turn_key: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    integrity: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_seq", "session_id", "seq", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The turn's row id; the caller's turn id is TurnRow.turn_key.
    turn_pk: Mapped[int] = mapped_column("turn_id", ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    tool_call_id: Mapped[str | None] = mapped_column(String(200))
    integrity: Mapped[str] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(String(200))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    tokens: Mapped[int] = mapped_column(Integer, default=0)


class PartRow(Base):
    """Ordered content of a message: text, an image by content hash, a tool call or result."""

    __tablename__ = "parts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BlobRow(Base):
    """Image bytes, stored once however many turns show them."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    screen_text: Mapped[str | None] = mapped_column(Text)


class DecisionRow(Base):
    __tablename__ = "decisions"
    turn_pk: Mapped[int] = mapped_column(
        "turn_id", ForeignKey("turns.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str | None] = mapped_column(String(200))
    route: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)


class ToolSelectionRow(Base):
    __tablename__ = "tool_selections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    turn_key: Mapped[str | None] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    selected: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ToolCallRow(Base):
    __tablename__ = "tool_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    # The turn the call belongs to (call_tool's turn_id, by default the session's latest turn);
    # None for calls recorded before migration 0003 or while the session had no turn.
    turn_key: Mapped[str | None] = mapped_column(String(200))
    server: Mapped[str] = mapped_column(String(200))
    tool: Mapped[str] = mapped_column(String(200))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VerdictRow(Base):
    __tablename__ = "verdicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    turn_key: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    turn_key: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EmbeddingRow(Base):
    """MiniLM vector of a message's text as float32 bytes, filled off the hot path."""

    __tablename__ = "embeddings"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(200), index=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ApiKeyRow(Base):
    """An API key of a tenant: only the SHA-256 of its secret is kept, so a copy of the
    database gives no working key; in the memory database so that replicas share it."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public: shown in lists
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ModelOutcomeRow(Base):
    """One outcome of a model on a route for a tenant (a rating of a routed turn, a dispatch
    that failed, escalated or answered): what learning from outcomes sums. Append-only, so
    replicas add outcomes without reading each other's; no session id, so nothing of a
    session's content or identity outlives forgetting it."""

    __tablename__ = "model_outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    good: Mapped[float] = mapped_column(Float)  # 0..1; the outcome's bad part is 1 - good
    source: Mapped[str] = mapped_column(String(16))  # "feedback" or "dispatch"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


SESSION_TABLES = (
    EmbeddingRow,
    PartRow,
    DecisionRow,
    MessageRow,
    TurnRow,
    ToolSelectionRow,
    ToolCallRow,
    VerdictRow,
    FeedbackRow,
)
