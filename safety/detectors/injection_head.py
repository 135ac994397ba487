"""The learned half of injection detection: a logistic head over hashed character 3-5-grams of
each window of an observation and, beside them, the window's sentence vector from the text
encoder. Character n-grams carry across wrappers, paraphrase and languages ("developer mode",
"DAN", `<script`, `?q=`, "instrucciones") and cost microseconds a window; the vector adds who
is addressed and what is asked in words the n-grams never saw, for one encoder pass a window
(alone, vectors did not generalise: docs/benchmark-notes.md). It is fitted offline by
scripts/fit_injection_head.py on public jailbreak and injection corpora and instructions
planted in documents, against ordinary text in volume, and ships as a small .npz beside this
module with an n-gram-only head for any other encoder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "injection_head.npz"
WINDOW_CHARS = 200
GRAM_SIZES = (3, 4, 5)
HASH_DIM = 1 << 16
_MIX = np.uint64(0x9E3779B97F4A7C15)


def gram_ids(text: str, dim: int = HASH_DIM) -> np.ndarray:
    """The lower-cased text's character 3-5-grams (over UTF-8 bytes), each hashed to one of
    `dim` buckets, repeats kept. A window's features are these ids counted, L2-normalised (so a
    text repeating itself weighs no more than saying it once); vectorised, so a window costs
    tens of microseconds."""
    data = np.frombuffer(text.lower().encode("utf-8"), dtype=np.uint8).astype(np.uint64)
    keys = []
    for n in GRAM_SIZES:
        if len(data) < n:
            continue
        h = np.full(len(data) - n + 1, n, dtype=np.uint64)
        for k in range(n):
            h = h * np.uint64(1000003) + data[k : len(data) - n + 1 + k]
        keys.append(((h * _MIX) >> np.uint64(40)) % np.uint64(dim))
    return np.concatenate(keys).astype(np.int64) if keys else np.zeros(0, dtype=np.int64)


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
    weights: np.ndarray  # (HASH_DIM,) over gram_ids buckets
    bias: float
    threshold: float  # probability at or above which a window is flagged
    # Weights over the window's sentence vector from the text encoder named `encoder`; empty for
    # a head of n-grams alone. A head is fitted for one encoder's vectors.
    dense: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    encoder: str = ""

    @classmethod
    def load(cls, path: Path | None = None, *, encoder: str = "") -> InjectionHead:
        """The shipped head (or the one at path). Its file holds a head over n-grams and
        sentence vectors and one over n-grams alone: the first where `encoder` names the
        encoder it was fitted with, else the second."""
        source = path or resources.files(__package__) / WEIGHTS
        with source.open("rb") as handle, np.load(handle) as data:
            if "dense" in data and str(data["encoder"]) == encoder:
                return cls(
                    data["weights"].astype(np.float32),
                    float(data["bias"]),
                    float(data["threshold"]),
                    data["dense"].astype(np.float32),
                    encoder,
                )
            prefix = "grams_" if "grams_weights" in data else ""
            return cls(
                data[f"{prefix}weights"].astype(np.float32),
                float(data[f"{prefix}bias"]),
                float(data[f"{prefix}threshold"]),
            )

    def save(self, path: Path, *, grams: InjectionHead | None = None, **notes: str) -> None:
        """Written with `grams`, the n-gram head used with any other encoder, where this one
        reads sentence vectors."""
        arrays: dict[str, Any] = {
            "weights": self.weights.astype(np.float16),
            "bias": np.float32(self.bias),
            "threshold": np.float32(self.threshold),
        } | {k: np.array(v) for k, v in notes.items()}
        if self.dense.size:
            assert grams is not None and not grams.dense.size
            arrays |= {"dense": self.dense.astype(np.float16), "encoder": np.array(self.encoder)}
            arrays |= {
                "grams_weights": grams.weights.astype(np.float16),
                "grams_bias": np.float32(grams.bias),
                "grams_threshold": np.float32(grams.threshold),
            }
        np.savez_compressed(path, **arrays)

    def gram_logits(self, texts: list[str]) -> np.ndarray:
        """Each text's logit from its n-grams alone, bias included."""
        logits = np.empty(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            ids, counts = np.unique(gram_ids(text, len(self.weights)), return_counts=True)
            logits[i] = self.weights[ids] @ counts / max(1.0, float(np.sqrt(counts @ counts)))
        return logits + self.bias

    def scores(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Probability that each text (a window) is an instruction planted for the agent;
        `vectors` are the texts' sentence vectors, needed when the head reads them."""
        logits = self.gram_logits(texts)
        if self.dense.size:
            assert vectors is not None and len(vectors) == len(texts)
            logits = logits + vectors @ self.dense
        return 1.0 / (1.0 + np.exp(-logits))
