"""The tool index: embedding similarity fused with BM25, searched in a few milliseconds.

Each tool is embedded once (tools/texts.py) and read by BM25 in full. A request of several
sentences is matched as a whole and sentence by sentence, and the top k are picked so that each
sentence gets its tools (tools/query.py). A tool inherits a share of its server's match
(tools/servers.py), and the lookups a chosen tool depends on come along (tools/companions.py).
Tools that served earlier queries well are moved toward
those queries (outcome-aware, after OATS) by rewriting their rows, and a request that repeats one
of those queries favours the tool that served it (tools/past_queries.py).

What was learned belongs to a tenant: each tenant's outcomes and past requests are kept apart
(Learning), and so are the rows they moved, so one tenant's feedback changes only its own
ranking and its requests never become text another tenant's selection matches on. The catalog
and its vectors are shared; a search reads the base vectors and swaps in the tenant's moved rows.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..config.tools import ToolsSpec
from ..tenancy import LOCAL_TENANT
from .bm25 import BM25, tokenize
from .catalog import ToolEntry, index_text
from .companions import companions, with_companions
from .past_queries import PastQueries
from .query import query_parts
from .servers import ServerMap
from .texts import boilerplate, embed_text
from .vectors import Embed, VectorStore

# Tuned on the seed-7 tune half of the BFCL dev set (docs/benchmark-notes.md).
WHOLE_SHARE = 0.3  # the whole request's share of a tool's score when the request has parts
# Tuned on the tune split of data/tool_tasks (issue 16): after the LEAD picks, the whole request's
# share rises; once the steps have their lead tools, the rest of the set serves the task as a
# whole (sentences past the steps are often context: who the user is, what they prefer).
LATE_WHOLE_SHARE = 0.6
LEAD = 3  # picks made before companions join: the steps, or this many for a one-step request
DIVERSITY = 0.3  # how far a part that a picked tool already serves yields to the other parts


def _normalized(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-9)).astype(np.float32)


@dataclass(frozen=True)
class Ranked:
    tool: ToolEntry
    score: float
    semantic: float
    lexical: float
    image: float | None = None  # CLIP cosine of the turn's closest image and the tool, if any
    boost: float = 0.0  # in score: the session's use of the tool, past outcomes on repeats
    step: int | None = None  # the part of the request (query_parts) it serves; None: the whole


@dataclass
class Outcome:
    """The signed sum of the queries a tool served (+) or failed (-), and how many there were."""

    total: np.ndarray
    count: int = 0


@dataclass
class Learning:
    """What one tenant's outcomes taught: per tool, the signed sum of its queries, and the
    requests it served (repeats of them favour it)."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    past: PastQueries = field(default_factory=PastQueries)


