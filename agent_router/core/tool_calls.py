"""Calling a downstream tool: checked (known, allowed, arguments fit its schema), approved by
the safety policy, forwarded, and recorded in the session whatever happened."""

from __future__ import annotations

from typing import Any

import mcp_types as types

from ..app import App
from ..errors import InputError, Refused
from ..safety.redaction import redact, redact_value
from ..tools.downstream import DownstreamError
from .approval import approve
from .caller import Caller
from .ids import key_of
from .recorder import Recorder
from .tool_selection import check_turn, gateway_of


async def call_tool(
    app: App,
    server: str,
    name: str,
    arguments: dict[str, Any] | None,
    caller: Caller,
    *,
    session_id: str | None = None,
    turn_id: str | None = None,
    confirmation: str | None = None,
) -> types.CallToolResult:
    """Forward one call and return its result unchanged. A call refused or failed raises
    (InputError, Refused, DownstreamError) after its record; a call that happened is never
    failed for memory that could not record it."""
    gateway = gateway_of(app)
    await check_turn(app, caller, session_id, turn_id)  # the call cannot be taken back once made
    key = key_of(caller, session_id)
    arguments = arguments or {}
    try:
        tool = gateway.prepare(server, name, arguments)
        await approve(app, gateway, tool, arguments, caller, confirmation=confirmation, session_id=key)
        result = await gateway.forward(tool, arguments, key)
    except (InputError, DownstreamError, Refused) as exc:
        await _record(app, key, turn_id, server, name, arguments, None, str(exc))
        raise
    error = _error_text(result) if result.is_error else None
    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    await _record(app, key, turn_id, server, name, arguments, dumped, error)
    return result


async def _record(
    app: App,
    key: str | None,
    turn_id: str | None,
    server: str,
    name: str,
    arguments: dict[str, Any],
    result: dict[str, Any] | None,
    error: str | None,
) -> None:
    if key is None:
        return
    arguments, _ = redact_value(arguments)
    result, _ = redact_value(result)
    error = redact(error)[0] if error is not None else None
    await Recorder(app).attempt(
        f"record the call of {server}/{name} in session {key!r}",
        lambda memory: memory.record_tool_call(
            key, server, name, arguments, result=result, error=error, turn_id=turn_id
        ),
    )


def _error_text(result: types.CallToolResult) -> str:
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    return "; ".join(texts) or "the tool reported an error"
