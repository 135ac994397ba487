"""The session as the agent lived it, for the safety check of its next action: the turns'
messages, the downstream tool calls' results and the observations check_observation judged, in
the order they happened, each with its role, integrity and source (the tool or page).

Bounded, so a check stays fast on a long session and a recorded verdict can carry exactly what
it was judged on: the newest HISTORY_ENTRIES entries, each text cut to ENTRY_CHARS characters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Row, bindparam, cast, literal, null, select, union_all

from ..trust import Integrity
from .database import Database
from .schema import MessageRow, SessionRow, ToolCallRow, TurnRow, VerdictRow

HISTORY_ENTRIES = 50
ENTRY_CHARS = 4000
USER_TEXTS = 20  # the owner-tier user messages the escalation check reads

# Among the session's newest verdicts only, filtered in SQL: action verdicts carry the history
# they were judged on, too big to read here, and reading kind from every one grows with the session.
NEWEST_VERDICTS = (
    select(VerdictRow.id)
    .where(VerdictRow.session_id == bindparam("sid"))
    .order_by(VerdictRow.id.desc())
    .limit(bindparam("n"))
)
NO_TIME = cast(null(), DateTime)
NO_DATA = cast(null(), JSON)  # PostgreSQL types a bare NULL as text, which a JSON column does not match
PARTS = [
    # 0: the newest owner-tier user texts, which the escalation check reads
    select(
        literal(0).label("part"),
        MessageRow.seq.label("key"),
        NO_TIME.label("at"),
        null().label("role"),
        null().label("name"),
        null().label("integrity"),
        MessageRow.text.label("text"),
        NO_DATA.label("data"),
    )
    .where(
        MessageRow.session_id == bindparam("sid"),
        MessageRow.role == "user",
        MessageRow.integrity.in_([Integrity.system.value, Integrity.owner.value]),
    )
    .order_by(MessageRow.seq.desc())
    .limit(bindparam("texts")),
    # 1: the newest messages
    select(
        literal(1).label("part"),
        MessageRow.seq.label("key"),
        TurnRow.created_at.label("at"),
        MessageRow.role.label("role"),
        MessageRow.name.label("name"),
        MessageRow.integrity.label("integrity"),
        MessageRow.text.label("text"),
        NO_DATA.label("data"),
    )
    .join(TurnRow, TurnRow.id == MessageRow.turn_pk)
    .where(MessageRow.session_id == bindparam("sid"))
    .order_by(MessageRow.seq.desc())
    .limit(bindparam("n")),
    # 2: the newest downstream calls that returned, server and tool in role and name
    select(
        literal(2).label("part"),
        ToolCallRow.id.label("key"),
        ToolCallRow.created_at.label("at"),
        ToolCallRow.server.label("role"),
        ToolCallRow.tool.label("name"),
        null().label("integrity"),
        null().label("text"),
        ToolCallRow.result.label("data"),
    )
    .where(ToolCallRow.session_id == bindparam("sid"), ToolCallRow.error.is_(None))
    .order_by(ToolCallRow.id.desc())
    .limit(bindparam("n")),
    # 3: the observation verdicts among the newest verdicts
    select(
        literal(3).label("part"),
        VerdictRow.id.label("key"),
        VerdictRow.created_at.label("at"),
        null().label("role"),
        null().label("name"),
        null().label("integrity"),
        null().label("text"),
        VerdictRow.verdict.label("data"),
    ).where(
        VerdictRow.id.in_(NEWEST_VERDICTS.scalar_subquery()),
        VerdictRow.verdict["kind"].as_string() == "observation",
    ),
]
# One statement, built once: the check runs before every action, and each statement run on its
# own costs about as much as the reading (a round trip to the driver's thread and back). Each
# part keeps its ORDER BY and LIMIT inside a subquery, as SQLite requires; `key` (seq or id)
# orders a part's rows again.
SESSION_READ = union_all(*(select(part.subquery()) for part in PARTS))


async def read_session(
    database: Database,
    session_id: str,
    *,
    limit: int = HISTORY_ENTRIES,
    max_chars: int = ENTRY_CHARS,
    user_texts: int = USER_TEXTS,
) -> tuple[list[str], list[dict[str, Any]]]:
    """The session's last `user_texts` owner-tier user messages and its newest `limit` history
    entries (each text cut to `max_chars`), both oldest first, in one read. History entries are
    {role, text, integrity, source}; entries of the same moment keep the order: a turn's
    messages, then calls, then observations."""
    params = {"sid": session_id, "n": limit, "texts": user_texts}
    rows = await database.read_whole(lambda conn: conn.execute(SESSION_READ, params).all())
    return _texts_and_history(rows, limit, max_chars)


async def read_for_check(
    database: Database, session_id: str
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any] | None]:
    """read_session's user texts and history, and the profile an operator stated for the session,
    in one read: the check reads all three before every action, and a second read cost more than
    the first (a round trip to the driver's thread and an ORM load)."""
    params = {"sid": session_id, "n": HISTORY_ENTRIES, "texts": USER_TEXTS}
    profile_query = select(SessionRow.meta).where(SessionRow.id == session_id)

    def work(conn: Connection) -> tuple[Sequence[Row[Any]], Any]:
        return conn.execute(SESSION_READ, params).all(), conn.execute(profile_query).scalar()

    rows, meta = await database.read_whole(work)
    return *_texts_and_history(rows, HISTORY_ENTRIES, ENTRY_CHARS), _stated_profile(meta)


def _stated_profile(meta: Any) -> dict[str, Any] | None:
    """The profile in a session's metadata (MemoryStore.set_profile), None when none was stated."""
    profile = meta.get("profile") if isinstance(meta, dict) else None
    return profile if isinstance(profile, dict) else None


def _texts_and_history(
    rows: Sequence[Row[Any]], limit: int, max_chars: int
) -> tuple[list[str], list[dict[str, Any]]]:
    texts = [row.text for row in sorted((r for r in rows if r.part == 0), key=lambda r: r.key)]
    found = [(row.at, row.part, row.key, entry) for row in rows if (entry := _history_entry(row)) is not None]
    found.sort(key=lambda f: f[:3])
    return texts, [{**entry, "text": entry["text"][:max_chars]} for *_, entry in found[-limit:]]


async def read_history(
    database: Database, session_id: str, *, limit: int = HISTORY_ENTRIES, max_chars: int = ENTRY_CHARS
) -> list[dict[str, Any]]:
    """The newest `limit` history entries, oldest first (read_session)."""
    _, history = await read_session(database, session_id, limit=limit, max_chars=max_chars, user_texts=0)
    return history


async def read_user_texts(database: Database, session_id: str, *, limit: int = USER_TEXTS) -> list[str]:
    """The session's last `limit` owner-tier user messages, oldest first (read_session)."""
    texts, _ = await read_session(database, session_id, limit=0, user_texts=limit)
    return texts


def _history_entry(row: Row[Any]) -> dict[str, Any] | None:
    """A row of SESSION_READ as a history entry; None for user texts and for what is no entry."""
    if row.part == 1:
        return _entry(row.role, row.text, row.integrity, row.name if row.role == "tool" else None)
    if row.part == 2 and isinstance(row.data, dict):  # JSON null: the call failed or returned nothing
        return _entry("tool", result_text(row.data), Integrity.external.value, f"{row.role}/{row.name}")
    if row.part == 3:
        return _observation(row.data)
    return None


def result_text(result: dict[str, Any]) -> str:
    """What a downstream result said: its text content, else its structured content."""
    content = [c for c in result.get("content") or [] if isinstance(c, dict)]
    texts = [str(c.get("text") or "") for c in content if c.get("type") == "text"]
    if any(texts):
        return "\n".join(t for t in texts if t)
    structured = result.get("structuredContent")
    return json.dumps(structured, ensure_ascii=False) if structured is not None else ""


def _entry(role: str, text: str, integrity: str, source: str | None) -> dict[str, Any]:
    return {"role": role, "text": text or "", "integrity": integrity, "source": source}


def _observation(verdict: dict[str, Any]) -> dict[str, Any] | None:
    """An observation check's content, hostile when the check flagged it."""
    inputs = verdict.get("input")
    if verdict.get("kind") != "observation" or not isinstance(inputs, dict):
        return None
    level = Integrity.hostile.value if verdict.get("flagged") else inputs.get("integrity", "external")
    return _entry("observation", str(inputs.get("content") or ""), level, inputs.get("source"))
