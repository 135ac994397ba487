"""The PyTorch runtime of the text encoder: the GPU path, the CPU path when runtime is 'torch',
and the source of the ONNX graph on a cold cache. Importing it loads torch and transformers
(seconds), so only those paths import it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel
from transformers.utils import logging as hf_logging

from .device import Placement
from .text import load_tokenizer


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
