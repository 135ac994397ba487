"""The text encoder (and CLIP) as a remote OpenAI-compatible /v1/embeddings service, so many
router replicas share one GPU encoder (vLLM, text-embeddings-inference, Infinity, llama-server).

Each is an Encoder like the local ones: AsyncEncoder in front of it caches and micro-batches as it
does for them, and runs it on its one worker thread. So the client is httpx's synchronous one,
a single connection pool for the process, and one request is in flight at a time, which is the
batching design: the next batch forms while this one is on the wire.

Its name says what made its vectors (the service and the model), so the tool index and every
other cache keyed by encoder name keep them apart from the local encoder's.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from ..config import ConfigError, ConfigIssue, RemoteEncoderSpec, TextEncoderSpec
from ..config.masking import masked
from ..errors import RouterError
from .base import AsyncEncoder, Encoder
from .image_input import LoadedImage

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("agent_router.embeddings")

# A local fallback serves calls while the service is down only where, measured on these texts at
# start, it gives the service's vectors: the same model, maybe another precision (int8 and fp32
# MiniLM agree within 0.97). Another model's space lies far below this.
AGREEMENT = 0.95
PROBES = [
    "route this question to the strongest model",
    "a screenshot of a failing build",
    "delete every file in the home folder",
]
_RETRIED_STATUS = {408, 429, 500, 502, 503, 504}


class EncoderUnavailable(RouterError):
    """The remote encoder service did not answer after its retries, or answered nonsense."""


class EmbeddingsService:
    """One /v1/embeddings endpoint: batches, timeouts, retries with backoff, and a rest after a
    failure. `field` is the config section it serves, named in every error with `hint`, what
    else the operator can do."""

    def __init__(
        self,
        spec: RemoteEncoderSpec,
        *,
        field: str,
        hint: str = "",
        transport: httpx.BaseTransport | None = None,
    ):
        self.spec = spec
        self.field = field
        self.hint = hint
        self.url = spec.url.rstrip("/") + "/embeddings"
        # A password in the URL stays out of the encoder's name (cache file names) and of every message.
        self.shown = masked(spec.url.rstrip("/"))
        headers = {}
        if spec.api_key_env is not None:
            key = os.environ.get(spec.api_key_env)
            if not key:
                raise EncoderUnavailable(
                    f"{field}.api_key_env: {spec.api_key_env} is not set; "
                    "export the service's API key in it or remove api_key_env"
                )
            headers["Authorization"] = f"Bearer {key}"
        self.client = httpx.Client(headers=headers, timeout=spec.timeout_s, transport=transport)
        self._resting_until = 0.0
        self._failure = ""

    def embed(self, inputs: list[str], **extra: str) -> list[np.ndarray]:
        """Batches of batch_size, one request each. After a failure the service rests for
        cooldown_s: calls fail at once (a fallback answers them) instead of each waiting out
        the timeouts and retries of a service that is down; the first call after it tries again."""
        if time.monotonic() < self._resting_until:
            raise EncoderUnavailable(
                f"{self._failure} (not tried again until {self.spec.cooldown_s:g} s after that failure)"
            )
        size = self.spec.batch_size
        try:
            batches = (inputs[start : start + size] for start in range(0, len(inputs), size))
            return [vector for batch in batches for vector in self._request(batch, extra)]
        except EncoderUnavailable as exc:
            self._failure = str(exc)
            self._resting_until = time.monotonic() + self.spec.cooldown_s
            raise

    def _request(self, inputs: list[str], extra: dict[str, str]) -> list[np.ndarray]:
        body = {"model": self.spec.model, "input": inputs, "encoding_format": self.spec.encoding_format}
        body.update(extra)
        cause = ""
        for attempt in range(self.spec.retries + 1):
            if attempt:
                time.sleep(self.spec.backoff_s * 2 ** (attempt - 1))
            try:
                response = self.client.post(self.url, json=body)
            except httpx.HTTPError as exc:  # refused, reset, timed out: worth another try
                cause = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code in _RETRIED_STATUS:
                cause = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code != 200:  # a wrong URL, model or key: retrying cannot help
                raise self._unavailable(f"HTTP {response.status_code}: {response.text[:200]}", attempt + 1)
            return self._vectors(response, len(inputs))
        raise self._unavailable(cause, self.spec.retries + 1)

    def _vectors(self, response: httpx.Response, count: int) -> list[np.ndarray]:
        try:
            data: list[dict[str, Any]] = response.json()["data"]
            rows = sorted(data, key=lambda row: row["index"])
            matrix = np.array([_vector(row["embedding"]) for row in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise self._unavailable(f"not an embeddings response ({exc!r})", 1) from None
        if matrix.ndim != 2 or len(matrix) != count:
            raise self._unavailable(f"{count} inputs sent, answer shaped {matrix.shape}", 1)
        # Routing compares by dot product; not every server normalises (vLLM leaves it to the model).
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return list(matrix / np.maximum(norms, 1e-12))

    def _unavailable(self, cause: str, tries: int) -> EncoderUnavailable:
        return EncoderUnavailable(
            f"{self.field}: {self.shown}/embeddings (model {self.spec.model!r}) failed after "
            f"{tries} tr{'y' if tries == 1 else 'ies'}: {cause}; start the service, fix the url, "
            f"model or key{self.hint}"
        )

    def close(self) -> None:
        self.client.close()


class RemoteTextEncoder:
    def __init__(self, spec: RemoteEncoderSpec, *, transport: httpx.BaseTransport | None = None):
        self.spec = spec
        hint = ", or set encoders.text.fallback: local"
        self.service = EmbeddingsService(spec, field="encoders.text.remote", hint=hint, transport=transport)
        self.name = f"text:remote:{spec.model}@{self.service.shown}"

    def encode(self, items: list[str]) -> list[np.ndarray]:
        return self.service.embed(items)

    def close(self) -> None:
        self.service.close()


class RemoteClipEncoder:
    """CLIP's two towers behind one service, told apart by Infinity's `modality` field; images
    travel as PNG data URLs (what the service decodes is what a local tower would see)."""

    def __init__(self, spec: RemoteEncoderSpec, *, transport: httpx.BaseTransport | None = None):
        self.spec = spec
        self.service = EmbeddingsService(spec, field="encoders.clip.remote", transport=transport)
        self.name = f"clip:remote:{spec.model}@{self.service.shown}"

    def encode(self, items: list[LoadedImage]) -> list[np.ndarray]:
        return self.encode_images([item.image for item in items])

    def encode_images(self, images: list[Image.Image]) -> list[np.ndarray]:
        return self.service.embed([_data_url(image) for image in images], modality="image")

    def encode_text(self, texts: list[str]) -> list[np.ndarray]:
        return self.service.embed(texts, modality="text")

    def close(self) -> None:
        self.service.close()


def _data_url(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG")  # lossless: the service's pixels are the router's
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class WithFallback:
    """The remote encoder, and the local one for calls the service fails: only built where the
    two were shown to give the same vectors, so the name (and every cache) stays the remote's."""

    def __init__(self, remote: RemoteTextEncoder, local: Encoder[str, np.ndarray]):
        self.remote = remote
        self.local = local
        self.name = remote.name
        self.fallbacks = 0  # calls the local encoder answered
        self._local_since_failure = False

    def encode(self, items: list[str]) -> Sequence[np.ndarray]:
        try:
            vectors = self.remote.encode(items)
        except EncoderUnavailable as exc:
            self.fallbacks += 1
            if not self._local_since_failure:  # once an outage, not once a call
                log.warning("%s; encoding locally until the service answers again", exc)
                self._local_since_failure = True
            return self.local.encode(items)
        if self._local_since_failure:
            log.warning("%s answers again", self.remote.service.shown)
            self._local_since_failure = False
        return vectors

    def close(self) -> None:
        self.remote.close()