@dataclass
class ToolIndex:
    lexical_weight: float = 0.4
    outcome_rate: float = 0.1
    image_weight: float = 0.2
    server_weight: float = 0.6
    companions: bool = True
    tools: list[ToolEntry] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=dict)
    _base: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # Per tenant, the rows its outcomes moved: row -> the tool's vector for that tenant.
    _moved: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    # The same, stacked for search (rows, vectors): rebuilt after the tenant's next outcome, not
    # on every search (stacking a few thousand moved rows costs more than the search itself).
    _stacked: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _bm25: BM25 = field(default_factory=BM25)
    _servers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    _server_map: ServerMap = field(default_factory=ServerMap)
    _links: list[np.ndarray] = field(default_factory=list)  # per tool, its companions' rows
    _pictured: np.ndarray | None = None  # the embedded texts through CLIP's text tower
    learned: dict[str, Learning] = field(default_factory=dict)  # per tenant
    repeat_threshold: float = 0.9
    repeat_weight: float = 0.3

    @classmethod
    def configured(cls, spec: ToolsSpec, learned: ToolIndex | None = None) -> ToolIndex:
        """An empty index set up by the config; it keeps what `learned` learned, if given."""
        index = cls(
            spec.lexical_weight,
            spec.outcome_rate,
            spec.image_weight,
            server_weight=spec.server_weight,
            companions=spec.companions,
            repeat_threshold=spec.repeat_threshold,
            repeat_weight=spec.repeat_weight,
        )
        if learned is not None:
            index.learned = learned.learned
        return index

    def __len__(self) -> int:
        return len(self.tools)

    def learning(self, tenant: str = LOCAL_TENANT) -> Learning:
        """What the tenant's outcomes taught, empty for a tenant that has taught nothing."""
        if tenant not in self.learned:
            self.learned[tenant] = Learning(past=PastQueries(self.repeat_threshold, self.repeat_weight))
        return self.learned[tenant]

    def get(self, key: str) -> ToolEntry | None:
        row = self._rows.get(key)
        return None if row is None else self.tools[row]

    def rebuild(
        self,
        tools: Iterable[ToolEntry],
        store: VectorStore,
        embed: Embed,
        *,
        clip: tuple[VectorStore, Embed] | None = None,
    ) -> None:
        """Index these tools; only texts the store has never seen go through the encoder. With
        clip (CLIP's text tower and its store), images in a request are matched too."""
        tools = list({t.key: t for t in tools}.values())  # a re-listed tool replaces the old one
        common = boilerplate(tools)
        texts = [embed_text(tool, common) for tool in tools]
        self.tools = tools
        self._rows = {t.key: i for i, t in enumerate(tools)}
        self._base = _embedded(texts, store, embed)
        self._pictured = None if clip is None else _normalized(_embedded(texts, *clip))
        self._servers = np.array([t.server for t in tools], dtype=object)
        self._bm25 = BM25.build([tokenize(f"{t.name} {index_text(t)}") for t in tools])
        self._server_map = ServerMap.build(tools, self._base)
        self._links = companions(tools)
        self._apply_outcomes()

    def fork(self) -> ToolIndex:
        """A copy that learns on its own: the catalog and its vectors shared, what was learned
        (outcomes, past requests, the moved rows, of every tenant) copied."""
        twin = copy.copy(self)
        twin.learned = copy.deepcopy(self.learned)
        twin._moved = {tenant: dict(rows) for tenant, rows in self._moved.items()}
        twin._stacked = {}
        return twin

    def _apply_outcomes(self) -> None:
        moved: dict[str, dict[int, np.ndarray]] = {}
        for tenant, learning in list(self.learned.items()):
            rows = moved.setdefault(tenant, {})
            for key, outcome in list(learning.outcomes.items()):
                row = self._rows.get(key)
                if row is not None:
                    rows[row] = self._moved_row(row, outcome)
        self._moved = moved
        self._stacked = {}

    def _moved_row(self, row: int, outcome: Outcome) -> np.ndarray:
        norm = float(np.linalg.norm(outcome.total))
        if norm < 1e-6:  # no outcome yet, or successes and failures on the same queries cancel
            return self._base[row]
        return _normalized(self._base[row] + self.outcome_rate * outcome.total / norm)

    def reinforce(
        self, key: str, query_vector: np.ndarray, weight: float = 1.0, *, tenant: str = LOCAL_TENANT
    ) -> bool:
        """A call of this tool succeeded for this query (weight > 0: move the tool toward the
        query) or was judged a bad pick (weight < 0: move it away), in the tenant's ranking. A
        tool not indexed yet (its server is still connecting) gets the pull when it is."""
        vector = np.asarray(query_vector, np.float32)
        learning = self.learning(tenant)
        outcome = learning.outcomes.setdefault(key, Outcome(np.zeros_like(vector)))
        outcome.total = outcome.total + weight * vector
        outcome.count += 1
        learning.past.add(key, vector, weight)
        row = self._rows.get(key)
        if row is None:
            return False
        self._moved.setdefault(tenant, {})[row] = self._moved_row(row, outcome)
        self._stacked.pop(tenant, None)
        return True

    def _moved_rows(self, tenant: str) -> tuple[np.ndarray, np.ndarray] | None:
        moved = self._moved.get(tenant)
        if not moved:
            return None
        if (stacked := self._stacked.get(tenant)) is None:
            rows = np.fromiter(moved, int, len(moved))
            stacked = self._stacked[tenant] = (rows, np.stack(list(moved.values())))
        return stacked

    def search(
        self,
        query_vector: np.ndarray,
        query_text: str,
        k: int,
        *,
        servers: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        boost: dict[str, float] | None = None,
        blocked_servers: Iterable[str] = (),
        images: np.ndarray | None = None,
        tenant: str = LOCAL_TENANT,
    ) -> list[Ranked]:
        """Top k by fused score: cosine plus BM25 scaled to [0, 1] by its best hit, plus, for
        the CLIP vectors of the request's images (rows of `images`), how well the closest image
        matches each tool. A blank query_text leaves the ranking to the images.

        query_vector is the request's vector, or a matrix whose rows embed request_texts(
        query_text) (the request, then each of its parts): then the parts are matched too.
        What `tenant` taught the index moves its tools and lifts repeats of its requests."""
        if not self.tools or k <= 0:
            return []
        vectors = np.atleast_2d(np.asarray(query_vector, np.float32))
        texts = [query_text, *query_parts(query_text)] if len(vectors) > 1 else [query_text]
        if len(vectors) != len(texts):
            raise ValueError(
                f"query_vector: {len(vectors)} rows for {len(texts)} texts; embed "
                "request_texts(query_text), or pass the request's vector alone"
            )
        # Row by row, not one BLAS product: OpenBLAS threads a product this size, and on a busy
        # host a descheduled thread turns 0.3 ms into 10.
        semantic = np.vecdot(self._base[:, None, :], vectors[None, :, :])  # tools x texts
        if (moved := self._moved_rows(tenant)) is not None:
            rows, learned = moved
            semantic[rows] = np.vecdot(learned[:, None, :], vectors[None, :, :])
        lexical = np.stack([self._bm25.scores(tokenize(t)) for t in texts], axis=1)
        lexical /= np.maximum(lexical.max(axis=0), 1e-9)
        w = self.lexical_weight
        fused = (1 - w) * semantic + w * lexical
        context = self._server_map.context(vectors, texts, lexical=w, weight=self.server_weight)
        if context is not None:
            fused += context
        if not query_text.strip():
            fused[:] = 0
        pictured = self._image_match(images)
        if pictured is not None:
            fused += self.image_weight * _spread(pictured)[:, None]
        learning = self.learned.get(tenant)
        added = _summed(boost, learning.past.bonus(vectors[0]) if learning is not None else None)
        adjust = self._adjustment(servers, deny, added, blocked_servers)
        if adjust is not None:
            fused += adjust[:, None]
        allowed = int(np.isfinite(fused[:, 0]).sum())
        k = min(k, allowed)
        if k == 0:
            return []
        # With companions, twice k are ranked so that tools of the task's servers can move up.
        fetch = min(2 * k, allowed) if self.companions else k
        if len(texts) == 1:
            rows, scores = _top(fused[:, 0], fetch), None
        else:
            rows, scores = _diversified(fused, fetch)
        if self.companions:
            lead = max(LEAD, len(texts) - 1)
            servers = self._server_map.rows
            order = with_companions(list(rows), self._links, fused[:, 0], k=k, lead=lead, servers=servers)
            if order != list(rows[:k]):  # companions joined: each tool keeps its own score
                rows, scores = np.array(order), [float(fused[r, 0]) for r in order]
            else:
                rows, scores = rows[:k], None if scores is None else scores[:k]
        best = fused[rows].argmax(axis=1)  # the text each tool matched best, for its scores
        return [
            Ranked(
                self.tools[row],
                float(fused[row, 0] if scores is None else scores[n]),
                float(semantic[row, best[n]]),
                float(lexical[row, best[n]]),
                None if pictured is None else float(pictured[row]),
                added.get(self.tools[row].key, 0.0),
                int(best[n]) - 1 if best[n] > 0 else None,
            )
            for n, row in enumerate(rows)
        ]

    def _image_match(self, images: np.ndarray | None) -> np.ndarray | None:
        """Per tool, the CLIP cosine of the closest image; None without images or CLIP."""
        if images is None or self._pictured is None or not len(images):
            return None
        images = _normalized(np.atleast_2d(np.asarray(images, np.float32)))
        if images.shape[1] != self._pictured.shape[1]:
            raise ValueError(
                f"images: {images.shape[1]}-d vectors for a {self._pictured.shape[1]}-d CLIP "
                "index; embed them with the CLIP model the index was built with"
            )
        return np.vecdot(self._pictured[:, None, :], images[None, :, :]).max(axis=1)

    def _adjustment(
        self,
        servers: Iterable[str] | None,
        deny: Iterable[str],
        boost: dict[str, float] | None,
        blocked_servers: Iterable[str],
    ) -> np.ndarray | None:
        """Added to every fused score: -inf where a filter excludes the tool, the session's
        boost where it used the tool; None when nothing applies."""
        deny = list(deny)
        blocked = {b.strip().lower() for b in blocked_servers}
        if servers is None and not deny and not blocked and not boost:
            return None
        adjust = np.zeros(len(self.tools), np.float32)
        mask = np.ones(len(self.tools), dtype=bool)
        if servers is not None:
            mask &= np.isin(self._servers, list(servers))
        if blocked:
            mask &= np.array([t.server.lower() not in blocked for t in self.tools])
        if deny:
            mask &= np.array([not denied(t.key, deny) for t in self.tools])
        for key, bonus in (boost or {}).items():
            row = self._rows.get(key)
            if row is not None:
                adjust[row] += bonus
        adjust[~mask] = -np.inf
        return adjust


