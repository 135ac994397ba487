"""Route exemplars in embedding space (one matrix, one product per turn) and route keywords.

Both are compiled once per config: they run on every turn, so nothing is rebuilt per call."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..config import RouteSpec

TOP_K = 3  # mean of the best few exemplars: one stray exemplar cannot fire a route alone


@dataclass(frozen=True)
class RouteIndex:
    matrix: np.ndarray  # (exemplars, dim), rows L2-normalised, each route's rows together
    spans: tuple[tuple[str, int, int], ...]  # (route, first row, end row) for routes with examples

    @classmethod
    def build(cls, routes: list[RouteSpec], vectors: list[np.ndarray]) -> RouteIndex:
        """vectors: the embeddings of every route's examples, in route order."""
        spans, start = [], 0
        for route in routes:
            if route.when.examples:
                spans.append((route.name, start, start + len(route.when.examples)))
                start += len(route.when.examples)
        dim = vectors[0].shape[0] if vectors else 1
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
        return cls(matrix, tuple(spans))

    def similarity(self, query: np.ndarray) -> dict[str, float]:
        """Per route with examples: mean cosine of its TOP_K nearest exemplars, to 4 places
        so that decisions do not flip on float noise between batched and single passes."""
        sims = (self.matrix @ query.astype(np.float32)).tolist()
        result: dict[str, float] = {}
        for name, start, end in self.spans:
            top = sorted(sims[start:end])[-TOP_K:]
            result[name] = round(sum(top) / len(top), 4)
        return result


@dataclass(frozen=True)
class KeywordMatcher:
    """Whole-word, case-insensitive matches of one route's keywords."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def build(cls, keywords: list[str]) -> KeywordMatcher:
        return cls(tuple((k, re.compile(_whole_word(k.lower()))) for k in keywords))

    def hits(self, *lowered_texts: str) -> list[str]:
        """Texts already lower-cased, once per turn rather than once per keyword."""
        return [k for k, pattern in self.patterns if any(pattern.search(t) for t in lowered_texts if t)]


def _whole_word(keyword: str) -> str:
    """Word boundaries only where the keyword starts or ends with a word character: "def "
    must match "def parse(", which a boundary after its space would forbid."""
    start = r"(?<!\w)" if re.match(r"\w", keyword) else ""
    end = r"(?!\w)" if re.search(r"\w$", keyword) else ""
    return start + re.escape(keyword) + end
