"""Servers as context: a tool inherits what its server is about.

A request that names something only one server knows ("the Dyson Airwrap's offers", a museum's
artwork) may match none of that server's tools by their own words, yet match the server as a
whole: its name and every tool's text together. Each server gets a vector (the mean of its tools'
vectors) and a BM25 document (its name and all its tools' words); a tool's score gains a share
of its server's score, so tools of the server a task is about rise together (search -> get
details -> offers). Adding the best sibling's score as well did not help (benchmark-notes.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bm25 import BM25, tokenize
from .catalog import ToolEntry, index_text, name_words

# Chosen on the tune split of data/tool_tasks (issue 16, fourth round; 0.25-1 tried): a step's
# server score is 0.65 its own and 0.35 the whole task's. From a half up, a task's main server
# crowds out a step that only another server serves (benchmark-notes.md).
TASK_SHARE = 0.35


@dataclass
class ServerMap:
    """Per tool row, its server's index; per server, a vector and a BM25 document."""

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    names: list[str] = field(default_factory=list)
    centroids: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    bm25: BM25 = field(default_factory=BM25)

    @classmethod
    def build(cls, tools: list[ToolEntry], vectors: np.ndarray) -> ServerMap:
        names = sorted({t.server for t in tools})
        position = {name: i for i, name in enumerate(names)}
        rows = np.array([position[t.server] for t in tools], np.int32)
        if not tools:
            return cls(rows, names)
        sums = np.zeros((len(names), vectors.shape[1]), np.float32)
        np.add.at(sums, rows, vectors)
        norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        documents: list[list[str]] = [tokenize(name_words(n)) for n in names]
        for tool, row in zip(tools, rows, strict=True):
            documents[row] += tokenize(f"{tool.name} {index_text(tool)}")
        return cls(rows, names, (sums / norms).astype(np.float32), BM25.build(documents))

    def context(
        self, vectors: np.ndarray, texts: list[str], *, lexical: float, weight: float
    ) -> np.ndarray | None:
        """What each tool inherits from its server, per text (tools x texts): weight times the
        server's fused score (for a server of one tool, much what the tool scores itself, so
        that it is not outranked by tools of larger servers for being alone); None when the
        weight is 0 or there is one server (the same shift for every tool).

        A step (texts[1:]) also inherits TASK_SHARE of the server the whole request (texts[0])
        is about: "change its address" in an order-exchange task is an order's address more
        than a map's. Only a share: a step that another server alone serves keeps it."""
        if not weight or len(self.names) < 2:
            return None
        semantic = np.vecdot(self.centroids[:, None, :], vectors[None, :, :])
        words = np.stack([self.bm25.scores(tokenize(t)) for t in texts], axis=1)
        words /= np.maximum(words.max(axis=0), 1e-9)
        server = (1 - lexical) * semantic + lexical * words
        server[:, 1:] = (1 - TASK_SHARE) * server[:, 1:] + TASK_SHARE * server[:, :1]
        return (weight * server[self.rows]).astype(np.float32)
