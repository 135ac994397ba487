"""POST /v1/messages in Anthropic's shapes. The models behind the router speak OpenAI, so the
request is translated into chat messages (content blocks to parts, tool_use to tool_calls,
tool_result to tool messages) and the answer back into content blocks and message events."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse

from ..core.completion import CallAnswer, PreparedCall
from ..errors import InputError
from ..turns import parse_messages
from .dialect import Parsed
from .failures import Failure, failure_of
from .streaming import AnswerStream

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
ERROR_TYPES = {
    "bad_request": "invalid_request_error",
    "unauthenticated": "authentication_error",
    "forbidden": "permission_error",
    "not_found": "not_found_error",
    "rate_limited": "rate_limit_error",
    "upstream": "api_error",
    "unavailable": "overloaded_error",
}


class Tool(BaseModel):
    """A client tool. Anthropic's server tools (typed computer_*, bash_*, ...) are not offered."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["custom"] | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    input_schema: dict[str, Any]
    cache_control: dict[str, Any] | None = None


class ToolChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Thinking(BaseModel):
    """Extended thinking, as Claude Code and the SDK ask for it. Accepted so that those clients
    work unchanged; the models behind the router speak OpenAI's API, which has no such request,
    so the answer carries no thinking blocks (a client reads that as a model that did not think)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["enabled", "disabled"]
    budget_tokens: int | None = Field(None, gt=0)


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str | None = None


class MessagesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    max_tokens: int = Field(gt=0)
    system: str | list[dict[str, Any]] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    stream: bool = False
    metadata: Metadata | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    thinking: Thinking | None = None


class AnthropicMessages:
    def parse(self, body: dict[str, Any]) -> Parsed:
        try:
            request = MessagesRequest.model_validate(body)
        except ValidationError as exc:
            raise InputError.from_validation(exc) from None
        options: dict[str, Any] = {
            k: v
            for k, v in (
                ("temperature", request.temperature),
                ("top_p", request.top_p),
                ("top_k", request.top_k),
                ("stop", request.stop_sequences),
            )
            if v is not None
        }
        if request.tool_choice is not None:
            options |= _tool_choice(request.tool_choice)
        user = request.metadata.user_id if request.metadata else None
        return Parsed(
            messages=parse_messages(_chat_messages(request)),
            model=request.model,
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description or "",
                        "parameters": t.input_schema,
                    },
                }
                for t in request.tools or []
            ],
            options=options,
            max_tokens=request.max_tokens,
            stream=request.stream,
            user=user,
        )

    def body(self, answer: CallAnswer, prepared: PreparedCall, parsed: Parsed) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": answer.text}] if answer.text else []
        blocks += [_tool_use(c) for c in answer.tool_calls]
        return {
            "id": _message_id(),
            "type": "message",
            "role": "assistant",
            "model": answer.outcome.model,
            "content": blocks,
            "stop_reason": STOP_REASONS.get(answer.finish_reason, "end_turn"),
            "stop_sequence": None,
            "usage": _usage(answer),
        }

    async def events(
        self, stream: AnswerStream, prepared: PreparedCall, parsed: Parsed
    ) -> AsyncIterator[str]:
        start: dict[str, Any] = {
            "id": _message_id(),
            "type": "message",
            "role": "assistant",
            "model": prepared.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        yield _event("message_start", {"message": start})
        index = 0
        text_open = False
        async for event in stream.events():
            if event.error is not None:
                yield _event("error", self.error_body(failure_of(event.error)))
                return
            text = event.delta if event.delta is not None else event.answer.notice if event.answer else ""
            if text:
                if not text_open:
                    opened = {"type": "text", "text": ""}
                    yield _event("content_block_start", {"index": index, "content_block": opened})
                    text_open = True
                delta = {"type": "text_delta", "text": text}
                yield _event("content_block_delta", {"index": index, "delta": delta})
            answer = event.answer
            if answer is None:
                continue
            if text_open:
                yield _event("content_block_stop", {"index": index})
                index += 1
            for call in answer.tool_calls:
                block: dict[str, Any] = {**_tool_use(call), "input": {}}
                yield _event("content_block_start", {"index": index, "content_block": block})
                delta = {"type": "input_json_delta", "partial_json": call["function"]["arguments"]}
                yield _event("content_block_delta", {"index": index, "delta": delta})
                yield _event("content_block_stop", {"index": index})
                index += 1
            stop = {"stop_reason": STOP_REASONS.get(answer.finish_reason, "end_turn"), "stop_sequence": None}
            yield _event("message_delta", {"delta": stop, "usage": _usage(answer)})
            yield _event("message_stop", {})

    def error(self, failure: Failure) -> JSONResponse:
        return JSONResponse(self.error_body(failure), status_code=failure.status, headers=failure.headers)

    def error_body(self, failure: Failure) -> dict[str, Any]:
        kind = ERROR_TYPES.get(failure.kind, "api_error")
        return {"type": "error", "error": {"type": kind, "message": failure.message}}


def _chat_messages(request: MessagesRequest) -> list[dict[str, Any]]:
    """The conversation as OpenAI chat messages: the system prompt first, each tool_result as a
    tool message before the rest of its user message. InputError names the block at fault."""
    out: list[dict[str, Any]] = []
    if request.system:
        system = request.system
        text = system if isinstance(system, str) else "\n".join(_texts(system, "system"))
        out.append({"role": "system", "content": text})
    for i, message in enumerate(request.messages):
        where = f"messages[{i}]"
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise InputError.single(f"{where}.role", "use 'user' or 'assistant'")
        extra = set(message) - {"role", "content"}
        if extra:
            raise InputError.single(f"{where}.{sorted(extra)[0]}", "not a field of a message")
        content = message.get("content")
        if isinstance(content, str):
            out.append({"role": role, "content": content})
            continue
        if not isinstance(content, list):
            raise InputError.single(f"{where}.content", "give text or a list of content blocks")
        out.extend(_blocks(role, content, where))
    return out


def _blocks(role: str, blocks: list[Any], where: str) -> list[dict[str, Any]]:
    """One Anthropic message as chat messages: its tool results first (as tool messages, with
    any images they returned following in a user message, since a tool message holds text
    only), then the message itself."""
    parts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    returned: list[dict[str, Any]] = []
    for j, block in enumerate(blocks):
        at = f"{where}.content[{j}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image" and role == "user":
            parts.append(_image_part(block, at))
        elif kind == "document" and role == "user":
            parts.append({"type": "text", "text": _document_text(block, at)})
        elif kind in ("thinking", "redacted_thinking") and role == "assistant":
            continue  # the model's own reasoning, which the models behind would not read
        elif kind == "tool_use" and role == "assistant":
            arguments = json.dumps(block.get("input") or {})
            function = {"name": str(block.get("name", "")), "arguments": arguments}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind == "tool_result" and role == "user":
            text, images = _tool_result(block, at)
            results.append({"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": text})
            returned += images
        else:
            raise InputError.single(
                f"{at}.type",
                f"{kind!r} blocks are not supported in {role} messages: use text, image and document "
                "(user), tool_use and thinking (assistant) or tool_result (user)",
            )
    message: dict[str, Any] = {"role": role, "content": parts or None}
    if calls:
        message["tool_calls"] = calls
    if returned:
        results.append(
            {"role": "user", "content": [{"type": "text", "text": "[images the tools returned]"}, *returned]}
        )
    return results + ([message] if parts or calls else [])


def _tool_result(block: dict[str, Any], where: str) -> tuple[str, list[dict[str, Any]]]:
    """A tool result's text, and the images it returned as image parts."""
    inner = block.get("content")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    if isinstance(inner, str):
        texts.append(inner)
    elif isinstance(inner, list):
        for j, part in enumerate(inner):
            at = f"{where}.content[{j}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind == "image":
                images.append(_image_part(part, at))
            else:
                raise InputError.single(f"{at}.type", "a tool result holds text and image blocks")
    elif inner is not None:
        raise InputError.single(f"{where}.content", "give text or a list of text and image blocks")
    text = "\n".join(texts)
    if images:
        text = f"{text}\n[{len(images)} image(s) follow in the next message]".lstrip()
    if block.get("is_error"):
        text = f"[the tool reported an error] {text}"
    return text, images


