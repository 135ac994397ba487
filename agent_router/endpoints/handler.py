"""One model call over HTTP, whatever the dialect: who calls, which session, the core
operation, the headers that say what the router did, and errors in the dialect's shape."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..app import App
from ..core.admission import admit
from ..core.caller import Caller
from ..core.completion import ModelCall, PreparedCall, conversation_session, prepare_call
from ..core.turn import Turn
from ..errors import InputError, RouterError
from ..memory.ids import ID_PATTERN
from ..surface.identity import caller_of_request
from .dialect import Dialect, Parsed
from .failures import UNAUTHENTICATED, BodyTooLarge, Failure, failure_of
from .streaming import AnswerStream

log = logging.getLogger("agent_router.endpoints")

SESSION_HEADER = "x-session-id"
HEADER = "x-agent-router-"
MAX_REASONS_CHARS = 200
NOT_STARTED = Failure(503, "unavailable", "the router is starting; try again", headers={"retry-after": "1"})


async def serve(request: Request, running: Callable[[], App | None], dialect: Dialect) -> Response:
    app = running()
    if app is None:
        return dialect.error(NOT_STARTED)
    caller = caller_of_request(request)
    if caller is None:
        return dialect.error(UNAUTHENTICATED)
    try:
        await admit(app, caller)
        parsed = dialect.parse(await _body(request, app.config.limits.request_bytes))
        call = await _call(app, caller, parsed, request)
        prepared = await prepare_call(app, call, caller)
        headers = _headers(prepared, call.session_id)
        if not parsed.stream:
            answer = await prepared.answer()
            headers[f"{HEADER}model"] = answer.outcome.model
            return JSONResponse(dialect.body(answer, prepared, parsed), headers=headers)
        stream = AnswerStream(prepared)
        first = await stream.first()
        if first.error is not None:
            raise first.error
        return StreamingResponse(
            dialect.events(stream, prepared, parsed), media_type="text/event-stream", headers=headers
        )
    except RouterError as exc:
        failure = failure_of(exc)
        if failure.status >= 500:
            log.warning("model call failed with %d: %s", failure.status, failure.message)
        return dialect.error(failure)
    except Exception as exc:  # noqa: BLE001 - the client gets its dialect's error, never a crash
        log.exception("model call failed")
        return dialect.error(Failure(500, "upstream", f"internal error: {exc.__class__.__name__}"))


async def _body(request: Request, limit: int) -> dict[str, Any]:
    """The JSON body, read no further than `limit` bytes: a caller cannot make the server hold
    more than that. Images travel inside it; each one's own limits apply once it is parsed."""
    too_large = BodyTooLarge.single(
        "<body>", f"the request body is over {limit} bytes, the limit limits.request_bytes"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except ValueError:
        raise InputError.single("<body>", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise InputError.single("<body>", "the request body must be a JSON object")
    return body


async def _call(app: App, caller: Caller, parsed: Parsed, request: Request) -> ModelCall:
    turn = await Turn.read(parsed.messages, app.config.limits, caller)
    return ModelCall(
        turn,
        model=parsed.model,
        tools=parsed.tools,
        options=parsed.options,
        max_tokens=parsed.max_tokens,
        session_id=session_of(request, caller, parsed, turn),
    )


def session_of(request: Request, caller: Caller, parsed: Parsed, turn: Turn) -> str:
    """The header, else the body's session field, else its end-user id, else one derived from
    the conversation, so an agent that sends no id keeps one session. A user id is not the
    caller's to shape, so one that is no valid session id is used by its digest."""
    given = request.headers.get(SESSION_HEADER)
    where = SESSION_HEADER
    if given is None and parsed.session_hint is not None:
        where, given = parsed.session_hint
    if given is not None:
        if not ID_PATTERN.match(given):
            raise InputError.single(where, "use 1-200 letters, digits and _.:@/+=- for a session id")
        return given
    if parsed.user:
        user = parsed.user
        return user if ID_PATTERN.match(user) else "user-" + hashlib.sha256(user.encode()).hexdigest()[:32]
    return conversation_session(caller, turn.messages)


def _headers(prepared: PreparedCall, session_id: str | None) -> dict[str, str]:
    reasons = "; ".join(prepared.reasons)
    return {
        f"{HEADER}model": prepared.model,
        f"{HEADER}route": prepared.plan.route or "",
        f"{HEADER}session": session_id or "",
        f"{HEADER}reasons": _header_text(reasons),
        f"{HEADER}tools-dropped": ",".join(prepared.tools_dropped),
    }


def _header_text(text: str) -> str:
    """Header values are Latin-1 on one line: anything else is replaced."""
    flat = " ".join(text.split())[:MAX_REASONS_CHARS]
    return flat.encode("latin-1", "replace").decode("latin-1")
