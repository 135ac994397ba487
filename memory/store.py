"""MemoryStore: durable session memory on SQLAlchemy's async engine, SQLite or PostgreSQL.

Writes lock the session row first, so concurrent writers to one session get consecutive
sequence numbers and a retried turn id is seen before anything is written twice."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..config import MemorySpec, Modality, ModelSpec
from ..errors import InputError
from ..images import LoadedImage, decode_image, load_images
from ..trust import Integrity
from ..turns import ChatMessage
from .context import StoredMessage, StoredPart, assemble
from .engine import create_engine
from .migrate import upgrade
from .prepare import PreparedTurn, already_stored, history_digests, images_in, prepare_turn
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
    utcnow,
)

if TYPE_CHECKING:  # the encoders pull in torch; the CLI's export and import need none of it
    from ..embeddings import AsyncEncoder, ScreenText

log = logging.getLogger("agent_router.memory")

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,200}$")
EMBED_BATCH = 64
EMBED_CHARS = 2000
IMAGE_LIMITS = (20_000_000, 40_000_000)


class MemoryUnavailable(RuntimeError):
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
        self._write = async_sessionmaker(self.engine.execution_options(immediate=True),
                                         expire_on_commit=False)
        self._dirty: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._retention: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, spec: MemorySpec, models: Sequence[ModelSpec] = (),
                   text: AsyncEncoder[str, np.ndarray] | None = None,
                   ocr: AsyncEncoder[LoadedImage, ScreenText] | None = None,
                   url: str | None = None) -> MemoryStore:
        """Connect, apply migrations, and start retention when the config asks for it."""
        engine = create_engine(url or spec.resolved_url())
        try:
            await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
        store = cls(engine, spec, {m.name: m for m in models}, text, ocr,
                    index_in_background=text is not None)
        if spec.ttl_days is not None or spec.max_turns_per_session is not None:
            store._retention = asyncio.create_task(store._retention_loop())
        return store

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._retention] if self._retention else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.engine.dispose()

    def _insert(self, table: type) -> Any:
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # ---- writes -------------------------------------------------------------------------

    async def record_turn(
        self, session_id: str, turn_id: str | None, messages: list[ChatMessage],
        decision: BaseModel | dict[str, Any] | None, agent_id: str | None = None,
        integrity: Integrity = Integrity.owner, images: list[LoadedImage] | None = None,
    ) -> TurnRecord:
        """Store a turn and its decision in one transaction; a known turn_id stores nothing."""
        check_id(session_id, "session_id")
        check_id(turn_id, "turn_id")
        check_id(agent_id, "agent_id")
        if not messages:
            raise InputError.single("messages", "give at least one message to record")
        if images is None and any(isinstance(m.content, list) for m in messages):
            images = load_images(messages, *IMAGE_LIMITS)
        decision_json = decision.model_dump(mode="json") if isinstance(decision, BaseModel) \
            else decision
        try:
            async with self._write() as db, db.begin():
                record = await self._record(db, session_id, turn_id, messages, images or [],
                                            decision_json, agent_id, integrity)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise MemoryUnavailable(_reason(exc)) from exc
        if self.index_in_background and not record.duplicate:
            self._schedule_index(session_id)
        return record

    async def _record(self, db: AsyncSession, session_id: str, turn_id: str | None,
                      messages: list[ChatMessage], images: list[LoadedImage],
                      decision: dict[str, Any] | None, agent_id: str | None,
                      integrity: Integrity) -> TurnRecord:
        now = utcnow()
        lock = (update(SessionRow).where(SessionRow.id == session_id).values(updated_at=now)
                .returning(SessionRow.turn_count, SessionRow.message_count,
                           SessionRow.external_chars, SessionRow.history_digest))
        row = (await db.execute(lock)).one_or_none()  # takes the session's row lock
        if row is None:
            await db.execute(self._insert(SessionRow).values(
                id=session_id, agent_id=agent_id, created_at=now, updated_at=now, meta={},
                turn_count=0, message_count=0, external_chars=0, history_digest="",
            ).on_conflict_do_nothing(index_elements=["id"]))
            row = (await db.execute(lock)).one()
        turns, count, external, history = row
        if turn_id is not None:
            existing = await db.scalar(select(TurnRow).where(
                TurnRow.session_id == session_id, TurnRow.turn_key == turn_id))
            if existing is not None:
                n = await db.scalar(select(func.count()).where(MessageRow.turn_id == existing.id))
                return TurnRecord(session_id, turn_id, existing.seq, n or 0, existing.created_at,
                                  duplicate=True)
        resent = already_stored(messages, history)
        if resent == len(messages):
            return TurnRecord(session_id, turn_id, turns, 0, now, duplicate=True, resent=resent)
        new = messages[resent:]
        digest = history_digests(new, history)[-1]
        prepared = prepare_turn(new, images[images_in(messages[:resent]):], integrity,
                                self.spec.external_cap_chars - external)
        await db.execute(update(SessionRow).where(SessionRow.id == session_id).values(
            turn_count=turns + 1, message_count=count + len(prepared.messages),
            external_chars=external + prepared.external_chars, history_digest=digest))
        turn = TurnRow(session_id=session_id, seq=turns + 1, turn_key=turn_id, agent_id=agent_id,
                       integrity=integrity.value, created_at=now)
        db.add(turn)
        await db.flush()
        await self._store_blobs(db, prepared)
        await self._store_messages(db, turn.id, session_id, count, prepared, agent_id)
        if decision is not None:
            db.add(DecisionRow(turn_id=turn.id, model=decision.get("model"),
                               route=decision.get("route"), decision=decision))
        await db.flush()
        return TurnRecord(session_id, turn_id, turn.seq, len(prepared.messages), now,
                          capped=prepared.capped, resent=resent)

    async def _store_blobs(self, db: AsyncSession, prepared: PreparedTurn) -> None:
        for image in prepared.images.values():
            await db.execute(self._insert(BlobRow).values(
                sha256=image.sha256, mime=f"image/{image.format.lower()}", data=image.data,
            ).on_conflict_do_nothing(index_elements=["sha256"]))

    async def _store_messages(self, db: AsyncSession, turn_pk: int, session_id: str, count: int,
                              prepared: PreparedTurn, author: str | None) -> None:
        rows = [MessageRow(turn_id=turn_pk, session_id=session_id, seq=count + i + 1,
                           role=m.role, name=m.name, tool_call_id=m.tool_call_id,
                           integrity=m.integrity.value, author=author, pinned=m.pinned,
                           text=m.text, tokens=m.tokens)
                for i, m in enumerate(prepared.messages)]
        db.add_all(rows)
        await db.flush()
        db.add_all([PartRow(message_id=row.id, position=j, kind=p.kind, text=p.text,
                            image_sha256=p.image_sha256, data=p.data)
                    for row, m in zip(rows, prepared.messages, strict=True)
                    for j, p in enumerate(m.parts)])

    async def _append(self, row: Any, session_id: str) -> None:
        check_id(session_id, "session_id")
        try:
            async with self._write() as db, db.begin():
                now = utcnow()
                await db.execute(self._insert(SessionRow).values(
                    id=session_id, created_at=now, updated_at=now, meta={}, turn_count=0,
                    message_count=0, external_chars=0, history_digest="",
                ).on_conflict_do_nothing(index_elements=["id"]))
                db.add(row)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise MemoryUnavailable(_reason(exc)) from exc

    async def record_tool_selection(self, session_id: str, turn_id: str | None, query: str,
                                    selected: list[dict]) -> None:
        await self._append(ToolSelectionRow(session_id=session_id, turn_key=turn_id, query=query,
                                            selected=selected), session_id)

    async def record_tool_call(self, session_id: str, server: str, tool: str,
                               arguments: dict, result: dict | None, error: str | None) -> None:
        await self._append(ToolCallRow(session_id=session_id, server=server, tool=tool,
                                       arguments=arguments, result=result, error=error),
                           session_id)

    async def record_verdict(self, session_id: str, turn_id: str | None, verdict: dict) -> None:
        await self._append(VerdictRow(session_id=session_id, turn_key=turn_id, verdict=verdict),
                           session_id)

    async def record_feedback(self, session_id: str, turn_id: str, score: float,
                              comment: str | None = None) -> None:
        await self._require_turn(session_id, turn_id)
        await self._append(FeedbackRow(session_id=session_id, turn_key=turn_id, score=score,
                                       comment=comment), session_id)

    async def mark_hostile(self, session_id: str, turn_id: str) -> None:
        """Demotion is the one change a stored turn accepts: it can only lose trust."""
        turn_pk = await self._require_turn(session_id, turn_id)
        async with self._write() as db, db.begin():
            await db.execute(update(TurnRow).where(TurnRow.id == turn_pk)
                             .values(integrity=Integrity.hostile.value))
            await db.execute(update(MessageRow).where(MessageRow.turn_id == turn_pk)
                             .values(integrity=Integrity.hostile.value))

    async def forget_session(self, session_id: str) -> dict[str, int]:
        """Delete a session and everything of it; returns rows deleted per table."""
        await self._require_session(session_id)
        async with self._write() as db, db.begin():
            counts = await self._delete_turns(db, select(TurnRow.id).where(
                TurnRow.session_id == session_id).scalar_subquery())
            for table in (ToolSelectionRow, ToolCallRow, VerdictRow, FeedbackRow):
                result = await db.execute(delete(table).where(table.session_id == session_id))
                counts[table.__tablename__] = result.rowcount
            await db.execute(delete(SessionRow).where(SessionRow.id == session_id))
            counts["sessions"] = 1
        return counts

    async def _delete_turns(self, db: AsyncSession, turn_ids: Any) -> dict[str, int]:
        messages = select(MessageRow.id).where(MessageRow.turn_id.in_(turn_ids)).scalar_subquery()
        counts = {}
        for table, where in ((EmbeddingRow, EmbeddingRow.message_id.in_(messages)),
                             (PartRow, PartRow.message_id.in_(messages)),
                             (MessageRow, MessageRow.turn_id.in_(turn_ids)),
                             (DecisionRow, DecisionRow.turn_id.in_(turn_ids)),
                             (TurnRow, TurnRow.id.in_(turn_ids))):
            counts[table.__tablename__] = (await db.execute(delete(table).where(where))).rowcount
        return counts

    # ---- reads --------------------------------------------------------------------------

    async def _require_session(self, session_id: str) -> SessionRow:
        check_id(session_id, "session_id")
        async with self._read() as db:
            row = await db.get(SessionRow, session_id)
        if row is None:
            raise InputError.single("session_id", f"no session {session_id!r}; sessions are "
                                    "created by route_turn with a session_id (see sessions://recent)")
        return row

    async def _require_turn(self, session_id: str, turn_id: str) -> int:
        await self._require_session(session_id)
        check_id(turn_id, "turn_id")
        async with self._read() as db:
            pk = await db.scalar(select(TurnRow.id).where(TurnRow.session_id == session_id,
                                                          TurnRow.turn_key == turn_id))
        if pk is None:
            raise InputError.single("turn_id", f"session {session_id!r} has no turn {turn_id!r}; "
                                    "give the turn_id passed to route_turn")
        return pk

    async def recent_tool_calls(self, session_id: str, limit: int = 20) -> list[ToolCallRecord]:
        """The session's last `limit` tool calls, oldest first."""
        async with self._read() as db:
            rows = (await db.scalars(select(ToolCallRow).where(ToolCallRow.session_id == session_id)
                                     .order_by(ToolCallRow.id.desc()).limit(limit))).all()
        return [ToolCallRecord(r.server, r.tool, r.arguments, r.error, r.created_at)
                for r in reversed(rows)]

    async def user_texts(self, session_id: str, limit: int = 20) -> list[str]:
        """The session's last `limit` owner-tier user messages, oldest first."""
        trusted = [Integrity.system.value, Integrity.owner.value]
        async with self._read() as db:
            rows = (await db.scalars(select(MessageRow.text).where(
                MessageRow.session_id == session_id, MessageRow.role == "user",
                MessageRow.integrity.in_(trusted)).order_by(MessageRow.seq.desc())
                .limit(limit))).all()
        return list(reversed(rows))

    async def list_sessions(self, limit: int = 20, agent_id: str | None = None
                            ) -> list[SessionSummary]:
        query = select(SessionRow).order_by(SessionRow.updated_at.desc()).limit(limit)
        if agent_id is not None:
            query = query.where(SessionRow.agent_id == agent_id)
        async with self._read() as db:
            rows = (await db.scalars(query)).all()
        return [SessionSummary(id=r.id, agent_id=r.agent_id, created_at=r.created_at,
                               updated_at=r.updated_at, turns=r.turn_count,
                               messages=r.message_count) for r in rows]

    async def load_messages(self, session_id: str) -> list[StoredMessage]:
        """Column rows, not ORM objects: building entities costs more than the query here."""
        m = MessageRow
        async with self._read() as db:
            rows = (await db.execute(
                select(m.id, m.seq, TurnRow.turn_key, m.role, m.name, m.tool_call_id,
                       m.integrity, m.author, m.pinned, m.text, m.tokens)
                .join(TurnRow, TurnRow.id == m.turn_id)
                .where(m.session_id == session_id).order_by(m.seq))).all()
            parts = (await db.execute(
                select(PartRow.message_id, PartRow.kind, PartRow.text, PartRow.image_sha256,
                       PartRow.data)
                .where(PartRow.message_id.in_(select(m.id).where(m.session_id == session_id)))
                .order_by(PartRow.message_id, PartRow.position))).all()
        by_message: dict[int, list[StoredPart]] = {}
        for message_id, *fields in parts:
            by_message.setdefault(message_id, []).append(StoredPart(*fields))
        return [StoredMessage(mid, seq, key, role, name, call, Integrity(level), author, pinned,
                              text, tokens, by_message.get(mid, []))
                for mid, seq, key, role, name, call, level, author, pinned, text, tokens in rows]

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The session as JSON: its turns in order with messages and decisions."""
        from .transcript import export_session

        await self._require_session(session_id)
        events = [e async for e in export_session(self, session_id, with_blobs=False)]
        session = events[0]
        return {**session, "turns": [e for e in events if e["event"] == "turn"],
                "events": [e for e in events[1:] if e["event"] != "turn"]}

    # ---- embeddings, context and recall ---------------------------------------------------

    def _schedule_index(self, session_id: str) -> None:
        self._dirty.add(session_id)
        if session_id not in self._tasks:
            self._tasks[session_id] = asyncio.create_task(self._index_loop(session_id))

    async def _index_loop(self, session_id: str) -> None:
        try:
            while session_id in self._dirty:
                self._dirty.discard(session_id)
                await self.index_session(session_id)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("embedding session %s failed; recall will retry: %s", session_id, exc)
        finally:
            self._tasks.pop(session_id, None)

    async def index_session(self, session_id: str) -> int:
        """Embed the session's messages that have no vector yet; returns how many."""
        async with self._read() as db:
            rows = (await db.execute(
                select(MessageRow.id, MessageRow.text)
                .outerjoin(EmbeddingRow, EmbeddingRow.message_id == MessageRow.id)
                .where(MessageRow.session_id == session_id, EmbeddingRow.message_id.is_(None),
                       MessageRow.text != ""))).all()
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start:start + EMBED_BATCH]
            vectors = await self._encoder().encode([text[:EMBED_CHARS] for _, text in batch])
            values = [{"message_id": mid, "session_id": session_id, "dim": len(v),
                       "vector": np.asarray(v, dtype=np.float32).tobytes()}
                      for (mid, _), v in zip(batch, vectors, strict=True)]
            async with self._write() as db, db.begin():
                await db.execute(self._insert(EmbeddingRow).values(values)
                                 .on_conflict_do_nothing(index_elements=["message_id"]))
        return len(rows)

    async def _vectors(self, session_ids: list[str]) -> dict[int, np.ndarray]:
        async with self._read() as db:
            rows = (await db.execute(select(EmbeddingRow.message_id, EmbeddingRow.vector)
                                     .where(EmbeddingRow.session_id.in_(session_ids)))).all()
        return {mid: np.frombuffer(blob, dtype=np.float32) for mid, blob in rows}

    async def get_context(self, session_id: str, model: str | ModelSpec,
                          query: str | None = None) -> ContextResult:
        """The session's messages fitted to the model's window (see memory/context.py)."""
        spec = model if isinstance(model, ModelSpec) else self.models.get(model)
        if spec is None:
            raise InputError.single("model", f"unknown model {model!r}; known models: "
                                    f"{', '.join(sorted(self.models))}")
        await self._require_session(session_id)
        messages = await self.load_messages(session_id)
        relevance = await self._relevance(session_id, messages, query)
        screen = {} if Modality.image in spec.modalities else await self._screen_texts(messages)
        blobs = await self._blob_urls(messages) if Modality.image in spec.modalities else {}
        return assemble(session_id, messages, spec, self.spec, relevance, screen, blobs)

    async def _relevance(self, session_id: str, messages: list[StoredMessage],
                         query: str | None) -> dict[int, float]:
        if query is None:
            trusted = [m for m in messages if m.role == "user" and m.integrity.at_least(
                Integrity.owner)]
            query = trusted[-1].text if trusted else ""
        if not query.strip():
            return {}
        if session_id in self._tasks or session_id in self._dirty:
            await self.index_session(session_id)  # vectors still pending: fill them now
        vectors = await self._vectors([session_id])
        if len(vectors) < len([m for m in messages if m.text]):
            await self.index_session(session_id)
            vectors = await self._vectors([session_id])
        (q,) = await self._encoder().encode([query[:EMBED_CHARS]])
        return {mid: float(np.dot(v, q)) for mid, v in vectors.items()}

    async def _screen_texts(self, messages: list[StoredMessage]) -> dict[str, str]:
        """Screen text of the session's images, read once and kept with the blob."""
        hashes = {p.image_sha256 for m in messages for p in m.parts if p.image_sha256}
        if not hashes:
            return {}
        async with self._read() as db:
            rows = (await db.execute(select(BlobRow.sha256, BlobRow.screen_text, BlobRow.data)
                                     .where(BlobRow.sha256.in_(hashes)))).all()
        texts = {sha: text for sha, text, _ in rows if text is not None}
        missing = [(sha, data) for sha, text, data in rows if text is None]
        if missing and self.ocr is not None:
            images = [decode_image(data, sha, *IMAGE_LIMITS) for sha, data in missing]
            read = await self.ocr.encode(images)
            async with self._write() as db, db.begin():
                for (sha, _), screen in zip(missing, read, strict=True):
                    texts[sha] = screen.text
                    await db.execute(update(BlobRow).where(BlobRow.sha256 == sha)
                                     .values(screen_text=screen.text))
        return texts

    async def _blob_urls(self, messages: list[StoredMessage]) -> dict[str, str]:
        hashes = {p.image_sha256 for m in messages for p in m.parts if p.image_sha256}
        if not hashes:
            return {}
        async with self._read() as db:
            rows = (await db.execute(select(BlobRow.sha256, BlobRow.mime, BlobRow.data)
                                     .where(BlobRow.sha256.in_(hashes)))).all()
        return {sha: f"data:{mime};base64,{base64.b64encode(data).decode()}"
                for sha, mime, data in rows}

    async def recall(self, query: str, session_id: str | None = None,
                     agent_id: str | None = None, k: int = 5) -> list[RecallHit]:
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
                sessions = list((await db.scalars(select(SessionRow.id).where(
                    SessionRow.agent_id == agent_id))).all())
        for sid in sessions:
            await self.index_session(sid)
        vectors = await self._vectors(sessions)
        if not vectors:
            return []
        (q,) = await self._encoder().encode([query[:EMBED_CHARS]])
        ids = list(vectors)
        scores = np.stack([vectors[i] for i in ids]) @ q
        async with self._read() as db:
            rows = {m.id: (m, key) for m, key in (await db.execute(
                select(MessageRow, TurnRow.turn_key).join(TurnRow, TurnRow.id == MessageRow.turn_id)
                .where(MessageRow.id.in_(ids),
                       MessageRow.integrity != Integrity.hostile.value))).all()}
        ranked = sorted((i for i in range(len(ids)) if ids[i] in rows), key=lambda i: -scores[i])
        hits = []
        for i in ranked[:k]:
            m, key = rows[ids[i]]
            hits.append(RecallHit(session_id=m.session_id, turn_id=key, seq=m.seq, role=m.role,
                                  integrity=m.integrity, text=m.text,
                                  score=round(float(scores[i]), 4)))
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
                old = (await db.scalars(select(SessionRow.id)
                                        .where(SessionRow.updated_at < cutoff))).all()
            for sid in old:
                await self.forget_session(sid)
                expired += 1
        limit = self.spec.max_turns_per_session
        if limit is not None:
            async with self._read() as db:
                big = (await db.scalars(select(SessionRow.id)
                                        .where(SessionRow.turn_count > limit))).all()
            for sid in big:
                trimmed += await self._trim(sid, limit)
        return {"expired_sessions": expired, "trimmed_turns": trimmed}

    async def _trim(self, session_id: str, limit: int) -> int:
        pinned = select(MessageRow.turn_id).where(MessageRow.session_id == session_id,
                                                  MessageRow.pinned.is_(True))
        async with self._write() as db, db.begin():
            keep_from = await db.scalar(select(TurnRow.seq).where(TurnRow.session_id == session_id)
                                        .order_by(TurnRow.seq.desc()).offset(limit - 1).limit(1))
            if keep_from is None:
                return 0
            doomed = (await db.scalars(select(TurnRow.id).where(
                TurnRow.session_id == session_id, TurnRow.seq < keep_from,
                TurnRow.id.not_in(pinned)))).all()
            if doomed:
                await self._delete_turns(db, list(doomed))
        return len(doomed)

    async def _retention_loop(self) -> None:
        while True:
            try:
                await self.enforce_retention()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("retention pass failed, retrying next interval: %s", exc)
            await asyncio.sleep(self.spec.retention_interval_s)


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"{exc.__class__.__name__}: {text}"[:300]

