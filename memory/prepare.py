"""Chat messages turned into rows before a write: parts in order, images by content hash,
trust applied (pins only from owners, below-owner text cut at the session's cap)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..embeddings.image_input import LoadedImage
from ..trust import Integrity
from ..turns import ChatMessage, ImageDataPart, ImageUrlPart, TextPart
from .tokens import IMAGE_TOKENS, MESSAGE_OVERHEAD, estimate

CAP_MARK = "\n[cut: this session's cap on external content is reached]"


@dataclass
class PreparedPart:
    kind: str  # text | image | tool_call | tool_result
    text: str | None = None
    image_sha256: str | None = None
    data: dict[str, Any] | None = None


@dataclass
class PreparedMessage:
    role: str
    name: str | None
    tool_call_id: str | None
    integrity: Integrity
    pinned: bool
    parts: list[PreparedPart] = field(default_factory=list)

    @property
    def text(self) -> str:
        pieces = [p.text or "" for p in self.parts if p.kind in ("text", "tool_result")]
        pieces += [
            f"{p.data['name']}({p.data['arguments']})" for p in self.parts if p.kind == "tool_call" and p.data
        ]
        return "\n".join(pieces)

    @property
    def tokens(self) -> int:
        images = sum(1 for p in self.parts if p.kind == "image")
        return estimate(self.text) + MESSAGE_OVERHEAD + IMAGE_TOKENS * images


@dataclass
class PreparedTurn:
    messages: list[PreparedMessage]
    images: dict[str, LoadedImage]
    external_chars: int = 0
    capped: bool = False


def history_digests(messages: list[ChatMessage], start: str = "") -> list[str]:
    """Rolling digests: element k identifies the history ending with messages[k]. A session
    keeps the digest of everything it stored, so a client that re-sends the whole conversation
    each turn is recognised and only its new messages are stored."""
    digests, digest = [], start
    for message in messages:
        digest = hashlib.sha256((digest + message.model_dump_json(exclude_none=True)).encode()).hexdigest()
        digests.append(digest)
    return digests


def already_stored(messages: list[ChatMessage], stored_digest: str) -> int:
    """How many leading messages repeat the session's stored history exactly."""
    if not stored_digest:
        return 0
    digests = history_digests(messages)
    return next((k + 1 for k in reversed(range(len(digests))) if digests[k] == stored_digest), 0)


def images_in(messages: list[ChatMessage]) -> int:
    return sum(isinstance(p, ImageUrlPart | ImageDataPart) for m in messages for p in m.parts())


def prepare_turn(
    messages: list[ChatMessage], images: list[LoadedImage], integrity: Integrity, external_allowance: int
) -> PreparedTurn:
    """`images` are the turn's images in part order, as load_images returns them. Tool
    results are external content whoever relays them."""
    queue = list(images)
    turn = PreparedTurn([], {})
    for message in messages:
        level = Integrity.lowest(integrity, Integrity.external) if message.role == "tool" else integrity
        extra = message.model_extra or {}
        prepared = PreparedMessage(
            message.role,
            message.name,
            message.tool_call_id,
            level,
            pinned=bool(extra.get("pinned")) and level.at_least(Integrity.owner),
        )
        text_kind = "tool_result" if message.role == "tool" else "text"
        for part in message.parts():
            if isinstance(part, TextPart):
                prepared.parts.append(PreparedPart(text_kind, text=part.text))
            elif isinstance(part, ImageUrlPart | ImageDataPart):
                image = queue.pop(0)
                turn.images[image.sha256] = image
                prepared.parts.append(PreparedPart("image", image_sha256=image.sha256))
        for call in message.tool_calls or []:
            prepared.parts.append(
                PreparedPart(
                    "tool_call",
                    data={"id": call.id, "name": call.function.name, "arguments": call.function.arguments},
                )
            )
        turn.messages.append(prepared)
    _cap(turn, external_allowance)
    return turn


def _cap(turn: PreparedTurn, allowance: int) -> None:
    """Below-owner writers share one allowance per session, so nobody outside can fill it."""
    left = max(allowance, 0)
    for message in turn.messages:
        if message.integrity.at_least(Integrity.owner):
            continue
        for part in message.parts:
            if part.kind not in ("text", "tool_result") or part.text is None:
                continue
            if len(part.text) > left:
                part.text = part.text[:left] + CAP_MARK
                turn.capped = True
                turn.external_chars += left
                left = 0
            else:
                left -= len(part.text)
                turn.external_chars += len(part.text)
