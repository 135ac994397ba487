"""The catalog of every configured tool source, its index, and forwarding of calls downstream."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
import numpy as np
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..config.tools import ToolsSpec
from ..errors import InputError, Refused
from ..tenancy import LOCAL_TENANT
from .catalog import ToolEntry, from_inline, load_file
from .downstream import Downstream, DownstreamError
from .index import Ranked, ToolIndex, above_floor, denied
from .query import query_parts
from .taught import Taught
from .vectors import Embed, VectorStore

log = logging.getLogger("agent_router.tools")

_SESSIONS_KEPT = 1024

# An outcome to learn: (query, server, tool[, weight[, tenant]]), as memory/tool_outcomes.py
# reads them back.
Use = tuple[str, str, str] | tuple[str, str, str, float] | tuple[str, str, str, float, str]


@dataclass(frozen=True)
class Selection:
    query: str
    tools: list[Ranked]
    over_budget: list[Ranked]
    tokens: int
    steps: list[str] = field(default_factory=list)  # the request's parts; a tool's step indexes them


class Gateway:
    def __init__(
        self,
        spec: ToolsSpec,
        embed: Embed,
        model_name: str,
        *,
        clip: tuple[str, Embed] | None = None,
    ):
        """embed and model_name: the shared text encoder; clip: the name and the text tower of
        the configured CLIP model, so that images in a turn are matched against tools too."""
        self.spec = spec
        self.embed = embed
        self.store = VectorStore(spec.cache_dir, model_name)
        self.clip = None if clip is None else (VectorStore(spec.cache_dir, clip[0]), clip[1])
        self.index = ToolIndex.configured(spec)
        self.static: list[ToolEntry] = []
        self.listed: dict[str, list[ToolEntry]] = {}
        self.downstream = {s.name: Downstream(s, spec.connect_timeout_s, self._changed) for s in spec.servers}
        self._sync_lock = asyncio.Lock()
        self._on_reindex: list[Callable[[], Awaitable[None]]] = []
        # The last selection per session (by its key, which names the tenant) and the tenant
        # it was for: a successful call of one of its tools is that tenant's outcome.
        self._last: OrderedDict[str, tuple[np.ndarray, set[str], str]] = OrderedDict()
        self.taught = Taught()  # outcomes learned here at once; following replicas skips them

    async def start(self) -> None:
        """Connect every server (a server that is down is retried in the background) and index."""
        self.static = [from_inline(t) for t in self.spec.inline]
        for path in self.spec.files:
            try:
                self.static += load_file(path)
            except ValueError as exc:  # one bad file must not keep the other tools away
                log.error("tools.files: %s", exc)
        for server in self.downstream.values():
            server.start()
        await self.sync()

    async def sync(self, server: str | None = None) -> dict[str, str]:
        """Re-list one server or all and re-index; unchanged tools are not re-embedded."""
        names = [server] if server is not None else list(self.downstream)
        unknown = [n for n in names if n not in self.downstream]
        if unknown:
            raise InputError.single("server", _unknown_server(unknown[0], self.downstream))
        results = await asyncio.gather(*(self._list(n) for n in names))
        report = dict(zip(names, results, strict=True))
        await self._reindex()
        return report

    async def _list(self, name: str) -> str:
        try:
            self.listed[name] = await self.downstream[name].list_tools()
            return f"{len(self.listed[name])} tools"
        except DownstreamError as exc:
            log.warning("%s", exc)
            return str(exc)

    async def _reindex(self) -> None:
        async with self._sync_lock:
            tools = self.static + [t for ts in self.listed.values() for t in ts]
            fresh = ToolIndex.configured(self.spec, learned=self.index)
            rebuild = functools.partial(fresh.rebuild, tools, self.store, self.embed, clip=self.clip)
            await anyio.to_thread.run_sync(rebuild)
            self.index = fresh  # searches see the old index or the new one, never half of each
        for listener in self._on_reindex:
            await listener()

    def on_reindex(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Views of the catalog (the tools the router exposes) follow it: listener runs after
        every re-index, and must not raise."""
        self._on_reindex.append(listener)

    async def _changed(self, server: str) -> None:
        log.info("downstream %s changed its tools; re-syncing", server)
        await self.sync(server)

    def select(
        self,
        query: str,
        vector: np.ndarray,
        k: int,
        *,
        max_tokens: int,
        servers: list[str] | None = None,
        boost: dict[str, float] | None = None,
        session_id: str | None = None,
        blocked_servers: list[str] | None = None,
        images: np.ndarray | None = None,
        tenant: str = LOCAL_TENANT,
    ) -> Selection:
        """At most k allowed tools whose definitions fit in max_tokens, best first (tools scoring
        under relative_floor of the best are left out); tools of
        blocked_servers (a safety policy's, compared case-blind) are never among them. images:
        CLIP vectors of the turn's images, when CLIP is configured. The ranking is the one
        `tenant`'s outcomes taught, and a session_id must be a key of that tenant's."""
        if servers is not None:
            known = self.server_names()
            for i, name in enumerate(servers):
                if name not in known:
                    raise InputError.single(f"servers[{i}]", _unknown_server(name, known))
        # Over-fetch so that tools dropped for the budget can be replaced by smaller ones.
        ranked = self.index.search(
            vector,
            query,
            k * 3,
            servers=servers,
            deny=self.spec.deny,
            boost=boost,
            blocked_servers=blocked_servers or (),
            images=images,
            tenant=tenant,
        )
        chosen: list[Ranked] = []
        skipped: list[Ranked] = []
        used = 0
        floor = self.spec.relative_floor if query.strip() else 0.0  # images alone: CLIP's spread
        for item in above_floor(ranked, floor):
            if len(chosen) == k:
                break
            if used + item.tool.tokens > max_tokens:
                skipped.append(item)
                continue
            chosen.append(item)
            used += item.tool.tokens
        if session_id is not None:
            self._remember(session_id, query, vector, chosen, tenant)
        steps = query_parts(query) if np.atleast_2d(vector).shape[0] > 1 else []
        return Selection(query, chosen, skipped, used, steps)

    def _remember(
        self, session_id: str, query: str, vector: np.ndarray, chosen: list[Ranked], tenant: str
    ) -> None:
        """The session's last offer: a successful call of one of its tools is an outcome. An
        offer for images alone has no text to learn toward, and replaces the older offer."""
        self._last.pop(session_id, None)
        if not query.strip():
            return
        whole = np.atleast_2d(vector)[0]  # the request's row; the others are its parts
        self._last[session_id] = (whole, {r.tool.key for r in chosen}, tenant)
        while len(self._last) > _SESSIONS_KEPT:
            self._last.popitem(last=False)

    def server_names(self) -> set[str]:
        """Every server the catalog has tools from: downstream, inline and file ones."""
        return set(self.downstream) | {t.server for t in self.static}

    def resolve(self, server: str, name: str) -> ToolEntry:
        tool = self.index.get(f"{server}/{name}")
        if tool is None:
            if server not in self.server_names():
                raise InputError.single("server", _unknown_server(server, self.downstream))
            known = sorted(t.name for t in self.index.tools if t.server == server)
            hint = (
                f"; {server} has: {', '.join(known[:20])}"
                if known
                else (
                    f"; {server} lists no tools right now "
                    f"({self.downstream[server].last_error or 'not synced'})"
                    if server in self.downstream
                    else ""
                )
            )
            raise InputError.single("name", f"unknown tool {name!r} on server {server!r}{hint}")
        return tool

    def prepare(self, server: str, name: str, arguments: dict[str, Any]) -> ToolEntry:
        """The tool a call names, once it is known, allowed, forwardable and its arguments fit."""
        tool = self.resolve(server, name)
        if denied(tool.key, self.spec.deny):
            raise InputError.single("name", f"{tool.key} is denied by the tools.deny policy")
        if not tool.callable:
            raise InputError.single(
                "server",
                f"{tool.key} is declared in the config, not served "
                "by a downstream MCP server: there is nothing to forward "
                "the call to",
            )
        check_arguments(tool, arguments)
        return tool

    def needs_confirmation(self, tool: ToolEntry) -> bool:
        """With no safety checker, the destructive annotation alone decides (a trusted server's;
        an untrusted server's tools all count as destructive)."""
        return tool.counts_destructive and not self.spec.allow_destructive

    async def forward(
        self, tool: ToolEntry, arguments: dict[str, Any], session_id: str | None = None
    ) -> types.CallToolResult:
        """Send a prepared call downstream; the result comes back unchanged."""
        result = await self.downstream[tool.server].call(tool.name, arguments, self.spec.call_timeout_s)
        if session_id is not None and not result.is_error:
            self.learn_call(session_id, tool.key)
        return result

    def learn_call(self, session_id: str, key: str) -> bool:
        """A successful call of `key` in the session: when the session's last selection offered
        the tool, it moves toward that selection's request in the ranking of the tenant the
        selection was for. Replay calls this on its fork."""
        last = self._last.get(session_id)
        if last is None or key not in last[1]:
            return False
        self.index.reinforce(key, last[0], tenant=last[2])
        self.taught.note("call", session_id, key)
        return True

    def fork(self) -> Gateway:
        """A private copy for replay: the same catalog, encoders and vector stores, with its own
        copy of what the index learned, so learning on the copy leaves this gateway as it was.
        It starts with no session's offer, is connected to no server and forwards nothing."""
        twin = copy.copy(self)
        twin.index = self.index.fork()
        twin.downstream = {}
        twin._on_reindex = []
        twin._sync_lock = asyncio.Lock()
        twin._last = OrderedDict()
        twin.taught = Taught()
        return twin

    async def learn(self, uses: Sequence[Use]) -> int:
        """Replay outcomes recorded in session memory (memory/tool_outcomes.py): (query, server,
        tool) of calls that succeeded, with a weight where feedback set one, each in its
        tenant's ranking (the local tenant's where none is given), so that learning survives a
        restart."""
        for start in range(0, len(uses), 128):
            chunk = uses[start : start + 128]
            vectors = await anyio.to_thread.run_sync(self.embed, [use[0] for use in chunk])
            for use, vector in zip(chunk, vectors, strict=True):
                weight = use[3] if len(use) > 3 else 1.0
                tenant = use[4] if len(use) > 4 else LOCAL_TENANT
                self.index.reinforce(f"{use[1]}/{use[2]}", vector, weight, tenant=tenant)
        return len(uses)

    async def aclose(self) -> None:
        await asyncio.gather(*(s.aclose() for s in self.downstream.values()))


