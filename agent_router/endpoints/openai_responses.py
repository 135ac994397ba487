"""POST /v1/responses in OpenAI's Responses shapes (the OpenAI Agents SDK's default model API),
stateless: the router keeps sessions, not responses, so each request carries its whole input.
Input items become chat messages; the answer becomes output items, or response.* events."""

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
from .openai_chat import OpenAIChat
from .streaming import AnswerStream


class FunctionTool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["function"]
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class TextFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]


class TextOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: TextFormat | None = None


class ResponsesRequest(BaseModel):
    """The fields this endpoint reads; any other (previous_response_id, conversation, prompt,
    reasoning, ...) is refused by name."""

    model_config = ConfigDict(extra="forbid")
    model: str = AUTO
    input: str | list[dict[str, Any]]
    instructions: str | None = None
    tools: list[FunctionTool] | None = None
    tool_choice: Literal["auto", "none", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    stream: bool = False
    max_output_tokens: int | None = Field(None, gt=0)
    temperature: float | None = None
    top_p: float | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    store: bool | None = None  # nothing is stored upstream; accepted for clients that send it
    truncation: Literal["disabled", "auto"] | None = None  # the router never truncates
    text: TextOptions | None = None
    include: list[Literal[""]] | None = Field(None, max_length=0, description="nothing extra to include")


class OpenAIResponses:
    def parse(self, body: dict[str, Any]) -> Parsed:
        try:
            request = ResponsesRequest.model_validate(body)
        except ValidationError as exc:
            raise InputError.from_validation(exc) from None
        messages = [{"role": "system", "content": request.instructions}] if request.instructions else []
        messages += _chat_messages(request.input)
        options: dict[str, Any] = {
            k: v
            for k, v in (
                ("temperature", request.temperature),
                ("top_p", request.top_p),
                ("parallel_tool_calls", request.parallel_tool_calls),
            )
            if v is not None
        }
        if isinstance(request.tool_choice, dict):
            name = request.tool_choice.get("name")
            if request.tool_choice.get("type") != "function" or not isinstance(name, str):
                raise InputError.single("tool_choice", "give auto, none, required or {type: function, name}")
            options["tool_choice"] = {"type": "function", "function": {"name": name}}
        elif request.tool_choice is not None:
            options["tool_choice"] = request.tool_choice
        session = (request.metadata or {}).get("session_id")
        return Parsed(
            messages=parse_messages(messages, "input"),
            model=request.model,
            tools=[
                {
                    "type": "function",
                    "function": t.model_dump(exclude={"type"}, exclude_none=True),
                }
                for t in request.tools or []
            ],
            options=options,
            max_tokens=request.max_output_tokens,
            stream=request.stream,
            session_hint=("metadata.session_id", session) if session is not None else None,
            user=request.user,
        )

    def body(self, answer: CallAnswer, prepared: PreparedCall, parsed: Parsed) -> dict[str, Any]:
        return _response(prepared, parsed, answer.outcome.model, _items(answer), answer)

    async def events(
        self, stream: AnswerStream, prepared: PreparedCall, parsed: Parsed
    ) -> AsyncIterator[str]:
        seq = iter(range(1_000_000))

        def event(kind: str, **data: Any) -> str:
            return (
                f"event: {kind}\ndata: {json.dumps({'type': kind, 'sequence_number': next(seq), **data})}\n\n"
            )

        pending = _response(prepared, parsed, prepared.model, [], None)
        yield event("response.created", response=pending)
        yield event("response.in_progress", response=pending)
        message_id = f"msg_{uuid.uuid4().hex[:24]}"
        text = ""
        where = {"item_id": message_id, "output_index": 0, "content_index": 0}
        async for got in stream.events():
            if got.error is not None:
                failure = failure_of(got.error)
                yield event("error", error=OpenAIChat().error_body(failure)["error"], message=failure.message)
                return
            delta = got.delta if got.delta is not None else got.answer.notice if got.answer else ""
            if delta:
                if not text:
                    item = {"type": "message", "id": message_id, "status": "in_progress", "role": "assistant"}
                    yield event("response.output_item.added", output_index=0, item={**item, "content": []})
                    yield event("response.content_part.added", **where, part=_text_part(""))
                text += delta
                yield event("response.output_text.delta", **where, delta=delta, logprobs=[])
            if got.answer is None:
                continue
            items = _items(got.answer, message_id)
            if text:
                yield event("response.output_text.done", **where, text=text, logprobs=[])
                yield event("response.content_part.done", **where, part=_text_part(text))
                yield event("response.output_item.done", output_index=0, item=items[0])
            start = 1 if text else 0
            for index, item in enumerate(items[start:], start=start):
                opened = {**item, "arguments": "", "status": "in_progress"}
                yield event("response.output_item.added", output_index=index, item=opened)
                at = {"item_id": item["id"], "output_index": index}
                yield event("response.function_call_arguments.delta", **at, delta=item["arguments"])
                yield event("response.function_call_arguments.done", **at, arguments=item["arguments"])
                yield event("response.output_item.done", output_index=index, item=item)
            done = _response(prepared, parsed, got.answer.outcome.model, items, got.answer)
            yield event("response.completed", response=done)

    def error(self, failure: Failure) -> JSONResponse:
        return OpenAIChat().error(failure)


def _chat_messages(raw: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as chat messages: a function_call joins the assistant message before it,
    a function_call_output becomes a tool message. InputError names the item at fault."""
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"input[{i}]"
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "system", "developer", "assistant"):
                raise InputError.single(f"{where}.role", "use user, system, developer or assistant")
            out.append({"role": role, "content": _content(item.get("content"), f"{where}.content")})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or ""},
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else _text_of(output, f"{where}.output")
            out.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": text})
        else:
            raise InputError.single(
                f"{where}.type",
                f"{kind!r} items are not supported: use message, function_call, function_call_output",
            )
    return out


def _content(content: Any, where: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise InputError.single(where, "give text or a list of content parts")
    parts: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "refusal":
            parts.append({"type": "text", "text": str(part.get("refusal", ""))})
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            parts.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
        else:
            raise InputError.single(
                f"{where}[{j}].type", f"{kind!r} parts are not supported: use input_text or input_image"
            )
    return parts


def _text_of(parts: Any, where: str) -> str:
    content = _content(parts, where)
    return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _items(answer: CallAnswer, message_id: str | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.text:
        items.append(
            {
                "type": "message",
                "id": message_id or f"msg_{uuid.uuid4().hex[:24]}",
                "status": "completed",
                "role": "assistant",
                "content": [_text_part(answer.text)],
            }
        )
    for call in answer.tool_calls:
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{uuid.uuid4().hex[:24]}",
                "call_id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
                "status": "completed",
            }
        )
    return items


def _response(
    prepared: PreparedCall,
    parsed: Parsed,
    model: str,
    output: list[dict[str, Any]],
    answer: CallAnswer | None,
) -> dict[str, Any]:
    status = "in_progress" if answer is None else "completed"
    incomplete = None
    if answer is not None and answer.finish_reason == "length":
        status, incomplete = "incomplete", {"reason": "max_output_tokens"}
    usage = None
    if answer is not None:
        prompt, completion = answer.outcome.prompt_tokens or 0, answer.outcome.completion_tokens or 0
        usage = {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        }
    choice = parsed.options.get("tool_choice", "auto")
    if isinstance(choice, dict):
        choice = {"type": "function", "name": choice["function"]["name"]}
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output,
        "error": None,
        "incomplete_details": incomplete,
        "parallel_tool_calls": parsed.options.get("parallel_tool_calls", True),
        "tool_choice": choice,
        "tools": [{"type": "function", **t["function"]} for t in prepared.tools],
        "temperature": parsed.options.get("temperature"),
        "top_p": parsed.options.get("top_p"),
        "usage": usage,
    }
