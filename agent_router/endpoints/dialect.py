"""What each dialect (OpenAI chat completions, Anthropic messages) gives the shared handler:
the request parsed into the core's terms, and the answer, its stream and errors written back
in the dialect's own shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.responses import JSONResponse

from ..core.completion import CallAnswer, PreparedCall
from ..turns import ChatMessage
from .failures import Failure
from .streaming import AnswerStream


@dataclass
class Parsed:
    """A request in the core's terms. `session_hint`: (the field it came from, the id) when the
    body names a session; `user`: an end-user id that stands in for one."""

    messages: list[ChatMessage]
    model: str
    tools: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    max_tokens: int | None = None
    stream: bool = False
    include_usage: bool = False
    session_hint: tuple[str, str] | None = None
    user: str | None = None


class Dialect(Protocol):
    def parse(self, body: dict[str, Any]) -> Parsed:
        """Raises InputError naming the field at fault, unknown fields included."""
        ...

    def body(self, answer: CallAnswer, prepared: PreparedCall, parsed: Parsed) -> dict[str, Any]: ...

    def events(self, stream: AnswerStream, prepared: PreparedCall, parsed: Parsed) -> AsyncIterator[str]:
        """The answer as server-sent events, text as it comes, tool calls once checked."""
        ...

    def error(self, failure: Failure) -> JSONResponse: ...
