"""BM25 over tool text: catches exact identifiers and rare words that a small encoder blurs."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .catalog import CASE_BREAK

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


def singular(word: str) -> str:
    """A crude plural strip, so that a request's "categories" and "matches" meet a tool's
    "category" and "match". A stemmer that also strips -ing, -ed, -ation lost recall@5 on the
    BFCL tune half (docs/benchmark-notes.md)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case words with identifiers split (camelCase, snake_case, acronyms), stopwords
    dropped, plurals stripped."""
    spaced = CASE_BREAK.sub(" ", text).lower()
    return [singular(word) for word in _TOKEN.findall(spaced) if word not in STOPWORDS]


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
