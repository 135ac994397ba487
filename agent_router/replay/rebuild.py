"""The chat messages a recorded turn was routed with, rebuilt from the stored rows.

Memory stores only the new messages of a turn. A client that re-sends the whole conversation
every turn had the router see the stored history too (memory recognises such a prefix only when
it is the entire history), so the history is put back in front when that is what the recorded
prompt size says: prompt sizes and image positions then match the recording."""

from __future__ import annotations

import base64
from typing import Any

from ..errors import InputError
from ..images import load_images
from ..routing.tokens import estimate_prompt_tokens
from ..turns import ChatMessage

NO_LIMIT = (1 << 40, 1 << 40)  # sizes only; the replayed config's limits apply when routing


def chat_message(stored: dict[str, Any], blobs: dict[str, tuple[str, bytes]], where: str) -> ChatMessage:
    """One stored message as the ChatMessage it came from. Exports older than parts carry
    only `text` (or the raw `content`); those are taken as they are."""
    role = stored.get("role")
    if "parts" not in stored:
        raw = {k: v for k, v in stored.items() if k in ("role", "name", "tool_call_id", "tool_calls")}
        try:
            return ChatMessage.model_validate({**raw, "content": stored.get("content", stored.get("text"))})
        except ValueError as exc:
            raise InputError.single(where, f"message cannot be read: {exc}") from None
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for j, part in enumerate(stored["parts"]):
        kind = part.get("kind")
        if kind in ("text", "tool_result"):
            content.append({"type": "text", "text": part.get("text") or ""})
        elif kind == "image":
            sha = part.get("image_sha256")
            if sha not in blobs:
                raise InputError.single(
                    f"{where}.parts[{j}]",
                    f"image {str(sha)[:12]}... is not in the recording (export with its blob events)",
                )
            mime, blob = blobs[sha]
            content.append(
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:{mime};base64,{base64.b64encode(blob).decode()}"},
                }
            )
        elif kind == "tool_call":
            data = part.get("data") or {}
            calls.append(
                {
                    "id": data.get("id"),
                    "type": "function",
                    "function": {"name": data.get("name", ""), "arguments": data.get("arguments", "")},
                }
            )
        else:
            raise InputError.single(f"{where}.parts[{j}].kind", f"unknown part kind {kind!r}")
    plain = all(c["type"] == "text" for c in content)
    body: str | list[dict[str, Any]] | None
    if not content:
        body = None
    elif plain and len(content) == 1:
        body = content[0]["text"]
    else:
        body = content
    try:
        return ChatMessage.model_validate(
            {
                "role": role,
                "content": body,
                "name": stored.get("name"),
                "tool_call_id": stored.get("tool_call_id"),
                "tool_calls": calls or None,
            }
        )
    except ValueError as exc:
        raise InputError.single(where, f"message cannot be read: {exc}") from None


def routed_messages(
    history: list[ChatMessage],
    stored: list[dict[str, Any]],
    decision: dict[str, Any] | None,
    blobs: dict[str, tuple[str, bytes]],
    where: str,
) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """(what the router saw, the turn's own new messages)."""
    new = [chat_message(m, blobs, f"{where}.messages[{i}]") for i, m in enumerate(stored)]
    recorded = ((decision or {}).get("signals") or {}).get("prompt_tokens")
    if not history or recorded is None or _tokens(new) == recorded:
        return new, new
    whole = history + new
    return (whole if _tokens(whole) == recorded else new), new


def _tokens(messages: list[ChatMessage]) -> int:
    return estimate_prompt_tokens(messages, load_images(messages, *NO_LIMIT))
