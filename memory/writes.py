"""The write path of a turn as Core statements built once per store: a one-message turn with
its decision costs six statements and no ORM unit of work, which is what keeps an append within
issue 3's budget (see docs/memory.md, "Write path and durability").

The first statement creates the session or takes its row lock and, in the same round trip,
returns its counters and the seq of a turn already stored under the turn id; so concurrent
writers to one session get consecutive sequence numbers and a retried turn id is seen before
anything is written twice. (On PostgreSQL a retry racing the original may miss it in the
statement's snapshot; the unique key on (session_id, turn_key) refuses it and
MemoryStore.record_turn runs the write again.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, func, insert, select, update
from sqlalchemy.sql import Executable

from ..images import LoadedImage
from ..trust import Integrity
from ..turns import ChatMessage
from .prepare import already_stored, history_digests, images_in, prepare_turn
from .records import TurnRecord
from .schema import BlobRow, DecisionRow, MessageRow, PartRow, SessionRow, TurnRow, utcnow

Unembedded = tuple[int, str]  # a stored message's id and text, still without a vector


def dialect_insert(dialect: str, table: type) -> Any:
    """INSERT with ON CONFLICT, which both backends spell the same in SQLAlchemy."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert(table)


def _new_session(dialect: str) -> Any:
    now = bindparam("now", type_=DateTime)
    return dialect_insert(dialect, SessionRow).values(
        id=bindparam("sid"), agent_id=bindparam("agent"), created_at=now, updated_at=now,
        meta={}, turn_count=0, message_count=0, external_chars=0, history_digest="")


@dataclass(frozen=True)
class TurnWriter:
    lock: Executable
    bump: Executable
    ensure_session: Executable
    add_turn: Executable
    add_blobs: Executable
    add_messages: Executable
    add_parts: Executable
    add_decision: Executable

    @classmethod
    def for_dialect(cls, dialect: str) -> TurnWriter:
        session = _new_session(dialect)
        known = select(TurnRow.seq).where(TurnRow.session_id == bindparam("sid"),
                                          TurnRow.turn_key == bindparam("key")).scalar_subquery()
        lock = session.on_conflict_do_update(
            index_elements=["id"], set_={"updated_at": session.excluded.updated_at},
        ).returning(SessionRow.turn_count, SessionRow.message_count, SessionRow.external_chars,
                    SessionRow.history_digest, known)
        bump = update(SessionRow).where(SessionRow.id == bindparam("sid")).values(
            turn_count=bindparam("turns"), message_count=bindparam("messages"),
            external_chars=bindparam("external"), history_digest=bindparam("digest"))
        return cls(
            lock=lock, bump=bump,
            ensure_session=session.on_conflict_do_nothing(index_elements=["id"]),
            add_turn=insert(TurnRow).returning(TurnRow.id),
            add_blobs=dialect_insert(dialect, BlobRow).on_conflict_do_nothing(
                index_elements=["sha256"]),
            add_messages=insert(MessageRow).returning(MessageRow.id,
                                                      sort_by_parameter_order=True),
            add_parts=insert(PartRow), add_decision=insert(DecisionRow))

    def write(self, conn: Connection, session_id: str, turn_id: str | None,
              messages: list[ChatMessage], images: list[LoadedImage],
              decision: dict[str, Any] | None, agent_id: str | None,
              integrity: Integrity, external_cap: int) -> tuple[TurnRecord, list[Unembedded]]:
        """A turn in the caller's transaction, and the (id, text) of its new messages for the
        background indexer, which then reads nothing back. A turn id stored already, or
        messages that only repeat the stored history, write nothing and come back as
        duplicates."""
        now = utcnow()
        turns, count, external, history, seq = conn.execute(self.lock, {
            "sid": session_id, "agent": agent_id, "now": now, "key": turn_id}).one()
        if seq is not None:
            return self._known_turn(conn, session_id, turn_id, seq), []
        resent = already_stored(messages, history)
        if resent == len(messages):
            return TurnRecord(session_id, turn_id, turns, 0, now, duplicate=True,
                              resent=resent), []
        new = messages[resent:]
        prepared = prepare_turn(new, images[images_in(messages[:resent]):], integrity,
                                external_cap - external)
        conn.execute(self.bump, {
            "sid": session_id, "turns": turns + 1, "messages": count + len(prepared.messages),
            "external": external + prepared.external_chars,
            "digest": history_digests(new, history)[-1]})
        turn_pk = conn.execute(self.add_turn, {
            "session_id": session_id, "seq": turns + 1, "turn_key": turn_id,
            "agent_id": agent_id, "integrity": integrity.value, "created_at": now}).scalar_one()
        if prepared.images:
            conn.execute(self.add_blobs, [
                {"sha256": i.sha256, "mime": f"image/{i.format.lower()}", "data": i.data}
                for i in prepared.images.values()])
        ids = conn.execute(self.add_messages, [
            {"turn_id": turn_pk, "session_id": session_id, "seq": count + i + 1, "role": m.role,
             "name": m.name, "tool_call_id": m.tool_call_id, "integrity": m.integrity.value,
             "author": agent_id, "pinned": m.pinned, "text": m.text, "tokens": m.tokens}
            for i, m in enumerate(prepared.messages)]).scalars().all()
        parts = [{"message_id": mid, "position": j, "kind": p.kind, "text": p.text,
                  "image_sha256": p.image_sha256, "data": p.data}
                 for mid, m in zip(ids, prepared.messages, strict=True)
                 for j, p in enumerate(m.parts)]
        if parts:
            conn.execute(self.add_parts, parts)
        if decision is not None:
            conn.execute(self.add_decision, {
                "turn_id": turn_pk, "model": decision.get("model"), "route": decision.get("route"),
                "decision": decision})
        record = TurnRecord(session_id, turn_id, turns + 1, len(prepared.messages), now,
                            capped=prepared.capped, resent=resent)
        return record, [(mid, m.text) for mid, m in zip(ids, prepared.messages, strict=True)
                        if m.text]

    @staticmethod
    def _known_turn(conn: Connection, session_id: str, turn_id: str | None,
                    seq: int) -> TurnRecord:
        turn_pk, created = conn.execute(select(TurnRow.id, TurnRow.created_at).where(
            TurnRow.session_id == session_id, TurnRow.seq == seq)).one()
        n = conn.scalar(select(func.count()).where(MessageRow.turn_id == turn_pk))
        return TurnRecord(session_id, turn_id, seq, n or 0, created, duplicate=True)

    def append(self, conn: Connection, table: type, session_id: str,
               values: dict[str, Any]) -> None:
        """A session event (tool call, selection, verdict, feedback), creating the session."""
        now = utcnow()
        conn.execute(self.ensure_session, {"sid": session_id, "agent": None, "now": now})
        conn.execute(insert(table), {"session_id": session_id, "created_at": now, **values})
