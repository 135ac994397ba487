"""Tool selection and the MCP gateway: which downstream servers to index and how to pick tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from .routing import Strict

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


class StdioServerSpec(Strict):
    """A downstream MCP server run as a subprocess speaking stdio."""

    name: str = Field(min_length=1, pattern=NAME_PATTERN)
    command: str = Field(min_length=1, description="executable, e.g. mcp-server-time or uvx")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(
        default_factory=dict, description="added to the inherited environment"
    )
    cwd: Path | None = None


class HttpServerSpec(Strict):
    """A downstream MCP server reached over streamable HTTP."""

    name: str = Field(min_length=1, pattern=NAME_PATTERN)
    url: str = Field(pattern=r"^https?://", description="endpoint, e.g. http://127.0.0.1:9000/mcp")
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every request")


class InlineTool(Strict):
    """A tool declared in the config: selectable, but with no server to forward calls to."""

    server: str = Field("inline", min_length=1, pattern=NAME_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    annotations: dict[str, Any] = Field(default_factory=dict, description="MCP ToolAnnotations")


class ToolsSpec(Strict):
    servers: list[StdioServerSpec | HttpServerSpec] = Field(default_factory=list)
    inline: list[InlineTool] = Field(default_factory=list)
    files: list[Path] = Field(
        default_factory=list,
        description="JSON files holding a list of tool definitions (MCP or OpenAI function shape)",
    )
    cache_dir: Path | None = Field(
        None, description="where tool embeddings persist; default ~/.cache/agent-router/tools"
    )
    lexical_weight: float = Field(0.4, ge=0, le=1, description="BM25's share of the fused score")
    default_k: int = Field(5, gt=0)
    max_tokens: int = Field(8000, gt=0, description="default budget for the definitions returned")
    connect_timeout_s: float = Field(20.0, gt=0)
    call_timeout_s: float = Field(
        60.0, gt=0, description="a downstream call slower than this fails"
    )
    session_boost: float = Field(
        0.05, ge=0, le=1, description="score added to tools the session used recently"
    )
    outcome_rate: float = Field(
        0.2, ge=0, le=1, description="how far a successful call moves a tool toward its query"
    )
    deny: list[str] = Field(
        default_factory=list, description="'server/tool' glob patterns never selected nor called"
    )
    allow_destructive: bool = Field(
        False, description="forward destructive tools without confirm: true"
    )
