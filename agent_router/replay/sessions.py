"""Recorded sessions read back for replay, from the memory export format (JSON Lines, see
docs/memory.md) or straight from the memory database. Reading never stops at the first bad
line: a cut-off line, an event of an unknown kind or an older schema becomes a note on the
session (or on the run) and the rest is read."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..memory.ids import session_key, tenant_of
from ..tenancy import LOCAL_TENANT

if TYPE_CHECKING:
    from ..memory import MemoryStore

FORMAT_VERSION = 1  # memory/transcript.py writes this; older exports lack parts or fields


@dataclass
class Problem:
    where: str  # "line 12", "session s1", "s1 turn 3"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class RecordedTurn:
    seq: int
    turn_id: str | None
    created_at: str
    messages: list[dict[str, Any]]  # stored messages: role, text, parts, ...
    decision: dict[str, Any] | None
    where: str


@dataclass
class RecordedSelection:
    turn_id: str | None
    query: str
    selected: list[dict[str, Any]]
    created_at: str
    where: str


@dataclass
class RecordedCall:
    server: str
    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    turn_id: str | None = None  # the turn it belongs to; exports before calls named one lack it


@dataclass
class RecordedVerdict:
    turn_id: str | None
    verdict: dict[str, Any]
    created_at: str
    where: str


@dataclass
class RecordedSession:
    id: str
    agent_id: str | None = None
    format: int | None = FORMAT_VERSION
    tenant: str = LOCAL_TENANT  # whose tool outcomes its selections are re-decided with
    turns: list[RecordedTurn] = field(default_factory=list)
    selections: list[RecordedSelection] = field(default_factory=list)
    calls: list[RecordedCall] = field(default_factory=list)
    verdicts: list[RecordedVerdict] = field(default_factory=list)
    blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha256 -> (mime, bytes)
    problems: list[Problem] = field(default_factory=list)

    @property
    def older_schema(self) -> bool:
        return self.format is None or self.format < FORMAT_VERSION


@dataclass
class Loaded:
    sessions: list[RecordedSession]
    problems: list[Problem]  # lines that belong to no session


def read_lines(lines: Iterable[str], source: str = "") -> Loaded:
    """Events from export lines; a line that is not JSON is reported and skipped."""
    prefix = f"{source}: " if source else ""
    events: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{prefix}line {n}"
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(
                    where,
                    f"not JSON ({exc.msg} at column {exc.colno}): the line is cut off or corrupt; skipped",
                )
            )
            continue
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            problems.append(Problem(where, "expected an object with an 'event' key; skipped"))
            continue
        event["_where"] = where
        events.append(event)
    loaded = from_events(events)
    loaded.problems[:0] = problems
    return loaded


def from_events(events: Iterable[dict[str, Any]]) -> Loaded:
    sessions: list[RecordedSession] = []
    orphans: list[Problem] = []
    current: RecordedSession | None = None
    for event in events:
        where = event.get("_where", "event")
        kind = event["event"]
        if kind == "session":
            if not isinstance(event.get("id"), str):
                orphans.append(
                    Problem(
                        where, "session event without an id; its events are skipped until the next session"
                    )
                )
                current = None
                continue
            tenant = event.get("tenant")
            current = RecordedSession(
                event["id"],
                event.get("agent_id"),
                event.get("format"),
                tenant if isinstance(tenant, str) else tenant_of(event["id"]),
            )
            if current.older_schema:
                current.problems.append(
                    Problem(
                        f"session {current.id}",
                        f"recorded with export format "
                        f"{current.format if current.format is not None else 'unnamed'} (this "
                        f"replay reads {FORMAT_VERSION}); what it lacks is reported per turn",
                    )
                )
            sessions.append(current)
            continue
        if current is None:
            orphans.append(Problem(where, f"{kind!r} event before any session event; skipped"))
            continue
        try:
            _add(current, kind, event, where)
        except (KeyError, TypeError, ValueError) as exc:
            current.problems.append(
                Problem(where, f"{kind} event is malformed ({exc.__class__.__name__}: {exc}); skipped")
            )
    return Loaded(sessions, orphans)


def _add(session: RecordedSession, kind: str, e: dict[str, Any], where: str) -> None:
    if kind == "blob":
        session.blobs[e["sha256"]] = (e.get("mime") or "image/png", base64.b64decode(e["data"]))
    elif kind == "turn":
        seq = int(e.get("seq") or len(session.turns) + 1)
        session.turns.append(
            RecordedTurn(
                seq=seq,
                turn_id=e.get("turn_id"),
                created_at=str(e.get("created_at") or ""),
                messages=list(e["messages"]),
                decision=e.get("decision"),
                where=f"{session.id} turn {seq}",
            )
        )
    elif kind == "tool_selection":
        session.selections.append(
            RecordedSelection(
                e.get("turn_id"),
                str(e["query"]),
                list(e["selected"]),
                str(e.get("created_at") or ""),
                f"{session.id} tool selection {len(session.selections) + 1}",
            )
        )
    elif kind == "tool_call":
        session.calls.append(
            RecordedCall(
                str(e["server"]),
                str(e["tool"]),
                dict(e.get("arguments") or {}),
                e.get("result"),
                e.get("error"),
                str(e.get("created_at") or ""),
                e.get("turn_id"),
            )
        )
    elif kind == "verdict":
        session.verdicts.append(
            RecordedVerdict(
                e.get("turn_id"),
                dict(e["verdict"]),
                str(e.get("created_at") or ""),
                f"{session.id} verdict {len(session.verdicts) + 1}",
            )
        )
    elif kind != "feedback":
        session.problems.append(Problem(where, f"unknown event {kind!r}; skipped"))


async def from_store(store: MemoryStore, session_ids: list[str], *, tenant: str | None = None) -> Loaded:
    """Sessions straight from the memory database, through the same export code: by key, or
    with `tenant` the sessions of that tenant by the ids it knows them by (and shows)."""
    from ..errors import InputError
    from ..memory.transcript import export_session

    events: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for sid in session_ids:
        key = sid if tenant is None else session_key(tenant, sid)
        try:
            async for event in export_session(store.database, key):
                if event["event"] == "session":
                    event["id"] = sid
                event["_where"] = f"session {sid}"
                events.append(event)
        except InputError as exc:
            problems.append(Problem(f"session {sid}", f"{exc}; skipped"))
    loaded = from_events(events)
    loaded.problems[:0] = problems
    return loaded
