"""The turns' texts encoded ahead of routing, so that the router finds every vector cached.

Routing turns concurrently lets the micro-batcher gather whatever arrives together: texts of
every length in one pass, each padded to the longest. Encoded ahead, the texts go in batches of
similar length instead (sorted by size, as large as encoders.batch_size; the CPU encoder splits
each into its own passes). The int8 encoder gives a batch exactly its single-pass vectors; the
fp32 one can differ in the 7th decimal, and routing rounds similarities to 4 places, so the
decisions do not move (tests/replay/test_determinism.py replays recorded sessions exactly)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..embeddings import AsyncEncoder


def window(encoder: AsyncEncoder[str, np.ndarray]) -> int:
    """How many texts to encode ahead at once: half the cache, so none is evicted before its
    turn is routed; 0 when the cache is too small to hold anything for later."""
    return encoder.cache.capacity // 2


async def encode_ahead(encoder: AsyncEncoder[str, np.ndarray], texts: Iterable[str]) -> None:
    """Fill the encoder's cache with these texts' vectors, shortest first, one batch at a time
    (awaited in turn, so the batcher cannot merge batches of different lengths again)."""
    unique = sorted({t for t in texts if t}, key=len)
    size = encoder.batcher.max_batch
    for start in range(0, len(unique), size):
        await encoder.encode(unique[start : start + size])
