"""What get_context keeps of a session between calls, so that a call reads only what is new.

A stored session changes in two ways: turns are appended, or what is stored changes (a turn
demoted to hostile, retention trimming old turns, the session forgotten and perhaps imported
again). Every change of the second kind gives the session row a new `generation`, whichever
process makes it, so a view is extended with the messages stored after it while its generation
holds, and read again whole when it does not. Vectors are kept the same way: while the
generation holds, a session's embeddings are only ever added."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Select, bindparam, case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..trust import Integrity
from .context import StoredMessage, StoredPart
from .database import Database
from .schema import EmbeddingRow, MessageRow, PartRow, SessionRow, TurnRow

MAX_MESSAGES = 20_000  # kept across all views; about 3 KB each with its vector


def _no_vectors() -> np.ndarray:
    return np.empty((0, 0), dtype=np.float32)


@dataclass
class SessionView:
    """Its fields are replaced, never changed in place: a call still working on a view keeps
    the messages it read."""

    generation: str
    messages: list[StoredMessage]
    vector_ids: list[int] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=_no_vectors)

    @property
    def last_seq(self) -> int:
        return self.messages[-1].seq if self.messages else 0


def _messages_query() -> Select:
    m, p = MessageRow, PartRow
    data = case((p.kind == "tool_call", p.data))
    return (
        select(
            m.id,
            m.seq,
            TurnRow.turn_key,
            m.role,
            m.name,
            m.tool_call_id,
            m.integrity,
            m.author,
            m.pinned,
            m.text,
            m.tokens,
            p.kind,
            p.text,
            p.image_sha256,
            data,
        )
        .join(TurnRow, TurnRow.id == m.turn_pk)
        .outerjoin(p, p.message_id == m.id)
        .where(m.session_id == bindparam("sid"), m.seq > bindparam("after"))
        .order_by(m.seq, p.position)
    )


# Built once: building a statement and its cache key cost about as much as running one.
MESSAGES = _messages_query()
VECTORS = select(EmbeddingRow.message_id, EmbeddingRow.vector).where(
    EmbeddingRow.session_id.in_(bindparam("sids")), EmbeddingRow.message_id > bindparam("after")
)
GENERATION = select(SessionRow.generation).where(SessionRow.id == bindparam("sid"))


async def read_messages(conn: AsyncConnection, session_id: str, after: int = 0) -> list[StoredMessage]:
    """The session's messages after seq `after`, in order. One query of plain columns, parts
    joined in order: ORM entities and a second round trip cost more than the rows themselves.
    Only tool calls read `data`, so other parts skip decoding it. A write holds the session's
    lock from taking its seqs to its commit, so no message appears behind one already read."""
    rows = (await conn.execute(MESSAGES, {"sid": session_id, "after": after})).all()
    messages: list[StoredMessage] = []
    for row in rows:
        if not messages or messages[-1].id != row[0]:
            mid, seq, key, role, name, call, level, author, pinned, text, tokens = row[:11]
            messages.append(
                StoredMessage(
                    mid, seq, key, role, name, call, Integrity(level), author, pinned, text, tokens, []
                )
            )
        if row[11] is not None:
            messages[-1].parts.append(StoredPart(*row[11:]))
    return messages


async def read_vectors(
    conn: AsyncConnection, session_ids: list[str], after: int = 0
) -> tuple[list[int], np.ndarray]:
    """Message ids (above `after`) and their vectors as one matrix, a row per id."""
    rows = (await conn.execute(VECTORS, {"sids": session_ids, "after": after})).all()
    if not rows:
        return [], _no_vectors()
    matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32)
    return [mid for mid, _ in rows], matrix.reshape(len(rows), -1)


class SessionViews:
    """Views of the sessions read last, up to MAX_MESSAGES messages in all."""

    def __init__(self, database: Database, *, max_messages: int = MAX_MESSAGES):
        self.database = database
        self.max_messages = max_messages
        self._views: OrderedDict[str, SessionView] = OrderedDict()
        self._size = 0

    async def view(self, session_id: str) -> SessionView | None:
        """The session as stored now; None when there is no such session. A kept view is
        extended when its generation still holds after the new messages were read, so nothing
        it has predates a change; a view read whole reads the generation first."""
        cached = self._views.get(session_id)
        async with self.database.connect() as conn:
            if cached is not None:
                new = await read_messages(conn, session_id, cached.last_seq)
                generation = await conn.scalar(GENERATION, {"sid": session_id})
                if generation == cached.generation:
                    view = (
                        SessionView(generation, cached.messages + new, cached.vector_ids, cached.vectors)
                        if new
                        else cached
                    )
                    self._keep(session_id, view)
                    return view
            else:
                generation = await conn.scalar(GENERATION, {"sid": session_id})
            if generation is None:
                self.drop(session_id)
                return None
            view = SessionView(generation, await read_messages(conn, session_id))
        self._keep(session_id, view)
        return view

    async def vectors(
        self, session_id: str, view: SessionView, whole: bool = False
    ) -> tuple[list[int], np.ndarray]:
        """The session's vectors: those the view has and any added since (all of them read
        again when `whole`, after an earlier message was embedded late)."""
        after = 0 if whole or not view.vector_ids else max(view.vector_ids)
        async with self.database.connect() as conn:
            ids, matrix = await read_vectors(conn, [session_id], after)
        if after:
            ids = view.vector_ids + ids
            matrix = np.vstack([view.vectors, matrix]) if len(matrix) else view.vectors
        view.vector_ids, view.vectors = ids, matrix
        return ids, matrix

    def drop(self, session_id: str) -> None:
        if (old := self._views.pop(session_id, None)) is not None:
            self._size -= len(old.messages)

    def _keep(self, session_id: str, view: SessionView) -> None:
        self.drop(session_id)
        self._views[session_id] = view
        self._size += len(view.messages)
        while self._size > self.max_messages and len(self._views) > 1:
            _, evicted = self._views.popitem(last=False)
            self._size -= len(evicted.messages)
