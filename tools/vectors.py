"""Tool embeddings kept on disk by content hash, so a restart re-embeds only what changed.

A file holds one encoder's vectors and says whose: it is named after the encoder, and the full
name is stored inside and checked on load, since two names can map to one file name (a remote
encoder's URL and a local folder differ only in characters a file name cannot hold)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger("agent_router.tools")

Embed = Callable[[list[str]], Sequence[np.ndarray]]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agent-router" / "tools"


class VectorStore:
    """hash -> vector, loaded once, written back after each sync that embedded something."""

    def __init__(self, folder: Path | None, model_name: str):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name)
        tag = hashlib.sha256(model_name.encode()).hexdigest()[:8]
        self.model_name = model_name
        self.path = (folder or default_cache_dir()) / f"vectors-{safe}-{tag}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.embedded = 0  # texts actually run through the encoder by this store
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            with np.load(self.path) as data:
                made_by = str(data["encoder"])
                if made_by != self.model_name:
                    log.warning("ignoring tool vector cache %s: made by %s", self.path, made_by)
                    return
                self.vectors = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError) as exc:  # a corrupt cache is rebuilt, not fatal
            log.warning("ignoring unreadable tool vector cache %s: %s", self.path, exc)

    def get_many(self, items: dict[str, str], embed: Embed, batch: int = 128) -> dict[str, np.ndarray]:
        """Vectors for {hash: text}; texts whose hash is unknown are embedded and saved. Texts
        of similar length share a batch: the encoder pads each batch to its longest text."""
        todo = sorted(
            ((h, t) for h, t in items.items() if h not in self.vectors),
            key=lambda item: len(item[1]),
        )
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            for (h, _), vector in zip(chunk, embed([t for _, t in chunk]), strict=True):
                self.vectors[h] = np.asarray(vector, dtype=np.float32)
        if todo:
            self.embedded += len(todo)
            self._save()
        return {h: self.vectors[h] for h in items}

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(
                tmp,
                encoder=np.array(self.model_name),
                hashes=np.array(list(self.vectors)),
                vectors=np.stack(list(self.vectors.values())),
            )
            tmp.replace(self.path)
        except OSError as exc:  # a read-only home still serves, it just re-embeds next start
            log.warning("cannot write tool vector cache %s: %s", self.path, exc)
