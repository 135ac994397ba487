"""Tool definitions as the index and the gateway see them, whichever server or file gave them."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.tools import InlineTool

CHARS_PER_TOKEN = 3.2  # the same conservative estimate routing uses for prompts


@dataclass(frozen=True)
class ToolHints:
    """MCP ToolAnnotations with the spec's defaults for hints a server leaves out."""

    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False
    open_world: bool = True
    title: str | None = None

    @classmethod
    def from_mcp(cls, raw: dict[str, Any] | None) -> ToolHints:
        raw = raw or {}

        def get(camel: str, snake: str, default: Any) -> Any:
            value = raw.get(camel, raw.get(snake))
            return default if value is None else value

        return cls(
            read_only=bool(get("readOnlyHint", "read_only_hint", False)),
            destructive=bool(get("destructiveHint", "destructive_hint", True)),
            idempotent=bool(get("idempotentHint", "idempotent_hint", False)),
            open_world=bool(get("openWorldHint", "open_world_hint", True)),
            title=get("title", "title", None),
        )

    @property
    def is_destructive(self) -> bool:
        """destructiveHint only means something when the tool is not read-only."""
        return self.destructive and not self.read_only

    def to_mcp(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "readOnlyHint": self.read_only,
            "destructiveHint": self.destructive,
            "idempotentHint": self.idempotent,
            "openWorldHint": self.open_world,
        }
        if self.title:
            out["title"] = self.title
        return out


@dataclass(frozen=True)
class ToolEntry:
    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    hints: ToolHints = field(default_factory=ToolHints)
    callable: bool = True  # False for tools declared in the config or a file: nothing to forward to
    trusted: bool = False  # its server is marked trusted in the config: its hints are believed

    @property
    def key(self) -> str:
        return f"{self.server}/{self.name}"

    @property
    def counts_destructive(self) -> bool:
        """Annotations are the server's own claim, believed only from a server the config
        trusts: any other server's tool counts as destructive, so the safety check runs."""
        return self.hints.is_destructive or not self.trusted

    @property
    def counts_read_only(self) -> bool:
        return self.trusted and self.hints.read_only

    def definition(self) -> dict[str, Any]:
        """The complete definition in MCP's wire shape, ready to hand to a model."""
        return {
            "server": self.server,
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
            "annotations": self.hints.to_mcp(),
        }

    @property
    def tokens(self) -> int:
        return math.ceil(len(json.dumps(self.definition(), separators=(",", ":"))) / CHARS_PER_TOKEN)


# Where an identifier's words meet: getWeather, and the end of an acronym (HTTPResponse, parseJSONBody).
CASE_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def name_words(name: str) -> str:
    """get_weatherForecast -> 'get weather forecast', getHTTPStatus -> 'get http status': the
    encoder reads words, not identifiers."""
    spaced = re.sub(r"[_\-.]+", " ", CASE_BREAK.sub(" ", name))
    return " ".join(spaced.lower().split())


def parameters(schema: dict[str, Any]) -> list[tuple[str, str]]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return []
    return [(str(k), str(v.get("description", "")) if isinstance(v, dict) else "") for k, v in props.items()]


def values(schema: dict[str, Any], most: int = 12) -> list[str]:
    """The values a schema's parameters list (enum, examples): words a request uses ("celsius",
    "round trip") that no description repeats."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    found: list[str] = []
    for spec in props.values() if isinstance(props, dict) else ():
        for key in ("enum", "examples"):
            listed = spec.get(key) if isinstance(spec, dict) else None
            if isinstance(listed, list):
                found += [str(v) for v in listed[:most] if v is not None]
    return found


def index_text(tool: ToolEntry) -> str:
    """What BM25 reads: words of the name, the description, every parameter and the values the
    parameters list (docs/benchmark-notes.md: listed values help on BFCL and the task set's held
    splits; defaults did not)."""
    params = "; ".join(
        f"{name_words(p)}: {d}" if d else name_words(p) for p, d in parameters(tool.input_schema)
    )
    text = f"{name_words(tool.name)}: {tool.description.strip()}"
    text = f"{text} Parameters: {params}" if params else text
    listed = values(tool.input_schema)
    return f"{text} Values: {' '.join(listed)}" if listed else text


def from_definition(raw: dict[str, Any], server: str, where: str) -> ToolEntry:
    """One tool from MCP (inputSchema) or OpenAI/BFCL (parameters, type dict) shape."""
    if "function" in raw and isinstance(raw["function"], dict):  # {"type": "function", "function": ...}
        raw = raw["function"]
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.name: every tool needs a non-empty name")
    schema = raw.get("inputSchema", raw.get("input_schema", raw.get("parameters", {"type": "object"})))
    if not isinstance(schema, dict):
        raise ValueError(f"{where}.inputSchema: expected a JSON Schema object")
    return ToolEntry(
        server=str(raw.get("server", server)),
        name=name,
        description=str(raw.get("description") or ""),
        input_schema=json_schema(schema),
        hints=ToolHints.from_mcp(raw.get("annotations")),
        callable=False,
    )


def json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """BFCL and some OpenAI exports say type 'dict' where JSON Schema says 'object'."""
    if schema.get("type") != "dict":
        return schema
    return {**schema, "type": "object"}


def from_inline(tool: InlineTool) -> ToolEntry:
    return ToolEntry(
        tool.server,
        tool.name,
        tool.description,
        json_schema(tool.input_schema),
        ToolHints.from_mcp(tool.annotations),
        callable=False,
    )


def load_file(path: Path) -> list[ToolEntry]:
    """A JSON list of definitions, or {"tools": [...]}; the server defaults to the file stem."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None
    items = data.get("tools", data.get("catalog")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f'{path}: expected a list of tool definitions or {{"tools": [...]}}')
    return [from_definition(item, path.stem, f"{path}[{i}]") for i, item in enumerate(items)]
