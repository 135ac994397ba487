"""The turn every operation takes: parsed once, within the limits, with its images loaded."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from ..config import Limits
from ..embeddings.image_input import LoadedImage
from ..errors import InputError
from ..image_files import ImageFiles
from ..images import turn_images
from ..turns import ChatMessage, latest_user_text, parse_messages
from .caller import Caller


def image_files(caller: Caller, limits: Limits) -> ImageFiles:
    """The server files this caller's images may name: any for the machine's own user, those
    in limits.image_folders for everyone else."""
    return ImageFiles(anywhere=caller.local, folders=tuple(limits.image_folders))


@dataclass(frozen=True)
class Turn:
    """One agent turn: its chat messages and every image in them, decoded within the limits."""

    messages: list[ChatMessage]
    images: list[LoadedImage]

    @classmethod
    def parse(
        cls, raw: Any, limits: Limits, caller: Caller, *, field: str = "messages", allow_empty: bool = False
    ) -> Turn:
        """Validate raw messages and load their images; bad input raises InputError naming the
        field, and a turn over a limit one naming the limit, checked before the work it bounds.
        Image files are read only where `caller` may name them (ImageFiles). A turn to be
        routed must say something (text or an image); `allow_empty` leaves that check to a
        caller with its own rule (tool selection matches images through CLIP).

        This reads files and decodes images: in async code use `read`, which runs it on a
        worker thread."""
        if isinstance(raw, list | tuple) and len(raw) > limits.messages_per_turn:
            raise InputError.single(
                field,
                f"{len(raw)} messages; the limit is limits.messages_per_turn = {limits.messages_per_turn}",
            )
        messages = parse_messages(raw, field)
        chars = sum(len(m.text()) for m in messages)
        if chars > limits.chars_per_turn:
            raise InputError.single(
                field,
                f"{chars} characters of text; the limit is limits.chars_per_turn = {limits.chars_per_turn}",
            )
        files = image_files(caller, limits)
        return cls(messages, turn_images(messages, limits, files, field, allow_empty=allow_empty))

    @classmethod
    async def read(
        cls, raw: Any, limits: Limits, caller: Caller, *, field: str = "messages", allow_empty: bool = False
    ) -> Turn:
        """`parse` off the event loop: reading image files and decoding images takes time that
        other calls should not wait for."""
        parse = functools.partial(cls.parse, raw, limits, caller, field=field, allow_empty=allow_empty)
        return await anyio.to_thread.run_sync(parse)

    @classmethod
    def of_text(cls, text: str) -> Turn:
        """A turn of one user message with no images (the CLI, benchmarks)."""
        if not text.strip():
            raise InputError.single("messages", "the turn is empty: give text or an image")
        return cls([ChatMessage(role="user", content=text)], [])

    @property
    def user_text(self) -> str:
        return latest_user_text(self.messages)
