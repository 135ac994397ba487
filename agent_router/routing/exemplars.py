"""Route exemplars in embedding space: one matrix, one product per turn."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..config import RouteSpec

TOP_K = 3  # mean of the best few exemplars: one stray exemplar cannot fire a route alone


@dataclass(frozen=True)
class RouteIndex:
    routes: tuple[str, ...]
    matrix: np.ndarray  # (exemplars, dim), rows L2-normalised
    owners: np.ndarray  # route position of each row

    @classmethod
    def build(cls, routes: list[RouteSpec], vectors: list[np.ndarray]) -> RouteIndex:
        """vectors: the embeddings of every route's examples, in route order."""
        owners = [i for i, r in enumerate(routes) for _ in r.when.examples]
        dim = vectors[0].shape[0] if vectors else 1
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
        return cls(tuple(r.name for r in routes), matrix, np.asarray(owners, dtype=np.int64))

    def similarity(self, query: np.ndarray) -> dict[str, float]:
        """Per route with examples: mean cosine of its TOP_K nearest exemplars, to 4 places
        so that decisions do not flip on float noise between batched and single passes."""
        sims = self.matrix @ query.astype(np.float32)
        result: dict[str, float] = {}
        for i, name in enumerate(self.routes):
            mine = sims[self.owners == i]
            if mine.size:
                top = np.sort(mine)[-TOP_K:]
                result[name] = round(float(top.mean()), 4)
        return result


def keyword_hits(keywords: list[str], *texts: str) -> list[str]:
    """Whole-word, case-insensitive matches."""
    hits = []
    for keyword in keywords:
        pattern = r"(?<!\w)" + re.escape(keyword.lower()) + r"(?!\w)"
        if any(re.search(pattern, t.lower()) for t in texts if t):
            hits.append(keyword)
    return hits