def _vector(embedding: str | list[float]) -> np.ndarray | list[float]:
    """A base64 string of little-endian float32 (asked for), or a list of floats (from servers
    that ignore encoding_format)."""
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding, validate=True), dtype="<f4")
    return embedding


def agreement(first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> float:
    """The lowest cosine between the two encoders' vectors of the same texts (-1 when their
    dimensions differ: another model)."""
    if {np.shape(v) for v in first} != {np.shape(v) for v in second}:
        return -1.0
    pairs = zip(first, second, strict=True)
    return min(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))) for a, b in pairs)


def check_fitted_size(text: AsyncEncoder[str, np.ndarray], size: int, *, field: str, refit: str) -> None:
    """A head fitted on one encoder's vectors (the route head) would fail
    every call on vectors of another size: refused at start, by name, with the fix. (Another
    model of the same size cannot be told from a sentence's vector alone; the README says which
    model the shipped heads need.)"""
    given = len(text.encode_sync(["the size of this encoder's vectors"])[0])
    if given != size:
        message = f"fitted on {size}-dimensional vectors, but {text.encoder.name} gives {given}; {refit}"
        raise ConfigError([ConfigIssue(field, message)])


def remote_text_encoder(
    spec: TextEncoderSpec, load_local: Callable[[], Encoder[str, np.ndarray]]
) -> Encoder[str, np.ndarray]:
    """The remote encoder of spec.remote with spec.fallback applied. fail: the service as it is;
    a dead one fails the first call (the route exemplars at start) with the cause and the fix.
    local: a service down at start leaves the whole process on the local encoder (its own name,
    its own caches), and a live one is paired with it for failed calls only where they agree."""
    assert spec.remote is not None
    remote = RemoteTextEncoder(spec.remote)
    if spec.fallback == "fail":
        return remote
    try:
        probed = remote.encode(PROBES)
    except EncoderUnavailable as exc:
        log.warning("%s; this process encodes locally", exc)
        remote.close()
        return load_local()
    local = load_local()
    measured = agreement(probed, local.encode(PROBES))
    if measured < AGREEMENT:
        log.warning(
            "encoders.text.fallback: local, but %s gives other vectors than the local encoder "
            "(cosine %.2f); a call the service fails fails instead of mixing the two",
            remote.name,
            measured,
        )
        return remote
    return WithFallback(remote, local)
