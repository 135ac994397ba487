"""What every tool needs: the running App, and errors that reach the caller intact."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from ..app import App
from ..errors import InputError

P = ParamSpec("P")
T = TypeVar("T")


def app_of(ctx: Context) -> App:
    return ctx.request_context.lifespan_context


def reports_input_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Bad input becomes a tool error whose text names the field; the SDK hides other errors."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except InputError as exc:
            raise ToolError(f"invalid input: {exc}") from exc

    return wrapper
