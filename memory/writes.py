"""The write path of turns as Core statements built once per store: every turn of a batch
(memory/group_commit.py) goes through the same six statements, so a batch of one costs what
one turn did and a batch of fifty not much more (see docs/memory.md, "Write path and
durability").

The first statement creates the sessions or takes their row locks and returns their counters,
so concurrent writers to one session get consecutive sequence numbers. Turns are then inserted
with ON CONFLICT DO NOTHING on (session_id, turn_key): a turn id stored already, by this
process or another, inserts nothing and is answered as a duplicate, before anything else is
written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, tuple_, update
from sqlalchemy.sql import Executable

from ..embeddings.image_input import LoadedImage
from ..trust import Integrity
from ..turns import ChatMessage
from .ids import tenant_of, unknown_turn
from .prepare import PreparedTurn, already_stored, history_digests, images_in, prepare_turn
from .records import TurnRecord
from .schema import BlobRow, DecisionRow, MessageRow, PartRow, SessionRow, TurnRow, utcnow

Unembedded = tuple[int, str]  # a stored message's id and text, still without a vector
Written = tuple[TurnRecord, list[Unembedded]]


def turn_pk_of(session_id: Any, turn_id: Any) -> Any:
    """The id of the session's turn with this key (None when it has none)."""
    return select(TurnRow.id).where(TurnRow.session_id == session_id, TurnRow.turn_key == turn_id)