def check_arguments(tool: ToolEntry, arguments: dict[str, Any]) -> None:
    """Every schema violation, each named by its path under arguments. A tool whose input
    schema is itself invalid is refused: its arguments cannot be checked, so nothing is
    forwarded to it."""
    try:
        validator = _validator(json.dumps(tool.input_schema, sort_keys=True))
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    except SchemaError as exc:
        raise Refused(
            f"{tool.key} has an invalid input schema ({exc.message}); its arguments cannot be "
            "checked, so the call is not forwarded"
        ) from None
    if errors:
        problems = []
        for error in errors:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append((f"arguments{path}", error.message))
        raise InputError(problems)


@functools.lru_cache(maxsize=4096)
def _validator(schema: str) -> Draft202012Validator:
    """Checking a schema costs milliseconds, and a tool's schema changes only when its server
    re-lists it: each distinct schema is checked and compiled once (keyed by its JSON text, so a
    changed schema is checked afresh; an invalid one raises and is not kept)."""
    loaded = json.loads(schema)
    Draft202012Validator.check_schema(loaded)
    return Draft202012Validator(loaded)


def _unknown_server(name: str, known: Any) -> str:
    names = ", ".join(sorted(known)) or "none configured"
    return f"unknown server {name!r}; known servers: {names}"
