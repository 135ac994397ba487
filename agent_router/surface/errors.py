"""The core's errors as the caller sees them: a tool error whose text says what went wrong.
(InputError is turned into one by reports_input_errors, which also counts it.)"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from ..errors import NotConfigured, Refused
from ..memory import MemoryUnavailable
from ..pools import DispatchError
from ..tools.downstream import DownstreamError

P = ParamSpec("P")
T = TypeVar("T")

TOOL_ERRORS = (NotConfigured, Refused, DownstreamError, DispatchError, MemoryUnavailable)


def tool_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Put under @reports_input_errors: the core's failures become tool errors with their text."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except TOOL_ERRORS as exc:
            raise ToolError(str(exc)) from exc

    return wrapper
