"""Messages embedded for recall and for get_context's retrieval tier: in the background after
each write, or on demand when a reader needs vectors still pending."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Connection, select

from ..trust import Integrity
from .database import Database, MemoryUnavailable
from .records import RecallHit
from .schema import EmbeddingRow, MessageRow, TurnRow
from .views import SessionView, SessionViews, read_vectors
from .writes import Unembedded

if TYPE_CHECKING:  # the encoders pull in torch; the CLI's export and import need none of it
    from ..embeddings import AsyncEncoder

log = logging.getLogger("agent_router.memory")

EMBED_BATCH = 64
EMBED_CHARS = 2000
INDEX_DELAY_S = 0.1  # background embedding waits this long after a write: see Indexer.schedule


class Indexer:
    """Embeds a store's messages with its text encoder and answers searches by meaning."""

    def __init__(self, database: Database, views: SessionViews, text: AsyncEncoder[str, np.ndarray] | None):
        self.database = database
        self.views = views
        self.text = text  # None: a store that only lists, exports and imports
        self._pending: dict[str, list[Unembedded]] = {}  # per session, for the background loop
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._insert = database.insert(EmbeddingRow).on_conflict_do_nothing(index_elements=["message_id"])

    def schedule(self, session_id: str, rows: list[Unembedded]) -> None:
        """Messages are embedded after their write, from what the write handed back: reading
        them back cost more than the rest, and the router has usually embedded a user's text
        already, so the encoder's cache answers for it. Starting INDEX_DELAY_S later keeps
        this work off the path of the answer the caller is waiting for (begun at once, it
        added 2-4 ms to route_turn on two busy cores) and gathers a busy session's turns
        into one pass; get_context and recall fill whatever is still pending themselves."""
        self._pending.setdefault(session_id, []).extend(rows)
        if session_id not in self._tasks:
            self._tasks[session_id] = asyncio.create_task(self._loop(session_id))

    def pending(self, session_id: str) -> bool:
        return session_id in self._tasks or session_id in self._pending

    async def settle(self) -> None:
        """Wait until the background embedding scheduled so far is done."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def drop(self, session_id: str) -> None:
        """Before a session is deleted: pending vectors would point at deleted messages, or at
        their ids reused by a later import, so they are dropped, and an embedding write already
        under way lands first."""
        self._pending.pop(session_id, None)
        if (task := self._tasks.get(session_id)) is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, session_id: str) -> None:
        try:
            await asyncio.sleep(INDEX_DELAY_S)
            while rows := self._pending.pop(session_id, None):
                await self._embed(session_id, rows)
        except MemoryUnavailable as exc:
            log.warning("embedding session %s failed; recall will retry: %s", session_id, exc)
        finally:
            self._tasks.pop(session_id, None)

    async def index_session(self, session_id: str) -> int:
        """Embed the session's messages that have no vector yet; returns how many. What it
        reads covers what the background loop still had pending."""
        self._pending.pop(session_id, None)
        async with self.database.read() as db:
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
            vectors = await self.encoder().encode([text[:EMBED_CHARS] for _, text in batch])
            values = [
                {
                    "message_id": mid,
                    "session_id": session_id,
                    "dim": len(v),
                    "vector": np.asarray(v, dtype=np.float32).tobytes(),
                }
                for (mid, _), v in zip(batch, vectors, strict=True)
            ]

            def work(conn: Connection, values: list[dict] = values) -> None:
                conn.execute(self._insert, values)

            await self.database.run(work)

    async def relevance(self, session_id: str, view: SessionView, query: str | None) -> dict[int, float]:
        """Score of each message of the view against the query (by default the last user
        message at owner trust or above), for get_context's retrieval tier."""
        if query is None:
            query = next((m.text for m in reversed(view.messages) if m.role == "user" and m.trusted), "")
        if not query.strip():
            return {}
        if self.pending(session_id):
            await self.index_session(session_id)  # vectors still pending: fill them now
        ids, vectors = await self.views.vectors(session_id, view)
        if len(ids) < len([m for m in view.messages if m.text]):
            await self.index_session(session_id)
            ids, vectors = await self.views.vectors(session_id, view, whole=True)
        if not ids:
            return {}
        (q,) = await self.encoder().encode([query[:EMBED_CHARS]])
        return dict(zip(ids, (vectors @ q).tolist(), strict=True))

    async def recall(self, query: str, sessions: list[str], *, k: int) -> list[RecallHit]:
        """The k messages of these sessions closest to the query by meaning, hostile ones left
        out."""
        for sid in sessions:
            await self.index_session(sid)
        async with self.database.connect() as conn:
            ids, vectors = await read_vectors(conn, sessions)
        if not ids:
            return []
        (q,) = await self.encoder().encode([query[:EMBED_CHARS]])
        scores = vectors @ q
        async with self.database.read() as db:
            rows = {
                m.id: (m, key)
                for m, key in (
                    await db.execute(
                        select(MessageRow, TurnRow.turn_key)
                        .join(TurnRow, TurnRow.id == MessageRow.turn_pk)
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

    def encoder(self) -> AsyncEncoder[str, np.ndarray]:
        if self.text is None:
            raise RuntimeError("this MemoryStore was opened without a text encoder")
        return self.text
