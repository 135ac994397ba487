"""The model endpoints (/v1/chat/completions, /v1/messages): what the router does with a tool
call it judged unsafe, and with a tool result that carries injected instructions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .routing import Strict


class OnDenied(StrEnum):
    message = "message"  # the call is replaced by an assistant text saying what was blocked and why
    error = "error"  # the whole answer is refused with an error (403)


class OnConfirm(StrEnum):
    deny = "deny"  # nobody can be asked inside a model call: treated as denied, with the question
    allow = "allow"  # passed to the agent, its own confirmation step is trusted to ask


class OnFlagged(StrEnum):
    fence = "fence"  # kept, wrapped as untrusted data with a note the model reads first
    remove = "remove"  # replaced by a note that it was removed and why
    refuse = "refuse"  # the request is refused (403)


class EndpointsSpec(Strict):
    enabled: bool = Field(True, description="serve /v1/... beside /mcp on the HTTP transport")
    on_denied: OnDenied = OnDenied.message
    on_confirm: OnConfirm = OnConfirm.deny
    flagged_results: OnFlagged = Field(
        OnFlagged.fence, description="a tool result flagged for injected instructions"
    )
    max_tools: int | None = Field(
        None, gt=0, description="send the model at most this many of a request's tools: those that fit"
    )
    shell_tools: list[str] = Field(
        default_factory=lambda: [
            "shell",
            "bash",
            "sh",
            "terminal",
            "exec",
            "execute",
            "run_command",
            "execute_command",
            "run_shell_command",
            "local_shell",
        ],
        description="tools whose command argument is judged as a shell command",
    )
    command_fields: list[str] = Field(
        default_factory=lambda: ["command", "cmd", "script"],
        description="the argument of a shell tool that holds its command",
    )
