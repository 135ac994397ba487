"""Tool selection and the MCP gateway: which downstream servers to index and how to pick tools."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from .routing import Strict

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ServerSpec(Strict):
    name: str = Field(min_length=1, pattern=NAME_PATTERN)
    trusted: bool = Field(
        False,
        description="believe the server's readOnlyHint/destructiveHint; an untrusted server's "
        "tools all count as destructive, so the safety check runs on every call",
    )


class StdioServerSpec(ServerSpec):
    """A downstream MCP server run as a subprocess speaking stdio. It gets a minimal
    environment (PATH, HOME, USER, SHELL, TERM, LOGNAME, LANG), never the router's own (which
    holds model API keys), plus `env_from` and `env`."""

    command: str = Field(min_length=1, description="executable, e.g. mcp-server-time or uvx")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(
        default_factory=dict, description="the server's environment, beside the minimal one"
    )
    env_from: list[Annotated[str, Field(pattern=ENV_NAME)]] = Field(
        default_factory=list, description="names of the router's environment variables passed on"
    )
    cwd: Path | None = None


class HttpServerSpec(ServerSpec):
    """A downstream MCP server reached over streamable HTTP."""

    url: str = Field(pattern=r"^https?://", description="endpoint, e.g. http://127.0.0.1:9000/mcp")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="sent with every request; ${NAME} in a value is the router's environment "
        "variable NAME, read at connect time, so the secret stays out of the file",
    )


class InlineTool(Strict):
    """A tool declared in the config: selectable, but with no server to forward calls to."""

    server: str = Field("inline", min_length=1, pattern=NAME_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    annotations: dict[str, Any] = Field(default_factory=dict, description="MCP ToolAnnotations")


class ExposeSpec(Strict):
    """Downstream tools the router lists as its own, for agents that cannot use call_tool."""

    enabled: bool = Field(False, description="list the chosen downstream tools as router tools")
    servers: list[str] = Field(
        default_factory=list, description="only these downstream servers; empty: all of them"
    )
    include: list[str] = Field(
        default_factory=list, description="'server/tool' glob patterns; empty: every tool"
    )
    exclude: list[str] = Field(default_factory=list, description="'server/tool' glob patterns")
    read_only: bool = Field(False, description="only tools annotated readOnlyHint by a trusted server")
    max_tools: int = Field(64, gt=0, le=1000, description="the first ones, in config order")
    name: str = Field("{server}__{tool}", description="the router's name for a tool: {server} and {tool}")
    agent_id: str | None = Field(
        None, description="whose safety policy filters the list and checks the calls"
    )

    @field_validator("name")
    @classmethod
    def _template(cls, template: str) -> str:
        fields = {f for _, f, _, _ in Formatter().parse(template) if f is not None}
        if "tool" not in fields or fields - {"server", "tool"}:
            raise ValueError(
                "use {tool}, optionally with {server}, e.g. '{server}__{tool}'; "
                f"{template!r} has {sorted(fields) or 'no fields'}"
            )
        return template


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
    call_timeout_s: float = Field(60.0, gt=0, description="a downstream call slower than this fails")
    session_boost: float = Field(
        0.05, ge=0, le=1, description="score added to tools the session used recently"
    )
    outcome_rate: float = Field(
        0.1, ge=0, le=1, description="how far a successful call moves a tool toward its query"
    )
    image_weight: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of CLIP's image-to-tool match in the score, when encoders.clip is set "
        "and the turn has images",
    )
    repeat_threshold: float = Field(
        0.9,
        ge=0,
        lt=1,
        description="cosine above which a request counts as a repeat of one a tool served before",
    )
    repeat_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="score a repeated request adds to the tool that served it (takes, after blame)",
    )
    server_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="share of a server's match (its name and all its tools' text) added to each of its tools",
    )
    companions: bool = Field(
        True,
        description="bring a chosen tool's lookups along (the tool giving the order_id it takes; "
        "search -> get details), read from the schemas of the same server",
    )
    relative_floor: float = Field(
        0.4,
        ge=0,
        lt=1,
        description="k is a ceiling: tools scoring under this share of the best one are left out",
    )
    deny: list[str] = Field(
        default_factory=list, description="'server/tool' glob patterns never selected nor called"
    )
    allow_destructive: bool = Field(False, description="forward destructive tools without confirm: true")
    expose: ExposeSpec = Field(default_factory=ExposeSpec)

    @model_validator(mode="after")
    def _exposed_servers(self) -> ToolsSpec:
        known = {s.name for s in self.servers}
        for i, name in enumerate(self.expose.servers):
            if name not in known:
                raise ValueError(
                    f"expose.servers[{i}]: {name!r} is not in tools.servers "
                    f"({', '.join(sorted(known)) or 'none configured'})"
                )
        return self