def _document_text(block: dict[str, Any], where: str) -> str:
    """A document block's text (plain-text and content sources), titled; a PDF is not read."""
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "text":
        body = str(source.get("data", ""))
    elif kind == "content":
        content = source.get("content")
        body = (
            content
            if isinstance(content, str)
            else "\n".join(_texts(content or [], f"{where}.source.content"))
        )
    else:
        raise InputError.single(
            f"{where}.source.type",
            "use a text or content document source (PDF and URL documents are not read)",
        )
    title = block.get("title")
    return f"{title}\n\n{body}" if title else body


def _texts(blocks: list[Any], where: str) -> list[str]:
    texts = []
    for j, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise InputError.single(f"{where}[{j}].type", "only text blocks are read here")
        texts.append(str(block.get("text", "")))
    return texts


def _image_part(block: dict[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source") or {}
    if source.get("type") == "base64":
        url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    elif source.get("type") == "url":
        url = str(source.get("url", ""))  # refused by the image loader: remote images are not fetched
    else:
        raise InputError.single(f"{where}.source.type", "use a base64 image source")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_choice(choice: ToolChoice) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if choice.type == "tool":
        if not choice.name:
            raise InputError.single("tool_choice.name", "name the tool to call")
        options["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
    else:
        options["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}[choice.type]
    if choice.disable_parallel_tool_use:
        options["parallel_tool_calls"] = False
    return options


def _tool_use(call: dict[str, Any]) -> dict[str, Any]:
    arguments = call["function"]["arguments"]
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        parsed = {"arguments": arguments}
    return {
        "type": "tool_use",
        "id": call["id"],
        "name": call["function"]["name"],
        "input": parsed if isinstance(parsed, dict) else {"arguments": parsed},
    }


def _usage(answer: CallAnswer) -> dict[str, int]:
    return {
        "input_tokens": answer.outcome.prompt_tokens or 0,
        "output_tokens": answer.outcome.completion_tokens or 0,
    }


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex[:24]}"


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"
