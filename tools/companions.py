"""Companion tools: the lookups a chosen tool depends on come along with it.

A task names what it wants done ("exchange the keyboard in my order"), rarely the lookups that
the call needs first: the tool that turns a name into the `order_id` it takes, the airport search
whose result its `originSkyId` comes from. Within one server, a lookup tool (get, find, search,
list ...) is a companion of a tool that takes an identifier of what the lookup names, or whose
parameter descriptions name the lookup; the relation holds both ways (search -> get details).
Read from the schemas at index time; no model.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from .catalog import ToolEntry, name_words

LOOKUP_VERBS = frozenset(
    ["get", "find", "search", "list", "lookup", "query", "fetch", "retrieve", "read", "show", "check"]
)
# A parameter naming an identifier: order_id, originSkyId, session_token, geoId, item_ids.
_IDENTIFIER = re.compile(r"(?:^|[_\s])?(id|ids|key|code|token|number|no)$", re.IGNORECASE)
GENERIC = frozenset(
    [
        "id",
        "ids",
        "key",
        "code",
        "token",
        "number",
        "no",
        "the",
        "a",
        "an",
        "of",
        "by",
        "details",
        "info",
        "information",
        "data",
    ]
)
MAX_PER_TOOL = 3
MAX_SERVER_TOOLS = 64  # a "server" larger than this is a bag of unrelated tools, not one service
FLOOR = 0.5  # a companion scores at least this share of the tool it comes with


def _entities(tool: ToolEntry) -> tuple[set[str], set[str]]:
    """Words naming the identifiers a tool takes, and every word its parameter descriptions say."""
    props = tool.input_schema.get("properties") if isinstance(tool.input_schema, dict) else None
    entities: set[str] = set()
    described: set[str] = set()
    for name, spec in (props or {}).items() if isinstance(props, dict) else ():
        words = name_words(str(name)).split()
        if words and _IDENTIFIER.search(words[-1]):
            entities.update(w for w in words if w not in GENERIC)
        if isinstance(spec, dict):
            described.update(name_words(str(spec.get("description", ""))).split())
    return entities, described


def _lookup_words(tool: ToolEntry, server_words: set[str]) -> tuple[set[str], set[str]] | None:
    """The words of a lookup tool's name past its verb, and all of them (server prefixes
    dropped); None if the tool is not a lookup."""
    words = [w for w in name_words(tool.name).split() if w not in server_words]
    verbs = [i for i, w in enumerate(words) if w in LOOKUP_VERBS]
    if not verbs and not tool.hints.read_only:
        return None
    start = verbs[0] + 1 if verbs else 0
    return {w.rstrip("s") if len(w) > 3 else w for w in words[start:]} - GENERIC, set(words)


def companions(tools: list[ToolEntry]) -> list[np.ndarray]:
    """Per tool, the rows of its companions in the same server."""
    by_server: dict[str, list[int]] = defaultdict(list)
    for row, tool in enumerate(tools):
        by_server[tool.server].append(row)
    linked: list[set[int]] = [set() for _ in tools]
    for rows in by_server.values():
        if not 2 <= len(rows) <= MAX_SERVER_TOOLS:
            continue
        server_words = set(name_words(tools[rows[0]].server).split())
        lookups = {r: _lookup_words(tools[r], server_words) for r in rows}
        for a in rows:
            entities, described = _entities(tools[a])
            singular = {e.rstrip("s") if len(e) > 3 else e for e in entities}
            for b, found in lookups.items():
                if b == a or found is None:
                    continue
                words, whole = found
                named = bool(words & singular)
                cited = len(whole) >= 2 and whole <= described
                if named or cited:
                    linked[a].add(b)
                    linked[b].add(a)
    return [np.array(sorted(s), np.int32) for s in linked]


def with_companions(
    rows: list[int], links: list[np.ndarray], scores: np.ndarray, *, k: int, lead: int, servers: np.ndarray
) -> list[int]:
    """The first `lead` picks, then their companions (best scored first, at most MAX_PER_TOOL
    each, scoring FLOOR of the pick), then the other picks, those on the lead picks' servers
    first (a task's other steps are most often served where its first ones are); k at most."""
    head, tail = rows[:lead], rows[lead:]
    out = list(head)
    for row in head:
        floor = FLOOR * scores[row]
        mates = [int(m) for m in links[row] if scores[m] >= floor and int(m) not in out]
        mates.sort(key=lambda m: -scores[m])
        out += mates[:MAX_PER_TOOL]
    focus = {int(servers[r]) for r in head}
    rest = [r for r in tail if r not in out]
    out += [r for r in rest if int(servers[r]) in focus] + [r for r in rest if int(servers[r]) not in focus]
    return out[:k]
