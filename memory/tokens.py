"""Token counts for context fitting: the model's own tokenizer when the config names one,
otherwise a conservative estimate (overcounting is safe, undercounting overflows a window)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from tokenizers import Tokenizer

from ..config import ModelSpec

CHARS_PER_TOKEN = 3.2  # English averages about 4; code and non-Latin scripts run denser
MESSAGE_OVERHEAD = 4
IMAGE_TOKENS = 1105  # a 1024x1024 image under the common 512-tile billing rule


def estimate(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@functools.lru_cache(maxsize=16)
def _tokenizer(path: str) -> Tokenizer:
    return Tokenizer.from_file(path)


def counter_for(model: ModelSpec) -> tuple[Callable[[list[str]], list[int]], str]:
    """A batch counter for the model and the name of the method, for reporting."""
    if model.tokenizer:
        tokenizer = _tokenizer(str(model.tokenizer))

        def exact(texts: list[str]) -> list[int]:
            return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

        return exact, f"tokenizer {model.tokenizer}"
    return (lambda texts: [estimate(t) for t in texts]), f"estimate ({CHARS_PER_TOKEN} chars/token)"
