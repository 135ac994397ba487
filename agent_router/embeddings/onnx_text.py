"""The ONNX Runtime text encoder: the same MiniLM graph, exported once from the local weights.

Nothing is downloaded: the graph is traced from the weights on disk on first use and kept in a
cache folder under a key of those weights, so later starts skip PyTorch's model load entirely.
The int8 variant is quantized from that graph on first use, the same way. PyTorch is imported
only for that export; ONNX Runtime only when the encoder is built.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .cache import SavedVectors
from .text import load_tokenizer

if TYPE_CHECKING:
    import onnxruntime as ort

# Bumped when the exported graph changes shape or meaning, so old cache files are not reused.
EXPORT_FORMAT = "mean-pooled-v1"
# The same for the quantized graph: int8 weights with one scale per output channel, which keeps
# vectors within cosine 0.97 of fp32 where one scale per tensor fell to 0.85 on code. Weights use
# 7 of the 8 bits: x86 CPUs without VNNI add pairs of uint8 x int8 products in int16, which
# saturates with full-range weights, so the same text got another vector there (replayed routes
# moved by 0.02 of confidence between two machines); at 7 bits every CPU computes the same integers.
INT8_FORMAT = "int8-per-channel-7bit-v2"
# On a few CPU cores a batch costs more per text than single passes once it pads short texts to
# long ones, so a batch runs as length-sorted passes of this many (docs/benchmark-notes.md).
PASS_SIZE = 4
# int8 activations are quantized with one scale per pass, so a text's vector would depend on the
# texts that share its pass: one text a pass keeps routing deterministic under any load.
INT8_PASS_SIZE = 1


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agent-router" / "onnx"


def weights_key(folder: Path) -> str:
    """Names a model by its config and the identity of its weights file, without reading 90 MB,
    and the exporting torch by its installed version, without importing it."""
    digest = hashlib.sha256(f"{EXPORT_FORMAT}|{torch_version()}|".encode())
    digest.update((folder / "config.json").read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin")):
        stat = weights.stat()
        digest.update(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def torch_version() -> str:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"  # only a graph already in the cache can be used


@contextmanager
def _written_atomically(target: Path) -> Iterator[str]:
    """Yields a path beside the target and renames it into place once written.

    Concurrent starts never read a half-written graph, and a failed write leaves no file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(fd)
    try:
        yield partial
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def export_graph(folder: Path, target: Path) -> None:
    """Traces the mean-pooled model with a padded batch, so the mask path is in the graph."""
    import torch

    from .torch_text import MeanPooled, load_transformer

    tokenizer = load_tokenizer(folder, 32)
    sample = tokenizer.encode_batch(["a short one", "a longer sentence, padded against the short one"])
    ids = torch.tensor([e.ids for e in sample])
    mask = torch.tensor([e.attention_mask for e in sample])
    with _written_atomically(target) as partial, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(load_transformer(folder)),
            (ids, mask),
            partial,
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def quantize_graph(source: Path, target: Path) -> None:
    """Stores the weights as int8 in 7 bits (see INT8_FORMAT) and quantizes activations per call
    (dynamic quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantizer_log = logging.getLogger()  # the quantizer advises pre-processing on the root logger
    level = quantizer_log.level
    quantizer_log.setLevel(logging.ERROR)
    try:
        with _written_atomically(target) as partial:
            quantize_dynamic(
                str(source), partial, per_channel=True, reduce_range=True, weight_type=QuantType.QInt8
            )
    finally:
        quantizer_log.setLevel(level)


def _session(path: Path) -> ort.InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One thread a pass: splitting one short text's pass over two cores was no faster than one
    # core, while two passes side by side on the two cores doubled throughput.
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load(graph: Path, build: Callable[[], None]) -> ort.InferenceSession:
    if not graph.exists():
        build()
    try:
        return _session(graph)
    except Exception:  # a damaged cache file: build afresh rather than fail the start
        build()
        return _session(graph)


class OnnxMiniLMEncoder:
    def __init__(
        self,
        folder: Path,
        max_tokens: int = 256,
        cache_dir: Path | None = None,
        int8: bool = False,
        threads: int | None = None,
    ):
        # fp32 gives the torch runtime's vectors; int8 a nearby space of its own, named apart (by
        # its format too) so that vectors persisted by one (the tool index) are not mixed with
        # another's.
        self.name = f"text:{folder.name}" + (f":{INT8_FORMAT}" if int8 else "")
        self.tokenizer = load_tokenizer(folder, max_tokens)
        self.tokenizer.no_padding()  # each pass pads to its own longest text
        key = weights_key(folder)
        cache = (cache_dir or default_cache_dir()).expanduser()
        fp32 = cache / f"minilm-{key}.onnx"

        def export() -> None:
            export_graph(folder, fp32)

        def quantize() -> None:
            _load(fp32, export)  # the source graph must be whole: repaired here if it is not
            quantize_graph(fp32, self.graph)

        self.graph = cache / f"minilm-{key}-{INT8_FORMAT}.onnx" if int8 else fp32
        self.pass_size = INT8_PASS_SIZE if int8 else PASS_SIZE
        # Passes of one batch run side by side, one core each (ONNX Runtime releases the GIL).
        self.passes = ThreadPoolExecutor(threads or available_cores(), "onnx-text")
        self.session = _load(self.graph, quantize if int8 else export)

    def saved_vectors(self) -> SavedVectors | None:
        """Where start-up vectors can be kept: only with one text a pass, where a text's vector
        does not depend on the texts padded beside it."""
        return SavedVectors(self.graph.with_suffix(".vectors.npz")) if self.pass_size == 1 else None

    def encode(self, items: list[str]) -> list[np.ndarray]:
        encodings = self.tokenizer.encode_batch(items)
        order = sorted(range(len(items)), key=lambda k: len(encodings[k].ids))
        passes = [
            [encodings[k].ids for k in order[start : start + self.pass_size]]
            for start in range(0, len(order), self.pass_size)
        ]
        batches = map(self._run, passes) if len(passes) == 1 else self.passes.map(self._run, passes)
        vectors: list[np.ndarray] = [np.empty(0, np.float32)] * len(items)
        for k, vector in zip(order, (v for batch in batches for v in batch), strict=True):
            vectors[k] = vector
        return vectors

    def _run(self, texts: list[list[int]]) -> np.ndarray:
        """One pass: the token ids padded to the longest, with the mask that hides the padding."""
        width = max(len(ids) for ids in texts)
        ids = np.zeros((len(texts), width), np.int64)
        mask = np.zeros((len(texts), width), np.int64)
        for row, tokens in enumerate(texts):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        (batch,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return batch
