"""The learned half of injection detection: a logistic head over two views of each window of an
observation, the text encoder's vector (what the passage means) and hashed character n-grams
(how it is worded: "DAN", "developer mode", `<script`, `?q=` carry across languages and
paraphrase). It is fitted offline by scripts/fit_injection_head.py on public jailbreak and
injection corpora against ordinary text in volume, and ships as a small .npz beside this module,
so it judges what a passage asks for rather than which wrapper it comes in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "injection_head.npz"
WINDOW_CHARS = 200
GRAM_SIZES = (3, 4, 5)
HASH_DIM = 1 << 16
_MIX = np.uint64(0x9E3779B97F4A7C15)


def hashed_grams(text: str, dim: int = HASH_DIM) -> tuple[np.ndarray, np.ndarray]:
    """The lower-cased text's character 3-5-grams (over UTF-8 bytes), hashed into `dim`
    buckets: (bucket ids, L2-normalised counts). Vectorised, so a window costs microseconds."""
    data = np.frombuffer(text.lower().encode("utf-8"), dtype=np.uint8).astype(np.uint64)
    keys = []
    for n in GRAM_SIZES:
        if len(data) < n:
            continue
        h = np.full(len(data) - n + 1, n, dtype=np.uint64)
        for k in range(n):
            h = h * np.uint64(1000003) + data[k : len(data) - n + 1 + k]
        keys.append(((h * _MIX) >> np.uint64(40)) % np.uint64(dim))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids, counts = np.unique(np.concatenate(keys), return_counts=True)
    values = counts.astype(np.float32)
    return ids.astype(np.int64), values / np.float32(np.sqrt((values**2).sum()))


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
    weights: np.ndarray  # (dim,) over the encoder's vector
    bias: float
    threshold: float  # probability at or above which a window is flagged
    gram_weights: np.ndarray | None = None  # (HASH_DIM,) over hashed_grams; None: vectors only

    @classmethod
    def load(cls, path: Path | None = None) -> InjectionHead:
        source = path or resources.files(__package__) / WEIGHTS
        with source.open("rb") as handle, np.load(handle) as data:
            grams = data["gram_weights"].astype(np.float32) if "gram_weights" in data else None
            return cls(
                data["weights"].astype(np.float32), float(data["bias"]), float(data["threshold"]), grams
            )

    def save(self, path: Path, **notes: str) -> None:
        arrays: dict[str, Any] = {
            "weights": self.weights.astype(np.float32),
            "bias": np.float32(self.bias),
            "threshold": np.float32(self.threshold),
        } | {k: np.array(v) for k, v in notes.items()}
        if self.gram_weights is not None:
            arrays["gram_weights"] = self.gram_weights.astype(np.float16)
        np.savez_compressed(path, **arrays)

    def scores(self, vectors: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """Probability that each row's text is an instruction planted for the agent; `texts`
        (the rows' windows) are needed when the head has n-gram weights."""
        logits = vectors @ self.weights + self.bias
        if self.gram_weights is not None:
            if texts is None:
                raise ValueError("this injection head reads the windows' text as well: pass texts")
            grams = self.gram_weights
            logits = logits + np.array(
                [float(values @ grams[ids]) for ids, values in map(hashed_grams, texts)], dtype=np.float32
            )
        return 1.0 / (1.0 + np.exp(-logits))

