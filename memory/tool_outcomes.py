"""What tool selection learns from session memory: calls that worked and feedback on turns.

A successful call pulls its tool toward the query that offered it (weight 1). Feedback on a
routed turn (record_feedback, score -1..1) applies its score to the tools that turn called, or,
when it called none, to the tools its selections offered: praise pulls them toward the turn's
query, blame pushes them away and cancels what their successful calls taught.

A selection or call belongs to the turn it was recorded for (select_tools' and call_tool's
turn_id, by default the session's latest turn then), not to whatever turn its time falls in:
clocks tick coarsely, turns of a session can overlap and an agent may act on an earlier turn.
Rows that name no turn, recorded before these tools named one, fall back to time: from the
turn until the session's next turn.

Every outcome is its session's tenant's (read off the session key): a tenant's calls and
feedback teach only its own ranking (ToolIndex keeps what it learned per tenant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..tenancy import LOCAL_TENANT
from .database import Database
from .ids import tenant_of
from .schema import FeedbackRow, MessageRow, ToolCallRow, ToolSelectionRow, TurnRow


class ToolOutcome(NamedTuple):
    """One outcome for tool selection to learn: the query that offered a tool, a weight (1 for
    a successful call; feedback's score, negative for a bad pick), and whose it is."""

    query: str
    server: str
    tool: str
    weight: float = 1.0
    tenant: str = LOCAL_TENANT


@dataclass(frozen=True)
class Seen:
    """How far a process has read the tool_calls and feedback tables (their largest ids)."""

    call_id: int = 0
    feedback_id: int = 0


class Origin(NamedTuple):
    """Where an outcome came from: ("call", session key, "server/tool") or ("feedback",
    session key, turn id), as tools/taught.py notes what this process learned itself."""

    kind: str
    session_id: str
    what: str


async def recorded_outcomes(database: Database, *, limit: int = 1000) -> list[ToolOutcome]:
    """The last `limit` successful calls and the last `limit` feedback rows, as uses to learn."""
    uses, _ = await _successful_calls(database, limit=limit)
    calls = [ToolOutcome(query, server, tool, 1.0, tenant_of(key)) for key, query, server, tool in uses]
    return calls + await feedback_outcomes(database, limit=limit)


async def seen_now(database: Database) -> Seen:
    """The largest ids of both tables now: where following the other replicas starts."""
    async with database.read() as db:
        call_id = (await db.execute(select(func.max(ToolCallRow.id)))).scalar()
        feedback_id = (await db.execute(select(func.max(FeedbackRow.id)))).scalar()
    return Seen(call_id or 0, feedback_id or 0)


async def outcomes_since(
    database: Database, seen: Seen, *, limit: int = 1000
) -> tuple[list[tuple[Origin, list[ToolOutcome]]], Seen]:
    """The outcomes of calls and feedback rows recorded after `seen` (by any replica), oldest
    first, by the row they came from, and how far this read got. At most `limit` rows of each table a read:
    the rest come with the next. A row committed after one with a larger id is not seen
    (concurrent writers on PostgreSQL); the next start relearns it."""
    calls, call_id = await _calls_after(database, seen.call_id, limit=limit)
    async with database.read() as db:
        rows = (
            await db.execute(
                select(FeedbackRow.id, FeedbackRow.session_id, FeedbackRow.turn_key, FeedbackRow.score)
                .where(FeedbackRow.id > seen.feedback_id)
                .order_by(FeedbackRow.id)
                .limit(limit)
            )
        ).all()
        feedback: list[tuple[Origin, list[ToolOutcome]]] = []
        histories: dict[str, _SessionHistory] = {}
        for row in rows:
            if row.session_id not in histories:
                histories[row.session_id] = await _SessionHistory.load(db, row.session_id)
            origin = Origin("feedback", row.session_id, row.turn_key)
            tenant = tenant_of(row.session_id)
            feedback.append((origin, histories[row.session_id].feedback(row.turn_key, row.score, tenant)))
    feedback_id = rows[-1].id if rows else seen.feedback_id
    return calls + feedback, Seen(call_id, feedback_id)


async def _calls_after(
    database: Database, after: int, *, limit: int
) -> tuple[list[tuple[Origin, list[ToolOutcome]]], int]:
    uses, last = await _successful_calls(database, limit=limit, after=after)
    return [
        (Origin("call", key, f"{server}/{tool}"), [ToolOutcome(query, server, tool, 1.0, tenant_of(key))])
        for key, query, server, tool in uses
    ], max(last, after)


async def successful_tool_uses(database: Database, *, limit: int = 1000) -> list[tuple[str, str, str]]:
    """(query, server, tool) for the last `limit` calls that succeeded, each with the latest
    earlier select_tools query of its session that offered the tool (of the call's own turn
    when both name one), oldest first: what outcome-aware tool selection relearns after a
    restart."""
    uses, _ = await _successful_calls(database, limit=limit)
    return [use[1:] for use in uses]


async def _successful_calls(
    database: Database, *, limit: int, after: int | None = None
) -> tuple[list[tuple[str, str, str, str]], int]:
    """successful_tool_uses, each with its session key first: the last `limit` calls, or the
    first `limit` after the id `after`; and the largest call id read (0 for none)."""
    query = select(
        ToolCallRow.id,
        ToolCallRow.session_id,
        ToolCallRow.turn_key,
        ToolCallRow.server,
        ToolCallRow.tool,
        ToolCallRow.created_at,
    ).where(ToolCallRow.error.is_(None))
    if after is None:
        query = query.order_by(ToolCallRow.id.desc())
    else:
        query = query.where(ToolCallRow.id > after).order_by(ToolCallRow.id)
    async with database.read() as db:
        calls = sorted((await db.execute(query.limit(limit))).all(), key=lambda c: c.id, reverse=True)
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
                and (call.server, call.tool) in _keys(pick.selected)
            ):
                if pick.query.strip():  # an offer for images alone has no text to learn
                    uses.append((call.session_id, pick.query, call.server, call.tool))
                break
    return uses, calls[0].id if calls else 0


