"""Secrets out of everything the router keeps: keys, tokens, card numbers, national ids and
passwords the detectors know are replaced by a masked form (a few characters of prefix, the
last two, and the length; never the middle) before a turn, a tool call, a selection or a
verdict is stored, and so before it can be exported, logged from memory or shown in a replay
report. Images are left alone: their base64 is not text anyone typed."""

from __future__ import annotations

import re
from typing import Any

from ..config.safety import DataClass
from ..turns import ChatMessage, TextPart, ToolCall
from .detectors.secrets import MASKED, masked, scan

REDACTED = {DataClass.secret_key, DataClass.private_key, DataClass.credit_card, DataClass.national_id}
PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|\Z)"
)
PASSWORD = re.compile(r"(?i)\b(pass(?:word|wd|phrase)?|pwd)(\s*[:=]\s*|\s+is\s+)([^\s,;]{4,})")
_MEDIA = {"image", "audio", "image_url", "input_image"}


def redact(text: str) -> tuple[str, int]:
    """The text with each secret masked, and how many were."""
    count = 0

    def block(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"[private key redacted ({len(match.group(0))} chars)]"

    text = PRIVATE_KEY_BLOCK.sub(block, text)
    spans = [(m.start, m.end, m.kind) for m in scan(text) if m.data in REDACTED]
    spans = [(s, e, kind) for s, e, kind in spans if not MASKED.fullmatch(text, s, e)]
    for start, end, kind in sorted(spans, reverse=True):
        text = f"{text[:start]}{masked(kind, text[start:end])}{text[end:]}"
    count += len(spans)

    def password(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(3).startswith("["):  # already masked as a key
            return match.group(0)
        count += 1
        return f"{match.group(1)}{match.group(2)}[password redacted ({len(match.group(3))} chars)]"

    return PASSWORD.sub(password, text), count


def redact_value(value: Any) -> tuple[Any, int]:
    """A JSON value with every string redacted; media data (images, data URLs) untouched."""
    if isinstance(value, str):
        return (value, 0) if value.startswith("data:") else redact(value)
    if isinstance(value, list):
        pairs = [redact_value(v) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    if isinstance(value, dict):
        media = value.get("type") in _MEDIA
        out: dict[Any, Any] = {}
        total = 0
        for key, item in value.items():
            if media and key in ("data", "image_url", "url"):
                out[key] = item
                continue
            out[key], n = redact_value(item)
            total += n
        return out, total
    return value, 0


def redact_messages(messages: list[ChatMessage]) -> tuple[list[ChatMessage], int]:
    """Chat messages with their text and tool call arguments redacted, images kept."""
    out: list[ChatMessage] = []
    total = 0
    for message in messages:
        update: dict[str, Any] = {}
        if isinstance(message.content, str):
            update["content"], n = redact(message.content)
            total += n
        elif isinstance(message.content, list):
            parts: list[Any] = []
            for part in message.content:
                if isinstance(part, TextPart):
                    text, n = redact(part.text)
                    total += n
                    part = part.model_copy(update={"text": text})
                parts.append(part)
            update["content"] = parts
        if message.tool_calls:
            calls, n = redact_value([call.model_dump() for call in message.tool_calls])
            update["tool_calls"] = [ToolCall.model_validate(call) for call in calls]
            total += n
        extra, n = redact_value(message.model_extra or {})
        total += n
        out.append(message.model_copy(update={**update, **extra}))
    return out, total
