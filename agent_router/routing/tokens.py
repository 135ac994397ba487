"""Prompt size before any tokenizer is known: a conservative estimate, so a turn that fits
by this count fits by the model's real count too."""

from __future__ import annotations

import math

from ..embeddings.image_input import LoadedImage
from ..turns import ChatMessage

CHARS_PER_TOKEN = 3.2  # English averages about 4; code and non-Latin scripts run denser
MESSAGE_OVERHEAD = 4


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def image_tokens(width: int, height: int) -> int:
    """The tile rule most vision APIs bill by: fit in 2048, short side to 768, 170 per 512 tile."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def estimate_prompt_tokens(messages: list[ChatMessage], images: list[LoadedImage]) -> int:
    text = sum(text_tokens(m.text()) + MESSAGE_OVERHEAD for m in messages)
    return text + sum(image_tokens(i.width, i.height) for i in images)