async def feedback_outcomes(
    database: Database,
    session_id: str | None = None,
    turn_id: str | None = None,
    *,
    limit: int = 1000,
) -> list[ToolOutcome]:
    """Uses from feedback rows, newest `limit` (or those of one session's turn)."""
    query = select(FeedbackRow.session_id, FeedbackRow.turn_key, FeedbackRow.score)
    if session_id is not None:
        query = query.where(FeedbackRow.session_id == session_id)
    if turn_id is not None:
        query = query.where(FeedbackRow.turn_key == turn_id)
    async with database.read() as db:
        rows = (await db.execute(query.order_by(FeedbackRow.id.desc()).limit(limit))).all()
        by_session: dict[str, list[tuple[str, float]]] = {}
        for row in reversed(rows):
            by_session.setdefault(row.session_id, []).append((row.turn_key, row.score))
        uses = []
        for sid, scored in by_session.items():
            history = await _SessionHistory.load(db, sid)
            for key, score in scored:
                uses += history.feedback(key, score, tenant_of(sid))
    return uses


class _SessionHistory:
    """One session's turns, tool selections, successful calls and user texts, in order."""

    def __init__(
        self, turns: Sequence[Any], picks: Sequence[Any], calls: Sequence[Any], user_texts: dict[int, str]
    ):
        self.turns = turns
        self.picks = picks
        self.calls = calls
        self.user_texts = user_texts

    @classmethod
    async def load(cls, db: AsyncSession, session_id: str) -> _SessionHistory:
        turns = (
            await db.execute(
                select(TurnRow.id, TurnRow.turn_key, TurnRow.created_at)
                .where(TurnRow.session_id == session_id)
                .order_by(TurnRow.seq)
            )
        ).all()
        picks = (
            await db.execute(
                select(
                    ToolSelectionRow.turn_key,
                    ToolSelectionRow.query,
                    ToolSelectionRow.selected,
                    ToolSelectionRow.created_at,
                )
                .where(ToolSelectionRow.session_id == session_id)
                .order_by(ToolSelectionRow.id)
            )
        ).all()
        calls = (
            await db.execute(
                select(ToolCallRow.turn_key, ToolCallRow.server, ToolCallRow.tool, ToolCallRow.created_at)
                .where(ToolCallRow.session_id == session_id, ToolCallRow.error.is_(None))
                .order_by(ToolCallRow.id)
            )
        ).all()
        texts = (
            await db.execute(
                select(MessageRow.turn_pk, MessageRow.text)
                .where(MessageRow.session_id == session_id, MessageRow.role == "user")
                .order_by(MessageRow.seq)
            )
        ).all()
        return cls(turns, picks, calls, {t.turn_pk: t.text for t in texts if t.text})  # last wins

    def feedback(self, turn_key: str, score: float, tenant: str) -> list[ToolOutcome]:
        at = next((i for i, t in enumerate(self.turns) if t.turn_key == turn_key), None)
        if at is None or score == 0:
            return []
        start = self.turns[at].created_at
        end = self.turns[at + 1].created_at if at + 1 < len(self.turns) else None
        picks = [p for p in self.picks if _of_turn(p, turn_key, start, end)]
        called = {(c.server, c.tool) for c in self.calls if _of_turn(c, turn_key, start, end)}
        tools = called or {(s["server"], s["name"]) for p in picks for s in _offered(p.selected)}
        fallback = self.user_texts.get(self.turns[at].id)
        uses = []
        for server, tool in sorted(tools):
            offered_by = [p.query for p in picks if (server, tool) in _keys(p.selected)]
            query = offered_by[-1] if offered_by else fallback
            if query:
                uses.append(ToolOutcome(query, server, tool, score, tenant))
        return uses


def _same_turn(one: str | None, other: str | None) -> bool:
    """Rows that both name a turn go together only when it is the same turn; rows recorded
    before calls named theirs (migration 0003) go by time alone."""
    return one is None or other is None or one == other


def _of_turn(row: Any, turn_key: str, start: datetime, end: datetime | None) -> bool:
    """The row names its turn; an older row that names none is the turn's if recorded between
    the turn's start and the session's next turn."""
    if row.turn_key is not None:
        return row.turn_key == turn_key
    return row.created_at >= start and (end is None or row.created_at < end)


def _offered(selected: Any) -> list[dict[str, Any]]:
    return [s for s in selected or [] if isinstance(s, dict) and "server" in s and "name" in s]


def _keys(selected: Any) -> set[tuple[str, str]]:
    return {(s["server"], s["name"]) for s in _offered(selected)}
