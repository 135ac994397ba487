"""The session as the agent lived it, for the safety check of its next action: the turns'
messages, the downstream tool calls' results and the observations check_observation judged, in
the order they happened, each with its role, integrity and source (the tool or page).

Bounded, so a check stays fast on a long session and a recorded verdict can carry exactly what
it was judged on: the newest HISTORY_ENTRIES entries, each text cut to ENTRY_CHARS characters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from ..trust import Integrity
from .database import Database
from .schema import MessageRow, ToolCallRow, TurnRow, VerdictRow

HISTORY_ENTRIES = 50
ENTRY_CHARS = 4000

# Plain columns and bound parameters, built once (see views.py): each check runs all three.
MESSAGES = (
    select(MessageRow.role, MessageRow.name, MessageRow.integrity, MessageRow.text, TurnRow.created_at)
    .join(TurnRow, TurnRow.id == MessageRow.turn_pk)
    .where(MessageRow.session_id == bindparam("sid"))
    .order_by(MessageRow.seq.desc())
    .limit(bindparam("n"))
)
CALLS = (
    select(ToolCallRow.server, ToolCallRow.tool, ToolCallRow.result, ToolCallRow.created_at)
    .where(ToolCallRow.session_id == bindparam("sid"), ToolCallRow.error.is_(None))
    .order_by(ToolCallRow.id.desc())
    .limit(bindparam("n"))
)
# Among the session's newest verdicts only, filtered in SQL: action verdicts carry the history
# they were judged on, too big to read here, and reading kind from every one grows with the session.
NEWEST_VERDICTS = (
    select(VerdictRow.id)
    .where(VerdictRow.session_id == bindparam("sid"))
    .order_by(VerdictRow.id.desc())
    .limit(bindparam("n"))
)
VERDICTS = (
    select(VerdictRow.verdict, VerdictRow.created_at)
    .where(
        VerdictRow.id.in_(NEWEST_VERDICTS.scalar_subquery()),
        VerdictRow.verdict["kind"].as_string() == "observation",
    )
    .order_by(VerdictRow.id.desc())
)


async def read_history(
    database: Database, session_id: str, *, limit: int = HISTORY_ENTRIES, max_chars: int = ENTRY_CHARS
) -> list[dict[str, Any]]:
    """The newest `limit` entries, oldest first, as {role, text, integrity, source}. Entries of
    the same moment keep the order: a turn's messages, then calls, then observations."""
    found: list[tuple[datetime, int, int, dict[str, Any]]] = []
    async with database.connect() as conn:
        params = {"sid": session_id, "n": limit}
        for i, (role, name, level, text, at) in enumerate(await conn.execute(MESSAGES, params)):
            found.append((at, 0, -i, _entry(role, text, level, name if role == "tool" else None)))
        for i, (server, tool, result, at) in enumerate(await conn.execute(CALLS, params)):
            if not isinstance(result, dict):  # JSON null: the call failed or returned nothing
                continue
            source = f"{server}/{tool}"
            found.append((at, 1, -i, _entry("tool", result_text(result), Integrity.external.value, source)))
        for i, (verdict, at) in enumerate(await conn.execute(VERDICTS, params)):
            if (entry := _observation(verdict)) is not None:
                found.append((at, 2, -i, entry))
    found.sort(key=lambda f: f[:3])
    return [{**entry, "text": entry["text"][:max_chars]} for *_, entry in found[-limit:]]


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
