"""A request that asks for several things at once is also matched sentence by sentence.

One vector for "convert 5000 euros to dollars. Then plan a trip avoiding tolls. Finally, how many
turtles live on Galapagos" lands between the three tools it needs; each sentence alone lands on
its own tool. The index takes the whole request's vector plus one per part (see ToolIndex.search).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the encoders pull in torch; the index and its callers need none of it
    from ..embeddings import AsyncEncoder

MAX_PARTS = 8
# A sentence ends at . ? ! ; or a line break, and the next one starts with a capital, a digit or
# a quote: "e.g. foo", "3.5 m" and "x=data['a']. y" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+(?=[\"'A-Z0-9])|\s*\n+\s*")


def query_parts(text: str, max_parts: int = MAX_PARTS) -> list[str]:
    """The sentences of a request of several sentences, at most max_parts (neighbours are joined
    beyond that); none for a one-sentence request, which the whole-request vector covers."""
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip().strip("\"'")) if p.strip()]
    if len(parts) < 2:
        return []
    size = -(-len(parts) // max_parts)  # ceiling: every group but the last has `size` sentences
    return [" ".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def request_texts(text: str) -> list[str]:
    """What to embed for a search: the whole request first, then each part."""
    return [text, *query_parts(text)]


async def embed_request(encoder: AsyncEncoder[str, np.ndarray], text: str) -> np.ndarray:
    """The rows ToolIndex.search takes for a request: request_texts(text), embedded."""
    return np.stack(await encoder.encode(request_texts(text)))
