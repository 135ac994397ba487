"""POST /v1/chat/completions in OpenAI's shapes: the request read into the core's terms, the
answer written back as a chat.completion or as chat.completion.chunk events."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse

from ..core.completion import AUTO, CallAnswer, PreparedCall
from ..errors import InputError
from ..turns import parse_messages
from .dialect import Parsed
from .failures import Failure, failure_of
from .streaming import AnswerStream

# Sent to the model as they are.
PASSED_ON = (
    "temperature",
    "top_p",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "response_format",
    "tool_choice",
    "parallel_tool_calls",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "reasoning_effort",
)
ERROR_TYPES = {
    "bad_request": "invalid_request_error",
    "unauthenticated": "authentication_error",
    "forbidden": "permission_error",
    "not_found": "invalid_request_error",
    "rate_limited": "rate_limit_error",
    "upstream": "api_error",
    "unavailable": "api_error",
}


class FunctionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["function"]
    function: FunctionDef


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_usage: bool = False
    include_obfuscation: bool | None = None


class ChatRequest(BaseModel):
    """The fields this endpoint reads; any other is refused by name (extra="forbid")."""

    model_config = ConfigDict(extra="forbid")
    model: str = AUTO
    messages: list[Any]
    tools: list[FunctionTool] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, gt=0)
    max_completion_tokens: int | None = Field(None, gt=0)
    n: Literal[1] | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None  # nothing is stored upstream; accepted for clients that always send it
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_format: dict[str, Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    reasoning_effort: str | None = None


class OpenAIChat:
    def parse(self, body: dict[str, Any]) -> Parsed:
        try:
            request = ChatRequest.model_validate(body)
        except ValidationError as exc:
            raise InputError.from_validation(exc) from None
        session = (request.metadata or {}).get("session_id")
        return Parsed(
            messages=parse_messages(request.messages),
            model=request.model,
            tools=[t.model_dump(exclude_none=True) for t in request.tools or []],
            options={k: getattr(request, k) for k in PASSED_ON if getattr(request, k) is not None},
            max_tokens=request.max_completion_tokens or request.max_tokens,
            stream=request.stream,
            include_usage=bool(request.stream_options and request.stream_options.include_usage),
            session_hint=("metadata.session_id", session) if session is not None else None,
            user=request.user,
        )

    def body(self, answer: CallAnswer, prepared: PreparedCall, parsed: Parsed) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
        if answer.tool_calls:
            message["tool_calls"] = answer.tool_calls
        return {
            **_envelope("chat.completion", answer.outcome.model),
            "choices": [
                {"index": 0, "message": message, "finish_reason": answer.finish_reason, "logprobs": None}
            ],
            "usage": _usage(answer),
        }

    async def events(
        self, stream: AnswerStream, prepared: PreparedCall, parsed: Parsed
    ) -> AsyncIterator[str]:
        head = _envelope("chat.completion.chunk", prepared.model)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return _sse({**head, "choices": [choice]})

        yield chunk({"role": "assistant", "content": ""})
        async for event in stream.events():
            if event.delta is not None:
                yield chunk({"content": event.delta})
            elif event.error is not None:
                yield _sse(self.error_body(failure_of(event.error)))
                return
            elif event.answer is not None:
                answer = event.answer
                head["model"] = answer.outcome.model
                if answer.notice:
                    yield chunk({"content": answer.notice})
                if answer.tool_calls:
                    calls = [{"index": i, **c} for i, c in enumerate(answer.tool_calls)]
                    yield chunk({"tool_calls": calls})
                yield chunk({}, answer.finish_reason)
                if parsed.include_usage:
                    yield _sse({**head, "choices": [], "usage": _usage(answer)})
        yield "data: [DONE]\n\n"

    def error(self, failure: Failure) -> JSONResponse:
        return JSONResponse(self.error_body(failure), status_code=failure.status, headers=failure.headers)

    def error_body(self, failure: Failure) -> dict[str, Any]:
        code = "model_not_found" if failure.kind == "not_found" else failure.kind
        return {
            "error": {
                "message": failure.message,
                "type": ERROR_TYPES.get(failure.kind, "api_error"),
                "param": failure.param,
                "code": code,
            }
        }


def _envelope(kind: str, model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": kind, "created": int(time.time()), "model": model}


def _usage(answer: CallAnswer) -> dict[str, int]:
    prompt = answer.outcome.prompt_tokens or 0
    completion = answer.outcome.completion_tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"
