"""The downstream tools the router lists as its own (tools.expose): which ones, and under what name.

Names keep to [A-Za-z0-9_-] and 64 characters: MCP allows dots and 128, but the model APIs
agents hand these tools to (OpenAI and Anthropic function names) do not.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config.tools import ExposeSpec
from .catalog import ToolEntry

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class ExposedTool:
    name: str  # the router's name for the tool
    tool: ToolEntry

    def definition(self) -> dict[str, Any]:
        """MCP's wire shape under the router's name, with the downstream description, schema
        and annotations."""
        annotations = self.tool.hints.to_mcp()
        return {
            "name": self.name,
            "description": self.tool.description,
            "inputSchema": self.tool.input_schema,
            "annotations": annotations,
            **({"title": annotations["title"]} if "title" in annotations else {}),
        }


@dataclass(frozen=True)
class ExposedView:
    """One catalog's exposed tools, looked up by the router's name."""

    by_name: dict[str, ExposedTool] = field(default_factory=dict)
    left_out: int = 0  # tools that passed the filter but not max_tools

    def definitions(self) -> list[dict[str, Any]]:
        return [t.definition() for t in self.by_name.values()]


def expose(
    catalog: Iterable[ToolEntry],
    spec: ExposeSpec,
    *,
    server_order: Sequence[str],
    deny: Sequence[str],
    blocked_servers: Sequence[str],
    reserved: Iterable[str],
) -> ExposedView:
    """The tools spec chooses, in server_order (the config's) and each server's own order.
    Tools that cannot be forwarded, denied tools and those of blocked_servers (compared
    case-blind, as the safety policy does) never appear; reserved names (the router's own
    tools) are never taken."""
    order = {name: i for i, name in enumerate(spec.servers or server_order)}
    blocked = {b.strip().lower() for b in blocked_servers}
    never, include = _any_of([*deny, *spec.exclude]), _any_of(spec.include or ["*"])
    chosen = sorted(
        (
            t
            for t in catalog
            if t.callable
            and t.server in order
            and t.server.lower() not in blocked
            and (t.counts_read_only or not spec.read_only)
            and include(t.key)
            and not never(t.key)
        ),
        key=lambda t: order[t.server],
    )
    own = set(reserved)
    by_name: dict[str, ExposedTool] = {}
    for tool in chosen[: spec.max_tools]:
        name = tool_name(spec.name, tool)
        if name in by_name or name in own:
            name = _with_hash(name, tool)
        by_name[name] = ExposedTool(name, tool)
    return ExposedView(by_name, max(0, len(chosen) - spec.max_tools))


def tool_name(template: str, tool: ToolEntry) -> str:
    """The template filled in, characters outside [A-Za-z0-9_-] made '_', and a name too long
    cut with a hash of the tool's key, so that it stays unique."""
    name = _UNSAFE.sub("_", template.format(server=tool.server, tool=tool.name))
    return name if len(name) <= MAX_NAME else _with_hash(name, tool)


def _any_of(patterns: Sequence[str]) -> Callable[[str], bool]:
    """fnmatchcase over all patterns as one compiled expression: a catalog has thousands."""
    if not patterns:
        return lambda _: False
    pattern = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    return lambda key: pattern.match(key) is not None


def _with_hash(name: str, tool: ToolEntry) -> str:
    digest = hashlib.sha256(tool.key.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"