def dialect_insert(dialect: str, table: type) -> Any:
    """INSERT with ON CONFLICT, which both backends spell the same in SQLAlchemy."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


@dataclass(frozen=True)
class TurnRequest:
    """A turn to record, as MemoryStore.record_turn was given it."""

    session_id: str
    turn_id: str | None
    messages: list[ChatMessage]
    images: list[LoadedImage]
    decision: dict[str, Any] | None
    agent_id: str | None
    integrity: Integrity
    external_cap: int


@dataclass
class _Turn:
    """A request and what its write learns, statement by statement."""

    request: TurnRequest
    turns: int  # the session's counters, read under its lock
    messages: int
    external: int
    digest: str
    resent: int = 0  # leading messages that repeat the stored history
    prepared: PreparedTurn | None = None  # None: there is nothing new to store
    pk: int | None = None  # None: no turn row was inserted
    unembedded: list[Unembedded] = field(default_factory=list)

    @property
    def sid(self) -> str:
        return self.request.session_id

    @property
    def new(self) -> list[ChatMessage]:
        return self.request.messages[self.resent :]

    def written(self, known: Row[str, int, datetime, int] | None, now: datetime) -> Written:
        if self.pk is not None and self.prepared is not None:
            return TurnRecord(
                self.sid,
                self.request.turn_id,
                self.turns + 1,
                len(self.prepared.messages),
                now,
                capped=self.prepared.capped,
                resent=self.resent,
            ), self.unembedded
        if known is not None:  # the turn id is stored already, whatever its messages
            _, seq, created, count = known
            return TurnRecord(self.sid, self.request.turn_id, seq, count, created, duplicate=True), []
        # every message repeats the stored history
        return TurnRecord(
            self.sid, self.request.turn_id, self.turns, 0, now, duplicate=True, resent=self.resent
        ), []


@dataclass(frozen=True)
class TurnWriter:
    lock: Executable
    ensure_session: Executable
    add_turns: Executable
    known: Executable
    bump: Executable
    add_blobs: Executable
    add_messages: Executable
    add_parts: Executable
    add_decisions: Executable
    latest_turn: Executable
    has_turn: Executable

    @classmethod
    def for_dialect(cls, dialect: str) -> TurnWriter:
        session = dialect_insert(dialect, SessionRow)
        lock = session.on_conflict_do_update(
            index_elements=["id"],
            set_={"updated_at": session.excluded.updated_at},
        ).returning(
            SessionRow.id,
            SessionRow.turn_count,
            SessionRow.message_count,
            SessionRow.external_chars,
            SessionRow.history_digest,
        )
        add_turns = (
            dialect_insert(dialect, TurnRow)
            .on_conflict_do_nothing(index_elements=["session_id", "turn_key"])
            .returning(TurnRow.session_id, TurnRow.id)
        )
        known = (
            select(TurnRow.session_id, TurnRow.seq, TurnRow.created_at, func.count(MessageRow.id))
            .outerjoin(MessageRow, MessageRow.turn_pk == TurnRow.id)
            .where(tuple_(TurnRow.session_id, TurnRow.turn_key).in_(bindparam("pairs")))
            .group_by(TurnRow.id)
        )
        bump = (
            update(SessionRow)
            .where(SessionRow.id == bindparam("sid"))
            .values(
                turn_count=bindparam("turns"),
                message_count=bindparam("messages"),
                external_chars=bindparam("external"),
                history_digest=bindparam("digest"),
            )
        )
        return cls(
            lock=lock,
            ensure_session=session.on_conflict_do_nothing(index_elements=["id"]),
            add_turns=add_turns,
            known=known,
            bump=bump,
            add_blobs=dialect_insert(dialect, BlobRow).on_conflict_do_nothing(index_elements=["sha256"]),
            add_messages=insert(MessageRow).returning(MessageRow.id, sort_by_parameter_order=True),
            add_parts=insert(PartRow),
            add_decisions=insert(DecisionRow),
            latest_turn=select(TurnRow.turn_key)
            .where(TurnRow.session_id == bindparam("sid"))
            .order_by(TurnRow.seq.desc())
            .limit(1),
            has_turn=turn_pk_of(bindparam("sid"), bindparam("key")),
        )

    def write_many(self, conn: Connection, requests: list[TurnRequest]) -> list[Written]:
        """Turns of distinct sessions in the caller's transaction, each statement run once for
        all of them. For each turn, its record and the (id, text) of its new messages for the
        background indexer, which then reads nothing back. A turn id stored already, or
        messages that only repeat the stored history, write nothing and come back as
        duplicates. Sessions are locked in id order, so batches never wait on each other in a
        cycle."""
        if len({r.session_id for r in requests}) < len(requests):
            raise ValueError("a batch takes one turn per session")
        now = utcnow()
        heads = {
            row[0]: row[1:]
            for row in conn.execute(
                self.lock,
                [
                    {
                        "id": r.session_id,
                        "tenant": tenant_of(r.session_id),
                        "agent_id": r.agent_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r in sorted(requests, key=lambda r: r.session_id)
                ],
            )
        }
        turns = [_Turn(r, *heads[r.session_id]) for r in requests]
        for t in turns:
            t.resent = already_stored(t.request.messages, t.digest)
            if t.new:
                t.prepared = prepare_turn(
                    t.new,
                    t.request.images[images_in(t.request.messages[: t.resent]) :],
                    t.request.integrity,
                    t.request.external_cap - t.external,
                )
        if candidates := [t for t in turns if t.prepared is not None]:
            pks: dict[str, int] = dict(
                conn.execute(
                    self.add_turns,
                    [
                        {
                            "session_id": t.sid,
                            "seq": t.turns + 1,
                            "turn_key": t.request.turn_id,
                            "agent_id": t.request.agent_id,
                            "integrity": t.request.integrity.value,
                            "created_at": now,
                        }
                        for t in candidates
                    ],
                ).all()
            )
            for t in candidates:
                t.pk = pks.get(t.sid)
        pairs = [(t.sid, t.request.turn_id) for t in turns if t.pk is None and t.request.turn_id is not None]
        known = {row[0]: row for row in conn.execute(self.known, {"pairs": pairs})} if pairs else {}
        if inserted := [t for t in turns if t.pk is not None]:
            self._rows(conn, inserted)
        return [t.written(known.get(t.sid), now) for t in turns]

    def _rows(self, conn: Connection, turns: list[_Turn]) -> None:
        """Counters, images, messages, parts and decisions of the turns just inserted."""
        prepared = [(t, t.prepared) for t in turns if t.prepared is not None]
        conn.execute(
            self.bump,
            [
                {
                    "sid": t.sid,
                    "turns": t.turns + 1,
                    "messages": t.messages + len(p.messages),
                    "external": t.external + p.external_chars,
                    "digest": history_digests(t.new, t.digest)[-1],
                }
                for t, p in prepared
            ],
        )
        images = {sha: image for _, p in prepared for sha, image in p.images.items()}
        if images:
            conn.execute(
                self.add_blobs,
                [
                    {"sha256": sha, "mime": f"image/{i.format.lower()}", "data": i.data}
                    for sha, i in images.items()
                ],
            )
        messages = [(t, seq, m) for t, p in prepared for seq, m in enumerate(p.messages, t.messages + 1)]
        ids = (
            conn.execute(
                self.add_messages,
                [
                    {
                        "turn_id": t.pk,
                        "session_id": t.sid,
                        "seq": seq,
                        "role": m.role,
                        "name": m.name,
                        "tool_call_id": m.tool_call_id,
                        "integrity": m.integrity.value,
                        "author": t.request.agent_id,
                        "pinned": m.pinned,
                        "text": m.text,
                        "tokens": m.tokens,
                    }
                    for t, seq, m in messages
                ],
            )
            .scalars()
            .all()
        )
        parts = [
            {
                "message_id": mid,
                "position": j,
                "kind": p.kind,
                "text": p.text,
                "image_sha256": p.image_sha256,
                "data": p.data,
            }
            for mid, (_, _, m) in zip(ids, messages, strict=True)
            for j, p in enumerate(m.parts)
        ]
        if parts:
            conn.execute(self.add_parts, parts)
        decisions = [
            {"turn_id": t.pk, "model": d.get("model"), "route": d.get("route"), "decision": d}
            for t in turns
            if (d := t.request.decision) is not None
        ]
        if decisions:
            conn.execute(self.add_decisions, decisions)
        for mid, (t, _, m) in zip(ids, messages, strict=True):
            if m.text:
                t.unembedded.append((mid, m.text))

    def append(self, conn: Connection, table: type, session_id: str, values: dict[str, Any]) -> None:
        """A session event (tool call, selection, verdict, feedback), creating the session."""
        now = utcnow()
        conn.execute(
            self.ensure_session,
            {"id": session_id, "tenant": tenant_of(session_id), "created_at": now, "updated_at": now},
        )
        conn.execute(insert(table), {"session_id": session_id, "created_at": now, **values})

    def set_meta(self, conn: Connection, session_id: str, key: str, value: Any) -> None:
        """One entry of the session's metadata (creating the session), the others kept: read and
        written in one transaction, which holds the row's write lock from the update on."""
        now = utcnow()
        conn.execute(
            self.ensure_session,
            {"id": session_id, "tenant": tenant_of(session_id), "created_at": now, "updated_at": now},
        )
        column = SessionRow.__table__.c["metadata"]
        meta = conn.execute(select(column).where(SessionRow.id == session_id)).scalar_one() or {}
        conn.execute(
            update(SessionRow).where(SessionRow.id == session_id).values({column: {**meta, key: value}})
        )

    def append_to_turn(
        self, conn: Connection, table: type, session_id: str, turn_id: str | None, values: dict[str, Any]
    ) -> None:
        """A session event that belongs to a turn (tool selection, tool call): turn_id, which
        the session must have, or when None the session's latest turn (None while it has
        none), read in the event's transaction, so a reader never has to guess it by time."""
        if turn_id is None:
            turn_id = conn.execute(self.latest_turn, {"sid": session_id}).scalar()
        elif conn.execute(self.has_turn, {"sid": session_id, "key": turn_id}).first() is None:
            raise unknown_turn(session_id, turn_id)
        self.append(conn, table, session_id, {**values, "turn_key": turn_id})
