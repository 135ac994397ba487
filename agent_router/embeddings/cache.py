"""Encoder outputs kept: a small LRU in memory (repeated inputs are encoded once) and, for the
texts every start encodes, a file that outlives the process."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np


class EmbeddingCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        vector = self._items.get(key)
        if vector is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return vector

    def put(self, key: Hashable, vector: Any) -> None:
        if self.capacity <= 0:
            return
        self._items[key] = vector
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class SavedVectors:
    """Vectors of the texts a start encodes every time (route and safety exemplars), kept in a
    file beside the graph that computed them: a warm start reads them instead of running a pass
    per text (about 0.35 s of a 2 s start). Only for encoders whose vector of a text does not
    depend on the texts beside it, so a saved vector is exactly the one a pass would give."""

    # Past this many, texts of configs no longer in use are dropped at the next save.
    LIMIT = 10_000

    def __init__(self, path: Path):
        self.path = path
        self._known: dict[str, np.ndarray] | None = None
        self._used: set[str] = set()
        self._added = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _load(self) -> dict[str, np.ndarray]:
        if self._known is None:
            try:
                with np.load(self.path) as saved:
                    self._known = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
            except (OSError, ValueError, KeyError):  # none yet, or damaged: computed afresh
                self._known = {}
        return self._known

    def get(self, text: str) -> np.ndarray | None:
        key = self._key(text)
        self._used.add(key)
        return self._load().get(key)

    def put(self, text: str, vector: Any) -> None:  # an np.ndarray, as AsyncEncoder[str, np.ndarray] gives
        key = self._key(text)
        self._used.add(key)
        self._load()[key] = vector
        self._added = True

    def save(self) -> None:
        """Written whole and renamed into place; a folder that cannot be written costs only speed."""
        known = self._load()
        if not self._added or not known:
            return
        self._added = False
        keys = list(known) if len(known) <= self.LIMIT else [k for k in known if k in self._used]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, partial = tempfile.mkstemp(dir=self.path.parent, suffix=".partial.npz")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, keys=np.array(keys), vectors=np.stack([known[k] for k in keys]))
            os.replace(partial, self.path)
        except OSError:
            Path(partial).unlink(missing_ok=True)