def above_floor(ranked: list[Ranked], share: float) -> list[Ranked]:
    """k is a ceiling: the ranked tools scoring at least `share` of the best one, in order. On
    the task set 0.4 drops about one tool in ten and no task's tool (benchmark-notes.md)."""
    best = max((r.score for r in ranked), default=0.0)
    if share <= 0 or best <= 0:
        return ranked
    return [r for r in ranked if r.score >= share * best]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    best = np.argpartition(-scores, k - 1)[:k]
    return best[np.argsort(-scores[best], kind="stable")]


def _diversified(fused: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """Greedy picks over the request (column 0) and its parts: a part served by a tool already
    picked counts for less, so that a request for three things gets the best tool of each
    before the second best of any. After the first LEAD picks the whole request weighs more
    (LATE_WHOLE_SHARE): the rest of the set goes to what the task as a whole needs."""
    pool = np.unique(np.concatenate([_top(fused[:, c], k) for c in range(fused.shape[1])]))
    pool = pool[np.isfinite(fused[pool, 0])]
    whole, parts = fused[pool, 0], fused[pool, 1:]
    served_by = np.clip(parts / np.maximum(parts.max(axis=0), 1e-9), 0, 1)
    served = np.zeros(parts.shape[1], np.float32)
    picked: list[int] = []
    scores: list[float] = []
    for n in range(min(k, len(pool))):
        share = WHOLE_SHARE if n < LEAD else LATE_WHOLE_SHARE
        score = share * whole + (1 - share) * (parts * (1 - DIVERSITY * served)).max(1)
        score[picked] = -np.inf
        best = int(np.argmax(score))
        picked.append(best)
        scores.append(float(score[best]))
        served = np.maximum(served, served_by[best])
    return pool[picked], scores


def _embedded(texts: list[str], store: VectorStore, embed: Embed) -> np.ndarray:
    if not texts:
        return np.zeros((0, 0), np.float32)
    hashes = [_text_hash(text) for text in texts]
    vectors = store.get_many(dict(zip(hashes, texts, strict=True)), embed)
    return np.stack([vectors[h] for h in hashes]).astype(np.float32)


def _spread(scores: np.ndarray) -> np.ndarray:
    """CLIP cosines sit in a narrow band (about 0.15-0.35 for real weights): the best tool gets
    1, the median tool and those below it 0."""
    floor = float(np.median(scores))
    return np.clip((scores - floor) / max(float(scores.max()) - floor, 1e-9), 0, 1)


def _summed(*bonuses: dict[str, float] | None) -> dict[str, float]:
    total: dict[str, float] = {}
    for bonus in bonuses:
        for key, value in (bonus or {}).items():
            total[key] = total.get(key, 0.0) + value
    return total


def denied(key: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
