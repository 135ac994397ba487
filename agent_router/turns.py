"""An agent turn in the shapes agents already speak: OpenAI-style chat messages whose content
is text or a list of parts (text, image_url with a data URL or file path, MCP ImageContent)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextPart(_Part):
    type: Literal["text", "input_text"]
    text: str


class ImageUrl(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str = Field(description="data:image/...;base64,... URL, file:// URL or local file path")
    detail: Literal["auto", "low", "high"] | None = None


class ImageUrlPart(_Part):
    type: Literal["image_url"]
    image_url: ImageUrl


class ImageDataPart(_Part):
    """MCP ImageContent: base64 data with its MIME type."""

    type: Literal["image"]
    data: str
    mimeType: str = Field(description="e.g. image/png")


ContentPart = Annotated[TextPart | ImageUrlPart | ImageDataPart, Field(discriminator="type")]


class ToolCallFunction(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    arguments: str | dict[str, Any] = ""


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None
    type: Literal["function"] = "function"
    function: ToolCallFunction


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _has_something(self) -> ChatMessage:
        if self.content is None and not self.tool_calls:
            raise ValueError("message has neither content nor tool_calls")
        return self

    def parts(self) -> list[TextPart | ImageUrlPart | ImageDataPart]:
        if self.content is None:
            return []
        if isinstance(self.content, str):
            return [TextPart(type="text", text=self.content)]
        return list(self.content)

    def text(self) -> str:
        pieces = [p.text for p in self.parts() if isinstance(p, TextPart)]
        for call in self.tool_calls or []:
            args = call.function.arguments
            pieces.append(f"{call.function.name}({args if isinstance(args, str) else args!r})")
        return "\n".join(pieces)


def parse_messages(raw: Any, field: str = "messages") -> list[ChatMessage]:
    """Validate raw messages, raising InputError that names the offending field."""
    if not isinstance(raw, list) or not raw:
        raise InputError.single(field, "give a non-empty list of chat messages")
    messages = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        try:
            messages.append(item if isinstance(item, ChatMessage) else ChatMessage.model_validate(item))
        except ValidationError as exc:
            problems.extend(InputError.from_validation(exc, [field, i]).problems)
    if problems:
        raise InputError(problems)
    return messages


def latest_user_text(messages: list[ChatMessage]) -> str:
    """The text routing looks at: the newest user message, else the newest message with text."""
    for role in ("user", None):
        for message in reversed(messages):
            if role is None or message.role == role:
                text = message.text().strip()
                if text:
                    return text
    return ""
