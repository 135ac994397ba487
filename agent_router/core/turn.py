"""The turn every operation takes: parsed once, with its images loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Defaults
from ..embeddings.image_input import LoadedImage
from ..errors import InputError
from ..images import load_images, turn_images
from ..turns import ChatMessage, latest_user_text, parse_messages


@dataclass(frozen=True)
class Turn:
    """One agent turn: its chat messages and every image in them, decoded within the limits."""

    messages: list[ChatMessage]
    images: list[LoadedImage]

    @classmethod
    def parse(cls, raw: Any, limits: Defaults, *, field: str = "messages", allow_empty: bool = False) -> Turn:
        """Validate raw messages and load their images; bad input raises InputError naming the
        field. A turn to be routed must say something (text or an image); `allow_empty` leaves
        that check to a caller with its own rule (tool selection matches images through CLIP)."""
        messages = parse_messages(raw, field)
        if allow_empty:
            return cls(
                messages, load_images(messages, limits.max_image_bytes, limits.max_image_pixels, field)
            )
        return cls(messages, turn_images(messages, limits, field))

    @classmethod
    def of_text(cls, text: str) -> Turn:
        """A turn of one user message with no images (the CLI, benchmarks)."""
        if not text.strip():
            raise InputError.single("messages", "the turn is empty: give text or an image")
        return cls([ChatMessage(role="user", content=text)], [])

    @property
    def user_text(self) -> str:
        return latest_user_text(self.messages)
