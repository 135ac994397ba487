"""Selecting the few tools that fit a turn: the request read off a query or a turn, the pure
decision (what replay re-runs on its own copy of the gateway), and the session's part: its
recent calls lift those tools, and the selection is recorded."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import anyio
import numpy as np

from ..app import App
from ..config.tools import ToolsSpec
from ..embeddings import AsyncEncoder
from ..errors import InputError, NotConfigured
from ..safety.redaction import redact
from ..tenancy import LOCAL_TENANT
from ..tools.catalog import ToolEntry
from ..tools.gateway import Gateway
from ..tools.index import ToolIndex
from ..tools.query import embed_request
from .approval import blocked_servers
from .caller import Caller
from .ids import check_ids, key_of
from .recorder import Recorder
from .results import SelectedTool, ToolSelection
from .turn import Turn

RECENT_CALLS = 20  # how many of the session's latest tool calls lift their tools


class CallRecord(Protocol):
    """A tool call as memory keeps it (live) or as an export has it (replay); read-only, so
    frozen records match."""

    @property
    def server(self) -> str: ...

    @property
    def tool(self) -> str: ...

    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class ToolRequest:
    text: str  # blank when the turn is only images that CLIP matches
    images: np.ndarray | None = None  # CLIP vectors of the turn's images, with encoders.clip set


def gateway_of(app: App) -> Gateway:
    if app.tools is None:
        raise NotConfigured("tool selection is not set up in this router")
    return app.tools


async def read_request(app: App, *, query: str | None = None, turn: Turn | None = None) -> ToolRequest:
    """The query itself, or the turn's newest user text plus what its images show on screen,
    and the images themselves through CLIP where it is configured. A turn is parsed with
    Turn.parse(..., allow_empty=True): images CLIP can match are enough."""
    if query is not None and turn is not None:
        raise InputError.single("query", "give query or messages, not both")
    if query is not None:
        if not query.strip():
            raise InputError.single("query", "the query is blank; describe what the agent needs")
        return ToolRequest(query)
    if turn is None:
        raise InputError.single("query", "give query (text) or messages (the turn)")
    text, images = turn.user_text, turn.images
    if images and app.encoders.ocr is not None:
        screens = await app.encoders.ocr.encode(images)
        text = "\n".join([text, *(s.text for s in screens if s.text)]).strip()
    clip = app.encoders.clip
    pictures = np.stack(await clip.encode(images)) if images and clip is not None else None
    if not text and pictures is None:
        raise InputError.single(
            "messages",
            "the turn has no text to match tools against"
            + (" (its images show none, and encoders.clip is not set)" if images else ""),
        )
    return ToolRequest(text, pictures)


def session_boost(spec: ToolsSpec, recent: Iterable[CallRecord]) -> dict[str, float]:
    """Tools the session called successfully of late rank higher."""
    return {f"{c.server}/{c.tool}": spec.session_boost for c in recent if c.error is None}


async def decide_tools(
    gateway: Gateway,
    encoder: AsyncEncoder[str, np.ndarray],
    request: ToolRequest,
    *,
    k: int,
    max_tokens: int | None = None,
    servers: list[str] | None = None,
    recent: Sequence[CallRecord] = (),
    session_id: str | None = None,
    blocked: list[str] | None = None,
    tenant: str = LOCAL_TENANT,
) -> ToolSelection:
    """The selection alone: no memory, no metrics, ranked as `tenant`'s outcomes taught. The
    gateway keeps the offer under the session's key, so that a successful call of one of its
    tools teaches the tenant's ranking (Gateway.learn_call)."""
    # The request and each of its sentences: a request for several tools finds each one.
    vectors = await embed_request(encoder, request.text)
    picked = gateway.select(
        request.text,
        vectors,
        k,
        max_tokens=max_tokens or gateway.spec.max_tokens,
        servers=servers,
        boost=session_boost(gateway.spec, recent[-RECENT_CALLS:]),
        session_id=session_id,
        blocked_servers=blocked,
        images=request.images,
        tenant=tenant,
    )
    return ToolSelection(
        query=request.text,
        tokens=picked.tokens,
        tools=[
            SelectedTool(
                server=r.tool.server,
                name=r.tool.name,
                score=r.score,
                semantic=r.semantic,
                lexical=r.lexical,
                image=r.image,
                boost=r.boost,
                tokens=r.tool.tokens,
                definition=r.tool.definition(),
                step=r.step,
            )
            for r in picked.tools
        ],
        over_budget=[r.tool.key for r in picked.over_budget],
        steps=picked.steps,
    )


