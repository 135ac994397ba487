"""MemoryStore: durable session memory on SQLAlchemy's async engine, SQLite or PostgreSQL.

The facade the router, its tools and the CLI call. It composes the parts, each in its module:
the database boundary (database.py: every driver error becomes MemoryUnavailable), the turn
write path (writes.py, group_commit.py), the views get_context reads (views.py, context.py),
embedding and recall (indexing.py), images (blobs.py) and retention (retention.py).

Writes lock the session row first, so concurrent writers to one session get consecutive
sequence numbers and a retried turn id is seen before anything is written twice.

Every session_id the store takes is a session key (memory/ids.py): the caller's id scoped to
its tenant, which the core maps at its boundary; what the store hands back carries keys too.
Queries across sessions (list_sessions, recall by agent) take the tenant to stay within."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..config import MemorySpec, Modality, ModelSpec
from ..embeddings.image_input import LoadedImage
from ..errors import InputError
from ..images import load_images
from ..tenancy import LOCAL_TENANT
from ..trust import Integrity
from ..turns import ChatMessage
from .blobs import IMAGE_LIMITS, blob_urls, screen_texts
from .context import StoredMessage, assemble, measure
from .database import Database, unavailable_on_driver_error
from .engine import create_engine
from .group_commit import GroupCommit
from .history import (
    HISTORY_ENTRIES,
    USER_TEXTS,
    read_for_check,
    read_history,
    read_user_texts,
)
from .ids import check_id, check_key, no_session, tenant_of, unknown_turn
from .indexing import Indexer
from .keys import ApiKeys
from .migrate import upgrade
from .quota import TenantQuota, turn_bytes
from .records import ContextResult, RecallHit, SessionSummary, ToolCallRecord, TurnRecord
from .retention import Retention, delete_turns, mark_changed, rows_deleted
from .schema import (
    FeedbackRow,
    MessageRow,
    SessionRow,
    ToolCallRow,
    ToolSelectionRow,
    TurnRow,
    VerdictRow,
)
from .tool_outcomes import successful_tool_uses
from .transcript import export_session
from .views import SessionViews, read_messages
from .writes import TurnRequest, TurnWriter, turn_pk_of

if TYPE_CHECKING:  # the encoders pull in torch; the CLI's export and import need none of it
    from ..embeddings import AsyncEncoder, ScreenText

__all__ = ["MemoryStore", "check_id"]

PG_WRITERS = 4  # batches of turns written at once on PostgreSQL (see GroupCommit)


@dataclass
class MemoryStore:
    engine: AsyncEngine
    spec: MemorySpec
    models: dict[str, ModelSpec]
    text: AsyncEncoder[str, np.ndarray] | None  # None: tools that only list, export, import
    ocr: AsyncEncoder[LoadedImage, ScreenText] | None = None
    index_in_background: bool = True

    def __post_init__(self) -> None:
        self.database = Database(self.engine)
        self.views = SessionViews(self.database)  # what get_context read last, per session
        self.indexer = Indexer(self.database, self.views, self.text)
        self.quota = TenantQuota(self.database, self.spec.tenant_quota_bytes)
        self.retention = Retention(self.database, self.spec, self.forget_session, self.quota)
        self.keys = ApiKeys(self.database)  # the API keys servers in keys mode check
        self._writes = TurnWriter.for_dialect(self.database.dialect)
        self._turns = GroupCommit(
            self.database,
            self._writes,
            writers=1 if self.database.dialect == "sqlite" else PG_WRITERS,
        )

    @classmethod
    async def open(
        cls,
        spec: MemorySpec,
        models: Sequence[ModelSpec] = (),
        text: AsyncEncoder[str, np.ndarray] | None = None,
        ocr: AsyncEncoder[LoadedImage, ScreenText] | None = None,
        *,
        url: str | None = None,
    ) -> MemoryStore:
        """Connect, apply migrations, and start retention when the config asks for it. A
        database that cannot be opened or migrated raises MemoryUnavailable."""
        engine = create_engine(url or spec.resolved_url())
        try:
            with unavailable_on_driver_error():
                await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        store = cls(
            engine, spec, {m.name: m for m in models}, text, ocr, index_in_background=text is not None
        )
        store.retention.start()
        return store

    async def aclose(self) -> None:
        await self.indexer.aclose()
        await self.retention.aclose()
        await self._turns.aclose()
        await self.database.aclose()

    # ---- writes -------------------------------------------------------------------------

    async def record_turn(
        self,
        session_id: str,
        turn_id: str | None,
        messages: list[ChatMessage],
        decision: BaseModel | dict[str, Any] | None,
        *,
        agent_id: str | None = None,
        integrity: Integrity = Integrity.owner,
        images: list[LoadedImage] | None = None,
    ) -> TurnRecord:
        """Store a turn and its decision in one transaction, maybe shared with turns of other
        sessions (memory/group_commit.py); a known turn_id stores nothing. A turn that would
        take its tenant over memory.tenant_quota_bytes is an InputError, nothing stored."""
        check_key(session_id)
        check_id(turn_id, "turn_id")
        check_id(agent_id, "agent_id")
        if not messages:
            raise InputError.single("messages", "give at least one message to record")
        if images is None and any(isinstance(m.content, list) for m in messages):
            images = load_images(messages, *IMAGE_LIMITS)
        tenant, size = tenant_of(session_id), turn_bytes(messages, images or [])
        await self.quota.admit(tenant, size)
        decision_json = decision.model_dump(mode="json") if isinstance(decision, BaseModel) else decision
        request = TurnRequest(
            session_id,
            turn_id,
            messages,
            images or [],
            decision_json,
            agent_id,
            integrity,
            self.spec.external_cap_chars,
        )
        record, unembedded = await self._turns.write(request)
        if not record.duplicate:
            self.quota.stored(tenant, size)
        if self.index_in_background and unembedded:
            self.indexer.schedule(session_id, unembedded)
        return record

    async def _event(self, session_id: str, work: Callable[[Connection], None]) -> None:
        """A session event in a write transaction of its own."""
        check_key(session_id)
        await self.database.run(work)

    async def _append(self, table: type, session_id: str, values: dict[str, Any]) -> None:
        await self._event(session_id, lambda conn: self._writes.append(conn, table, session_id, values))

    async def _append_to_turn(
        self, table: type, session_id: str, turn_id: str | None, values: dict[str, Any]
    ) -> None:
        """turn_id must be a turn of the session (an InputError naming it, nothing stored);
        None stands for the session's latest turn at the time of the write."""
        check_id(turn_id, "turn_id")
        await self._event(
            session_id, lambda conn: self._writes.append_to_turn(conn, table, session_id, turn_id, values)
        )

    async def record_tool_selection(
        self, session_id: str, turn_id: str | None, query: str, selected: list[dict]
    ) -> None:
        """turn_id None: the session's latest turn."""
        await self._append_to_turn(
            ToolSelectionRow, session_id, turn_id, {"query": query, "selected": selected}
        )

    async def record_tool_call(
        self,
        session_id: str,
        server: str,
        tool: str,
        arguments: dict,
        *,
        result: dict | None,
        error: str | None,
        turn_id: str | None = None,
    ) -> None:
        """turn_id None: the session's latest turn."""
        await self._append_to_turn(
            ToolCallRow,
            session_id,
            turn_id,
            {"server": server, "tool": tool, "arguments": arguments, "result": result, "error": error},
        )

    async def record_verdict(self, session_id: str, turn_id: str | None, verdict: dict) -> None:
        await self._append(VerdictRow, session_id, {"turn_key": turn_id, "verdict": verdict})

    async def set_profile(self, session_id: str, profile: dict[str, Any]) -> None:
        """The user the session acts for, as an operator stated it (config/safety.py's
        UserProfile, fields it left unset left out); creates the session."""
        await self._event(
            session_id, lambda conn: self._writes.set_meta(conn, session_id, "profile", profile)
        )

    async def record_feedback(
        self, session_id: str, turn_id: str, score: float, *, comment: str | None = None
    ) -> None:
        await self._require_turn(session_id, turn_id)
        await self._append(FeedbackRow, session_id, {"turn_key": turn_id, "score": score, "comment": comment})

    async def mark_hostile(self, session_id: str, turn_id: str) -> None:
        """Demotion is the one change a stored turn accepts: it can only lose trust."""
        pk = await self._require_turn(session_id, turn_id)
        async with self.database.write() as db:
            await db.execute(
                update(TurnRow).where(TurnRow.id == pk).values(integrity=Integrity.hostile.value)
            )
            await db.execute(
                update(MessageRow).where(MessageRow.turn_pk == pk).values(integrity=Integrity.hostile.value)
            )
            await mark_changed(db, session_id)

    async def forget_session(self, session_id: str) -> dict[str, int]:
        """Delete a session and everything of it; returns rows deleted per table."""
        await self._require_session(session_id)
        self.views.drop(session_id)  # a view would still hold it, though never be shown
        await self.indexer.drop(session_id)
        async with self.database.write() as db:
            counts = await delete_turns(
                db, select(TurnRow.id).where(TurnRow.session_id == session_id).scalar_subquery()
            )
            for table in (ToolSelectionRow, ToolCallRow, VerdictRow, FeedbackRow):
                counts[table.__tablename__] = await rows_deleted(
                    db, delete(table).where(table.session_id == session_id)
                )
            await db.execute(delete(SessionRow).where(SessionRow.id == session_id))
            counts["sessions"] = 1
        self.quota.deleted(tenant_of(session_id))
        return counts

    async def enforce_retention(self) -> dict[str, int]:
        """One retention pass now (memory/retention.py)."""
        return await self.retention.enforce()

    # ---- reads --------------------------------------------------------------------------

    async def _require_session(self, session_id: str) -> None:
        check_key(session_id)
        async with self.database.read() as db:
            row = await db.get(SessionRow, session_id)
        if row is None:
            raise no_session(session_id)

    async def _require_turn(self, session_id: str, turn_id: str) -> int:
        await self._require_session(session_id)
        check_id(turn_id, "turn_id")
        async with self.database.read() as db:
            pk = await db.scalar(turn_pk_of(session_id, turn_id))
        if pk is None:
            raise unknown_turn(session_id, turn_id)
        return pk

    async def check_turn(self, session_id: str, turn_id: str) -> None:
        """An InputError naming turn_id unless the session has this turn: asked before an
        action whose record will name the turn (call_tool), so a bad id stops it up front."""
        check_key(session_id)
        check_id(turn_id, "turn_id")
        async with self.database.read() as db:
            pk = await db.scalar(turn_pk_of(session_id, turn_id))
        if pk is None:
            raise unknown_turn(session_id, turn_id)

    async def recent_tool_calls(self, session_id: str, limit: int = 20) -> list[ToolCallRecord]:
        """The session's last `limit` tool calls, oldest first."""
        async with self.database.read() as db:
            rows = (
                await db.scalars(
                    select(ToolCallRow)
                    .where(ToolCallRow.session_id == session_id)
                    .order_by(ToolCallRow.id.desc())
                    .limit(limit)
                )
            ).all()
        return [
            ToolCallRecord(r.server, r.tool, r.arguments, r.error, r.created_at, r.turn_key)
            for r in reversed(rows)
        ]

    async def user_texts(self, session_id: str, limit: int = USER_TEXTS) -> list[str]:
        """The session's last `limit` owner-tier user messages, oldest first."""
        return await read_user_texts(self.database, session_id, limit=limit)

    async def history(self, session_id: str, limit: int = HISTORY_ENTRIES) -> list[dict[str, Any]]:
        """The session's newest entries for the safety check (memory/history.py), oldest first."""
        return await read_history(self.database, session_id, limit=limit)

    async def read_for_check(
        self, session_id: str
    ) -> tuple[list[str], list[dict[str, Any]], dict[str, Any] | None]:
        """user_texts, history and the profile set_profile stored (None when none was), as the safety
        check reads them, in one read."""
        check_key(session_id)
        return await read_for_check(self.database, session_id)

    async def successful_tool_uses(self, limit: int = 1000) -> list[tuple[str, str, str]]:
        """What tool selection relearns after a restart (memory/tool_outcomes.py)."""
        return await successful_tool_uses(self.database, limit=limit)

    async def list_sessions(
        self, limit: int = 20, *, tenant: str | None = None, agent_id: str | None = None
    ) -> list[SessionSummary]:
        """The most recently active sessions, of one tenant (None: of all, for the admin CLI)."""
        query = select(SessionRow).order_by(SessionRow.updated_at.desc()).limit(limit)
        if tenant is not None:
            query = query.where(SessionRow.tenant == tenant)
        if agent_id is not None:
            query = query.where(SessionRow.agent_id == agent_id)
        async with self.database.read() as db:
            rows = (await db.scalars(query)).all()
        return [
            SessionSummary(
                id=r.id,
                agent_id=r.agent_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
                turns=r.turn_count,
                messages=r.message_count,
            )
            for r in rows
        ]

    async def load_messages(self, session_id: str) -> list[StoredMessage]:
        async with self.database.connect() as conn:
            return await read_messages(conn, session_id)

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The session as JSON: its turns in order with messages and decisions."""
        await self._require_session(session_id)
        events = [e async for e in export_session(self.database, session_id, with_blobs=False)]
        session = events[0]
        return {
            **session,
            "turns": [e for e in events if e["event"] == "turn"],
            "events": [e for e in events[1:] if e["event"] != "turn"],
        }

    # ---- context and recall ---------------------------------------------------------------

    async def get_context(
        self, session_id: str, model: str | ModelSpec, query: str | None = None
    ) -> ContextResult:
        """The session's messages fitted to the model's window (see memory/context.py), from
        a view kept between calls (memory/views.py)."""
        spec = model if isinstance(model, ModelSpec) else self.models.get(model)
        if spec is None:
            raise InputError.single(
                "model", f"unknown model {model!r}; known models: {', '.join(sorted(self.models))}"
            )
        check_key(session_id)
        view = await self.views.view(session_id)
        if view is None:
            raise no_session(session_id)
        messages = view.messages
        sees_images = Modality.image in spec.modalities
        screen = {} if sees_images else await screen_texts(self.database, messages, self.ocr)
        blobs = await blob_urls(self.database, messages) if sees_images else {}
        fitting = measure(messages, spec, self.spec, screen, blobs)
        relevance = (
            await self.indexer.relevance(session_id, view, query) if fitting.full > fitting.budget else {}
        )
        return assemble(session_id, fitting, spec, self.spec, relevance)

    async def index_session(self, session_id: str) -> int:
        """Embed the session's messages that have no vector yet; returns how many."""
        return await self.indexer.index_session(session_id)

    async def recall(
        self,
        query: str,
        *,
        session_id: str | None = None,
        agent_id: str | None = None,
        tenant: str = LOCAL_TENANT,
        k: int = 5,
    ) -> list[RecallHit]:
        """Earlier messages by meaning, in one session or across all sessions of an agent
        within `tenant`."""
        if not query.strip():
            raise InputError.single("query", "give the text to look for")
        if (session_id is None) == (agent_id is None):
            raise InputError.single("session_id", "give exactly one of session_id or agent_id")
        if session_id is not None:
            await self._require_session(session_id)
            sessions = [session_id]
        else:
            check_id(agent_id, "agent_id")
            async with self.database.read() as db:
                sessions = list(
                    (
                        await db.scalars(
                            select(SessionRow.id).where(
                                SessionRow.agent_id == agent_id, SessionRow.tenant == tenant
                            )
                        )
                    ).all()
                )
        return await self.indexer.recall(query, sessions, k=k)
