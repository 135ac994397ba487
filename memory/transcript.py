"""Sessions as JSON Lines, one event a line, for export, import and replay.

Format (docs/memory.md): every line is an object with an "event" key, in this order per
session: "session", then one "blob" per image the session shows (bytes in base64, before the
turns that use them), "turn" events in sequence order (messages with their ordered parts and
the routing decision), then "tool_selection", "tool_call", "verdict" and "feedback" events in
the order they were written. Times are ISO 8601 UTC without zone. Keys are sorted, so an export
of an import of an export is byte-identical."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..errors import InputError
from .database import Database
from .ids import check_key, session_id_of, tenant_of
from .schema import (
    BlobRow,
    DecisionRow,
    FeedbackRow,
    MessageRow,
    PartRow,
    SessionRow,
    ToolCallRow,
    ToolSelectionRow,
    TurnRow,
    VerdictRow,
)

FORMAT_VERSION = 1
SideRow = ToolSelectionRow | ToolCallRow | VerdictRow | FeedbackRow
SIDE_EVENTS: dict[str, tuple[type[SideRow], tuple[str, ...]]] = {
    "tool_selection": (ToolSelectionRow, ("turn_key", "query", "selected")),
    "tool_call": (ToolCallRow, ("turn_key", "server", "tool", "arguments", "result", "error")),
    "verdict": (VerdictRow, ("turn_key", "verdict")),
    "feedback": (FeedbackRow, ("turn_key", "score", "comment")),
}
# Fields that exports of the same format written before them lack: imported as None.
LATER_FIELDS = {("tool_call", "turn_key")}


def _time(value: datetime) -> str:
    return value.isoformat()


async def export_session(
    database: Database, session_id: str, *, with_blobs: bool = True
) -> AsyncIterator[dict[str, Any]]:
    async with database.read() as db:
        session = await db.get(SessionRow, session_id)
        if session is None:
            raise InputError.single("session_id", f"no session {session_id_of(session_id)!r}")
        yield {
            "event": "session",
            "format": FORMAT_VERSION,
            "id": session.id,
            "tenant": session.tenant,
            "agent_id": session.agent_id,
            "created_at": _time(session.created_at),
            "updated_at": _time(session.updated_at),
            "metadata": session.meta,
            "external_chars": session.external_chars,
            "history_digest": session.history_digest,
        }
        turns = (
            await db.scalars(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.seq))
        ).all()
        messages = (
            await db.scalars(
                select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.seq)
            )
        ).all()
        parts = (
            await db.scalars(
                select(PartRow)
                .where(PartRow.message_id.in_([m.id for m in messages]))
                .order_by(PartRow.message_id, PartRow.position)
            )
        ).all()
        decisions = {
            d.turn_pk: d
            for d in (
                await db.scalars(select(DecisionRow).where(DecisionRow.turn_pk.in_([t.id for t in turns])))
            ).all()
        }
        hashes = sorted({p.image_sha256 for p in parts if p.image_sha256})
        if with_blobs and hashes:
            for blob in (
                await db.scalars(select(BlobRow).where(BlobRow.sha256.in_(hashes)).order_by(BlobRow.sha256))
            ).all():
                yield {
                    "event": "blob",
                    "sha256": blob.sha256,
                    "mime": blob.mime,
                    "data": base64.b64encode(blob.data).decode(),
                    "screen_text": blob.screen_text,
                }
        parts_of: dict[int, list[dict[str, Any]]] = {}
        for p in parts:
            parts_of.setdefault(p.message_id, []).append(
                {"kind": p.kind, "text": p.text, "image_sha256": p.image_sha256, "data": p.data}
            )
        messages_of: dict[int, list[dict[str, Any]]] = {}
        for m in messages:
            messages_of.setdefault(m.turn_pk, []).append(
                {
                    "seq": m.seq,
                    "role": m.role,
                    "name": m.name,
                    "tool_call_id": m.tool_call_id,
                    "integrity": m.integrity,
                    "author": m.author,
                    "pinned": m.pinned,
                    "text": m.text,
                    "tokens": m.tokens,
                    "parts": parts_of.get(m.id, []),
                }
            )
        for t in turns:
            d = decisions.get(t.id)
            yield {
                "event": "turn",
                "session_id": session_id,
                "seq": t.seq,
                "turn_id": t.turn_key,
                "agent_id": t.agent_id,
                "integrity": t.integrity,
                "created_at": _time(t.created_at),
                "messages": messages_of.get(t.id, []),
                "decision": d.decision if d else None,
            }
        for name, (table, fields) in SIDE_EVENTS.items():
            rows = await db.execute(
                select(table.created_at, table).where(table.session_id == session_id).order_by(table.id)
            )
            for created_at, row in rows:
                event = {"event": name, "session_id": session_id, "created_at": _time(created_at)}
                event.update({("turn_id" if f == "turn_key" else f): getattr(row, f) for f in fields})
                yield event


async def export_lines(
    database: Database, session_ids: list[str] | None = None, *, tenant: str | None = None
) -> AsyncIterator[str]:
    """The sessions by key, or every session (of `tenant` when given), one event a line."""
    if session_ids is None:
        query = select(SessionRow.id).order_by(SessionRow.created_at, SessionRow.id)
        if tenant is not None:
            query = query.where(SessionRow.tenant == tenant)
        async with database.read() as db:
            session_ids = list((await db.scalars(query)).all())
    for sid in session_ids:
        async for event in export_session(database, sid):
            yield json.dumps(event, sort_keys=True, ensure_ascii=False)


def parse_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    events = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError.single(f"line {n}", f"not JSON: {exc.msg}") from None
        if not isinstance(event, dict) or "event" not in event:
            raise InputError.single(f"line {n}", "expected an object with an 'event' key")
        event["_line"] = n
        events.append(event)
    return events


async def import_events(database: Database, events: list[dict[str, Any]]) -> list[str]:
    """Write exported events back; each session in one transaction. Refuses sessions that
    exist already, so an import never merges into or overwrites what is stored."""
    imported = []
    batch: list[dict[str, Any]] = []
    for event in [*events, None]:
        if event is None or event["event"] == "session":
            if batch:
                imported.append(await _import_session(database, batch))
            batch = []
        if event is not None:
            if not batch and event["event"] != "session":
                raise InputError.single(
                    f"line {event['_line']}", "events must follow the 'session' event they belong to"
                )
            batch.append(event)
    return imported


async def _import_session(database: Database, events: list[dict[str, Any]]) -> str:
    head = events[0]
    try:
        sid = head["id"]
        check_key(sid)
        tenant = tenant_of(sid)
        if head.get("tenant", tenant) != tenant:  # exports older than tenants have none
            raise InputError.single(
                f"line {head['_line']}.tenant",
                f"session {sid!r} is stored under tenant {tenant!r}, not {head['tenant']!r}",
            )
        async with database.write() as db:
            if await db.get(SessionRow, sid) is not None:
                raise InputError.single(
                    f"line {head['_line']}.id",
                    f"session {sid!r} exists; forget it first (agent-router sessions forget)",
                )
            turns = [e for e in events if e["event"] == "turn"]
            db.add(
                SessionRow(
                    id=sid,
                    tenant=tenant,
                    agent_id=head["agent_id"],
                    created_at=datetime.fromisoformat(head["created_at"]),
                    updated_at=datetime.fromisoformat(head["updated_at"]),
                    meta=head["metadata"],
                    turn_count=max((t["seq"] for t in turns), default=0),
                    message_count=sum(len(t["messages"]) for t in turns),
                    external_chars=head["external_chars"],
                    history_digest=head["history_digest"],
                )
            )
            await db.flush()
            for e in events[1:]:
                await _import_event(database, db, sid, e)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError.single(
            f"session {head.get('id')!r}", f"malformed event: {exc.__class__.__name__}: {exc}"
        ) from None
    return sid


async def _import_event(database: Database, db: Any, sid: str, e: dict[str, Any]) -> None:
    kind = e["event"]
    if kind == "blob":
        await db.execute(
            database.insert(BlobRow)
            .values(
                sha256=e["sha256"],
                mime=e["mime"],
                data=base64.b64decode(e["data"]),
                screen_text=e["screen_text"],
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    elif kind == "turn":
        turn = TurnRow(
            session_id=sid,
            seq=e["seq"],
            turn_key=e["turn_id"],
            agent_id=e["agent_id"],
            integrity=e["integrity"],
            created_at=datetime.fromisoformat(e["created_at"]),
        )
        db.add(turn)
        await db.flush()
        for m in e["messages"]:
            row = MessageRow(
                turn_pk=turn.id,
                session_id=sid,
                seq=m["seq"],
                role=m["role"],
                name=m["name"],
                tool_call_id=m["tool_call_id"],
                integrity=m["integrity"],
                author=m["author"],
                pinned=m["pinned"],
                text=m["text"],
                tokens=m["tokens"],
            )
            db.add(row)
            await db.flush()
            db.add_all(
                [
                    PartRow(
                        message_id=row.id,
                        position=j,
                        kind=p["kind"],
                        text=p["text"],
                        image_sha256=p["image_sha256"],
                        data=p["data"],
                    )
                    for j, p in enumerate(m["parts"])
                ]
            )
        if e["decision"] is not None:
            d = e["decision"]
            db.add(DecisionRow(turn_pk=turn.id, model=d.get("model"), route=d.get("route"), decision=d))
    elif kind in SIDE_EVENTS:
        table, fields = SIDE_EVENTS[kind]
        names = {f: "turn_id" if f == "turn_key" else f for f in fields}
        db.add(
            table(
                session_id=sid,
                created_at=datetime.fromisoformat(e["created_at"]),
                **{f: e.get(name) if (kind, f) in LATER_FIELDS else e[name] for f, name in names.items()},
            )
        )
    else:
        raise InputError.single(
            f"line {e['_line']}.event",
            f"unknown event {kind!r}; expected session, blob, turn or {', '.join(SIDE_EVENTS)}",
        )
