"""The tool index: embedding similarity fused with BM25, searched in a few milliseconds.

Each tool is embedded in two views (the full text with parameters, and name plus description)
and scored by the better of the two. Tools that served earlier queries well are moved toward
those queries (outcome-aware, after OATS), by rewriting their rows: selection cost is unchanged.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .bm25 import BM25, tokenize
from .catalog import ToolEntry, index_text, name_words
from .vectors import Embed, VectorStore

VIEWS = 2


def view_texts(tool: ToolEntry) -> list[str]:
    return [index_text(tool), f"{name_words(tool.name)}: {tool.description.strip()}"]


def _normalized(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-9)).astype(np.float32)


@dataclass(frozen=True)
class Ranked:
    tool: ToolEntry
    score: float
    semantic: float
    lexical: float


@dataclass
class Outcome:
    total: np.ndarray
    count: int = 0


@dataclass
class ToolIndex:
    lexical_weight: float = 0.4
    outcome_rate: float = 0.2
    tools: list[ToolEntry] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=dict)
    _base: np.ndarray = field(default_factory=lambda: np.zeros((VIEWS, 0, 0), np.float32))
    _matrix: np.ndarray = field(default_factory=lambda: np.zeros((VIEWS, 0, 0), np.float32))
    _bm25: BM25 = field(default_factory=BM25)
    _servers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tools)

    def get(self, key: str) -> ToolEntry | None:
        row = self._rows.get(key)
        return None if row is None else self.tools[row]

    def rebuild(self, tools: Iterable[ToolEntry], store: VectorStore, embed: Embed) -> None:
        """Index these tools; only texts the store has never seen go through the encoder."""
        tools = list({t.key: t for t in tools}.values())  # a re-listed tool replaces the old one
        texts = [view_texts(t) for t in tools]
        by_hash = {_text_hash(text): text for views in texts for text in views}
        vectors = store.get_many(by_hash, embed)
        dim = next(iter(vectors.values())).shape[0] if vectors else 0
        base = np.zeros((VIEWS, len(tools), dim), np.float32)
        for row, views in enumerate(texts):
            for view, text in enumerate(views):
                base[view, row] = vectors[_text_hash(text)]
        self.tools = tools
        self._rows = {t.key: i for i, t in enumerate(tools)}
        self._base = base
        self._servers = np.array([t.server for t in tools], dtype=object)
        self._bm25 = BM25.build(
            [tokenize(f"{t.name} {text[0]}") for t, text in zip(tools, texts, strict=True)]
        )
        self._apply_outcomes()

    def _apply_outcomes(self) -> None:
        matrix = self._base.copy()
        for key, outcome in self.outcomes.items():
            row = self._rows.get(key)
            if row is not None and outcome.count:
                pull = outcome.total / max(float(np.linalg.norm(outcome.total)), 1e-9)
                matrix[:, row] = matrix[:, row] + self.outcome_rate * pull
        self._matrix = _normalized(matrix) if matrix.size else matrix

    def reinforce(self, key: str, query_vector: np.ndarray) -> bool:
        """A call of this tool succeeded for this query: move the tool toward the query. A tool
        not indexed yet (its server is still connecting) gets the pull when it is."""
        outcome = self.outcomes.setdefault(key, Outcome(np.zeros_like(query_vector, np.float32)))
        outcome.total = outcome.total + query_vector.astype(np.float32)
        outcome.count += 1
        row = self._rows.get(key)
        if row is None:
            return False
        pull = outcome.total / max(float(np.linalg.norm(outcome.total)), 1e-9)
        self._matrix[:, row] = _normalized(self._base[:, row] + self.outcome_rate * pull)
        return True

    def search(
        self,
        query_vector: np.ndarray,
        query_text: str,
        k: int,
        servers: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        boost: dict[str, float] | None = None,
        blocked_servers: Iterable[str] = (),
    ) -> list[Ranked]:
        """Top k by fused score: cosine (best view) plus BM25 scaled to [0, 1] by its best hit."""
        if not self.tools or k <= 0:
            return []
        semantic = (self._matrix @ query_vector.astype(np.float32)).max(axis=0)
        lexical = self._bm25.scores(tokenize(query_text))
        top = float(lexical.max())
        if top > 0:
            lexical = lexical / top
        w = self.lexical_weight
        fused = (1 - w) * semantic + w * lexical
        allowed = self._allowed(servers, deny, blocked_servers)
        if allowed is not None:
            fused = np.where(allowed, fused, -np.inf)
        for key, bonus in (boost or {}).items():
            row = self._rows.get(key)
            if row is not None:
                fused[row] += bonus
        k = min(k, int(np.isfinite(fused).sum()))
        if k == 0:
            return []
        best = np.argpartition(-fused, k - 1)[:k]
        best = best[np.argsort(-fused[best], kind="stable")]
        return [
            Ranked(self.tools[i], float(fused[i]), float(semantic[i]), float(lexical[i]))
            for i in best
        ]

    def _allowed(
        self, servers: Iterable[str] | None, deny: Iterable[str], blocked_servers: Iterable[str]
    ) -> np.ndarray | None:
        deny = list(deny)
        blocked = {b.strip().lower() for b in blocked_servers}
        if servers is None and not deny and not blocked:
            return None
        mask = np.ones(len(self.tools), dtype=bool)
        if servers is not None:
            mask &= np.isin(self._servers, list(servers))
        if blocked:
            mask &= np.array([t.server.lower() not in blocked for t in self.tools])
        if deny:
            mask &= np.array([not denied(t.key, deny) for t in self.tools])
        return mask


def denied(key: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
