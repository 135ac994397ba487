"""The one encoder interface, and the async front that caches and micro-batches any encoder."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .batching import MicroBatcher
from .cache import EmbeddingCache, SavedVectors

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from .image_input import LoadedImage

In = TypeVar("In")  # invariant: encode takes a list, and a list is invariant in its items
Out = TypeVar("Out", covariant=True)
T = TypeVar("T")
R = TypeVar("R")


class Encoder(Protocol[In, Out]):
    """Synchronous, batch-first: one call is one forward pass over all items."""

    name: str

    def encode(self, items: list[In]) -> Sequence[Out]: ...


class ClipModel(Protocol):
    """CLIP's two towers in one space, local (clip.ClipEncoder) or remote (remote.RemoteClipEncoder):
    turn images, crops around a pointer, and the texts they are compared with."""

    name: str

    def encode(self, items: list[LoadedImage]) -> Sequence[np.ndarray]: ...

    def encode_images(self, images: list[Image.Image]) -> Sequence[np.ndarray]: ...

    def encode_text(self, texts: list[str]) -> Sequence[np.ndarray]: ...


class AsyncEncoder(Generic[T, R]):
    """Caches results by key and batches concurrent misses into one pass of the encoder."""

    def __init__(
        self,
        encoder: Encoder[T, R],
        key: Callable[[T], Hashable],
        max_batch: int,
        cache_size: int,
        wait_s: float = 0.0,
        saved: SavedVectors | None = None,
    ):
        self.encoder = encoder
        self._key = key
        self.cache = EmbeddingCache(cache_size)
        self.saved = saved
        self.batcher: MicroBatcher[T, R] = MicroBatcher(encoder.encode, max_batch, wait_s)

    async def encode(self, items: Sequence[T]) -> list[R]:
        keys = [self._key(item) for item in items]
        found = [self.cache.get(k) for k in keys]
        missing = [i for i, hit in enumerate(found) if hit is None]
        if missing:
            # Duplicates within one call are encoded once.
            unique: dict[Hashable, T] = {}
            for i in missing:
                unique.setdefault(keys[i], items[i])
            fresh = await self.batcher.run(list(unique.values()))
            by_key = dict(zip(unique.keys(), fresh, strict=True))
            for key, value in by_key.items():
                self.cache.put(key, value)
            for i in missing:
                found[i] = by_key[keys[i]]
        return found  # type: ignore[return-value]

    def encode_sync(self, items: list[T]) -> list[R]:
        """For start-up work outside an event loop (exemplars, config checks); uses the cache,
        and the saved vectors of earlier starts where the encoder has them (str items)."""
        keys = [self._key(item) for item in items]
        found = {k: hit for k in keys if (hit := self.cache.get(k)) is not None}
        todo = {k: item for k, item in zip(keys, items, strict=True) if k not in found}
        if self.saved is not None:
            for key in list(todo):
                if (vector := self.saved.get(str(todo[key]))) is not None:
                    self.cache.put(key, vector)
                    found[key] = vector
                    del todo[key]
        if todo:
            for (key, item), value in zip(
                todo.items(), self.encoder.encode(list(todo.values())), strict=True
            ):
                self.cache.put(key, value)
                found[key] = value  # also when the cache keeps nothing (cache_size: 0)
                if self.saved is not None:
                    self.saved.put(str(item), value)
            if self.saved is not None:
                self.saved.save()
        return [found[k] for k in keys]

    def close(self) -> None:
        self.batcher.close()
        close = getattr(self.encoder, "close", None)  # a remote encoder's connection pool
        if close is not None:
            close()
