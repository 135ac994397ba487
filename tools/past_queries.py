"""The requests each tool served before, recalled when a request comes back almost word for word.

Moving a tool toward the queries it served (ToolIndex.reinforce, after OATS) generalises to
paraphrases, but it also wins the tool the queries of its near-twins (`calculate_bmi` and
`calculate_BMI`), so on a catalog full of twins it gains nothing. A repeat of a request is a
stronger and narrower signal: the tool that served it last time is the best guess. So the
request vectors are kept as they are, and a request within `threshold` cosine of one adds
`weight` (scaled by how close it is, signed by the outcome) to the tool that served it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PastQueries:
    """A ring of (tool, request vector, summed outcome weight); the oldest entry makes room."""

    threshold: float = 0.9
    weight: float = 0.3
    capacity: int = 4096
    _vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    _weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    _keys: list[str | None] = field(default_factory=list)
    _slots: dict[tuple[str, bytes], int] = field(default_factory=dict)
    _next: int = 0
    _filled: int = 0  # rows [0, _filled) hold entries: the ring fills from the top

    def __len__(self) -> int:
        return len(self._slots)

    def add(self, key: str, vector: np.ndarray, weight: float) -> None:
        """The tool `key` served this request (weight > 0) or was blamed for it (< 0); the same
        request again sums the weights, so blame cancels a success on the very same request."""
        vector = _unit(vector)
        if not self._keys:
            self._vectors = np.zeros((self.capacity, len(vector)), np.float32)
            self._weights = np.zeros(self.capacity, np.float32)
            self._keys = [None] * self.capacity
        slot = self._slots.get((key, vector.tobytes()))
        if slot is not None:
            self._weights[slot] += weight
            return
        slot = self._next
        self._next = (slot + 1) % self.capacity
        old = self._keys[slot]
        if old is not None:
            del self._slots[(old, self._vectors[slot].tobytes())]
        self._vectors[slot], self._weights[slot], self._keys[slot] = vector, weight, key
        self._slots[(key, vector.tobytes())] = slot
        self._filled = max(self._filled, slot + 1)

    def bonus(self, request: np.ndarray) -> dict[str, float]:
        """tool key -> score to add, from each tool's past request nearest to this one."""
        if not self._slots or self.weight == 0:
            return {}
        close = np.vecdot(self._vectors[: self._filled], _unit(request))
        nearest: dict[str, tuple[float, float]] = {}
        for slot in np.flatnonzero(close > self.threshold):
            key, cosine = self._keys[slot], float(close[slot])
            if key is not None and self._weights[slot] != 0 and cosine > nearest.get(key, (0, 0))[0]:
                nearest[key] = (cosine, float(self._weights[slot]))
        scale = self.weight / (1 - self.threshold)
        return {
            key: scale * (cosine - self.threshold) * float(np.clip(w, -1, 1))
            for key, (cosine, w) in nearest.items()
        }


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-9)
