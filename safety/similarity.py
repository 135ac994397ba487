"""Nearest known pattern by embedding: the shared text encoder, a bank of phrases, cosine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..embeddings import AsyncEncoder


@dataclass(frozen=True)
class Match:
    text: str
    pattern: str
    score: float


class PatternBank:
    def __init__(self, encoder: AsyncEncoder[str, np.ndarray], phrases: list[str]):
        self.encoder = encoder
        self.phrases = phrases
        # Encoded once at start-up, outside the event loop.
        self.matrix = np.stack(encoder.encode_sync(phrases)).astype(np.float32)

    async def nearest(self, texts: list[str]) -> list[Match]:
        """The closest phrase to each text."""
        if not texts:
            return []
        vectors = np.stack(await self.encoder.encode(texts)).astype(np.float32)
        scores = vectors @ self.matrix.T
        best = scores.argmax(axis=1)
        return [
            Match(text, self.phrases[j], float(scores[i, j]))
            for i, (text, j) in enumerate(zip(texts, best, strict=True))
        ]
