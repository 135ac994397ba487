"""What every tool needs: the running App, errors that reach the caller intact, and each call
observed (its session and turn on every log line, a span, its errors counted)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from ..app import App
from ..errors import InputError
from ..observability import Metrics, elapsed_ms, tool_call

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("agent_router.calls")


def app_of(ctx: Context) -> App:
    return ctx.request_context.lifespan_context


def reports_input_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Bad input becomes a tool error whose text names the field; the SDK hides other errors.
    Every tool has this decorator, so it is also where calls are logged, traced and counted."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        session_id, turn_id = kwargs.get("session_id"), kwargs.get("turn_id")
        ctx = next((v for v in kwargs.values() if isinstance(v, Context)), None)
        started = time.perf_counter()
        outcome = "ok"
        with tool_call(fn.__name__, _str(session_id), _str(turn_id)) as span:
            try:
                return await fn(*args, **kwargs)
            except InputError as exc:
                outcome = "input_error"
                raise ToolError(f"invalid input: {exc}") from exc
            except ToolError:
                outcome = "tool_error"
                raise
            except Exception:
                outcome = "internal_error"
                log.exception("%s failed", fn.__name__)
                raise
            finally:
                span.set_attribute("agent_router.outcome", outcome)
                metrics = _metrics(ctx)
                if metrics is not None:
                    metrics.calls.labels(fn.__name__, outcome).observe(time.perf_counter() - started)
                    if outcome != "ok":
                        metrics.error(outcome)
                log.info(
                    "%s: %s",
                    fn.__name__,
                    outcome,
                    extra={"duration_ms": elapsed_ms(started), "outcome": outcome},
                )

    return wrapper


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _metrics(ctx: Context | None) -> Metrics | None:
    try:
        return app_of(ctx).metrics if ctx is not None else None
    except (AttributeError, LookupError, ValueError):
        return None