async def check_turn(app: App, caller: Caller, session_id: str | None, turn_id: str | None) -> str | None:
    """A turn_id needs its session, of the caller's tenant, and must be one of its turns.
    Checked before anything is selected or forwarded, so a bad one fails fast and nothing
    half-happens; memory that is down cannot tell, so the work goes on, and the reason is
    returned."""
    check_ids(session_id, turn_id)
    key = key_of(caller, session_id)
    if key is None or turn_id is None:
        return None
    checked = await Recorder(app).attempt(
        f"check turn {turn_id!r} of session {session_id!r}",
        lambda memory: memory.check_turn(key, turn_id),
    )
    return None if checked.ok else f"turn not checked: {checked.failure}"


async def select_tools(
    app: App,
    caller: Caller,
    *,
    query: str | None = None,
    turn: Turn | None = None,
    k: int,
    session_id: str | None = None,
    turn_id: str | None = None,
    servers: list[str] | None = None,
    max_tokens: int | None = None,
) -> ToolSelection:
    """Select for the query or the turn; with a session, its recent calls lift their tools and
    the selection is recorded, and `memory` says whether memory could be used."""
    gateway = gateway_of(app)
    unchecked = await check_turn(app, caller, session_id, turn_id)
    key = key_of(caller, session_id)
    request = await read_request(app, query=query, turn=turn)
    recorder = Recorder(app)
    recent: list[CallRecord] = []
    notes = [unchecked] if unchecked else []
    if key is not None:
        calls = await recorder.attempt(
            f"read the tool calls of session {session_id!r}",
            lambda memory: memory.recent_tool_calls(key, RECENT_CALLS),
        )
        recent = list(calls.value or [])
        if not calls.ok:
            notes.append(f"recent tool use not read: {calls.failure}")
    result = await decide_tools(
        gateway,
        app.encoders.text,
        request,
        k=k,
        max_tokens=max_tokens,
        servers=servers,
        recent=recent,
        session_id=key,
        blocked=blocked_servers(app.safety, caller.agent_id, gateway.server_names()),
        tenant=caller.tenant,
    )
    app.metrics.selected(f"{t.server}/{t.name}" for t in result.tools)
    if key is None:
        return result
    picked = [{"server": t.server, "name": t.name, "score": t.score} for t in result.tools]
    stored = await recorder.attempt(
        f"record a tool selection in session {session_id!r}",
        lambda memory: memory.record_tool_selection(key, turn_id, redact(request.text)[0], picked),
    )
    notes.append("selection recorded" if stored.ok else f"selection not recorded: {stored.failure}")
    result.memory = "; ".join(notes)
    return result


async def rank_among(app: App, turn: Turn, tools: list[ToolEntry], k: int) -> list[str]:
    """The names of the k of `tools` (a request's own definitions, not the gateway's catalog)
    that fit the turn best: select_tools' ranking over an index of these tools alone. Their
    vectors are cached as the catalog's are, so a framework that sends the same tools on every
    call embeds them once."""
    gateway = gateway_of(app)
    request = await read_request(app, turn=turn)
    index = ToolIndex.configured(gateway.spec)
    await anyio.to_thread.run_sync(functools.partial(index.rebuild, tools, gateway.store, gateway.embed))
    vectors = await embed_request(app.encoders.text, request.text)
    return [r.tool.name for r in index.search(vectors, request.text, k, images=request.images)]
