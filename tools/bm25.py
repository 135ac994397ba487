"""BM25 over tool text: catches exact identifiers and rare words that a small encoder blurs."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "the",
        "that",
        "this",
        "to",
        "was",
        "what",
        "which",
        "with",
        "you",
        "your",
        "can",
        "could",
        "would",
        "should",
        "will",
        "do",
        "does",
        "how",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-case words with identifiers split (camelCase, snake_case) and a crude plural strip."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower()
    words = []
    for word in _TOKEN.findall(spaced):
        if word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words


@dataclass
class BM25:
    """An inverted index whose query cost grows with the postings of the query's words only."""

    k1: float = 1.2
    b: float = 0.75
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    size: int = 0

    @classmethod
    def build(cls, documents: list[list[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        index = cls(k1, b, size=len(documents))
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        avg = float(lengths.mean()) if len(documents) and lengths.mean() > 0 else 1.0
        by_term: dict[str, list[tuple[int, int]]] = {}
        for doc_id, words in enumerate(documents):
            for term, count in Counter(words).items():
                by_term.setdefault(term, []).append((doc_id, count))
        for term, hits in by_term.items():
            ids = np.fromiter((h[0] for h in hits), dtype=np.int32, count=len(hits))
            tf = np.fromiter((h[1] for h in hits), dtype=np.float32, count=len(hits))
            idf = np.log(1 + (len(documents) - len(hits) + 0.5) / (len(hits) + 0.5))
            norm = tf + k1 * (1 - b + b * lengths[ids] / avg)
            index.postings[term] = (ids, (idf * tf * (k1 + 1) / norm).astype(np.float32))
        return index

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query):
            hit = self.postings.get(term)
            if hit is not None:
                out[hit[0]] += hit[1]
        return out
