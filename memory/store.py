"""MemoryStore: durable session memory on SQLAlchemy's async engine, SQLite or PostgreSQL.

Writes lock the session row first, so concurrent writers to one session get consecutive
sequence numbers and a retried turn id is seen before anything is written twice."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from ..config import MemorySpec, Modality, ModelSpec
from ..errors import InputError, RouterError
from ..images import LoadedImage, decode_image, load_images
from ..trust import Integrity
from ..turns import ChatMessage
from .context import StoredMessage, assemble, measure
from .engine import create_engine
from .group_commit import GroupCommit
from .migrate import upgrade
from .records import ContextResult, RecallHit, SessionSummary, ToolCallRecord, TurnRecord
from .schema import (
    BlobRow,
    DecisionRow,
    EmbeddingRow,
    FeedbackRow,
    MessageRow,
    PartRow,
    SessionRow,
    ToolCallRow,
    ToolSelectionRow,
    TurnRow,
    VerdictRow,
    new_generation,
    utcnow,
)
from .transactions import write_transactions
from .views import SessionView, SessionViews, read_messages, read_vectors
from .writes import TurnRequest, TurnWriter, Unembedded, dialect_insert, turn_pk, unknown_turn

if TYPE_CHECKING:  # the encoders pull in torch; the CLI's export and import need none of it
    from ..embeddings import AsyncEncoder, ScreenText

log = logging.getLogger("agent_router.memory")

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,200}$")
EMBED_BATCH = 64
EMBED_CHARS = 2000
IMAGE_LIMITS = (20_000_000, 40_000_000)
PG_WRITERS = 4  # batches of turns written at once on PostgreSQL (see GroupCommit)
INDEX_DELAY_S = 0.1  # background embedding waits this long after a write: see _schedule_index


class MemoryUnavailable(RouterError):
    """The database is down, locked, full or otherwise refused the write; nothing was stored."""


def check_id(value: str | None, field: str) -> None:
    if value is not None and not ID_PATTERN.match(value):
        raise InputError.single(field, "use 1-200 characters from letters, digits and _.:@/+=-")


@dataclass
class MemoryStore:
    engine: AsyncEngine
    spec: MemorySpec
    models: dict[str, ModelSpec]
    text: AsyncEncoder[str, np.ndarray] | None  # None: tools that only list, export, import
    ocr: AsyncEncoder[LoadedImage, ScreenText] | None = None
    index_in_background: bool = True

    def __post_init__(self) -> None:
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._views = SessionViews(self.engine)  # what get_context read last, per session
        # Turns, session events and embeddings: the writes every routed turn makes.
        self._transactions = write_transactions(self.engine)
        self._writes = TurnWriter.for_dialect(self.engine.dialect.name)
        self._turns = GroupCommit(
            self._transactions,
            self._writes,
            writers=1 if self.engine.dialect.name == "sqlite" else PG_WRITERS,
        )
        # The rare ones (forget, retention, import, demotion, screen text) keep async sessions.
        self._write = async_sessionmaker(
            self.engine.execution_options(immediate=True), expire_on_commit=False
        )
        self._unembedded: dict[str, list[Unembedded]] = {}  # per session, for _index_loop
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._retention: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        spec: MemorySpec,
        models: Sequence[ModelSpec] = (),
        text: AsyncEncoder[str, np.ndarray] | None = None,
        ocr: AsyncEncoder[LoadedImage, ScreenText] | None = None,
        url: str | None = None,
    ) -> MemoryStore:
        """Connect, apply migrations, and start retention when the config asks for it."""
        engine = create_engine(url or spec.resolved_url())
        try:
            await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        store = cls(
            engine, spec, {m.name: m for m in models}, text, ocr, index_in_background=text is not None
        )
        if spec.ttl_days is not None or spec.max_turns_per_session is not None:
            store._retention = asyncio.create_task(store._retention_loop())
        return store

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._retention] if self._retention else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._turns.aclose()
        await self._transactions.aclose()
        await self.engine.dispose()

    def _insert(self, table: type) -> Any:
        return dialect_insert(self.engine.dialect.name, table)

    # ---- writes -------------------------------------------------------------------------

    async def record_turn(
        self,
        session_id: str,
        turn_id: str | None,
        messages: list[ChatMessage],
        decision: BaseModel | dict[str, Any] | None,
        agent_id: str | None = None,
        integrity: Integrity = Integrity.owner,
        images: list[LoadedImage] | None = None,
    ) -> TurnRecord:
        """Store a turn and its decision in one transaction, maybe shared with turns of other
        sessions (memory/group_commit.py); a known turn_id stores nothing."""
        check_id(session_id, "session_id")
        check_id(turn_id, "turn_id")
        check_id(agent_id, "agent_id")
        if not messages:
            raise InputError.single("messages", "give at least one message to record")
        if images is None and any(isinstance(m.content, list) for m in messages):
            images = load_images(messages, *IMAGE_LIMITS)
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
        try:
            record, unembedded = await self._turns.write(request)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise MemoryUnavailable(_reason(exc)) from exc
        if self.index_in_background and unembedded:
            self._schedule_index(session_id, unembedded)
        return record

    async def _event(self, session_id: str, work: Callable[[Connection], None]) -> None:
        """A session event in a write transaction of its own."""
        check_id(session_id, "session_id")
        try:
            await self._transactions.run(work)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise MemoryUnavailable(_reason(exc)) from exc

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

    async def record_feedback(
        self, session_id: str, turn_id: str, score: float, comment: str | None = None
    ) -> None:
        await self._require_turn(session_id, turn_id)
        await self._append(FeedbackRow, session_id, {"turn_key": turn_id, "score": score, "comment": comment})

    async def mark_hostile(self, session_id: str, turn_id: str) -> None:
        """Demotion is the one change a stored turn accepts: it can only lose trust."""
        turn_pk = await self._require_turn(session_id, turn_id)
        async with self._write() as db, db.begin():
            await db.execute(
                update(TurnRow).where(TurnRow.id == turn_pk).values(integrity=Integrity.hostile.value)
            )
            await db.execute(
                update(MessageRow)
                .where(MessageRow.turn_id == turn_pk)
                .values(integrity=Integrity.hostile.value)
            )
            await self._changed(db, session_id)

    async def forget_session(self, session_id: str) -> dict[str, int]:
        """Delete a session and everything of it; returns rows deleted per table."""
        await self._require_session(session_id)
        self._views.drop(session_id)  # a view would still hold it, though never be shown
        # Pending vectors would point at deleted messages, or at their ids reused by a later
        # import: drop them, and let an embedding write already under way land first.
        self._unembedded.pop(session_id, None)
        if (indexer := self._tasks.get(session_id)) is not None:
            await asyncio.gather(indexer, return_exceptions=True)
        async with self._write() as db, db.begin():
            counts = await self._delete_turns(
                db, select(TurnRow.id).where(TurnRow.session_id == session_id).scalar_subquery()
            )
            for table in (ToolSelectionRow, ToolCallRow, VerdictRow, FeedbackRow):
                result = await db.execute(delete(table).where(table.session_id == session_id))
                counts[table.__tablename__] = result.rowcount
            await db.execute(delete(SessionRow).where(SessionRow.id == session_id))
            counts["sessions"] = 1
        return counts

    @staticmethod
    async def _changed(db: AsyncSession, session_id: str) -> None:
        """Stored turns changed (not just appended to): views of the session are read again."""
        await db.execute(
            update(SessionRow).where(SessionRow.id == session_id).values(generation=new_generation())
        )

    async def _delete_turns(self, db: AsyncSession, turn_ids: Any) -> dict[str, int]:
        messages = select(MessageRow.id).where(MessageRow.turn_id.in_(turn_ids)).scalar_subquery()
        counts = {}
        for table, where in (
            (EmbeddingRow, EmbeddingRow.message_id.in_(messages)),
            (PartRow, PartRow.message_id.in_(messages)),
            (MessageRow, MessageRow.turn_id.in_(turn_ids)),
            (DecisionRow, DecisionRow.turn_id.in_(turn_ids)),
            (TurnRow, TurnRow.id.in_(turn_ids)),
        ):
            counts[table.__tablename__] = (await db.execute(delete(table).where(where))).rowcount
        return counts

    # ---- reads --------------------------------------------------------------------------

    async def _require_session(self, session_id: str) -> SessionRow:
        check_id(session_id, "session_id")
        async with self._read() as db:
            row = await db.get(SessionRow, session_id)
        if row is None:
            raise _no_session(session_id)
        return row

    async def _require_turn(self, session_id: str, turn_id: str) -> int:
        await self._require_session(session_id)
        check_id(turn_id, "turn_id")
        async with self._read() as db:
            pk = await db.scalar(turn_pk(session_id, turn_id))
        if pk is None:
            raise unknown_turn(session_id, turn_id)
        return pk

    async def check_turn(self, session_id: str, turn_id: str) -> None:
        """An InputError naming turn_id unless the session has this turn: asked before an
        action whose record will name the turn (call_tool), so a bad id stops it up front."""
        check_id(session_id, "session_id")
        check_id(turn_id, "turn_id")
        try:
            async with self._read() as db:
                pk = await db.scalar(turn_pk(session_id, turn_id))
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise MemoryUnavailable(_reason(exc)) from exc
        if pk is None:
            raise unknown_turn(session_id, turn_id)

    async def recent_tool_calls(self, session_id: str, limit: int = 20) -> list[ToolCallRecord]:
        """The session's last `limit` tool calls, oldest first."""
        async with self._read() as db:
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

    async def user_texts(self, session_id: str, limit: int = 20) -> list[str]:
        """The session's last `limit` owner-tier user messages, oldest first."""
        trusted = [Integrity.system.value, Integrity.owner.value]
        async with self._read() as db:
            rows = (
                await db.scalars(
                    select(MessageRow.text)
                    .where(
                        MessageRow.session_id == session_id,
                        MessageRow.role == "user",
                        MessageRow.integrity.in_(trusted),
                    )
                    .order_by(MessageRow.seq.desc())
                    .limit(limit)
                )
            ).all()
        return list(reversed(rows))

    async def successful_tool_uses(self, limit: int = 1000) -> list[tuple[str, str, str]]:
        """(query, server, tool) for the last `limit` calls that succeeded, each with the latest
        earlier select_tools query of its session that offered the tool (of the call's own turn
        when both name one), oldest first: what outcome-aware tool selection relearns after a
        restart."""
        async with self._read() as db:
            calls = (
                await db.execute(
                    select(
                        ToolCallRow.session_id,
                        ToolCallRow.turn_key,
                        ToolCallRow.server,
                        ToolCallRow.tool,
                        ToolCallRow.created_at,
                    )
                    .where(ToolCallRow.error.is_(None))
                    .order_by(ToolCallRow.id.desc())
                    .limit(limit)
                )
            ).all()
            sessions = {c.session_id for c in calls}
            picks = (
                (
                    await db.execute(
                        select(
                            ToolSelectionRow.session_id,
                            ToolSelectionRow.turn_key,
                            ToolSelectionRow.query,
                            ToolSelectionRow.selected,
                            ToolSelectionRow.created_at,
                        )
                        .where(ToolSelectionRow.session_id.in_(sessions))
                        .order_by(ToolSelectionRow.id.desc())
                    )
                ).all()
                if sessions
                else []
            )
        uses = []
        for call in reversed(calls):
            for pick in picks:  # newest first
                if (
                    pick.session_id == call.session_id
                    and pick.created_at <= call.created_at
                    and _same_turn(pick.turn_key, call.turn_key)
                    and any(
                        isinstance(s, dict) and s.get("server") == call.server and s.get("name") == call.tool
                        for s in pick.selected
                    )
                ):
                    if pick.query.strip():  # an offer for images alone has no text to learn
                        uses.append((pick.query, call.server, call.tool))
                    break
        return uses

    async def list_sessions(self, limit: int = 20, agent_id: str | None = None) -> list[SessionSummary]:
        query = select(SessionRow).order_by(SessionRow.updated_at.desc()).limit(limit)
        if agent_id is not None:
            query = query.where(SessionRow.agent_id == agent_id)
        async with self._read() as db:
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
        async with self.engine.connect() as conn:
            return await read_messages(conn, session_id)

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The session as JSON: its turns in order with messages and decisions."""
        from .transcript import export_session

        await self._require_session(session_id)
        events = [e async for e in export_session(self, session_id, with_blobs=False)]
        session = events[0]
        return {
            **session,
            "turns": [e for e in events if e["event"] == "turn"],
            "events": [e for e in events[1:] if e["event"] != "turn"],
        }

    # ---- embeddings, context and recall ---------------------------------------------------

    def _schedule_index(self, session_id: str, rows: list[Unembedded]) -> None:
        """Messages are embedded after their write, from what the write handed back: reading
        them back cost more than the rest, and the router has usually embedded a user's text
        already, so the encoder's cache answers for it. Starting INDEX_DELAY_S later keeps
        this work off the path of the answer the caller is waiting for (begun at once, it
        added 2-4 ms to route_turn on two busy cores) and gathers a busy session's turns
        into one pass; get_context and recall fill whatever is still pending themselves."""
        self._unembedded.setdefault(session_id, []).extend(rows)
        if session_id not in self._tasks:
            self._tasks[session_id] = asyncio.create_task(self._index_loop(session_id))

    async def _index_loop(self, session_id: str) -> None:
        try:
            await asyncio.sleep(INDEX_DELAY_S)
            while rows := self._unembedded.pop(session_id, None):
                await self._embed(session_id, rows)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("embedding session %s failed; recall will retry: %s", session_id, exc)
        finally:
            self._tasks.pop(session_id, None)

    async def index_session(self, session_id: str) -> int:
        """Embed the session's messages that have no vector yet; returns how many. What it
        reads covers what the background indexer still had pending."""
        self._unembedded.pop(session_id, None)
        async with self._read() as db:
            rows = (
                await db.execute(
                    select(MessageRow.id, MessageRow.text)
                    .outerjoin(EmbeddingRow, EmbeddingRow.message_id == MessageRow.id)
                    .where(
                        MessageRow.session_id == session_id,
                        EmbeddingRow.message_id.is_(None),
                        MessageRow.text != "",
                    )
                )
            ).all()
        await self._embed(session_id, [(mid, text) for mid, text in rows])
        return len(rows)

    async def _embed(self, session_id: str, rows: list[Unembedded]) -> None:
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors = await self._encoder().encode([text[:EMBED_CHARS] for _, text in batch])
            values = [
                {
                    "message_id": mid,
                    "session_id": session_id,
                    "dim": len(v),
                    "vector": np.asarray(v, dtype=np.float32).tobytes(),
                }
                for (mid, _), v in zip(batch, vectors, strict=True)
            ]
            await self._execute(
                self._insert(EmbeddingRow)
                .values(values)
                .on_conflict_do_nothing(index_elements=["message_id"])
            )

    async def _execute(self, statement: Executable) -> None:
        """One statement in a write transaction of its own."""

        def work(conn: Connection) -> None:
            conn.execute(statement)

        await self._transactions.run(work)

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
        check_id(session_id, "session_id")
        view = await self._views.view(session_id)
        if view is None:
            raise _no_session(session_id)
        messages = view.messages
        screen = {} if Modality.image in spec.modalities else await self._screen_texts(messages)
        blobs = await self._blob_urls(messages) if Modality.image in spec.modalities else {}
        fitting = measure(messages, spec, self.spec, screen, blobs)
        relevance = await self._relevance(session_id, view, query) if fitting.full > fitting.budget else {}
        return assemble(session_id, fitting, spec, self.spec, relevance)

    async def _relevance(self, session_id: str, view: SessionView, query: str | None) -> dict[int, float]:
        if query is None:  # the last user message at owner trust or above
            query = next((m.text for m in reversed(view.messages) if m.role == "user" and m.trusted), "")
        if not query.strip():
            return {}
        if session_id in self._tasks or session_id in self._unembedded:
            await self.index_session(session_id)  # vectors still pending: fill them now
        ids, vectors = await self._views.vectors(session_id, view)
        if len(ids) < len([m for m in view.messages if m.text]):
            await self.index_session(session_id)
            ids, vectors = await self._views.vectors(session_id, view, whole=True)
        if not ids:
            return {}
        (q,) = await self._encoder().encode([query[:EMBED_CHARS]])
        return dict(zip(ids, (vectors @ q).tolist(), strict=True))

    async def _blob_rows(self, messages: list[StoredMessage], *columns: Any) -> list[Any]:
        """(sha256, *columns) of every image the messages refer to."""
        hashes = {p.image_sha256 for m in messages for p in m.parts if p.image_sha256}
        if not hashes:
            return []
        async with self._read() as db:
            return list(
                (await db.execute(select(BlobRow.sha256, *columns).where(BlobRow.sha256.in_(hashes)))).all()
            )

    async def _screen_texts(self, messages: list[StoredMessage]) -> dict[str, str]:
        """Screen text of the session's images, read once and kept with the blob."""
        rows = await self._blob_rows(messages, BlobRow.screen_text, BlobRow.data)
        texts = {sha: text for sha, text, _ in rows if text is not None}
        missing = [(sha, data) for sha, text, data in rows if text is None]
        if missing and self.ocr is not None:
            images = [decode_image(data, sha, *IMAGE_LIMITS) for sha, data in missing]
            read = await self.ocr.encode(images)
            async with self._write() as db, db.begin():
                for (sha, _), screen in zip(missing, read, strict=True):
                    texts[sha] = screen.text
                    await db.execute(
                        update(BlobRow).where(BlobRow.sha256 == sha).values(screen_text=screen.text)
                    )
        return texts

    async def _blob_urls(self, messages: list[StoredMessage]) -> dict[str, str]:
        rows = await self._blob_rows(messages, BlobRow.mime, BlobRow.data)
        return {sha: f"data:{mime};base64,{base64.b64encode(data).decode()}" for sha, mime, data in rows}

    async def recall(
        self, query: str, session_id: str | None = None, agent_id: str | None = None, k: int = 5
    ) -> list[RecallHit]:
        """Earlier messages by meaning, in one session or across all sessions of an agent."""
        if not query.strip():
            raise InputError.single("query", "give the text to look for")
        if (session_id is None) == (agent_id is None):
            raise InputError.single("session_id", "give exactly one of session_id or agent_id")
        if session_id is not None:
            await self._require_session(session_id)
            sessions = [session_id]
        else:
            check_id(agent_id, "agent_id")
            async with self._read() as db:
                sessions = list(
                    (await db.scalars(select(SessionRow.id).where(SessionRow.agent_id == agent_id))).all()
                )
        for sid in sessions:
            await self.index_session(sid)
        async with self.engine.connect() as conn:
            ids, vectors = await read_vectors(conn, sessions)
        if not ids:
            return []
        (q,) = await self._encoder().encode([query[:EMBED_CHARS]])
        scores = vectors @ q
        async with self._read() as db:
            rows = {
                m.id: (m, key)
                for m, key in (
                    await db.execute(
                        select(MessageRow, TurnRow.turn_key)
                        .join(TurnRow, TurnRow.id == MessageRow.turn_id)
                        .where(MessageRow.id.in_(ids), MessageRow.integrity != Integrity.hostile.value)
                    )
                ).all()
            }
        ranked = sorted((i for i in range(len(ids)) if ids[i] in rows), key=lambda i: -scores[i])
        hits = []
        for i in ranked[:k]:
            m, key = rows[ids[i]]
            hits.append(
                RecallHit(
                    session_id=m.session_id,
                    turn_id=key,
                    seq=m.seq,
                    role=m.role,
                    integrity=m.integrity,
                    text=m.text,
                    score=round(float(scores[i]), 4),
                )
            )
        return hits

    def _encoder(self) -> AsyncEncoder[str, np.ndarray]:
        if self.text is None:
            raise RuntimeError("this MemoryStore was opened without a text encoder")
        return self.text

    # ---- retention ------------------------------------------------------------------------

    async def enforce_retention(self) -> dict[str, int]:
        """Drop idle sessions past the TTL and the oldest unpinned turns past the size limit.
        Each session is trimmed in its own short transaction so routing never waits long."""
        expired = trimmed = 0
        if self.spec.ttl_days is not None:
            cutoff = utcnow() - timedelta(days=self.spec.ttl_days)
            async with self._read() as db:
                old = (await db.scalars(select(SessionRow.id).where(SessionRow.updated_at < cutoff))).all()
            for sid in old:
                await self.forget_session(sid)
                expired += 1
        limit = self.spec.max_turns_per_session
        if limit is not None:
            async with self._read() as db:
                big = (await db.scalars(select(SessionRow.id).where(SessionRow.turn_count > limit))).all()
            for sid in big:
                trimmed += await self._trim(sid, limit)
        return {"expired_sessions": expired, "trimmed_turns": trimmed}

    async def _trim(self, session_id: str, limit: int) -> int:
        pinned = select(MessageRow.turn_id).where(
            MessageRow.session_id == session_id, MessageRow.pinned.is_(True)
        )
        async with self._write() as db, db.begin():
            keep_from = await db.scalar(
                select(TurnRow.seq)
                .where(TurnRow.session_id == session_id)
                .order_by(TurnRow.seq.desc())
                .offset(limit - 1)
                .limit(1)
            )
            if keep_from is None:
                return 0
            doomed = (
                await db.scalars(
                    select(TurnRow.id).where(
                        TurnRow.session_id == session_id, TurnRow.seq < keep_from, TurnRow.id.not_in(pinned)
                    )
                )
            ).all()
            if doomed:
                await self._delete_turns(db, list(doomed))
                await self._changed(db, session_id)
        return len(doomed)

    async def _retention_loop(self) -> None:
        """A pass every interval, the first one interval after start: a start-up burst of passes
        from restarting replicas would compete with the first turns for the write lock."""
        while True:
            await asyncio.sleep(self.spec.retention_interval_s)
            try:
                await self.enforce_retention()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("retention pass failed, retrying next interval: %s", exc)


def _same_turn(one: str | None, other: str | None) -> bool:
    """Rows that both name a turn go together only when it is the same turn; rows recorded
    before calls named theirs (migration 0003) go by time alone."""
    return one is None or other is None or one == other


def _no_session(session_id: str) -> InputError:
    return InputError.single(
        "session_id",
        f"no session {session_id!r}; sessions are created "
        "by route_turn with a session_id (see sessions://recent)",
    )


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"{exc.__class__.__name__}: {text}"[:300]
