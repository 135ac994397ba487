"""The ONNX Runtime text encoder: the same MiniLM graph, exported once from the local weights.

Nothing is downloaded: the graph is traced from the weights on disk on first use and kept in a
cache folder under a key of those weights, so later starts skip PyTorch's model load entirely.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .text import MeanPooled, load_tokenizer, load_transformer

# Bumped when the exported graph changes shape or meaning, so old cache files are not reused.
EXPORT_FORMAT = "mean-pooled-v1"
# On a few CPU cores a batch costs more per text than single passes once it pads short texts to
# long ones, so a batch runs as length-sorted passes of this many (docs/benchmark-notes.md).
PASS_SIZE = 4


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agent-router" / "onnx"


def weights_key(folder: Path) -> str:
    """Names a model by its config and the identity of its weights file, without reading 90 MB."""
    import torch

    digest = hashlib.sha256(f"{EXPORT_FORMAT}|{torch.__version__}|".encode())
    digest.update((folder / "config.json").read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin")):
        stat = weights.stat()
        digest.update(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def export_graph(folder: Path, target: Path) -> None:
    """Traces the mean-pooled model with a padded batch, so the mask path is in the graph."""
    import torch

    tokenizer = load_tokenizer(folder, 32)
    sample = tokenizer.encode_batch(["a short one", "a longer sentence, padded against the short one"])
    ids = torch.tensor([e.ids for e in sample])
    mask = torch.tensor([e.attention_mask for e in sample])
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: concurrent starts never read a half-written graph.
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                MeanPooled(load_transformer(folder)), (ids, mask), partial,
                input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                              "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                opset_version=17, dynamo=False,
            )
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning workers would take the cores that the event loop and the database need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLMEncoder:
    def __init__(self, folder: Path, max_tokens: int = 256, cache_dir: Path | None = None):
        self.name = f"text:{folder.name}"  # the same vector space as the torch runtime
        self.tokenizer = load_tokenizer(folder, max_tokens)
        self.tokenizer.no_padding()  # each pass pads to its own longest text
        self.graph = (cache_dir or default_cache_dir()).expanduser() / f"minilm-{weights_key(folder)}.onnx"
        if not self.graph.exists():
            export_graph(folder, self.graph)
        try:
            self.session = _session(self.graph)
        except Exception:  # a damaged cache file: export afresh rather than fail the start
            export_graph(folder, self.graph)
            self.session = _session(self.graph)

    def encode(self, items: list[str]) -> list[np.ndarray]:
        encodings = self.tokenizer.encode_batch(items)
        order = sorted(range(len(items)), key=lambda k: len(encodings[k].ids))
        vectors: list[np.ndarray] = [np.empty(0, np.float32)] * len(items)
        for start in range(0, len(order), PASS_SIZE):
            chosen = order[start:start + PASS_SIZE]
            width = max(len(encodings[k].ids) for k in chosen)
            ids = np.zeros((len(chosen), width), np.int64)
            mask = np.zeros((len(chosen), width), np.int64)
            for row, k in enumerate(chosen):
                ids[row, :len(encodings[k].ids)] = encodings[k].ids
                mask[row, :len(encodings[k].ids)] = 1
            (batch,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            for row, k in enumerate(chosen):
                vectors[k] = batch[row]
        return vectors
