"""The learned half of injection detection: a logistic head over the text encoder's vectors,
scoring windows of an observation. It is fitted offline by scripts/fit_injection_head.py on
public injection corpora and ordinary repository files, and ships as a small .npz beside this
module, so it judges what a passage asks for rather than which wrapper it comes in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "injection_head.npz"
WINDOW_CHARS = 200


@dataclass(frozen=True)
class Window:
    """A stretch of the text, whole lines where they fit, with where it starts."""

    text: str
    start: int


def windows(text: str, size: int = WINDOW_CHARS) -> list[Window]:
    """Overlapping windows over all of text: lines gathered up to `size` characters, each
    window starting half-way through the one before, so an instruction split across a window
    edge is whole in the next. Long lines are cut at sentence ends, or at `size`."""
    pieces: list[tuple[str, int]] = []
    for match in re.finditer(r"[^\n]+", text):
        line, at = match.group(0), match.start()
        while len(line) > size:
            cut = max(line.rfind(". ", 0, size), line.rfind("; ", 0, size), size // 2) + 1
            pieces.append((line[:cut], at))
            line, at = line[cut:], at + cut
        if line.strip():
            pieces.append((line, at))
    out: list[Window] = []
    i = 0
    while i < len(pieces):
        j, length = i, 0
        while j < len(pieces) and (j == i or length + len(pieces[j][0]) <= size):
            length += len(pieces[j][0]) + 1
            j += 1
        body = " ".join(" ".join(p[0].split()) for p in pieces[i:j])
        out.append(Window(body, pieces[i][1]))
        if j >= len(pieces):
            break
        i = max(i + 1, (i + j) // 2)
    return out


@dataclass(frozen=True)
class InjectionHead:
    weights: np.ndarray  # (dim,)
    bias: float
    threshold: float  # probability at or above which a window is flagged

    @classmethod
    def load(cls, path: Path | None = None) -> InjectionHead:
        source = path or resources.files(__package__) / WEIGHTS
        with source.open("rb") as handle, np.load(handle) as data:
            return cls(data["weights"].astype(np.float32), float(data["bias"]), float(data["threshold"]))

    def save(self, path: Path, **notes: str) -> None:
        arrays: dict[str, Any] = {
            "weights": self.weights.astype(np.float32),
            "bias": np.float32(self.bias),
            "threshold": np.float32(self.threshold),
        } | {k: np.array(v) for k, v in notes.items()}
        np.savez(path, **arrays)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Probability that each row's text is an instruction planted for the agent."""
        return 1.0 / (1.0 + np.exp(-(vectors @ self.weights + self.bias)))


def fit(
    vectors: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3, steps: int = 3000, rate: float = 0.5
) -> tuple[np.ndarray, float]:
    """Logistic regression by full-batch gradient descent, classes weighted to balance."""
    positives = labels.mean()
    sample_weight = np.where(labels == 1, 0.5 / positives, 0.5 / (1 - positives))
    w = np.zeros(vectors.shape[1], dtype=np.float64)
    b = 0.0
    x = vectors.astype(np.float64)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        error = (p - labels) * sample_weight / len(labels)
        w -= rate * (x.T @ error + l2 * w)
        b -= rate * error.sum()
    return w, b
