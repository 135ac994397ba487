"""What every tool needs: the running App, errors that reach the caller intact, and each call
observed (its session and turn on every log line, a span, its errors counted)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from ..app import App
from ..core.admission import admit
from ..errors import InputError, RateLimited
from ..observability import Metrics, ToolCall
from .identity import caller_of

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("agent_router.calls")


def app_of(ctx: Context[Any, Any]) -> App:
    return ctx.request_context.lifespan_context


def reports_input_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Bad input becomes a tool error whose text names the field; the SDK hides other errors.
    Every tool has this decorator, so it is also where a tenant over its request rate is
    turned away before any work (core/admission.py), and where calls are logged, traced and counted,
    at a cost kept to a few microseconds a call (no span without tracing, no log record
    below INFO)."""
    name = fn.__name__

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        ctx = next((v for v in kwargs.values() if isinstance(v, Context)), None)
        started = time.perf_counter()
        with ToolCall(name, _str(kwargs.get("session_id")), _str(kwargs.get("turn_id"))) as call:
            try:
                if ctx is not None:
                    await admit(app_of(ctx), caller_of(ctx))
                return await fn(*args, **kwargs)
            except InputError as exc:
                call.outcome = "input_error"
                raise ToolError(f"invalid input: {exc}") from exc
            except RateLimited as exc:
                call.outcome = "rate_limited"
                raise ToolError(str(exc)) from exc
            except ToolError:
                call.outcome = "tool_error"
                raise
            except Exception:
                call.outcome = "internal_error"
                log.exception("%s failed", name)
                raise
            finally:
                seconds = time.perf_counter() - started
                metrics = _metrics(ctx)
                if metrics is not None:
                    metrics.served(name, call.outcome, seconds)
                if log.isEnabledFor(logging.INFO):
                    log.info(
                        "%s: %s",
                        name,
                        call.outcome,
                        extra={"duration_ms": round(seconds * 1000, 3), "outcome": call.outcome},
                    )

    return wrapper


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _metrics(ctx: Context | None) -> Metrics | None:
    try:
        return app_of(ctx).metrics if ctx is not None else None
    except (AttributeError, LookupError, ValueError):
        return None
